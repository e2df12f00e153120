"""The train page: start a run with a size and a time budget, or fine-tune a pre-trained model from a folder on disk
(LoRA or every weight); watch it live, stop it, resume it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...errors import ConsentError, TrainingError
from ...i18n.stages import stage_text
from ...workshop import Studio
from ..shared import StudioDep, form_data, job_started, render, said, translator

router = APIRouter()
SIZES = ("tiny", "small", "base")
MEDIA = ("text", "music", "image")
RESOLUTIONS = (16, 32, 64)  # what an image model is offered here; the command line's --resolution says the same
MAX_MINUTES = 24 * 60


@router.get("/train")
def train_page(request: Request, studio: Studio = StudioDep):
    jobs = request.app.state.jobs
    recent = jobs.list("train")[:8]
    current = next((j for j in recent if j.state == "running"), recent[0] if recent else None)
    resumable = [m for m in studio.models.all() if m.status == "training"
                 and not (current and current.state == "running" and current.result.get("model_id") == m.id)]  # fmt: skip
    t = translator(request)
    trainable = studio.trainable_works()
    media = sorted({w.medium for w in trainable}, key=("text", "music", "image").index)
    counts = {m: sum(w.medium == m for w in trainable) for m in media}  # a run trains on one medium: count that one's
    # A run on works whose consent was withdrawn since is offered a retrain, never a resume.
    withdrawn = {m.id: ", ".join(w.title for w in studio.models.withdrawals(m)) for m in resumable}
    return render(request, "train.html", {
        "trainable": len(trainable), "sizes": SIZES, "media": media, "resolutions": RESOLUTIONS, "counts": counts, "current": current, "recent": recent,
        "resumable": resumable, "withdrawn": withdrawn, "unlicensed": sum(w.license == "unknown" for w in trainable),
        "strings": t.strings("step", "train_loss", "train_loss_nats", "val_bpb", "best_val", "tokens_per_s", "time_left", "model_ready", "model_ready_finetuned",
                             "go_write", "image_train_loss", "image_best_val", "images_per_s", "model_ready_image",
                             "go_generate", "job_running", "job_finished", "job_failed", "job_stopped", "job_interrupted"),
    })  # fmt: skip


@router.post("/train/start")
async def start(request: Request, studio: Studio = StudioDep) -> Response:
    t = translator(request)
    form = await form_data(request)
    size = form.get("size") or None
    if size not in (None, *SIZES):
        raise said(TrainingError(t("unknown_size", size=size, sizes=", ".join(t("size_" + s) for s in SIZES))))
    try:
        minutes = float(form.get("minutes") or 3)
        seed = int(form.get("seed") or 0)
        steps = int(form["steps"]) if str(form.get("steps") or "").strip() else None  # a script's step budget
    except ValueError as exc:
        raise said(TrainingError(t("bad_number", detail=exc))) from None
    if not 0 < minutes <= MAX_MINUTES:
        raise said(TrainingError(t("bad_minutes", max=MAX_MINUTES)))
    if not studio.trainable_works():
        raise said(TrainingError(t("no_trainable")))
    medium = form.get("medium") or None
    if medium not in (None, *MEDIA):
        raise said(TrainingError(t("unknown_medium", medium=medium)))
    params = {"size": size, "minutes": minutes, "seed": seed, "medium": medium} | ({"steps": steps} if steps else {})
    if medium == "image":
        params["resolution"] = _resolution(form, t)
    if form.get("require_license"):  # refused here, before a job starts: the worker would refuse it too
        _refuse_unlicensed(studio, medium, t)
        params["require_license"] = True
    if base := str(form.get("base") or "").strip():
        params = ({"base": base, "minutes": minutes, "seed": seed} | _finetune_settings(studio, form, base, t)
                  | {k: v for k, v in params.items() if k == "require_license"})
    job = request.app.state.jobs.start("train", params)
    return job_started(request, job, "/train")


def _resolution(form: dict, t) -> int | None:
    """The image model's resolution asked for (None: chosen from the corpus and the budget), or why it is refused."""
    value = str(form.get("resolution") or "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) not in RESOLUTIONS:
        raise said(TrainingError(t("bad_resolution", value=value, sizes=", ".join(map(str, RESOLUTIONS)))))
    return int(value)


def _finetune_settings(studio: Studio, form: dict, base: str, t) -> dict:
    """The method and rank of a fine-tune, and every refusal ``train --from`` would make before loading the base,
    in the page's language (the English page says the command line's own line)."""
    method = form.get("method") or "lora"
    try:
        rank = int(form["rank"]) if method == "lora" and str(form.get("rank") or "").strip() else None
    except ValueError as exc:
        raise said(TrainingError(t("bad_number", detail=exc))) from None
    if form.get("size"):
        raise said(TrainingError(t("finetune_no_size")))
    if form.get("medium") not in (None, "", "text"):
        raise said(TrainingError(t("finetune_text_only")))
    try:
        studio.models.check_finetune(base, method, rank)
    except TrainingError as exc:  # a base model's refusals are keyed lines: said in the page's language
        line = exc.args[0] if exc.args else ""
        if hasattr(line, "key") and t.lang != "en":
            raise said(TrainingError(stage_text(t.lang, line.key, line.values, str(line)))) from None
        raise
    return {"method": method, "rank": rank}


def _refuse_unlicensed(studio: Studio, medium: str | None, t) -> None:
    """The works training would take (the medium asked, else text when there is any) without a known licence."""
    trainable = studio.trainable_works()
    medium = medium or ("text" if any(w.medium == "text" for w in trainable) else "music")
    works = [w for w in trainable if w.medium == medium]
    missing = [w for w in works if w.license == "unknown"]
    if missing:
        named = ", ".join(w.title for w in missing[:5])
        named += f" (+{len(missing) - 5})" if len(missing) > 5 else ""
        raise said(TrainingError(t("unlicensed_refused", n=len(missing), total=len(works), works=named)))


@router.post("/train/resume/{model_id}")
def resume(model_id: str, request: Request, studio: Studio = StudioDep) -> Response:
    record = studio.models.get(model_id, ready_only=False)
    if record.status != "training":
        raise said(TrainingError(translator(request)("not_resumable", model=record.id,
                                                       status=translator(request)("model_status_" + record.status))))
    withdrawn = studio.models.withdrawals(record)
    if withdrawn:  # refused here, before a job starts: the worker would refuse it too
        raise said(ConsentError(translator(request)("resume_withdrawn", works=", ".join(w.title for w in withdrawn))))
    job = request.app.state.jobs.start("train", {"resume": record.id})
    return job_started(request, job, "/train")
