"""A snapshot never changes once written: samples signed against it keep verifying.

A consent re-confirmation appends a new consent event to every work; a later
training then freezes those new events in a snapshot of its own, and the first
snapshot's manifest keeps its bytes. The tokenizer and token files are still
reused, keyed by the works' texts and split, not by the snapshot id.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from ouvroir import Studio
from ouvroir.workshop import training
from ouvroir.corpus.ingest import AddOptions
from ouvroir.corpus.snapshot import take_snapshot
from ouvroir.provenance.verify import verify
from ouvroir.workshop.generation import GenerationParams, generate_samples

WORDS = "le vent la mer une rose sombre chante sous les arbres du jardin où l'aube passe lente et douce".split()


def poem(seed: int) -> str:
    rng = random.Random(seed)
    return "\n\n".join("\n".join(" ".join(rng.choice(WORDS) for _ in range(7)).capitalize() for _ in range(4))
                       for _ in range(10))  # fmt: skip


def _studio(tmp_path: Path) -> Studio:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(12):
        (corpus / f"poeme_{i}.txt").write_text(poem(i), "utf-8")
    studio = Studio.init(tmp_path / "studio")
    assert studio.add([corpus], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    return studio


def test_reconfirmed_consent_leaves_the_first_snapshot_and_its_samples_intact(tmp_path: Path, monkeypatch):
    studio = _studio(tmp_path)
    first = training.train_model(studio, size="tiny", steps=4, seed=1)
    [sample] = generate_samples(studio, first.id, "Le vent", 1, GenerationParams(max_tokens=8), seed=2)
    manifest = studio.root / "snapshots" / first.snapshot_id / "manifest.json"
    before = manifest.read_bytes()
    assert verify(studio.root / sample.path, studio).ok

    studio.set_consent([w.id for w in studio.works()], "train", "consent confirmed again by letter")
    tokenized: list[int] = []
    original = training.train_tokenizer
    monkeypatch.setattr(training, "train_tokenizer", lambda texts, size: tokenized.append(1) or original(texts, size))
    second = training.train_model(studio, size="tiny", steps=4, seed=1)

    assert second.snapshot_id != first.snapshot_id  # other consent events: another snapshot
    assert manifest.read_bytes() == before
    verdict = verify(studio.root / sample.path, studio)
    assert verdict.ok, verdict.problem
    frozen = json.loads((studio.root / "snapshots" / second.snapshot_id / "manifest.json").read_text("utf-8"))
    events = {w["work_id"]: w["consent_event_id"] for w in frozen["works"]}
    assert events == {w.id: w.consent_event_id for w in studio.trainable_works()}
    # Same texts, same split: the tokenizer and token files are reused, not trained again.
    assert tokenized == []
    for name in ("tokenizer.json", "train.bin", "val.bin"):
        old, new = (studio.root / "snapshots" / s / name for s in (first.snapshot_id, second.snapshot_id))
        assert old.read_bytes() == new.read_bytes(), name


def test_an_unchanged_corpus_gives_the_same_snapshot_and_never_rewrites_it(tmp_path: Path):
    studio = _studio(tmp_path)
    first = take_snapshot(studio)
    manifest = first.path / "manifest.json"
    before, stamp = manifest.read_bytes(), manifest.stat().st_mtime_ns
    again = take_snapshot(studio)
    assert again.id == first.id and again.created_at == first.created_at
    assert manifest.read_bytes() == before and manifest.stat().st_mtime_ns == stamp
