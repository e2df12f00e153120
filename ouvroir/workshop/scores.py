"""A music sample's score, engraved once and kept beside it: ``samples/<id>.svg`` next to its MIDI, MusicXML and WAV.

The SVG is made from the sample's MusicXML the first time it is asked for (a
sample generated before scores were engraved gets one then), written whole or
not at all, and read back afterwards, checked to be what :mod:`~ouvroir.media.music.engrave`
writes: a file changed on disk into something else is engraved again, never shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ModelNotFound, OuvroirError
from ..fileio import atomic_write
from ..store import models as model_store


@dataclass(frozen=True)
class SampleScore:
    sample_id: str
    svg: str  # the engraved pages as one SVG element, safe to put inside a page
    pages: int  # drawn
    total_pages: int  # in the whole score: more than ``pages`` when a long score was cut
    audio: str | None  # the WAV's file name, when the sample has one

    @property
    def cut(self) -> bool:
        return self.total_pages > self.pages


def sample_score(studio, sample_id: str) -> SampleScore:
    """The engraved score of a music sample (engraved now if it has none yet); ModelNotFound if there is none."""
    from ..media.music.engrave import EngraveError, engrave, read_engraving

    row = model_store.sample_row(studio.conn, sample_id)
    if row is None:
        raise ModelNotFound(f"no sample {sample_id!r} in this studio")
    path = studio.root / row["path"]
    svg_path, xml_path, wav_path = (path.with_suffix(s) for s in (".svg", ".musicxml", ".wav"))
    svg = None
    if svg_path.is_file():
        try:
            svg = read_engraving(svg_path.read_bytes(), svg_path.name)
        except EngraveError:
            svg = None  # not what engrave writes: made again below
    if svg is None:
        svg = engrave(_musicxml(path, xml_path, row["model_id"]), xml_path.name).svg()
        atomic_write(svg_path, svg.encode("utf-8"))
    pages, total = _page_counts(svg)
    return SampleScore(sample_id, svg, pages, total, wav_path.name if wav_path.is_file() else None)


def _musicxml(path, xml_path, model_id: str) -> bytes:
    """The sample's MusicXML; rendered again from its event text when the file is gone."""
    if xml_path.is_file():
        return xml_path.read_bytes()
    if not path.is_file():
        raise OuvroirError(f"sample {path.stem} has neither its MusicXML nor its event text ({path.name}) on disk")
    from ..media.music.render import to_musicxml

    return to_musicxml(path.read_text("utf-8", errors="replace"), title=f"{path.stem} (ouvroir {model_id})")


def _page_counts(svg: str) -> tuple[int, int]:
    import re

    drawn = re.search(r'data-pages="(\d+)"', svg)
    total = re.search(r'data-pages-total="(\d+)"', svg)
    pages = int(drawn[1]) if drawn else 1
    return pages, int(total[1]) if total else pages
