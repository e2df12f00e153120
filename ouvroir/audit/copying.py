"""Verbatim copying: every maximal span of at least L characters a text shares with the corpus.

For a text position ``a`` let ``end(a)`` be the end of the longest prefix of
``text[a:]`` found in the corpus. ``end`` never decreases along the text, and a
maximal shared span starts exactly where it increases. So the search computes
``end`` at anchors every L/2 characters, skips every stretch where it is flat
or too short to hold a span of L, and bisects the rest: a text with no copy
costs ~2 searches per 50 characters, a copied one a few more per span.

>>> import tempfile, pathlib
>>> from ouvroir.audit.index import Document, build_index
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "index"
>>> poem = "Les sanglots longs des violons de l'automne blessent mon cœur d'une langueur monotone."
>>> index = build_index(folder, [Document("w1", "Chanson", "P. V.", "0" * 64, poem)])
>>> [(s.start, s.end, s.work_start) for s in find_spans(index, ["Il dit «" + poem[4:60] + "» et rien."], 20)[0]]
[(8, 64, 4)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .index import CorpusIndex
from .search import END, longest_match, prefix_range


@dataclass(frozen=True)
class Span:
    start: int  # characters, in the audited text
    end: int
    work: int  # index into CorpusIndex.works
    work_start: int  # characters, in that work
    occurrences: int  # how many times the span occurs in the corpus


class QueryBuffer:
    """All texts as one UTF-8 buffer (each followed by END), with character ↔ byte maps.

    Positions handed around are global character numbers: text ``t``'s
    characters are ``first[t] .. first[t] + len(t)``, the last one standing for
    its end.
    """

    def __init__(self, texts: Sequence[str]):
        parts, char_bytes, firsts = [], [], []
        base_byte = base_char = 0
        for text in texts:
            codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
            widths = 1 + (codes >= 0x80) + (codes >= 0x800) + (codes >= 0x10000)
            offsets = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
            parts.append(text.encode("utf-8") + bytes([END]))
            char_bytes.append(base_byte + offsets)
            firsts.append(base_char)
            base_byte += int(offsets[-1]) + 1
            base_char += len(text) + 1
        self.buf = np.frombuffer(b"".join(parts) or bytes([END]), dtype=np.uint8)
        self.byte_of = np.concatenate(char_bytes) if char_bytes else np.zeros(1, dtype=np.int64)
        self.first = np.array(firsts, dtype=np.int64)
        self.lengths = np.array([len(t) for t in texts], dtype=np.int64)

    def char_at_or_before(self, byte_positions: np.ndarray) -> np.ndarray:
        """The last character boundary at or before each byte position (a match may end mid-character)."""
        return np.searchsorted(self.byte_of, byte_positions, side="right") - 1


@dataclass
class Ends:
    end: np.ndarray  # global character position where the longest match ends
    shard: np.ndarray  # shard of one occurrence
    position: np.ndarray  # byte position of that occurrence in its shard


def match_ends(index: CorpusIndex, queries: QueryBuffer, chars: np.ndarray, exclude: np.ndarray | None = None) -> Ends:
    """``end(a)`` for global character positions ``a``: the longest match over all shards."""
    chars = np.asarray(chars, dtype=np.int64)
    qpos = queries.byte_of[chars]
    best = np.zeros(len(chars), dtype=np.int64)
    shard_of = np.full(len(chars), -1, dtype=np.int64)
    position = np.full(len(chars), -1, dtype=np.int64)
    for number, shard in enumerate(index.shards):
        found = longest_match(shard, queries.buf, qpos, exclude)
        better = found.length > best
        best = np.where(better, found.length, best)
        shard_of = np.where(better, number, shard_of)
        position = np.where(better, found.position, position)
    return Ends(queries.char_at_or_before(qpos + best), shard_of, position)


def find_spans(
    index: CorpusIndex, texts: Sequence[str], min_len: int = 50, exclude: Sequence[int] | None = None
) -> list[list[Span]]:
    """Every maximal span of ≥ ``min_len`` characters of each text that occurs verbatim in the corpus.

    ``exclude[t]`` (a work number, or -1) leaves that work out for text ``t``: an
    excerpt of a work compared with the rest of the corpus.
    """
    if min_len < 2:
        raise ValueError("min_len must be at least 2")
    queries = QueryBuffer(texts)
    text_of_char = np.repeat(np.arange(len(texts)), queries.lengths + 1)
    excluded = None if exclude is None else np.asarray(exclude, dtype=np.int64)

    def ends(chars: np.ndarray) -> Ends:
        return match_ends(index, queries, chars, None if excluded is None else excluded[text_of_char[chars]])

    starts = span_starts(queries, text_of_char, min_len, lambda chars: ends(chars).end)
    return _describe(index, queries, texts, starts, excluded, text_of_char, ends)


def span_starts(queries: QueryBuffer, text_of_char: np.ndarray, min_len: int, end_of) -> set[int]:
    """Global character positions where a maximal span of ≥ ``min_len`` starts, ``end_of`` giving ``end(a)``."""
    stride = max(1, min_len // 2)
    anchors_rel = [np.append(np.arange(0, n, stride), n) for n in queries.lengths]
    anchors = np.concatenate([queries.first[t] + a for t, a in enumerate(anchors_rel)] or [np.zeros(0, np.int64)])
    is_text_end = np.isin(anchors, queries.first + queries.lengths)
    found_end = end_of(anchors[~is_text_end])
    end_at = anchors.copy()  # a text's end matches nothing: end(a) = a
    end_at[~is_text_end] = found_end
    queried = anchors[~is_text_end]
    # a text's first character starts a span whenever it matches: nothing before it can extend it
    starts = set(queried[np.isin(queried, queries.first) & (found_end - queried >= min_len)].tolist())
    # intervals (left, right] between consecutive anchors of the same text
    same_text = text_of_char[anchors[:-1]] == text_of_char[anchors[1:]] if len(anchors) > 1 else np.zeros(0, bool)
    left, right = anchors[:-1][same_text], anchors[1:][same_text]
    end_left, end_right = end_at[:-1][same_text], end_at[1:][same_text]
    while left.size:
        keep = (end_right > end_left) & (end_right >= left + 1 + min_len)
        left, right, end_left, end_right = left[keep], right[keep], end_left[keep], end_right[keep]
        adjacent = right == left + 1
        long_enough = adjacent & (end_right - right >= min_len)
        starts.update(right[long_enough].tolist())
        left, right, end_left, end_right = left[~adjacent], right[~adjacent], end_left[~adjacent], end_right[~adjacent]
        if not left.size:
            break
        mid = (left + right) // 2
        end_mid = end_of(mid)
        left, right = np.concatenate([left, mid]), np.concatenate([mid, right])
        end_left, end_right = np.concatenate([end_left, end_mid]), np.concatenate([end_mid, end_right])
    return starts


def _describe(index, queries, texts, starts, excluded, text_of_char, ends) -> list[list[Span]]:
    """Turn span starts into Spans: source work, position in it, and occurrence count."""
    spans: list[list[Span]] = [[] for _ in texts]
    if not starts:
        return spans
    chars = np.array(sorted(starts), dtype=np.int64)
    found = ends(chars)  # the source occurrence (bisection did not keep it)
    byte_start = queries.byte_of[chars]
    byte_len = queries.byte_of[found.end] - byte_start
    occurrences = np.zeros(len(chars), dtype=np.int64)
    for shard in index.shards:
        first, last = prefix_range(shard, queries.buf, byte_start, byte_len)
        occurrences += last - first
    for i, a in enumerate(chars):
        shard = index.shards[int(found.shard[i])]
        local = int(shard.work_at(np.array([found.position[i]]))[0])
        work = int(shard.works[local])
        t = int(text_of_char[a])
        spans[t].append(Span(int(a - queries.first[t]), int(found.end[i] - queries.first[t]), work,
                             index.work_text_offset(work, int(found.position[i])), int(occurrences[i])))  # fmt: skip
    return spans


def copied_share(text: str, spans: Sequence[Span]) -> float:
    """Share of the text's characters inside at least one copied span."""
    if not text:
        return 0.0
    covered = np.zeros(len(text) + 1, dtype=np.int64)
    for span in spans:
        covered[span.start] += 1
        covered[span.end] -= 1
    return float((np.cumsum(covered)[:-1] > 0).sum() / len(text))
