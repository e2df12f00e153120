"""A refusal cannot be bypassed by adding the text again: copies of works without consent are held.

Generated texts (seeded word lists from test_dedup) for the exact cases; real texts from
../shared/corpora, drawn with a fixed seed, for the thresholds: unrelated real works must not
be held, planted copies must be.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from ouvroir.corpus import copies, dedup
from ouvroir.corpus.ingest import AddOptions, FileOutcome
from ouvroir.workshop.studio import Studio
from tests.conftest import SHARED, needs_shared
from tests.test_dedup import BOOK, FRENCH_WORDS, as_text, paragraphs

POEM = paragraphs(FRENCH_WORDS, seed=41, count=8)  # a refused work of about 2,700 characters


def add(studio: Studio, path: Path, text: str, consent: str | None = "train", **options) -> FileOutcome:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    [outcome] = studio.add([path], AddOptions(consent=consent, **options)).outcomes
    assert outcome.status == "added", outcome.message
    return outcome


def one_line_changed(text: str) -> str:
    lines = text.split("\n")
    lines[4] = "Une ligne changée pour que le texte ne soit pas le même, mot pour mot."
    return "\n".join(lines)


def test_a_near_copy_of_a_refused_work_is_held_until_a_person_decides(studio: Studio, tmp_path: Path):
    refused = add(studio, tmp_path / "mien.txt", as_text(BOOK), consent="no-train").work
    copy = add(studio, tmp_path / "autre-nom.txt", one_line_changed(as_text(BOOK)), consent="train")
    work = copy.work
    assert (work.consent, work.trainable) == ("unknown", False)
    assert re.search(rf"held: it is 9\d% the same as work {refused.id} 'Mien', whose consent is no-train", work.consent_reason)
    assert f"consent unknown (held: it is" in copy.message  # the outcome line says so
    assert [(e.consent, e.origin) for e in studio.consent_history(work)] == [("train", "user"), ("unknown", "copy-hold")]
    assert work.id not in {w.id for w in studio.trainable_works()}
    studio.set_consent([work.id], "train", "I wrote both; the copy is mine to train on")  # a person decides
    assert studio.work(work.id).trainable


def test_a_work_embedding_a_refused_work_is_held_even_reflowed(studio: Studio, tmp_path: Path):
    refused = add(studio, tmp_path / "poeme.txt", as_text(POEM), consent="no-train").work
    own = paragraphs(FRENCH_WORDS, seed=42, count=60)  # the embedding work is ~8 times longer
    exact = add(studio, tmp_path / "recueil.txt", as_text(own[:30] + POEM + own[30:]), consent="train").work
    assert exact.consent == "unknown"
    assert f"held: it contains 100% of work {refused.id} 'Poeme', whose consent is no-train" in exact.consent_reason
    # Paragraphs cut differently: no passage matches exactly any more; the 5-grams still do.
    reflowed = " ".join(POEM).replace(". ", ".\n\n")
    own = paragraphs(FRENCH_WORDS, seed=43, count=60)
    outcome = add(studio, tmp_path / "autre.txt", as_text(own[:10]) + reflowed + "\n\n" + as_text(own[10:]))
    assert not [d for d in outcome.near_duplicates if d.measure in ("shared-passages", "minhash-jaccard")]
    [contains] = [d for d in outcome.near_duplicates if d.measure == "contains"]
    assert contains.other_id == refused.id and contains.similarity > 0.8
    assert outcome.work.consent == "unknown" and "whose consent is no-train" in outcome.work.consent_reason


def test_copies_of_works_without_consent_are_held_and_copies_of_consenting_ones_are_not(studio: Studio, tmp_path: Path):
    unknown = add(studio, tmp_path / "a" / "inconnu.txt", as_text(BOOK), consent=None).work
    held = add(studio, tmp_path / "b" / "copie.txt", one_line_changed(as_text(BOOK))).work
    assert held.consent == "unknown" and f"{unknown.id} 'Inconnu', whose consent is unknown" in held.consent_reason

    other = as_text(paragraphs(FRENCH_WORDS, seed=44, count=40))
    add(studio, tmp_path / "c" / "libre.txt", other)
    free_copy = add(studio, tmp_path / "d" / "libre-bis.txt", one_line_changed(other))
    assert free_copy.near_duplicates and free_copy.work.consent == "train"  # reported, not held

    no_consent = add(studio, tmp_path / "e" / "sans.txt", one_line_changed(as_text(BOOK)).replace("a", "à", 3), consent=None)
    assert no_consent.work.consent_reason.startswith("no consent given at ingest; held: it is")


def test_unrelated_and_short_texts_are_not_held(studio: Studio, tmp_path: Path):
    add(studio, tmp_path / "refus.txt", as_text(BOOK), consent="no-train")
    add(studio, tmp_path / "vers.txt", "Deux vers seulement,\nrien à comparer.", consent="no-train")
    for seed, name in [(51, "un.txt"), (52, "deux.txt")]:
        text = as_text(paragraphs(FRENCH_WORDS, seed=seed, count=30)) + "Deux vers seulement,\nrien à comparer.\n"
        outcome = add(studio, tmp_path / name, text)
        assert outcome.work.consent == "train" and outcome.near_duplicates == [], outcome.near_duplicates


def test_the_minima_of_a_signature_are_five_grams_of_its_text():
    text = as_text(POEM)
    [minima] = dedup.minima_shingles(dedup.minhash_signature(text)[None, :])
    assert set(minima.tolist()) <= set(dedup.shingle_hashes(text).tolist())


def test_train_lists_copies_of_works_without_consent_before_training(run_cli, studio: Studio, tmp_path: Path):
    refused = add(studio, tmp_path / "mien.txt", as_text(POEM), consent="no-train").work
    copy = add(studio, tmp_path / "copie.txt", one_line_changed(as_text(POEM))).work
    studio.set_consent([copy.id], "train", "lifted by hand")
    [line] = copies.snapshot_copies(studio.conn, [copy.id])
    assert re.fullmatch(rf"work {copy.id} 'Copie' \(in this snapshot\) is [5-9]\d% the same as work {refused.id} 'Mien', "
                        "whose consent is no-train", line)  # fmt: skip
    assert copies.snapshot_copies(studio.conn, []) == []
    result = run_cli("train", "--steps", "1")  # a corpus far too small: it stops after the snapshot
    assert result.exit_code != 0
    assert line in result.output and "too small" in result.output
    assert result.output.index(line) < result.output.index("too small")


def _excerpts(rng: random.Random, files: list[Path], count: int, chars: int) -> list[str]:
    out = []
    for path in rng.sample(files, count):
        text = path.read_text(encoding="utf-8")
        start = rng.randrange(max(1, len(text) - chars))
        out.append(text[start : start + chars])
    return out


@needs_shared
def test_thresholds_hold_on_real_texts_not_tuned_on(studio: Studio, tmp_path: Path):
    """Fixed-seed draws from the real corpora: 10 refused excerpts; 10 excerpts of other books must not
    be held; 10 planted copies (one line changed, or 60% of a refused excerpt reflowed inside another) must be."""
    files = sorted(p for p in (SHARED / "french").rglob("*.txt") if p.stat().st_size > 60_000)
    rng = random.Random(2024)
    rng.shuffle(files)
    refused_files, other_files = files[:10], files[10:]
    refused = _excerpts(rng, refused_files, 10, 12_000)
    for i, text in enumerate(refused):
        add(studio, tmp_path / "refus" / f"r{i}.txt", text, consent="no-train")
    for i, text in enumerate(_excerpts(rng, other_files, 10, 30_000)):
        outcome = add(studio, tmp_path / "autres" / f"o{i}.txt", text)
        assert outcome.work.consent == "train", (outcome.path, outcome.near_duplicates)
    fillers = _excerpts(rng, other_files, 5, 20_000)
    for i, text in enumerate(refused[:5]):
        outcome = add(studio, tmp_path / "copies" / f"c{i}.txt", one_line_changed(text))
        assert outcome.work.consent == "unknown", (i, outcome.near_duplicates)
    for i, (text, filler) in enumerate(zip(refused[5:], fillers)):
        taken = " ".join(text[: int(len(text) * 0.6)].split())  # 60% of it, line breaks gone
        cut = filler.index(" ", len(filler) // 2)
        outcome = add(studio, tmp_path / "copies" / f"e{i}.txt", filler[:cut] + "\n\n" + taken + "\n\n" + filler[cut:])
        assert outcome.work.consent == "unknown", (i, outcome.near_duplicates)
