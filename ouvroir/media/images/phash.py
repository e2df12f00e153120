"""A 64-bit perceptual hash (DCT pHash) and the Hamming distance between two.

The image is reduced to 32×32 grey levels; the 8×8 lowest frequencies of its
2-D DCT-II are compared with their median, one bit each. Re-encoding, light
noise, a small resize or shift change few bits; different pictures differ in
about half of them (32 of 64).

>>> import numpy as np
>>> ramp = np.tile(np.arange(64, dtype=np.uint8)[None, :, None] * 4, (64, 1, 3))
>>> hamming(phash(ramp), phash(ramp.copy())), hamming(phash(ramp), phash(ramp[:, ::-1])) > 16
(0, True)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

HASH_SIDE = 8
REDUCED_SIDE = 32


@lru_cache(maxsize=1)
def _dct_matrix(n: int = REDUCED_SIDE) -> np.ndarray:
    """The orthonormal DCT-II as an n×n matrix (numpy alone: no scipy needed for 32 points)."""
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * x + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


def phash(arr: np.ndarray) -> int:
    """The pHash of an image array (H, W, 3) or (H, W), uint8: a 64-bit int."""
    arr = np.asarray(arr)
    image = Image.fromarray(arr if arr.ndim == 2 else arr[..., :3]).convert("L")
    grey = np.asarray(image.resize((REDUCED_SIDE, REDUCED_SIDE), Image.Resampling.LANCZOS), dtype=np.float64)
    dct = _dct_matrix()
    low = (dct @ grey @ dct.T)[:HASH_SIDE, :HASH_SIDE]
    bits = (low > np.median(low)).ravel()
    return int("".join("1" if b else "0" for b in bits), 2)


def hamming(a: int, b: int) -> int:
    """How many of the 64 bits differ."""
    return (int(a) ^ int(b)).bit_count()


def to_hex(value: int) -> str:
    return f"{value:016x}"


def from_hex(text: str) -> int:
    return int(text, 16)
