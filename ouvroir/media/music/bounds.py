"""How long a score lasts and how many notes it holds, read from the raw file before music21 parses it.

music21 lays out every bar a score spans and splits a long note into one tied
note per bar, so its time and memory grow with the score's *duration*, which a
few bytes can make astronomical: a 45-byte MIDI holding one note for 2^28 ticks,
or the ABC ``c99999999``, ran for minutes and took gigabytes. Each scan here is
a light pass over the file's own numbers (MIDI delta-times and note events, ABC
note lengths and bar lines, MusicXML durations, divisions and measures, Humdrum
durations and barlines) and :func:`check` refuses, in milliseconds and with the
figure, a score over the limits.

The limits are far above real scores: the Bach chorales (at most 69 bars) and
the Essen folk songs (at most 291 bars, 520 notes a tune) of music21's corpus
are many times under them; its longest score, a Beethoven quartet movement, has
1,124 bars. MIDI has a lower bar limit because music21 builds a MIDI file's
bars itself, in a time that grows with their square (2,000 bars: 5 s; 4,000:
16 s; 10,000: 100 s, even when they are empty); the notation formats write
their bars and are read in linear time. Bars are counted with the file's own
time signatures (4/4 when it gives none); an estimate errs on the long side
(an ABC chord counts each of its notes).

>>> check(bars=3_100_000, notes=1)
Traceback (most recent call last):
ouvroir.errors.IngestError: score lasts 3.1 million bars: over the limit of 10,000
>>> abc_size("X:1\\nM:4/4\\nL:1/8\\nK:C\\nc99999999|]\\n")
(12499999.875, 1)
"""

from __future__ import annotations

import math
import re

from lxml import etree

from ...errors import IngestError

MAX_BARS = 10_000  # MusicXML, ABC, Humdrum
MAX_MIDI_BARS = 3_000  # the slowest MIDI under it (one note held 2,999 bars) reads in ~9 s
MAX_NOTES = 100_000  # music21's reading time grows faster than linearly with the notes of a part
MAX_MIDI_EVENTS = 1_000_000  # any MIDI message (controllers, pitch bends...): they cost music21 too


def check(bars: float, notes: int, max_bars: int = MAX_BARS) -> None:
    """Refuse a score over ``max_bars`` bars or :data:`MAX_NOTES` notes, saying how big it is."""
    if not bars <= max_bars:  # NaN too
        raise IngestError(f"score lasts {_amount(bars)} bars: over the limit of {max_bars:,}")
    if notes > MAX_NOTES:
        raise IngestError(f"score holds {_amount(notes)} notes: over the limit of {MAX_NOTES:,}")


def _amount(value: float) -> str:
    """``_amount(2_100_000) == '2.1 million'``; exact under a million."""
    if not math.isfinite(value) or value >= 1e15:
        return "more than a million billion"
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if value >= size:
            return f"{value / size:.1f} {word}"
    return f"{math.ceil(value):,}"


def _bars(end: float, signatures: list[tuple[float, float]]) -> float:
    """Bars from time 0 to ``end`` (quarter notes), given ``(at, quarters a bar)`` changes sorted by time."""
    bars, at, length = 0.0, 0.0, 4.0
    for change, new_length in signatures:
        if change >= end:
            break
        bars += (change - at) / length
        at, length = change, new_length
    return bars + (end - at) / length


# --- MIDI ---------------------------------------------------------------------------------------------------------


def midi_size(data: bytes) -> tuple[float, int]:
    """``(bars, notes)`` of a MIDI file whose chunks are whole (see ``read._check_midi_chunks``).

    Stops early once the notes or events are over their limits, so a huge file costs no more than its first part.
    """
    division = int.from_bytes(data[12:14], "big")
    if division & 0x8000:  # SMPTE time: ticks a second; at 120 quarter notes a minute, half that a quarter
        per_quarter = max(1, (256 - data[12]) * data[13] / 2)
    else:
        per_quarter = max(1, division)
    at, end_tick, notes, events = 8 + int.from_bytes(data[4:8], "big"), 0, 0, 0
    signatures: list[tuple[int, float]] = []
    while at + 8 <= len(data):
        size = int.from_bytes(data[at + 4 : at + 8], "big")
        if data[at : at + 4] == b"MTrk":
            now, found, counted = _midi_track(data, at + 8, min(len(data), at + 8 + size), signatures)
            end_tick, notes, events = max(end_tick, now), notes + found, events + counted
            if notes > MAX_NOTES or events > MAX_MIDI_EVENTS:
                break
        at += 8 + size
    if events > MAX_MIDI_EVENTS:
        raise IngestError(f"MIDI file holds over {MAX_MIDI_EVENTS:,} events: over the limit")
    changes = sorted((tick / per_quarter, length) for tick, length in signatures)
    return _bars(end_tick / per_quarter, changes), notes


