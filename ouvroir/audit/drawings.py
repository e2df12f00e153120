"""Procedural drawings: an image corpus every machine has, with no third-party picture and no download.

Each drawing is a seeded composition — a two-colour gradient ground, a few
ellipses, rectangles, polygons and strokes in colours of a palette drawn per
drawing — so two seeds give two different pictures of the same family, the
way two photographs of one photographer differ. The image audit's tests and
bench plant copies of some drawings and check that the audit names them, and
that other drawings of the same family are left alone.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SUPERSAMPLE = 2  # drawn at twice the size and reduced: smooth edges, as a photographed work has


def drawing(seed: int, size: int = 32) -> np.ndarray:
    """One drawing as np.uint8 (size, size, 3), the same for the same seed on every machine."""
    rng = np.random.default_rng([seed, 0x0D7A])
    big = size * SUPERSAMPLE
    palette = rng.integers(0, 256, size=(6, 3))
    ground = np.linspace(0, 1, big)[:, None, None]
    angle = rng.integers(0, 2)
    ramp = ground if angle else ground.transpose(1, 0, 2)
    canvas = (palette[0] * (1 - ramp) + palette[1] * ramp).astype(np.uint8)
    canvas = np.broadcast_to(canvas, (big, big, 3)).copy()
    image = Image.fromarray(canvas)
    pen = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(3, 7))):
        colour = tuple(int(c) for c in palette[rng.integers(2, 6)])
        x0, y0 = (int(v) for v in rng.integers(-big // 4, big, size=2))
        w, h = (int(v) for v in rng.integers(big // 6, big // 1.5, size=2))
        kind = rng.integers(0, 4)
        if kind == 0:
            pen.ellipse((x0, y0, x0 + w, y0 + h), fill=colour)
        elif kind == 1:
            pen.rectangle((x0, y0, x0 + w, y0 + h), fill=colour)
        elif kind == 2:
            points = [tuple(int(v) for v in rng.integers(0, big, size=2)) for _ in range(3)]
            pen.polygon(points, fill=colour)
        else:
            pen.line((x0, y0, x0 + w, y0 + h), fill=colour, width=max(1, big // 12))
    return np.asarray(image.resize((size, size), Image.Resampling.BOX), dtype=np.uint8)


def drawings(seeds, size: int = 32) -> np.ndarray:
    """Several drawings, np.uint8 (len(seeds), size, size, 3)."""
    seeds = list(seeds)
    return np.stack([drawing(s, size) for s in seeds]) if seeds else np.zeros((0, size, size, 3), np.uint8)


# --- the ways a copy is disguised, each as a person or a model would do it -------------------


def as_jpeg(image: np.ndarray, quality: int = 75) -> np.ndarray:
    """Re-encoded as JPEG at ``quality`` and decoded again."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), dtype=np.uint8)


def shifted(image: np.ndarray, dx: int = 1, dy: int = 0) -> np.ndarray:
    """Moved by (dx, dy) pixels, the edge repeated into the gap."""
    out = np.roll(image, (dy, dx), axis=(0, 1))
    if dx > 0:
        out[:, :dx] = out[:, dx : dx + 1]
    elif dx < 0:
        out[:, dx:] = out[:, dx - 1 : dx]
    if dy > 0:
        out[:dy] = out[dy : dy + 1]
    elif dy < 0:
        out[dy:] = out[dy - 1 : dy]
    return out


def noised(image: np.ndarray, sigma: float = 8.0, seed: int = 0) -> np.ndarray:
    """Gaussian noise of ``sigma`` levels (of 255) added to every channel."""
    noise = np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(image + noise, 0, 255).round().astype(np.uint8)


def resized(image: np.ndarray, size: int) -> np.ndarray:
    """Resampled to ``size`` × ``size`` (bicubic), as a copy saved at another size is."""
    return np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BICUBIC), dtype=np.uint8)


def blurred(image: np.ndarray, radius: float = 0.6) -> np.ndarray:
    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(radius)), dtype=np.uint8)
