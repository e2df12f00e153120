"""EPUB 2 and 3 (.epub): the spine's chapters in reading order, with the package's metadata.

The path is META-INF/container.xml → the package document (OPF) → its
metadata (title, creators, language, rights, W3C TDMRep reservation) → the
spine → each XHTML chapter, read with the HTML reader. A ``break`` separates
chapters. DRM-encrypted books are refused; nothing is ever extracted to disk.
"""

from __future__ import annotations

import posixpath

from ...errors import IngestError
from ..document import Block, ParsedWork
from ..plain import guess_form
from ..safexml import local_name, parse_xml
from ..safezip import SafeZip, resolve_member
from ._shared import collapse_spaces
from .html import blocks_from_html, decode_html

_HTML_TYPES = {"application/xhtml+xml", "text/html", "application/x-dtbook+xml"}
# encryption.xml also lists fonts "obfuscated" with these algorithms: that is not DRM on the text
_FONT_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
# TDMRep names the properties "tdm:reservation" in EPUB and "tdm-reservation" in HTML: accept both spellings
_TDM_KEYS = {"tdm:reservation": "tdm-reservation", "tdm-reservation": "tdm-reservation",
             "tdm:policy": "tdm-policy", "tdm-policy": "tdm-policy"}  # fmt: skip


def read(data: bytes, name: str) -> ParsedWork:
    archive = SafeZip(data, "EPUB")
    opf_path = _package_path(archive)
    package = parse_xml(archive.read(opf_path), opf_path)
    title, author, metadata = _package_metadata(package)
    chapters = _spine_documents(package, posixpath.dirname(opf_path))
    _refuse_drm(archive, chapters)
    blocks: list[Block] = []
    notes: list[str] = []
    for path in chapters:
        if not archive.has(path):
            raise IngestError(f"corrupt EPUB: the spine lists {path!r} but the archive has no such file")
        text, _ = decode_html(archive.read(path))
        chapter = blocks_from_html(text, f"the EPUB chapter {path}").blocks
        if chapter and blocks:
            blocks.append(Block("break"))
        blocks.extend(chapter)
    if not chapters:
        notes.append("the EPUB spine lists no readable chapter")
    return ParsedWork(
        blocks=blocks, form=guess_form(blocks), title=title, author=author, notes=notes, metadata=metadata
    )


def _package_path(archive: SafeZip) -> str:
    container = archive.read_optional("META-INF/container.xml")
    if container is None:
        # a few generators skip the container; a single OPF at any depth is unambiguous
        opfs = [n for n in archive.names if n.lower().endswith(".opf")]
        if len(opfs) == 1:
            return opfs[0]
        raise IngestError("corrupt EPUB: no META-INF/container.xml (is it an EPUB?)")
    root = parse_xml(container, "META-INF/container.xml")
    for element in root.iter():
        if local_name(element) == "rootfile" and element.get("full-path"):
            media_type = element.get("media-type", "application/oebps-package+xml")
            if media_type == "application/oebps-package+xml":
                return resolve_member("", element.get("full-path", ""))
    raise IngestError("corrupt EPUB: META-INF/container.xml names no package document")


def _package_metadata(package) -> tuple[str | None, str | None, dict[str, str]]:
    title: str | None = None
    creators: list[str] = []
    metadata: dict[str, str] = {}
    for element in package.iter():
        name = local_name(element)
        text = collapse_spaces("".join(element.itertext())).strip()
        if name == "title" and text and title is None:
            title = text
        elif name == "creator" and text and _is_author(element):
            creators.append(text)
        elif name == "language" and text:
            metadata.setdefault("language", text)
        elif name == "rights" and text:
            metadata.setdefault("rights", text)
        elif name == "meta":
            key = (element.get("property") or element.get("name") or "").strip().lower()
            value = (element.get("content") or text or "").strip()
            if key in _TDM_KEYS and value:
                metadata[_TDM_KEYS[key]] = value
    return title, ", ".join(dict.fromkeys(creators)) or None, metadata


def _is_author(creator) -> bool:
    """An EPUB 2 opf:role other than "aut" (illustrator, translator's preface...) is not the author."""
    role = next((v for k, v in creator.attrib.items() if k.rsplit("}", 1)[-1] == "role"), None)
    return role in (None, "", "aut")


def _spine_documents(package, opf_dir: str) -> list[str]:
    manifest: dict[str, tuple[str, str, str]] = {}
    spine: list[str] = []
    for element in package.iter():
        name = local_name(element)
        if name == "item" and element.get("id") and element.get("href"):
            manifest[element.get("id", "")] = (
                element.get("href", ""),
                element.get("media-type", ""),
                element.get("properties", ""),
            )
        elif name == "itemref" and element.get("linear", "yes") != "no":
            spine.append(element.get("idref", ""))
    documents: list[str] = []
    for idref in spine:
        if idref not in manifest:
            raise IngestError(f"corrupt EPUB: the spine refers to {idref!r}, which the manifest does not list")
        href, media_type, properties = manifest[idref]
        if media_type not in _HTML_TYPES or "nav" in properties.split():
            continue  # the table of contents is navigation, not the author's text
        documents.append(resolve_member(opf_dir, href))
    return list(dict.fromkeys(documents))


def _refuse_drm(archive: SafeZip, chapters: list[str]) -> None:
    encryption = archive.read_optional("META-INF/encryption.xml")
    if encryption is None:
        return
    root = parse_xml(encryption, "META-INF/encryption.xml")
    for data in root.iter():
        if local_name(data) != "EncryptedData":
            continue
        algorithm = next((m.get("Algorithm", "") for m in data.iter() if local_name(m) == "EncryptionMethod"), "")
        uri = next((c.get("URI", "") for c in data.iter() if local_name(c) == "CipherReference"), "")
        if algorithm not in _FONT_OBFUSCATION and resolve_member("", uri) in chapters:
            raise IngestError("DRM-protected EPUB: its chapters are encrypted; ouvroir reads only DRM-free books")
