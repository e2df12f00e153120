"""Burrows' Delta: nearest author, the corpus's own scale, elision, fairness between long and short authors."""

from __future__ import annotations

import math
import random
import re

import pytest

from ouvroir.audit.style import StyleResult, burrows_delta
from tests.conftest import SHARED, needs_shared

FUNCTION_WORDS = [
    "le",
    "la",
    "les",
    "de",
    "et",
    "un",
    "une",
    "que",
    "ne",
    "pas",
    "il",
    "elle",
    "se",
    "en",
    "au",
    "sur",
    "dans",
    "qui",
]
CONTENT_WORDS = [f"mot{i}" for i in range(200)]


def author_style(seed: int) -> list[float]:
    """An author is a habit: its own weights on the same function words."""
    rng = random.Random(seed)
    return [rng.uniform(0.2, 3.0) for _ in FUNCTION_WORDS]


def write(style: list[float], rng: random.Random, n_words: int) -> str:
    out = [
        rng.choices(FUNCTION_WORDS, style)[0] if rng.random() < 0.6 else rng.choice(CONTENT_WORDS)
        for _ in range(n_words)
    ]
    return " ".join(out)


STYLES = {name: author_style(seed) for seed, name in enumerate(["ana", "bruno", "chloé"])}


def corpus(rng: random.Random, texts: int = 3, n_words: int = 3000) -> dict[str, list[str]]:
    return {name: [write(style, rng, n_words) for _ in range(texts)] for name, style in STYLES.items()}


def test_samples_nearest_their_author_and_inside_the_corpus_scale():
    rng = random.Random(0)
    authors = corpus(rng)
    samples = [write(STYLES["bruno"], rng, 100) for _ in range(30)]
    result = burrows_delta(samples, authors, mfw=50)
    assert isinstance(result, StyleResult)
    assert result.nearest_author == "bruno"
    deltas = [d for _, d in result.samples_to_authors]
    assert deltas == sorted(deltas) and result.samples_to_authors[0][0] == "bruno"
    assert [(a, b) for a, b, _ in result.between_authors] == [("ana", "bruno"), ("ana", "chloé"), ("bruno", "chloé")]
    assert deltas[0] < min(d for _, _, d in result.between_authors)
    assert result.mfw == 50  # as requested: no marker word is constant


def test_a_single_author_still_gets_a_distance():
    rng = random.Random(1)
    alone = {"ana": corpus(rng)["ana"]}
    near = burrows_delta([write(STYLES["ana"], rng, 2000)], alone)
    far = burrows_delta([write(STYLES["chloé"], rng, 2000)], alone)
    assert near.between_authors == [] and far.between_authors == []
    assert near.nearest_author == "ana" and math.isfinite(near.samples_to_authors[0][1])
    assert near.samples_to_authors[0][1] < far.samples_to_authors[0][1]


def test_no_author_no_answer():
    assert burrows_delta(["un texte"], {}) == StyleResult(0, [], [], None)
    assert burrows_delta(["un texte"], {"vide": ["", "..."]}) == StyleResult(0, [], [], None)


def test_french_elision_and_typographic_apostrophes():
    rng = random.Random(2)
    vowels = ["ami", "ombre", "eau", "or", "île", "heure", "âme"]

    def elided(mark: str) -> str:  # an author fond of clitics before vowels
        return " ".join(
            rng.choice([f"l{mark}{w}", f"qu{mark}il", f"d{mark}{w}", "et"]) for w in rng.choices(vowels, k=3000)
        )

    def plain() -> str:
        return " ".join(rng.choice([f"le {w}", "que il", f"de {w}", "et"]) for w in rng.choices(vowels, k=3000))

    authors = {"élision": [elided("’"), elided("’")], "sans": [plain(), plain()]}
    result = burrows_delta([elided("'")], authors, mfw=20)
    assert result.nearest_author == "élision"
    rng.seed(3)
    ascii_samples = burrows_delta([elided("'")], authors, mfw=20)
    rng.seed(3)
    curly_samples = burrows_delta([elided("’")], authors, mfw=20)
    assert ascii_samples == curly_samples  # ’ and ' are the same clitic


def test_a_long_author_does_not_outweigh_a_short_one():
    rng = random.Random(4)
    authors = corpus(rng, texts=1, n_words=4000)
    samples = [write(STYLES["chloé"], rng, 3000)]
    base = burrows_delta(samples, authors, mfw=30)
    padded = dict(authors, ana=authors["ana"] * 12)  # same habits, twelve times the text
    again = burrows_delta(samples, padded, mfw=30)
    assert again.nearest_author == base.nearest_author == "chloé"
    for (name, d0), (name2, d1) in zip(sorted(base.samples_to_authors), sorted(again.samples_to_authors)):
        assert name == name2 and d1 == pytest.approx(d0, rel=1e-6)  # per-author weights: no drift at all


# --- real corpus -------------------------------------------------------------------------------------


@needs_shared
def test_held_out_verlaine_poems_sound_like_verlaine():
    """Every fifth poem of each Verlaine collection is held out: Delta finds Verlaine, nearer than any two authors."""
    authors: dict[str, list[str]] = {}
    held_out: list[str] = []
    for path in sorted((SHARED / "french").glob("*/*/*.txt")):
        text = path.read_text("utf-8")
        if path.parent.name != "verlaine":
            authors.setdefault(path.parent.name, []).append(text)
            continue
        poems = re.split(r"\n[ \t]*\n[ \t]*\n", text)  # poems are separated by two blank lines
        held_out += poems[4::5]
        authors.setdefault("verlaine", []).extend(p for i, p in enumerate(poems) if i % 5 != 4)
    result = burrows_delta(held_out, authors)
    assert result.mfw == 150
    assert result.nearest_author == "verlaine"
    to = dict(result.samples_to_authors)
    assert to["verlaine"] < to["hugo"] and to["verlaine"] < to["zola"]
    # Verlaine against himself is nearer than any two distinct authors of the corpus.
    assert len(result.between_authors) == len(authors) * (len(authors) - 1) // 2
    assert to["verlaine"] < min(d for _, _, d in result.between_authors)
