"""Image works as a person looks at them: the normalized picture, and thumbnails for a gallery.

An image work's stream is its normalized PNG (``media.images.read``); a
gallery shows it small. A thumbnail fits inside a square of ``size`` pixels
and keeps the picture's proportions; a picture smaller than that is enlarged
by a whole factor with nearest-neighbour pixels, so an 8 × 8 drawing stays
crisp instead of blurred. The bytes are checked against the work's hash
before anything is drawn from them: a damaged blob is said, never shown.
"""

from __future__ import annotations

import numpy as np

from ..errors import StudioError, WorkNotFound
from ..fileio import sha256_bytes
from ..media.images.read import load_normalized
from ..media.images.render import png_bytes

THUMBNAIL_SIZES = (64, 96, 160, 320)  # what the pages ask for; anything else is refused (no resizing on demand)


class NotAnImage(WorkNotFound):
    """A picture asked of a work that is not an image (the web studio answers 404, as for no such work)."""


def image_png(studio, ref) -> bytes:
    """The work's normalized PNG (8-bit sRGB, orientation applied), checked against its hash."""
    work = ref if hasattr(ref, "medium") else studio.work(ref)
    if work.medium != "image":
        raise NotAnImage(f"work {work.id} is {work.medium}, not an image")
    data = studio.blobs.get(work.text_sha256)
    if sha256_bytes(data) != work.text_sha256:
        raise StudioError(f"work {work.id}'s stored picture no longer matches its hash: run `ouvroir check`")
    return data


def thumbnail(studio, ref, size: int) -> bytes:
    """A PNG of the work's picture fitting a ``size`` × ``size`` square (one of THUMBNAIL_SIZES)."""
    if size not in THUMBNAIL_SIZES:
        raise StudioError(f"a thumbnail is {', '.join(map(str, THUMBNAIL_SIZES))} pixels, not {size}")
    return fit(load_normalized(image_png(studio, ref)), size)


def fit(pixels, size: int) -> bytes:
    """``pixels`` (H, W, 3) uint8 as a PNG inside ``size`` × ``size``: reduced smoothly, enlarged by whole pixels."""
    from PIL import Image

    height, width = pixels.shape[:2]
    image = Image.fromarray(pixels)
    if max(height, width) > size:
        image.thumbnail((size, size), Image.Resampling.LANCZOS)
    elif (factor := size // max(height, width)) > 1:
        image = image.resize((width * factor, height * factor), Image.Resampling.NEAREST)
    return png_bytes(np.asarray(image.convert("RGB")))


def picture_facts(work) -> dict:
    """What the work page says of a picture beside it, from the work's stored metadata."""
    meta = work.metadata or {}
    return {key: meta[key] for key in ("width", "height", "original-size", "phash", "rights", "description")
            if meta.get(key) not in (None, "")}  # fmt: skip

