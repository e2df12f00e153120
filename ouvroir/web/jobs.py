"""Long work started from the web studio (training, audits), each in a process of its own.

A job is a worker process (``python -m ouvroir.web.worker``) that writes its
progress as JSON lines in ``jobs/<id>.events.jsonl`` in the studio. A process of
its own keeps the page answering while a model trains on every core, lets
"Stop" interrupt it the way Ctrl-C does on the command line (the model keeps its
last checkpoint and can be resumed), and lets the command line see the same
files. One job runs at a time: two trainings on a laptop's cores would each go
at half speed.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import OuvroirError
from ..fileio import atomic_write
from ..layout import StudioLayout
from ..workshop import now

TERMINAL = frozenset({"finished", "failed", "stopped"})
KINDS = frozenset({"train", "audit-model", "audit-texts", "audit-images"})


class JobError(OuvroirError):
    """A job cannot start, or there is no such job."""

    http_status = 409


@dataclass
class Job:
    id: str
    kind: str
    params: dict
    started_at: str
    state: str  # running | finished | failed | stopped | interrupted
    result: dict

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "params": self.params, "started_at": self.started_at,
                "state": self.state, "result": self.result}  # fmt: skip


class JobRunner:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.layout = StudioLayout(self.root)
        self.folder = self.layout.jobs
        self._processes: dict[str, subprocess.Popen] = {}
        self._starting = threading.Lock()  # two tabs pressing "Start" at once still start one job

    def start(self, kind: str, params: dict) -> Job:
        if kind not in KINDS:
            raise JobError(f"unknown job kind {kind!r}")
        with self._starting:
            return self._start(kind, params)

    def _start(self, kind: str, params: dict) -> Job:
        running = self.running()
        if running is not None:
            raise JobError(f"a job is already running ({running.kind}, {running.id}): wait for it or stop it first")
        job_id = "j" + secrets.token_hex(5)
        spec = {"id": job_id, "kind": kind, "params": params, "started_at": now()}
        atomic_write(self.layout.job_spec(job_id), json.dumps(spec, ensure_ascii=False, indent=1).encode())
        log = open(self.layout.job_log(job_id), "ab")
        try:
            self._processes[job_id] = subprocess.Popen(
                [sys.executable, "-m", "ouvroir.web.worker", str(self.root), job_id],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        finally:
            log.close()
        return self.get(job_id)

    def stop(self, job_id: str) -> Job:
        """Interrupt a running job as Ctrl-C would; a training keeps its last checkpoint."""
        job, events = self.follow(job_id)
        pid = self._pid(job_id, events)
        if job.state != "running" or pid is None:
            raise JobError(f"job {job_id} is not running")
        os.kill(pid, signal.SIGINT)
        return self.get(job_id)

    def _pid(self, job_id: str, events: list[dict]) -> int | None:
        process = self._processes.get(job_id)
        if process is not None:
            return process.pid
        started = next((e for e in events if e.get("event") == "started"), None)
        return started.get("pid") if started else None

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        process = self._processes.get(job_id)
        if process is not None:
            process.wait(timeout)
        return self.get(job_id)

    def _events(self, job_id: str) -> list[dict]:
        """The job's events (a line still being written is left for next time)."""
        path = self.layout.job_events(_checked(job_id))
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return []
        lines = data.split(b"\n")[:-1]  # the part after the last newline is not a whole event yet
        return [json.loads(line) for line in lines if line.strip()]

    def get(self, job_id: str) -> Job:
        return self.follow(job_id)[0]

    def follow(self, job_id: str, after: int = 0) -> tuple[Job, list[dict]]:
        """The job and its events from index ``after`` on, from one reading of its files."""
        path = self.layout.job_spec(_checked(job_id))
        try:
            spec = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise JobError(f"no job {job_id}") from None
        events = self._events(job_id)
        last = next((e for e in reversed(events) if e.get("event") in TERMINAL), None)
        result = dict(last or {})
        for event in events:  # what the job made known before it ended (the model id of a training)
            if event.get("event") == "model":
                result.setdefault("model_id", event["model_id"])
        if last is not None:
            state = last["event"]
        elif self._alive(job_id, events):
            state = "running"
        else:
            state = "interrupted"
        return Job(spec["id"], spec["kind"], spec["params"], spec["started_at"], state, result), events[after:]

    def list(self, kind: str | None = None) -> list[Job]:
        if not self.folder.is_dir():
            return []
        jobs = []
        for path in self.folder.glob("j*.json"):
            try:
                job = self.get(path.stem)
            except (JobError, ValueError, KeyError):
                continue  # a spec half-written by a crash: not a job anyone can act on
            if kind is None or job.kind == kind:
                jobs.append(job)
        return sorted(jobs, key=lambda j: j.started_at, reverse=True)

    def running(self) -> Job | None:
        return next((j for j in self.list() if j.state == "running"), None)

    def _alive(self, job_id: str, events: list[dict]) -> bool:
        process = self._processes.get(job_id)
        if process is not None:
            return process.poll() is None
        # Started by another server on this studio (or an earlier one): alive if its worker still runs.
        pid = self._pid(job_id, events)
        return pid is not None and _is_worker(pid, job_id)

    def shutdown(self) -> None:
        """Interrupt every job this server started (the studio is closing)."""
        for process in self._processes.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGINT)
        for process in self._processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def _is_worker(pid: int, job_id: str) -> bool:
    """Whether process ``pid`` is the worker of ``job_id`` (a reused pid belongs to something else)."""
    if Path("/proc/self").exists():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()  # empty for a zombie: it has ended
        except OSError:
            return False
        return b"ouvroir.web.worker" in cmdline and job_id.encode() in cmdline
    try:  # no /proc (macOS): whether the pid exists is the best we can tell
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _checked(job_id: str) -> str:
    if not (job_id.startswith("j") and job_id[1:].isalnum() and len(job_id) <= 20):
        raise JobError(f"no job {job_id}")
    return job_id
