"""The certificate that signed a WAV's or a PNG's embedded C2PA manifest, read from the file's own bytes.

c2pa-python validates an embedded manifest's signature but names its signer only by the
certificate's common name and serial, which anyone can copy into a certificate of their
own. To tell whose key signed, ``signer_certificate`` walks the same bytes c2pa read:

* the WAV's one ``C2PA`` RIFF chunk, or the PNG's one ``caBX`` chunk, holds a JUMBF manifest store;
* the store holds manifests (JUMBF superboxes, labelled ``urn:c2pa:…``); the active one's
  ``c2pa.signature`` box holds a CBOR COSE_Sign1 structure;
* its ``x5chain`` header (label 33) lists DER certificates, the signing one first.

Anything unexpected (two C2PA chunks, two manifests with the active label, a malformed box
or CBOR item) gives None: verify then says it cannot tell who signed.
"""

from __future__ import annotations

import struct

from cryptography import x509

X5CHAIN = 33  # COSE header label of the certificate chain
COSE_SIGN1 = 18
MAX_DEPTH = 16


class _Malformed(ValueError):
    pass


def riff_store(data: bytes) -> bytes | None:
    """The payload of the WAV's one ``C2PA`` chunk (None if none, or several)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    found, at = [], 12
    while at + 8 <= len(data):
        chunk, size = data[at:at + 4], struct.unpack("<I", data[at + 4:at + 8])[0]
        if chunk == b"C2PA":
            found.append(data[at + 8:at + 8 + size])
        at += 8 + size + (size & 1)
    return found[0] if len(found) == 1 else None


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_store(data: bytes) -> bytes | None:
    """The payload of the PNG's one ``caBX`` chunk (None if none, or several)."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    found, at = [], len(PNG_SIGNATURE)
    while at + 8 <= len(data):
        size, chunk = struct.unpack(">I", data[at:at + 4])[0], data[at + 4:at + 8]
        if chunk == b"caBX":
            found.append(data[at + 8:at + 8 + size])
        at += 12 + size  # length, type, data, CRC
    return found[0] if len(found) == 1 else None


def _boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of each JUMBF box in ``data``, in order."""
    boxes, at = [], 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        head = 8
        if size == 1:  # a 64-bit size follows
            size, head = struct.unpack(">Q", data[at + 8:at + 16])[0], 16
        elif size == 0:  # to the end
            size = len(data) - at
        if size < head or at + size > len(data):
            raise _Malformed("box size")
        boxes.append((kind, data[at + head:at + size]))
        at += size
    if at != len(data):
        raise _Malformed("trailing bytes")
    return boxes


def _superbox(payload: bytes) -> tuple[str | None, list[tuple[bytes, bytes]]]:
    """(label, content boxes) of a ``jumb`` superbox: its ``jumd`` description box comes first."""
    boxes = _boxes(payload)
    if not boxes or boxes[0][0] != b"jumd" or len(boxes[0][1]) < 17:
        raise _Malformed("superbox without description")
    description = boxes[0][1]
    label = None
    if description[16] & 0x02:  # the label-present toggle
        end = description.find(b"\0", 17)
        label = description[17:end if end >= 0 else None].decode("utf-8", "replace")
    return label, boxes[1:]


def _cbor(data: bytes, at: int = 0, depth: int = 0) -> tuple[object, int]:
    """One CBOR item (RFC 8949) from ``data[at:]``: (value, where the next item starts). Tags give (tag, value)."""
    if depth > MAX_DEPTH or at >= len(data):
        raise _Malformed("cbor")
    major, info, at = data[at] >> 5, data[at] & 31, at + 1
    if info < 24:
        arg = info
    elif info <= 27:
        n = 1 << (info - 24)
        if at + n > len(data):
            raise _Malformed("cbor")
        arg, at = int.from_bytes(data[at:at + n], "big"), at + n
    elif info == 31 and major in (2, 3, 4, 5):
        return _indefinite(data, at, major, depth)
    else:
        raise _Malformed("cbor")
    if major == 0:
        return arg, at
    if major == 1:
        return -1 - arg, at
    if major in (2, 3):
        if at + arg > len(data):
            raise _Malformed("cbor")
        raw = data[at:at + arg]
        return (raw if major == 2 else raw.decode("utf-8")), at + arg
    if major == 4:
        items = []
        for _ in range(min(arg, len(data))):
            item, at = _cbor(data, at, depth + 1)
            items.append(item)
        return items, at
    if major == 5:
        pairs = {}
        for _ in range(min(arg, len(data))):
            key, at = _cbor(data, at, depth + 1)
            pairs[key if isinstance(key, (int, str, bytes)) else repr(key)], at = _cbor(data, at, depth + 1)
        return pairs, at
    if major == 6:
        value, at = _cbor(data, at, depth + 1)
        return (arg, value), at
    return {20: False, 21: True, 22: None}.get(arg), at  # simple values and floats: not needed here


def _indefinite(data: bytes, at: int, major: int, depth: int) -> tuple[object, int]:
    items = []
    while at < len(data) and data[at] != 0xFF:
        item, at = _cbor(data, at, depth + 1)
        items.append(item)
    if at >= len(data):
        raise _Malformed("cbor")
    at += 1
    if major == 2:
        return b"".join(i for i in items if isinstance(i, bytes)), at
    if major == 3:
        return "".join(i for i in items if isinstance(i, str)), at
    if major == 4:
        return items, at
    return {k if isinstance(k, (int, str, bytes)) else repr(k): v for k, v in zip(items[::2], items[1::2])}, at


def _chain(cose: object) -> list[bytes]:
    if isinstance(cose, tuple) and cose[0] == COSE_SIGN1:
        cose = cose[1]
    if not (isinstance(cose, list) and len(cose) == 4 and isinstance(cose[0], bytes)):
        raise _Malformed("not a COSE_Sign1")
    protected = _cbor(cose[0])[0] if cose[0] else {}
    unprotected = cose[1] if isinstance(cose[1], dict) else {}
    for header in (protected, unprotected):
        chain = header.get(X5CHAIN) if isinstance(header, dict) else None
        if isinstance(chain, bytes):
            return [chain]
        if isinstance(chain, list) and chain and all(isinstance(c, bytes) for c in chain):
            return chain
    raise _Malformed("no x5chain")


def signer_certificate(data: bytes, active: str | None) -> x509.Certificate | None:
    """The certificate that signed the manifest labelled ``active`` in a WAV's or PNG's C2PA store, or None."""
    store = riff_store(data) if data[:4] == b"RIFF" else png_store(data)
    if store is None:
        return None
    try:
        ((kind, payload),) = _boxes(store)
        label, manifests = _superbox(payload) if kind == b"jumb" else (None, [])
        if label != "c2pa":
            return None
        labelled = [_superbox(p) for k, p in manifests if k == b"jumb"]
        chosen = [boxes for name, boxes in labelled if name == active] if active else labelled[-1:]
        if len(chosen) != 1:
            return None
        signatures = [_superbox(p)[1] for k, p in chosen[0] if k == b"jumb" and _superbox(p)[0] == "c2pa.signature"]
        if len(signatures) != 1:
            return None
        (cbor,) = [p for k, p in signatures[0] if k == b"cbor"]
        return x509.load_der_x509_certificate(_chain(_cbor(cbor)[0])[0])
    except (_Malformed, ValueError, struct.error, IndexError):
        return None
