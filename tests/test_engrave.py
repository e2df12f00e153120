"""Scores engraved as SVG with verovio: a chorale's staves and notes, a long score cut to its first pages,
bad MusicXML refused in one line, nothing in the SVG that a page would load or run, and the times that
let a page follow the playing bar."""

from __future__ import annotations

import copy
import re

import pytest
from lxml import etree
from music21 import corpus, stream
from music21.musicxml.m21ToXml import GeneralObjectExporter

from ouvroir.media.music.engrave import EngraveError, engrave, read_engraving
from ouvroir.media.music.excerpt import passage
from ouvroir.media.music.render import to_musicxml

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def chorale() -> bytes:
    return GeneralObjectExporter(corpus.parse("bach/bwv66.6")).parse()


def test_a_chorale_becomes_staves_and_notes_that_load_nothing(chorale):
    engraving = engrave(chorale, "bwv66.6")
    assert engraving.total_pages == 1 and not engraving.cut
    root = etree.fromstring(engraving.svg().encode())
    classes = [(g.get("class") or "").split() for g in root.iter(f"{SVG}g")]
    assert sum("staff" in c for c in classes) >= 4 * 9  # four voices, every bar
    notes = sum("note" in c for c in classes)
    assert notes > 100  # the chorale's notes, each its own element
    text = engraving.svg()
    assert "<style" not in text and "style=" not in text  # the page's CSP allows no inline style
    assert not re.search(r"(?:href|src)=\"(?!#)", text) and "http://" not in text.replace(
        "http://www.w3.org/2000/svg", "").replace("http://www.w3.org/1999/xlink", "")  # nothing outside itself
    assert "<script" not in text and " on" not in re.sub(r"\s+", " ", text).replace(" one", "")


def test_notes_and_bars_carry_the_times_they_sound(chorale):
    root = etree.fromstring(engrave(chorale).svg().encode())
    bars = [int(g.get("data-on")) for g in root.iter(f"{SVG}g") if "measure" in (g.get("class") or "").split()]
    assert bars[0] == 0 and bars == sorted(bars) and len(set(bars)) == len(bars)
    notes = [(int(g.get("data-on")), int(g.get("data-off"))) for g in root.iter(f"{SVG}g")
             if g.get("class") == "note" and g.get("data-on") is not None]  # fmt: skip
    assert len(notes) > 100 and all(off > on for on, off in notes)


def test_a_sample_follows_the_tempo_its_sound_is_played_at():
    """Our MusicXML says 100 quarter notes a minute, as the WAV is played: a bar of 4/4 lasts 2.4 s. The tempo's
    note is a character of the page's fonts: verovio's music font would need an inline @font-face (a box showed)."""
    engraving = engrave(to_musicxml("B4/4 K0 V0 P0 n60 d48\nB4/4 K0 V0 P0 n62 d48\nB4/4 K0 V0 P0 n64 d48\n"))
    root = etree.fromstring(engraving.svg().encode())
    bars = [int(g.get("data-on")) for g in root.iter(f"{SVG}g") if g.get("class") == "measure"]
    assert bars == [0, 2400, 4800]
    tempo = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "tempo")
    assert "".join(tempo.itertext()).split() == ["\u2669", "=", "100"]
    assert "Leipzig" not in engraving.svg() and not re.search("[\ue000-\uf8ff]", engraving.svg())


def test_a_long_score_is_cut_to_its_first_pages(chorale):
    score = corpus.parse("bach/bwv66.6")
    long = stream.Score()
    for part in score.parts:
        copy_of = stream.Part()
        measures = list(part.getElementsByClass("Measure"))
        for _ in range(12):
            for measure in measures:
                copy_of.append(copy.deepcopy(measure))
        long.insert(0, copy_of)
    engraving = engrave(GeneralObjectExporter(long).parse(), max_pages=2)
    assert engraving.total_pages > 2 and len(engraving.pages) == 2 and engraving.cut
    root = etree.fromstring(engraving.svg().encode())
    assert root.get("data-pages") == "2" and int(root.get("data-pages-total")) == engraving.total_pages
    assert len(root.findall(f"{SVG}svg")) == 2  # the pages, one below the other


