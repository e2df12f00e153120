"""Consent follows the model: withdrawing consent marks every model trained on the work,
generation refuses it, and retraining leaves the work out."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ouvroir import Studio
from ouvroir.workshop import training
from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import ConsentError
from ouvroir.workshop.generation import GenerationParams, generate_samples
from ouvroir.store import models as model_store

WORDS = "la lune le vent une barque sur l'eau grise chante doucement vers le port où dort la ville".split()


def poem(seed: int) -> str:
    rng = random.Random(seed)
    return "\n\n".join("\n".join(" ".join(rng.choice(WORDS) for _ in range(6)) for _ in range(4)) for _ in range(20))


def poem_studio(studio_dir: Path, tmp_path: Path) -> Studio:
    """A studio of six generated poems by its owner, all with consent "train"."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(6):
        (corpus / f"poeme-{i}.txt").write_text(poem(i), "utf-8")
    studio = Studio.init(studio_dir)
    assert studio.add([corpus], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    return studio


@pytest.fixture
def trained(studio_dir, tmp_path):
    studio = poem_studio(studio_dir, tmp_path)
    record = training.train_model(studio, size="tiny", steps=20, seed=3)
    yield studio, record
    studio.close()


def test_withdrawal_marks_refuses_and_retrain_leaves_the_work_out(trained, run_cli):
    studio, record = trained
    work = next(w for w in studio.works() if w.title.endswith("3"))
    assert model_store.withdrawals(studio.conn, record.id) == []
    result = run_cli("consent", work.id, "no-train", "--reason", "the author asked")
    assert result.exit_code == 0, result.output

    (mark,) = model_store.withdrawals(studio.conn, record.id)
    assert (mark.work_id, mark.consent, mark.reason) == (work.id, "no-train", "the author asked")
    listing = run_cli("models")
    assert "WITHDRAWN (1)" in listing.output and work.title in listing.output
    listed = json.loads(run_cli("models", "--json").output)
    assert listed[0]["withdrawn"][0]["work_id"] == work.id

    refused = run_cli("generate", record.id, "--max-tokens", "5", "--seed", "1")
    assert refused.exit_code == 1
    assert "withdrawn" in refused.output and work.title in refused.output and "ouvroir retrain" in refused.output
    assert model_store.list_samples(studio.conn) == []  # nothing generated, nothing stored
    allowed = run_cli("generate", record.id, "--max-tokens", "5", "--seed", "1", "--allow-withdrawn")
    assert allowed.exit_code == 0, allowed.output

    retrained = run_cli("retrain", record.id)
    assert retrained.exit_code == 0, retrained.output
    new = model_store.list_models(studio.conn)[-1]
    assert new.id != record.id and new.config["retrained_from"] == record.id and new.config["left_out"] == [work.id]
    assert (new.size, new.config["seed"], new.config["budget"]) == (record.size, record.config["seed"], record.config["budget"])
    frozen = {r[0] for r in studio.conn.execute("SELECT work_id FROM snapshot_works WHERE snapshot_id = ?", (new.snapshot_id,))}
    assert work.id not in frozen and len(frozen) == 5
    assert model_store.withdrawals(studio.conn, new.id) == []
    assert model_store.withdrawals(studio.conn, record.id)  # the old model stays marked

    # a renewed consent lifts the mark; a removed work marks the model too
    studio.set_consent([work.id], "train", "the author agreed again")
    assert model_store.withdrawals(studio.conn, record.id) == []
    other = next(w for w in studio.works() if w.id != work.id)
    studio.remove(other.id)
    (mark,) = model_store.withdrawals(studio.conn, record.id)
    assert (mark.work_id, mark.consent, mark.title) == (other.id, "removed", other.title)
    with pytest.raises(ConsentError, match="retrain"):
        generate_samples(studio, record.id, "", 1, GenerationParams(max_tokens=4), seed=1)
