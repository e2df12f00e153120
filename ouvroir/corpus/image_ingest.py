"""Image files become works: decoded with limits, normalized, de-duplicated, stored with rights and consent.

The normalized stream of an image work is a PNG blob (``media/images/read.py``:
8-bit sRGB RGB, orientation applied, alpha on white, long side capped); its
sha256 is ``works.text_sha256``, so the same pixels re-encoded are refused as a
duplicate, as the same text is. Near duplicates are found by perceptual hash
(64-bit DCT pHash, PHASH_NEAR_BITS bits or fewer apart, confirmed by the
pixels: PIXEL_NEAR_MAD), reported on the
outcome line and recorded with the measure ``phash``; a near duplicate of an
image without consent is held at ``unknown`` like a copied text. A file that
refuses training (C2PA ``c2pa.training-mining`` or IPTC/PLUS ``plus:DataMining``)
is stored ``no-train`` with the reason, as a text's TDMRep reservation is.
``works.chars`` holds the normalized image's pixel count; ``metadata`` its
width, height, pHash and what the file says (creator, rights, description).
"""

from __future__ import annotations

import sqlite3

import numpy as np
from PIL import Image

from ..media.document import ParsedWork, blocks_to_json
from ..media.images.phash import from_hex, phash, to_hex
from ..media.images.read import decode, load_normalized
from ..media.images.render import png_bytes
from ..store import images as image_store
from ..store import passages as passage_store
from ..store import works as store
from ..store.blobs import BlobStore, sha256_bytes
from ..store.db import now, transaction
from . import copies
from .dedup import NearDuplicate
from .files import Candidate
from .intake import AddOptions, FileOutcome, consent_events, discard_unreferenced, work_metadata

PHASH_NEAR_BITS = 10  # of 64: re-encodings, small crops and light edits fall under it; other pictures ~32 apart
# Small, plain images (an 8×8 digit enlarged) share their low frequencies: distinct ones fall within 10 bits. A pHash
# match is kept only when the pictures also agree pixel by pixel: mean absolute grey difference at 32×32 (0–1).
# Measured on drawings and 32 px glyphs: JPEG q75, noise ±8, a 3/4 resize ≤ 0.03; a 1 px shift or crop ≤ 0.05
# (drawings); distinct glyphs within 10 bits ≥ 0.044 (5th percentile 0.049).
PIXEL_NEAR_MAD = 0.05
NO_STRUCTURE = blocks_to_json([]).encode("utf-8")  # an image has no text blocks; the column wants a blob
KEPT_METADATA = ("rights", "description")


