"""The audit page: audit a model, audit any pasted text against the corpus, read the reports."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from ...errors import AuditError
from ...fileio import atomic_write
from ...workshop import Studio
from ..shared import StudioDep, form_data, job_started, render, said, translator
from ..security import REPORT_POLICY
from .images import image_accept

router = APIRouter()
MAX_PASTE_CHARS = 2_000_000
REPORT_TYPES = {"report.html": "text/html; charset=utf-8", "audit.json": "application/json",
                "provenance.json": "application/json"}  # fmt: skip


@router.get("/audit")
def audit_page(request: Request, studio: Studio = StudioDep):
    t = translator(request)
    jobs = request.app.state.jobs
    recent = [j for j in jobs.list() if j.kind.startswith("audit")][:1]
    models = studio.models.ready()
    return render(request, "audit.html", {
        "models": models, "audits": studio.audits.all(), "current": recent[0] if recent else None,
        "has_images": bool(studio.works(medium="image", limit=1)), "image_accept": image_accept(),
        "strings": t.strings("job_running", "job_finished", "job_failed", "job_stopped", "job_interrupted",
                             "open_report", "step", "train_loss", "best_val", "tokens_per_s", "time_left"),
    })  # fmt: skip


@router.post("/audit/model")
async def audit_model(request: Request, studio: Studio = StudioDep) -> Response:
    form = await form_data(request)
    ref = form.get("model")
    record = studio.models.get(ref) if ref else studio.models.default_for()
    try:
        samples = max(1, min(50, int(form.get("samples") or 4)))
    except ValueError:
        raise said(AuditError(translator(request)("bad_samples"))) from None
    job = request.app.state.jobs.start("audit-model", {"model": record.id, "samples": samples,
                                                       "lang": translator(request).lang,
                                                       "reuse": bool(form.get("reuse"))})  # fmt: skip
    return job_started(request, job, "/audit")


@router.post("/audit/text")
async def audit_text(request: Request, studio: Studio = StudioDep) -> Response:
    """Audit pasted text: it is saved as a file for the job (the report names it) and compared with every work."""
    t = translator(request)
    form = await form_data(request)
    text = str(form.get("text") or "")
    if not text.strip():
        raise said(AuditError(t("empty_text")))
    if len(text) > MAX_PASTE_CHARS:
        raise said(AuditError(t("text_too_long", n=t.integer(MAX_PASTE_CHARS))))
    name = re.sub(r"[^\w .,'’()-]+", "_", str(form.get("title") or "").strip())[:80].strip(" .") or "texte"
    path = studio.layout.job_input(name)
    atomic_write(path, text.encode("utf-8"))
    job = request.app.state.jobs.start("audit-texts", {"paths": [str(path)], "lang": t.lang})
    return job_started(request, job, "/audit")


@router.get("/audit/{audit_id}")
def report_page(audit_id: str, request: Request, studio: Studio = StudioDep):
    return render(request, "report.html", {"audit": studio.audits.get(audit_id)})


@router.get("/audit/{audit_id}/{name}")
def report_file(audit_id: str, name: str, studio: Studio = StudioDep) -> Response:
    path = studio.audits.file(audit_id, name)
    headers = {"content-security-policy": REPORT_POLICY} if name == "report.html" else {}
    return FileResponse(path, media_type=REPORT_TYPES[name], headers=headers)
