"""torchrun on CPU (gloo): two ranks train as one process does on the same global batch, and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

psutil = pytest.importorskip("psutil")

from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn.distributed import load_tokenized
from ouvroir.learn.sizing import Budget
from ouvroir.learn.train import train
from tests.test_train import data, tiny_config  # noqa: F401  (data is a fixture)

ROOT = Path(__file__).resolve().parents[1]
STEPS = 20


@pytest.fixture
def snapshot(data, tmp_path):  # noqa: F811
    """The token files a studio snapshot holds, and the run's configuration (a global batch of 8)."""
    folder = tmp_path / "snapshot"
    folder.mkdir()
    data.tokenizer.save(folder / "tokenizer.json")
    dtype = np.dtype("<u2")
    (folder / "train.bin").write_bytes(np.asarray(data.train_ids, dtype=dtype).tobytes())
    (folder / "val.bin").write_bytes(np.asarray(data.val_ids, dtype=dtype).tobytes())
    (folder / "tokens.json").write_text(json.dumps({"dtype": dtype.str, "val_bytes": data.val_bytes,
                                                    "train_bytes": data.train_bytes}))  # fmt: skip
    config = replace(tiny_config(data.tokenizer.vocab_size), batch_size=8, eval_every_steps=5)
    (tmp_path / "config.json").write_text(json.dumps(config.to_dict()))
    return folder, config


def torchrun(snapshot_dir: Path, out: Path, config: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "ouvroir.learn.distributed", str(snapshot_dir), str(out), "--config", str(config),
           "--steps", str(STEPS), "--device", "cpu", *extra]  # fmt: skip
    env = os.environ | {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # fmt: skip


def losses(out: Path) -> dict[int, float]:
    return {r["step"]: r["train_loss"] for r in ckpt.read_jsonl(out / ckpt.METRICS) if r.get("event") == "log"}


def test_two_ranks_give_the_losses_of_one_process_on_the_same_global_batch_and_resume(snapshot, tmp_path):
    folder, config = snapshot
    loaded = load_tokenized(folder)
    one = train(loaded, config, tmp_path / "one", Budget(steps=STEPS), seed=0, device="cpu")
    proc = torchrun(folder, tmp_path / "two", tmp_path / "config.json")
    output = proc.communicate(timeout=300)[0]
    assert proc.returncode == 0, output
    assert json.loads(output.strip().splitlines()[-1])["ranks"] == 2
    single, ranks = losses(tmp_path / "one"), losses(tmp_path / "two")
    assert sorted(single) == sorted(ranks) == list(range(1, STEPS + 1))
    assert max(abs(single[s] - ranks[s]) for s in single) < 1e-5
    evals = [r for r in ckpt.read_jsonl(tmp_path / "two" / ckpt.METRICS) if r.get("event") == "eval"]
    assert len(evals) == STEPS // 5 and abs(evals[-1]["val_bpb"] - one.final_val_bpb) < 1e-4

    # Killed after its first checkpoint, the two-rank run resumes under torchrun and ends as the whole run did.
    proc = torchrun(folder, tmp_path / "killed", tmp_path / "config.json")
    state = tmp_path / "killed" / ckpt.STATE
    deadline = time.time() + 240
    while not state.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    # torchrun starts each rank in a session of its own: kill the ranks themselves, then torchrun.
    for rank in psutil.Process(proc.pid).children(recursive=True):
        rank.send_signal(signal.SIGKILL)
    proc.kill()
    proc.communicate(timeout=60)
    stopped_at = ckpt.load_train_state(state)["run"]["step"]
    assert stopped_at < STEPS
    proc = torchrun(folder, tmp_path / "killed", tmp_path / "config.json", "--resume")
    output = proc.communicate(timeout=300)[0]
    assert proc.returncode == 0, output
    # (the logged loss is a moving average that starts afresh on resume: the scores and weights are compared)
    resumed = [r for r in ckpt.read_jsonl(tmp_path / "killed" / ckpt.METRICS) if r.get("event") == "eval"]
    assert [r["step"] for r in resumed] == [r["step"] for r in evals]
    assert max(abs(a["val_bpb"] - b["val_bpb"]) for a, b in zip(resumed, evals)) < 1e-6
    weights = [(tmp_path / run / ckpt.WEIGHTS).read_bytes() for run in ("two", "killed")]
    assert weights[0] == weights[1]
