"""HTML and XHTML (.html, .htm, .xhtml): block structure from the markup, nothing from scripts or menus.

Block elements (p, div, blockquote, li...) become paragraphs or stanzas,
``<br>`` is a line break inside a block (how poems are written in HTML),
h1-h6 become headings. Scripts, styles, navigation, headers, footers, asides
and footnote markers are dropped with everything inside them. The EPUB reader
uses :func:`blocks_from_html` for each chapter.

>>> work = read(b"<title>Nuit</title><p>Le vent<br>se l\\xc3\\xa8ve.</p><script>x=1</script>", "a.html")
>>> work.title, [(b.kind, b.text) for b in work.blocks]
('Nuit', [('stanza', 'Le vent\\nse lève.')])
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from ..document import Block, ParsedWork, normalize_text
from ..encoding import decode_text
from ..plain import blocks_from_plain_text, guess_form
from ..safexml import declares_entities, local_name, refuse_entities, safe_xml_parser, too_deep
from ._shared import collapse_spaces

_DROPPED = {
    "script", "style", "nav", "header", "footer", "noscript", "template", "iframe", "object", "embed", "svg",
    "math", "form", "button", "select", "textarea", "aside", "head", "canvas", "audio", "video", "map", "rp", "rt",
}  # fmt: skip
_BLOCKS = {
    "html", "body", "p", "div", "section", "article", "main", "blockquote", "li", "ul", "ol", "dl", "dt", "dd", "pre",
    "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "figure", "figcaption", "address", "center",
    "fieldset", "details", "summary", "hgroup", "legend",
}  # fmt: skip
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# epub:type / role values marking notes and page markers: apparatus, not the author's text
_APPARATUS = {
    "noteref", "footnote", "footnotes", "endnote", "endnotes", "rearnote", "rearnotes", "note", "pagebreak",
    "annoref", "doc-noteref", "doc-footnote", "doc-endnote", "doc-endnotes", "doc-pagebreak", "doc-backlink",
}  # fmt: skip
# a container with one of these classes holds one verse per child element (whole class names only: "col-lg-6" is layout)
_STANZA_CLASSES = {"stanza", "strophe", "lg", "verse", "linegroup", "line-group"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.\-]+)["']""")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_XHTML = re.compile(r"<html[^>]*xmlns\s*=\s*[\"']http://www\.w3\.org/1999/xhtml[\"']", re.IGNORECASE)
# WHATWG: a page that says latin-1 or ASCII is decoded as windows-1252
_LABEL_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
}


@dataclass
class HtmlContent:
    blocks: list[Block]
    title: str | None = None
    author: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def read(data: bytes, name: str) -> ParsedWork:
    text, encoding = decode_html(data)
    content = blocks_from_html(text)
    return ParsedWork(
        blocks=content.blocks,
        form=guess_form(content.blocks),
        title=content.title,
        author=content.author,
        encoding=encoding,
        metadata=content.metadata,
    )


def decode_html(data: bytes) -> tuple[str, str]:
    """Decode with the charset the page declares; fall back to guessing when it declares none or lies."""
    if not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        match = _XML_ENCODING.search(data[:1024]) or _META_CHARSET.search(data[:4096])
        if match:
            label = match.group(1).decode("ascii").lower()
            codec = _LABEL_ALIASES.get(label, label)
            try:
                return data.decode(codec), label
            except (LookupError, UnicodeDecodeError):
                pass
    return decode_text(data)


def parse_html(text: str, what: str = "the HTML file") -> etree._Element | None:
    """Parse as XML when the document is XHTML and well formed, else with the forgiving HTML parser.

    XHTML first: the HTML parser misreads self-closed tags such as ``<title/>``.
    A DTD declaring entities is refused (the HTML parser would keep its text
    as words: "]>" and "&j;"), and so is nesting deeper than both parsers read,
    which they would cut without a word.
    """
    text = _XML_DECLARATION.sub("", text, count=1)  # lxml refuses a str that declares an encoding
    if declares_entities(text[: 1 << 20]):
        raise refuse_entities(what)
    if _XHTML.search(text[:4096]):
        try:
            return etree.fromstring(text.encode("utf-8"), parser=safe_xml_parser())
        except etree.XMLSyntaxError as exc:
            if "Excessive depth" in str(exc):
                raise too_deep(what) from exc
            # else e.g. &nbsp; without its DTD: the HTML parser knows these entities
    if not text.strip():
        return None
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    if any("Excessive depth" in entry.message for entry in parser.error_log):
        raise too_deep(what)
    return root


