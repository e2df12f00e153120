"""Image arrays out: PNG bytes, and a contact sheet of several images on one page."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def png_bytes(arr: np.ndarray) -> bytes:
    """A PNG of ``arr`` (H, W, 3) or (H, W) uint8, with no metadata: the same pixels always give the same bytes."""
    arr = np.asarray(arr)
    if arr.dtype != np.uint8 or arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
        raise ValueError(f"an image array is uint8 (H, W, 3) or (H, W), not {arr.dtype} {arr.shape}")
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(out, "PNG", compress_level=6)
    return out.getvalue()


def contact_sheet(arrays, columns: int = 8, gap: int = 2, background: int = 255) -> np.ndarray:
    """The images in rows of ``columns``, ``gap`` pixels apart on a ``background`` grey; uint8 (H, W, 3).

    Images of different sizes are placed at the top left of cells as large as the largest.
    """
    images = [np.asarray(a) for a in arrays]
    if not images:
        raise ValueError("a contact sheet needs at least one image")
    images = [np.repeat(a[..., None], 3, axis=2) if a.ndim == 2 else a[..., :3] for a in images]
    columns = max(1, min(columns, len(images)))
    rows = -(-len(images) // columns)
    cell_h = max(a.shape[0] for a in images)
    cell_w = max(a.shape[1] for a in images)
    sheet = np.full((rows * cell_h + (rows + 1) * gap, columns * cell_w + (columns + 1) * gap, 3), background, np.uint8)
    for i, a in enumerate(images):
        top = gap + (i // columns) * (cell_h + gap)
        left = gap + (i % columns) * (cell_w + gap)
        sheet[top : top + a.shape[0], left : left + a.shape[1]] = a
    return sheet
