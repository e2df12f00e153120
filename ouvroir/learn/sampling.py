"""Choosing the next token from logits: temperature, top-k, top-p, compiled.

Public API::

    sample(logits [B, vocab], temperature, top_k, top_p, u [B]) -> tokens [B]
    kept(logits [vocab], top_k, top_p) -> bool [vocab]      (which tokens may be drawn)

Rules (those of Hugging Face ``transformers`` and nanoGPT): ``top_k`` keeps
the tokens whose logit is at least the k-th largest; ``top_p`` then keeps, in
order of probability, each token whose predecessors hold less than ``top_p``
of the mass (so the most likely token always stays); the draw is the first
token whose cumulative probability reaches ``u`` times the kept mass, with
``u`` uniform in [0, 1) from the caller's seeded generator.

Why compiled, and why no sort: sorting a 768-token row costs about as much as
the model's whole decode step, and the nucleus only needs the order near its
edge. Probabilities go into 64 buckets by log-probability; the buckets
entirely inside the nucleus are kept, those past it dropped, and only the
bucket where the mass crosses ``top_p`` is sorted.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

BUCKETS = 64
BUCKET_NATS = 0.25  # bucket width in log-probability; the last bucket takes everything below


@njit(cache=True, nogil=True)
def _probabilities(z, top_k, top_p, p):
    """Fills ``p`` with the unnormalized probabilities of the kept tokens (0 for the others); returns their sum."""
    vocab = z.shape[0]
    top = z.max()
    cutoff = -np.inf
    if 0 < top_k < vocab:
        cutoff = np.partition(z, vocab - top_k)[vocab - top_k]  # the k-th largest logit
    total = 0.0
    for i in range(vocab):
        p[i] = math.exp(z[i] - top) if z[i] >= cutoff else 0.0
        total += p[i]
    if top_p >= 1.0:
        return total
    mass = np.zeros(BUCKETS)
    bucket = np.empty(vocab, dtype=np.int64)
    for i in range(vocab):
        b = min(BUCKETS - 1, int((top - z[i]) / BUCKET_NATS)) if p[i] > 0 else BUCKETS
        bucket[i] = b
        if b < BUCKETS:
            mass[b] += p[i]
    goal, before, edge = top_p * total, 0.0, BUCKETS - 1
    for b in range(BUCKETS):
        if before + mass[b] >= goal:
            edge = b
            break
        before += mass[b]
    # Inside the edge bucket, tokens in decreasing order (ties by id) until the mass before reaches top_p.
    members = np.array([i for i in range(vocab) if bucket[i] == edge], dtype=np.int64)
    order = members[np.argsort(-z[members], kind="mergesort")]
    for i in order:
        if before >= goal:
            p[i] = 0.0
        else:
            before += p[i]
    kept_total = 0.0
    for i in range(vocab):
        if bucket[i] > edge:
            p[i] = 0.0
        kept_total += p[i]
    return kept_total


@njit(cache=True, nogil=True)
def _sample(z, top_k, top_p, u):
    rows, vocab = z.shape
    out = np.empty(rows, dtype=np.int64)
    p = np.empty(vocab, dtype=np.float64)
    for r in range(rows):
        total = _probabilities(z[r], top_k, top_p, p)
        goal, acc, pick = u[r] * total, 0.0, -1
        for i in range(vocab):
            if p[i] > 0:
                pick = i
                acc += p[i]
                if acc >= goal:
                    break
        out[r] = pick
    return out


def sample(logits: np.ndarray, temperature: float, top_k: int | None, top_p: float | None, u: np.ndarray) -> np.ndarray:
    """The next token of each row (``temperature`` > 0; 0 is greedy, ``logits.argmax(-1)``)."""
    z = np.ascontiguousarray(logits / temperature, dtype=np.float32)
    return _sample(z, top_k or 0, 1.0 if top_p is None else float(top_p), np.asarray(u, dtype=np.float64))


def kept(logits: np.ndarray, top_k: int | None = None, top_p: float | None = None) -> np.ndarray:
    """Which tokens of one row of logits ``top_k`` and ``top_p`` leave to draw from."""
    p = np.empty(len(logits))
    _probabilities(np.ascontiguousarray(logits, dtype=np.float32), top_k or 0, 1.0 if top_p is None else top_p, p)
    return p > 0
