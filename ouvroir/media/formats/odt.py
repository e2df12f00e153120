"""OpenDocument text (.odt, LibreOffice): paragraphs, headings, lists, spacing; title and author from meta.xml.

ODF collapses runs of whitespace in the XML like HTML does; the author's own
extra spaces are ``<text:s text:c="3"/>`` elements, tabs ``<text:tab/>`` and
line breaks ``<text:line-break/>``, all kept (poets indent with them).
Footnotes (``text:note``), comments (``office:annotation``) and deleted
tracked changes are excluded.
"""

from __future__ import annotations

import re

from lxml import etree

from ...errors import IngestError
from ..document import ParsedWork
from ..plain import guess_form
from ..safexml import parse_xml
from ..safezip import SafeZip
from ._shared import Paragraph, blocks_from_paragraphs, collapse_spaces

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
DC = "http://purl.org/dc/elements/1.1/"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"

_SKIPPED = {f"{{{TEXT}}}note", f"{{{OFFICE}}}annotation", f"{{{OFFICE}}}annotation-end", f"{{{TEXT}}}tracked-changes",
            f"{{{TEXT}}}sequence-decls", f"{{{TEXT}}}variable-decls", f"{{{TEXT}}}user-field-decls",
            f"{{{TEXT}}}table-of-content", f"{{{TEXT}}}alphabetical-index", f"{{{TEXT}}}bibliography"}  # fmt: skip
_TITLE_STYLE = re.compile(r"^(?:title|titre)$", re.IGNORECASE)
_TEXT_MIMETYPES = {"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text-template"}


def read(data: bytes, name: str) -> ParsedWork:
    archive = SafeZip(data, "ODT")
    mimetype = (archive.read_optional("mimetype") or b"").decode("ascii", "replace").strip()
    if mimetype and mimetype not in _TEXT_MIMETYPES:
        raise IngestError(f"not a text document: this OpenDocument file is {mimetype!r} (a spreadsheet or slides?)")
    content = parse_xml(archive.read("content.xml"), "content.xml")
    parents = _style_parents(content, archive)
    office_text = next(content.iter(f"{{{OFFICE}}}text"), None)
    paragraphs: list[Paragraph] = []
    if office_text is not None:
        _collect(office_text, parents, paragraphs)
    blocks = blocks_from_paragraphs(paragraphs)
    title, author, metadata = _meta(archive)
    if title is None:
        title = next((b.text for b in blocks if b.kind == "title"), None)
    return ParsedWork(blocks=blocks, form=guess_form(blocks), title=title, author=author, metadata=metadata)


def _collect(container: etree._Element, parents: dict[str, str], out: list[Paragraph]) -> None:
    """Walk sections, lists and tables down to text:p and text:h, in document order."""
    for child in container:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIPPED:
            continue
        if tag == f"{{{TEXT}}}h":
            level = _int(child.get(f"{{{TEXT}}}outline-level"), 1)
            out.append(Paragraph(_inline_text(child), "heading", 1 if level <= 1 else 2))
        elif tag == f"{{{TEXT}}}p":
            style = _root_style(child.get(f"{{{TEXT}}}style-name", ""), parents)
            out.append(Paragraph(_inline_text(child), "title" if _TITLE_STYLE.match(style) else "paragraph"))
        else:  # text:list, text:list-item, text:section, table:table, table:table-row, table:table-cell...
            _collect(child, parents, out)


def _inline_text(paragraph: etree._Element) -> str:
    line = _InlineText()
    line.walk(paragraph)
    return "".join(line.pieces)


class _InlineText:
    """Paragraph text: XML whitespace collapsed, the author's text:s / text:tab / text:line-break kept."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.at_line_start = True

    def walk(self, element: etree._Element) -> None:
        self.collapsible(element.text)
        for child in element:
            tag = child.tag
            if isinstance(tag, str) and tag not in _SKIPPED:
                if tag == f"{{{TEXT}}}s":
                    self.literal(" " * min(_int(child.get(f"{{{TEXT}}}c"), 1), 1000))
                elif tag == f"{{{TEXT}}}tab":
                    self.literal("\t")
                elif tag == f"{{{TEXT}}}line-break":
                    self.literal("\n")
                elif tag != f"{{{TEXT}}}soft-page-break":  # text:span, text:a, text:ruby-base...
                    self.walk(child)
            self.collapsible(child.tail)

    def collapsible(self, text: str | None) -> None:
        text = collapse_spaces(text or "")
        if self.at_line_start:
            text = text.lstrip(" ")  # indentation in the XML source is not the author's
        if text:
            self.pieces.append(text)
            self.at_line_start = False

    def literal(self, text: str) -> None:
        self.pieces.append(text)
        self.at_line_start = text == "\n"


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _style_parents(content: etree._Element, archive: SafeZip) -> dict[str, str]:
    """Automatic style name ("P3") -> its parent style ("Title"), so a retouched title still counts as one."""
    parents: dict[str, str] = {}
    roots = [content]
    styles = archive.read_optional("styles.xml")
    if styles is not None:
        roots.append(parse_xml(styles, "styles.xml"))
    for root in roots:
        for style in root.iter(f"{{{STYLE}}}style"):
            name = style.get(f"{{{STYLE}}}name")
            parent = style.get(f"{{{STYLE}}}parent-style-name")
            if name and parent:
                parents[name] = parent
    return parents


def _root_style(name: str, parents: dict[str, str]) -> str:
    seen = set()
    while name in parents and name not in seen:
        seen.add(name)
        if _TITLE_STYLE.match(name):
            return name
        name = parents[name]
    return name


def _meta(archive: SafeZip) -> tuple[str | None, str | None, dict[str, str]]:
    data = archive.read_optional("meta.xml")
    if data is None:
        return None, None, {}
    root = parse_xml(data, "meta.xml")

    def first(tag: str) -> str | None:
        for element in root.iter(tag):
            text = collapse_spaces("".join(element.itertext())).strip()
            if text:
                return text
        return None

    metadata = {"language": lang} if (lang := first(f"{{{DC}}}language")) else {}
    author = first(f"{{{META}}}initial-creator") or first(f"{{{DC}}}creator")
    return first(f"{{{DC}}}title"), author, metadata
