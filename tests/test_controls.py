"""Controls: each training work is preceded by control tokens from the stored metadata of consenting works
(author, form; key, meter, voices for music), and `generate --as/--form/--key…` steers the model by them.
A control's effect is measured on fixed-seed draws; a no-train work's author never becomes a control;
an unknown value, a control of the other medium and a model trained before controls each get one line."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest
import torch

from ouvroir import Studio
from ouvroir.corpus.controls import UnknownControl, match_value, work_controls
from ouvroir.corpus.ingest import AddOptions
from ouvroir.corpus.snapshot import SnapshotWork, load_snapshot, snapshot_identity, works_key
from ouvroir.learn.generate import generate, load
from ouvroir.learn.model import ModelConfig
from ouvroir.learn.sizing import Budget, TrainConfig
from ouvroir.learn.tokenizer import control_token, train_tokenizer
from ouvroir.learn.train import TrainData, train
from ouvroir.workshop import training
from ouvroir.workshop.steering import NotSteerable

ALBA, ZOE = "abcdefg", "tuvwxyz"


def lines(alphabet: str, rng: random.Random, n: int = 6) -> str:
    return "\n".join(" ".join("".join(rng.choice(alphabet) for _ in range(4)) for _ in range(5)) for _ in range(n))


def test_an_author_control_steers_samples_towards_that_author(tmp_path):
    rng = random.Random(0)
    texts = [lines(ALBA if i % 2 else ZOE, rng) for i in range(200)]
    controls = [{"author": "Alba" if i % 2 else "Zoé"} for i in range(200)]
    tokens = [control_token("author", "Alba"), control_token("author", "Zoé")]
    tok = train_tokenizer(texts, vocab_size=300, controls=tokens)
    data = TrainData.from_texts(tok, texts, texts[:4], controls, controls[:4])
    model = ModelConfig(vocab_size=tok.vocab_size, context=64, n_layer=2, d_model=64, n_head=2)
    torch.manual_seed(0)
    train(data, TrainConfig(model=model, batch_size=16, eval_every_steps=150, log_every_s=0.0), tmp_path, Budget(steps=150),
          seed=0, device="cpu")  # fmt: skip
    loaded = load(tmp_path, device="cpu")

    def alba_share(alternatives) -> float:
        samples = generate(loaded, None, "", n=12, max_tokens=24, temperature=1.0, seed=5, controls=alternatives)
        letters = [c for s in samples for c in s if c.isalpha()]
        return sum(c in ALBA for c in letters) / max(len(letters), 1)

    alba, zoe = [[tok.control_id("author", "Alba")]], [[tok.control_id("author", "Zoé")]]
    as_alba, as_zoe, mixed = alba_share(alba), alba_share(zoe), alba_share(alba + zoe)
    assert as_alba > 0.9 and as_zoe < 0.1, (as_alba, as_zoe)
    assert 0.15 < mixed < 0.85, mixed  # the mixture draws works of both


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("controls")
    rng = random.Random(1)
    for name, author, alphabet, consent in (("verlaine", "Paul Verlaine", ALBA, "train"),
                                            ("rimbaud", "Arthur Rimbaud", ZOE, "train"),
                                            ("secret", "Nadia Nope", "klmnop", "no-train")):  # fmt: skip
        (root / name).mkdir()
        for i in range(4):
            (root / name / f"{name}_{i}.txt").write_text(lines(alphabet, rng, 40), "utf-8")
    studio = Studio.init(root / "studio")
    for name, author, consent in (("verlaine", "Paul Verlaine", "train"), ("rimbaud", "Arthur Rimbaud", "train"),
                                  ("secret", "Nadia Nope", "no-train")):  # fmt: skip
        assert studio.add([root / name], AddOptions(author=author, license="CC-BY-4.0", consent=consent)).ok
    record = training.train_model(studio, size="tiny", steps=2, seed=1)
    yield studio, record
    studio.close()


def test_controls_come_from_consenting_works_only(studio):
    studio, record = studio
    known = studio.models.controls(record.id)
    # the works were stored as "poetry": the control names the form as a person asks for it
    assert {w.form for w in studio.works()} == {"poetry"}
    assert known == {"author": ["Arthur Rimbaud", "Paul Verlaine"], "form": ["poem"]}, known
    assert "Nadia Nope" not in json.dumps(known)
    snapshot = load_snapshot(studio, record.snapshot_id)
    assert all(w.controls and w.controls["author"] != "Nadia Nope" for w in snapshot.works)
    tokenizer = (studio.layout.model(record.id) / "tokenizer.json").read_text("utf-8")
    assert "Nadia" not in tokenizer


def test_generate_as_an_author_records_the_exact_value(studio, run_cli):
    studio, record = studio
    result = run_cli("--studio", str(studio.root), "generate", record.id, "--as", "verlaine", "--max-tokens", "4",
                     "--seed", "1")  # fmt: skip
    assert result.exit_code == 0, result.output
    sample = studio.models.samples(record.id)[-1]
    assert sample.params["controls"] == {"author": ["Paul Verlaine"]}
    manifest = (studio.root / (sample.path + ".provenance.json")).read_text("utf-8")
    assert "Paul Verlaine" in manifest


def test_unknown_values_and_other_media_are_refused_in_one_line_storing_nothing(studio, run_cli):
    studio, record = studio
    before = len(studio.models.samples())
    result = run_cli("--studio", str(studio.root), "generate", record.id, "--as", "Nadia Nope", "--max-tokens", "4")
    assert result.exit_code != 0
    assert "Arthur Rimbaud, Paul Verlaine" in result.output and "Traceback" not in result.output
    result = run_cli("--studio", str(studio.root), "generate", record.id, "--key", "G major", "--max-tokens", "4")
    assert result.exit_code != 0 and "text model" in result.output
    assert len(studio.models.samples()) == before


def test_a_model_trained_before_controls_is_told_to_retrain(studio):
    studio, record = studio
    folder = studio.layout.model(record.id)
    saved = (folder / "tokenizer.json").read_bytes()
    try:
        train_tokenizer(["ab ab"] * 5, vocab_size=260, fim=False).save(folder / "tokenizer.json")
        with pytest.raises(NotSteerable, match=rf"model {record.id} was trained before controls/infilling: retrain"):
            studio.models.generate(record.id, "", 1, controls={"author": ["Verlaine"]})
        with pytest.raises(NotSteerable, match="retrain"):
            studio.models.infill(record.id, "a", "b", 1)
        assert studio.models.controls(record.id) == {}
    finally:
        (folder / "tokenizer.json").write_bytes(saved)


def test_infill_in_the_studio_stores_the_whole_passage_and_where_the_middle_lies(studio, tmp_path, run_cli):
    studio, record = studio
    candidates = studio.models.infill(record.id, "abcd abcd\n", "\nabcd", n=2, seed=3)
    assert len(candidates) == 2
    for c in candidates:
        assert c.sample.text == "abcd abcd\n" + c.middle + "\nabcd"
        assert c.sample.params["infill"]["before_chars"] == 10
    marked = tmp_path / "marked.txt"
    marked.write_text("abcd abcd\n[…]\nabcd", "utf-8")
    result = run_cli("--studio", str(studio.root), "generate", record.id, "--infill", str(marked), "--max-tokens", "4")
    assert result.exit_code == 0, result.output
    marked.write_text("no marker here", "utf-8")
    result = run_cli("--studio", str(studio.root), "generate", record.id, "--infill", str(marked))
    assert result.exit_code != 0 and "exactly once" in result.output


def test_matching_is_forgiving_but_exact_in_what_it_records():
    authors = ["Paul Verlaine", "Arthur Rimbaud", "Théophile Gautier"]
    assert match_value("author", "VERLAINE", authors) == "Paul Verlaine"
    assert match_value("author", "theophile gautier", authors) == "Théophile Gautier"
    assert match_value("author", "Arth", authors) == "Arthur Rimbaud"
    with pytest.raises(UnknownControl, match="Paul Verlaine, Arthur Rimbaud, Théophile Gautier"):
        match_value("author", "Baudelaire", authors)
    assert match_value("key", "Gb major", ["F# major", "E minor"]) == "F# major"
    assert match_value("key", "e minor", ["F# major", "E minor"]) == "E minor"
    assert work_controls("text", "  Paul   Verlaine ", "poem", "") == {"author": "Paul Verlaine", "form": "poem"}


def test_snapshot_ids_without_controls_stay_those_of_old_snapshots():
    old = SnapshotWork("w1", "T", "A", "ab" * 32, 7, 100, "train")
    new = replace(old, controls={"author": "A"})
    import hashlib

    legacy_id = "s" + hashlib.sha256(json.dumps(["text", "r", [["ab" * 32, "train", 7]]]).encode()).hexdigest()[:11]
    assert snapshot_identity("text", "r", [old]) == legacy_id
    assert snapshot_identity("text", "r", [new]) != legacy_id
    assert works_key("text", "r", [new]) != works_key("text", "r", [old])  # token files hold the controls
    assert "controls" not in old.as_manifest() and new.as_manifest()["controls"] == {"author": "A"}
