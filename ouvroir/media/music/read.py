"""Scores from a file's bytes, through music21, without touching the disk.

music21 parses every format we read from memory (``parseData``, or its MIDI
and ABC modules directly), so no temporary file is written. What music21 does
not check, this module does first, so a bad file gets a reason a person can act
on rather than a parser's stack: MIDI must start with its ``MThd`` header;
MusicXML is parsed by lxml's safe parser (no entity expansion, no network)
and re-serialized as UTF-8 for music21, which reads only UTF-8 partwise scores
(timewise scores are turned partwise here); compressed ``.mxl`` is read with
:class:`~ouvroir.media.safezip.SafeZip`'s zip-bomb limits; ABC files with
several tunes are split by reference number (``X:``) and each tune parsed on
its own, so one broken tune costs only itself. Before music21 sees a file, its
duration and notes are bounded from the raw bytes (:mod:`.bounds`): a score
lasting millions of bars is refused in milliseconds, an ABC tune costs only itself.

>>> abc = "X:1\\nT:Un\\nM:2/4\\nL:1/8\\nK:C\\ncdef|g4|]\\nX:2\\nT:Deux\\nM:2/4\\nL:1/8\\nK:G\\ngfed|c4|]\\n"
>>> tunes, problems = parse(abc.encode(), "abc")
>>> [describe(t.score)[0] for t in tunes], problems
(['Un', 'Deux'], [])
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree
from music21 import abcFormat, converter, metadata, midi, stream
from music21.midi import translate as midi_translate
from music21.musicxml import xmlToM21

from ...errors import IngestError
from ..encoding import decode_text
from ..safexml import MUSICXML_ROOTS, local_name, parse_xml
from ..safezip import SafeZip
from . import bounds

FORMATS = ("midi", "musicxml", "mxl", "abc", "humdrum")
# Track names some sequencers write for every file: not a title.
_GENERIC_TRACK_NAME = re.compile(r"^\s*(track|untitled|sequence|tempo|conductor|unnamed|new)\b.*$|^\s*$", re.IGNORECASE)


@dataclass
class Tune:
    """One score of a file (an ABC file may hold several) and where it came from."""

    score: stream.Score
    label: str = ""  # "X:3" for an ABC tune, else empty


def parse(data: bytes, fmt: str) -> tuple[list[Tune], list[str]]:
    """The scores in ``data``, and remarks for the user: tunes skipped, what music21 warned about.

    Raises IngestError when nothing can be read.
    """
    if fmt in ("musicxml", "mxl"):  # the content decides: a renamed .mxl is a zip, an .mxl may be plain XML
        fmt = "mxl" if data.startswith(b"PK\x03\x04") else "musicxml"
    readers = {"midi": _midi, "musicxml": _musicxml, "mxl": lambda d: _musicxml(_mxl_root(d)), "humdrum": _humdrum}
    if fmt != "abc" and fmt not in readers:
        raise IngestError(f"unknown music format {fmt!r}; ouvroir reads {', '.join(FORMATS)}")
    warned: list[str] = []
    with _music21_warnings(warned):
        tunes, problems = _abc(data) if fmt == "abc" else ([Tune(readers[fmt](data))], [])
    if warned:
        problems.append(f"music21 reported {len(warned)} problem(s) while reading, the first: {warned[0][:200]}")
    return tunes, problems


@contextlib.contextmanager
def _music21_warnings(into: list[str]) -> Iterator[None]:
    """Collect what music21 writes to stderr or warns while parsing, instead of letting it print.

    Like any redirection of sys.stderr this is process-wide: fine for ingest,
    which reads one file at a time.
    """
    buffer = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(buffer):
        warnings.simplefilter("always")
        try:
            yield
        finally:
            into.extend(str(w.message).strip() for w in caught)
            into.extend(line.strip() for line in buffer.getvalue().splitlines() if line.strip())


def describe(score: stream.Score) -> tuple[str | None, str | None, dict[str, str]]:
    """``(title, composer, other metadata)`` a score carries; ``rights`` from its copyright line."""
    md = score.metadata
    if md is None:
        return None, None, {}
    title = next((t for t in (_clean(md.title), _clean(md.movementName)) if t and not _FILE_NAME.match(t)), None)
    composer = _clean(md.composer)
    extra = {"rights": rights} if (rights := _clean(md.copyright)) else {}
    return title, composer, extra


# Notation programs often put the file's own name in the title field ("bwv89.6.mxl"): not a title.
_FILE_NAME = re.compile(r"^\S+\.(mxl|musicxml|xml|mid|midi|krn|abc)$", re.IGNORECASE)


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None


def _midi(data: bytes) -> stream.Score:
    _check_midi_chunks(data)
    bounds.check(*bounds.midi_size(data), max_bars=bounds.MAX_MIDI_BARS)
    midi_file = midi.MidiFile()
    try:
        midi_file.readstr(data)
        _split_channels(midi_file)
        score = midi_translate.midiFileToStream(midi_file)
    except Exception as exc:  # music21 raises IndexError, struct.error, MidiException... on damaged files
        raise IngestError(f"corrupt MIDI file: {_reason(exc)}") from exc
    title, copyright = _midi_text(midi_file)
    if title or copyright:
        if score.metadata is None:
            score.metadata = metadata.Metadata()
        md = score.metadata
        if title and not md.title:
            md.title = title
        if copyright and not md.copyright:
            md.copyright = copyright
    return score


def _check_midi_chunks(data: bytes) -> None:
    """Refuse a file that is not MIDI or is cut short: music21 would read what is there and keep quiet.

    >>> _check_midi_chunks(b"MThd\\x00\\x00\\x00\\x06\\x00\\x00\\x00\\x01\\x01\\xe0MTrk\\x00\\x00\\x00\\x10abc")
    Traceback (most recent call last):
    ouvroir.errors.IngestError: corrupt MIDI file: truncated (track 1 declares 16 bytes, 3 are left)
    """
    if not data.startswith(b"MThd"):
        raise IngestError("not a MIDI file: it does not start with the MIDI header (MThd)")
    if len(data) < 14:
        raise IngestError("corrupt MIDI file: truncated inside its header")
    declared = int.from_bytes(data[10:12], "big")
    at, tracks = 8 + int.from_bytes(data[4:8], "big"), 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at + 4 : at + 8], "big")
        if data[at : at + 4] == b"MTrk":
            tracks += 1
            if at + 8 + size > len(data):
                raise IngestError(
                    f"corrupt MIDI file: truncated (track {tracks} declares {size} bytes, {len(data) - at - 8} are left)"
                )
        at += 8 + size
    if tracks < declared:
        raise IngestError(f"corrupt MIDI file: truncated (the header announces {declared} tracks, {tracks} are there)")


def _split_channels(midi_file: midi.MidiFile) -> None:
    """Give each channel of a multi-channel track (every type-0 file) a track of its own, in place.

    music21 makes one part per track and merges what sounds together in a track
    into one chord, so a type-0 file's melody, bass and drums would come out as
    one voice of percussion chords. Meta events (tempo, signatures) go to a first,
    note-less track, which music21 reads as the conductor.
    """
    voiced = (midi.ChannelVoiceMessages, midi.ChannelModeMessages)
    if not any(len({e.channel for e in t.events if isinstance(e.type, voiced)}) > 1 for t in midi_file.tracks):
        return
    timelines: dict[int | None, list[tuple[int, midi.MidiEvent]]] = {None: []}
    for track in midi_file.tracks:
        now = 0
        for event in track.events:
            if isinstance(event, midi.DeltaTime):
                now += event.time
            elif event.type != midi.MetaEvents.END_OF_TRACK:
                channel = event.channel if isinstance(event.type, voiced) else None
                timelines.setdefault(channel, []).append((now, event))
    tracks = []
    for index, channel in enumerate([None, *sorted(c for c in timelines if c is not None)]):
        track = midi.MidiTrack(index)
        events: list[midi.DeltaTime | midi.MidiEvent] = []
        now = 0
        for at, event in sorted(timelines[channel], key=lambda item: item[0]):
            event.track = track
            events += [midi.DeltaTime(track, time=at - now, channel=event.channel), event]
            now = at
        end = midi.MidiEvent(track, type=midi.MetaEvents.END_OF_TRACK, channel=None)
        end.data = b""
        track.events = [*events, midi.DeltaTime(track, time=0), end]
        tracks.append(track)
    midi_file.tracks = tracks
    midi_file.format = 1


def _midi_text(midi_file: midi.MidiFile) -> tuple[str | None, str | None]:
    """Title (the first track's name, when that track holds no notes) and copyright notice of a MIDI file."""
    title = copyright = None
    for i, track in enumerate(midi_file.tracks):
        has_notes = any(e.type == midi.ChannelVoiceMessages.NOTE_ON for e in track.events)
        for event in track.events:
            if not isinstance(event, midi.MidiEvent) or not isinstance(event.data, bytes):
                continue
            text = event.data.decode("utf-8", "replace").strip("\x00 \t\r\n")
            if event.type == midi.MetaEvents.COPYRIGHT_NOTICE and text and copyright is None:
                copyright = text
            elif (event.type == midi.MetaEvents.SEQUENCE_TRACK_NAME and i == 0 and title is None
                  and (not has_notes or len(midi_file.tracks) == 1) and not _GENERIC_TRACK_NAME.match(text)):  # fmt: skip
                title = text
    return title, copyright


def _musicxml(data: bytes) -> stream.Score:
    root = parse_xml(data, "the MusicXML file")
    name = local_name(root)
    if name not in MUSICXML_ROOTS:
        raise IngestError(f"not a MusicXML score (root element is <{name}>, not <score-partwise>)")
    if name == "score-timewise":
        root = _partwise(root)
    bounds.check(*bounds.musicxml_size(root))
    importer = xmlToM21.MusicXMLImporter()
    importer.xmlText = etree.tostring(root, encoding="unicode")
    try:
        importer.parseXMLText()
    except Exception as exc:
        raise IngestError(f"unreadable MusicXML score: {_reason(exc)}") from exc
    return importer.stream


def _partwise(root: etree._Element) -> etree._Element:
    """A ``score-timewise`` document as ``score-partwise``: measures of parts become parts of measures.

    >>> t = etree.fromstring('<score-timewise><part-list/><measure number="1"><part id="P1"><note/></part></measure></score-timewise>')
    >>> etree.tostring(_partwise(t))
    b'<score-partwise><part-list/><part id="P1"><measure number="1"><note/></measure></part></score-partwise>'
    """
    out = etree.Element("score-partwise", dict(root.attrib))
    parts: dict[str, etree._Element] = {}
    for child in list(root):  # moving children while iterating the parent would skip some
        if local_name(child) != "measure":
            out.append(child)
            continue
        for part in child:
            if local_name(part) != "part":
                continue
            if part.get("id", "") not in parts:
                parts[part.get("id", "")] = etree.SubElement(out, "part", {"id": part.get("id", "")})
            measure = etree.SubElement(parts[part.get("id", "")], "measure", dict(child.attrib))
            measure.extend(list(part))
    return out


def _mxl_root(data: bytes) -> bytes:
    """The main score inside a compressed MusicXML (.mxl) archive, per its META-INF/container.xml."""
    archive = SafeZip(data, "MXL")
    container = archive.read_optional("META-INF/container.xml")
    if container is not None:
        for element in parse_xml(container, "the MXL container").iter():
            path = element.get("full-path") if local_name(element) == "rootfile" else None
            if path and archive.has(path):
                return archive.read(path)
    candidates = [
        n for n in archive.names if n.lower().endswith((".xml", ".musicxml")) and not n.startswith("META-INF/")
    ]
    if not candidates:
        raise IngestError("corrupt MXL: the archive holds no MusicXML score")
    return archive.read(candidates[0])


def _abc(data: bytes) -> tuple[list[Tune], list[str]]:
    text, _ = decode_text(data)
    too_big: dict[int | None, str] = {}  # tunes refused by their size: music21 never translates them
    tunes_text = bounds.abc_tunes(text)
    for number, tune_text in tunes_text.items():
        try:
            bounds.check(*bounds.abc_size(tune_text))
        except IngestError as exc:
            too_big[number] = str(exc)
    if len(too_big) == len(tunes_text):
        raise IngestError(next(iter(too_big.values())) if len(too_big) == 1
                          else f"every ABC tune is too long ({'; '.join(too_big.values())[:300]})")  # fmt: skip
    handler = abcFormat.ABCHandler()
    try:
        handler.process(text)
    except Exception as exc:
        raise IngestError(f"unreadable ABC: {_reason(exc)}") from exc
    tunes = handler.splitByReferenceNumber() if handler.definesReferenceNumbers() else {None: handler}
    out: list[Tune] = []
    problems: list[str] = []
    for number, tune in tunes.items():
        label = f"X:{number}" if number is not None else ""
        if number in too_big:
            problems.append(f"ABC tune {label or '(unnumbered)'} skipped: {too_big[number]}")
            continue
        try:
            score = abcFormat.translate.abcToStreamScore(tune)
        except Exception as exc:  # noqa: BLE001 - music21's ABC translator raises many types; one tune must not cost the file
            problems.append(f"ABC tune {label or '(unnumbered)'} skipped: {_reason(exc)}")
            continue
        out.append(Tune(score, label))
    if not out:
        raise IngestError(problems[0] if len(problems) == 1 else f"no readable ABC tune ({'; '.join(problems)[:300]})")
    return out, problems


def _humdrum(data: bytes) -> stream.Score:
    text, _ = decode_text(data)
    if "**" not in text:
        raise IngestError("not a Humdrum file: no ** spine (such as **kern) declared")
    bounds.check(*bounds.humdrum_size(text))
    try:
        return converter.parseData(text, format="humdrum")
    except Exception as exc:
        raise IngestError(f"unreadable Humdrum score: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    message = str(exc).strip().split("\n")[0][:200]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
