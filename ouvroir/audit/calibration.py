"""Does a measure tell one voice from many? Random draws of passages from a corpus of known authors.

The checks behind the minimum sizes the README states and the audit warns under
(``uniform.MIN_SIZES``): for each single author, draws of ``count`` passages of
``length`` characters by that author against draws of as many passages taken
round-robin over all the authors, and the share of draws where the measure orders
identical < one author < many authors. Used by ``bench/audit_voices.py`` and the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .diversity import matched_excerpts
from .voices import distances, mean_pair, voice_space


def authors_of(root: Path) -> dict[str, list[tuple[str, str]]]:
    """{author: [(work id, text)]} from a folder of ``<genre>/<author>/<work>.txt``."""
    out: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(root.glob("*/*/*.txt")):
        out.setdefault(path.parent.name, []).append((f"{path.parent.name}/{path.stem}", path.read_text("utf-8")))
    return out


@dataclass
class Pools:
    """``per_author`` passages of each author, their pairwise distances, and the author of each."""

    authors: list[str]
    texts: list[str]
    owner: np.ndarray  # author index of each passage
    d: np.ndarray


def pools(works: Mapping[str, Sequence[tuple[str, str]]], per_author: int, length: int, seed: int = 0,
          reference: int = 330) -> Pools:  # fmt: skip
    """Passages of every author (round-robin over its works) and the voice distances between all of them.

    The voice space is fitted on ``reference`` other passages drawn round-robin over
    the authors (an independent seed), as an audit fits it on the corpus.
    """
    authors = sorted(works)
    ref = [t for i, a in enumerate(authors)
           for t in matched_excerpts(works[a], -(-reference // len(authors)), length, seed + 10_000 + i)]  # fmt: skip
    space = voice_space(ref)
    texts, owner = [], []
    for i, a in enumerate(authors):
        drawn = matched_excerpts(works[a], per_author, length, seed + i)
        texts += drawn
        owner += [i] * len(drawn)
    return Pools(authors, texts, np.array(owner), distances(texts, space))


def draw_many(pool: Pools, among: Sequence[int], count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` passages round-robin over the authors ``among`` (in a random order), none twice."""
    order = rng.permutation(np.asarray(among))
    picks = []
    for k, a in enumerate(np.resize(order, count)):
        mine = np.flatnonzero(pool.owner == a)
        picks.append(mine[rng.integers(len(mine))])
    picks = np.array(picks)
    while len(np.unique(picks)) < count:  # a passage drawn twice: redraw the set
        return draw_many(pool, among, count, rng)
    return picks


def ordering_rates(pool: Pools, count: int, draws: int, single: Sequence[str], among: Sequence[str] | None = None,
                   measure: Callable[[np.ndarray], float] | None = None, seed: int = 0) -> dict[str, float]:  # fmt: skip
    """{author: share of draws where identical < one author < many authors} for the spread of voices."""
    measure = measure or (lambda idx: mean_pair(pool.d[np.ix_(idx, idx)]))
    among_idx = [pool.authors.index(a) for a in (among or pool.authors)]
    rng = np.random.default_rng(seed)
    out = {}
    for name in single:
        a = pool.authors.index(name)
        mine = np.flatnonzero(pool.owner == a)
        right = 0
        for _ in range(draws):
            one = rng.choice(mine, count, replace=False)
            many = draw_many(pool, among_idx, count, rng)
            identical = measure(np.repeat(one[:1], count))
            right += identical < measure(one) < measure(many)
        out[name] = right / draws
    return out
