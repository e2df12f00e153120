"""A piece of music as quantized note events on a grid of bars: the model every other music module shares.

A :class:`Piece` is bars (time signature, key signature, and a length only
when the bar is not as long as its time signature says) and :class:`Event`
notes (voice, bar, position in the bar, MIDI pitch, duration). Times are
integer ticks, :data:`TICKS_PER_QUARTER` to a quarter note: sixteenths and
eighth-note triplets are exact, anything finer is rounded to the nearest tick.

Positions are metrical: a pickup bar (a first bar shorter than its time
signature) is right-aligned, so a 4/4 upbeat on beat 4 is at position 36; any
other short bar is left-aligned. A note may last past its bar line; it belongs
to the bar where it starts.

Converting from and to music21 scores lives in :mod:`.score`, which builds on
this module and never the other way round, so that decoding, features and the
synthesizer never pay music21's import.

>>> piece = Piece([Bar(4, 4, 0, length=12), Bar(4, 4)], [Event(0, 0, 36, 67, 12), Event(0, 1, 0, 72, 48)])
>>> piece.pickup, piece.bar_starts(), piece.notes()
(36, [0, 12, 60], [(0, 0, 67, 12), (0, 12, 72, 48)])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

TICKS_PER_QUARTER = 12
# What an event text can say, shared with the decoder so that every piece read from a file encodes and decodes alike.
DENOMINATORS = frozenset({1, 2, 4, 8, 16, 32, 64})
MAX_NUMERATOR = 64
MAX_SHARPS = 7
MAX_HELD_BARS = 16  # a note held longer than this many bars of its signature is cut there
DEFAULT_TEMPO = 100  # quarter notes per minute for MIDI and sound: the event text carries no tempo


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: time signature, key signature (sharps > 0, flats < 0), and its length in ticks when irregular."""

    numerator: int = 4
    denominator: int = 4
    key: int = 0
    length: int | None = None  # None: as long as the time signature says

    @property
    def nominal(self) -> int:
        """Ticks the time signature gives: ``Bar(6, 8).nominal == 36``."""
        return max(1, round(self.numerator * 4 * TICKS_PER_QUARTER / self.denominator))

    @property
    def ticks(self) -> int:
        return self.length if self.length is not None else self.nominal


@dataclass(frozen=True, slots=True)
class Event:
    voice: int
    bar: int
    position: int  # ticks from the bar's metrical start (see the module docstring on pickups)
    pitch: int  # MIDI number, 0..127
    duration: int  # ticks, >= 1; may run past the bar line


@dataclass
class Piece:
    """Bars and note events, sorted by (bar, voice, position, pitch)."""

    bars: list[Bar]
    events: list[Event]
    voices: list[str] = field(default_factory=list)  # part names by voice number, when known
    remarks: list[str] = field(default_factory=list)  # for the user: what was left out or rounded
    skipped: int = 0  # words of an event text that did not decode (see encoding.decode)

    @property
    def pickup(self) -> int:
        """Ticks missing from a short first bar (0 when the piece starts on a downbeat)."""
        if not self.bars or self.bars[0].length is None:
            return 0
        return max(0, self.bars[0].nominal - self.bars[0].length)

    def bar_starts(self) -> list[int]:
        """Absolute tick where each bar begins, plus the end of the last bar."""
        starts = [0]
        for bar in self.bars:
            starts.append(starts[-1] + bar.ticks)
        return starts

    def origin(self, bar: int, starts: list[int] | None = None) -> int:
        """Absolute tick of position 0 in ``bar`` (negative for a pickup bar)."""
        starts = starts if starts is not None else self.bar_starts()
        return starts[bar] - (self.pickup if bar == 0 else 0)

    def notes(self) -> list[tuple[int, int, int, int]]:
        """``(voice, onset, pitch, duration)`` in absolute ticks, sorted: what a round trip must keep."""
        starts = self.bar_starts()
        pickup = self.pickup
        return sorted(
            (e.voice, starts[e.bar] - (pickup if e.bar == 0 else 0) + e.position, e.pitch, e.duration)
            for e in self.events
        )

    @property
    def end(self) -> int:
        """Last tick of the piece: the end of its last bar or of its last sounding note, whichever is later."""
        starts = self.bar_starts()
        last_note = max((onset + duration for _, onset, _, duration in self.notes()), default=0)
        return max(starts[-1], last_note)


def to_ticks(quarters: float | Fraction) -> int:
    """``to_ticks(Fraction(1, 3)) == 4``; rounds to the nearest tick."""
    return round(Fraction(quarters) * TICKS_PER_QUARTER)


def sort_events(events: list[Event]) -> list[Event]:
    """Events in text order (bar, voice, position, pitch); a pitch struck twice at once in a voice sounds once.

    The longer of the two is kept.

    >>> sort_events([Event(0, 0, 0, 64, 12), Event(0, 0, 0, 60, 6), Event(0, 0, 0, 60, 12)])
    [Event(voice=0, bar=0, position=0, pitch=60, duration=12), Event(voice=0, bar=0, position=0, pitch=64, duration=12)]
    """
    longest: dict[tuple[int, int, int, int], Event] = {}
    for e in events:
        k = (e.bar, e.voice, e.position, e.pitch)
        if k not in longest or e.duration > longest[k].duration:
            longest[k] = e
    return [longest[k] for k in sorted(longest)]
