"""Helpers shared by the XML-based readers (docx, odt, epub, tei): a safe XML parser and paragraph grouping.

Not a reader itself: no suffix maps to this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from ...errors import IngestError
from ..document import Block, normalize_text
from ..plain import blocks_from_plain_text

# Same line-length bound as plain.py's stanza rule, so every format agrees on what a verse line is.
MAX_VERSE_LINE = 90

_XML_WHITESPACE = re.compile(r"[ \t\r\n\f]+")


# lxml (libxml2) stops at this depth unless told XML_PARSE_HUGE; the readers' own walks recurse no deeper
MAX_XML_DEPTH = 256
# A DTD's internal subset declaring an entity, from the document's first bytes (comments and PIs may come first)
_DTD_ENTITY = re.compile(r"<!DOCTYPE[^\[>]*\[[^\]]*<!ENTITY", re.IGNORECASE)


def refuse_entities(what: str) -> IngestError:
    """The one refusal for a document whose DTD declares entities (a billion-laughs bomb, an external file, or
    a harmless ``&nbsp;``): ouvroir never expands them, and keeping the references would silently lose text."""
    return IngestError(f"refused {what}: it declares a DTD with entities, which ouvroir never expands")


def too_deep(what: str) -> IngestError:
    return IngestError(f"refused {what}: nested too deeply (elements over {MAX_XML_DEPTH} levels down)")


def declares_entities(head: str | bytes) -> bool:
    """Whether the document's DTD declares an entity: ``<!DOCTYPE x [<!ENTITY ...`` (UTF-8 or a str)."""
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    return bool(_DTD_ENTITY.search(text))


def safe_xml_parser() -> etree.XMLParser:
    """An lxml parser that never fetches anything and never expands entities (no billion laughs, no XXE)."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False, remove_pis=True
    )


def parse_xml(data: bytes, what: str) -> etree._Element:
    """Parse ``data`` or raise IngestError: malformed, declaring entities, or nested too deeply, naming ``what``.

    With ``resolve_entities=False`` an entity reference stays a node that no
    reader reads, so ``<w:t>avant &x; après</w:t>`` would lose "après" without a
    word: a DTD declaring entities is refused instead.
    """
    try:
        root = etree.fromstring(data, parser=safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        if "amplification" in str(exc) or declares_entities(data[:1 << 20]):  # libxml2's guard against bombs
            raise refuse_entities(what) from exc
        if "Excessive depth" in str(exc):
            raise too_deep(what) from exc
        raise IngestError(f"malformed XML in {what}: {str(exc).splitlines()[0][:200]}") from exc
    if root is None:
        raise IngestError(f"malformed XML in {what}: the document is empty")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise refuse_entities(what)
    return root


# The root element's name, after the XML declaration, comments and a DOCTYPE.
_XML_ROOT = re.compile(
    rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)*<([A-Za-z_][\w.:-]*)", re.DOTALL
)
MUSICXML_ROOTS = frozenset({"score-partwise", "score-timewise"})


def is_musicxml(data: bytes) -> bool:
    """Whether XML bytes are a MusicXML score (root ``score-partwise`` or ``score-timewise``), from the first 64 KB.

    A look at the root's name, not a parse, so telling ``.xml`` scores from TEI
    costs neither music21's import nor a second parse.

    >>> is_musicxml(b'<?xml version="1.0"?>\\n<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD" "x.dtd">\\n<score-partwise/>')
    True
    >>> is_musicxml(b'<TEI xmlns="http://www.tei-c.org/ns/1.0"/>')
    False
    """
    head = data[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "replace").encode("utf-8")
    match = _XML_ROOT.match(head.removeprefix(b"\xef\xbb\xbf"))
    return bool(match) and match[1].decode("ascii", "replace").rsplit(":", 1)[-1] in MUSICXML_ROOTS


def local_name(element: etree._Element) -> str:
    """Tag without namespace; '' for comments, processing instructions and entities."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def collapse_spaces(text: str) -> str:
    """XML/HTML whitespace runs become one space; non-breaking spaces are text and stay.

    >>> collapse_spaces("  Le\\n   vent\\u00a0:  ")
    ' Le vent\\xa0: '
    """
    return _XML_WHITESPACE.sub(" ", text)


@dataclass
class Paragraph:
    """One paragraph of a word-processor document, before grouping into blocks."""

    text: str
    kind: str = "paragraph"  # "paragraph", "heading" or "title"
    level: int = 0


def blocks_from_paragraphs(paragraphs: list[Paragraph]) -> list[Block]:
    """Turn word-processor paragraphs into blocks.

    Poets in Word or LibreOffice usually type one verse per paragraph and an
    empty paragraph between stanzas. When a document uses empty paragraphs as
    separators, a run of short consecutive paragraphs is one stanza; two empty
    paragraphs in a row are a ``break``. Otherwise each paragraph is its own block.

    >>> ps = [Paragraph("Vers un,"), Paragraph("vers deux."), Paragraph(""), Paragraph("Fin.")]
    >>> [(b.kind, b.text) for b in blocks_from_paragraphs(ps)]
    [('stanza', 'Vers un,\\nvers deux.'), ('paragraph', 'Fin.')]
    """
    paragraphs = [Paragraph(normalize_text(p.text), p.kind, p.level) for p in paragraphs]
    blocks: list[Block] = []
    if not _uses_empty_separators(paragraphs):
        for paragraph in paragraphs:
            blocks.extend(_paragraph_blocks([paragraph], grouped=False))
        return blocks
    run: list[Paragraph] = []
    empty_run = 0
    for paragraph in paragraphs:
        if not paragraph.text:
            blocks.extend(_paragraph_blocks(run, grouped=True))
            run = []
            empty_run += 1
            if empty_run == 2 and blocks and blocks[-1].kind != "break":
                blocks.append(Block("break"))
            continue
        empty_run = 0
        if paragraph.kind != "paragraph":
            blocks.extend(_paragraph_blocks(run, grouped=True))
            run = []
            blocks.extend(_paragraph_blocks([paragraph], grouped=False))
        else:
            run.append(paragraph)
    blocks.extend(_paragraph_blocks(run, grouped=True))
    while blocks and blocks[-1].kind == "break":
        blocks.pop()
    return blocks


def _uses_empty_separators(paragraphs: list[Paragraph]) -> bool:
    seen_text = False
    pending_empty = False
    for paragraph in paragraphs:
        if not paragraph.text:
            pending_empty = seen_text
        elif pending_empty:
            return True
        else:
            seen_text = True
    return False


def _paragraph_blocks(run: list[Paragraph], grouped: bool) -> list[Block]:
    if not run:
        return []
    if len(run) == 1 and run[0].kind in ("heading", "title"):
        text = " ".join(line.strip() for line in run[0].text.split("\n") if line.strip())
        return [Block(run[0].kind, text, level=run[0].level)] if text else []  # type: ignore[arg-type]
    lines = [line for p in run for line in p.text.split("\n")]
    if grouped and len(run) >= 2 and max(len(line) for line in lines) <= MAX_VERSE_LINE:
        return [Block("stanza", "\n".join(p.text for p in run))]
    return [block for p in run for block in blocks_from_plain_text(p.text) if block.kind != "break"]
