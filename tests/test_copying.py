"""The copy index: every shared span ≥ L found, attributed to the right work, and nothing else.

Exactness is checked against a brute-force search on small corpora over a tiny
alphabet (so texts share many spans of every length); the patchwork acceptance
uses passages of known works stitched with new text.
"""

from __future__ import annotations

import json
import random

import pytest

from ouvroir.audit import attribution
from ouvroir.audit.copying import copied_share, find_spans
from ouvroir.audit.index import CorpusIndex, Document, build_index, index_key
from ouvroir.errors import AuditError
from tests.conftest import SHARED, needs_shared

ALPHABET = "ab c\né"


def doc(number: int, text: str, author: str | None = None) -> Document:
    return Document(f"w{number}", f"Work {number}", author, f"{number:064d}", text)


def brute_spans(works: list[str], text: str, min_len: int, skip: int | None = None) -> set[tuple[int, int]]:
    """Maximal spans by definition: end(a) is the longest match from a; a span starts where end grows."""
    pool = [w for i, w in enumerate(works) if i != skip]

    def end(a: int) -> int:
        e = a
        while e < len(text) and any(text[a : e + 1] in w for w in pool):
            e += 1
        return e

    spans, previous = set(), -1
    for a in range(len(text)):
        e = end(a)
        if e > previous and e - a >= min_len:
            spans.add((a, e))
        previous = max(previous, e)
    return spans


def random_text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(length))


@pytest.mark.parametrize("seed", range(6))
def test_spans_equal_brute_force_on_repetitive_text(tmp_path, seed):
    rng = random.Random(seed)
    works = [random_text(rng, rng.randrange(50, 400)) for _ in range(4)]
    texts = []
    for _ in range(12):  # pieces of works, some with mutations, and random text
        parts = []
        for _ in range(rng.randrange(1, 5)):
            source = rng.choice(works)
            a = rng.randrange(len(source))
            parts.append(source[a : a + rng.randrange(1, 60)] if rng.random() < 0.7 else random_text(rng, 9))
        texts.append("".join(parts))
    texts.append("")
    index = build_index(tmp_path / "index", [doc(i, w) for i, w in enumerate(works)], shard_bytes=500)
    assert len(index.shards) > 1  # several shards searched as one corpus
    for min_len in (4, 9, 20):
        found = find_spans(index, texts, min_len)
        for text, spans in zip(texts, found):
            assert {(s.start, s.end) for s in spans} == brute_spans(works, text, min_len)
            for s in spans:  # the reported source really holds the span
                source = works[s.work]
                assert source[s.work_start : s.work_start + s.end - s.start] == text[s.start : s.end]
                assert s.occurrences == sum(
                    sum(1 for k in range(len(w)) if w.startswith(text[s.start : s.end], k)) for w in works
                )


@pytest.mark.parametrize("seed", range(3))
def test_exclusion_compares_a_work_with_the_others_only(tmp_path, seed):
    rng = random.Random(100 + seed)
    works = [random_text(rng, 300) for _ in range(3)]
    works.append(works[0][50:120] + random_text(rng, 100))  # work 3 shares 70 characters with work 0
    index = build_index(tmp_path / "index", [doc(i, w) for i, w in enumerate(works)])
    texts = [works[0][:200], works[3]]
    found = find_spans(index, texts, 12, exclude=[0, 3])
    for text, spans, skip in zip(texts, found, [0, 3]):
        assert {(s.start, s.end) for s in spans} == brute_spans(works, text, 12, skip=skip)
        assert all(s.work != skip for s in spans)
    assert (50, 120) in {(s.start, s.end) for s in found[0]}


WORDS = ["lanterne", "verger", "écluse", "faïence", "houblon", "tilleul", "grève", "brasier", "ardoise", "méandre", "balustrade", "crépuscule", "falaise", "quenouille", "sarment", "vitrail", "marelle", "girouette", "pressoir", "sablier", "bruyère", "échoppe", "cerceau", "ferronnerie", "grenade", "lavoir", "mansarde", "orée", "pâture", "rouet", "salpêtre", "tonnelle", "usure", "volière"]


