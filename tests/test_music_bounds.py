"""Scores of crafted, astronomical durations are refused from their raw bytes, before music21 lays out their bars.

A 45-byte MIDI holding one note for 2^28 ticks, or the ABC ``c99999999``, once
took minutes and gigabytes; real scores (music21's Bach chorales and Essen folk
songs) stay far under the limits.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from music21 import corpus

from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import IngestError
from ouvroir.media.encoding import decode_text
from ouvroir.media.formats import reader_for
from ouvroir.media.formats.music import read_many
from ouvroir.media.music import bounds
from ouvroir.workshop.studio import Studio


def _vlq(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def held_note_midi(ticks: int, division: int = 480) -> bytes:
    """One middle C held for ``ticks``, and a tempo: the crafted file is 45 bytes for 2^28 ticks."""
    track = (b"\x00\xff\x51\x03\x07\xa1\x20" + b"\x00\x90\x3c\x40" + _vlq(ticks) + b"\x80\x3c\x00"
             + b"\x00\xff\x2f\x00")  # fmt: skip
    header = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01" + division.to_bytes(2, "big")
    return header + b"MTrk" + len(track).to_bytes(4, "big") + track


CRAFTED_ABC = b"X:1\nM:4/4\nL:1/8\nK:C\nc99999999|]\n"


@pytest.mark.parametrize(
    ("data", "name", "bars"),
    [(held_note_midi(2**28 - 1), "long.mid", "139,811 bars: over the limit of 3,000"),
     (held_note_midi(2**28 - 1, division=24), "long.mid", "2.8 million bars: over the limit of 3,000"),
     (held_note_midi(3_001 * 4 * 480), "long.mid", "3,001 bars: over the limit of 3,000"),
     (CRAFTED_ABC, "long.abc", "12.5 million bars: over the limit of 10,000")],
)  # fmt: skip
def test_crafted_huge_durations_are_refused_in_milliseconds_with_the_figure(data: bytes, name: str, bars: str):
    start = time.perf_counter()
    with pytest.raises(IngestError) as refused:
        read_many(data, name)
    assert time.perf_counter() - start < 0.5
    assert str(refused.value) == f"score lasts {bars}"
    assert len(data) < 50


def test_a_held_note_leaves_no_empty_bars_after_its_cut():
    work = reader_for(".mid")(held_note_midi(100 * 4 * 480), "held.mid")  # one note, 100 bars of 4/4
    assert work.text.splitlines() == ["B4/4 K0 V0 P0 n60 d768"] + ["B4/4 K0"] * 15  # 16 bars: the cut
    assert "1 note held over 16 bars cut there" in work.notes
    assert "84 empty bars after a held note's cut left out" in work.notes


def test_an_abc_tune_too_long_costs_only_itself():
    data = b"X:1\nT:Trop long\nM:4/4\nL:1/8\nK:C\nc99999999|]\nX:2\nT:Court\nM:2/4\nL:1/8\nK:G\ngfed|c4|]\n"
    works = read_many(data, "recueil.abc")
    assert [w.title for w in works] == ["Court"]
    assert "ABC tune X:1 skipped: score lasts 12.5 million bars: over the limit of 10,000" in works[0].notes


def test_musicxml_and_humdrum_durations_are_bounded_too():
    xml = (b'<score-partwise><part-list><score-part id="P1"/></part-list><part id="P1"><measure number="1">'
           b"<attributes><divisions>1</divisions></attributes><note><pitch><step>C</step><octave>4</octave></pitch>"
           b"<duration>99999999</duration></note></measure></part></score-partwise>")  # fmt: skip
    with pytest.raises(IngestError, match=r"^score lasts 25\.0 million bars: over the limit of 10,000$"):
        reader_for(".musicxml")(xml, "long.musicxml")
    kern = b"**kern\n*M4/4\n1%99999999c\n*-\n"
    with pytest.raises(IngestError, match=r"^score lasts 100\.0 million bars: over the limit of 10,000$"):
        reader_for(".krn")(kern, "long.krn")


def test_the_rest_of_an_add_batch_goes_on(studio: Studio, tmp_path: Path):
    folder = tmp_path / "scores"
    folder.mkdir()
    (folder / "a_long.mid").write_bytes(held_note_midi(2**28 - 1))
    (folder / "b_long.abc").write_bytes(CRAFTED_ABC)
    (folder / "c_air.abc").write_bytes(b"X:1\nT:Air\nM:3/4\nL:1/4\nK:F\nA B c|f3|]\n")
    start = time.perf_counter()
    report = studio.add([folder], AddOptions(consent="train"))
    assert time.perf_counter() - start < 5
    assert [(o.path.name, o.status) for o in report.outcomes] == [
        ("a_long.mid", "failed"), ("b_long.abc", "failed"), ("c_air.abc", "added")]  # fmt: skip
    assert report.outcomes[0].message.startswith("score lasts 139,811 bars: over the limit of 3,000")


def test_real_scores_stay_far_under_the_limits():
    """Every 8th Bach chorale of music21's corpus and every tune of five Essen collections: under a tenth of them."""
    chorales = [p for p in corpus.getComposer("bach") if str(p).endswith((".mxl", ".krn"))][::8]
    essen = [p for p in corpus.getComposer("essenFolksong") if str(p).endswith(".abc")][:5]
    assert len(chorales) > 40 and len(essen) == 5
    from ouvroir.media.safexml import local_name, parse_xml
    from ouvroir.media.music.read import _mxl_root, _partwise

    sizes = []
    for path in chorales:
        data = Path(path).read_bytes()
        if str(path).endswith(".krn"):
            sizes.append(bounds.humdrum_size(decode_text(data)[0]))
            continue
        root = parse_xml(_mxl_root(data), str(path))
        sizes.append(bounds.musicxml_size(_partwise(root) if local_name(root) == "score-timewise" else root))
    for path in essen:
        text, _ = decode_text(Path(path).read_bytes())
        sizes.extend(bounds.abc_size(tune) for tune in bounds.abc_tunes(text).values())
    assert len(sizes) > 500
    assert max(b for b, _ in sizes) < bounds.MAX_BARS / 10 and max(n for _, n in sizes) < bounds.MAX_NOTES / 10
    first_tunes = "".join(list(bounds.abc_tunes(text).values())[:3])
    assert len(read_many(first_tunes.encode(), "essen.abc")) == 3  # and still read through music21
    assert read_many(Path(chorales[0]).read_bytes(), Path(chorales[0]).name)[0].text