def _midi_track(data: bytes, i: int, end: int, signatures: list[tuple[int, float]]) -> tuple[int, int, int]:
    """``(last tick, notes, events)`` of one track; time signatures found are appended to ``signatures``."""
    now = notes = events = status = 0
    while i < end:
        delta, i = _vlq(data, i, end)
        now += delta
        if i >= end:
            break
        byte = data[i]
        if byte == 0xFF:  # meta event: type, length, data
            if i + 1 >= end:
                break
            kind = data[i + 1]
            length, j = _vlq(data, i + 2, end)
            if kind == 0x58 and length >= 2 and j + 1 < end:  # time signature: numerator, log2 of the denominator
                signatures.append((now, max(1, data[j]) * 4 / 2 ** min(data[j + 1], 6)))
            if kind == 0x2F:  # end of track
                break
            i = j + length
        elif byte in (0xF0, 0xF7):  # system exclusive
            length, j = _vlq(data, i + 1, end)
            i = j + length
        else:
            if byte & 0x80:
                status, i = byte, i + 1
            elif not status:
                break  # a data byte with no status to run on: music21 will say the file is corrupt
            kind = status & 0xF0
            if kind == 0x90 and i + 1 < end and data[i + 1]:  # note-on with a velocity (0 is a note-off)
                notes += 1
            i += 1 if kind in (0xC0, 0xD0) else 2
            events += 1
            if notes > MAX_NOTES or events > MAX_MIDI_EVENTS:
                break
    return now, notes, events


def _vlq(data: bytes, i: int, end: int) -> tuple[int, int]:
    """A MIDI variable-length number (at most 4 bytes) at ``i``, and the index after it."""
    value = 0
    for _ in range(4):
        if i >= end:
            break
        byte = data[i]
        i += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    return value, i


# --- ABC ----------------------------------------------------------------------------------------------------------

# what takes no time: quoted chord symbols and annotations, !decorations!, +decorations+, {grace notes}, % comments
_ABC_SILENT = re.compile(r'"[^"\n]*"|![^!\n]*!|\+[^+\n]*\+|\{[^}\n]*\}|%.*$', re.MULTILINE)
_ABC_FIELD_LINE = re.compile(r"^([A-Za-z]):(.*)$", re.MULTILINE)
_ABC_TOKEN = re.compile(
    r"\[([A-Za-z]):([^\]\n]*)\]"  # inline field [L:1/16]
    r"|\[([^\]\[|:\n]*)\](\d*)(/*)(\d*)"  # chord [CEG]2
    r"|[_=^]*(?:[A-Ga-g][,']*|[zx])(\d*)(/*)(\d*)"  # note or rest c3/2
    r"|Z(\d*)"  # bars of rest
    r"|(\|+)"  # a bar line (|, ||, |], [|, |: and :| alike)
)
_ABC_NOTE = re.compile(r"[_=^]*[A-Ga-g][,']*(\d*)(/*)(\d*)")
_FRACTION = re.compile(r"\s*(\d+(?:\s*\+\s*\d+)*)\s*/\s*(\d+)")


def abc_size(tune: str) -> tuple[float, int]:
    """``(bars, notes)`` of one ABC tune's text (its ``X:`` line to the next), at most its real size plus chords."""
    meter, unit, quarters, notes, bar_lines = 4.0, None, 0.0, 0, 0
    bars_by_time = 0.0
    text = _ABC_SILENT.sub(" ", tune)
    for line in text.split("\n"):
        field = _ABC_FIELD_LINE.match(line)
        if field:
            meter, unit = _abc_field(field[1], field[2], meter, unit)
            continue
        for token in _ABC_TOKEN.finditer(line):
            length = (unit if unit is not None else (0.25 if meter < 3 else 0.5)) * 1.0
            if token[1]:
                meter, unit = _abc_field(token[1], token[2], meter, unit)
            elif token[3] is not None:
                inside = [_abc_length(n[1], n[2], n[3]) for n in _ABC_NOTE.finditer(token[3])]
                notes += len(inside)
                took = length * max(inside, default=0) * _abc_length(token[4], token[5], token[6])
                quarters, bars_by_time = quarters + took, bars_by_time + took / meter
            elif token[10] is not None:
                bars_by_time += int(token[10]) if token[10] else 1
            elif token[11]:
                bar_lines += 1
            else:
                notes += 1
                took = length * _abc_length(token[7], token[8], token[9])
                quarters, bars_by_time = quarters + took, bars_by_time + took / meter
    return max(float(bar_lines), bars_by_time), notes


