"""The web studio's Stop ends a job even when the interrupt is swallowed on its way.

torch's optimizer imports ``torch._dynamo`` lazily, for seconds on a busy machine,
and a KeyboardInterrupt that lands inside that import can vanish there: the job
then trained on to the end of its budget while the page said "stopping". These
jobs swallow the interrupt on purpose, as such a library would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ouvroir import Studio
from ouvroir.fileio import atomic_write
from ouvroir.layout import StudioLayout
from ouvroir.web.jobs import JobRunner

SWALLOWING_JOB = """
import sys, time
from types import SimpleNamespace
from ouvroir.web import worker

worker.STOP_GRACE_S = 2.0

def run(studio, kind, params, events):
    events.emit("stage", message="working")
    try:
        time.sleep(60)
    except KeyboardInterrupt:
        pass  # a library that swallows Ctrl-C
    if params["reports_progress"]:  # as a training step does
        events.progress(SimpleNamespace(event="eval", step=1, train_loss=1.0, val_bpb=1.0, best_val_bpb=1.0,
                                        tokens_per_s=1.0, elapsed_s=1.0, seconds_left=1.0))
    time.sleep(60)
    return {}

worker.run = run
sys.exit(worker.main(sys.argv[1:]))
"""


def start(studio_dir: Path, job_id: str, reports_progress: bool) -> subprocess.Popen:
    layout = StudioLayout(studio_dir)
    layout.jobs.mkdir(parents=True, exist_ok=True)
    spec = {"id": job_id, "kind": "train", "params": {"reports_progress": reports_progress}, "started_at": "now"}
    atomic_write(layout.job_spec(job_id), json.dumps(spec).encode())
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parents[1])}
    return subprocess.Popen([sys.executable, "-c", SWALLOWING_JOB, str(studio_dir), job_id], env=env)


def wait_until_working(runner: JobRunner, job_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(e.get("message") == "working" for e in runner.follow(job_id)[1]):
            return
        time.sleep(0.05)
    raise AssertionError("the job never started working")


@pytest.mark.parametrize("reports_progress", [True, False], ids=["at-its-next-report", "at-the-last-resort"])
def test_a_stop_swallowed_by_a_library_still_ends_the_job(studio_dir: Path, reports_progress: bool):
    with Studio.init(studio_dir, owner="Ada Martin"):
        pass
    runner = JobRunner(studio_dir)
    job_id = "jswallow1"
    process = start(studio_dir, job_id, reports_progress)
    try:
        wait_until_working(runner, job_id)
        stopped_at = time.monotonic()
        os.kill(process.pid, signal.SIGINT)
        os.kill(process.pid, signal.SIGINT)  # a second press of Stop changes nothing
        assert process.wait(30) == 130
        took = time.monotonic() - stopped_at
    finally:
        process.kill()
    job, events = runner.follow(job_id)
    assert job.state == "stopped"
    assert [e["event"] for e in events].count("stopped") == 1
    if reports_progress:
        assert took < 2.0, "the next report should have ended it, before the last resort"
        assert "progress" not in [e["event"] for e in events]
    else:
        assert took >= 2.0
