"""Pieces back to files: standard MIDI and MusicXML bytes, through music21.

MIDI is written event by event with music21's low-level ``midi`` module rather
than through a notated score: the file then holds exactly the piece's onsets
and durations (no re-quantization, no ties to re-join), one track per voice
after a conductor track with tempo, time and key signatures. MusicXML goes
through :func:`~.score.to_score`, so bar lines, ties, rests and key spelling
are there for a notation program.

>>> from music21 import converter
>>> from .score import from_score
>>> data = to_midi("B4/4 K0 V0 P0 n60 d12 n64 d12 P12 n67 d36")
>>> from_score(converter.parseData(data, format="midi")).notes()
[(0, 0, 60, 12), (0, 0, 64, 12), (0, 12, 67, 36)]
>>> to_musicxml("B4/4 K0 V0 P0 n60 d48")[:38]
b'<?xml version="1.0" encoding="utf-8"?>'
"""

from __future__ import annotations

import contextlib
import io
from fractions import Fraction

from music21 import metadata, midi, tempo
from music21.musicxml.m21ToXml import GeneralObjectExporter

from .encoding import as_piece
from .events import DEFAULT_TEMPO, TICKS_PER_QUARTER, Piece
from .score import to_score

MIDI_TICKS_PER_QUARTER = 480
VELOCITY = 80
# Channel 10 is drums in General MIDI: a voice there would play as percussion.
_CHANNELS = [c for c in range(1, 17) if c != 10]


def to_midi(
    music: Piece | str, qpm: float = DEFAULT_TEMPO, names: list[str] | None = None, label: str | None = None
) -> bytes:
    """A standard MIDI file (format 1) of the piece or event text, at ``qpm`` quarter notes per minute.

    ``label`` goes in a text meta-event of the first track: MIDI has no C2PA container, so a
    generated file says what made it inside itself, beside its signed sidecar manifest.
    """
    piece = as_piece(music)
    scale = MIDI_TICKS_PER_QUARTER // TICKS_PER_QUARTER
    conductor = midi.MidiTrack(0)
    timeline: list[tuple[int, int, midi.MidiEvent]] = [
        (0, 0, _meta(conductor, midi.MetaEvents.SET_TEMPO, round(60_000_000 / qpm).to_bytes(3, "big")))
    ]
    if label:
        timeline.append((0, 0, _meta(conductor, midi.MetaEvents.TEXT_EVENT, label.encode("utf-8")[:1000])))
    starts = piece.bar_starts()
    previous = None
    for index, bar in enumerate(piece.bars):
        at = starts[index] * scale
        if previous is None or (previous.numerator, previous.denominator) != (bar.numerator, bar.denominator):
            denominator_power = max(0, bar.denominator.bit_length() - 1)
            data = bytes([bar.numerator, denominator_power, 24, 8])
            timeline.append((at, 0, _meta(conductor, midi.MetaEvents.TIME_SIGNATURE, data)))
        if previous is None or previous.key != bar.key:
            data = bytes([max(-7, min(7, bar.key)) & 0xFF, 0])
            timeline.append((at, 0, _meta(conductor, midi.MetaEvents.KEY_SIGNATURE, data)))
        previous = bar
    tracks = [_track(conductor, timeline)]
    voices = max(len(piece.voices), 1 + max((e.voice for e in piece.events), default=-1))
    names = names or piece.voices
    for voice in range(voices):
        track = midi.MidiTrack(voice + 1)
        channel = _CHANNELS[voice % len(_CHANNELS)]
        notes: list[tuple[int, int, midi.MidiEvent]] = []
        name = (names[voice] if voice < len(names) else "") or f"Voice {voice + 1}"
        notes.append((0, 0, _meta(track, midi.MetaEvents.SEQUENCE_TRACK_NAME, name.encode("utf-8", "replace")[:127])))
        for e in piece.events:
            if e.voice != voice:
                continue
            onset = (piece.origin(e.bar, starts) + e.position) * scale
            # At one instant note-offs sort before note-ons, so a repeated pitch is released, then struck again.
            notes.append((onset, 1, _note(track, midi.ChannelVoiceMessages.NOTE_ON, channel, e.pitch, VELOCITY)))
            notes.append(
                (onset + e.duration * scale, 0, _note(track, midi.ChannelVoiceMessages.NOTE_OFF, channel, e.pitch, 0))
            )
        tracks.append(_track(track, notes))
    midi_file = midi.MidiFile()
    midi_file.format = 1
    midi_file.ticksPerQuarterNote = MIDI_TICKS_PER_QUARTER
    midi_file.tracks = tracks
    return midi_file.writestr()


def _meta(track: midi.MidiTrack, kind: midi.MetaEvents, data: bytes) -> midi.MidiEvent:
    event = midi.MidiEvent(track, type=kind, channel=None)
    event.data = data
    return event


def _note(
    track: midi.MidiTrack, kind: midi.ChannelVoiceMessages, channel: int, pitch: int, velocity: int
) -> midi.MidiEvent:
    event = midi.MidiEvent(track, type=kind, channel=channel)
    event.pitch = pitch
    event.velocity = velocity
    return event


def _track(track: midi.MidiTrack, timeline: list[tuple[int, int, midi.MidiEvent]]) -> midi.MidiTrack:
    """Absolute-time events become delta-time pairs, then the end-of-track mark."""
    events: list[midi.DeltaTime | midi.MidiEvent] = []
    now = 0
    for at, _, event in sorted(timeline, key=lambda item: (item[0], item[1])):
        events += [midi.DeltaTime(track, time=at - now), event]
        now = at
    events += [midi.DeltaTime(track, time=0), _meta(track, midi.MetaEvents.END_OF_TRACK, b"")]
    track.events = events
    return track


def to_musicxml(
    music: Piece | str, title: str | None = None, composer: str | None = None, qpm: float = DEFAULT_TEMPO
) -> bytes:
    """MusicXML (uncompressed, partwise) of the piece or event text.

    music21 writes to stderr "we are out of midi channels! help!" for each part past the
    fifteenth (the MusicXML playback channel it assigns; the MIDI file here has its own): that
    line says nothing to a user, and an audit of many samples printed dozens of them, so it
    is kept out of the terminal.
    """
    piece = as_piece(music)
    score = to_score(piece)
    score.metadata = metadata.Metadata(title=title or "", composer=composer or "")
    first = score.parts[0].getElementsByClass("Measure").first() if score.parts else None
    if first is not None:
        first.insert(0, tempo.MetronomeMark(number=qpm, referent=Fraction(1)))
    with contextlib.redirect_stderr(io.StringIO()):  # process-wide, like read.parse's; only for the export
        return GeneralObjectExporter(score).parse()
