"""Decode the bytes of a text file, whatever old encoding it was saved in.

Order matters: a byte-order mark is certain; strict UTF-8 almost never decodes
text written in another encoding; UTF-16 without a mark shows as NUL bytes in
every other position; then the single-byte Western encodings that French texts
use (latin-1, cp1252) before asking charset-normalizer about the rest.
"""

from __future__ import annotations

import codecs
import re

from ..errors import IngestError

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE with BOM"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE with BOM"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
]


def decode_text(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding label)``; raise IngestError for bytes that are not text.

    >>> decode_text("Noël à l'œil".encode("cp1252"))
    ("Noël à l'œil", 'cp1252')
    >>> decode_text("été".encode("latin-1"))
    ('été', 'latin-1')
    """
    if not data:
        raise IngestError("empty file")
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), label
            except UnicodeDecodeError as exc:
                raise IngestError(f"undecodable text: it starts with a {label} mark but is not valid {label}") from exc
    try:
        text = data.decode("utf-8")
        return _checked(text, "utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    utf16 = _try_utf16_without_bom(data)
    if utf16:
        return utf16
    if b"\x00" in data:
        raise IngestError("undecodable text: the file holds binary data (NUL bytes), not text")
    return _single_byte(data)


def _try_utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:20_000]
    even_nuls = sample[0::2].count(0) / (len(sample) / 2)
    odd_nuls = sample[1::2].count(0) / (len(sample) / 2)
    for codec, nuls, label in (("utf-16-le", odd_nuls, "UTF-16 LE (no BOM)"), ("utf-16-be", even_nuls, "UTF-16 BE (no BOM)")):
        if nuls > 0.4:
            try:
                return _checked(data.decode(codec), label), label
            except (UnicodeDecodeError, IngestError):
                continue
    return None


def _single_byte(data: bytes) -> tuple[str, str]:
    """cp1252 (or latin-1, its subset) when the decoded text reads as a Western language, else ask charset-normalizer.

    charset-normalizer alone misreads short French texts (it has answered cp1125,
    a Cyrillic code page, for "Noël à l'œil"). Western text decoded as cp1252
    has few non-ASCII letters among its letters (French: ~4%); a Cyrillic or
    Greek text decoded as cp1252 is almost all accented letters. Too short to
    tell (under 20 letters), the Western reading wins.
    """
    label = "cp1252" if any(0x80 <= b <= 0x9F for b in data) else "latin-1"
    try:
        western = _checked(data.decode("cp1252"), label)
    except (UnicodeDecodeError, IngestError):
        western = None
    if western is not None:
        letters = [ch for ch in western[:200_000] if ch.isalpha()]
        non_ascii = sum(1 for ch in letters if ord(ch) > 0x7F)
        if len(letters) < 20 or non_ascii / len(letters) < 0.6:
            return western, label
    import charset_normalizer  # imported here: most files are UTF-8 and never need it

    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        if western is not None:
            return western, label
        raise IngestError("undecodable text: no known encoding fits these bytes (is it a text file?)")
    return _checked(str(best), best.encoding), best.encoding


_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _checked(text: str, label: str) -> str:
    """Refuse decoded text that is mostly control characters: binary junk decodes in any 8-bit codec."""
    sample = text[:100_000]
    if not sample:
        return text
    controls = len(_CONTROL.findall(sample))
    if controls / len(sample) > 0.01:
        raise IngestError(f"undecodable text: decoded as {label} it is {controls / len(sample):.0%} control characters; this looks like binary data")
    return text
