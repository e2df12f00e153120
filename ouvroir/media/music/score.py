"""music21 scores to and from :class:`~.events.Piece`: quantization on the way in, notation on the way out.

Decisions:

* Voices are parts (a chorale's S A T B); a part's chords and inner voices are
  split into notes of that one voice.
* Tied notes become one event.
* The bar grid comes from the part with the most measures; notes are placed by
  their absolute offset (what one hears), so a part with an incomplete measure
  does not shift the others.
* Grace notes and unpitched (percussion) notes are left out, and said so; a
  part of percussion only takes no voice number. A signature the event text
  cannot write (7/6) becomes 4/4 with the bar's real length; keys are clamped
  to 7 sharps or flats; a note held over :data:`~.events.MAX_HELD_BARS` bars is
  cut there, and the empty bars music21 laid out for the rest of it are left out.

>>> from music21 import stream, note, meter
>>> part = stream.Part([meter.TimeSignature("3/4"), note.Note(60, quarterLength=2), note.Note(62, quarterLength=1.5)])
>>> piece = from_score(stream.Score([part]))
>>> piece.bars, piece.events[1]
([Bar(numerator=3, denominator=4, key=0, length=None), Bar(numerator=3, denominator=4, key=0, length=None)], Event(voice=0, bar=0, position=24, pitch=62, duration=18))
>>> piece.notes()
[(0, 0, 60, 24), (0, 24, 62, 18)]
>>> [len(p.getElementsByClass("Measure")) for p in to_score(piece).parts]
[2]
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterator
from fractions import Fraction

from music21 import chord, key, meter, note, stream
from music21.tie import Tie

from .events import (
    DENOMINATORS,
    MAX_HELD_BARS,
    MAX_NUMERATOR,
    MAX_SHARPS,
    TICKS_PER_QUARTER,
    Bar,
    Event,
    Piece,
    sort_events,
    to_ticks,
)


def from_score(score: stream.Score | stream.Part | stream.Stream) -> Piece:
    """Quantize a music21 score into a :class:`Piece` (see the module docstring for the rules)."""
    parts = list(score.parts) if isinstance(score, stream.Score) and score.parts else [score]
    bars, starts = _grid(parts)
    counts: Counter[str] = Counter()
    raw: list[list[int]] = []  # [voice, onset, pitch, duration], mutable while ties are merged
    kept = []
    for part in parts:
        unpitched = counts["unpitched"]
        notes = _part_notes(len(kept), part, counts)
        if notes or counts["unpitched"] == unpitched:  # a drum part takes no voice number; a silent part keeps its own
            raw.extend(notes)
            kept.append(part)
    parts = kept
    _extend(bars, starts, max((onset + 1 for _, onset, _, _ in raw), default=0))  # every note starts in a bar
    pickup = max(0, bars[0].nominal - bars[0].ticks) if bars and bars[0].length is not None else 0
    events = []
    last = 0
    for voice, onset, pitch, duration in raw:
        index = bisect.bisect_right(starts, onset) - 1
        if duration > MAX_HELD_BARS * bars[index].nominal:
            duration = MAX_HELD_BARS * bars[index].nominal
            counts["held"] += 1
        last = max(last, onset + duration)
        events.append(Event(voice, index, onset - starts[index] + (pickup if index == 0 else 0), pitch, duration))
    _extend(bars, starts, last)  # a note sounding past the last written bar: more bars like the last one
    # music21 lays out bars for the whole of a held note (a MIDI note of 2^28 ticks: millions); after its cut they
    # are empty and would only lengthen the event text
    while counts["held"] and len(bars) > 1 and starts[-2] >= last:
        bars.pop()
        starts.pop()
        counts["trimmed"] += 1
    names = [getattr(part, "partName", None) or "" for part in parts]
    names = names if any(names) else []
    return Piece(bars, sort_events(events), names, _remarks(counts))


def _extend(bars: list[Bar], starts: list[int], end: int) -> None:
    """More bars like the last one until ``end`` ticks are covered."""
    while end > starts[-1]:
        bars.append(Bar(bars[-1].numerator, bars[-1].denominator, bars[-1].key) if bars else Bar())
        starts.append(starts[-1] + bars[-1].ticks)


def _grid(parts: list[stream.Stream]) -> tuple[list[Bar], list[int]]:
    """Bars from the part with the most measures, and their absolute start ticks (plus the end)."""
    measured = max(parts, key=lambda p: len(p.getElementsByClass(stream.Measure)), default=None)
    measures: list[stream.Measure] = []
    for measure in measured.getElementsByClass(stream.Measure) if measured is not None else []:
        if not measures or to_ticks(measure.offset) > to_ticks(measures[-1].offset):  # a bar takes time
            measures.append(measure)
    signature = _first(parts, meter.TimeSignature) or meter.TimeSignature("4/4")
    signature_key = _first(parts, key.KeySignature)
    sharps = signature_key.sharps if signature_key is not None else 0
    if not measures:  # notes straight in the part: bars of its first signature
        first = _bar(signature, sharps)
        return [first], [0, first.ticks]
    bars: list[Bar] = []
    starts = [to_ticks(measures[0].offset)]
    for i, measure in enumerate(measures):
        signature = measure.timeSignature or signature
        found = measure.keySignature
        sharps = found.sharps if found is not None else sharps
        bar = _bar(signature, sharps)
        if i + 1 < len(measures):
            end = to_ticks(measures[i + 1].offset)
        else:
            end = starts[-1] + max(to_ticks(measure.duration.quarterLength), 1 if measure.notes else bar.nominal)
        length = end - starts[-1]
        bars.append(bar if length == bar.nominal else Bar(bar.numerator, bar.denominator, bar.key, length))
        starts.append(end)
    if starts[0]:  # a part that does not start at 0: its first bar absorbs the gap
        starts[0] = 0
        bars[0] = Bar(bars[0].numerator, bars[0].denominator, bars[0].key, starts[1])
    return bars, starts


def _bar(signature: meter.TimeSignature, sharps: int) -> Bar:
    """A bar the event text can write: an unwritable signature (7/6) becomes 4/4, the bar keeps its real length."""
    numerator, denominator = int(signature.numerator), int(signature.denominator)
    if not (1 <= numerator <= MAX_NUMERATOR and denominator in DENOMINATORS):
        numerator, denominator = 4, 4
    return Bar(numerator, denominator, max(-MAX_SHARPS, min(MAX_SHARPS, int(sharps))))


def _first(parts: list[stream.Stream], cls: type) -> object | None:
    for part in parts:
        found = part.recurse().getElementsByClass(cls).first()
        if found is not None:
            return found
    return None


def _part_notes(voice: int, part: stream.Stream, counts: Counter[str]) -> list[list[int]]:
    """Every pitched note of one part as ``[voice, onset, pitch, duration]`` ticks, ties merged."""
    out: list[list[int]] = []
    pending: dict[int, list[int]] = {}  # pitch -> the note a tie is carrying on
    # Stable sort by onset: a tie chain is followed in time order even across the voices of a measure.
    for offset, element in sorted(_notes_in(part, 0.0), key=lambda item: item[0]):
        if isinstance(element, note.Unpitched) or not element.pitches:
            counts["unpitched"] += 1
            continue
        if element.duration.isGrace or element.quarterLength == 0:
            counts["grace"] += 1
            continue
        exact_onset = offset * TICKS_PER_QUARTER
        exact_duration = float(element.quarterLength) * TICKS_PER_QUARTER
        onset, duration = round(exact_onset), max(1, round(exact_duration))
        if abs(onset - exact_onset) > 1e-6 or abs(duration - exact_duration) > 1e-6:
            counts["rounded"] += 1
        members = element.notes if isinstance(element, chord.Chord) else [element]
        for member in members:
            pitch = member.pitch.midi
            if not 0 <= pitch <= 127:
                counts["out of range"] += 1
                continue
            tie = (member.tie or element.tie).type if (member.tie or element.tie) else None
            carried = pending.get(pitch)
            if tie in ("stop", "continue") and carried is not None and carried[1] + carried[3] == onset:
                carried[3] += duration
                if tie == "stop":
                    del pending[pitch]
                continue
            current = [voice, onset, pitch, duration]
            out.append(current)
            if tie in ("start", "continue"):
                pending[pitch] = current
            else:
                pending.pop(pitch, None)
    return out


def _notes_in(container: stream.Stream, base: float) -> Iterator[tuple[float, note.NotRest]]:
    """Notes and chords under ``container`` with their offsets from its start, in quarter notes.

    Walking measures and voices by hand, rather than ``flatten()``, spares music21
    building and sorting a new stream for every part.
    """
    for element in container.elements:
        if isinstance(element, note.NotRest):
            yield base + float(container.elementOffset(element)), element
        elif isinstance(element, stream.Stream):
            yield from _notes_in(element, base + float(container.elementOffset(element)))


def _remarks(counts: Counter[str]) -> list[str]:
    """What the quantization left out or moved, for the user.

    >>> _remarks(Counter(grace=1, rounded=3))
    ['1 grace note left out (it takes no time on the grid)', '3 notes moved to the nearest 1/12 of a quarter note']
    """
    said = {
        "grace": ("grace note left out (it takes no time on the grid)", "grace notes left out (they take no time on the grid)"),
        "unpitched": ("unpitched (percussion) note left out", "unpitched (percussion) notes left out"),
        "rounded": (f"note moved to the nearest 1/{TICKS_PER_QUARTER} of a quarter note",
                    f"notes moved to the nearest 1/{TICKS_PER_QUARTER} of a quarter note"),
        "out of range": ("note outside the MIDI range left out", "notes outside the MIDI range left out"),
        "held": (f"note held over {MAX_HELD_BARS} bars cut there", f"notes held over {MAX_HELD_BARS} bars cut there"),
        "trimmed": ("empty bar after a held note's cut left out", "empty bars after a held note's cut left out"),
    }  # fmt: skip
    return [f"{counts[k]} {one if counts[k] == 1 else many}" for k, (one, many) in said.items() if counts[k]]


def to_score(piece: Piece) -> stream.Score:
    """A music21 score of ``piece``: one part per voice, one measure per bar, ties across bar lines, rests filled.

    Notes of one voice that overlap without forming a chord go to separate
    music21 voices inside the measure, so MusicXML shows them as written.
    """
    bars = list(piece.bars) or [Bar()]
    starts = piece.bar_starts() if piece.bars else [0, bars[0].ticks]
    while starts[-1] < piece.end:  # notes sounding past the last bar: more bars like it
        bars.append(Bar(bars[-1].numerator, bars[-1].denominator, bars[-1].key))
        starts.append(starts[-1] + bars[-1].ticks)
    pickup = piece.pickup
    cells: dict[tuple[int, int], dict[tuple[int, int, str | None], list[int]]] = {}
    for e in piece.events:
        onset = starts[e.bar] - (pickup if e.bar == 0 else 0) + e.position
        for bar, offset, length, tie in _segments(onset, onset + e.duration, starts):
            cells.setdefault((e.voice, bar), {}).setdefault((offset, length, tie), []).append(e.pitch)
    voices = max(len(piece.voices), 1 + max((e.voice for e in piece.events), default=0))
    score = stream.Score()
    for voice in range(voices):
        part = stream.Part(id=f"P{voice + 1}")
        part.partName = (piece.voices[voice] if voice < len(piece.voices) else "") or f"Voice {voice + 1}"
        for index, bar in enumerate(bars):
            measure = stream.Measure(number=index if pickup else index + 1)
            previous = bars[index - 1] if index else None
            if previous is None or (previous.numerator, previous.denominator) != (bar.numerator, bar.denominator):
                measure.timeSignature = meter.TimeSignature(f"{bar.numerator}/{bar.denominator}")
            if previous is None or previous.key != bar.key:
                measure.keySignature = key.KeySignature(max(-7, min(7, bar.key)))
            if index == 0 and pickup:
                measure.paddingLeft = Fraction(pickup, TICKS_PER_QUARTER)
            elif bar.ticks < bar.nominal:
                measure.paddingRight = Fraction(bar.nominal - bar.ticks, TICKS_PER_QUARTER)
            _fill_measure(measure, cells.get((voice, index), {}), bar.ticks, bar.key)
            part.insert(Fraction(starts[index], TICKS_PER_QUARTER), measure)
        score.insert(0, part)
    return score


def _segments(onset: int, end: int, starts: list[int]) -> list[tuple[int, int, int, str | None]]:
    """``(bar, offset in bar, length, tie)`` pieces of a note cut at bar lines."""
    out = []
    bar = max(0, bisect.bisect_right(starts, onset) - 1)
    time = onset
    while time < end and bar + 1 < len(starts):
        stop = min(end, starts[bar + 1])
        out.append((bar, time - starts[bar], stop - time))
        time, bar = stop, bar + 1
    ties: list[str | None] = [None] if len(out) == 1 else ["start"] + ["continue"] * (len(out) - 2) + ["stop"]
    return [(b, o, n, t) for (b, o, n), t in zip(out, ties)]


def _fill_measure(
    measure: stream.Measure, groups: dict[tuple[int, int, str | None], list[int]], ticks: int, sharps: int
) -> None:
    """Chords and rests of one voice in one bar; overlapping groups go to separate music21 voices."""
    layers: list[list[tuple[int, int, str | None, list[int]]]] = []
    # a tie is None or a word: sort it as text, or a held note beside a new one of equal length cannot be ordered
    for (offset, length, tie), pitches in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or "")):
        for layer in layers:
            if layer[-1][0] + layer[-1][1] <= offset:
                layer.append((offset, length, tie, pitches))
                break
        else:
            layers.append([(offset, length, tie, pitches)])
    containers: list[stream.Stream] = (
        [measure] if len(layers) <= 1 else [stream.Voice(id=str(i + 1)) for i in range(len(layers))]
    )
    for container, layer in zip(containers, layers or [[]]):
        time = 0
        for offset, length, tie, pitches in layer:
            if offset > time:
                container.insert(
                    Fraction(time, TICKS_PER_QUARTER),
                    note.Rest(quarterLength=Fraction(offset - time, TICKS_PER_QUARTER)),
                )
            container.insert(Fraction(offset, TICKS_PER_QUARTER), _sounding(pitches, length, tie, sharps))
            time = offset + length
        if time < ticks:
            container.insert(
                Fraction(time, TICKS_PER_QUARTER), note.Rest(quarterLength=Fraction(ticks - time, TICKS_PER_QUARTER))
            )
    if len(containers) > 1:
        for container in containers:
            measure.insert(0, container)


def _sounding(pitches: list[int], length: int, tie: str | None, sharps: int) -> note.Note | chord.Chord:
    """A note or chord spelled for the key: flats in flat keys, sharps otherwise."""
    notes = []
    for midi in sorted(pitches):
        n = note.Note(midi, quarterLength=Fraction(length, TICKS_PER_QUARTER))
        accidental = n.pitch.accidental
        # music21 10 gives a white key a natural sign (alter 0): it is spelled as it is, never as B# or C##
        if accidental is not None and accidental.alter != 0 and (accidental.alter > 0) == (sharps < 0):
            n.pitch = n.pitch.getEnharmonic()
        if tie:
            n.tie = Tie(tie)
        notes.append(n)
    return notes[0] if len(notes) == 1 else chord.Chord(notes)
