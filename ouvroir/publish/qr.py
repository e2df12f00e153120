"""The provenance QR code: a compact signed payload a reader checks offline, and reading it back from a file.

Payload (one line of text, byte mode)::

    OUVROIR:1;k=<kind>;h=<text hash>;f=<key id>[;u=<url>];s=<signature>

* ``kind`` — ``co-creation`` (a co-written document) or ``sample`` (a model's text);
* ``h`` — base64url of the sha256 of the text with every whitespace and control character removed (:func:`letters_sha256`),
  so that a page's line breaks and French non-breaking spaces do not count and the same code holds for the
  HTML, the EPUB and the PDF of one text;
* ``f`` — the signing key's id (16 hex digits, as in the sidecars): the key itself is not in the code, the
  reader holds it (the studio's, or ``ouvroir key export``'s file given with ``--key``);
* ``u`` — the ``--url`` the item is published at, when given;
* ``s`` — base64url of the Ed25519 signature over every byte before ``;s=``.

About 170 characters: a version 9 code at level M, readable when printed 3 cm wide.

>>> parse("OUVROIR:1;k=sample;h=" + "A" * 43 + ";f=" + "0" * 16 + ";s=" + "B" * 86).kind
'sample'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import PublishError
from ..provenance.keys import key_id

PREFIX = "OUVROIR:1"
_PAYLOAD = re.compile(r"OUVROIR:1;k=(?P<kind>[a-z-]{1,20});h=(?P<hash>[A-Za-z0-9_-]{43});f=(?P<key>[0-9a-f]{16})"
                      r"(?:;u=(?P<url>[^\s]{1,300}))?;s=(?P<sig>[A-Za-z0-9_-]{86})")  # fmt: skip
_SPACE = re.compile(r"\s+")
_UNSEEN = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")  # whitespace and control characters: no page shows them


@dataclass(frozen=True)
class Payload:
    kind: str
    text_hash: str  # base64url, no padding
    key_id: str
    url: str | None
    signature: bytes
    signed: bytes  # the bytes the signature covers


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def letters_sha256(text: str) -> str:
    """base64url sha256 of ``text`` without whitespace or control characters (layout and French spaces are not
    content, and no page prints a control character)."""
    return _b64(hashlib.sha256(_UNSEEN.sub("", text).encode("utf-8")).digest())


def make_payload(kind: str, text: str, key: Ed25519PrivateKey, url: str | None = None) -> str:
    if url is not None and (not url or _SPACE.search(url) or len(url) > 300):
        raise PublishError(f"--url {url!r} cannot go in a QR code: give an address without spaces, 300 characters at most")
    body = f"{PREFIX};k={kind};h={letters_sha256(text)};f={key_id(key.public_key())}" + (f";u={url}" if url else "")
    return body + ";s=" + _b64(key.sign(body.encode("utf-8")))


def parse(text: str) -> Payload:
    found = _PAYLOAD.fullmatch(text.strip())
    if found is None:
        what = "an ouvroir provenance code of another version" if text.startswith("OUVROIR:") else "not an ouvroir provenance code"
        raise PublishError(f"the QR code says {text[:60]!r}…: {what}")
    try:
        signature = _unb64(found["sig"])
    except (binascii.Error, ValueError) as exc:
        raise PublishError(f"the QR code's signature is damaged ({exc})") from exc
    signed = text.strip()[: text.strip().rindex(";s=")].encode("utf-8")
    return Payload(found["kind"], found["hash"], found["key"], found["url"], signature, signed)


def check_signature(payload: Payload, public_keys: list[bytes]) -> str | None:
    """None when a trusted key with the code's key id signed it; else what is wrong."""
    matching = [k for k in public_keys if key_id(k) == payload.key_id]
    if not matching:
        return (f"signer unknown: the code was signed by key {payload.key_id}, which is neither the studio's nor one "
                "given with --key (ask its author for `ouvroir key export`)")  # fmt: skip
    try:
        Ed25519PublicKey.from_public_bytes(matching[0]).verify(payload.signature, payload.signed)
    except InvalidSignature:
        return f"the QR code was changed or forged: its signature does not match key {payload.key_id}"
    return None


# -- drawing ------------------------------------------------------------------------------------------


def svg(payload: str, title: str) -> str:
    """An inline ``<svg>`` (no XML declaration), for an HTML page or an XHTML chapter."""
    import segno

    return segno.make(payload, error="m", micro=False).svg_inline(scale=3, title=title, border=4)