def ingest_image(conn: sqlite3.Connection, blobs: BlobStore, candidate: Candidate, options: AddOptions,
                 owner: str | None, data: bytes) -> FileOutcome:  # fmt: skip
    """Read and store one image file; raise IngestError (the caller reports it) when it cannot be read."""
    path = candidate.path
    decoded = decode(data, path.name)
    normalized = png_bytes(decoded.pixels)
    image_sha = sha256_bytes(normalized)
    hash64 = phash(decoded.pixels)
    existing = store.find_by_text_hash(conn, image_sha) or same_pixels(conn, blobs, decoded.pixels, hash64)
    if existing:
        return FileOutcome(path, "duplicate", f"same image as {existing.id} {existing.title!r}: not stored twice",
                           existing)  # fmt: skip
    height, width = decoded.pixels.shape[:2]
    metadata = {"width": str(width), "height": str(height), "phash": to_hex(hash64),
                "original-size": f"{decoded.original_size[0]}x{decoded.original_size[1]}"}  # fmt: skip
    metadata |= {key: decoded.metadata[key] for key in KEPT_METADATA if decoded.metadata.get(key)}
    parsed = ParsedWork(blocks=[], form="image", title=decoded.metadata.get("title"),
                        author=decoded.metadata.get("creator"), notes=list(decoded.notes), metadata=metadata)  # fmt: skip
    meta = work_metadata(candidate, options, parsed)
    notes = list(parsed.notes)
    if parsed.author and not meta["author_given"] and meta["author"]:
        notes.append(f"author taken from the file's metadata: {meta['author']}")
    opt_out = (decoded.opt_out.reason, decoded.opt_out.origin) if decoded.opt_out else None

    written = []
    try:
        for payload in (data, normalized, NO_STRUCTURE):
            sha, new = blobs.put(payload)
            if new:
                written.append(sha)
    except BaseException:
        discard_unreferenced(conn, blobs, written)
        raise
    work = store.Work(
        id=image_sha[:10], title=meta["title"], author=meta["author"], medium="image", form="image",
        format=decoded.format, license=meta["license"], source=meta["source"], original_name=path.name,
        original_sha256=sha256_bytes(data), text_sha256=image_sha, structure_sha256=sha256_bytes(NO_STRUCTURE),
        chars=width * height, encoding=None, added_at=now(), notes=notes, metadata=metadata,
    )  # fmt: skip
    try:
        with transaction(conn):
            near = near_images(conn, blobs, decoded.pixels, hash64)
            for sha in (work.original_sha256, work.text_sha256, work.structure_sha256):
                store.record_blob(conn, sha, blobs.path(sha).stat().st_size, work.added_at)
            store.insert_work(conn, work, None)
            for consent, reason, origin in consent_events(meta, parsed, owner, copies.hold_reason(conn, near), opt_out):
                store.append_consent(conn, work.id, consent, reason, origin)
            passage_store.record_near_duplicates(
                conn, [(work.id, d.other_id, d.measure, d.similarity, work.added_at) for d in near]
            )
    except BaseException:
        discard_unreferenced(conn, blobs, written)
        raise
    stored = store.resolve(conn, work.id)
    message = (f"added {work.id} {work.title!r} (image, {decoded.format}, {width} × {height} pixels); "
               f"consent {stored.consent} ({stored.consent_reason})")  # fmt: skip
    return FileOutcome(path, "added", message, stored, notes, near)


def same_pixels(conn: sqlite3.Connection, blobs: BlobStore, pixels: np.ndarray, hash64: int) -> store.Work | None:
    """The stored image with exactly these pixels, found by its pHash even when its PNG bytes differ (a PNG
    written by another zlib or Pillow holds the same pixels in other bytes, so the hash alone would miss it)."""
    for work_id, hex_hash, sha in image_store.image_phashes(conn):
        if from_hex(hex_hash) == hash64 and np.array_equal(load_normalized(blobs.get(sha)), pixels):
            return store.resolve(conn, work_id)
    return None


def near_images(conn: sqlite3.Connection, blobs: BlobStore, pixels: np.ndarray, hash64: int) -> list[NearDuplicate]:
    """The stored images whose pHash is PHASH_NEAR_BITS bits or fewer from ``hash64`` and whose pixels agree with
    ``pixels`` (PIXEL_NEAR_MAD), closest first. ``similarity`` is the share of the 64 bits that agree (1.0: the same hash).
    """
    rows = image_store.image_phashes(conn)
    if not rows:
        return []
    stored = np.array([from_hex(h) for _, h, _ in rows], dtype=np.uint64)  # one pass in numpy: 10,000 images in ~1 ms
    bits = np.unpackbits((stored ^ np.uint64(hash64)).view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)  # popcount
    mine = _grey(pixels)
    found = []
    for i in np.flatnonzero(bits <= PHASH_NEAR_BITS):
        work_id, _, sha = rows[i]
        if np.abs(_grey(load_normalized(blobs.get(sha))) - mine).mean() <= PIXEL_NEAR_MAD:
            found.append((int(bits[i]), work_id))
    return [NearDuplicate(work_id, "phash", round(1 - b / 64, 3), *store.title_and_author(conn, work_id))
            for b, work_id in sorted(found)]  # fmt: skip


def _grey(pixels: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(pixels).convert("L").resize((32, 32), Image.Resampling.BOX), np.float32) / 255
