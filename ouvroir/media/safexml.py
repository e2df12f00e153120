"""XML read safely: the one parser every XML-based reader uses, its refusals, and a look at a document's root.

It never fetches anything and never expands entities, so neither a billion
laughs nor an external entity (XXE) gets through; a DTD that declares entities
is refused rather than read with silent holes. Word, OpenDocument, EPUB, TEI,
HTML and MusicXML all read through here.
"""

from __future__ import annotations

import re

from lxml import etree

from ..errors import IngestError

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
