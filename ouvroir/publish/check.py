"""``verify --qr FILE``: the provenance QR code read from a file and checked offline.

1. qr — a code found in the PNG, the SVG or the PDF's first page, and an ouvroir payload;
2. signature — by a key the reader trusts (the studio's, current or former, or one given with ``--key``),
   matching the payload byte for byte;
3. content — when the file carries the text (a PDF, an EPUB or an HTML page ouvroir published), the
   text read back against the hash the code signs; a bare image has nothing more to compare (not made).

Never raises on bad input: every problem is a failed check whose message names it.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import OuvroirError
from ..provenance.verify import Verdict
from . import qr


def verify_qr(path: Path, public_keys: list[bytes]) -> Verdict:
    path = Path(path)
    verdict = Verdict(path)
    try:
        payload = qr.parse(qr.decode_file(path))
    except OuvroirError as exc:
        verdict.add("qr", False, str(exc))
        return verdict
    verdict.kind = payload.kind
    where = f", published at {payload.url}" if payload.url else ""
    verdict.add("qr", True, f"ouvroir provenance code: {payload.kind}, key {payload.key_id}{where}")
    problem = qr.check_signature(payload, public_keys)
    verdict.add("signature", problem is None, problem or f"valid Ed25519 signature by key {payload.key_id}, which you trust")
    if problem is not None:
        verdict.add("content", None, "not checked: the code cannot be trusted")
        return verdict
    try:
        text = carried_text(path)
    except OuvroirError as exc:
        verdict.add("content", False, f"content unreadable: {exc}")
        return verdict
    if text is None:
        verdict.add("content", None, f"not checked: {path.name} is an image of the code, not the text it signs "
                                     "(give the PDF, the EPUB or the HTML page)")  # fmt: skip
    elif qr.letters_sha256(text) == payload.text_hash:
        verdict.add("content", True, f"the text of {path.name} matches the hash its QR code signs")
    else:
        verdict.add("content", False, f"content changed: the text of {path.name} does not match the hash its QR code signs")
    return verdict


def carried_text(path: Path) -> str | None:
    """The published text in ``path`` (PDF, EPUB, HTML page), or None for an image."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from .pdf import text_pages

        return text_pages(path)
    if suffix == ".epub":
        from ..media.formats import epub as reader

        return reader.read(path.read_bytes(), path.name).text
    if suffix in (".html", ".htm"):
        return _html_text(path)
    return None


def _html_text(path: Path) -> str:
    """The text of the page's ``<div class="text">``: its marks are highlighting, not text."""
    from lxml import html

    tree = html.fromstring(path.read_bytes())
    found = tree.xpath('//div[@class="text"]')
    return found[0].text_content() if found else ""
