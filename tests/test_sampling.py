"""Choosing the next token: top-k and top-p keep the right tokens, draws follow the probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from ouvroir.learn.sampling import kept, sample


def reference_kept(z: np.ndarray, top_k: int | None, top_p: float | None) -> np.ndarray:
    """The rule written plainly: full sort, cumulative softmax."""
    z = z.astype(np.float64)
    keep = np.ones(len(z), dtype=bool)
    if top_k:
        keep &= z >= np.sort(z)[-top_k]
    if top_p is not None:
        p = np.where(keep, np.exp(z - z.max()), 0.0)
        p /= p.sum()
        order = np.argsort(-z, kind="stable")
        before = np.cumsum(p[order]) - p[order]
        keep[order[before >= top_p]] = False
    return keep


def test_top_k_and_top_p_keep_the_right_tokens():
    logits = np.array([4.0, 3.0, 2.0, 1.0, 0.0])
    assert kept(logits, top_k=2).tolist() == [True, True, False, False, False]
    probs = np.exp(logits) / np.exp(logits).sum()  # 0.64, 0.24, 0.09, ...
    assert kept(logits, top_p=0.8).tolist() == [True, True, False, False, False]
    assert probs[0] < 0.8 < probs[:2].sum()
    assert kept(logits, top_p=0.01).sum() == 1  # the most likely token always stays
    assert kept(logits).all()


@pytest.mark.parametrize("spread", [0.01, 1.0, 4.0, 30.0])  # flat to peaked: the nucleus edge in any bucket
def test_top_p_equals_sorting_the_whole_vocabulary(spread):
    rng = np.random.default_rng(int(spread * 100))
    for _ in range(200):
        z = (rng.standard_normal(700) * spread).astype(np.float32)
        top_k = int(rng.choice([0, 1, 5, 50, 699]))
        top_p = float(rng.choice([0.05, 0.5, 0.9, 0.95, 0.999]))
        expected = reference_kept(z, top_k or None, top_p)
        assert np.array_equal(kept(z, top_k or None, top_p), expected), (top_k, top_p)


def test_draws_follow_the_kept_probabilities():
    z = np.log(np.array([[0.2, 0.7, 0.1], [0.5, 0.5, 1.0]], dtype=np.float32))
    z[1, 2] = -np.inf  # a token with no mass is never drawn
    assert sample(z[:1], 1.0, None, None, np.array([0.1])).tolist() == [0]
    assert sample(z[:1], 1.0, None, None, np.array([0.3])).tolist() == [1]
    assert sample(z, 1.0, None, None, np.array([0.999999, 0.999999])).tolist() == [2, 1]
    u = np.random.default_rng(0).random(20_000)
    draws = sample(np.repeat(z[:1], 20_000, axis=0), 1.0, None, None, u)
    assert abs((draws == 1).mean() - 0.7) < 0.01
    nucleus = sample(np.repeat(z[:1], 20_000, axis=0), 1.0, None, 0.75, u)  # keeps 0.7 and 0.2
    assert set(nucleus.tolist()) == {0, 1} and abs((nucleus == 1).mean() - 0.7 / 0.9) < 0.01
    hot = sample(np.repeat(z[:1], 20_000, axis=0), 100.0, None, None, u)  # temperature flattens
    assert abs((hot == 2).mean() - 1 / 3) < 0.02
