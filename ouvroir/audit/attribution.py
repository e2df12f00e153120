"""Word-level matches against the corpus: reconstructibility (Creativity Index) and credit.

At every word of a text, the longest run of whole words that occurs verbatim in
the corpus is found with the copy index. From these runs:

* **reconstructibility** at n words: the share of the text's words covered by a
  run of at least n words found in the corpus (after Lu et al., ICLR 2025). The
  creativity index is the mean share *not* covered over the n considered: 1 for
  a text no n-gram of which is in the corpus, 0 for a verbatim copy.
* **credit**: each word covered by a run of at least ``MIN_CREDIT_WORDS`` words
  is credited to the works where its longest covering run occurs, in proportion
  to occurrences, weighted by rarity ``log(1 + works / works containing it)``:
  a phrase only one author wrote says more about whom the model draws on than a
  turn of phrase everyone uses. Runs found more than ``COMMONPLACE`` times are
  commonplaces and credit nobody.

Runs start at word starts but may end inside a corpus word (the index is over
characters): "la mer" matches inside "la merveille". For runs of 3 words and
more this rarely matters; it is the price of one index for every instrument.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import sharding
from .copying import QueryBuffer, match_ends
from .index import CorpusIndex

WORD = re.compile(r"\w+", re.UNICODE)
MIN_CREDIT_WORDS = 3
COMMONPLACE = 1000


@dataclass
class WordRuns:
    """One text's words and, at each, the longest run of whole words found in the corpus."""

    starts: np.ndarray  # character offset of each word
    ends: np.ndarray
    run_words: np.ndarray  # words in the longest corpus run starting at each word
    sources: dict[int, dict[int, float]] = field(default_factory=dict)  # word -> {work: share of occurrences}
    rarity: dict[int, float] = field(default_factory=dict)  # word -> rarity weight of its run


def word_runs(
    index: CorpusIndex, texts: Sequence[str], exclude: Sequence[int] | None = None, pattern: str = WORD.pattern,
    shards=None,
) -> list[WordRuns]:
    """Runs at every word of every text; ``exclude[t]`` leaves one work out for text ``t``.

    ``pattern`` says what a word is (``\\S+`` for the interval text of music: one word per note).
    ``shards`` (``engines.shard_map``'s) searches the shards on a pool or a cluster; the same runs.
    """
    word = re.compile(pattern, re.UNICODE)
    words = [[(m.start(), m.end()) for m in word.finditer(t)] for t in texts]
    queries = QueryBuffer(texts)
    chars = np.concatenate([queries.first[t] + np.array([s for s, _ in w], dtype=np.int64)
                            for t, w in enumerate(words)] or [np.zeros(0, np.int64)])  # fmt: skip
    owner = np.repeat(np.arange(len(texts)), [len(w) for w in words])
    excluded = None if exclude is None else np.asarray(exclude, dtype=np.int64)[owner]
    if not len(chars):
        ends = np.zeros(0, np.int64)
    elif shards is None:
        ends = match_ends(index, queries, chars, excluded).end
    else:  # the longest over all shards, as match_ends finds it
        longest = np.max(shards(sharding.longest_at, list(texts), chars, excluded), axis=0)
        ends = queries.char_at_or_before(queries.byte_of[chars] + longest)
    runs, at = [], 0
    for t, w in enumerate(words):
        starts = np.array([s for s, _ in w], dtype=np.int64)
        word_ends = np.array([e for _, e in w], dtype=np.int64)
        reach = ends[at : at + len(w)] - queries.first[t]
        # whole words inside [start, reach): those ending at or before reach, from this word on
        count = np.searchsorted(word_ends, reach, side="right") - np.arange(len(w))
        runs.append(WordRuns(starts, word_ends, np.maximum(count, 0)))
        at += len(w)
    _attach_sources(index, queries, runs, None if exclude is None else list(exclude), texts, shards)
    return runs


def _attach_sources(index: CorpusIndex, queries: QueryBuffer, runs: list[WordRuns], exclude, texts=(),
                    shards=None) -> None:  # fmt: skip
    """For runs long enough to earn credit: which works they occur in, and how rare they are."""
    picks = [(t, i) for t, r in enumerate(runs) for i in np.flatnonzero(r.run_words >= MIN_CREDIT_WORDS)]
    if not picks:
        return
    begin = np.array([queries.first[t] + runs[t].starts[i] for t, i in picks], dtype=np.int64)
    stop = np.array([queries.first[t] + runs[t].ends[i + runs[t].run_words[i] - 1] for t, i in picks], dtype=np.int64)
    per_pick: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in picks]
    commonplace: set[int] = set()
    if shards is None:
        found = [sharding.passages_in(shard, queries, begin, stop, COMMONPLACE) for shard in index.shards]
    else:
        found = shards(sharding.works_holding, list(texts), begin, stop, COMMONPLACE)
    for counts, works in found:
        for p, in_works in works.items():
            per_pick[p].append(in_works)
        commonplace.update(np.flatnonzero(counts > COMMONPLACE).tolist())
    total_works = len(index.works)
    for p, (t, i) in enumerate(picks):
        if p in commonplace or not per_pick[p]:
            continue
        # each shard's works, ascending with their counts; shards hold disjoint, ascending ranges of works
        works = np.concatenate([w for w, _ in per_pick[p]])
        counts = np.concatenate([c for _, c in per_pick[p]])
        if exclude is not None:
            keep = works != exclude[t]
            works, counts = works[keep], counts[keep]
        if not works.size:
            continue
        runs[t].sources[int(i)] = dict(zip(works.tolist(), (counts / counts.sum()).tolist()))  # one sum, not one a work
        runs[t].rarity[int(i)] = math.log(1 + total_works / len(works))


def reconstructibility(run: WordRuns, sizes: Sequence[int]) -> dict[int, float]:
    """Share of words covered by a corpus run of at least n words, for each n in ``sizes``."""
    out = {}
    total = len(run.starts)
    for n in sizes:
        cover = np.zeros(total + 1, dtype=np.int64)
        for i in np.flatnonzero(run.run_words >= n):
            cover[i] += 1
            cover[i + run.run_words[i]] -= 1
        out[n] = float((np.cumsum(cover)[:-1] > 0).sum() / total) if total else 0.0
    return out


def creativity_index(curve: dict[int, float]) -> float:
    """Mean share of words *not* reconstructible over the run lengths considered."""
    return float(1 - sum(curve.values()) / len(curve)) if curve else 1.0


def credit(run: WordRuns) -> tuple[dict[int, float], float]:
    """({work: credit weight}, share of words credited to some work) for one text.

    Each word goes to the longest creditable run covering it.
    """
    best = np.zeros(len(run.starts), dtype=np.int64)
    owner = np.full(len(run.starts), -1, dtype=np.int64)
    for i in run.sources:
        length = int(run.run_words[i])
        span = slice(i, i + length)
        longer = best[span] < length
        best[span] = np.where(longer, length, best[span])
        owner[span] = np.where(longer, i, owner[span])
    weights: dict[int, float] = defaultdict(float)
    for i in owner[owner >= 0]:
        for work, share in run.sources[int(i)].items():
            weights[work] += share * run.rarity[int(i)]
    credited = float((owner >= 0).mean()) if len(owner) else 0.0
    return dict(weights), credited
