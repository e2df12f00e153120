"""Scores: read from bytes, written as event text, rendered back; the interval text; features; the synthesizer.

Fixtures are built here with music21 or taken from music21's bundled corpus
(the Bach chorales): no third-party file is committed.
"""

from __future__ import annotations

import io
import random
import wave
import zipfile
from fractions import Fraction

import numpy as np
import pytest
from music21 import chord, corpus, duration, key, meter, midi, note, stream
from music21.midi import translate
from music21.musicxml.m21ToXml import GeneralObjectExporter

from ouvroir.errors import IngestError
from ouvroir.media.formats import MUSIC_SUFFIXES, many_reader_for, reader_for
from ouvroir.media.formats.music import read_many
from ouvroir.media.music.encoding import Location, decode, encode, interval_text
from ouvroir.media.music.events import TICKS_PER_QUARTER, Bar, Event, Piece
from ouvroir.media.music.features import MEASURES, music_profile
from ouvroir.media.music.render import to_midi, to_musicxml
from ouvroir.media.music.synth import to_wav

# Two parts in 3/4, one flat, bars of 36 ticks. (voice, onset, pitch, duration) in ticks of 1/12 quarter.
EXPECTED = sorted([
    (0, 0, 72, 18), (0, 18, 74, 6),  # dotted quarter, eighth; then a quarter rest (24-36)
    (0, 36, 76, 4), (0, 40, 77, 4), (0, 44, 79, 4),  # eighth-note triplet
    (0, 48, 60, 24), (0, 48, 64, 24), (0, 48, 67, 24),  # a chord
    (0, 72, 71, 48), (0, 120, 69, 24),  # a note tied over the bar line at 108
    (1, 0, 48, 36), (1, 36, 43, 72), (1, 108, 41, 36),
])  # fmt: skip


def _fixture_score() -> stream.Score:
    """EXPECTED as a music21 score, written the way a user's notation program would hold it."""
    flute, cello = stream.Part(), stream.Part()
    flute.partName, cello.partName = "Flute", "Cello"
    for part in (flute, cello):
        part.append([meter.TimeSignature("3/4"), key.KeySignature(-1)])
    third = duration.Duration(Fraction(1, 3)).quarterLength
    flute.append([note.Note(72, quarterLength=1.5), note.Note(74, quarterLength=0.5), note.Rest(quarterLength=1)])
    flute.append([note.Note(p, quarterLength=third) for p in (76, 77, 79)])
    flute.append(
        [chord.Chord([60, 64, 67], quarterLength=2), note.Note(71, quarterLength=4), note.Note(69, quarterLength=2)]
    )
    cello.append([note.Note(48, quarterLength=3), note.Note(43, quarterLength=6), note.Note(41, quarterLength=3)])
    return stream.Score([flute, cello])


def _notes(work_text: str) -> list[tuple[int, int, int, int]]:
    return decode(work_text).notes()


def _chorale_bytes() -> bytes:
    return corpus.getWork("bach/bwv66.6").read_bytes()


# --- Round trip (acceptance 1) --------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".mid", ".musicxml"])
def test_round_trip_file_to_tokens_to_midi_and_musicxml_keeps_the_notes(suffix):
    score = _fixture_score()
    data = translate.streamToMidiFile(score).writestr() if suffix == ".mid" else GeneralObjectExporter(score).parse()
    work = reader_for(suffix)(data, f"fixture{suffix}")
    assert (work.form, _notes(work.text)) == ("score", EXPECTED)
    assert work.text.splitlines()[:2] == [
        "B3/4 K-1 V0 P0 n72 d18 P18 n74 d6 V1 P0 n48 d36",
        "B3/4 K-1 V0 P0 n76 d4 P4 n77 d4 P8 n79 d4 P12 n60 d24 n64 d24 n67 d24 V1 P0 n43 d72",
    ]

    piece = decode(work.text)
    assert piece.skipped == 0 and encode(piece) == work.text
    from_midi = reader_for(".mid")(to_midi(piece), "again.mid")
    from_xml = reader_for(".musicxml")(to_musicxml(piece, title="Essai"), "again.musicxml")
    assert _notes(from_midi.text) == EXPECTED
    assert _notes(from_xml.text) == EXPECTED
    assert from_xml.text == work.text  # bars, signatures and key survive MusicXML too
    assert from_xml.title == "Essai"


