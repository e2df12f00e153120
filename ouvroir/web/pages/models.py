"""The models page: every model with its figures, its card, withdrawn-consent warnings, retraining and export."""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from ...errors import ModelNotFound, OuvroirError
from ...workshop import PUBLISH_FORMATS, SampleRecord, Studio
from ..shared import StudioDep, form_data, job_started, render, said, translator, wants_json
from .images import image_generation_settings, image_model_view
from .steering import controls_from, controls_from_form, model_steering

router = APIRouter()


_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")  # raw HTML in a title shows as text
DATASHEET_ROWS = 200  # works listed on the page; the downloaded datasheet lists them all


@router.get("/models")
def models_page(request: Request, studio: Studio = StudioDep):
    models = list(reversed(studio.models.all()))
    withdrawn = {m.id: studio.models.withdrawals(m) for m in models}
    media = {m.id: studio.models.medium(m) for m in models}
    validation = {m.id: studio.models.validation_works(m) for m in models}
    return render(request, "models.html", {"models": models, "withdrawn": withdrawn, "media": media,
                                           "validation": validation})  # fmt: skip


@router.get("/models/{ref}")
def model_page(ref: str, request: Request, studio: Studio = StudioDep):
    t = translator(request)
    record = studio.models.get(ref, ready_only=False)
    withdrawn = studio.models.withdrawals(record)
    card_html = datasheet_html = None
    medium = studio.models.medium(record)
    if record.status == "ready":
        card = studio.models.card(record.id, t.lang)
        markdown, datasheet = studio.models.card_markdown(card, t.lang, works_shown=DATASHEET_ROWS)
        # The Markdown names its neighbours in the model's folder; on the page they live at other addresses.
        markdown = markdown.replace(f"](datasheet.{t.lang}.md)", "](#datasheet)")
        datasheet = datasheet.replace("(`datasheet.md`)", f"([datasheet.{t.lang}.md](/models/{record.id}/datasheet.md))")
        if card["model"].get("loss_curve"):
            markdown = markdown.replace(f"]({card['model']['loss_curve']})", f"](/models/{record.id}/loss.png)")
        card_html = _markdown.render(markdown)
        datasheet_html = _markdown.render(datasheet)
    has_plot = studio.layout.model_plot(record.id).is_file()
    images = image_model_view(studio, record) if medium == "image" else None  # pictures, not text: their own view
    samples = [] if images else [_sample_view(studio, s, medium) for s in reversed(studio.models.samples(record)[-12:])]
    steering = model_steering(studio, record) if record.status == "ready" and not images else None
    return render(request, "model.html", {"model": record, "withdrawn": withdrawn, "card_html": card_html,
                                          "datasheet_html": datasheet_html, "has_plot": has_plot, "medium": medium,
                                          "samples": samples, "steering": steering, "images": images,
                                          "publish_formats": PUBLISH_FORMATS})  # fmt: skip


def _sample_view(studio: Studio, sample: SampleRecord, medium: str) -> dict:
    """A sample as the page lists it: its text (a score's event text is not for reading) and its files."""
    path = studio.root / sample.path
    names = {p.name for p in path.parent.glob(path.stem + ".*") if SAMPLE_FILE.fullmatch(p.name)}
    order = ("wav", "mid", "musicxml", "svg", "fountain", "txt")
    files = [{"name": n, "kind": n.rsplit(".", 1)[1], "provenance": n + ".provenance.json" in names and n + ".provenance.json"}
             for n in sorted(names, key=lambda n: order.index(n.rsplit(".", 1)[1]) if not n.endswith(".json") else 9)
             if not n.endswith(".json")]  # fmt: skip
    text = None if medium == "music" or not path.is_file() else path.read_text("utf-8", errors="replace")
    return {"id": sample.id, "created_at": sample.created_at, "prompt": sample.prompt, "params": sample.params,
            "seed": sample.seed, "text": text, "files": files,
            "audio": next((f["name"] for f in files if f["kind"] == "wav"), None)}  # fmt: skip


# What /samples/ serves: the files generation writes, by their generated names only.
SAMPLE_FILE = re.compile(r"g[0-9a-f]{10}\.(txt|fountain|mid|musicxml|wav|svg|png|sheet\.png)(\.provenance\.json)?")
SAMPLE_TYPES = {"txt": "text/plain; charset=utf-8", "fountain": "text/plain; charset=utf-8", "mid": "audio/midi",
                "musicxml": "application/vnd.recordare.musicxml+xml", "wav": "audio/wav", "json": "application/json",
                "svg": "image/svg+xml", "png": "image/png"}


@router.get("/samples/{name}")
def sample_file(name: str, studio: Studio = StudioDep) -> Response:
    path = studio.layout.sample(name)
    if not SAMPLE_FILE.fullmatch(name) or not path.is_file():
        raise ModelNotFound(f"no generated file {name!r} in this studio")
    download = {} if name.endswith((".wav", ".txt", ".svg", ".png")) else {"filename": name}
    return FileResponse(path, media_type=SAMPLE_TYPES[name.rsplit(".", 1)[1]], **download)


