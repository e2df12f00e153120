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

from ouvroir import Studio
from ouvroir.workshop import training
from ouvroir.learn import checkpoint as ckpt
from ouvroir.cocreate import documents as docs
from ouvroir.errors import ConsentError
from ouvroir.workshop.generation import GenerationParams, generate_samples
from ouvroir.store import models as model_store
from tests.test_withdrawal import poem_studio


@pytest.fixture
def studio(studio_dir, tmp_path):
    studio = poem_studio(studio_dir, tmp_path)
    yield studio
    studio.close()


def interrupted(studio, **options) -> str:
    """The id of a run stopped as Ctrl-C (or the web studio's Stop) stops it, after its first checkpoint."""
    started: list[str] = []

    def stop(progress) -> None:
        if progress.event == "eval":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        training.train_model(studio, on_progress=stop, on_model=started.append, **options)
    return started[0]


def record_of(studio, model_id: str) -> model_store.ModelRecord:
    return model_store.resolve_model(studio.conn, model_id, ready_only=False)


def withdraw_one(studio, run_cli):
    work = next(w for w in studio.works() if w.title.endswith("2"))
    assert run_cli("consent", work.id, "no-train", "--reason", "the author asked").exit_code == 0
    return work


def test_resume_refuses_a_run_whose_consent_was_withdrawn(studio, run_cli):
    model_id = interrupted(studio, size="tiny", steps=6, seed=2)
    state = studio.root / "models" / model_id / ckpt.STATE
    before = state.read_bytes()
    work = withdraw_one(studio, run_cli)

    refused = run_cli("train", "--resume", model_id)
    assert refused.exit_code == 1, refused.output
    assert work.title in refused.output and f"ouvroir retrain {model_id}" in refused.output
    assert "no-train" in refused.output and "the author asked" in refused.output
    assert state.read_bytes() == before  # not one more step on the withdrawn work
    assert record_of(studio, model_id).status == "training"


def test_web_resume_of_a_withdrawn_run_is_refused_and_offers_a_retrain(studio, run_cli):
    from ouvroir.web.app import create_app, wrap
    from ouvroir.web.security import CSRF_COOKIE

    model_id = interrupted(studio, size="tiny", steps=6, seed=2)
    work = withdraw_one(studio, run_cli)
    app = create_app(studio.root)
    client = TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    try:
        page = client.get("/train").text
        assert f'id="withdrawn-{model_id}"' in page and work.title in page
        assert f"/models/{model_id}/retrain" in page and f"/train/resume/{model_id}" not in page
        client.headers["X-CSRF-Token"] = client.cookies[CSRF_COOKIE]
        answer = client.post(f"/train/resume/{model_id}", headers={"Accept": "application/json"})
        assert answer.status_code == 400 and work.title in answer.json()["error"]
        assert app.state.jobs.list() == []  # refused before any job started
    finally:
        app.state.jobs.shutdown()


def test_export_of_a_withdrawn_model_is_refused_unless_allowed_and_then_the_manifest_says_so(studio, run_cli, tmp_path):
    record = training.train_model(studio, size="tiny", steps=2, seed=1)
    work = withdraw_one(studio, run_cli)

    refused = run_cli("export", record.id, tmp_path / "refused")
    assert refused.exit_code == 1 and work.title in refused.output and "--allow-withdrawn" in refused.output
    assert not (tmp_path / "refused").exists()

    allowed = run_cli("export", record.id, tmp_path / "hf", "--allow-withdrawn")
    assert allowed.exit_code == 0, allowed.output
    manifest = json.loads((tmp_path / "hf" / "provenance.json").read_text())
    assert manifest["assertions"]["ouvroir.export"]["consent_withdrawn_works"] == [work.id]
    verified = run_cli("verify", tmp_path / "hf")  # the mark is signed with the rest
    assert verified.exit_code == 0, verified.output


def test_accepting_a_suggestion_from_a_withdrawn_model_is_refused_unless_allowed(studio, run_cli):
    record = training.train_model(studio, size="tiny", steps=2, seed=1)
    [sample] = generate_samples(studio, record.id, "la lune", 1, GenerationParams(max_tokens=6), seed=1)
    doc = docs.create_document(studio, "Carnet")
    work = withdraw_one(studio, run_cli)
    accept = [{"type": "accept", "at": 0, "delete": 0, "sample_id": sample.id}]

    with pytest.raises(ConsentError, match="retrain") as refused:
        docs.apply(studio, doc.id, doc.version, accept)
    assert work.title in str(refused.value)
    assert docs.get_document(studio, doc.id).text == ""
    doc = docs.apply(studio, doc.id, doc.version, accept, allow_withdrawn=True)
    assert doc.text and doc.ledger.pieces[0].sample_id == sample.id


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
    record = training.train_model(studio, size="tiny", steps=3, seed=6)
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
    whole = training.train_model(studio, size="tiny", steps=4, seed=4)
    model_id = interrupted(studio, size="tiny", steps=4, seed=4)
    resumed = training.train_model(studio, resume=model_id)
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
