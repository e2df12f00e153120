"""The copy search one shard at a time, and the merge that gives back the whole index's spans.

A shard holds whole works, so ``search_shard`` needs nothing but its own
suffix array: it runs wherever the index folder is readable (a process of
this machine, a Dask worker, a Ray actor), opening the folder once per process
and memory-mapping it, so every worker shares the page cache and no copy of
the index travels with a task.

Why the merge is exact. Let ``end_s(a)`` be where the longest match from text
position ``a`` ends in shard ``s``; over the whole index ``end(a) = max_s
end_s(a)``. A span of the index starts at ``a`` when ``end(a) > end(a - 1)``
and ``end(a) - a ≥ L``; the shard reaching ``end(a)`` then has a span starting
at ``a`` too. Conversely a shard's span ``(a, e)`` is not one of the index's
exactly when another shard reaches further from ``a`` or reaches ``e`` from
``a - 1`` — and that shard then reports a span starting at or before ``a``
that ends at or after ``e``. So the index's spans are the shards' spans that
no span starting earlier covers to their end, the longest at each start; its
source is the shard with the longest byte match (the first on ties, as a
search over all shards in order picks), and its occurrences are the sum over
the shards that report the same span (another shard holds none).

>>> import tempfile, pathlib
>>> from ouvroir.audit.index import Document, build_index
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "index"
>>> verse = ["Le vent se lève, il faut tenter de vivre, l'air immense ouvre et referme mon livre.",
...          "Ce toit tranquille, où marchent des colombes, entre les pins palpite, entre les tombes."]
>>> index = build_index(folder, [Document(f"w{i}", f"V{i}", None, str(i) * 64, v) for i, v in enumerate(verse)], 60)
>>> len(index.shards)
2
>>> text = "« " + verse[1][:40] + " » puis « " + verse[0][10:70] + " »"
>>> spans = merge_spans([text], [search_shard(ShardRef(str(folder), n), [text], 20) for n in range(2)])
>>> [(s.start, s.end, s.work, s.work_start) for s in spans[0]] == [(2, 42, 1, 0), (52, 112, 0, 10)]
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .copying import QueryBuffer, Span, span_starts
from .index import CorpusIndex
from .search import longest_match, prefix_range


@dataclass(frozen=True)
class ShardRef:
    """A shard named by its index folder and number: what a task carries instead of the shard."""

    path: str
    number: int


@dataclass
class ShardSpans:
    """One shard's spans, as arrays (cheap to send back from a worker)."""

    shard: int
    text: np.ndarray  # which text
    start: np.ndarray  # characters, in that text
    end: np.ndarray
    nbytes: np.ndarray  # bytes of the longest match from start (ties between shards go to the longest)
    work: np.ndarray  # global work number of the occurrence found
    work_start: np.ndarray  # characters, in that work
    occurrences: np.ndarray  # in this shard


_OPENED: dict[str, CorpusIndex] = {}  # per process: each index folder opened (memory-mapped) once
KEEP_OPEN = 8  # folders; the least recently used is closed past that (a long-running studio audits many)


def opened(path: str, index: CorpusIndex | None = None) -> CorpusIndex:
    """The index at ``path``, opened once in this process and kept (its maps stay warm); ``index`` if given."""
    found = _OPENED.pop(path, None) or index or CorpusIndex.open(Path(path))
    _OPENED[path] = found  # last: the most recently used
    while len(_OPENED) > KEEP_OPEN:
        del _OPENED[next(iter(_OPENED))]
    return found


def shard_refs(index: CorpusIndex) -> list[ShardRef]:
    return [ShardRef(str(index.path), n) for n in range(len(index.shards))]


def search_shard(
    shard_ref: ShardRef, texts: Sequence[str], min_copy: int, exclude: Sequence[int] | None = None
) -> ShardSpans:
    """Every maximal span of ≥ ``min_copy`` characters of each text found in this one shard."""
    index = opened(shard_ref.path)
    shard = index.shards[shard_ref.number]
    queries = QueryBuffer(texts)
    text_of_char = np.repeat(np.arange(len(texts)), queries.lengths + 1)
    excluded = None if exclude is None else np.asarray(exclude, dtype=np.int64)

    def longest(chars: np.ndarray):
        found = longest_match(shard, queries.buf, queries.byte_of[chars],
                              None if excluded is None else excluded[text_of_char[chars]])  # fmt: skip
        return queries.char_at_or_before(queries.byte_of[chars] + found.length), found

    chars = np.array(sorted(span_starts(queries, text_of_char, min_copy, lambda c: longest(c)[0])), dtype=np.int64)
    end, found = longest(chars)
    first, last = prefix_range(shard, queries.buf, queries.byte_of[chars], queries.byte_of[end] - queries.byte_of[chars])
    work = shard.works[shard.work_at(found.position)] if len(chars) else np.zeros(0, np.int64)
    work_start = [index.work_text_offset(int(w), int(p)) for w, p in zip(work, found.position)]
    text = text_of_char[chars]
    return ShardSpans(shard_ref.number, text, chars - queries.first[text], end - queries.first[text], found.length,
                      work, np.array(work_start, dtype=np.int64), last - first)  # fmt: skip


