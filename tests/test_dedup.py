"""Duplicates and near-duplicates, reported at ingest: another edition, a pasted chapter, a repeated chapter.

The texts are generated here from word lists written for these tests (seeded, so every run
sees the same text): long enough for MinHash to be stable, unlike anything in a real corpus.
"""

from __future__ import annotations

import hashlib
import random
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from ouvroir.corpus import dedup
from ouvroir.corpus.ingest import AddOptions, FileOutcome
from ouvroir.workshop.studio import Studio

FRENCH_WORDS = """
matin soir rivière pont pierre lampe fenêtre jardin pluie neige vent nuage barque rive sable
colline forêt chemin maison porte escalier grenier cave table chaise lettre carnet crayon encre
papier livre page marge mot phrase silence voix chant cloche horloge heure minute saison été
automne hiver printemps fleur racine branche feuille écorce oiseau merle pigeon chat chien cheval
renard loup ruisseau source fontaine puits moulin grange champ blé avoine vigne pomme poire
cerise prune noix pain sel lait miel vin eau feu cendre fumée braise lumière ombre reflet miroir
verre bouteille tasse assiette couteau cuillère nappe drap rideau tapis coussin lit sommeil rêve
souvenir promesse départ retour voyage gare train quai valise billet ville rue place marché
boutique atelier usine bureau école cour préau craie tableau élève maître voisin cousin sœur
frère mère père enfant vieillard ami inconnu passant marin pêcheur meunier boulanger facteur
lent vif doux amer clair sombre léger lourd froid chaud vieux neuf petit grand proche lointain
tranquille inquiet heureux triste patient pressé attentif distrait fidèle étrange ancien
marche regarde écoute attend appelle oublie garde perd trouve porte ouvre ferme lit écrit chante
dort rêve compte range plie lave cuit coupe sème récolte traverse longe monte descend revient
""".split()  # noqa: SIM905 (a word list reads better as text)

ENGLISH_WORDS = """
harbour lantern orchard ledger thimble bicycle meadow chimney kettle ribbon compass quarry
window garden summer winter morning evening river bridge letter pencil ladder engine station
platform ticket cellar attic pocket button needle thread basket candle mirror blanket pillow
walks reads writes waits sings sleeps counts folds carries opens closes finds keeps loses mends
quiet bright narrow heavy gentle restless careful distant early late hollow golden silver
""".split()  # noqa: SIM905


