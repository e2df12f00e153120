"""Audits in the studio: texts against the corpus with no model, a model's samples, bad input, reuse."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from ouvroir import Studio
from ouvroir.workshop import training
from ouvroir.audit.index import CorpusIndex
from ouvroir.audit.run import AuditOptions
from ouvroir.workshop.auditing import audit_model, audit_texts
from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import AuditError

VOCABULARY = {
    "Ada Martin": ["lanterne", "verger", "écluse", "faïence", "houblon", "tilleul", "grève", "brasier", "ardoise", "méandre", "balustrade"],
    "Basile Roy": ["crépuscule", "falaise", "quenouille", "sarment", "vitrail", "marelle", "girouette", "pressoir", "sablier", "bruyère"],
    "Colette Vian": ["cerceau", "ferronnerie", "grenade", "lavoir", "mansarde", "orée", "pâture", "rouet", "salpêtre", "tonnelle", "volière"],
}
GLUE = ["le", "la", "les", "un", "une", "et", "sous", "dans", "vers", "sur"]
CANARY = "Maëlwenn-Kastrofil compte mille neuf cent treize lanternes pourpres au fond du puits."


def poem(author: str, seed: int, stanzas: int = 6) -> str:
    rng = random.Random(seed)
    words = VOCABULARY[author] + GLUE
    return "\n\n".join("\n".join(" ".join(rng.choice(words) for _ in range(rng.randint(5, 8))) for _ in range(4))
                       for _ in range(stanzas))  # fmt: skip


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("audit-corpus")
    for author in VOCABULARY:
        for i in range(4):
            folder = root / "works" / author
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{author.split()[0].lower()}-{i}.txt").write_text(poem(author, hash((author, i)) % 1000), "utf-8")
    secret = root / "secret"
    secret.mkdir()
    (secret / "secret.txt").write_text(poem("Ada Martin", 999) + "\n\n" + CANARY, "utf-8")
    return root


def make_studio(root: Path, corpus_dir: Path) -> Studio:
    studio = Studio.init(root)
    assert studio.add([corpus_dir / "works"], AddOptions(author_from_dir=True, license="CC-BY-4.0", consent="train")).ok
    assert studio.add([corpus_dir / "secret"], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="no-train")).ok
    return studio


@pytest.fixture(scope="module")
def trained(tmp_path_factory, corpus_dir):
    studio = make_studio(tmp_path_factory.mktemp("audit-studio") / "studio", corpus_dir)
    record = training.train_model(studio, size="tiny", steps=30, seed=1)
    outcome = audit_model(studio, record.id, AuditOptions(samples=3, temperatures=(0.8, 1.2), max_tokens=48))
    yield studio, record, outcome
    studio.close()


def test_texts_audit_needs_no_model_and_finds_the_source(studio_dir, corpus_dir, run_cli, tmp_path):
    make_studio(studio_dir, corpus_dir).close()
    source = (corpus_dir / "works" / "Basile Roy" / "basile-2.txt").read_text("utf-8")
    passage = source[40:160]
    answer = tmp_path / "chatbot.txt"
    answer.write_text(f"Voici un poème inédit, écrit pour vous :\n{passage}\nJ'espère qu'il vous plaît !", "cp1252")
    result = run_cli("audit", "--texts", str(answer), "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "1 texts against 13 works" in result.output and "Report:" in result.output
    report = Path(result.output.split("Report:")[1].split()[0])
    data = json.loads((report.parent / "audit.json").read_text("utf-8"))
    (text,) = data["texts"]
    (span,) = text["spans"]
    assert text["text"][span["start"] : span["end"]].strip() == passage.strip()
    assert span["author"] == "Basile Roy" and span["title"] == "Basile 2"
    assert data["credit"][0]["author"] == "Basile Roy"
    assert data["copying"]["baseline"]["texts"] >= 20
    assert "<mark" in report.read_text("utf-8")
    studio = Studio.open(studio_dir)
    assert [tuple(r) for r in studio.conn.execute("SELECT subject, model_id FROM audits")] == [("texts", None)]
    studio.close()


def test_a_quote_retyped_with_straight_apostrophes_on_one_line_is_still_found(studio, tmp_path):
    """Chatbots reflow verse and straighten typography: the copy is the same words all the same."""
    verse = ("Il pleure dans mon cœur\nComme il pleut sur la ville ;\nQuelle est cette langueur\n"
             "Qui pénètre mon cœur ?\n\n« Ô bruit doux de la pluie — par terre et sur les toits ! »\n"
             "Pour un cœur qui s’ennuie, ô le chant de la pluie !")  # fmt: skip
    filler = "\n".join(poem("Colette Vian", seed) for seed in range(3))
    work = tmp_path / "ariettes.txt"
    work.write_text(filler + "\n\n" + verse + "\n\n" + poem("Colette Vian", 7), "utf-8")
    assert studio.add([work], AddOptions(author="Paul Verlaine", license="public-domain")).ok
    retyped = " ".join(verse.split("\n")).replace("’", "'").replace("« ", '"').replace(" »", '"').replace("—", "-")
    answer = tmp_path / "answer.txt"
    answer.write_text("Here is an original poem: " + retyped + " I hope you like it.", "utf-8")
    outcome, _ = audit_texts(studio, [answer], AuditOptions(lang="en"))
    (text,) = outcome.data["texts"]
    assert text["spans"], "the retyped quotation was not found"
    copied = "".join(text["text"][s["start"]:s["end"]] for s in text["spans"])
    assert "pleut sur la ville" in copied and "s'ennuie" in copied  # the answer's own characters, as written
    assert all(s["author"] == "Paul Verlaine" for s in text["spans"])
    assert text["copied_share"] > 0.6


def test_bad_texts_are_named_and_the_rest_is_audited(studio_dir, corpus_dir, run_cli, tmp_path):
    make_studio(studio_dir, corpus_dir).close()
    good = tmp_path / "good.txt"
    good.write_text("Une réponse quelconque, sans rien de copié, pour l'essai du jour.", "utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", "utf-8")
    binary = tmp_path / "junk.txt"
    binary.write_bytes(b"\x00\x01\x02\xff" * 50)
    result = run_cli("audit", "--texts", str(good), str(empty), str(binary), str(tmp_path / "missing.txt"))
    assert result.exit_code == 1
    for name in ("empty.txt", "junk.txt", "missing.txt"):
        assert name in result.output
    assert "1 texts against" in result.output
    result = run_cli("audit", "--texts", str(empty), str(binary))
    assert result.exit_code == 1 and "no readable text to audit" in result.output
    studio = Studio.open(studio_dir)
    assert studio.conn.execute("SELECT count(*) FROM audits").fetchone()[0] == 1
    studio.close()


def test_corpus_smaller_than_min_copy_and_empty_studio(studio, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("quelques mots", "utf-8")
    with pytest.raises(AuditError, match="no works"):
        audit_texts(studio, [text], AuditOptions())
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    (tiny / "court.txt").write_text("Un vers bref.", "utf-8")
    studio.add([tiny], AddOptions(consent="train", license="CC0-1.0"))
    with pytest.raises(AuditError, match="fewer than --min-copy 50"):
        audit_texts(studio, [text], AuditOptions())
    assert not (studio.root / "reports").exists()


def test_model_audit_sweeps_temperatures_with_a_human_baseline(trained):
    studio, record, outcome = trained
    data = json.loads(outcome.json.read_text("utf-8"))
    assert data["subject"] == {"kind": "model", "model_id": record.id, "snapshot_id": record.snapshot_id, "paths": []}
    assert [row["temperature"] for row in data["sweep"]] == [0.8, 1.2]
    assert set(data["copying"]["by_group"]) == {"T=0.8", "T=1.2"}
    assert data["copying"]["baseline"]["source"] == "held-out works" and data["copying"]["baseline"]["texts"] >= 20
    groups = data["uniformization"]["groups"]
    assert set(groups) == {"same prompt", "different prompts"} and groups["same prompt"]["n_texts"] == 3
    names = {m["name"] for m in groups["same prompt"]["measures"]}
    assert {"distinct_2", "compression_ratio", "rouge_l_homogenization", "vendi_char5"} <= names
    assert {row["author"] for row in data["style"]["samples_to_authors"]} == set(VOCABULARY)
    assert len(data["texts"]) == 2 * (3 + 3)  # per temperature: a batch from one prompt, one sample per prompt
    assert outcome.html.exists() and outcome.html.stat().st_size > 10_000


def test_model_index_holds_only_consenting_training_text_and_is_reused(trained):
    studio, record, outcome = trained
    index = CorpusIndex.open(studio.root / "indexes" / outcome.data["corpus"]["index_id"])
    corpus = b"".join(bytes(shard.corpus) for shard in index.shards)
    assert CANARY.encode() not in corpus and b"Kastrofil" not in corpus
    assert {w.author for w in index.works} == set(VOCABULARY)
    stamp = (index.path / "shard-000.sa").stat().st_mtime_ns
    again = audit_model(studio, record.id, AuditOptions(samples=2, temperatures=(1.0,), max_tokens=16))
    assert again.data["corpus"]["index_id"] == index.id
    assert (index.path / "shard-000.sa").stat().st_mtime_ns == stamp


def test_reuse_audits_the_stored_samples_without_generating(trained, run_cli):
    studio, record, _ = trained
    before = {r[0] for r in studio.conn.execute("SELECT id FROM samples")}
    result = run_cli("--studio", str(studio.root), "audit", record.id, "--reuse", "--lang", "en")
    assert result.exit_code == 0, result.output
    data = json.loads(Path(result.output.split("Report:")[1].split()[0]).with_name("audit.json").read_text("utf-8"))
    assert {t["id"] for t in data["texts"]} == before  # every stored sample, and no new one
    assert {r[0] for r in studio.conn.execute("SELECT id FROM samples")} == before
    assert [row["temperature"] for row in data["sweep"]] == sorted({t["temperature"] for t in data["texts"]})


def test_generated_samples_show_the_spread_of_voices_and_intervals_everywhere(trained, run_cli):
    """The terminal, the JSON and the HTML of a model audit give the spread of voices and every interval."""
    studio, record, _ = trained
    result = run_cli("--studio", str(studio.root), "audit", record.id, "--reuse", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Spread of voices ratio" in result.output and "90% interval" in result.output
    assert "cannot reliably tell one author from many" in result.output  # 6 samples: below the minimum, said
    report = Path(result.output.split("Report:")[1].split()[0])
    data = json.loads(report.with_name("audit.json").read_text("utf-8"))
    group = next(iter(data["uniformization"]["groups"].values()))  # the headline's group
    voices = group["measures"][0]
    assert voices["name"] == "voice_spread" and group["summary_measure"] == "voice_spread"
    assert group["summary_ratio"] == pytest.approx(voices["ratio"], abs=1e-4)
    for m in group["measures"]:
        if m.get("ratio_interval"):
            assert m["samples_interval"] and m["corpus_interval"] and len(m["ratio_interval"]) == 2
    assert voices["ratio_interval"] and data["uniformization"]["summary_interval"] == group["summary_interval"]
    intervals = data["copying"]["intervals"]
    assert intervals["resamples"] == 200 and intervals["creativity_index"] and intervals["mean_copied_share"]
    assert all(p["creativity_index_interval"] and p["mean_copied_share_interval"] for p in data["sweep"])
    html = report.read_text("utf-8")
    assert "spread of voices (styles)" in html and "90% interval" in html and "200 resamples" in html


def test_audit_of_a_model_whose_snapshot_is_gone(trained, tmp_path):
    studio, record, _ = trained
    copy = tmp_path / "copy"
    shutil.copytree(studio.root, copy)
    shutil.rmtree(copy / "snapshots" / record.snapshot_id)
    damaged = Studio.open(copy)
    before = damaged.conn.execute("SELECT count(*) FROM audits").fetchone()[0]
    with pytest.raises(AuditError, match=f"snapshot {record.snapshot_id} is gone"):
        audit_model(damaged, record.id, AuditOptions(samples=2, temperatures=(1.0,)))
    assert damaged.conn.execute("SELECT count(*) FROM audits").fetchone()[0] == before
    damaged.close()