def test_musicxml_keeps_part_names_and_mxl_reads_the_same_score():
    xml = GeneralObjectExporter(_fixture_score()).parse()
    work = reader_for(".musicxml")(xml, "duo.musicxml")
    assert work.metadata["voices"] == "Flute; Cello"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "META-INF/container.xml",
            '<container><rootfiles><rootfile full-path="score/duo.xml"/></rootfiles></container>',
        )
        archive.writestr("score/duo.xml", xml)
    assert reader_for(".mxl")(buffer.getvalue(), "duo.mxl").text == work.text
    assert reader_for(".musicxml")(buffer.getvalue(), "renamed.musicxml").text == work.text  # content, not suffix


def test_a_bach_chorale_round_trips_with_its_pickup():
    work = reader_for(".mxl")(_chorale_bytes(), "bwv66.6.mxl")
    lines = work.text.splitlines()
    assert work.metadata["voices"] == "Soprano; Alto; Tenor; Bass"
    assert lines[0].startswith("B4/4 K3 L12 V0 P36 n73 d6 P42 n71 d6 V1 P36 n64 d12")  # an upbeat on beat 4
    assert len(lines) == 10 and lines[-1].startswith("B4/4 K3 L36 ")
    piece = decode(work.text)
    assert len(piece.events) == 163 and piece.skipped == 0
    again_xml = reader_for(".musicxml")(to_musicxml(piece), "bwv66.6.musicxml")
    again_midi = reader_for(".mid")(to_midi(piece), "bwv66.6.mid")
    assert again_xml.text == work.text
    assert _notes(again_midi.text) == piece.notes()  # MIDI has no pickup bar, but every onset stays


# --- Interval text: transposition-invariant, located ----------------------------------------------------------------


def test_a_phrase_a_fifth_higher_has_the_same_interval_text_and_is_located():
    chorale = decode(reader_for(".mxl")(_chorale_bytes(), "bwv66.6.mxl").text)
    phrase = [e for e in chorale.events if e.voice == 0 and 1 <= e.bar <= 3]  # soprano, bars 1-3
    as_piece = Piece([Bar(4, 4, 3)] * 3, [Event(0, e.bar - 1, e.position, e.pitch, e.duration) for e in phrase])
    fifth_up = Piece(
        [Bar(4, 4, 4)] * 3, [Event(0, e.bar, e.position, e.pitch + 7, e.duration) for e in as_piece.events]
    )
    original = interval_text(as_piece).text
    assert interval_text(fifth_up).text == original
    assert interval_text(decode(encode(fifth_up))).text == original

    # Quoted a fifth higher in the second voice of another piece, from bar 2 (measure 3) on beat 2.
    filler = [Event(0, b, 0, 60 + b, 48) for b in range(6)] + [Event(1, 0, 0, 50, 12), Event(1, 1, 0, 52, 36)]
    quote = [Event(1, e.bar + 2, e.position + 12, e.pitch, e.duration) for e in fifth_up.events]
    quote = [e if e.position < 48 else Event(1, e.bar + 1, e.position - 48, e.pitch, e.duration) for e in quote]
    host = interval_text(decode(encode(Piece([Bar(4, 4, 1)] * 6, filler + quote))))
    needle = original.split(" ", 1)[1]  # the first interval depends on what comes before the quote
    found = host.text.find(needle)
    assert found >= 0
    assert host.locate(found) == Location(voice=1, bar=2, measure=3)
    assert host.locate(found + len(needle) - 1) == Location(voice=1, bar=5, measure=6)
    assert host.locate(0) == Location(voice=0, bar=0, measure=1)


