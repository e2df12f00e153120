"""Uniformization instruments: known answers, orientation, and the ordering identical < one author < many authors."""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from ouvroir.audit import diversity as div
from ouvroir.audit.diversity import (
    LOWER_IS_DIVERSE,
    Measure,
    compression_ratio,
    distinct_n,
    diversity_profile,
    matched_excerpts,
    rare_vocabulary,
    rare_vocabulary_coverage,
    rouge_l_homogenization,
    summary_ratio,
    uniformization,
    vendi_score,
)
from ouvroir.audit.form import compare_form, form_profile
from ouvroir.audit.words import words
from tests.conftest import SHARED, needs_shared

# --- hermetic corpus: authors are seeded word lists over the same syllables -------------------

SYLLABLES = "ba ri lo mé tu sa no vi ché ga pe du zo fi ra lé mo ni cu ta".split()  # noqa: SIM905
FUNCTION_WORDS = ["le", "la", "les", "de", "et", "un", "une", "qu'", "l'", "d'", "il", "elle"]


def synthetic_author(seed: int, size: int = 300) -> tuple[list[str], list[str]]:
    """A vocabulary and a few set phrases of the author's own (every author repeats itself)."""
    rng = random.Random(seed)
    vocab: list[str] = []
    while len(vocab) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in vocab:
            vocab.append(word)
    phrases = [" ".join(rng.choices(vocab[:40], k=4)) for _ in range(6)]
    return vocab, phrases


def synthetic_text(author: tuple[list[str], list[str]], rng: random.Random, chars: int) -> str:
    """Zipfian draw from the author's words, with function words and set phrases, lines of 5 to 8 words."""
    vocab, phrases = author
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    lines, line = [], []
    while sum(map(len, lines)) + len(lines) < chars:
        draw = rng.random()
        if draw < 0.05:
            line.append(rng.choice(phrases))
        else:
            line.append(rng.choice(FUNCTION_WORDS) if draw < 0.35 else rng.choices(vocab, weights)[0])
        if len(line) >= rng.randint(5, 8):
            lines.append(" ".join(line))
            line = []
    return "\n".join(lines)[:chars].rsplit(" ", 1)[0]


AUTHORS = [synthetic_author(seed) for seed in range(8)]
N, LENGTH = 40, 300


def hermetic_sets() -> tuple[list[str], list[str], list[str], frozenset[str]]:
    rng = random.Random(7)
    one = [synthetic_text(AUTHORS[0], rng, LENGTH) for _ in range(N)]
    many = [synthetic_text(AUTHORS[i % len(AUTHORS)], rng, LENGTH) for i in range(N)]
    corpus = [synthetic_text(vocab, rng, 6000) for vocab in AUTHORS]
    return [one[0]] * N, one, many, rare_vocabulary(corpus)


def assert_ordered(identical: dict[str, float], one: dict[str, float], many: dict[str, float]) -> None:
    for name, lowest in identical.items():
        values = (lowest, one[name], many[name])
        if name in LOWER_IS_DIVERSE:
            assert values[0] > values[1] > values[2], (name, values)
        else:
            assert values[0] < values[1] < values[2], (name, values)


# --- words -------------------------------------------------------------------------------------


def test_words_split_elision_keep_hyphens_drop_punctuation():
    assert words("L’Homme qu’il vit — jusqu'à l'aube, peut-être ; 3 fois… _x_") == [
        "l'", "homme", "qu'", "il", "vit", "jusqu'", "à", "l'", "aube", "peut-être", "3", "fois", "x",
    ]  # fmt: skip
    assert words("aujourd'hui presqu'île") == ["aujourd'hui", "presqu'île"]  # not elisions
    assert words("É") == words("E\u0301")  # NFC: a combining accent is one letter


# --- known answers -----------------------------------------------------------------------------

TEXT = "Le chat dort sur le mur, et le chien dort."  # 10 words, 7 distinct, 9 distinct bigrams


