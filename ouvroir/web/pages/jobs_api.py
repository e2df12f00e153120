"""Job endpoints shared by the train and audit pages: list, follow, stop."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ...i18n.stages import STAGES, stage_text
from ...i18n.web import WEB
from ..shared import translator

router = APIRouter()


def in_language(lang: str, event: dict) -> dict:
    """A stage or a failure with ``text`` in the page's language (``message`` is the terminal's English line).

    A failure whose message has no key in the catalogue is said by its kind ("L’entraînement ne peut pas
    commencer ou continuer.") with the library's line as ``detail``, as the error page does.
    """
    if event.get("event") == "stage":
        event["text"] = stage_text(lang, event.get("key"), event.get("values"), event.get("message", ""))
    elif event.get("event") == "failed":
        message = event.get("message", "")
        if event.get("key") in STAGES[lang]:
            event["text"] = stage_text(lang, event["key"], event.get("values"), message)
        elif lang == "en" or event.get("error") not in WEB[lang]:
            event["text"] = message
        else:
            event["text"], event["detail"] = WEB[lang][event["error"]], message
    return event


@router.get("/jobs")
def jobs_list(request: Request, kind: str | None = None) -> JSONResponse:
    """The jobs (of ``kind``), latest first: the train page keeps its table of recent runs current with it."""
    lang = translator(request).lang
    jobs = [job.as_dict() for job in request.app.state.jobs.list(kind)]
    for job in jobs:  # a failed job's result is its failed event: said in the page's language too
        in_language(lang, job["result"])
    return JSONResponse({"jobs": jobs})


@router.get("/jobs/{job_id}")
def job_events(job_id: str, request: Request, after: int = 0) -> JSONResponse:
    """The job's state and its events from ``after`` on: the page polls this while the job runs."""
    job, events = request.app.state.jobs.follow(job_id, max(0, after))
    lang = translator(request).lang
    for event in events:
        in_language(lang, event)
    answer = job.as_dict()
    in_language(lang, answer["result"])
    return JSONResponse({"job": answer, "events": events, "next": max(0, after) + len(events)})


@router.post("/jobs/{job_id}/stop")
def stop_job(job_id: str, request: Request) -> JSONResponse:
    return JSONResponse({"job": request.app.state.jobs.stop(job_id).as_dict()})