def test_interval_text_of_a_pickup_piece_numbers_measures_from_zero():
    piece = decode("B4/4 K0 L12 V0 P36 n67 d12\nB4/4 K0 V0 P0 n72 d48")
    located = interval_text(piece)
    assert located.text == "i0:d12 i+5:d48"
    assert [located.locate(o) for o in (0, 7)] == [Location(0, 0, 0), Location(0, 1, 1)]


# --- Generated text: never a crash ----------------------------------------------------------------------------------


def test_malformed_generated_text_decodes_and_renders():
    rng = random.Random(7)
    chorale_text = reader_for(".mxl")(_chorale_bytes(), "bwv66.6.mxl").text
    vocabulary = chorale_text.split() + [
        "B7/0",
        "B3/5",
        "K9",
        "L0",
        "V99",
        "P-3",
        "n128",
        "d0",
        "d",
        "n",
        "xx",
        "Ω",
        "B4/4",
    ]
    babble = "\n".join(" ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 30))) for _ in range(12))
    truncated = chorale_text[: rng.randrange(len(chorale_text))] + "n6"
    for text in (babble, truncated, "", "\n\n", "d12 d12 P0", "B4/4 K0 V0 P0 n60"):
        piece = decode(text)
        midi_file = midi.MidiFile()
        midi_file.readstr(to_midi(piece))
        note_ons = sum(e.type == midi.ChannelVoiceMessages.NOTE_ON for t in midi_file.tracks for e in t.events)
        assert note_ons == len(piece.events)
        assert to_musicxml(piece).startswith(b"<?xml")
        assert to_wav(piece)[:4] == b"RIFF"
    assert decode(babble).skipped > 0 and decode(babble).events
    assert decode(truncated).skipped >= 1
    assert [
        (len(p.events), p.skipped)
        for p in map(decode, ["B4/4 K0 V0 P0 n60 d12 n6", "B4/4 K0 V0 P48 n60 d12 P0 n62 d6"])
    ] == [(1, 1), (1, 3)]


# --- Sound ----------------------------------------------------------------------------------------------------------


def test_wav_lasts_as_long_as_the_piece_and_sounds_only_where_notes_are():
    data = to_wav("B4/4 K0 V0 P0 n69 d24\nB4/4 K0 V0 P24 n64 d24", qpm=120)  # 2 bars at 120: 4 s; rest 1 s - 3 s
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22_050)
        assert w.getnframes() == 4 * 22_050
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float) / 32767
    rms = lambda a, b: float(np.sqrt(np.mean(samples[int(a * 22_050) : int(b * 22_050)] ** 2)))
    assert rms(0.1, 0.9) > 0.1 and rms(3.1, 3.9) > 0.1
    assert rms(1.0, 3.0) == 0.0
    assert 0.7 < np.abs(samples).max() <= 0.81


# --- Errors ---------------------------------------------------------------------------------------------------------


def test_corrupt_midi_fails_with_its_reason():
    good = to_midi("B4/4 K0 V0 P0 n60 d48\nB4/4 K0 V0 P0 n62 d48")
    with pytest.raises(
        IngestError, match=r"^corrupt MIDI file: truncated \(track 2 declares \d+ bytes, \d+ are left\)$"
    ):
        reader_for(".mid")(good[:-12], "cut.mid")
    with pytest.raises(IngestError, match=r"^not a MIDI file: it does not start with the MIDI header \(MThd\)$"):
        reader_for(".midi")(b"RIFF....WAVEfmt ", "sound.midi")
    with pytest.raises(IngestError, match=r"^corrupt MIDI file: "):
        reader_for(".mid")(good[:14] + b"MTrk\x00\x00\x00\x04\xff\xff\xff\xff", "garbled.mid")


