"""Music as text: the event stream a model learns, and the interval text the copy audit searches.

**Event text** (what is stored, tokenized and generated). One line per bar,
whitespace-separated words, no blank line::

    bar   := "B" num "/" den  " K" sharps  [" L" ticks]  word*
    word  := "V" voice | "P" position | "n" pitch " d" duration

* ``B3/4`` time signature; ``K-1`` key signature (1 flat; ``K2`` = 2 sharps);
  ``L12`` only when the bar is not as long as its signature says (a pickup, a
  short last bar). Every bar repeats its signature and key, so any line reads
  on its own.
* ``V1`` switches to voice 1 (a part: S A T B = V0 V1 V2 V3), ``P6`` moves to
  position 6 ticks in the bar; each bar starts at voice 0, position 0, and ``V``
  goes back to position 0. ``n60 d12`` is a note: MIDI pitch 60 for 12 ticks.
  Two notes with no ``P`` between them start together (a chord).
* Times are ticks, 12 to the quarter note (:data:`~.events.TICKS_PER_QUARTER`);
  rests are the gaps. Events come ordered by voice, position, pitch.

Example, a bar of 3/4 in F major, melody over a bass::

    B3/4 K-1 V0 P0 n72 d18 P18 n74 d6 P24 n72 d12 V1 P0 n53 d36

Decoding never fails: a word that does not parse, is out of range or leaves a
note unfinished is skipped and counted (``Piece.skipped``), so whatever a model
writes can be rendered. Out of range includes what the format cannot mean (a
``B4/0`` bar, a voice from :data:`MAX_VOICES` on) and, for generated text, a
voice the training corpus never had (``decode(text, max_voices=4)`` for
chorales): its ``V`` word and the notes under it are skipped, rather than
becoming dozens of empty parts in the score and in the MIDI file.

**Interval text** (transposition-invariant, for the copy audit). One line per
voice, one word per melody note: the interval in semitones from the previous
note of that voice and the note's duration, ``i+2:d6`` (the first note is
``i0``); in a chord the top note is the melody. A melody quoted a fifth higher
gives the same words. Bar lines are not written, so a quotation that starts on
another beat still matches as one span; :meth:`IntervalText.locate` maps any
character back to its voice and bar.

>>> from .events import Bar, Event, Piece
>>> piece = Piece([Bar(3, 4, -1)], [Event(0, 0, 0, 72, 18), Event(0, 0, 18, 74, 6), Event(1, 0, 0, 53, 36)])
>>> text = encode(piece)
>>> text
'B3/4 K-1 V0 P0 n72 d18 P18 n74 d6 V1 P0 n53 d36'
>>> decode(text) == piece
True
>>> intervals = interval_text(piece)
>>> intervals.text
'i0:d18 i+2:d6\\ni0:d36'
>>> intervals.locate(7)
Location(voice=0, bar=0, measure=1)
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from .events import DENOMINATORS, MAX_HELD_BARS, MAX_NUMERATOR, MAX_SHARPS, Bar, Event, Piece, sort_events

MAX_VOICES = 64
_NUMBER = re.compile(r"-?\d{1,5}")
_SIGNATURE = re.compile(r"B(\d{1,2})/(\d{1,2})")
_VOICE = re.compile(r"(?<!\S)V(\d{1,5})(?!\S)")


def encode(piece: Piece) -> str:
    """The event text of ``piece`` (see the module docstring)."""
    by_bar: list[list[Event]] = [[] for _ in piece.bars]
    for e in piece.events:
        if 0 <= e.bar < len(by_bar):
            by_bar[e.bar].append(e)
    lines = []
    for bar, events in zip(piece.bars, by_bar):
        words = [f"B{bar.numerator}/{bar.denominator}", f"K{bar.key}"]
        if bar.length is not None:
            words.append(f"L{bar.length}")
        voice, position = 0, 0
        for i, e in enumerate(events):
            if i == 0 or e.voice != voice:
                words.append(f"V{e.voice}")
                voice, position = e.voice, -1
            if e.position != position:
                words.append(f"P{e.position}")
                position = e.position
            words += [f"n{e.pitch}", f"d{e.duration}"]
        lines.append(" ".join(words))
    return "\n".join(lines)


def is_event_text(text: str) -> bool:
    """Whether a text reads as event text: its first word is a bar's signature (``B3/4``).

    >>> is_event_text("B4/4 K0 V0 P0 n60 d12"), is_event_text("Le soir tombe")
    (True, False)
    """
    words = text.split(maxsplit=1)
    return bool(words) and _SIGNATURE.fullmatch(words[0]) is not None


def as_piece(music: Piece | str) -> Piece:
    """A piece, or the decoding of an event text (which never fails)."""
    return decode(music) if isinstance(music, str) else music


def voice_count(texts: Iterable[str]) -> int:
    """How many voices event texts use (the highest ``V`` number plus one, at least 1): a corpus's maximum.

    >>> voice_count(["B4/4 K0 V0 P0 n60 d12 V3 P0 n48 d12", "B3/4 K0 V1 P0 n60 d36"])
    4
    """
    highest = max((int(m[1]) for text in texts for m in _VOICE.finditer(text)), default=0)
    return max(1, min(highest + 1, MAX_VOICES))


def decode(text: str, max_voices: int = MAX_VOICES) -> Piece:
    """The :class:`Piece` an event text describes; invalid words are skipped and counted, never raised.

    Voices from ``max_voices`` on (the corpus's count, for generated text) are invalid too.

    >>> piece = decode("B4/4 K0 V0 P0 n60 d12 n64 zz P99 n62 d3\\nV1 P0 n200 d6 n48")
    >>> [(e.voice, e.bar, e.position, e.pitch, e.duration) for e in piece.events], piece.skipped
    ([(0, 0, 0, 60, 12)], 8)
    """
    decoder = _Decoder(min(max_voices, MAX_VOICES))
    for line in text.split("\n"):
        words = line.split()
        if words:
            decoder.new_bar()
            for word in words:
                decoder.word(word)
    decoder.close_bar()
    return Piece(decoder.bars, sort_events(decoder.events), skipped=decoder.skipped)


class _Decoder:
    """The state of :func:`decode`: the bar being read, the current voice and position, a pitch awaiting its duration."""

    def __init__(self, max_voices: int = MAX_VOICES) -> None:
        self.max_voices = max_voices
        self.bars: list[Bar] = []
        self.events: list[Event] = []
        self.skipped = 0
        self.bar = Bar()
        self.open = False
        self.header = True  # still reading B / K / L words
        self.voice: int | None = 0  # None after an invalid V word, until a valid V or the next bar
        self.position: int | None = 0  # None after an invalid P or V word, until a valid P or V
        self.pitch: int | None = None

    def new_bar(self) -> None:
        self.close_bar()
        self.bar = Bar(self.bar.numerator, self.bar.denominator, self.bar.key)
        self.open, self.header = True, True
        self.voice = self.position = 0

    def close_bar(self) -> None:
        if self.pitch is not None:  # a note that never got its duration
            self.skipped += 1
            self.pitch = None
        if self.open:
            self.bars.append(self.bar)
            self.open = False

    def word(self, word: str) -> None:
        head, rest = word[0], word[1:]
        if head == "B":  # a signature the format cannot mean (B4/0) is skipped; the bar's K and L still read
            self.skipped += not self._signature(word)
            return
        if head in "KL" and self._header_number(head, rest):
            return
        self.header = False
        value = int(rest) if _NUMBER.fullmatch(rest) else None
        if head == "V":
            self._drop_pending()
            valid = value is not None and 0 <= value < self.max_voices
            # The notes of a voice that cannot be are dropped with it, not moved into the voice before.
            self.voice, self.position = (value, 0) if valid else (None, None)
            self.skipped += not valid
        elif head == "P":
            self._drop_pending()
            valid = value is not None and self.voice is not None and self._valid_position(value)
            self.position = value if valid else None  # notes at an unknown position are dropped, not moved
            self.skipped += not valid
        elif value is not None and head == "n" and 0 <= value <= 127 and self.position is not None:
            self._drop_pending()
            self.pitch = value
        elif value is not None and head == "d" and self.pitch is not None and self.position is not None \
                and 1 <= value <= self._max_duration():  # fmt: skip
            self.events.append(Event(self.voice, len(self.bars), self.position, self.pitch, value))
            self.pitch = None
        else:
            self.skipped += 1

    def _signature(self, word: str) -> bool:
        match = _SIGNATURE.fullmatch(word)
        if not match or not 1 <= int(match[1]) <= MAX_NUMERATOR or int(match[2]) not in DENOMINATORS:
            return False
        if not self.header:
            self.new_bar()  # a bar line a model wrote without its line break
        self.bar = Bar(int(match[1]), int(match[2]), self.bar.key, self.bar.length)
        return True

    def _header_number(self, head: str, rest: str) -> bool:
        if not self.header or not _NUMBER.fullmatch(rest):
            return False
        value = int(rest)
        b = self.bar
        if head == "K" and -MAX_SHARPS <= value <= MAX_SHARPS:
            self.bar = Bar(b.numerator, b.denominator, value, b.length)
            return True
        if head == "L" and value >= 1 and value != b.nominal:
            self.bar = Bar(b.numerator, b.denominator, b.key, value)
            return True
        return False

    def _valid_position(self, position: int) -> bool:
        b = self.bar
        if not self.bars and b.length is not None and b.length < b.nominal:  # a pickup: right-aligned
            return b.nominal - b.length <= position < b.nominal
        return 0 <= position < b.ticks

    def _max_duration(self) -> int:
        return MAX_HELD_BARS * self.bar.nominal

    def _drop_pending(self) -> None:
        if self.pitch is not None:
            self.skipped += 1
            self.pitch = None


class Location(NamedTuple):
    voice: int
    bar: int  # 0-based: the line of the event text
    measure: int  # as a score numbers it: a pickup is measure 0, else the first bar is 1


@dataclass(frozen=True)
class IntervalText:
    """The interval text of a piece and, for each of its words, where it comes from."""

    text: str
    starts: list[int]  # character offset of each word
    voices: list[int]
    bars: list[int]
    first_measure: int  # 0 when the piece opens with a pickup, else 1

    def locate(self, offset: int) -> Location:
        """Voice and bar of the word at (or just before) character ``offset``."""
        i = max(0, bisect.bisect_right(self.starts, offset) - 1)
        if not self.starts:
            return Location(0, 0, self.first_measure)
        return Location(self.voices[i], self.bars[i], self.bars[i] + self.first_measure)


def melody(piece: Piece, voice: int) -> list[Event]:
    """The top note of each onset in one voice, in time order: what a listener follows."""
    starts = piece.bar_starts()
    top: dict[int, Event] = {}
    for e in piece.events:
        if e.voice == voice:
            onset = piece.origin(e.bar, starts) + e.position
            if onset not in top or e.pitch > top[onset].pitch:
                top[onset] = e
    return [top[onset] for onset in sorted(top)]


def interval_text(piece: Piece) -> IntervalText:
    """The transposition-invariant text of ``piece`` (see the module docstring)."""
    lines: list[str] = []
    starts: list[int] = []
    voices: list[int] = []
    bars: list[int] = []
    offset = 0
    for voice in sorted({e.voice for e in piece.events}):
        words = []
        previous: int | None = None
        for e in melody(piece, voice):
            step = 0 if previous is None else e.pitch - previous
            word = f"i{step:+d}:d{e.duration}" if step else f"i0:d{e.duration}"
            starts.append(offset)
            voices.append(voice)
            bars.append(e.bar)
            offset += len(word) + 1  # the space (or line break) after it
            words.append(word)
            previous = e.pitch
        lines.append(" ".join(words))
    return IntervalText("\n".join(lines), starts, voices, bars, 0 if piece.pickup else 1)