@pytest.mark.parametrize("data, reason", [
    (b"MThd\x00\x00\x00\x06", "not a MusicXML score"),
    (b"<TEI xmlns='http://www.tei-c.org/ns/1.0'/>", "not a MusicXML score"),
    (b"<?xml version='1.0'?><score-partwise><part-list>", "malformed XML"),
    (b"<?xml version='1.0'?><!DOCTYPE score-partwise [<!ENTITY a 'x'>]><score-partwise>&a;</score-partwise>",
     "entities"),
])  # fmt: skip
def test_bad_musicxml_is_refused_in_one_line_naming_it(data, reason):
    with pytest.raises(EngraveError) as caught:
        engrave(data, "g0123456789.musicxml")
    message = str(caught.value)
    assert "g0123456789.musicxml" in message and reason in message and "\n" not in message


def test_a_score_too_long_to_lay_out_is_refused_before_verovio_reads_it():
    measures = "".join(f'<measure number="{n}"><attributes><divisions>1</divisions></attributes>'
                       f'<note><rest/><duration>4</duration></note></measure>' for n in range(1, 10_002))  # fmt: skip
    data = (f'<?xml version="1.0"?><score-partwise><part-list><score-part id="P1"><part-name>x</part-name>'
            f'</score-part></part-list><part id="P1">{measures}</part></score-partwise>').encode()
    with pytest.raises(EngraveError, match="over the limit of 10,000"):
        engrave(data, "long.musicxml")


@pytest.mark.parametrize("planted", ['<script>alert(1)</script>', '<g onclick="alert(1)"/>',
                                     '<use href="https://example.org/x.svg#a"/>', '<foreignObject/>'])  # fmt: skip
def test_an_engraving_changed_on_disk_into_something_else_is_refused(chorale, planted):
    svg = engrave(to_musicxml("B4/4 K0 V0 P0 n60 d48")).svg()
    assert read_engraving(svg.encode(), "g.svg") == svg
    changed = svg.replace("</svg>", planted + "</svg>", 1)
    with pytest.raises(EngraveError, match="refused the engraving of g.svg"):
        read_engraving(changed.encode(), "g.svg")


def test_a_passage_is_engraved_as_its_own_bars():
    events = "".join(f"B3/4 K1 V0 P0 n{60 + b} d12 P12 n{62 + b} d24 V1 P0 n48 d36\n" for b in range(10))
    from ouvroir.media.music.encoding import decode, interval_text

    text = interval_text(decode(events)).text
    start = len(" ".join(text.split("\n")[0].split(" ")[:4])) + 1  # voice 1's fifth note: bar 3's first
    cut = passage(events, start, start + 30)
    assert cut.voice == 0 and cut.first_measure == 3 and cut.last_measure >= cut.first_measure
    engraving = engrave(to_musicxml(cut.events))
    root = etree.fromstring(engraving.svg().encode())
    measures = [g for g in root.iter(f"{SVG}g") if g.get("class") == "measure"]
    assert len(measures) == cut.last_measure - cut.first_measure + 1


def test_a_score_is_engraved_in_any_thread(chorale):
    """verovio finds its music font from the thread that imported it only, unless told: the web studio
    engraves in worker threads (a second sample page read "verovio could not read it as MusicXML")."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        pages = list(pool.map(lambda _: engrave(chorale).pages[0], range(2)))
    assert pages[0] == pages[1] and 'class="note"' in pages[0]


@pytest.mark.parametrize("sharps, names", [
    (0, ["C4", "D4", "E4", "F4", "G4", "A4", "B4", "C#4", "A#4"]),  # sharps unless the key has flats
    (3, ["C4", "D4", "E4", "F4", "G4", "A4", "B4", "C#4", "A#4"]),
    (-2, ["C4", "D4", "E4", "F4", "G4", "A4", "B4", "D-4", "B-4"]),
])  # fmt: skip
def test_a_score_spells_white_keys_as_naturals_and_black_keys_by_its_key(sharps, names):
    """music21 10 gives MIDI 60 a natural sign, which the spelling took for a sharp: C major showed B#3, D as C##."""
    from music21 import converter

    pitches = [60, 62, 64, 65, 67, 69, 71, 61, 70]
    events = f"B4/4 K{sharps} V0 " + " ".join(f"P{12 * (i % 4)} n{p} d12" + ("\nB4/4 K%d V0" % sharps if i % 4 == 3 else "")
                                             for i, p in enumerate(pitches)) + "\n"
    score = converter.parseData(to_musicxml(events), format="musicxml")
    assert [n.nameWithOctave for n in score.recurse().notes] == names