def test_type_0_midi_gives_one_voice_per_channel_drums_left_out_and_its_title():
    track = midi.MidiTrack(0)
    timeline = [(0, "name", 0, 0), (0, "on", 1, 72), (0, "on", 2, 48), (0, "on", 10, 36), (480, "off", 10, 36),
                (960, "off", 2, 48), (960, "off", 1, 72), (960, "on", 1, 74), (1440, "off", 1, 74)]  # fmt: skip
    events, now = [], 0
    for at, kind, channel, pitch in timeline:
        if kind == "name":
            event = midi.MidiEvent(track, type=midi.MetaEvents.SEQUENCE_TRACK_NAME, channel=None)
            event.data = b"Ma chanson"
        else:
            message = midi.ChannelVoiceMessages.NOTE_ON if kind == "on" else midi.ChannelVoiceMessages.NOTE_OFF
            event = midi.MidiEvent(track, type=message, channel=channel)
            event.pitch, event.velocity = pitch, 90 if kind == "on" else 0
        events += [midi.DeltaTime(track, time=at - now), event]
        now = at
    end = midi.MidiEvent(track, type=midi.MetaEvents.END_OF_TRACK, channel=None)
    end.data = b""
    track.events = [*events, midi.DeltaTime(track, time=0), end]
    single = midi.MidiFile()
    single.format, single.ticksPerQuarterNote, single.tracks = 0, 480, [track]
    work = reader_for(".mid")(single.writestr(), "chanson.mid")
    assert (work.title, work.text) == ("Ma chanson", "B4/4 K0 V0 P0 n72 d24 P24 n74 d12 V1 P0 n48 d24")
    assert work.notes == ["1 unpitched (percussion) note left out"]


def test_garbage_or_foreign_musicxml_fails_with_its_reason():
    with pytest.raises(IngestError, match=r"^malformed XML in the MusicXML file: "):
        reader_for(".musicxml")(b"\x89PNG\r\n\x1a\n not a score", "image.musicxml")
    with pytest.raises(IngestError, match=r"^not a MusicXML score \(root element is <html>, not <score-partwise>\)$"):
        reader_for(".musicxml")(b"<html><body>partition</body></html>", "page.musicxml")
    with pytest.raises(IngestError, match=r"^no notes found in the score$"):
        reader_for(".musicxml")(b"<score-partwise><part-list/></score-partwise>", "empty.musicxml")
    with pytest.raises(IngestError, match=r"^corrupt MXL: not a valid zip archive"):
        reader_for(".mxl")(b"PK\x03\x04 broken", "broken.mxl")


# --- Formats: .xml sniffing, ABC, Humdrum, timewise ------------------------------------------------------------------


def test_xml_suffix_reads_musicxml_by_its_root_and_tei_otherwise():
    xml = GeneralObjectExporter(_fixture_score()).parse()
    assert reader_for(".xml")(xml, "duo.xml").form == "score"
    tei = b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>Prose.</p></body></text></TEI>'
    assert reader_for(".xml")(tei, "essai.xml").form == "prose"
    assert {".mid", ".midi", ".musicxml", ".mxl", ".krn", ".abc"} == MUSIC_SUFFIXES


ABC = """%abc-2.1
C:Trad.

X:1
T:La Première
M:6/8
L:1/8
K:D
dfa afd|e3 e3|]

X:2
T:La Seconde
M:2/4
L:1/8
K:Bb
B,DFB|(3BcB A2|]

X:3
T:Vide
K:C

X:4
T:Accords
M:4/4
L:1/4
K:Am
[ACE]2 z [EGB]|]
"""


