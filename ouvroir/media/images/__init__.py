"""Images (.png .jpg .jpeg .webp .tif .tiff): reading with limits, a perceptual hash, rendering.

An image work's normalized stream is a PNG: 8-bit RGB in sRGB, orientation
applied, transparency composited on white, long side capped (``read``).
"""

from __future__ import annotations

# suffix -> the format name stored in works.format
IMAGE_SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp", ".tif": "tiff", ".tiff": "tiff"}