@pytest.mark.parametrize("copies", [1, 3, 10])
def test_distinct_n_of_identical_copies_is_one_text_divided_by_n(copies):
    assert distinct_n([TEXT] * copies, 1) == round(7 / (10 * copies), 6)
    assert distinct_n([TEXT] * copies, 2) == round(9 / (9 * copies), 6)
    assert distinct_n([TEXT] * copies, 4) == round(1 / copies, 6)


def test_distinct_n_does_not_count_ngrams_across_texts():
    assert distinct_n(["a b", "c d"], 2) == 1.0  # 2 bigrams, "b c" is not one
    assert distinct_n(["a", "b"], 2) == 0.0


def test_rouge_l_identical_is_one_and_disjoint_is_zero():
    assert rouge_l_homogenization([TEXT] * 5) == 1.0
    assert rouge_l_homogenization(["un deux trois", "quatre cinq", "six sept huit neuf"]) == 0.0


def test_rouge_l_worked_case():
    # LCS("a b c d", "a c d e") = 3: F1 = 2·3 / (4 + 4)
    assert rouge_l_homogenization(["a b c d", "a c d e"]) == 0.75
    # three pairs: 0.75, 0 and 0
    assert rouge_l_homogenization(["a b c d", "a c d e", "x y"]) == 0.25


def _lcs(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        prev = 0
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], prev + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def test_rouge_l_matches_a_dynamic_programme():
    rng = random.Random(3)
    vocab = ["le", "la", "un", "il", "et", "de", "mer", "ciel", "nuit"]
    texts = [" ".join(rng.choice(vocab) for _ in range(rng.randint(0, 25))) for _ in range(12)]
    toks = [t.split() for t in texts]
    pairs = [(i, j) for i in range(12) for j in range(i + 1, 12)]
    f1 = [2 * _lcs(toks[i], toks[j]) / (len(toks[i]) + len(toks[j])) if toks[i] or toks[j] else 0.0 for i, j in pairs]
    assert rouge_l_homogenization(texts) == pytest.approx(sum(f1) / len(f1), abs=1e-6)


def test_rouge_l_handles_vocabularies_past_the_surrogate_block():
    many = [f"w{i}" for i in range(0xD800 + 1000)]  # word ids run through U+D800..U+DFFF
    assert rouge_l_homogenization([" ".join(many), " ".join(many)]) == 1.0
    # every other word: LCS = half, F1 = 2·(n/2) / (n + n/2) = 2/3
    assert rouge_l_homogenization([" ".join(many), " ".join(many[::2])]) == pytest.approx(2 / 3, abs=1e-6)


def disjoint_texts(count: int) -> list[str]:
    """Texts written in disjoint sets of CJK ideographs: no shared word and no shared character 5-gram."""
    out = []
    for i in range(count):
        letters = [chr(0x4E00 + 8 * i + k) for k in range(8)]
        out.append(" ".join("".join(letters[(j + k) % 8] for k in range(3)) for j in range(12)))
    return out


def test_vendi_identical_is_one_and_disjoint_is_n():
    assert vendi_score([TEXT] * 50) == pytest.approx(1.0, abs=1e-6)
    assert vendi_score(disjoint_texts(30)) == pytest.approx(30.0, abs=1e-6)
    assert rouge_l_homogenization(disjoint_texts(30)) == 0.0
    assert vendi_score(["a", "b", ""]) == pytest.approx(3.0, abs=1e-6)  # shorter than n: one n-gram each


def naive_vendi(texts: list[str], n: int) -> float:
    grams = []
    for t in texts:
        s = " ".join(t.casefold().split()).ljust(n, "\0")
        grams.append(Counter(s[i : i + n] for i in range(len(s) - n + 1)))
    vocab = sorted(set().union(*grams))
    df = np.array([sum(g in c for c in grams) for g in vocab])
    idf = np.log((1 + len(texts)) / (1 + df)) + 1
    x = np.array([[c[g] for g in vocab] for c in grams], dtype=float) * idf
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    eig = np.linalg.eigvalsh(x @ x.T / len(texts))
    eig = eig[eig > 0]
    return float(np.exp(-np.sum(eig * np.log(eig))))


