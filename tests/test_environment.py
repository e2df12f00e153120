"""When the machine fails, not the input: a full disk stops a batch with one line and leaves a resumable
model; no memory left or a file system error is one line at the command line, the web studio and its jobs."""

from __future__ import annotations

import errno
import json
import os
import random
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import ouvroir.learn.checkpoint as ckpt
import ouvroir.store.blobs as blobs
from ouvroir.workshop import training
from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import DISK_FULL, DiskFull
from ouvroir.store import models as model_store
from ouvroir.workshop.studio import Studio
from ouvroir.web import worker
from ouvroir.web.app import create_app, wrap
from ouvroir.web.security import CSRF_COOKIE

WORDS = "le vent la mer une rose sombre chante sous les arbres du jardin où l'aube passe lente".split()


def poem(seed: int, lines: int = 24) -> str:
    rng = random.Random(seed)
    return "\n".join(" ".join(rng.choice(WORDS) for _ in range(7)) for _ in range(lines))


def poems(folder: Path, n: int, lines: int = 24) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"poeme_{i:02d}.txt").write_text(poem(i, lines), "utf-8")
    return folder


def full_disk(monkeypatch: pytest.MonkeyPatch, module, after: int = 0, only: str | None = None) -> list[Path]:
    """Make ``module.<atomic write>`` fail as a full disk does, after ``after`` writes (of files named ``only``)."""
    name = "atomic_write" if hasattr(module, "atomic_write") else "atomic_write_bytes"
    real, written = getattr(module, name), []

    def write(path: Path, data: bytes, *args, **kwargs) -> None:
        if only is None or Path(path).name == only:
            if len(written) >= after:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            written.append(Path(path))
        real(path, data, *args, **kwargs)

    monkeypatch.setattr(module, name, write)
    return written


def test_add_on_a_full_disk_stops_the_batch_with_one_line(studio, run_cli, tmp_path, monkeypatch):
    folder = poems(tmp_path / "poemes", 30)
    written = full_disk(monkeypatch, blobs, after=5)  # a few works stored whole, then the disk is full
    result = run_cli("add", folder, "--consent", "train")
    assert result.exit_code == 1
    stored = sorted(studio.works(), key=lambda w: w.original_name)
    failed_on = f"poeme_{len(stored):02d}.txt"  # files go in name order: the batch stopped at the first failure
    assert [w.original_name for w in stored] == [f"poeme_{i:02d}.txt" for i in range(len(stored))] and written
    errors = [line for line in result.stderr.splitlines() if "disk full" in line or "error" in line.lower()]
    assert errors == [f"Error: disk full while adding {failed_on}: free space and run again"], result.stderr
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert studio.check().ok, studio.check().problems  # no half-stored work, no stray blob row
    assert not [p for p in (studio.root / "blobs").rglob("*.tmp")]


def test_training_on_a_full_disk_says_so_in_one_line_and_the_run_resumes(studio, tmp_path, monkeypatch):
    assert studio.add([poems(tmp_path / "poemes", 10, lines=30)], AddOptions(consent="train")).ok
    # The first checkpoint is written; the second meets a full disk.
    full_disk(monkeypatch, ckpt, after=1, only=ckpt.STATE)
    with pytest.raises(DiskFull) as caught:
        training.train_model(studio, size="tiny", steps=4, seed=3)
    message = str(caught.value)
    (model,) = model_store.list_models(studio.conn)
    assert message == (f"disk full while training model {model.id}: free space, then `ouvroir train --resume "
                       f"{model.id}` continues from its last checkpoint")
    assert model.status == "training"  # what `train --resume` and the web's "interrupted runs" take up
    folder = training.model_dir(studio, model.id)
    assert (folder / ckpt.STATE).exists() and not list(folder.glob("*.tmp"))
    monkeypatch.undo()  # space freed
    record = training.train_model(studio, resume=model.id)
    assert record.status == "ready" and record.steps == 4


def test_memory_and_file_system_errors_are_one_line_at_the_command_line(studio, run_cli, monkeypatch):
    def no_memory(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(Studio, "works", no_memory)
    result = run_cli("works")
    assert result.exit_code == 1 and result.stderr.startswith("Error: out of memory: ")
    assert len(result.stderr.splitlines()) == 1

    def unreadable(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/studio/ouvroir.sqlite")

    monkeypatch.setattr(Studio, "works", unreadable)
    result = run_cli("works")
    assert result.exit_code == 1
    assert result.stderr == "Error: system error: Permission denied (/studio/ouvroir.sqlite)\n"


def test_the_web_studio_answers_a_full_disk_and_no_memory_with_one_line(studio_dir, monkeypatch):
    Studio.init(studio_dir).close()
    client = TestClient(wrap(create_app(studio_dir), None), base_url="http://127.0.0.1", raise_server_exceptions=False)
    client.get("/corpus")
    full_disk(monkeypatch, blobs)
    answer = client.post("/corpus/upload", files=[("files", ("nuit.txt", poem(1).encode(), "text/plain"))],
                         data={"csrf": client.cookies[CSRF_COOKIE]}, headers={"Accept": "application/json"})  # fmt: skip
    assert answer.status_code == 507
    assert answer.json() == {"error": "disk full while adding nuit.txt: free space and run again"}

    def no_memory(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(Studio, "works", no_memory)
    page = client.get("/corpus")
    assert page.status_code == 503 and "out of memory" in page.text and "Internal Server Error" not in page.text


def test_a_job_that_meets_a_full_disk_ends_with_the_line_to_act_on(studio_dir, monkeypatch):
    Studio.init(studio_dir).close()
    (studio_dir / "jobs").mkdir()
    spec = {"id": "jdisk", "kind": "audit-texts", "params": {"paths": []}, "started_at": "now"}
    (studio_dir / "jobs" / "jdisk.json").write_text(json.dumps(spec), "utf-8")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(worker, "run", full)
    assert worker.main([str(studio_dir), "jdisk"]) == 1
    events = [json.loads(line) for line in (studio_dir / "jobs" / "jdisk.events.jsonl").read_text("utf-8").splitlines()]
    assert events[-1]["event"] == "failed" and events[-1]["message"] == DISK_FULL
