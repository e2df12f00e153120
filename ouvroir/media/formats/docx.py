"""Word documents (.docx): the body's paragraphs, headings and line breaks; title and author from the properties.

Only the body text is read: footnotes, endnotes and comments live in other
parts of the package and are never opened; deleted tracked changes
(``w:delText``) and field codes (``w:instrText``) are skipped, inserted ones
kept. Paragraph grouping (one verse per paragraph, empty paragraphs between
stanzas) is :func:`._shared.blocks_from_paragraphs`.
"""

from __future__ import annotations

import posixpath
import re

from lxml import etree

from ...errors import IngestError
from ..document import ParsedWork
from ..plain import guess_form
from ..safexml import local_name, parse_xml
from ..safezip import SafeZip, resolve_member
from ._shared import Paragraph, blocks_from_paragraphs, collapse_spaces

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_OFFICE_DOCUMENT = re.compile(r"/officeDocument$")
# style names Word uses for headings, in English ids and in the localized ids French Word writes
_HEADING_STYLE = re.compile(r"^(?:heading|titre|berschrift|titolo|encabezado|kop)\s*(\d)$", re.IGNORECASE)
_TITLE_STYLE = re.compile(r"^(?:title|titre)$", re.IGNORECASE)
# nested paragraphs (text boxes, read on their own), deleted or moved-away revisions, field codes
_NOT_BODY_TEXT = {
    f"{{{W}}}{tag}" for tag in ("p", "txbxContent", "del", "delText", "moveFrom", "instrText", "delInstrText")
}
# what Word writes as dc:creator when the user never set a name: not an author
_PLACEHOLDER_AUTHORS = {
    "microsoft office user", "utilisateur de microsoft office", "windows user", "utilisateur windows", "user",
    "unknown", "auteur",
}  # fmt: skip


def read(data: bytes, name: str) -> ParsedWork:
    archive = SafeZip(data, "DOCX")
    document_path = _main_document_path(archive)
    root = parse_xml(archive.read(document_path), document_path)
    styles = _style_names(archive, posixpath.dirname(document_path))
    body = next((el for el in root.iter(f"{{{W}}}body")), root)
    paragraphs = [_paragraph(p, styles) for p in body.iter(f"{{{W}}}p") if not _in_fallback(p)]
    blocks = blocks_from_paragraphs(paragraphs)
    title, author, metadata = _core_properties(archive)
    if title is None:
        title = next((b.text for b in blocks if b.kind == "title"), None)
    return ParsedWork(blocks=blocks, form=guess_form(blocks), title=title, author=author, metadata=metadata)


def _main_document_path(archive: SafeZip) -> str:
    rels = archive.read_optional("_rels/.rels")
    if rels is not None:
        for rel in parse_xml(rels, "_rels/.rels").iter():
            if local_name(rel) == "Relationship" and _OFFICE_DOCUMENT.search(rel.get("Type", "")):
                # OPC part names may start with "/": the package root, not the file system's
                return resolve_member("", rel.get("Target", "").lstrip("/"))
    if archive.has("word/document.xml"):
        return "word/document.xml"
    raise IngestError("corrupt DOCX: no word/document.xml (is it a Word document?)")


def _style_names(archive: SafeZip, word_dir: str) -> dict[str, str]:
    """styleId -> the style's own name ("heading 1"), which stays English even in a French Word."""
    data = archive.read_optional(posixpath.join(word_dir, "styles.xml"))
    if data is None:
        return {}
    names: dict[str, str] = {}
    for style in parse_xml(data, "word/styles.xml").iter(f"{{{W}}}style"):
        style_id = style.get(f"{{{W}}}styleId")
        name = style.find(f"{{{W}}}name")
        if style_id and name is not None:
            names[style_id] = name.get(f"{{{W}}}val", "")
    return names


def _paragraph(p: etree._Element, styles: dict[str, str]) -> Paragraph:
    text = "".join(_run_text(p))
    style = p.find(f"{{{W}}}pPr/{{{W}}}pStyle")
    if style is not None:
        style_id = style.get(f"{{{W}}}val", "")
        for candidate in (styles.get(style_id, ""), style_id):
            candidate = candidate.replace(" ", "")
            if _TITLE_STYLE.match(candidate):
                return Paragraph(text, "title")
            match = _HEADING_STYLE.match(candidate)
            if match:
                return Paragraph(text, "heading", 1 if match.group(1) == "1" else 2)
    return Paragraph(text)


def _run_text(element: etree._Element):
    """Text of a paragraph in document order, without descending into nested paragraphs (text boxes)."""
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag == _MC_FALLBACK:
            continue
        if tag == f"{{{W}}}t":
            yield child.text or ""
        elif tag == f"{{{W}}}tab":
            yield "\t"
        elif tag in (f"{{{W}}}br", f"{{{W}}}cr"):
            yield "\n"
        elif tag == f"{{{W}}}noBreakHyphen":
            yield "-"
        elif tag in _NOT_BODY_TEXT:
            continue
        else:
            yield from _run_text(child)


def _in_fallback(p: etree._Element) -> bool:
    """Word stores text boxes twice (mc:Choice and mc:Fallback): read only the first copy."""
    return any(ancestor.tag == _MC_FALLBACK for ancestor in p.iterancestors())


def _core_properties(archive: SafeZip) -> tuple[str | None, str | None, dict[str, str]]:
    data = archive.read_optional("docProps/core.xml")
    if data is None:
        return None, None, {}
    values: dict[str, str] = {}
    for element in parse_xml(data, "docProps/core.xml"):
        text = collapse_spaces(element.text or "").strip()
        if text:
            values.setdefault(local_name(element), text)
    author = values.get("creator")
    if author and author.lower() in _PLACEHOLDER_AUTHORS:
        author = None
    metadata = {key: values[key] for key in ("language", "rights") if key in values}
    return values.get("title"), author, metadata