@pytest.mark.parametrize("dense_df", [0, 3, 10**9])  # all n-grams dense, mixed, all through pair lists
def test_vendi_matches_a_dense_tf_idf(monkeypatch, dense_df):
    monkeypatch.setattr(div, "_DENSE_DF", dense_df)
    _, one, many, _ = hermetic_sets()
    texts = one[:10] + many[:10] + [one[0], "Ça  ira\n", "abc"]
    assert vendi_score(texts, 5) == pytest.approx(naive_vendi(texts, 5), abs=1e-6)
    assert vendi_score(texts, 3) == pytest.approx(naive_vendi(texts, 3), abs=1e-6)


def test_compression_ratio_of_identical_texts_grows_with_n():
    ratios = [compression_ratio([TEXT] * k) for k in (1, 2, 4, 8, 16, 32)]
    assert ratios == sorted(ratios) and len(set(ratios)) == len(ratios), ratios
    assert compression_ratio([]) == 0.0


def test_rare_vocabulary_is_words_seen_two_to_five_times():
    corpus = ["azur " * 2 + "brume " * 5 + "ciel " * 6 + "unique " + "l'ombre " * 3, "1871 " * 2 + "peut-être " * 2]
    assert rare_vocabulary(corpus) == {"azur", "brume", "ombre", "peut-être"}  # not "l'", not "1871"
    assert rare_vocabulary(corpus, max_count=6) == {"azur", "brume", "ciel", "ombre", "peut-être"}
    assert rare_vocabulary(corpus, max_count=6, min_count=6) == {"ciel"}
    assert rare_vocabulary_coverage(["Un azur", "la brume"], frozenset({"azur", "brume", "ciel", "mer"})) == 0.5
    assert rare_vocabulary_coverage(["azur"], frozenset()) == 0.0


# --- orientation, equal counts, headline --------------------------------------------------------


def test_ratios_below_one_when_samples_are_flatter_and_above_when_richer():
    identical, _, many, rare = hermetic_sets()
    flat = uniformization(identical, many, rare)
    assert [m.name for m in flat] == [
        "distinct_1", "distinct_2", "distinct_3", "distinct_4",
        "compression_ratio", "rouge_l_homogenization", "vendi_char5", "rare_vocabulary_coverage",
    ]  # fmt: skip
    assert all(m.ratio < 1 for m in flat), flat
    assert all(m.higher_is_diverse == (m.name not in LOWER_IS_DIVERSE) for m in flat)
    assert summary_ratio(flat) < 0.2
    rich = uniformization(many, identical, rare)
    assert all(m.ratio > 1 for m in rich), rich


def test_uniformization_refuses_unequal_counts():
    with pytest.raises(ValueError, match="drift with the number of texts"):
        uniformization(["a b"] * 3, ["a b"] * 4, frozenset())


def test_summary_ratio_weighs_families_equally_and_survives_a_zero():
    distinct = [Measure(f"distinct_{n}", 1, 1, 0.25, True) for n in range(1, 5)]
    assert summary_ratio(distinct + [Measure("vendi_char5", 4, 1, 4.0, True)]) == 1.0
    zero = summary_ratio(distinct + [Measure("rare_vocabulary_coverage", 0, 0.1, 0.0, True)])
    assert zero == pytest.approx(math.sqrt(0.25 * 0.01), rel=1e-6)
    assert math.isnan(summary_ratio([]))


# --- ordering: identical < one author < many authors, for every measure --------------------------


def test_ordering_hermetic():
    identical, one, many, rare = hermetic_sets()
    assert len({len(t) for t in one + many}) > 1 and abs(np.mean([len(t) for t in one]) - LENGTH) < 10
    assert_ordered(diversity_profile(identical, rare), diversity_profile(one, rare), diversity_profile(many, rare))


@pytest.fixture(scope="module")
def french_works() -> dict[str, list[tuple[str, str]]]:
    works: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((SHARED / "french").glob("*/*/*.txt")):
        works.setdefault(path.parent.name, []).append((f"{path.parent.name}/{path.stem}", path.read_text("utf-8")))
    return works