def test_abc_with_several_tunes_gives_one_work_per_tune():
    works = read_many(ABC.encode(), "recueil.abc")
    assert [(w.title, w.author, w.metadata["abc-tune"]) for w in works] == [
        ("La Première", "Trad.", "X:1"), ("La Seconde", "Trad.", "X:2"), ("Accords", "Trad.", "X:4"),
    ]  # fmt: skip
    assert works[0].notes == ["ABC tune X:3 skipped: no notes found in the score"]
    assert (
        works[1].text
        == "B2/4 K-2 V0 P0 n58 d6 P6 n62 d6 P12 n65 d6 P18 n70 d6\nB2/4 K-2 V0 P0 n70 d4 P4 n72 d4 P8 n70 d4 P12 n69 d12"
    )
    assert works[2].text == "B4/4 K0 V0 P0 n60 d24 n64 d24 n69 d24 P36 n64 d12 n67 d12 n71 d12"
    assert [w.title for w in many_reader_for(".abc")(ABC.encode(), "recueil.abc")] == [w.title for w in works]
    assert len(many_reader_for(".txt")(b"Un vers.", "vers.txt")) == 1 and many_reader_for(".doc") is None
    first = reader_for(".abc")(ABC.encode(), "recueil.abc")
    assert (
        first.title == "La Première" and "the file holds 3 tunes: only the first was read as this work" in first.notes
    )


def test_humdrum_kern_reads_title_composer_and_both_spines():
    kern = "!!!COM: Anonyme\n!!!OTL: Petit air\n**kern\t**kern\n*M3/4\t*M3/4\n*k[f#]\t*k[f#]\n=1\t=1\n" \
           "2.D\t4d\n.\t8e\n.\t8f#\n.\t4g\n=2\t=2\n2.A\t2.a\n*-\t*-\n"  # fmt: skip
    work = reader_for(".krn")(kern.encode(), "air.krn")
    assert (work.title, work.author) == ("Petit air", "Anonyme")
    # music21 puts the rightmost spine (the highest, by Humdrum's convention) first, as a score does.
    assert (
        work.text
        == "B3/4 K1 V0 P0 n62 d12 P12 n64 d6 P18 n66 d6 P24 n67 d12 V1 P0 n50 d36\nB3/4 K1 V0 P0 n69 d36 V1 P0 n57 d36"
    )
    with pytest.raises(IngestError, match=r"^not a Humdrum file"):
        reader_for(".krn")(b"just words", "words.krn")


def test_timewise_musicxml_is_read_like_partwise():
    timewise = b"""<?xml version="1.0"?><!DOCTYPE score-timewise PUBLIC "-//Recordare//DTD MusicXML 4.0 Timewise//EN" "x">
<score-timewise><part-list><score-part id="P1"><part-name>Voix</part-name></score-part></part-list>
<measure number="1"><part id="P1"><attributes><divisions>1</divisions><time><beats>2</beats><beat-type>4</beat-type></time></attributes>
<note><pitch><step>G</step><octave>4</octave></pitch><duration>2</duration><type>half</type></note></part></measure>
<measure number="2"><part id="P1"><note><pitch><step>C</step><octave>5</octave></pitch><duration>2</duration><type>half</type></note></part></measure>
</score-timewise>"""
    work = reader_for(".xml")(timewise, "voix.xml")
    assert (work.text, work.metadata["voices"]) == ("B2/4 K0 V0 P0 n67 d24\nB2/4 K0 V0 P0 n72 d24", "Voix")


# --- Features -------------------------------------------------------------------------------------------------------


def test_music_features_see_a_flattened_set_as_less_diverse():
    chorale = reader_for(".mxl")(_chorale_bytes(), "bwv66.6.mxl").text
    drone = "\n".join(["B4/4 K0 V0 P0 n60 d12 P12 n60 d12 P24 n60 d12 P36 n60 d12"] * 10)
    rich, flat = music_profile([chorale]), music_profile([drone])
    assert set(rich) == set(MEASURES)
    assert all(rich[name] > flat[name] for name in MEASURES), (rich, flat)
    assert flat["pitch_class_entropy"] == 0.0 and flat["distinct_durations"] == 1.0
    assert rich["pitch_class_entropy"] <= np.log2(12)
    assert TICKS_PER_QUARTER == 12  # the grammar's stated quantization


