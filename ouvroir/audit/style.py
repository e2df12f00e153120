"""Stylometry: Burrows' Delta from the samples to each author of the corpus, beside the corpus's own scale.

"It sounds like the artist" becomes a number with a yardstick: the Delta from the
samples to each author, next to the Delta between every pair of the corpus's
authors. A model that writes like Verlaine should sit nearer to Verlaine than
Verlaine sits to Hugo.

Burrows (2002): take the ``mfw`` most frequent words of the corpus (ranked by
their mean relative frequency over the authors, so each author weighs the same;
word tokens from :mod:`ouvroir.audit.words`, so elided clitics such as ``l'``
and ``qu'`` count — they are among the best style markers in French);
express each profile as relative frequencies of those words; turn each column
into z-scores; Delta between two profiles is the mean absolute difference of
their z-scores. Profiles: the samples pooled as one, and each author pooled.

Only the spread (standard deviation) matters — the mean cancels in the
differences — and it is estimated on **equal-size chunks** (``CHUNK_WORDS``
words, cut from each author's works laid end to end), each author weighing the
same in total however many chunks it has. So an author with one huge novel and
one with a short collection count alike, the spread includes the variation
inside an author (as Burrows' per-text spread did), and it still exists with a
single author, where a spread across author profiles would not. Words whose
spread is zero are dropped. A corpus under ``MIN_CHUNKS`` × ``CHUNK_WORDS`` words
is cut into ``MIN_CHUNKS`` smaller chunks (never under ``MIN_CHUNK_WORDS`` words).
Delta's absolute value depends on the chunk size (smaller chunks, larger spread,
smaller Delta): compare a result's distances with each other, not across corpora.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from .words import words

MFW = 150
CHUNK_WORDS = 2000
MIN_CHUNK_WORDS = 100
MIN_CHUNKS = 4


@dataclass(frozen=True)
class StyleResult:
    mfw: int  # words actually used (at most the requested number; zero-spread words dropped)
    samples_to_authors: list[tuple[str, float]]  # (author, delta), nearest first
    between_authors: list[tuple[str, str, float]]  # every unordered pair of corpus authors
    nearest_author: str | None


def _chunk_bounds(n_tokens: int, size: int) -> list[tuple[int, int]]:
    """Equal chunks of ``size`` tokens; a tail under half a chunk is dropped unless it is all there is.

    >>> _chunk_bounds(9, 4), _chunk_bounds(1, 4)
    ([(0, 4), (4, 8)], [(0, 1)])
    """
    bounds = [(lo, min(lo + size, n_tokens)) for lo in range(0, n_tokens, size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < size / 2:
        bounds.pop()
    return bounds


def _frequencies(ids: np.ndarray, m: int) -> np.ndarray:
    """Relative frequencies of the ``m`` marker words in a run of token ids (id ``m`` = any other word)."""
    return np.bincount(ids, minlength=m + 1)[:m] / max(len(ids), 1)


def _delta(a: np.ndarray, b: np.ndarray) -> float:
    return round(float(np.mean(np.abs(a - b))), 6)


def burrows_delta(samples: Sequence[str], authors: Mapping[str, Sequence[str]], mfw: int = MFW) -> StyleResult:
    """Delta from the pooled samples to each author, and between every pair of authors.

    Authors without a single word are left out. With fewer than two authors,
    ``between_authors`` is empty; with no usable marker word, every Delta is NaN.

    >>> a = {"A": ["le chat et le chien et le rat"] * 3, "B": ["un ciel, une mer, un port"] * 3}
    >>> burrows_delta(["le rat et le chat"], a, mfw=10).nearest_author
    'A'
    """
    tokens = {name: [w for text in texts for w in words(text)] for name, texts in authors.items()}
    tokens = {name: toks for name, toks in tokens.items() if toks}
    # Rank words by their mean relative frequency over the authors, so one long novel cannot pick the markers.
    share: Counter[str] = Counter()
    for toks in tokens.values():
        for w, c in Counter(toks).items():
            share[w] += c / len(toks)
    vocab = [w for w, _ in sorted(share.items(), key=lambda kv: (-kv[1], kv[0]))[:mfw]]
    m = len(vocab)
    index = {w: i for i, w in enumerate(vocab)}

    def ids_of(toks: Sequence[str]) -> np.ndarray:
        return np.fromiter((index.get(w, m) for w in toks), dtype=np.int64, count=len(toks))

    author_ids = {name: ids_of(toks) for name, toks in tokens.items()}
    total = sum(len(ids) for ids in author_ids.values())
    # A fixed size, so padding one author with more text leaves the scale alone; smaller only when too few.
    size = CHUNK_WORDS if total >= CHUNK_WORDS * MIN_CHUNKS else max(MIN_CHUNK_WORDS, total // MIN_CHUNKS)
    chunks, weights = [], []
    for ids in author_ids.values():
        bounds = _chunk_bounds(len(ids), size)
        chunks += [_frequencies(ids[lo:hi], m) for lo, hi in bounds]
        weights += [1 / len(bounds)] * len(bounds)  # each author weighs one in the spread
    if not chunks or m == 0:
        return StyleResult(0, [(name, float("nan")) for name in author_ids], [], None)
    table = np.vstack(chunks)
    w = np.asarray(weights) / sum(weights)
    mean = w @ table
    sd = np.sqrt(w @ (table - mean) ** 2)
    keep = sd > 1e-12

    def z(freqs: np.ndarray) -> np.ndarray:
        return (freqs[keep] - mean[keep]) / sd[keep]

    profiles = {name: z(_frequencies(ids, m)) for name, ids in author_ids.items()}
    pooled = z(_frequencies(ids_of([t for s in samples for t in words(s)]), m))
    used = int(keep.sum())
    if not used:
        return StyleResult(0, [(name, float("nan")) for name in profiles], [], None)
    to_authors = sorted(((name, _delta(pooled, p)) for name, p in profiles.items()), key=lambda x: (x[1], x[0]))
    between = [(a, b, _delta(profiles[a], profiles[b])) for a, b in combinations(sorted(profiles), 2)]
    return StyleResult(used, to_authors, between, to_authors[0][0] if to_authors else None)