@needs_shared
def test_ordering_on_french_corpus(french_works):
    everything = [w for ws in french_works.values() for w in ws]
    rare = rare_vocabulary(text for _, text in everything)
    count, length = 200, 500
    many = matched_excerpts(everything, count, length, seed=0)
    one = matched_excerpts(french_works["verlaine"], count, length, seed=0)
    identical = [many[0]] * count
    assert_ordered(diversity_profile(identical, rare), diversity_profile(one, rare), diversity_profile(many, rare))


# --- matched excerpts ----------------------------------------------------------------------------


def _prose(seed: int, chars: int) -> str:
    return synthetic_text(AUTHORS[seed % len(AUTHORS)], random.Random(seed), chars)


def test_matched_excerpts_round_robin_deterministic_and_snapped():
    works = [(f"w{i}", _prose(i, 3000)) for i in range(5)] + [("short", "Bref poème.")]
    first = matched_excerpts(works, 6, 200, seed=11)
    assert first == matched_excerpts(list(reversed(works)), 6, 200, seed=11)  # input order does not matter
    assert first != matched_excerpts(works, 6, 200, seed=12)
    assert "Bref poème." in first  # a short work gives its whole text
    sources = []
    for excerpt in first:
        (wid, text), = [(wid, text) for wid, text in works if excerpt in text]  # fmt: skip
        sources.append(wid)
        start = text.index(excerpt)
        assert start == 0 or text[start - 1].isspace()  # starts on a word
        end = start + len(excerpt)
        assert end == len(text) or text[end].isspace()  # ends on a word
        assert 180 <= len(excerpt) <= 200 or wid == "short"
    assert sorted(sources) == sorted(wid for wid, _ in works)  # one per work before any repeats
    assert matched_excerpts(works, 0, 200, seed=1) == [] and matched_excerpts([], 5, 200, seed=1) == []


# --- form ------------------------------------------------------------------------------------------


def test_form_profile_poem_screenplay_and_french_dialogue():
    poem = "Les sanglots longs\nDes violons\nDe l'automne\n\nBlessent mon cœur\nD'une langueur\nMonotone"
    assert form_profile([poem])["stanza_lines_mean"] == 3.0
    assert form_profile([poem])["line_chars_mean"] == round(sum(map(len, poem.split("\n"))) / 6, 6)
    assert form_profile([poem])["dialogue_share"] == 0.0
    fountain = "INT. CAFÉ - NUIT\n\nMARIE (V.O.)\nTu viens ?\n\nIl sort."  # cue 12, speech 10, action 8 + 16
    assert form_profile([fountain])["dialogue_share"] == round(10 / (16 + 12 + 10 + 8), 6)
    lines = ["Il entra.", "— Bonjour, dit-il.", "-- Bonsoir.", "« Non », fit-elle.", "- Oui.", "-ment"]
    prose = "\n".join(lines)
    spoken = sum(map(len, lines[1:5]))
    assert form_profile([prose])["dialogue_share"] == round(spoken / sum(map(len, lines)), 6)
    assert compare_form([poem], [prose]) == {
        name: [form_profile([poem])[name], form_profile([prose])[name]] for name in form_profile([poem])
    }
    assert form_profile([]) == {"line_chars_mean": 0.0, "line_chars_sd": 0.0, "stanza_lines_mean": 0.0,
                                "dialogue_share": 0.0}  # fmt: skip


@needs_shared
def test_form_tells_poetry_from_prose_and_finds_screenplay_dialogue(french_works):
    verse = form_profile(matched_excerpts(french_works["verlaine"], 100, 500, seed=0))
    prose = form_profile(matched_excerpts(french_works["zola"], 100, 500, seed=0))
    assert verse["line_chars_mean"] < 60 < prose["line_chars_mean"]
    assert verse["stanza_lines_mean"] > 2 and prose["stanza_lines_mean"] == 1.0
    assert prose["dialogue_share"] > 0.1 > verse["dialogue_share"]
    screenplay = next(Path(SHARED / "screenplays" / "fountain").rglob("Cyber_Bob*.fountain")).read_text("utf-8")
    assert 0.2 < form_profile([screenplay])["dialogue_share"] < 0.6
