"""A feature map of images computed here, with no weights to download, or one a person brings.

The map the audit uses by default reads what an artist recognizes in a picture
beyond its exact pixels — its **palette** and the **direction of its strokes** —
and nothing else:

* a joint colour histogram (4 × 4 × 4 RGB bins, square-rooted: the Hellinger
  embedding, so two palettes compare by how much colour they share);
* histograms of oriented gradients (Dalal & Triggs 2005): the grey image's
  gradient directions, 8 unsigned orientations weighted by strength, in a
  4 × 4 grid of cells, each direction shared between its two nearest bins.

Why this and not a network: a network worth its name (Inception, CLIP, DINO) means
weights downloaded from somewhere, which this studio never does; a randomly
initialised network would do, but its numbers would hang on a random generator's
stream across library versions. These histograms are the same on every machine,
cost a few array operations, and say what they measure: two sets of pictures with
the same palette and the same kinds of strokes are "uniform" here even when no
pixel matches, which is the uniformization the audit asks about.

A person who has a feature extractor of their own (a TorchScript file mapping
(N, 3, H, W) floats in [0, 1] to (N, D)) names it, and the audit uses it instead:
``load_extractor(path)``. Nothing is downloaded either way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import AuditError

COLOUR_BINS = 4
ORIENTATIONS = 8
GRID = 4
BATCH = 256

FeatureMap = Callable[[np.ndarray], np.ndarray]  # (N, R, R, 3) uint8 → (N, D) float32


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 1e-12)


def colour_histogram(images: np.ndarray) -> np.ndarray:
    """(N, 4³) square roots of the joint RGB histogram: unit length, as the Hellinger embedding is.

    >>> h = colour_histogram(np.zeros((1, 4, 4, 3), np.uint8)); h.shape, float(h[0, 0])
    ((1, 64), 1.0)
    """
    images = np.asarray(images)
    q = (images.astype(np.int64) * COLOUR_BINS) >> 8  # 0..3 per channel
    code = (q[..., 0] * COLOUR_BINS + q[..., 1]) * COLOUR_BINS + q[..., 2]
    n, pixels = len(images), code[0].size if len(images) else 1
    slots = (np.arange(n)[:, None] * COLOUR_BINS**3 + code.reshape(n, -1)).ravel()
    counts = np.bincount(slots, minlength=n * COLOUR_BINS**3).reshape(n, -1).astype(np.float64)
    return np.sqrt(counts / pixels).astype(np.float32)


def gradient_histogram(images: np.ndarray) -> np.ndarray:
    """(N, 4 × 4 × 8) histograms of oriented gradients of the grey image, unit length (0 for a flat image)."""
    images = np.asarray(images)
    n, r = len(images), images.shape[1]
    grey = np.pad(images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32), ((0, 0), (1, 1), (1, 1)),
                  mode="edge")  # fmt: skip
    gx = (grey[:, 1:-1, 2:] - grey[:, 1:-1, :-2]) / 2
    gy = (grey[:, 2:, 1:-1] - grey[:, :-2, 1:-1]) / 2
    strength = np.hypot(gx, gy)
    position = (np.arctan2(gy, gx) % np.pi) / np.pi * ORIENTATIONS - 0.5  # bin centres at 0.5, 1.5, ...
    low = np.floor(position).astype(np.int64)
    high_share = position - low
    cell = (np.arange(r) * GRID // r)
    cell_of = (cell[:, None] * GRID + cell[None, :]).reshape(-1)
    size = n * GRID * GRID * ORIENTATIONS
    base = ((np.arange(n)[:, None] * GRID * GRID + cell_of[None, :]) * ORIENTATIONS).ravel()
    out = np.zeros(size)
    for bins, share in ((low % ORIENTATIONS, 1 - high_share), ((low + 1) % ORIENTATIONS, high_share)):
        out += np.bincount(base + bins.reshape(-1), weights=(strength * share).reshape(-1), minlength=size)
    return _unit_rows(out.reshape(n, -1)).astype(np.float32)


def palette_and_strokes(images: np.ndarray) -> np.ndarray:
    """The default feature map: colour histogram and oriented gradients, each unit length, joined at equal
    weight (a unit vector of 192 numbers)."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected images as (N, R, R, 3), got shape {images.shape}")
    return (np.concatenate([colour_histogram(images), gradient_histogram(images)], axis=1) / np.sqrt(2)).astype(np.float32)


def load_extractor(path: Path) -> FeatureMap:
    """A person's own feature extractor: a TorchScript file taking (N, 3, H, W) floats in [0, 1], giving (N, D).

    Refused in one line naming the file when it is not TorchScript or does not give one row of
    finite numbers per image (checked on two grey images at once).
    """
    import torch

    path = Path(path)
    try:
        module = torch.jit.load(str(path), map_location="cpu")
    except (OSError, RuntimeError, ValueError) as exc:
        raise AuditError(f"{path}: not a TorchScript feature extractor ({str(exc).splitlines()[0][:160]})") from exc
    module.eval()

    def features(images: np.ndarray) -> np.ndarray:
        images = np.asarray(images)
        rows = []
        for lo in range(0, len(images), BATCH):
            x = torch.from_numpy(np.ascontiguousarray(images[lo : lo + BATCH])).permute(0, 3, 1, 2).float() / 255.0
            try:
                with torch.no_grad():
                    y = module(x)
            except Exception as exc:  # any failure inside a person's own module: say which file, go no further
                raise AuditError(f"{path}: the feature extractor failed on images of shape {tuple(x.shape)} "
                                 f"({str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__})") from exc  # fmt: skip
            if not isinstance(y, torch.Tensor) or y.ndim != 2 or y.shape[0] != len(x):
                shape = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
                raise AuditError(f"{path}: the feature extractor gave {shape} for {len(x)} images; "
                                 "it must give one row per image, (N, D)")  # fmt: skip
            y = y.detach().float().numpy()
            if not np.isfinite(y).all():
                raise AuditError(f"{path}: the feature extractor gave numbers that are not finite")
            rows.append(y)
        return np.concatenate(rows) if rows else np.zeros((0, 0), np.float32)

    features(np.full((2, 16, 16, 3), 128, np.uint8))  # refuse a bad file now, not half-way through an audit
    return features


def feature_vectors(images: np.ndarray, extractor: FeatureMap | None = None) -> np.ndarray:
    """Unit feature vectors: the default map, or ``extractor``'s rows scaled to length 1 (each image on its own,
    so samples and held-out images stand in one space)."""
    if extractor is None:
        return palette_and_strokes(images)
    return _unit_rows(np.asarray(extractor(images), np.float32))
