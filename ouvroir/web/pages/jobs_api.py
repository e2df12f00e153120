"""Job endpoints shared by the train and audit pages: follow, stop."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter()


@router.get("/jobs/{job_id}")
def job_events(job_id: str, request: Request, after: int = 0) -> JSONResponse:
    """The job's state and its events from ``after`` on: the page polls this while the job runs."""
    job, events = request.app.state.jobs.follow(job_id, max(0, after))
    return JSONResponse({"job": job.as_dict(), "events": events, "next": max(0, after) + len(events)})


@router.post("/jobs/{job_id}/stop")
def stop_job(job_id: str, request: Request) -> JSONResponse:
    return JSONResponse({"job": request.app.state.jobs.stop(job_id).as_dict()})