def test_a_held_note_beside_a_new_note_of_equal_length_renders():
    """A model may hold a note over the bar line while starting another of the same length in that voice."""
    text = "B4/4 K0 V0 P36 n60 d24\nB4/4 K0 V0 P0 n64 d12"
    xml = to_musicxml(text)
    assert b"score-partwise" in xml
    again = reader_for(".musicxml")(xml, "again.musicxml")
    assert sorted(decode(again.text).notes()) == sorted(decode(text).notes())


@pytest.mark.parametrize("seed", range(2))
def test_any_stream_a_model_may_write_renders_to_every_format(seed):
    """Generated text is words of the grammar in any order: every renderer must take it."""
    rng = random.Random(seed)
    words = ["B4/4 K0", "B3/4 K-2", "B6/8 K3 L18", "V0", "V1", "V2", "P0", "P6", "P12", "P30", "n60", "n67", "n72",
             "n48", "d3", "d6", "d12", "d24", "d48", "n200", "d0", "P999", "Vx", "\n"]  # fmt: skip
    for _ in range(20):
        text = "B4/4 K0 " + " ".join(rng.choice(words) for _ in range(rng.randrange(1, 80)))
        piece = decode(text)
        assert to_midi(piece)[:4] == b"MThd"
        assert b"score-partwise" in to_musicxml(piece)
        assert to_wav(piece)[:4] == b"RIFF"


# --- What the format cannot mean: refused and counted ------------------------------------------------------------


def test_signatures_and_voices_the_format_or_the_corpus_cannot_mean_are_skipped_and_counted():
    """A 4/0 bar, and notes of a voice the corpus never had, are invalid words: no part, no sound, counted."""
    assert decode("B4/0 K0 V0 P0 n60 d12").skipped == 1 and decode("B4/0 K0 V0 P0 n60 d12").bars[0].denominator == 4
    text = "B4/4 K0 V0 P0 n60 d12 V44 P0 n62 d12 P12 n64 d12 V1 P0 n48 d24"
    piece = decode(text, max_voices=4)
    assert [(e.voice, e.pitch) for e in piece.events] == [(0, 60), (1, 48)]  # nothing of V44 lands in another voice
    assert piece.skipped == 7  # V44 and each word of its two notes
    assert {e.voice for e in decode(text).events} == {0, 1, 44}  # the format alone allows it
    assert decode("B4/4 K0 V64 P0 n60 d12").events == []  # over the format's own limit
    midi_file = midi.MidiFile()
    midi_file.readstr(to_midi(piece))
    assert len(midi_file.tracks) == 1 + 2  # conductor, V0, V1: no 45 tracks for one stray word


def test_many_voices_render_to_musicxml_without_music21_printing(capfd):
    """music21 prints 'out of midi channels' once per part past the 16th: the renderer keeps it quiet."""
    text = "B4/4 K0 " + " ".join(f"V{v} P0 n{40 + v} d48" for v in range(24))
    xml = to_musicxml(text)
    assert xml.count(b"<score-part ") == 24
    assert "midi channels" not in capfd.readouterr().err


def test_a_wav_never_runs_past_its_limit_whatever_the_signatures():
    """WAV is written for every sample: a model's 64/1 bars held for 16 bars must not make an hour of sound."""
    from ouvroir.media.music.synth import MAX_SECONDS

    text = "\n".join(["B64/1 K0 V0 P0 n60 d12"] + ["B64/1 K0"] * 20 + ["B64/1 K0 V0 P0 n60 d49152"])
    with wave.open(io.BytesIO(to_wav(text))) as w:
        assert w.getnframes() == MAX_SECONDS * w.getframerate()