@router.get("/models/{ref}/samples/{sample_id}")
def sample_page(ref: str, sample_id: str, request: Request, studio: Studio = StudioDep):
    """A music sample: its engraved score inline (the studio's own SVG), its sound, the bar being played highlighted."""
    t = translator(request)
    record = studio.models.get(ref, ready_only=False)
    sample = next((s for s in studio.models.samples(record) if s.id == sample_id), None)
    if sample is None:
        raise ModelNotFound(f"model {record.id} has no sample {sample_id!r}")
    if studio.models.medium(record) != "music":
        raise said(ModelNotFound(t("sample_not_music", id=sample.id)))
    score, failure = None, None
    try:
        score = studio.models.score(sample.id)
    except OuvroirError as exc:  # a damaged file: the page still plays the sound and says why there is no score
        failure = str(exc)
    view = _sample_view(studio, sample, "music")
    return render(request, "sample.html", {"model": record, "sample": view, "score": score, "failure": failure,
                                           "score_svg": Markup(score.svg) if score else None})  # fmt: skip


@router.post("/models/{ref}/generate")
async def generate(ref: str, request: Request, studio: Studio = StudioDep) -> Response:
    """Generate samples (music models: MIDI, MusicXML and WAV too); each is stored with its provenance."""
    from ...workshop import GenerationParams

    form = await form_data(request)
    record = studio.models.get(ref)
    medium = studio.models.medium(record)
    if medium == "image":
        return await _generate_images(request, studio, record, form)
    try:
        count = max(1, min(8, int(form.get("n") or 1)))
        params = GenerationParams(max_tokens=max(1, min(2000, int(form.get("max_tokens") or 200))),
                                  temperature=max(0.0, min(2.0, float(form.get("temperature") or 0.8))))  # fmt: skip
    except ValueError as exc:
        raise said(OuvroirError(translator(request)("bad_number", detail=exc))) from None
    # A multiple choice (several authors, mixed) comes as repeated fields of a form, as a list in JSON.
    posted_json = request.headers.get("content-type", "").startswith("application/json")
    controls = controls_from(form.get("controls")) if posted_json else controls_from_form(await request.form())
    # Generation takes seconds: in a worker thread, so the studio keeps answering meanwhile.
    prompt = str(form.get("prompt") or "")
    samples = await run_in_threadpool(lambda: studio.models.generate(record.id, prompt, count, params,
                                                                     render_audio=medium == "music",
                                                                     controls=controls))  # fmt: skip
    if wants_json(request):
        return JSONResponse({"samples": [_sample_view(studio, s, medium) for s in samples]})
    return RedirectResponse(f"/models/{record.id}#samples", status_code=303)


async def _generate_images(request: Request, studio: Studio, record, form: dict) -> Response:
    """PNG samples (each signed, C2PA embedded) and their contact sheet, from an image model."""
    try:
        settings = image_generation_settings(form)
    except ValueError as exc:
        raise said(OuvroirError(translator(request)("bad_number", detail=exc))) from None
    made = lambda: studio.models.generate(record.id, "", settings["n"], None, seed=settings["seed"],  # noqa: E731
                                          steps=settings["steps"])  # fmt: skip
    samples = await run_in_threadpool(made)  # seconds: the studio keeps answering meanwhile
    if wants_json(request):
        return JSONResponse({"samples": [{"id": s.id, "file": Path(s.path).name, "seed": s.seed} for s in samples],
                             "sheet": Path(samples[0].path).with_suffix(".sheet.png").name})  # fmt: skip
    return RedirectResponse(f"/models/{record.id}#samples", status_code=303)


@router.get("/models/{ref}/loss.png")
def loss_plot(ref: str, studio: Studio = StudioDep) -> Response:
    record = studio.models.get(ref, ready_only=False)
    path = studio.layout.model_plot(record.id)
    if not path.is_file():
        raise ModelNotFound(f"model {record.id} has no learning curve yet")
    return FileResponse(path, media_type="image/png")


@router.get("/models/{ref}/card.md")
def card_markdown(ref: str, request: Request, studio: Studio = StudioDep) -> Response:
    files = studio.models.write_card(ref, translator(request).lang)
    return FileResponse(files.card_md, media_type="text/markdown; charset=utf-8", filename=files.card_md.name)


@router.get("/models/{ref}/datasheet.md")
def datasheet_markdown(ref: str, request: Request, studio: Studio = StudioDep) -> Response:
    """The whole datasheet, every work listed (the page shows the first ones)."""
    files = studio.models.write_card(ref, translator(request).lang)
    return FileResponse(files.datasheet_md, media_type="text/markdown; charset=utf-8",
                        filename=files.datasheet_md.name)  # fmt: skip


@router.post("/models/{ref}/rename")
async def rename(ref: str, request: Request, studio: Studio = StudioDep) -> Response:
    form = await form_data(request)
    record = studio.models.rename(ref, str(form.get("name") or ""))
    if wants_json(request):
        return JSONResponse({"id": record.id, "name": record.name})
    return RedirectResponse(f"/models/{record.id}", status_code=303)


@router.post("/models/{ref}/retrain")
def retrain(ref: str, request: Request, studio: Studio = StudioDep) -> Response:
    record = studio.models.get(ref, ready_only=False)
    return job_started(request, request.app.state.jobs.start("train", {"retrain": record.id}), "/train")


@router.post("/models/{ref}/export")
def export(ref: str, studio: Studio = StudioDep) -> Response:
    """The model as a Hugging Face folder with its signed provenance.json, zipped for download."""
    record = studio.models.get(ref)
    scratch = Path(tempfile.mkdtemp(prefix="ouvroir-export-"))
    try:
        folder = studio.models.export(record.id, scratch / f"ouvroir-{record.id}")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(scratch).as_posix())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    name = f"ouvroir-{record.id}-hf.zip"
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"content-disposition": f'attachment; filename="{name}"'})  # fmt: skip