def blocks_from_html(text: str, what: str = "the HTML file") -> HtmlContent:
    root = parse_html(text, what)
    if root is None:
        return HtmlContent([])
    body = next((el for el in root.iter() if local_name(el) == "body"), root)
    walker = _Walker()
    walker.visit(body)
    walker.flush()
    blocks = _relative_heading_levels(walker.blocks)
    metadata = _head_metadata(root)
    title = _first_text(root, "title") or next((b.text for b in blocks if b.kind == "heading"), None)
    return HtmlContent(blocks, title or None, metadata.pop("author", None), metadata)


class _Walker:
    """Depth-first walk that buffers inline text and emits a block at each block boundary."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.buffer: list[str] = []
        self.verse_lines: list[str] | None = None  # set while inside a stanza container

    def visit(self, element: etree._Element, pre: bool = False) -> None:
        name = local_name(element).lower()
        if name and not _is_dropped(element, name):
            self._visit_element(element, name, pre)

    def _visit_element(self, element: etree._Element, name: str, pre: bool) -> None:
        if name == "br":
            self.buffer.append("\n")
            return
        if name == "hr":
            self.flush()
            if self.blocks and self.blocks[-1].kind != "break":
                self.blocks.append(Block("break"))
            return
        heading = _HEADINGS.get(name)
        is_block = name in _BLOCKS or heading is not None
        classes = (element.get("class") or "").lower().split()
        starts_stanza = self.verse_lines is None and not _STANZA_CLASSES.isdisjoint(classes)
        if is_block:
            self.flush()
        if starts_stanza:
            self.verse_lines = []
        pre = pre or name == "pre"
        if element.text:
            self.add_text(element.text, pre)
        for child in element:
            self.visit(child, pre)
            if child.tail:
                self.add_text(child.tail, pre)
        if heading is not None:
            self.flush(heading_rank=heading)
        elif is_block:
            self.flush(pre=pre)
        if starts_stanza:
            lines, self.verse_lines = self.verse_lines or [], None
            if lines:
                self.blocks.append(Block("stanza", normalize_text("\n".join(lines))))

    def add_text(self, text: str, pre: bool) -> None:
        self.buffer.append(text if pre else collapse_spaces(text))

    def flush(self, heading_rank: int = 0, pre: bool = False) -> None:
        raw = "".join(self.buffer)
        self.buffer = []
        # HTML spaces around a line are layout; non-breaking spaces (verse indents) are text and stay
        lines = raw.split("\n") if pre else [line.strip(" ") for line in raw.split("\n")]
        text = normalize_text("\n".join(lines))
        if not text:
            return
        if self.verse_lines is not None:
            self.verse_lines.extend(text.split("\n"))
        elif heading_rank:
            self.blocks.append(Block("heading", " ".join(text.split("\n")), level=heading_rank))
        else:
            self.blocks.extend(b for b in blocks_from_plain_text(text) if b.kind != "break")


def _is_dropped(element: etree._Element, name: str) -> bool:
    if name in _DROPPED:
        return True
    for key, value in element.attrib.items():
        key = key.rsplit("}", 1)[-1].rsplit(":", 1)[-1]
        if key in ("type", "role") and _APPARATUS.intersection(value.lower().split()):
            return True
    return element.get("hidden") is not None


def _relative_heading_levels(blocks: list[Block]) -> list[Block]:
    """The page's highest heading rank is level 1 (act, chapter), every lower rank level 2 (scene, section)."""
    ranks = [b.level for b in blocks if b.kind == "heading"]
    if not ranks:
        return blocks
    top = min(ranks)
    return [Block("heading", b.text, level=1 if b.level == top else 2) if b.kind == "heading" else b for b in blocks]


def _head_metadata(root: etree._Element) -> dict[str, str]:
    metadata: dict[str, str] = {}
    language = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if language:
        metadata["language"] = language.strip()
    for meta in root.iter():
        if local_name(meta).lower() != "meta":
            continue
        key = (meta.get("name") or "").strip().lower()
        value = (meta.get("content") or "").strip()
        if not value:
            continue
        if key in ("author", "dc.creator", "dcterms.creator"):
            metadata.setdefault("author", value)
        elif key in ("tdm-reservation", "tdm-policy"):
            metadata[key] = value
    return metadata


def _first_text(root: etree._Element, tag: str) -> str | None:
    for element in root.iter():
        if local_name(element).lower() == tag:
            text = normalize_text(collapse_spaces("".join(element.itertext()))).strip()
            if text:
                return text
    return None
