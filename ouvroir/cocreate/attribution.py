"""Who wrote each character of a co-written document, kept as runs of characters with one attribution.

A run is ``(origin, piece, offset, length)``: origin :data:`PERSON` or
:data:`MODEL`; ``piece`` the index of the accepted suggestion it belongs to, or
None; ``offset`` the position of its first character in that suggestion's text
(model characters only, running on by one). Stored as runs, a document costs
what its authorship changes cost, not what its length does. The ledger
(:mod:`.ledger`) changes them; this module cuts, joins and stores them.

>>> merge([(PERSON, None, None, 2), (PERSON, None, None, 3), (MODEL, 0, 0, 4), (MODEL, 0, 4, 1)])
[('person', None, None, 5), ('model', 0, 0, 5)]
>>> cut([(PERSON, None, None, 5)], 1, 3)
([('person', None, None, 1)], [('person', None, None, 2)], [('person', None, None, 2)])
"""

from __future__ import annotations

from collections.abc import Sequence

PERSON, MODEL = "person", "model"

Run = tuple[str, int | None, int | None, int]
_CODES = {PERSON: "p", MODEL: "m"}
_ORIGINS = {v: k for k, v in _CODES.items()}


def positioned(runs: Sequence[Run]) -> list[tuple[int, Run]]:
    """Each run with the position of its first character in the text."""
    position, out = 0, []
    for run in runs:
        out.append((position, run))
        position += run[3]
    return out


def cut(runs: Sequence[Run], start: int, end: int) -> tuple[list[Run], list[Run], list[Run]]:
    """The runs before ``start``, between ``start`` and ``end``, and after ``end``, split where needed."""
    parts: tuple[list[Run], list[Run], list[Run]] = ([], [], [])
    for low, (origin, piece, offset, length) in positioned(runs):
        high = low + length
        for part, a, b in ((0, low, min(high, start)), (1, max(low, start), min(high, end)), (2, max(low, end), high)):
            if a < b:
                parts[part].append((origin, piece, None if offset is None else offset + a - low, b - a))
    return parts


def _continues(first: Run, then: Run) -> bool:
    return (first[0] == then[0] and first[1] == then[1]
            and (first[0] == PERSON or first[2] + first[3] == then[2]))  # fmt: skip


def merge(runs: Sequence[Run]) -> list[Run]:
    """Adjacent runs with the same attribution joined, so that runs (and spans) are maximal."""
    out: list[Run] = []
    for run in runs:
        if out and _continues(out[-1], run):
            out[-1] = (*out[-1][:3], out[-1][3] + run[3])
        elif run[3]:
            out.append(run)
    return out


def encode_runs(runs: Sequence[Run]) -> list[list]:
    """``[["p", length, piece], ["m", length, piece, first offset], ...]``."""
    return [["p", n, piece] if origin == PERSON else ["m", n, piece, offset] for origin, piece, offset, n in runs]


def decode_runs(data: list, text: str, suggestions: Sequence[str]) -> list[Run]:
    """JSON runs back, checked against the text and the accepted suggestions' texts (a model run must be
    its suggestion's text)."""
    runs: list[Run] = []
    position = 0
    for item in data:
        origin, length, piece = _ORIGINS[item[0]], int(item[1]), item[2]
        if length < 1 or (piece is not None and (type(piece) is not int or not 0 <= piece < len(suggestions))):
            raise ValueError(f"bad run {item!r}")
        offset = None
        if origin == MODEL:
            offset, source = int(item[3]), suggestions[piece]
            if offset < 0 or offset + length > len(source) or source[offset:offset + length] != text[position:position + length]:
                raise ValueError(f"run {item!r} is not the text of its suggestion")
        runs.append((origin, piece, offset, length))
        position += length
    if position != len(text):
        raise ValueError(f"runs of {position} characters for a text of {len(text)}")
    return merge(runs)
