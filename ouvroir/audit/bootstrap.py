"""Error bars: a bootstrap over texts for every figure of the audit.

The texts are resampled with replacement ``RESAMPLES`` times (seed ``SEED``, so an
audit run twice gives the same intervals) and each figure is recomputed on every
resample; the interval is the central ``LEVEL`` share of those values. A ratio is
resampled on both sides, samples and corpus excerpts each in their own draws.

A resample holds some texts twice. Means over texts (copy share, creativity
index) do not mind; means over pairs (the spread of voices, ROUGE-L) leave out
the pairs of a text with its own copy; the set-level measures (distinct-n,
compression, Vendi, rare vocabulary) read a copy as repetition and come out
less diverse on a resample, so every interval is shifted by the bootstrap's own
bias (its mean minus the figure) to stand around the figure itself.

``texts_needed`` turns an interval into the number of texts at which it would
be narrow enough to tell a 10% difference, the spread of these figures falling
as one over the square root of the number of texts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

RESAMPLES = 200
LEVEL = 0.90
SEED = 0
DIFFERENCE = 0.10  # the difference an audit should be able to tell, as a ratio: 1.10 or 1/1.10


def draws(n: int, seed: int = SEED, resamples: int | None = None) -> np.ndarray:
    """(resamples × n) indices of texts, drawn with replacement."""
    resamples = resamples or RESAMPLES
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n)) if n else np.zeros((resamples, 0), int)


def counts(idx: np.ndarray, n: int) -> np.ndarray:
    """(resamples × n) how many times each text is in each resample."""
    out = np.zeros((len(idx), n))
    np.add.at(out, (np.repeat(np.arange(len(idx)), idx.shape[1]), idx.ravel()), 1)
    return out


def interval(point: float | None, values: Sequence[float] | np.ndarray, level: float = LEVEL) -> list[float] | None:
    """The central ``level`` of the bootstrap values, shifted by their bias to stand around ``point``.

    >>> interval(2.0, [1.0, 2.0, 3.0], level=1.0)
    [1.0, 3.0]
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if point is None or not math.isfinite(point) or values.size < 10 and level < 1:
        return None
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2]) + (point - values.mean())
    return [round(float(lo), 6), round(float(hi), 6)]


def mean_values(values: Sequence[float], seed: int = SEED) -> np.ndarray:
    """The mean of per-text values on every resample."""
    v = np.asarray(values, dtype=float)
    return v[draws(len(v), seed)].mean(axis=1) if v.size else np.zeros(0)


def mean_interval(values: Sequence[float], seed: int = SEED) -> list[float] | None:
    v = np.asarray(values, dtype=float)
    return interval(float(v.mean()), mean_values(v, seed)) if v.size > 1 else None


def pair_values(d: np.ndarray, seed: int = SEED) -> np.ndarray:
    """The mean over pairs of different texts of ``d`` on every resample (a text never paired with its copy)."""
    n = len(d)
    c = counts(draws(n, seed), n)
    pairs = c.sum(axis=1) ** 2 - (c * c).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.einsum("bi,ij,bj->b", c, d, c) / pairs


def set_values(texts: Sequence[str], measure: Callable[[list[str]], dict[str, float]], seed: int = SEED,
               resamples: int | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """Each measure of ``measure`` (a dict of figures) recomputed on every resample of the texts."""
    rows = [measure([texts[i] for i in idx]) for idx in draws(len(texts), seed, resamples or RESAMPLES)]
    return {name: np.array([r[name] for r in rows], dtype=float) for name in rows[0]} if rows else {}


def ratio_values(samples: np.ndarray, corpus: np.ndarray, higher_is_diverse: bool) -> np.ndarray:
    """The oriented ratio on every pair of resamples (samples resample r against corpus resample r)."""
    num, den = (samples, corpus) if higher_is_diverse else (corpus, samples)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(num, dtype=float) / np.asarray(den, dtype=float)


def indistinguishable(ratio_interval: Sequence[float] | None) -> bool:
    """True when the interval of a ratio contains 1: samples and corpus cannot be told apart on it."""
    return ratio_interval is not None and ratio_interval[0] <= 1.0 <= ratio_interval[1]


def texts_needed(n: int, ratio_interval: Sequence[float] | None, difference: float = DIFFERENCE) -> int | None:
    """Texts on each side at which the interval of the ratio would be as narrow as a ``difference``.

    The half-width of the interval, in log scale, falls as 1/sqrt(n); it must shrink to
    log(1 + difference) for a ratio of 1.10 (or 1/1.10) to have an interval without 1.

    >>> texts_needed(30, [0.8, 1.25])
    165
    """
    if not ratio_interval or n < 2 or ratio_interval[0] <= 0:
        return None
    half = (math.log(ratio_interval[1]) - math.log(ratio_interval[0])) / 2
    target = math.log(1 + difference)
    return max(n, math.ceil(n * (half / target) ** 2)) if half > 0 else n
