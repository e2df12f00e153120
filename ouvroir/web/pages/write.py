"""The write page (co-creation): an editor where the person writes and asks the model for continuations.

The browser sends each change as ops in code-point offsets; the studio applies
them to the document's authorship ledger (``ouvroir.cocreate``), which decides
who wrote every character, and answers with the text, the spans and the summary
that the page shows. Undo and redo run in the studio too, so they restore
authorship exactly.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ...errors import DocumentError
from ...workshop import PUBLISH_FORMATS, ModelRecord, Studio
from ..shared import StudioDep, render, translator
from .steering import constraint_from, controls_from, in_page_language, model_steering

router = APIRouter()


def _text_models(studio: Studio) -> list[ModelRecord]:
    return list(reversed(studio.models.ready("text")))


@router.get("/write")
def documents_page(request: Request, model: str = "", studio: Studio = StudioDep):
    return render(request, "write_list.html", {"documents": studio.documents.all(), "model": model})


@router.post("/write/new")
async def new_document(request: Request, studio: Studio = StudioDep) -> Response:
    t = translator(request)
    form = await request.form()
    title = str(form.get("title") or "").strip() or t("untitled")
    doc = studio.documents.create(title, lang=t.lang)
    model = str(form.get("model") or "")
    return RedirectResponse(f"/write/{doc.id}" + (f"?model={model}" if model.isalnum() else ""), status_code=303)


@router.get("/write/{doc_id}")
def editor(doc_id: str, request: Request, model: str = "", studio: Studio = StudioDep):
    t = translator(request)
    doc = studio.documents.get(doc_id)
    models = _text_models(studio)
    withdrawn = {m.id for m in models if studio.models.withdrawals(m)}
    strings = t.strings("cat_written", "cat_generated", "cat_edited", "accept", "reject", "thinking", "saved",
                        "saving", "conflict", "at_cursor", "by_model", "undo", "redo", "control_author", "control_form",
                        "control_any", "controls_mix", "controls_none", "infill_none", "rewrite_select_first",
                        "rewrite_replacing", "rewrite_choose", "rewrite_unfinished", "rewrites_title", "rewrite_entry",
                        "unmet_some")  # fmt: skip
    return render(request, "write.html", {
        "doc": doc, "state": doc.as_dict(), "models": models, "withdrawn": withdrawn,
        "model": model if any(m.id == model for m in models) else (models[0].id if models else ""),
        "formats": list(studio.documents.FORMATS), "publish_formats": PUBLISH_FORMATS, "strings": strings,
        "steering": {m.id: model_steering(studio, m) for m in models},
    })  # fmt: skip


async def _json(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise DocumentError("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise DocumentError("the request body must be a JSON object")
    return body


@router.get("/write/{doc_id}/state")
def state(doc_id: str, studio: Studio = StudioDep) -> JSONResponse:
    return JSONResponse(studio.documents.get(doc_id).as_dict())


@router.post("/write/{doc_id}/ops")
async def apply_ops(doc_id: str, request: Request, studio: Studio = StudioDep) -> JSONResponse:
    body = await _json(request)
    # A suggestion from a model whose works' consent was withdrawn is refused unless the page says so explicitly.
    allow = body.get("allow_withdrawn") is True
    with in_page_language(request):  # a rewrite whose surroundings changed since it was written
        doc = studio.documents.apply(doc_id, body.get("version"), body.get("ops"), allow_withdrawn=allow)
    return JSONResponse(doc.as_dict())


@router.post("/write/{doc_id}/undo")
async def undo(doc_id: str, request: Request, studio: Studio = StudioDep) -> JSONResponse:
    body = await _json(request)
    return JSONResponse(studio.documents.undo(doc_id, body.get("version")).as_dict())


@router.post("/write/{doc_id}/redo")
async def redo(doc_id: str, request: Request, studio: Studio = StudioDep) -> JSONResponse:
    body = await _json(request)
    return JSONResponse(studio.documents.redo(doc_id, body.get("version")).as_dict())


@router.post("/write/{doc_id}/rename")
async def rename(doc_id: str, request: Request, studio: Studio = StudioDep) -> JSONResponse:
    body = await _json(request)
    return JSONResponse(studio.documents.rename(doc_id, body.get("version"), body.get("title")).as_dict())


@router.post("/write/{doc_id}/suggest")
async def suggest(doc_id: str, request: Request, studio: Studio = StudioDep) -> JSONResponse:
    body = await _json(request)
    with in_page_language(request):
        controls, constraint = controls_from(body.get("controls")), constraint_from(body.get("constraint"))
        # Generation takes seconds: in a worker thread, so the studio keeps answering other requests meanwhile.
        suggestions = await run_in_threadpool(
            studio.documents.suggest, doc_id, body.get("cursor"), n=body.get("n", 1),
            max_tokens=body.get("max_tokens", 60), temperature=body.get("temperature", 0.8),
            model_ref=body.get("model") or None, controls=controls, constraint=constraint,
        )  # fmt: skip
    return JSONResponse({"suggestions": [s.as_dict() for s in suggestions], "unmet": suggestions.unmet})


@router.post("/write/{doc_id}/rewrite")
async def rewrite(doc_id: str, request: Request, studio: Studio = StudioDep) -> JSONResponse:
    """Candidates for the selection ``start``–``end``; the page accepts one as an ``accept`` op over the selection."""
    body = await _json(request)
    with in_page_language(request):
        candidates = await run_in_threadpool(
            studio.documents.rewrite, doc_id, body.get("start"), body.get("end"), n=body.get("n", 3),
            max_tokens=body.get("max_tokens", 60), temperature=body.get("temperature", 0.8),
            model_ref=body.get("model") or None, controls=controls_from(body.get("controls")),
            version=body.get("version"),
        )  # fmt: skip
    return JSONResponse({"candidates": [c.as_dict() for c in candidates], "start": body["start"], "end": body["end"]})


@router.post("/write/{doc_id}/export")
async def export(doc_id: str, request: Request, studio: Studio = StudioDep) -> Response:
    """The document in one format with its signed provenance sidecar, zipped together for download."""
    form = await request.form()
    fmt = str(form.get("format") or "md")
    scratch = Path(tempfile.mkdtemp(prefix="ouvroir-doc-"))
    try:
        path = studio.documents.export(doc_id, fmt, scratch, translator(request).lang)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(scratch.iterdir()):
                archive.write(file, file.name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    name = f"{path.name}.zip"
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"content-disposition": f'attachment; filename="{name}"'})  # fmt: skip
