"""The pixels of an image snapshot, as training and auditing read them: square arrays at one resolution.

``image_arrays`` reads each work of the snapshot from the blob the snapshot
froze, *after* checking that the blob still hashes to the sha256 the manifest
holds, and that the manifest holds what the studio recorded when it froze the
snapshot, each work by a ``train`` consent event (the consent canary: a blob
changed on disk, or a manifest edited to add an image or point at another, is
refused, never trained on). Only the snapshot's
works are read, and a snapshot holds only works whose consent was ``train``
when it was taken, so a ``no-train`` image cannot reach these arrays.

The arrays are cached in ``snapshots/<id>/images-<R>.npz`` with the hashes
they were made from and a hash of the arrays themselves; a cache that does
not match is made again. Works held out "both" ways (too few images to hold
whole ones out) are in both sets.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass

import numpy as np

from ..errors import TrainingError
from ..media.images.read import load_normalized, to_square
from ..store import images as image_store
from ..store import snapshots as snapshot_store
from ..store.blobs import atomic_write, sha256_bytes

CACHE_FORMAT = "ouvroir-image-arrays/1"  # bump when to_square or the normalization changes
RESOLUTIONS = (8, 16, 32, 64, 128, 256)


class ImageIntegrityError(TrainingError):
    """A snapshot's image blob no longer matches the hash the snapshot froze."""


@dataclass
class ImageSet:
    train: np.ndarray  # uint8 (N, R, R, 3)
    train_works: list[str]  # the work id of each training image
    val: np.ndarray  # uint8 (M, R, R, 3)
    val_works: list[str]
    work_hashes: dict[str, str]  # work id -> sha256 of its normalized PNG, as the snapshot froze it
    resolution: int


def image_arrays(studio, snapshot, resolution: int) -> ImageSet:
    """The snapshot's training and validation images at ``resolution`` × ``resolution``."""
    if snapshot.medium != "image":
        raise TrainingError(f"snapshot {snapshot.id} holds {snapshot.medium} works, not images")
    if int(resolution) not in RESOLUTIONS:
        raise TrainingError(f"image resolution {resolution} is not one of {', '.join(map(str, RESOLUTIONS))}")
    resolution = int(resolution)
    _check_frozen(studio, snapshot)
    hashes = {w.work_id: w.text_sha256 for w in snapshot.works}
    cache = snapshot.path / f"images-{resolution}.npz"
    cached = _load_cache(cache, hashes, resolution)
    if cached is not None:
        for w in snapshot.works:  # every call, cache or not: the canary (streamed: no image held in memory)
            if problem := studio.blobs.verify(w.text_sha256):
                raise _changed(snapshot, w, problem)
        return cached
    # one blob at a time, checked then reduced: a few hundred large images never sit in memory together
    squares = {w.work_id: to_square(load_normalized(_checked_blob(studio, snapshot, w)), resolution)
               for w in snapshot.works}  # fmt: skip
    train_works = [w.work_id for w in snapshot.works if w.split in ("train", "both")]
    val_works = [w.work_id for w in snapshot.works if w.split in ("val", "both")]
    empty = np.zeros((0, resolution, resolution, 3), np.uint8)
    train = np.stack([squares[i] for i in train_works]) if train_works else empty
    val = np.stack([squares[i] for i in val_works]) if val_works else empty
    result = ImageSet(train, train_works, val, val_works, hashes, resolution)
    _save_cache(cache, result)
    return result


def _check_frozen(studio, snapshot) -> None:
    """The manifest holds what the studio recorded when it froze the snapshot, each work by a ``train`` event:
    a manifest edited to add an image (or to point a work at another) is refused."""
    recorded = set(snapshot_store.frozen_works(studio.conn, snapshot.id))
    manifest = {(w.work_id, w.text_sha256, w.consent_event_id, w.split) for w in snapshot.works}
    if recorded != manifest:
        differ = sorted({row[0] for row in recorded ^ manifest})
        raise ImageIntegrityError(f"snapshot {snapshot.id}'s manifest differs from the studio's record of it "
                                  f"(works {', '.join(differ[:5])}): refused for training")  # fmt: skip
    consents = image_store.event_consents(studio.conn, [w.consent_event_id for w in snapshot.works])
    refused = [w.work_id for w in snapshot.works if consents.get(w.consent_event_id) != "train"]
    if refused:
        raise ImageIntegrityError(f"snapshot {snapshot.id} names consent events that are not 'train' for works "
                                  f"{', '.join(refused[:5])}: refused for training")  # fmt: skip


def _checked_blob(studio, snapshot, work) -> bytes:
    try:
        data = studio.blobs.get(work.text_sha256)
    except OSError as exc:
        raise _changed(snapshot, work, "missing") from exc
    if sha256_bytes(data) != work.text_sha256:
        raise _changed(snapshot, work, "changed")
    return data


def _changed(snapshot, work, problem: str) -> ImageIntegrityError:
    if problem == "missing":
        return ImageIntegrityError(f"the image of work {work.work_id} {work.title!r} frozen in snapshot {snapshot.id} "
                                   "is missing from the studio: run `ouvroir check`")  # fmt: skip
    return ImageIntegrityError(f"the image of work {work.work_id} {work.title!r} no longer matches the hash "
                               f"snapshot {snapshot.id} froze: refused for training; run `ouvroir check`")  # fmt: skip


def _arrays_digest(image_set: ImageSet) -> str:
    digest = hashlib.sha256()
    for part in (image_set.train, image_set.val):
        digest.update(np.ascontiguousarray(part).tobytes())
    digest.update(json.dumps([image_set.train_works, image_set.val_works]).encode())
    return digest.hexdigest()


def _save_cache(path, image_set: ImageSet) -> None:
    meta = {"format": CACHE_FORMAT, "resolution": image_set.resolution, "train_works": image_set.train_works,
            "val_works": image_set.val_works, "work_hashes": image_set.work_hashes,
            "arrays_sha256": _arrays_digest(image_set)}  # fmt: skip
    out = io.BytesIO()
    np.savez(out, train=image_set.train, val=image_set.val, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    try:
        atomic_write(path, out.getvalue())
    except OSError:  # a read-only snapshot folder: the arrays are still right, only not kept
        pass


def _load_cache(path, hashes: dict[str, str], resolution: int) -> ImageSet | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            meta = json.loads(stored["meta"].tobytes().decode("utf-8"))
            train, val = stored["train"], stored["val"]
    except (OSError, ValueError, KeyError):
        return None
    if meta.get("format") != CACHE_FORMAT or meta.get("resolution") != resolution or meta.get("work_hashes") != hashes:
        return None
    image_set = ImageSet(train, meta["train_works"], val, meta["val_works"], hashes, resolution)
    if _arrays_digest(image_set) != meta.get("arrays_sha256") or train.shape[1:] != (resolution, resolution, 3):
        return None  # changed since written: made again from the checked blobs
    return image_set