def search_shards(refs: Sequence[ShardRef], texts: Sequence[str], min_copy: int, exclude=None) -> list[ShardSpans]:
    """``search_shard`` over a group of shards: one task, one copy of the texts."""
    return [search_shard(ref, texts, min_copy, exclude) for ref in refs]


def longest_at(shard_ref: ShardRef, texts: Sequence[str], chars: np.ndarray, exclude: np.ndarray | None) -> np.ndarray:
    """Bytes of the longest match in this shard from each global character position (attribution's runs)."""
    shard = opened(shard_ref.path).shards[shard_ref.number]
    queries = QueryBuffer(texts)
    return longest_match(shard, queries.buf, queries.byte_of[chars], exclude).length


def works_holding(shard_ref: ShardRef, texts: Sequence[str], begin: np.ndarray, stop: np.ndarray, limit: int):
    """``passages_in`` one shard named by reference (attribution's credit, on a pool or a cluster)."""
    return passages_in(opened(shard_ref.path).shards[shard_ref.number], QueryBuffer(texts), begin, stop, limit)


def passages_in(shard, queries: QueryBuffer, begin: np.ndarray, stop: np.ndarray, limit: int):
    """For each passage (global characters ``begin``–``stop``): its occurrences in this shard, and when
    there are at most ``limit``, the works holding them with how often (``{passage: (works, counts)}``)."""
    qpos = queries.byte_of[begin]
    first, last = prefix_range(shard, queries.buf, qpos, queries.byte_of[stop] - qpos)
    works = {int(p): np.unique(shard.works[shard.work_at(np.asarray(shard.sa[first[p] : last[p]], dtype=np.int64))],
                               return_counts=True)
             for p in np.flatnonzero((last > first) & (last - first <= limit))}  # fmt: skip
    return last - first, works


def merge_spans(texts: Sequence[str], results: Sequence[ShardSpans], index: CorpusIndex | None = None,
                exclude: Sequence[int] | None = None) -> list[list[Span]]:  # fmt: skip
    """The index's spans from every shard's (see the module's note), each text's in order of start.

    With ``exclude``, a span's occurrences also count those inside the excluded work (as the search of
    the whole index does), which the excluded work's shard did not report: they are counted here, in
    ``index``, one prefix search per such span.
    """
    rows = sorted((int(t), int(a), -int(e), -int(b), r.shard, int(w), int(ws), int(o))
                  for r in results for t, a, e, b, w, ws, o in
                  zip(r.text, r.start, r.end, r.nbytes, r.work, r.work_start, r.occurrences))  # fmt: skip
    spans: list[list[Span]] = [[] for _ in texts]
    reported: dict[tuple[int, int, int], set[int]] = {}  # (text, start, end) -> shards that found it whole
    reach = {}  # text -> furthest end of the spans starting before the current start
    i = 0
    while i < len(rows):
        text, start, neg_end = rows[i][:3]
        j, occurrences, shards = i, 0, set()
        while j < len(rows) and rows[j][:2] == (text, start):
            if rows[j][2] == neg_end:
                occurrences += rows[j][7]
                shards.add(rows[j][4])
            j += 1
        if -neg_end > reach.get(text, -1):
            spans[text].append(Span(start, -neg_end, rows[i][5], rows[i][6], occurrences))
            reported[(text, start, -neg_end)] = shards
            reach[text] = -neg_end
        i = j
    if exclude is not None and index is not None:
        _count_in_excluded(index, texts, spans, reported, exclude)
    return spans


def _count_in_excluded(index: CorpusIndex, texts, spans: list[list[Span]], reported, exclude) -> None:
    pending: dict[int, list[tuple[int, int]]] = {}  # shard -> (text, span number) not yet counted there
    for t, found in enumerate(spans):
        if exclude[t] >= 0:
            shard = index.works[exclude[t]].shard
            pending.setdefault(shard, []).extend((t, k) for k, s in enumerate(found)
                                                 if shard not in reported[(t, s.start, s.end)])  # fmt: skip
    if not any(pending.values()):
        return
    queries = QueryBuffer(texts)
    for shard, items in pending.items():
        begin = np.array([queries.first[t] + spans[t][k].start for t, k in items], dtype=np.int64)
        end = np.array([queries.first[t] + spans[t][k].end for t, k in items], dtype=np.int64)
        first, last = prefix_range(index.shards[shard], queries.buf, queries.byte_of[begin],
                                   queries.byte_of[end] - queries.byte_of[begin])  # fmt: skip
        for (t, k), count in zip(items, last - first):
            spans[t][k] = replace(spans[t][k], occurrences=spans[t][k].occurrences + int(count))
