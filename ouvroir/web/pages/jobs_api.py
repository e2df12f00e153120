"""Job endpoints shared by the train and audit pages: list, follow, stop."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ...i18n.stages import stage_text
from ..shared import translator

router = APIRouter()


@router.get("/jobs")
def jobs_list(request: Request, kind: str | None = None) -> JSONResponse:
    """The jobs (of ``kind``), latest first: the train page keeps its table of recent runs current with it."""
    return JSONResponse({"jobs": [job.as_dict() for job in request.app.state.jobs.list(kind)]})


@router.get("/jobs/{job_id}")
def job_events(job_id: str, request: Request, after: int = 0) -> JSONResponse:
    """The job's state and its events from ``after`` on: the page polls this while the job runs."""
    job, events = request.app.state.jobs.follow(job_id, max(0, after))
    lang = translator(request).lang
    for event in events:  # each stage in the page's language, from its key (the message is the terminal's line)
        if event.get("event") == "stage":
            event["text"] = stage_text(lang, event.get("key"), event.get("values"), event.get("message", ""))
    return JSONResponse({"job": job.as_dict(), "events": events, "next": max(0, after) + len(events)})


@router.post("/jobs/{job_id}/stop")
def stop_job(job_id: str, request: Request) -> JSONResponse:
    return JSONResponse({"job": request.app.state.jobs.stop(job_id).as_dict()})