def invented(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def test_patchwork_every_passage_found_attributed_and_nothing_else(tmp_path):
    """Acceptance 1: passages ≥ L of known works stitched with new text (hermetic)."""
    rng = random.Random(7)
    works = [f"{invented(rng, 2000)}" for _ in range(5)]
    index = build_index(tmp_path / "index", [doc(i, w, f"Author {i % 2}") for i, w in enumerate(works)])
    # new text from a different vocabulary: it cannot share 50 characters with the works
    fresh = ["nouveau", "mot", "inédit", "pour", "coudre", "les", "morceaux", "ensemble", "sans", "rien", "emprunter"]
    for trial in range(20):
        pieces, truth, at = [], [], 0
        for _ in range(rng.randrange(1, 4)):
            filler = " ".join(rng.choice(fresh) for _ in range(rng.randrange(3, 12))) + " | "
            pieces.append(filler)
            at += len(filler)
            w = rng.randrange(len(works))
            a = rng.randrange(len(works[w]) - 300)
            length = rng.randrange(50, 250)
            pieces.append(works[w][a : a + length])
            truth.append((at, at + length, w))
            at += length
            pieces.append(" | ")
            at += 3
        text = "".join(pieces)
        (spans,) = find_spans(index, [text], 50)
        for start, end, w in truth:
            hits = [s for s in spans if s.start <= start and s.end >= end]
            assert hits, f"trial {trial}: passage {start}-{end} of work {w} not found"
            assert any(s.work == w or works[s.work][s.work_start : s.work_start + s.end - s.start] == text[s.start : s.end]
                       for s in hits)  # fmt: skip
        for s in spans:  # nothing reported outside the passages
            assert any(s.start >= start - 1 and s.end <= end + 1 for start, end, _ in truth), (s, truth)
        assert copied_share(text, spans) == pytest.approx(sum(e - a for a, e, _ in truth) / len(text), abs=0.02)


@needs_shared
def test_patchwork_on_french_poetry(tmp_path):
    """The same acceptance on real works: Verlaine and Rimbaud passages inside new text."""
    files = sorted((SHARED / "french" / "poetry").glob("*/*.txt"))[:12]
    texts = [f.read_text("utf-8") for f in files]
    index = build_index(tmp_path / "index", [doc(i, t, f.parent.name) for i, (f, t) in enumerate(zip(files, texts))])
    rng = random.Random(3)
    for trial in range(10):
        w = rng.randrange(len(texts))
        a = rng.randrange(len(texts[w]) - 400)
        passage = texts[w][a : a + rng.randrange(60, 300)]
        text = "Ceci est une phrase neuve, écrite pour l'essai, qui précède : " + passage + " ; et ceci la suit, neuve aussi."
        (spans,) = find_spans(index, [text], 50)
        start = text.index(passage)
        hit = [s for s in spans if s.start <= start and s.end >= start + len(passage)]
        assert hit, (trial, files[w].name)
        assert texts[hit[0].work][hit[0].work_start : hit[0].work_start + hit[0].end - hit[0].start] == text[hit[0].start : hit[0].end]
        assert index.works[hit[0].work].author == files[w].parent.name or hit[0].occurrences > 1


def test_accents_and_character_offsets(tmp_path):
    work = "Là-bas, près de l'écluse, où l'été s'attarde — déjà — sur les pêchers en fleur."
    index = build_index(tmp_path / "index", [doc(0, work)])
    text = "«" + work[3:60] + "»"
    (spans,) = find_spans(index, [text], 10)
    assert [(s.start, s.end, s.work_start) for s in spans] == [(1, 58, 3)]
    assert text[1:58] == work[3:60]


def test_index_is_reused_and_checked(tmp_path):
    docs = [doc(0, "une œuvre assez longue pour être indexée " * 5)]
    key = index_key([d.text_sha256 for d in docs])
    first = build_index(tmp_path / key, docs)
    mtime = (tmp_path / key / "shard-000.sa").stat().st_mtime_ns
    again = build_index(tmp_path / key, docs)
    assert (tmp_path / key / "shard-000.sa").stat().st_mtime_ns == mtime and again.works == first.works
    assert [p.name for p in tmp_path.iterdir()] == [key]  # no temporary folder left behind
    sa = tmp_path / key / "shard-000.sa"
    sa.write_bytes(sa.read_bytes()[:-4])
    with pytest.raises(AuditError, match="truncated"):
        CorpusIndex.open(tmp_path / key)
    meta = json.loads((tmp_path / key / "index.json").read_text())
    meta["format"] = "something/9"
    (tmp_path / key / "index.json").write_text(json.dumps(meta))
    with pytest.raises(AuditError, match="unknown index format"):
        CorpusIndex.open(tmp_path / key)


def test_failed_build_leaves_nothing(tmp_path):
    def documents():
        yield doc(0, "première œuvre")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        build_index(tmp_path / "index", documents())
    assert list(tmp_path.iterdir()) == []


def test_word_runs_reconstructibility_and_credit(tmp_path):
    rng = random.Random(11)
    works = [invented(rng, 400) for _ in range(3)]
    index = build_index(tmp_path / "index", [doc(i, w, f"A{i}") for i, w in enumerate(works)])
    copy = " ".join(works[1].split()[10:40])  # 30 words of work 1
    fresh = "zèbre quartz wagon kiwi yacht jonque xylophone"
    runs = attribution.word_runs(index, [copy, fresh, copy + " " + fresh])
    curve = attribution.reconstructibility(runs[0], [5, 10, 20])
    assert curve == {5: 1.0, 10: 1.0, 20: 1.0}
    assert attribution.creativity_index(curve) == 0.0
    assert attribution.reconstructibility(runs[1], [5]) == {5: 0.0}
    assert attribution.creativity_index(attribution.reconstructibility(runs[1], [5])) == 1.0
    mixed = attribution.reconstructibility(runs[2], [5])[5]
    assert mixed == pytest.approx(30 / 37)
    weights, credited = attribution.credit(runs[0])
    assert max(weights, key=weights.get) == 1 and weights[1] / sum(weights.values()) > 0.9
    assert credited == 1.0
    assert attribution.credit(runs[1]) == ({}, 0.0)
    left_out = attribution.word_runs(index, [copy], exclude=[1])
    assert attribution.reconstructibility(left_out[0], [10])[10] < 0.5
    assert 1 not in attribution.credit(left_out[0])[0]