def _abc_field(name: str, value: str, meter: float, unit: float | None) -> tuple[float, float | None]:
    """Meter (quarters a bar) and unit note length (quarters) after an ``M:`` or ``L:`` field."""
    value = value.strip()
    if name == "M":
        fraction = _FRACTION.match(value)
        if fraction:
            meter = max(1e-3, sum(int(n) for n in fraction[1].split("+")) * 4 / max(1, int(fraction[2])))
        elif value.startswith("C"):
            meter = 4.0
    elif name == "L":
        fraction = _FRACTION.match(value)
        if fraction:
            unit = int(fraction[1].split("+")[0]) * 4 / max(1, int(fraction[2]))
    return meter, unit


def _abc_length(number: str, slashes: str, divisor: str) -> float:
    """``c3/2`` → 1.5 units; ``c/`` → 0.5; ``c//`` → 0.25; digits beyond any real length still count."""
    value = float(int(number)) if number else 1.0
    if slashes:
        value /= int(divisor) if divisor and int(divisor) else 2 ** len(slashes)
    return value


def abc_tunes(text: str) -> dict[int | None, str]:
    """Each tune's text by reference number (``X:``), as music21 splits them; ``None`` for a file without ``X:``."""
    starts = [(m.start(), int(m[1])) for m in re.finditer(r"^X:\s*(\d+)", text, re.MULTILINE)]
    if not starts:
        return {None: text}
    tunes: dict[int | None, str] = {}
    for (start, number), following in zip(starts, [*starts[1:], (len(text), 0)]):
        tunes[number] = tunes.get(number, "") + text[start : following[0]]
    return tunes


# --- MusicXML and Humdrum -----------------------------------------------------------------------------------------


def musicxml_size(root: etree._Element) -> tuple[float, int]:
    """``(bars, notes)`` of a partwise MusicXML tree: each measure counts as long as its notes make it, at least 1."""
    longest, notes = 0.0, 0
    for part in (c for c in root if _name(c) == "part"):
        bars, divisions, length = 0.0, 1.0, 4.0
        for measure in (c for c in part if _name(c) == "measure"):
            position = reached = 0.0
            for element in measure.iter():
                name = _name(element)
                if name == "divisions":
                    divisions = _number(element.text) or 1.0
                elif name == "time":
                    beats, beat_type = element.findtext("{*}beats") or "", element.findtext("{*}beat-type") or ""
                    if (fraction := _FRACTION.match(f"{beats}/{beat_type}")) is not None:
                        length = max(1e-3, sum(int(n) for n in fraction[1].split("+")) * 4 / max(1, int(fraction[2])))
                elif name == "note":
                    notes += 1
                    if element.find("{*}chord") is None and element.find("{*}grace") is None:
                        position += _number(element.findtext("{*}duration"))
                elif name == "forward":
                    position += _number(element.findtext("{*}duration"))
                elif name == "backup":
                    position -= _number(element.findtext("{*}duration"))
                reached = max(reached, position)
            bars += max(1.0, reached / divisions / length)
        longest = max(longest, bars)
        if notes > MAX_NOTES or not longest <= MAX_BARS:
            break
    return longest, notes


def _name(element: etree._Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def _number(text: str | None) -> float:
    try:
        value = float(text or 0)
    except ValueError:
        return 0.0
    return value if value >= 0 else 0.0  # NaN and negatives take no time; inf is caught by check()


_KERN_DURATION = re.compile(r"(\d+)(?:%(\d+))?(\.*)")


def humdrum_size(text: str) -> tuple[float, int]:
    """``(bars, notes)`` of a Humdrum file: barline records, and time advancing by each record's shortest token."""
    now = end = 0.0
    barlines, notes, length = 0, 0, 4.0
    for line in text.split("\n"):
        if not line or line.startswith("!"):
            continue
        if line.startswith("="):
            barlines += 1
            continue
        if line.startswith("*"):
            for token in line.split("\t"):
                if token.startswith("*M") and (fraction := _FRACTION.match(token[2:])) is not None:
                    length = max(1e-3, sum(int(n) for n in fraction[1].split("+")) * 4 / max(1, int(fraction[2])))
            continue
        durations = []
        for token in line.split("\t"):
            if token and token != "." and (found := _KERN_DURATION.search(token)) is not None:
                notes += 1
                reciprocal, numerator, dots = int(found[1]), int(found[2] or 1), len(found[3])
                whole = (2.0 if found[1] == "0" else 4.0 if found[1].startswith("00") else numerator / reciprocal)
                durations.append(whole * 4 * (2 - 0.5**dots))
        if durations:
            end = max(end, now + max(durations) / length)
            now += min(durations) / length
    return max(float(barlines), end), notes
