"""Scores engraved as SVG with verovio, on this machine: a MusicXML file becomes pages a browser shows.

verovio lays out the notation (staves, clefs, beams, ties) and draws its music
font as SVG paths, so the pages it writes load nothing: no font, no script, no
address outside themselves. Two things are changed in what it writes:

* its ``<style>`` element goes (the web studio's Content-Security-Policy allows
  only the studio's own style sheet, which holds the same rules: ``.score`` in
  ``static/style.css``; the audit report's ``<style>`` has them too);
* each note and each bar gets the times it sounds, from verovio's timemap
  (``data-on`` and ``data-off``, milliseconds from the start at the score's
  tempo), so a page can follow the playing bar with a few lines of script.

A score is bounded twice: :func:`~.bounds.check` refuses one too long to lay out
before verovio reads it, and only the first ``max_pages`` pages are drawn (the
:class:`Engraving` says how many there were).

>>> from .render import to_musicxml
>>> pages = engrave(to_musicxml("B4/4 K0 V0 P0 n60 d12 n64 d12 P12 n67 d36")).pages
>>> len(pages), pages[0].count('class="note"'), "<style" in pages[0]
(1, 3, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources import files

from lxml import etree

from ...errors import OuvroirError
from ..safexml import is_musicxml, local_name, parse_xml
from .bounds import check, musicxml_size

MAX_PAGES = 4  # a sample of 2,000 events fills one or two; what lies beyond is said, not drawn
PAGE_WIDTH = 2100  # verovio's units (tenths of a millimetre): an A4 page
PAGE_HEIGHT = 2970
SCALE = 40  # percent: four staves of a chorale fit a laptop screen's width
SVG = "http://www.w3.org/2000/svg"

# What verovio's SVG holds: anything else (a script, a foreign object, an event handler, an address
# outside the document) means the file is not one it wrote, and it is engraved again or refused.
_ELEMENTS = frozenset({"svg", "g", "path", "use", "rect", "ellipse", "polygon", "polyline", "line", "circle", "text",
                       "tspan", "desc", "defs", "symbol", "title", "clipPath"})  # fmt: skip
_LINK = re.compile(r"#[\w.:-]+")
# verovio writes the note of a tempo (♩ = 100) as a SMuFL glyph in its music font, which it would load from an
# inline @font-face the page's CSP refuses (a box would show): the same note from Unicode, in the page's own fonts.
_MUSIC_FONTS = frozenset({"Leipzig", "Bravura", "Petaluma", "Leland", "Gootville"})
_TEXT_GLYPHS = {"\ueca2": "\U0001d15d", "\ueca3": "\U0001d15e", "\ueca4": "\U0001d15e", "\ueca5": "\u2669",
                "\ueca6": "\u2669", "\ueca7": "\u266a", "\ueca8": "\u266a", "\ueca9": "\U0001d161",
                "\uecaa": "\U0001d161", "\uecb7": "."}  # fmt: skip


class EngraveError(OuvroirError):
    """A score verovio cannot read or that is too large to lay out; the message names it."""


@dataclass(frozen=True)
class Engraving:
    pages: list[str]  # SVG documents, one a page, the first ``len(pages)`` of ``total_pages``
    total_pages: int
    timemap: list[dict] = field(default_factory=list)  # verovio's: {"tstamp": ms, "on": [ids], "off": [ids], ...}

    @property
    def cut(self) -> bool:
        """Whether pages were left out (the page should say so)."""
        return self.total_pages > len(self.pages)

    def svg(self) -> str:
        """The pages as one SVG document, stacked top to bottom: one file to keep beside a sample."""
        return stack(self.pages, self.total_pages)


def engrave(musicxml: bytes, what: str = "score", max_pages: int = MAX_PAGES, id_seed: int = 1,
            width: int = PAGE_WIDTH, scale: int = SCALE) -> Engraving:  # fmt: skip
    """The first ``max_pages`` pages of a MusicXML score as SVG, with the times each note sounds.

    ``what`` names the score in an error. ``id_seed`` makes verovio's element ids the same from
    one run to the next; two scores shown on one page need two seeds (their ids would clash).
    """
    import verovio

    if not is_musicxml(musicxml):
        raise EngraveError(f"cannot engrave {what}: not a MusicXML score "
                           "(its root is not score-partwise or score-timewise)")
    try:
        check(*musicxml_size(parse_xml(musicxml, what)))
    except OuvroirError as exc:
        raise EngraveError(f"cannot engrave {what}: {exc}") from None
    verovio.enableLog(verovio.LOG_OFF)  # it prints to stderr; a failure is said here, in one line
    toolkit = verovio.toolkit()
    # verovio keeps its default resource path per thread, set in the thread that imported it: in any other
    # (the web studio's worker threads) it finds no music font and reads nothing, unless told where they are.
    toolkit.setResourcePath(str(files("verovio") / "data"))
    toolkit.setOptions({"pageWidth": width, "pageHeight": PAGE_HEIGHT, "scale": scale, "adjustPageHeight": True,
                        "breaks": "auto", "header": "none", "footer": "none", "svgViewBox": True,
                        "svgRemoveXlink": True, "xmlIdSeed": id_seed, "inputFrom": "musicxml"})  # fmt: skip
    if not toolkit.loadData(musicxml.decode("utf-8", "replace")) or toolkit.getPageCount() < 1:
        raise EngraveError(f"cannot engrave {what}: verovio could not read it as MusicXML")
    total = toolkit.getPageCount()
    timemap = toolkit.renderToTimemap({"includeMeasures": True})
    times = _sounding_times(timemap)
    pages = [_clean(toolkit.renderToSVG(page), times, what) for page in range(1, min(total, max(1, max_pages)) + 1)]
    return Engraving(pages, total, timemap)


def _sounding_times(timemap: list[dict]) -> dict[str, list[int]]:
    """{element id: [on ms, off ms]} for notes, {measure id: [start ms]} for bars."""
    times: dict[str, list[int]] = {}
    for entry in timemap:
        ms = round(float(entry.get("tstamp") or 0))
        for element in entry.get("on") or []:
            times.setdefault(element, [ms, ms])
        for element in entry.get("off") or []:
            if element in times:
                times[element][1] = ms
        if entry.get("measureOn"):
            times.setdefault(entry["measureOn"], [ms])
    return times


def _clean(page: str, times: dict[str, list[int]], what: str) -> str:
    """verovio's page without its ``<style>``, its notes and bars marked with their times, checked."""
    root = etree.fromstring(page.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    for style in root.findall(f"{{{SVG}}}style"):
        root.remove(style)
    for span in root.iter(f"{{{SVG}}}tspan"):
        if span.get("font-family") in _MUSIC_FONTS:  # a tempo's note: a glyph of a font the page cannot load
            span.attrib.pop("font-family")
            span.text = "".join(_TEXT_GLYPHS.get(c, "") if "\ue000" <= c <= "\uf8ff" else c for c in span.text or "")
    for element in root.iter(f"{{{SVG}}}g"):
        when = times.get(element.get("id", ""))
        if when:
            element.set("data-on", str(when[0]))
            if len(when) > 1:
                element.set("data-off", str(when[1]))
    refuse_foreign(root, what)
    return etree.tostring(root, encoding="unicode")


def refuse_foreign(root: etree._Element, what: str) -> None:
    """Raise EngraveError if the SVG holds anything verovio does not write: it could run or fetch in a page."""
    for element in root.iter():
        name = local_name(element)
        if not isinstance(element.tag, str):
            if isinstance(element, etree._Comment):
                continue
            raise EngraveError(f"refused the engraving of {what}: it holds {element!r}")
        if element.tag.startswith("{") and not element.tag.startswith(f"{{{SVG}}}") or name not in _ELEMENTS:
            raise EngraveError(f"refused the engraving of {what}: it holds a <{name}> element")
        for attribute, value in element.attrib.items():
            key = attribute.rsplit("}", 1)[-1].lower()
            if key.startswith("on") or key == "style":
                raise EngraveError(f"refused the engraving of {what}: it holds a {key} attribute")
            if key == "href" and not _LINK.fullmatch(value):
                raise EngraveError(f"refused the engraving of {what}: it links outside itself ({value[:60]!r})")


def stack(pages: list[str], total_pages: int | None = None) -> str:
    """Pages of SVG as one SVG, each below the one before, its width that of the widest."""
    roots = [etree.fromstring(p.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
             for p in pages]  # fmt: skip
    sizes = [_size(r) for r in roots]
    width = max((w for w, _ in sizes), default=0)
    outer = etree.Element(f"{{{SVG}}}svg", nsmap={None: SVG}, attrib={"class": "engraving", "version": "1.1"})
    outer.set("viewBox", f"0 0 {width} {sum(h for _, h in sizes)}")
    outer.set("data-pages", str(len(pages)))
    outer.set("data-pages-total", str(total_pages if total_pages is not None else len(pages)))
    y = 0
    for root, (w, h) in zip(roots, sizes):
        root.attrib.update({"x": "0", "y": str(y), "width": str(w), "height": str(h)})
        outer.append(root)
        y += h
    return etree.tostring(outer, encoding="unicode")


def _size(root: etree._Element) -> tuple[int, int]:
    """A page's width and height in CSS pixels, from its viewBox (verovio writes one with svgViewBox)."""
    box = [float(v) for v in (root.get("viewBox") or "0 0 0 0").split()]
    return round(box[2]), round(box[3])


def read_engraving(svg: bytes, what: str) -> str:
    """An engraving kept on disk, checked as :func:`engrave` checks its own output; EngraveError if it is not one."""
    try:
        root = parse_xml(svg, what)
    except OuvroirError as exc:
        raise EngraveError(f"refused the engraving of {what}: {exc}") from None
    refuse_foreign(root, what)
    return etree.tostring(root, encoding="unicode")
