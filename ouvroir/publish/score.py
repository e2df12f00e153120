"""A music sample's engraved score in the published formats: inline in the page, a file in the EPUB, vectors in the PDF.

The score is the studio's own SVG (``workshop.scores``: verovio's pages stacked in one ``<svg>``).
fpdf2 draws SVG paths, groups and ``<use>`` but not nested ``<svg>`` elements, which verovio
writes (a page inside the stack, a scaled drawing inside each page): each nested ``<svg>`` becomes
the ``<g>`` transform it stands for. verovio's ``<text>`` goes from the PDF's copy: its sizes are
set on inner ``<tspan>`` under a ``font-size="0px"`` that fpdf2 draws as dots (the voices' names
and the tempo, which the page and the EPUB still show).

>>> flat = pdf_pages('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 20"><svg viewBox="0 0 10 20" width="10" '
...     'height="20"><svg viewBox="0 0 100 200"><path d="M0 0h10"/><text>V</text></svg></svg></svg>')
>>> [(w, h, b"<svg" in page[4:], b"scale(0.1,0.1)" in page, b"<text" in page) for w, h, page in flat]
[(10.0, 20.0, False, True, False)]
"""

from __future__ import annotations

from lxml import etree

from ..errors import PublishError

SVG = "http://www.w3.org/2000/svg"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _box(element) -> list[float]:
    try:
        box = [float(x) for x in (element.get("viewBox") or "").replace(",", " ").split()]
    except ValueError:
        box = []
    return box if len(box) == 4 and box[2] > 0 and box[3] > 0 else []


def _flatten(page) -> None:
    """Every ``<svg>`` inside ``page`` replaced by a ``<g>`` with the same placement and scale."""
    for inner in list(page.iter(f"{{{SVG}}}svg"))[1:]:
        parent_box = _box(inner.getparent()) or [0, 0, 0, 0]
        box = _box(inner)
        width = float(inner.get("width") or parent_box[2] or (box[2] if box else 1))
        height = float(inner.get("height") or parent_box[3] or (box[3] if box else 1))
        x, y = float(inner.get("x") or 0), float(inner.get("y") or 0)
        group = etree.Element(f"{{{SVG}}}g")
        if box:
            sx, sy = width / box[2], height / box[3]
            group.set("transform", f"translate({x - box[0] * sx:g},{y - box[1] * sy:g}) scale({sx:g},{sy:g})")
        else:
            group.set("transform", f"translate({x:g},{y:g})")
        for name in ("color", "fill", "stroke"):
            if inner.get(name):
                group.set(name, inner.get(name))
        group.extend(list(inner))
        inner.getparent().replace(inner, group)


# The rules verovio's own <style> held (``engrave`` takes it out; the web studio's style sheet has them): lines
# drawn in the text's colour, the markers it leaves for empty sections hidden.
RULES = ("ellipse,path,polygon,polyline,rect{stroke:currentColor}g.placeholder{visibility:hidden}"
         "g.ending,g.fing,g.reh,g.tempo{font-weight:bold}g.dir,g.dynam,g.mNum{font-style:italic}")  # fmt: skip


def page_css(scope: str) -> str:
    """``RULES`` for a score inside the element ``scope`` of a page."""
    return "".join(f"{scope} {rule}}}" for rule in RULES.split("}") if rule).replace(",", f",{scope} ")


def standalone(score_svg: str) -> bytes:
    """The score as a file of its own (an EPUB's image): an XML declaration, its style inside."""
    head, sep, rest = score_svg.partition(">")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{head}{sep}<style>{RULES}</style>{rest}'.encode("utf-8")


def pdf_pages(score_svg: str) -> list[tuple[float, float, bytes]]:
    """(width, height, SVG bytes fpdf2 can draw) of each engraved page, top to bottom."""
    try:
        root = etree.fromstring(score_svg.encode("utf-8"), parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise PublishError(f"the engraved score cannot be read ({exc})") from exc
    pages = [child for child in root if isinstance(child.tag, str) and child.tag == f"{{{SVG}}}svg"]
    nested = bool(pages) and all(_box(page) for page in pages)
    out = []
    for page in pages if nested else [root]:
        box = _box(page)
        if not box:
            raise PublishError("the engraved score has no viewBox: engrave it again (open its page in the studio)")
        copy = etree.fromstring(etree.tostring(page), parser=_PARSER)
        _flatten(copy)
        hidden = [el for el in copy.iter(f"{{{SVG}}}g") if "placeholder" in (el.get("class") or "").split()]
        for element in [*copy.iter(f"{{{SVG}}}text", f"{{{SVG}}}desc"), *hidden]:
            if element.getparent() is not None:
                element.getparent().remove(element)
        copy.set("width", f"{box[2]:g}")
        copy.set("height", f"{box[3]:g}")
        for name in ("x", "y"):
            copy.attrib.pop(name, None)
        out.append((box[2], box[3], etree.tostring(copy)))
    return out


def place(pdf, score_svg: str, width: float) -> None:
    """Draw the score's pages in ``pdf`` from its cursor, ``width`` mm wide, a new page where one does not fit."""
    import io

    for page_width, page_height, data in pdf_pages(score_svg):
        room = pdf.h - pdf.b_margin - pdf.t_margin
        w = width
        h = page_height * w / page_width
        if h > room:  # a page taller than the paper: shrunk to its height
            w, h = w * room / h, room
        if pdf.get_y() + h > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.image(io.BytesIO(data), x=pdf.l_margin + (width - w) / 2, y=pdf.get_y(), w=w, h=h)
        pdf.set_y(pdf.get_y() + h + 4)
