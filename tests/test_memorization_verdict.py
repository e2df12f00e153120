"""The memorized verdict on figures measured on corpora its thresholds were not tuned on.

Every pair is (train, validation) bits per byte from ``python bench/memorization.py`` (size tiny,
60 steps, seed 0, AMD EPYC, 2 cores): a tiny corpus the budget goes over dozens of times must be
called memorized, a corpus of 300 KB or more that it sees once or twice must not.
"""

from __future__ import annotations

import pytest

from ouvroir.learn.sizing import memorized


@pytest.mark.parametrize(("train", "val"), [
    (2.367, 3.225),  # 7.9 KB of Verlaine's "Amour", 54 passes: gap 0.86 (27%)
    (2.032, 3.377),  # 6.5 KB of Tiny Shakespeare, 65 passes: gap 1.35 (40%)
])  # fmt: skip
def test_a_tiny_corpus_seen_dozens_of_times_is_memorized(train, val):
    assert memorized(train, val)


@pytest.mark.parametrize(("train", "val"), [
    (2.671, 2.717),  # 14 Verlaine collections, 338 KB, 1.6 passes: gap 0.05
    (2.193, 2.185),  # Zola, "La Joie de vivre", 738 KB, 0.9 passes: validation below training
    (2.524, 2.817),  # the first 500 KB of Tiny Shakespeare, 1.1 passes: gap 0.29 (10%), the widest of the sizeable
])  # fmt: skip
def test_a_sizeable_corpus_seen_once_or_twice_is_not_memorized(train, val):
    assert not memorized(train, val)