def svg_file(payload: str, title: str) -> bytes:
    """A standalone SVG file (XML declaration, namespace), for an ``<img>`` that a strict CSP allows."""
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="svg", scale=3, title=title, border=4)
    return buffer.getvalue()


def png(payload: str, scale: int = 6) -> bytes:
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


# -- reading back ---------------------------------------------------------------------------------------


def decode_file(path: Path, page: int = 0) -> str:
    """The ouvroir QR code's text in a PNG, an SVG, or a PDF's page (the first by default)."""
    path = Path(path)
    if not path.is_file():
        raise PublishError(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        images = [_pdf_page(path, page)]
    elif suffix == ".svg":
        images = [_svg_image(_parse(path.read_bytes(), path.name), path.name)]
    elif suffix in (".html", ".htm", ".epub"):
        images = [_svg_image(svg, path.name) for svg in _drawn_codes(path)]
    else:
        images = [_image(path)]
    import zxingcpp

    for image in images:
        for found in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
            if found.text.startswith("OUVROIR:"):
                return found.text
    raise PublishError(f"no ouvroir provenance QR code found in {path.name}")


def _image(path: Path):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.convert("L")
    except (OSError, UnidentifiedImageError) as exc:
        raise PublishError(f"{path.name} is not an image ouvroir can read (PNG, SVG or PDF): {exc}") from exc


def _pdf_page(path: Path, page: int):
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise PublishError(f"{path.name} cannot be read as a PDF ({exc})") from exc
    try:
        if not 0 <= page < len(document):
            raise PublishError(f"{path.name} has {len(document)} page(s), no page {page + 1}")
        return document[page].render(scale=3).to_pil().convert("L")
    finally:
        document.close()


def _parse(data: bytes, name: str):
    from ..media.safexml import parse_xml

    return parse_xml(data, name)


def _drawn_codes(path: Path) -> list:
    """The ``<svg>`` codes of a published page, or of an EPUB's pages (the title page holds it)."""
    import zipfile

    from ..media.safexml import local_name

    if path.suffix.lower() == ".epub":
        try:
            with zipfile.ZipFile(path) as archive:
                pages = [archive.read(n) for n in archive.namelist() if n.endswith(".xhtml")]
        except (zipfile.BadZipFile, OSError) as exc:
            raise PublishError(f"{path.name} cannot be read as an EPUB ({exc})") from exc
        roots = [_parse(page, path.name) for page in pages]
    else:
        from lxml import html

        roots = [html.fromstring(path.read_bytes())]
    # segno marks its codes (class "segno"): a music sample's engraved score is an <svg> too, and no code
    return [el for root in roots for el in root.iter()
            if isinstance(el.tag, str) and local_name(el) == "svg" and "segno" in (el.get("class") or "").split()]  # fmt: skip


def _svg_image(root, name: str):
    """segno's SVGs are squares of paths on one grid: drawn back as pixels without an SVG renderer."""
    from PIL import Image, ImageDraw

    from ..media.safexml import local_name

    width = int(float(root.get("width", "0")))
    height = int(float(root.get("height", "0")))
    if width <= 0 or height <= 0 or width > 4000 or height > 4000:
        raise PublishError(f"{name}: an SVG QR code needs its width and height in pixels")
    scale = 4
    image = Image.new("L", (width * scale, height * scale), 255)
    draw = ImageDraw.Draw(image)
    for element in root.iter():
        if isinstance(element.tag, str) and local_name(element) == "path" and element.get("d"):
            _draw_path(draw, element.get("d", ""), element.get("transform", ""), scale, float(element.get("stroke-width", "1")))
    return image


def _draw_path(draw, d: str, transform: str, scale: int, stroke: float) -> None:
    """segno writes ``M x y h n`` runs stroked one module wide (``transform="scale(s)"``)."""
    factor = float(m[1]) if (m := re.search(r"scale\(([\d.]+)\)", transform)) else 1.0
    x = y = 0.0
    for command, args in re.findall(r"([MmHhVv])\s*([-\d.\s]*)", d):
        numbers = [float(n) for n in args.split()]
        if command in "Mm":
            x, y = (numbers[0], numbers[1]) if command == "M" else (x + numbers[0], y + numbers[1])
        elif command in "Hh":
            end = numbers[0] if command == "H" else x + numbers[0]
            top = (y - stroke / 2) * factor * scale
            draw.rectangle([x * factor * scale, top, end * factor * scale - 1, top + stroke * factor * scale - 1], fill=0)
            x = end
        elif command in "Vv":
            y = numbers[0] if command == "V" else y + numbers[0]
