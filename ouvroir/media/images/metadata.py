"""What an image file says about itself: creator, rights, description and title, from XMP, IPTC and EXIF.

XMP is read first (the most complete, and where Lightroom, Photoshop and
darktable write), then IPTC-IIM, then EXIF; the first value found for a field
is kept. The IPTC/PLUS ``plus:DataMining`` value, an opt-out, is returned too
(key ``plus-data-mining``) for ``optout`` to judge.
"""

from __future__ import annotations

from PIL import Image, IptcImagePlugin
from PIL.ExifTags import Base

from ...errors import IngestError
from ..document import clean_label
from ..safexml import local_name, parse_xml

NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_PLUS = "http://ns.useplus.org/ldf/xmp/1.0/"
MAX_XMP_BYTES = 4 << 20
FIELDS = ("creator", "rights", "description", "title")
_IPTC = {(2, 80): "creator", (2, 116): "rights", (2, 120): "description", (2, 5): "title"}
_EXIF = {Base.Artist: "creator", Base.Copyright: "rights", Base.ImageDescription: "description"}
_EXIF_XP = {Base.XPAuthor: "creator", Base.XPTitle: "title"}  # Windows' UTF-16 fields


def read(image: Image.Image) -> tuple[dict[str, str], str | None]:
    """({field: value}, a note when the XMP packet could not be read)."""
    found: dict[str, str] = {}
    problem = None
    packet = xmp_packet(image)
    if packet:
        try:
            _merge(found, from_xmp(packet))
        except IngestError as exc:
            problem = f"XMP metadata ignored: {exc}"
    _merge(found, _from_iptc(image))
    _merge(found, _from_exif(image))
    return found, problem


def _merge(found: dict[str, str], more: dict[str, str]) -> None:
    for key, value in more.items():
        value = clean_label(value) if key in FIELDS else value.strip()
        if value and key not in found:
            found[key] = value[:2000]


def xmp_packet(image: Image.Image) -> bytes | None:
    """The raw XMP packet, wherever the format keeps it (JPEG APP1, PNG iTXt, WebP chunk, TIFF tag 700)."""
    info = image.info
    packet = info.get("xmp") or info.get("XML:com.adobe.xmp")
    if packet is None and hasattr(image, "tag_v2"):
        packet = image.tag_v2.get(Base.XMLPacket)
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    if isinstance(packet, tuple | list):
        packet = bytes(packet)
    return packet[:MAX_XMP_BYTES] if isinstance(packet, bytes) and packet.strip() else None


def from_xmp(packet: bytes) -> dict[str, str]:
    """dc:creator (all of them, joined), dc:rights, dc:description, dc:title (x-default first), plus:DataMining."""
    root = parse_xml(packet.strip(b"\x00 \r\n\t"), "the XMP metadata")
    found: dict[str, str] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        namespace = element.tag[1:].split("}")[0] if element.tag.startswith("{") else ""
        name = local_name(element)
        if namespace == NS_DC and name in FIELDS and name not in found:
            values = _rdf_values(element)
            if values:
                found[name] = "; ".join(values) if name == "creator" else values[0]
        for attribute, value in element.attrib.items():  # the short form: <rdf:Description plus:DataMining="…"/>
            if attribute == f"{{{NS_PLUS}}}DataMining":
                found.setdefault("plus-data-mining", value)
        if namespace == NS_PLUS and name == "DataMining":
            value = element.get(f"{{{NS_RDF}}}resource") or "".join(element.itertext())
            found.setdefault("plus-data-mining", value.strip())
    return found


def _rdf_values(element) -> list[str]:
    """The texts of an rdf:Seq/Bag/Alt's items (the x-default language first), or the element's own text."""
    items = [li for li in element.iter(f"{{{NS_RDF}}}li")]
    if not items:
        text = "".join(element.itertext()).strip()
        return [text] if text else []
    items.sort(key=lambda li: li.get("{http://www.w3.org/XML/1998/namespace}lang") != "x-default")
    return [t for t in ("".join(li.itertext()).strip() for li in items) if t]


def _text(value) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    return str(value)


def _from_iptc(image: Image.Image) -> dict[str, str]:
    try:
        iptc = IptcImagePlugin.getiptcinfo(image) or {}
    except (OSError, ValueError, SyntaxError, IndexError, TypeError):  # a broken IPTC block: the pixels still count
        return {}
    return {name: _text(iptc[key]) for key, name in _IPTC.items() if key in iptc}


def _from_exif(image: Image.Image) -> dict[str, str]:
    try:
        exif = image.getexif()
    except (OSError, ValueError, SyntaxError, TypeError):
        return {}
    found = {name: _text(exif[tag]).strip("\x00 ") for tag, name in _EXIF.items() if tag in exif}
    for tag, name in _EXIF_XP.items():
        if tag in exif and name not in found:
            raw = exif[tag]
            raw = bytes(raw) if isinstance(raw, tuple | list) else raw
            if isinstance(raw, bytes):
                found[name] = raw.decode("utf-16-le", errors="replace").rstrip("\x00")
    return found
