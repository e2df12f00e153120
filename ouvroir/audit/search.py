"""Vectorized searches in one suffix-array shard: longest match and exact-prefix ranges.

Every function takes a batch of queries at once, as positions in one byte buffer
holding all the texts, each followed by ``END``. Work runs in numpy over the
whole batch, so 20,000 binary searches in a 100 MB corpus cost a few dozen
array operations per step instead of 20,000 Python loops.

Comparisons keep the classic bounds trick (Manber & Myers): the common prefix
with both ends of the search interval is known, so each step compares only new
bytes, and a long copy costs its length once, not once per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEP = 0xFF  # after each work in the corpus; never in UTF-8, never in a query
END = 0xFE  # after each query text; never in UTF-8, never in the corpus
MAX_CHUNK = 512


@dataclass
class Shard:
    """One suffix array over whole works: ``corpus`` bytes (works joined by SEP) and ``sa``."""

    corpus: np.ndarray  # uint8, ends with SEP
    sa: np.ndarray  # int32 or int64 suffix array of corpus
    starts: np.ndarray  # int64 byte offset of each work in corpus, ascending
    works: np.ndarray  # int64 global work number of each work in this shard

    def work_at(self, positions: np.ndarray) -> np.ndarray:
        """Local work number (index into ``starts``) of each corpus position."""
        return np.searchsorted(self.starts, positions, side="right") - 1


@dataclass
class Matches:
    length: np.ndarray  # bytes of the longest prefix of each query found in the shard
    position: np.ndarray  # corpus position of one occurrence (-1 when length is 0)


def _lcp(shard: Shard, qbuf: np.ndarray, cpos: np.ndarray, qpos: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Common prefix length of corpus[cpos:] and qbuf[qpos:], the first ``known`` bytes being equal.

    Reads past the end of either buffer are clipped to its last byte (SEP or END),
    which ends any match, so no padding is needed.
    """
    lcp = known.astype(np.int64, copy=True)
    active = np.arange(len(cpos))
    clast, qlast = len(shard.corpus) - 1, len(qbuf) - 1
    chunk = 8
    while active.size:
        offsets = np.arange(chunk)
        base = lcp[active]
        a = shard.corpus[np.minimum((cpos[active] + base)[:, None] + offsets, clast)]
        b = qbuf[np.minimum((qpos[active] + base)[:, None] + offsets, qlast)]
        differ = a != b
        stopped = differ.any(axis=1)
        lcp[active] = base + np.where(stopped, differ.argmax(axis=1), chunk)
        active = active[~stopped]
        chunk = min(chunk * 2, MAX_CHUNK)  # a long copy: compare in ever larger steps
    return lcp


def _byte(buf: np.ndarray, positions: np.ndarray) -> np.ndarray:
    return buf[np.minimum(positions, len(buf) - 1)]


def _search(shard: Shard, qbuf: np.ndarray, qpos: np.ndarray, qlen: np.ndarray | None, upper: bool):
    """Binary search over the suffix array; return (lo, hi, lcp_lo, lcp_hi) with hi = lo + 1.

    With ``qlen`` None the query is the whole suffix of qbuf (up to END), and hi is
    where it would be inserted. With ``qlen``, only its first qlen bytes count, and
    hi is the first suffix starting with them (``upper`` False) or the first after
    them (``upper`` True).
    """
    count = len(qpos)
    lo = np.full(count, -1, dtype=np.int64)
    hi = np.full(count, len(shard.sa), dtype=np.int64)
    lcp_lo = np.zeros(count, dtype=np.int64)
    lcp_hi = np.zeros(count, dtype=np.int64)
    while True:
        active = np.flatnonzero(hi - lo > 1)
        if not active.size:
            return lo, hi, lcp_lo, lcp_hi
        mid = (lo[active] + hi[active]) // 2
        cpos = shard.sa[mid].astype(np.int64)
        q = qpos[active]
        lcp = _lcp(shard, qbuf, cpos, q, np.minimum(lcp_lo[active], lcp_hi[active]))
        query_first = _byte(qbuf, q + lcp) < _byte(shard.corpus, cpos + lcp)
        if qlen is not None:
            lcp = np.minimum(lcp, qlen[active])
            whole = lcp == qlen[active]
            query_first = np.where(whole, not upper, query_first)
        go_left = query_first
        hi[active[go_left]] = mid[go_left]
        lcp_hi[active[go_left]] = lcp[go_left]
        lo[active[~go_left]] = mid[~go_left]
        lcp_lo[active[~go_left]] = lcp[~go_left]


def longest_match(shard: Shard, qbuf: np.ndarray, qpos: np.ndarray, exclude: np.ndarray | None = None) -> Matches:
    """The longest prefix of each query that occurs in the shard, and where.

    ``exclude`` (global work number per query, -1 for none) ignores occurrences
    inside that work: the human baseline compares a work with the others only.
    """
    qpos = np.asarray(qpos, dtype=np.int64)
    lo, hi, lcp_lo, lcp_hi = _search(shard, qbuf, qpos, None, upper=False)
    if exclude is not None and (exclude >= 0).any():
        below, lcp_lo = _nearest_allowed(shard, qbuf, qpos, lo, -1, exclude)
        above, lcp_hi = _nearest_allowed(shard, qbuf, qpos, hi, +1, exclude)
        lo, hi = below, above
    n = len(shard.sa)
    lcp_lo = np.where(lo >= 0, lcp_lo, -1)
    lcp_hi = np.where(hi < n, lcp_hi, -1)
    take_lo = lcp_lo >= lcp_hi
    best = np.where(take_lo, lo, hi)
    length = np.maximum(np.maximum(lcp_lo, lcp_hi), 0)
    position = np.where(length > 0, shard.sa[np.clip(best, 0, n - 1)].astype(np.int64), -1)
    return Matches(length, position)


def _nearest_allowed(shard, qbuf, qpos, start, step, exclude, limit: int = 256):
    """From ``start``, walk the suffix array by ``step`` to the first suffix outside the excluded work.

    Suffixes that share a long prefix with an excerpt of a work are mostly that
    work's own, and few: ``limit`` steps suffice unless a work repeats a passage
    hundreds of times, in which case the search stops there (a shorter match).
    """
    n = len(shard.sa)
    index = start.copy()
    pending = np.flatnonzero((exclude >= 0) & (index >= 0) & (index < n))
    for _ in range(limit):
        if not pending.size:
            break
        work = shard.works[shard.work_at(shard.sa[index[pending]])]
        own = work == exclude[pending]
        index[pending[own]] += step
        pending = pending[own]
        pending = pending[(index[pending] >= 0) & (index[pending] < n)]
    index[pending] = -1 if step < 0 else n
    valid = (index >= 0) & (index < n)
    lcp = np.zeros(len(index), dtype=np.int64)
    if valid.any():
        cpos = shard.sa[index[valid]].astype(np.int64)
        lcp[valid] = _lcp(shard, qbuf, cpos, qpos[valid], np.zeros(int(valid.sum()), dtype=np.int64))
    return index, lcp


def prefix_range(shard: Shard, qbuf: np.ndarray, qpos: np.ndarray, qlen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Suffix-array range [first, last) of the suffixes starting with qbuf[qpos:qpos+qlen]."""
    qpos = np.asarray(qpos, dtype=np.int64)
    qlen = np.asarray(qlen, dtype=np.int64)
    _, first, _, _ = _search(shard, qbuf, qpos, qlen, upper=False)
    _, last, _, _ = _search(shard, qbuf, qpos, qlen, upper=True)
    return first, last
