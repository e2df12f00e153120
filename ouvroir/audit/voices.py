"""Spread of voices: how many different writers the texts sound like, not how often they repeat.

The repetition measures (distinct-n, compression, ROUGE-L, Vendi on character
5-grams) see copies and loops; thirty passages by one poet that never repeat a
phrase look to them as varied as thirty passages by eleven authors. Style is in
the frequencies of the commonest words and character sequences, which a writer
uses without choosing them: so each text becomes a **stylometric profile** and the
measure is how far apart the profiles are.

Features, from the attribution literature:

* the ``MFW`` most frequent words, function words and clitics above all (Burrows 2002:
  Delta; Eder 2015 finds 100–300 most frequent words work best on short samples);
* the ``MFC`` most frequent character 3-grams, spaces and punctuation included
  (Stamatatos 2009 and Eder 2011: character n-grams are the most robust features
  for short and noisy texts; they catch morphology, punctuation and verse layout).

Each feature is a relative frequency, z-scored against **reference excerpts of the
corpus of the same length as the texts** (the mean and spread a passage that long
has across the corpus), the space of Burrows' Delta. The distance between two
texts is the cosine distance of their z-profiles (Cosine Delta: Smith & Aldridge
2011; Evert et al. 2017 find it the most reliable Delta). The spread of a set is
the **mean distance over all pairs of different texts**: 0 for identical texts,
near 1 for unrelated ones, and — a mean over pairs, not a count over the set —
it does not drift with the number of texts, so a value on 30 texts estimates
the value on 300.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .words import normalize, words

MFW = 150
MFC = 300
CHAR_N = 3


@dataclass(frozen=True)
class VoiceSpace:
    """The features and their corpus mean and spread, for texts of about ``length`` characters."""

    words: tuple[str, ...]
    grams: tuple[str, ...]
    mean: np.ndarray
    sd: np.ndarray
    length: int


def _counts(text: str) -> tuple[Counter, int, Counter, int]:
    toks = words(text)
    folded = " ".join(normalize(text).split())
    grams = Counter(folded[i : i + CHAR_N] for i in range(len(folded) - CHAR_N + 1))
    return Counter(toks), len(toks), grams, max(1, len(folded) - CHAR_N + 1)


def _frequencies(texts: Sequence[str], vocab: Sequence[str], grams: Sequence[str]) -> np.ndarray:
    rows = np.zeros((len(texts), len(vocab) + len(grams)))
    for i, text in enumerate(texts):
        wc, wn, gc, gn = _counts(text)
        rows[i, : len(vocab)] = [wc[w] / max(wn, 1) for w in vocab]
        rows[i, len(vocab) :] = [gc[g] / gn for g in grams]
    return rows


def voice_space(reference: Sequence[str], mfw: int = MFW, mfc: int = MFC) -> VoiceSpace:
    """Features ranked by their mean relative frequency over the reference excerpts; their mean and spread.

    >>> space = voice_space(["le chat et le chien", "la mer et le ciel", "un port, une voile"], mfw=3, mfc=4)
    >>> space.words
    ('le', 'et', 'port')
    """
    share_w: Counter[str] = Counter()
    share_g: Counter[str] = Counter()
    for text in reference:
        wc, wn, gc, gn = _counts(text)
        for w, c in wc.items():
            share_w[w] += c / max(wn, 1)
        for g, c in gc.items():
            share_g[g] += c / gn
    vocab = [w for w, _ in sorted(share_w.items(), key=lambda kv: (-kv[1], kv[0]))[:mfw]]
    grams = [g for g, _ in sorted(share_g.items(), key=lambda kv: (-kv[1], kv[0]))[:mfc]]
    table = _frequencies(reference, vocab, grams)
    sd = table.std(axis=0)
    keep = sd > 1e-12  # a feature that never varies carries no voice
    names = vocab + grams
    kept = [n for n, k in zip(names, keep) if k]
    length = round(sum(len(t) for t in reference) / max(1, len(reference)))
    return VoiceSpace(tuple(n for n in kept[: int(keep[: len(vocab)].sum())]),
                      tuple(kept[int(keep[: len(vocab)].sum()) :]),
                      table.mean(axis=0)[keep], sd[keep], length)  # fmt: skip


def profiles(texts: Sequence[str], space: VoiceSpace) -> np.ndarray:
    """Each text's z-scored profile (texts × features)."""
    return (_frequencies(texts, space.words, space.grams) - space.mean) / space.sd


def distances(texts: Sequence[str], space: VoiceSpace) -> np.ndarray:
    """Cosine Delta between every pair of texts (a symmetric matrix with a zero diagonal)."""
    z = profiles(texts, space)
    norm = np.linalg.norm(z, axis=1, keepdims=True)
    unit = np.divide(z, norm, out=np.zeros_like(z), where=norm > 0)
    d = np.clip(1.0 - unit @ unit.T, 0.0, 2.0)
    _, same = np.unique(z, axis=0, return_inverse=True)
    d[same.ravel()[:, None] == same.ravel()[None, :]] = 0.0  # one profile twice: distance 0, even an empty one
    return d


def mean_pair(d: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Mean of ``d`` over pairs of different texts; ``weights`` (counts per text, as in a bootstrap
    resample) weigh each pair by the product of its counts, a text drawn twice never paired with itself.

    >>> mean_pair(np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]]))
    2.0
    """
    n = len(d)
    if n < 2:
        return math.nan
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    pairs = w.sum() ** 2 - (w * w).sum()
    return float(w @ d @ w / pairs) if pairs > 0 else math.nan


def voice_spread(texts: Sequence[str], space: VoiceSpace) -> float:
    """Mean Cosine Delta over all pairs of different texts: 0 for one text repeated.

    >>> space = voice_space(["le chat dort", "la mer monte", "un ciel gris", "il pleut"], mfw=5, mfc=20)
    >>> voice_spread(["le chat dort"] * 4, space)
    0.0
    """
    return round(mean_pair(distances(texts, space)), 6)
