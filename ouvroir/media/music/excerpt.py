"""The bars a copied passage covers, cut out of a piece as a small piece of their own, to be engraved.

The copy audit finds a passage in a voice's interval text (``encoding.interval_text``):
characters ``start``..``end`` of it. :func:`passage` turns them back into music: the
bars of that voice from the first note of the passage to its last, at most
``max_bars`` of them, as an event text that renders and engraves like any other.

>>> events = "B4/4 K0 V0 P0 n60 d12 P12 n62 d12 P24 n64 d24 V1 P0 n48 d48\\nB4/4 K0 V0 P0 n65 d48\\nB4/4 K0 V0 P0 n67 d48\\n"
>>> from .encoding import decode, interval_text
>>> text = interval_text(decode(events)).text
>>> cut = passage(events, text.index("i+2"), text.index("i+2:d48") + 7)
>>> cut.voice, cut.first_measure, cut.last_measure
(0, 1, 3)
>>> cut.events.splitlines()[0]
'B4/4 K0 V0 P0 n60 d12 P12 n62 d12 P24 n64 d24'
"""

from __future__ import annotations

from dataclasses import dataclass

from .encoding import decode, encode, interval_text
from .events import Event, Piece

MAX_EXCERPT_BARS = 8  # a passage longer than this is shown by its first bars: the point is to see it, not read it all


@dataclass(frozen=True)
class Passage:
    events: str  # event text of the excerpt: one voice, its bars only
    voice: int  # 0-based, in the piece
    first_measure: int  # as the score numbers them (a pickup is measure 0)
    last_measure: int


def passage(events: str, start: int, end: int, max_bars: int = MAX_EXCERPT_BARS) -> Passage:
    """The bars of one voice that characters ``start``..``end`` of the piece's interval text cover."""
    piece = decode(events)
    intervals = interval_text(piece)
    first = intervals.locate(start)
    last = intervals.locate(max(start, end - 1))
    voice = first.voice
    bar_a = first.bar
    bar_b = last.bar if last.voice == voice else bar_a
    bar_b = max(bar_a, min(bar_b, bar_a + max_bars - 1, len(piece.bars) - 1))
    return Passage(encode(cut(piece, voice, bar_a, bar_b)), voice, bar_a + intervals.first_measure,
                   bar_b + intervals.first_measure)  # fmt: skip


def cut(piece: Piece, voice: int, first_bar: int, last_bar: int) -> Piece:
    """Bars ``first_bar``..``last_bar`` (0-based, inclusive) of one voice, as voice 0 of a piece of their own.

    A note held past the last bar line is shortened to it; a pickup stays a pickup only when the
    excerpt starts with it.
    """
    bars = piece.bars[first_bar:last_bar + 1]
    starts = piece.bar_starts()
    end = starts[last_bar + 1]
    events = []
    for e in piece.events:
        if e.voice != voice or not first_bar <= e.bar <= last_bar:
            continue
        onset = piece.origin(e.bar, starts) + e.position
        duration = max(1, min(e.duration, end - onset))
        events.append(Event(0, e.bar - first_bar, e.position, e.pitch, duration))
    names = [piece.voices[voice]] if voice < len(piece.voices) else []
    return Piece(list(bars), events, voices=names)
