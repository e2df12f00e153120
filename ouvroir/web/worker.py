"""A job of the web studio, run in a process of its own: ``python -m ouvroir.web.worker STUDIO JOB``.

It reads ``jobs/<JOB>.json`` (kind and parameters) and appends its progress to
``jobs/<JOB>.events.jsonl``, one JSON object per line, ending with a
``finished``, ``failed`` or ``stopped`` event. SIGINT (the page's "Stop")
ends it as Ctrl-C ends the command line.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from ..errors import OuvroirError, environment_failure
from ..layout import StudioLayout
from ..workshop import Studio, now

LOG_EVERY_S = 0.5


class Events:
    def __init__(self, path: Path) -> None:
        self.file = open(path, "a", encoding="utf-8")
        self.last_log = 0.0

    def emit(self, event: str, **fields) -> None:
        self.file.write(json.dumps({"event": event, "at": now()} | fields, ensure_ascii=False) + "\n")
        self.file.flush()

    def progress(self, p) -> None:
        moment = time.monotonic()
        if p.event == "log" and moment - self.last_log < LOG_EVERY_S:
            return  # a step takes milliseconds; the page needs a few points a second
        self.last_log = moment
        self.emit("progress", kind=p.event, step=p.step, train_loss=p.train_loss, val_bpb=p.val_bpb,
                  train_bpb=getattr(p, "train_bpb", None),  # the page shows train and validation in bits per byte
                  best_val_bpb=p.best_val_bpb, tokens_per_s=p.tokens_per_s, elapsed_s=p.elapsed_s,
                  seconds_left=p.seconds_left)  # fmt: skip


def run(studio: Studio, kind: str, params: dict, events: Events) -> dict:
    if kind == "train":
        callbacks = {"on_progress": events.progress, "on_stage": lambda message: events.emit("stage", message=message),
                     "on_model": lambda model_id: events.emit("model", model_id=model_id)}  # fmt: skip
        if params.get("retrain"):
            record = studio.models.retrain(params["retrain"], **callbacks)
        else:
            record = studio.models.train(size=params.get("size"), minutes=params.get("minutes"),
                                         steps=params.get("steps"), seed=params.get("seed", 0),
                                         resume=params.get("resume"), medium=params.get("medium"), **callbacks)  # fmt: skip
        return {"model_id": record.id, "val_bpb": record.val_bpb, "steps": record.steps}
    from ..workshop import AuditOptions  # the audit loads only for an audit job

    options = AuditOptions(samples=params.get("samples", 4), lang=params.get("lang", "fr"),
                           max_tokens=params.get("max_tokens", 200))  # fmt: skip
    stage = lambda message: events.emit("stage", message=message)  # noqa: E731
    if kind == "audit-model":
        outcome = studio.audits.model(params.get("model"), options, stage)
        return {"audit_id": outcome.id}
    outcome, skipped = studio.audits.texts([Path(p) for p in params["paths"]], options, stage)
    return {"audit_id": outcome.id, "skipped": [f"{s.path.name}: {s.reason}" for s in skipped]}


def main(argv: list[str]) -> int:
    # A process started with SIGINT ignored (nohup, some service managers, a test runner) passes that on to
    # its children, and Python then leaves it ignored: "Stop" must interrupt the job all the same.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    root, job_id = Path(argv[0]), argv[1]
    layout = StudioLayout(root)
    spec = json.loads(layout.job_spec(job_id).read_text("utf-8"))
    events = Events(layout.job_events(job_id))
    events.emit("started", pid=os.getpid())
    try:
        with Studio.open(root) as studio:
            result = run(studio, spec["kind"], spec["params"], events)
    except KeyboardInterrupt:
        events.emit("stopped")
        return 130
    except OuvroirError as exc:
        events.emit("failed", message=str(exc))
        return 1
    except Exception as exc:  # noqa: BLE001  (the page shows the reason; the log keeps the traceback)
        traceback.print_exc()
        failure = environment_failure(exc)  # a full disk, no memory: the line a person can act on
        events.emit("failed", message=str(failure) if failure else f"{type(exc).__name__}: {exc}")
        return 1
    events.emit("finished", **result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
