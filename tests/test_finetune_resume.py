"""A stopped fine-tune resumes where it stopped and ends as if it never had: the same adapter (or weights), bit for
bit, and the same evaluations as an uninterrupted run, whether it was stopped by Ctrl-C (after an evaluation, or
between a step and its evaluation) or killed. It resumes only on the very base it started from, and never on works
whose consent was withdrawn since. Tiny bases built from configs (see test_finetune), sockets blocked.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file, save_file
from tests.conftest import SUBPROCESS_TIMEOUT_S
from tests.test_finetune import bases, no_network, poems  # noqa: F401 (fixtures)
from tests.test_finetune_export import studio_model  # noqa: F401 (fixture)

from ouvroir.errors import BaseModelChanged, ConsentError, TrainingError
from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn import finetune_state as fstate
from ouvroir.store import models as model_store

transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")

SETTINGS = {"steps": 20, "context": 64, "batch_size": 4, "seed": 3}  # evaluations at steps 4, 8, 12, 16 and 20


def stopped_at(studio, base, method: str, event: str, step: int) -> str:
    """The id of a fine-tune stopped as Ctrl-C (or the web studio's Stop) stops it, at ``step``'s ``event``."""
    started: list[str] = []

    def stop(progress) -> None:
        if progress.event == event and progress.step == step:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        studio.models.finetune(str(base), method=method, rank=2 if method == "lora" else None, on_progress=stop,
                               on_model=started.append, **SETTINGS)  # fmt: skip
    return started[0]


def record_of(studio, model_id: str) -> model_store.ModelRecord:
    return model_store.resolve_model(studio.conn, model_id, ready_only=False)


def evaluations(studio, model_id: str) -> list[tuple]:
    """What each evaluation found (not its clock)."""
    lines = ckpt.read_jsonl(studio.layout.model(model_id) / ckpt.METRICS)
    return [(r["step"], r["val_bpb"], r["train_loss"]) for r in lines if r["event"] == "eval"]


def weights(studio, model_id: str) -> dict[str, torch.Tensor]:
    return load_file(studio.layout.model_weights(model_id))


def assert_same_run(studio, resumed, whole) -> None:
    """The resumed model is the uninterrupted one: weights bit for bit, figures, evaluations."""
    assert resumed.status == whole.status == "ready"
    assert resumed.weights_sha256 == whole.weights_sha256
    a, b = weights(studio, resumed.id), weights(studio, whole.id)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    figures = lambda r: (r.steps, r.val_bpb, r.config["best_step"], r.config["bpb"])  # noqa: E731
    assert figures(resumed) == figures(whole)
    assert evaluations(studio, resumed.id) == evaluations(studio, whole.id) and len(evaluations(studio, whole.id)) == 5
    assert not (studio.layout.model(resumed.id) / fstate.STATE).exists()  # a finished fine-tune is not resumed


@pytest.mark.parametrize("kind,method,event,step", [
    ("gpt2", "lora", "eval", 8),  # stopped just after an evaluation's checkpoint (GPT-2: dropout draws from torch)
    ("llama", "lora", "log", 8),  # stopped after step 8, before its evaluation: the resumed run evaluates it
    ("qwen3", "full", "eval", 12),  # every weight (tied embeddings)
])  # fmt: skip
def test_a_stopped_finetune_resumes_to_the_model_an_uninterrupted_run_gives(poems, bases, kind, method, event, step):
    model_id = stopped_at(poems, bases[kind], method, event, step)
    stopped = record_of(poems, model_id)
    assert stopped.status == "training"  # resumable, like a run from scratch: `train --resume`, the web's Resume
    assert (poems.layout.model(model_id) / fstate.STATE).is_file()
    assert [e[0] for e in evaluations(poems, model_id)] == [4, 8, 12][: step // 4 - (event == "log")]

    stages: list[str] = []
    resumed = poems.models.train(resume=model_id, on_stage=stages.append)  # the path `train --resume` and the web take
    assert resumed.id == model_id and any(s.key == "finetune_resuming" for s in stages)
    whole = poems.models.finetune(str(bases[kind]), method=method, rank=2 if method == "lora" else None, **SETTINGS)
    assert_same_run(poems, resumed, whole)


@pytest.mark.parametrize("method", ["lora", "full"])
def test_a_finetune_of_a_studio_model_resumes_on_that_model(poems, studio_model, method):
    """A full fine-tune kept no copy of its studio base: resuming exports it again, to the very hashes recorded."""
    model_id = stopped_at(poems, studio_model.id, method, "eval", 8)
    resumed = poems.models.train(resume=model_id)
    whole = poems.models.finetune(studio_model.id, method=method, rank=2 if method == "lora" else None, **SETTINGS)
    assert_same_run(poems, resumed, whole)


KILLED_RUN = """
import json, sys
from ouvroir import Studio
studio = Studio.open(sys.argv[1])
studio.models.finetune(sys.argv[2], rank=2, **json.loads(sys.argv[3]))
"""


def test_a_killed_finetune_resumes_from_its_last_checkpoint(poems, bases, studio_dir):
    """SIGKILL: no handler runs; the state of the last evaluation (written whole or not at all) is what remains."""
    settings = {"steps": 100, "context": 64, "batch_size": 4, "seed": 1}  # evaluations at steps 20, 40, ... 100
    env = os.environ | {"OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}  # one thread, as in this process
    arguments = [str(studio_dir), str(bases["llama"]), json.dumps(settings)]
    process = subprocess.Popen([sys.executable, "-c", KILLED_RUN, *arguments], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + SUBPROCESS_TIMEOUT_S
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if any(len(evaluations(poems, p.name)) >= 2 for p in poems.layout.models.glob("*")):
                break
            time.sleep(0.01)
        assert process.poll() is None, f"the fine-tune ended before it could be killed: {process.stderr.read()}"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    (model_id,) = [r.id for r in poems.models.all()]
    assert record_of(poems, model_id).status == "training" and len(evaluations(poems, model_id)) < 5

    resumed = poems.models.train(resume=model_id)
    whole = poems.models.finetune(str(bases["llama"]), rank=2, **settings)
    assert_same_run(poems, resumed, whole)
    assert not [p for p in poems.layout.model(model_id).iterdir() if p.name.endswith(".tmp")]


def _unchanged(studio, model_id: str) -> tuple:
    """What a refused resume must leave as it was: the record, the model's files, the other models and snapshots."""
    folder = studio.layout.model(model_id)
    record = record_of(studio, model_id)
    return ((record.status, record.config, record.steps, record.name), len(studio.models.all()),
            sorted(p.name for p in studio.layout.snapshots.glob("*")),
            {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()})  # fmt: skip


@pytest.mark.parametrize("change", ["weights", "config"])
def test_resuming_an_adapter_on_another_base_is_refused_in_one_line(poems, bases, tmp_path, run_cli, change):
    base = shutil.copytree(bases["gpt2"], tmp_path / "my-gpt2")
    model_id = stopped_at(poems, base, "lora", "eval", 8)
    if change == "weights":  # another base of the same shape in the same folder: only the hashes tell
        tensors = load_file(base / "model.safetensors")
        save_file({k: v + 0.01 if v.is_floating_point() else v for k, v in tensors.items()}, base / "model.safetensors",
                  metadata={"format": "pt"})  # fmt: skip
    else:
        config = json.loads((base / "config.json").read_text())
        (base / "config.json").write_text(json.dumps(config | {"n_embd": 48}))
    before = _unchanged(poems, model_id)

    with pytest.raises(BaseModelChanged) as refused:
        poems.models.train(resume=model_id)
    assert str(base) in str(refused.value)
    assert ("model.safetensors" if change == "weights" else "config.json") in str(refused.value)
    result = run_cli("train", "--resume", model_id, "--name", "not this one")
    assert result.exit_code != 0 and len(result.stderr.strip().splitlines()) == 1, result.output
    assert "another base" in result.stderr and str(base) in result.stderr
    assert _unchanged(poems, model_id) == before


def test_resume_after_a_withdrawal_is_refused_naming_the_work(poems, bases, run_cli):
    model_id = stopped_at(poems, bases["gpt2"], "lora", "eval", 8)
    work = next(w for w in poems.works() if w.title.endswith("3"))
    poems.set_consent([work.id], "no-train", "the author asked")
    before = _unchanged(poems, model_id)

    with pytest.raises(ConsentError, match=work.title):
        poems.models.train(resume=model_id)
    result = run_cli("train", "--resume", model_id)
    assert result.exit_code == 1 and work.title in result.output and f"ouvroir retrain {model_id}" in result.output
    assert _unchanged(poems, model_id) == before


def test_a_damaged_checkpoint_is_refused_in_one_line_and_the_run_stays_resumable(poems, bases, run_cli):
    model_id = stopped_at(poems, bases["gpt2"], "lora", "eval", 8)
    state = poems.layout.model(model_id) / fstate.STATE
    state.write_bytes(state.read_bytes()[: state.stat().st_size // 2])  # torn by hand: writes are atomic
    before = _unchanged(poems, model_id)
    result = run_cli("train", "--resume", model_id)
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1, result.output
    assert "is damaged" in result.stderr and "ouvroir retrain" in result.stderr
    assert _unchanged(poems, model_id) == before  # still in training: nothing marked failed


def test_a_resumed_finetune_keeps_its_settings_and_a_finished_one_is_not_resumed(poems, bases, run_cli):
    model_id = stopped_at(poems, bases["gpt2"], "lora", "eval", 4)
    before = _unchanged(poems, model_id)
    for options, words in ((["--steps", "40"], "its own budget (20 steps)"), (["--size", "tiny"], "leave out --size"),
                           (["--from", str(bases["gpt2"])], "leave out --from")):  # fmt: skip
        result = run_cli("train", "--resume", model_id, *options)
        assert result.exit_code != 0 and words in result.output, result.output
    assert _unchanged(poems, model_id) == before

    result = run_cli("train", "--resume", model_id)  # the command line's own report: base → fine-tuned
    assert result.exit_code == 0 and "before fine-tuning" in result.output and "ready" in result.output, result.output
    with pytest.raises(TrainingError, match="already finished fine-tuning"):
        poems.models.train(resume=model_id)


def test_the_web_studios_resume_job_continues_a_finetune(poems, bases):
    """The Resume button starts a train job with {"resume": id}: the worker takes the workshop's resume path."""
    from ouvroir.web import worker

    from starlette.testclient import TestClient

    from ouvroir.web.app import create_app, wrap

    model_id = stopped_at(poems, bases["gpt2"], "lora", "log", 6)
    client = TestClient(wrap(create_app(poems.root), None), base_url="http://127.0.0.1")
    for lang in ("en", "fr"):  # the stopped fine-tune is offered to resume, and its page shows
        page = client.get("/train", headers={"Accept-Language": lang})
        assert page.status_code == 200 and f'action="/train/resume/{model_id}"' in page.text
        assert client.get(f"/models/{model_id}", headers={"Accept-Language": lang}).status_code == 200

    class Events:
        def __init__(self):
            self.emitted = []

        def progress(self, p):
            self.emitted.append(("progress", p.event))

        def stage(self, message):
            self.emitted.append(("stage", getattr(message, "key", None)))

        def emit(self, kind, **fields):
            self.emitted.append((kind, fields.get("model_id")))

    events = Events()
    result = worker.run(poems, "train", {"resume": model_id}, events)
    assert result["model_id"] == model_id and result["steps"] == 20
    assert ("model", model_id) in events.emitted and ("stage", "finetune_resuming") in events.emitted
    assert record_of(poems, model_id).status == "ready"