def paragraphs(words: list[str], seed: int, count: int, length: tuple[int, int] = (35, 55)) -> list[str]:
    """``count`` prose paragraphs of random words, one line each (well over 60 characters)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        n = rng.randint(*length)
        sentence = " ".join(rng.choice(words) for _ in range(n))
        out.append(sentence[0].upper() + sentence[1:] + ".")
    return out


def as_text(paras: list[str]) -> str:
    return "\n\n".join(paras) + "\n"


def edit_words(text: str, share: float, seed: int) -> tuple[str, float]:
    """Another "edition": replace about ``share`` of the words; returns the text and the share changed."""
    rng = random.Random(seed)
    tokens = re.split(r"(\w+)", text)
    words = [i for i, t in enumerate(tokens) if re.fullmatch(r"\w+", t)]
    changed = rng.sample(words, round(len(words) * share))
    for i in changed:
        tokens[i] = rng.choice(["ainsi", "pourtant", "jadis", "parfois", "encore", "toujours", "déjà"])
    return "".join(tokens), len(changed) / len(words)


def add(studio: Studio, path: Path, text: str, encoding: str = "utf-8") -> FileOutcome:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    [outcome] = studio.add([path], AddOptions(consent="train")).outcomes
    return outcome


BOOK = paragraphs(FRENCH_WORDS, seed=1, count=40)  # about 1,800 words


def test_another_edition_is_reported_with_a_minhash_similarity(studio: Studio, tmp_path: Path):
    first = add(studio, tmp_path / "recueil_1901.txt", as_text(BOOK))
    assert first.status == "added" and first.near_duplicates == []
    edited, changed = edit_words(as_text(BOOK), 0.05, seed=2)
    assert 0.04 <= changed <= 0.06
    second = add(studio, tmp_path / "recueil_1923.txt", edited)
    assert second.status == "added"  # not the same text: stored, but reported

    [near] = second.near_duplicates
    assert near.measure == "minhash-jaccard" and near.other_id == first.work.id
    # Each changed word breaks the five 5-grams around it: 5% of words changed leaves ~60% shared.
    assert 0.5 <= near.similarity <= 0.8
    assert near.title == first.work.title
    assert f"similarity {near.similarity:.2f}" in near.describe() and "MinHash" in near.describe()
    # Recorded: both works show the link.
    assert [(d["other_id"], d["measure"]) for d in studio.near_duplicates(second.work)] == [
        (first.work.id, "minhash-jaccard")
    ]
    assert [d["other_id"] for d in studio.near_duplicates(first.work)] == [second.work.id]


def test_another_edition_is_shown_by_the_cli(run_cli, studio: Studio, tmp_path: Path):
    (tmp_path / "a.txt").write_text(as_text(BOOK), encoding="utf-8")
    (tmp_path / "b.txt").write_text(edit_words(as_text(BOOK), 0.05, seed=3)[0], encoding="utf-8")
    assert run_cli("add", tmp_path / "a.txt").exit_code == 0
    result = run_cli("add", tmp_path / "b.txt")
    assert result.exit_code == 0, result.output
    assert re.search(
        r"! near-duplicate of \w+ 'A' \(similarity 0\.\d\d, MinHash Jaccard of word 5-grams\)", result.output
    )
    shown = run_cli("show", "B")
    assert re.search(r"0\.\d\d minhash-jaccard: \w+ 'A'", shown.output), shown.output


def test_a_chapter_pasted_into_another_work_is_reported_as_shared_passages(studio: Studio, tmp_path: Path):
    novel = add(studio, tmp_path / "roman.txt", as_text(BOOK))
    chapter = BOOK[10:16]  # six paragraphs
    own = paragraphs(FRENCH_WORDS, seed=7, count=14)
    other = add(studio, tmp_path / "nouvelles.txt", as_text(own[:7] + chapter + own[7:]))
    assert other.status == "added"
    shared = [d for d in other.near_duplicates if d.measure == "shared-passages"]
    assert [d.other_id for d in shared] == [novel.work.id]
    share = sum(len(p) for p in chapter) / other.work.chars
    assert shared[0].similarity == pytest.approx(share, abs=0.01)
    assert 0.2 < share < 0.5  # a real share, not the whole text
    assert f"{shared[0].similarity:.0%} of its text also appears in" in shared[0].describe()
    assert not [d for d in other.near_duplicates if d.measure == "minhash-jaccard"]  # Jaccard misses it


def test_pasted_passages_are_found_despite_case_punctuation_and_spacing(studio: Studio, tmp_path: Path):
    novel = add(studio, tmp_path / "roman.txt", as_text(BOOK))
    chapter = [re.sub(r" (\w+) ", r"  \1, ", p.upper(), count=3) for p in BOOK[20:26]]
    other = add(studio, tmp_path / "copie.txt", as_text(paragraphs(FRENCH_WORDS, seed=8, count=10) + chapter))
    assert [d.other_id for d in other.near_duplicates if d.measure == "shared-passages"] == [novel.work.id]


def test_a_chapter_repeated_inside_a_work_is_reported(studio: Studio, tmp_path: Path):
    body = paragraphs(FRENCH_WORDS, seed=11, count=20)
    repeated = body + body[3:7]  # the printer set chapter two twice
    outcome = add(studio, tmp_path / "repetition.txt", as_text(repeated))
    [near] = outcome.near_duplicates
    assert near.measure == "repeated-passages"
    assert near.similarity == pytest.approx(sum(len(p) for p in body[3:7]) / outcome.work.chars, abs=0.01)
    assert "repeats passages found elsewhere in the same work" in near.describe()
    [stored] = studio.near_duplicates(outcome.work)
    assert (stored["other_id"], stored["measure"]) == (outcome.work.id, "repeated-passages")


def test_unrelated_texts_report_nothing(studio: Studio, tmp_path: Path):
    outcomes = [
        add(studio, tmp_path / "un.txt", as_text(BOOK)),
        add(studio, tmp_path / "deux.txt", as_text(paragraphs(FRENCH_WORDS, seed=21, count=40))),
        add(studio, tmp_path / "three.txt", as_text(paragraphs(ENGLISH_WORDS, seed=22, count=40))),
        add(studio, tmp_path / "court.txt", "Deux vers seulement,\nrien à comparer."),
    ]
    assert [o.status for o in outcomes] == ["added"] * 4
    assert [o.near_duplicates for o in outcomes] == [[]] * 4
    assert studio.conn.execute("SELECT count(*) FROM near_duplicates").fetchone()[0] == 0


def test_an_exact_duplicate_is_not_stored_twice(studio: Studio, tmp_path: Path):
    text = as_text(paragraphs(FRENCH_WORDS, seed=31, count=8))
    first = add(studio, tmp_path / "original.txt", text)
    files_before = studio.blobs.all_hashes()
    for name, data in [
        ("copie.txt", text),  # same bytes, other name
        ("copie-crlf.txt", text.replace("\n", "\r\n")),  # Windows line ends
    ]:
        outcome = add(studio, tmp_path / "dups" / name, data)
        assert outcome.status == "duplicate" and outcome.work.id == first.work.id
        assert "not stored twice" in outcome.message
    latin = add(studio, tmp_path / "dups" / "copie-latin1.txt", text, encoding="cp1252")
    utf16 = add(studio, tmp_path / "dups" / "copie-utf16.txt", text, encoding="utf-16")
    assert [latin.status, utf16.status] == ["duplicate", "duplicate"]
    assert len(studio.works()) == 1
    assert studio.blobs.all_hashes() == files_before  # not even the other original bytes are kept


def test_minhash_signature_is_stable_and_measures_overlap():
    text = as_text(BOOK)
    a = dedup.minhash_signature(text)
    assert (a == dedup.minhash_signature(text)).all()  # same text, same signature, every run
    assert (a == dedup.minhash_signature(text.upper())).all()  # case does not count
    unrelated = dedup.minhash_signature(as_text(paragraphs(FRENCH_WORDS, seed=99, count=40)))
    assert (a == unrelated).mean() < 0.1


def _reference_signature(text: str) -> np.ndarray:
    """The signature as computed before chunking: every word 5-gram of the whole text in one MinHash batch."""
    from datasketch import MinHash

    words = re.findall(r"\w+", text.casefold())
    hashes = [int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little") for w in words]
    n = max(1, len(words) - dedup.SHINGLE_WORDS + 1)
    shingles = []
    for start in range(n):
        combined = 0
        for h in hashes[start : start + dedup.SHINGLE_WORDS]:
            combined = (combined * 1_000_003 + h) % 2**64
        shingles.append((combined ^ (combined >> 32)) & 0xFFFFFFFF)
    mh = MinHash(num_perm=dedup.NUM_PERM, seed=1, hashfunc=int)
    mh.update_batch(shingles)
    return mh.hashvalues.astype(np.uint64)


@pytest.mark.parametrize("chunk_chars", [7, 64, 1000, 10**9])
def test_the_chunked_signature_equals_the_unchunked_one(monkeypatch: pytest.MonkeyPatch, chunk_chars: int):
    text = as_text(BOOK[:12]) + "Straße ΟΔΟΣ — l’été...fin"  # folding that changes lengths, punctuation runs
    monkeypatch.setattr(dedup, "CHUNK_CHARS", chunk_chars)
    assert (dedup.minhash_signature(text) == _reference_signature(text)).all()
    for short in ("", "   ", "un deux", "un deux trois quatre cinq"):  # fewer words than a 5-gram
        assert (dedup.minhash_signature(short) == _reference_signature(short)).all(), short


def test_the_signature_of_a_long_text_needs_bounded_memory():
    """It needed ~170 bytes per byte of text (a 100 MB text failed after 10.5 GB): now a few chunks' worth."""
    text = as_text(paragraphs(FRENCH_WORDS, seed=5, count=5_000))  # about 1.5 MB
    assert len(text) > 1_400_000
    dedup.minhash_signature("warm up the imports")
    tracemalloc.start()
    try:
        dedup.minhash_signature(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 48 * 2**20, f"peak {peak / 2**20:.0f} MiB for {len(text) / 1e6:.1f} MB of text"
