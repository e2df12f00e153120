"""Publish from the web studio: a co-written document or a text sample, in the formats the person ticks,
downloaded as one zip of the files and their signed sidecars (``workshop.publishing``, as ``ouvroir publish``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ...errors import ModelNotFound
from ...workshop import Studio, publish_archive
from ..shared import StudioDep, translator

router = APIRouter()


async def _archive(request: Request, studio: Studio, ref: str) -> Response:
    form = await request.form()
    formats = [str(f) for f in form.getlist("formats")]
    # Rendering a PDF takes a moment: in a worker thread, so the studio keeps answering meanwhile.
    name, data = await run_in_threadpool(publish_archive, studio, ref, formats, translator(request).lang)
    return Response(data, media_type="application/zip",
                    headers={"content-disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.post("/write/{doc_id}/publish")
async def publish_document(doc_id: str, request: Request, studio: Studio = StudioDep) -> Response:
    return await _archive(request, studio, doc_id)


@router.post("/models/{ref}/samples/{sample_id}/publish")
async def publish_sample(ref: str, sample_id: str, request: Request, studio: Studio = StudioDep) -> Response:
    record = studio.models.get(ref, ready_only=False)
    if not any(s.id == sample_id for s in studio.models.samples(record)):
        raise ModelNotFound(f"model {record.id} has no sample {sample_id!r}")
    return await _archive(request, studio, sample_id)
