"""A resumed run continues the run it resumes: its stored size and configuration, the weights (and
hash) an uninterrupted run gives, and never on works whose consent was withdrawn since. Consent
follows the model wherever its weights are used or leave the studio: resume, export, accepted
suggestions."""

from __future__ import annotations

import hashlib
import json

import pytest
import torch
from safetensors.torch import load_file
from starlette.testclient import TestClient

from ouvroir import Studio, runs
from ouvroir import checkpoint as ckpt
from ouvroir.cocreate import documents as docs
from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import ConsentError
from ouvroir.samples import GenerationParams, generate_samples
from ouvroir.store import models as model_store
from tests.test_withdrawal import poem


@pytest.fixture
def studio(studio_dir, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(6):
        (corpus / f"poeme-{i}.txt").write_text(poem(i), "utf-8")
    studio = Studio.init(studio_dir)
    assert studio.add([corpus], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    yield studio
    studio.close()


def interrupted(studio, **options) -> str:
    """The id of a run stopped as Ctrl-C (or the web studio's Stop) stops it, after its first checkpoint."""
    started: list[str] = []

    def stop(progress) -> None:
        if progress.event == "eval":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runs.train_model(studio, on_progress=stop, on_model=started.append, **options)
    return started[0]


def record_of(studio, model_id: str) -> model_store.ModelRecord:
    return model_store.resolve_model(studio.conn, model_id, ready_only=False)


def withdraw_one(studio, run_cli):
    work = next(w for w in studio.works() if w.title.endswith("2"))
    assert run_cli("consent", work.id, "no-train", "--reason", "the author asked").exit_code == 0
    return work


def test_resume_continues_with_the_stored_size_and_configuration(studio, run_cli):
    # Without --size, the planner would choose "tiny" for this corpus: the resumed run must not re-plan.
    model_id = interrupted(studio, size="small", steps=3, seed=5)
    other = run_cli("train", "--resume", model_id, "--size", "tiny")
    assert other.exit_code == 1 and "small" in other.output and "--size" in other.output

    resumed = run_cli("train", "--resume", model_id)
    assert resumed.exit_code == 0, resumed.output
    record = record_of(studio, model_id)
    assert (record.status, record.size, record.steps) == ("ready", "small", 3)
    assert record.config["train"]["model"]["d_model"] == 192


def test_resume_with_more_steps_extends_a_finished_run_to_that_total(studio, run_cli):
    record = runs.train_model(studio, size="tiny", steps=3, seed=6)
    plain = run_cli("train", "--resume", record.id)
    assert plain.exit_code == 1 and "--steps N" in plain.output
    fewer = run_cli("train", "--resume", record.id, "--steps", "3")
    assert fewer.exit_code == 1 and "more than 3" in fewer.output

    extended = run_cli("train", "--resume", record.id, "--steps", "5")
    assert extended.exit_code == 0, extended.output
    after = record_of(studio, record.id)
    assert (after.status, after.steps, after.config["budget"]["steps"]) == ("ready", 5, 5)
    metrics = ckpt.read_jsonl(studio.root / "models" / record.id / ckpt.METRICS)
    assert max(m["step"] for m in metrics) == 5 and min(m["step"] for m in metrics if m["event"] == "eval") == 1
    weights = studio.root / "models" / record.id / ckpt.WEIGHTS
    assert after.weights_sha256 == hashlib.sha256(weights.read_bytes()).hexdigest()


def test_a_resumed_run_has_the_weights_hash_of_an_uninterrupted_one(studio):
    whole = runs.train_model(studio, size="tiny", steps=4, seed=4)
    model_id = interrupted(studio, size="tiny", steps=4, seed=4)
    resumed = runs.train_model(studio, resume=model_id)
    assert resumed.steps == whole.steps == 4
    ours, theirs = (load_file(studio.root / "models" / m / ckpt.WEIGHTS) for m in (whole.id, model_id))
    assert all(torch.equal(ours[k], theirs[k]) for k in ours) and ours.keys() == theirs.keys()
    assert resumed.weights_sha256 == whole.weights_sha256


def test_the_same_weights_and_metadata_always_give_the_same_file(tmp_path):
    weights = {"b": torch.arange(6.0).reshape(2, 3), "a": torch.ones(5, dtype=torch.float16)}
    digests = set()
    for i in range(12):
        ckpt.save_weights(tmp_path / f"{i}.safetensors", weights, {"step": 40, "val_bpb": 2.5, "note": "x"})
        digests.add(hashlib.sha256((tmp_path / f"{i}.safetensors").read_bytes()).hexdigest())
    assert len(digests) == 1
    loaded, meta = ckpt.load_weights(tmp_path / "0.safetensors")
    assert all(torch.equal(loaded[k], weights[k]) for k in weights)
    assert meta == {"step": "40", "val_bpb": "2.5", "note": "x", "format_version": "1"}
