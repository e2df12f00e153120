"""A job of the web studio, run in a process of its own: ``python -m ouvroir.web.worker STUDIO JOB``.

It reads ``jobs/<JOB>.json`` (kind and parameters) and appends its progress to
``jobs/<JOB>.events.jsonl``, one JSON object per line, ending with a
``finished``, ``failed`` or ``stopped`` event. SIGINT (the page's "Stop")
ends it as Ctrl-C ends the command line.

A stop must stick: a KeyboardInterrupt that lands inside a library's import
(torch's optimizer loads ``torch._dynamo`` lazily, for seconds on a busy
machine) can be swallowed there, and the job would then train on to the end
of its budget. So a stop is also remembered: the next progress or stage
report raises it again, and if the process is still alive ``STOP_GRACE_S``
after the signal it records ``stopped`` and exits as a kill would (checkpoints
and the studio's database are written whole or not at all).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from ..errors import OuvroirError, environment_failure
from ..i18n.web import error_key
from ..layout import StudioLayout
from ..workshop import Studio, now

LOG_EVERY_S = 0.5
STOP_GRACE_S = 10.0
TERMINAL = frozenset({"finished", "failed", "stopped"})


class Events:
    def __init__(self, path: Path) -> None:
        self.file = open(path, "a", encoding="utf-8")
        self.last_log = 0.0
        self.lock = threading.Lock()  # the last-resort stop writes from its own thread: whole lines only
        self.ended = False
        self.stop_requested = False

    def emit(self, event: str, **fields) -> None:
        with self.lock:
            if self.ended:
                return  # one terminal event per job
            self.file.write(json.dumps({"event": event, "at": now()} | fields, ensure_ascii=False) + "\n")
            self.file.flush()
            self.ended = event in TERMINAL

    def stage(self, message: str) -> None:
        self.check_stop()
        # The key and values let the page say it in its own language (ouvroir.i18n.stages); the message is the log's.
        keyed = {"key": message.key, "values": message.values} if hasattr(message, "key") else {}
        self.emit("stage", message=str(message), **keyed)

    def check_stop(self) -> None:
        if self.stop_requested:
            raise KeyboardInterrupt  # the first one was swallowed somewhere below us

    def request_stop(self, signum=None, frame=None) -> None:
        """The SIGINT handler. A second Stop adds nothing: the first is remembered and will end the job."""
        if self.stop_requested:
            return
        self.stop_requested = True
        threading.Thread(target=self._stop_at_last, daemon=True, name="ouvroir-stop").start()
        raise KeyboardInterrupt

    def _stop_at_last(self) -> None:
        time.sleep(STOP_GRACE_S)
        self.emit("stopped")
        os._exit(130)

    def progress(self, p) -> None:
        self.check_stop()
        moment = time.monotonic()
        if p.event == "log" and moment - self.last_log < LOG_EVERY_S:
            return  # a step takes milliseconds; the page needs a few points a second
        self.last_log = moment
        if hasattr(p, "val_loss"):  # an image model: a velocity error (no bytes to count), images a second
            self.emit("progress", kind=p.event, medium="image", step=p.step, train_loss=p.train_loss,
                      val_loss=p.val_loss, best_val_loss=p.best_val_loss, images_per_s=p.images_per_s,
                      elapsed_s=p.elapsed_s, seconds_left=p.seconds_left)  # fmt: skip
            return
        self.emit("progress", kind=p.event, step=p.step, train_loss=p.train_loss, val_bpb=p.val_bpb,
                  train_bpb=getattr(p, "train_bpb", None),  # the page shows train and validation in bits per byte
                  best_val_bpb=p.best_val_bpb, tokens_per_s=p.tokens_per_s, elapsed_s=p.elapsed_s,
                  seconds_left=p.seconds_left)  # fmt: skip


def run(studio: Studio, kind: str, params: dict, events: Events) -> dict:
    if kind == "train":
        callbacks = {"on_progress": events.progress, "on_stage": events.stage,
                     "on_model": lambda model_id: events.emit("model", model_id=model_id)}  # fmt: skip
        if params.get("retrain"):
            record = studio.models.retrain(params["retrain"], **callbacks)
        elif params.get("base"):  # a pre-trained model on disk, fine-tuned (the page checked it before starting)
            record = studio.models.finetune(params["base"], method=params.get("method", "lora"), rank=params.get("rank"),
                                            minutes=params.get("minutes"), steps=params.get("steps"),
                                            seed=params.get("seed", 0),
                                            require_license=params.get("require_license", False), **callbacks)  # fmt: skip
            return {"model_id": record.id, "val_bpb": record.val_bpb, "steps": record.steps, "medium": "text",
                    "zero_shot_bpb": record.config["bpb"]["zero_shot"]}  # the base's figure, before fine-tuning
        else:
            image = {"resolution": params["resolution"]} if params.get("resolution") else {}  # an image model's
            record = studio.models.train(size=params.get("size"), minutes=params.get("minutes"),
                                         steps=params.get("steps"), seed=params.get("seed", 0),
                                         resume=params.get("resume"), medium=params.get("medium"),
                                         require_license=params.get("require_license", False), **image,
                                         **callbacks)  # fmt: skip
        if record.config.get("medium") == "image":  # no bytes to count: the flow's loss on held-out images
            return {"model_id": record.id, "val_loss": record.config.get("fit", {}).get("val_loss"),
                    "steps": record.steps, "medium": "image"}  # fmt: skip
        # the medium: the page offers to write with a text model only
        return {"model_id": record.id, "val_bpb": record.val_bpb, "steps": record.steps,
                "medium": studio.models.medium(record)}
    from ..workshop import AuditOptions  # the audit loads only for an audit job

    options = AuditOptions(samples=params.get("samples", 4), lang=params.get("lang", "fr"),
                           max_tokens=params.get("max_tokens", 200))  # fmt: skip
    stage = events.stage
    if kind == "audit-model":  # an image model generates the image audit's own number of samples (the form's is texts')
        from ..workshop import ImageAuditOptions

        outcome = studio.audits.model(params.get("model"), options, stage, reuse=params.get("reuse", False),
                                      image_options=ImageAuditOptions(lang=options.lang))  # fmt: skip
        return {"audit_id": outcome.id}
    if kind == "audit-images":  # pictures (a generator's outputs) against every image work of the studio
        from ..workshop import ImageAuditOptions

        outcome, skipped = studio.audits.images([Path(p) for p in params["paths"]],
                                                ImageAuditOptions(lang=params.get("lang", "fr")), stage)  # fmt: skip
        return {"audit_id": outcome.id, "skipped": [f"{s.path.name}: {s.reason}" for s in skipped]}
    outcome, skipped = studio.audits.texts([Path(p) for p in params["paths"]], options, stage)
    return {"audit_id": outcome.id, "skipped": [f"{s.path.name}: {s.reason}" for s in skipped]}


def failed(exc: BaseException, line: str | None = None) -> dict:
    """The failed event's fields: the library's English line, and what lets a page say it in its own language
    (the message's stage key when it is a Stage, else the sentence for the error's kind)."""
    message = exc.args[0] if exc.args else None
    keyed = {"key": message.key, "values": message.values} if hasattr(message, "key") else {}
    return {"message": line or str(exc), "error": error_key(exc), **keyed}


def main(argv: list[str]) -> int:
    root, job_id = Path(argv[0]), argv[1]
    layout = StudioLayout(root)
    spec = json.loads(layout.job_spec(job_id).read_text("utf-8"))
    events = Events(layout.job_events(job_id))
    # A process started with SIGINT ignored (nohup, some service managers, a test runner) passes that on to
    # its children: "Stop" must interrupt the job all the same, so the handler is always set.
    signal.signal(signal.SIGINT, events.request_stop)
    events.emit("started", pid=os.getpid())
    try:
        with Studio.open(root) as studio:
            result = run(studio, spec["kind"], spec["params"], events)
    except KeyboardInterrupt:
        events.emit("stopped")
        return 130
    except OuvroirError as exc:
        events.emit("failed", **failed(exc))
        return 1
    except Exception as exc:  # noqa: BLE001  (the page shows the reason; the log keeps the traceback)
        traceback.print_exc()
        failure = environment_failure(exc)  # a full disk, no memory: the line a person can act on
        events.emit("failed", **(failed(failure) if failure else failed(exc, f"{type(exc).__name__}: {exc}")))
        return 1
    events.emit("finished", **result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
