"""What a generated image copies: its nearest training images, a threshold set by people's own images,
and the three-sample data-copying test.

Two distances, both exact (every pair is compared; ``nearest`` equals a brute-force search):

* **pixels**, at the model's resolution: each image is softened by a Gaussian blur
  of one pixel (JPEG's blocks and noise then move it little), centred (its mean
  removed: a copy made lighter is still a copy) and scaled to unit length; the
  distance is the Euclidean one between those vectors, in [0, 2]
  (``sqrt(2 − 2·correlation)``), a thousand samples against ten thousand images
  as one matrix product per block of samples. The flag then reads the **aligned**
  distance to the ``CANDIDATES`` nearest: the least over the sample moved by up to
  one pixel each way, so a copy shifted by a pixel is not let through (a shifted
  copy's plain distance can reach the baseline's; its nearest image stays right);
* **perceptual hash** (DCT pHash, 64 bits), Hamming distance in bits: a resized or
  re-encoded copy keeps almost all its bits.

The threshold is calibrated by the **human baseline**: the distances of held-out
images (by the same people, never trained on) to their nearest training image.
A sample is flagged nearer a training image than ``FACTOR`` × the ``QUANTILE`` of
those distances (see ``flags``): closer than almost any person's own other picture.

The three-sample test of Meehan, Chaudhuri and Dasgupta (AISTATS 2020) asks the
same question of the whole set: are the samples nearer the training set than
held-out images are? In each cell of a partition of the training set (k-means),
the Mann–Whitney U statistic compares the two sets' nearest distances, as a
z-score; ``C_T`` is their average weighted by the held-out share of each cell.
``C_T`` well below 0 (a z-score: −3 is three standard errors) says the model
copies; well above 0, that its samples stand farther from the corpus than new work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

QUANTILE = 0.05  # of held-out → training nearest distances
FACTOR = 0.5  # a flagged sample is twice as near as the nearest 5 % of people's held-out images
CHUNK_BYTES = 64 << 20  # the block of distances computed at once
MIN_CELL = 5  # samples and held-out images a cell needs for its own U statistic
CELL_SIZE = 25  # held-out images per k-means cell, when there are enough for more than one
MAX_CELLS = 10
FIT_IMAGES = 2000
COPYING_Z = -3.0


# --- vectors ----------------------------------------------------------------------------------


BLUR = np.exp(-0.5 * np.arange(-2, 3) ** 2)  # a Gaussian of one pixel's standard deviation, five taps
BLUR /= BLUR.sum()
SHIFTS = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
CANDIDATES = 8  # nearest images by plain distance whose aligned distance is measured


def _blurred(images: np.ndarray) -> np.ndarray:
    """(N, R, R, 3) uint8 → float32 (N, R, R, 3) in [0, 1], blurred by ``BLUR`` along both axes, the edge repeated."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255.0
    w = torch.from_numpy(BLUR.astype(np.float32))
    with torch.no_grad():
        x = torch.nn.functional.pad(x, (2, 2, 2, 2), mode="replicate")
        x = torch.nn.functional.conv2d(x, w.view(1, 1, 1, 5).repeat(3, 1, 1, 1), groups=3)
        x = torch.nn.functional.conv2d(x, w.view(1, 1, 5, 1).repeat(3, 1, 1, 1), groups=3)
    return x.permute(0, 2, 3, 1).numpy()


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.array(x, np.float32).reshape(len(x), -1)
    x -= x.mean(axis=1, keepdims=True)
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))[:, None]
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 1e-6)


def unit_vectors(images: np.ndarray) -> np.ndarray:
    """(N, R, R, 3) uint8 → (N, 3R²) float32: blurred, centred, unit length (a flat image stays 0).

    >>> v = unit_vectors(np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8))
    >>> v.shape, [round(float(n), 4) for n in np.linalg.norm(v, axis=1)]
    ((2, 192), [1.0, 1.0])
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected images as (N, R, R, 3), got shape {images.shape}")
    return _unit(_blurred(images))


def aligned_distance(images: np.ndarray, base: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """The distance of each image to each of its candidate base vectors, the image moved by up to one pixel
    each way (the least of the nine): a copy shifted by a pixel stands as near as one left in place.

    ``images`` (n, R, R, 3) uint8, ``base`` (m, D) unit vectors, ``candidates`` (n, K) indices of ``base``.
    """
    blurred = np.pad(_blurred(images), ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    r = blurred.shape[1] - 2
    out = np.empty(candidates.shape)
    step = max(1, CHUNK_BYTES // (4 * base.shape[1] * (len(SHIFTS) + candidates.shape[1])))
    for lo in range(0, len(images), step):
        part = blurred[lo : lo + step]
        moved = np.stack([_unit(part[:, 1 + dy : 1 + dy + r, 1 + dx : 1 + dx + r]) for dy, dx in SHIFTS], axis=1)
        near = base[candidates[lo : lo + step]]
        sq = np.einsum("nsd,nsd->ns", moved, moved)[:, :, None] + np.einsum("nkd,nkd->nk", near, near)[:, None, :]
        sq -= 2 * np.einsum("nsd,nkd->nsk", moved, near)
        out[lo : lo + step] = np.sqrt(np.maximum(sq, 0.0)).min(axis=1)
    return out


@dataclass
class Neighbours:
    """The k nearest base items of each query, nearest first."""

    index: np.ndarray  # (n, k) int64
    distance: np.ndarray  # (n, k) float64
    aligned_index: np.ndarray | None = None  # (n,) the candidate nearest once moved by up to a pixel


def nearest(queries: np.ndarray, base: np.ndarray, k: int = 1, exclude: np.ndarray | None = None) -> Neighbours:
    """The ``k`` nearest rows of ``base`` to each row of ``queries`` (unit vectors), Euclidean, exact.

    The distances come from one float32 matrix product per block; every base row within
    float32's error of the k-th is measured again in float64 from the vectors themselves,
    so the answer is a brute-force scan's: ties go to the lower index, as a scan keeps
    the first it meets. ``exclude[i]`` (an index of ``base``, or −1) is left out for
    query ``i``: an image against the others, when the baseline is each work against the rest.
    """
    queries, base = np.asarray(queries, np.float32), np.asarray(base, np.float32)
    n, m = len(queries), len(base)
    k = min(k, m - (exclude is not None))
    if n == 0 or k <= 0:
        return Neighbours(np.zeros((n, 0), np.int64), np.zeros((n, 0)))
    base_sq = np.einsum("ij,ij->i", base, base)
    rows = max(1, CHUNK_BYTES // (4 * max(1, m)))
    index = np.empty((n, k), np.int64)
    distance = np.empty((n, k))
    for lo in range(0, n, rows):
        q = queries[lo : lo + rows]
        # ‖q − b‖² = ‖q‖² + ‖b‖² − 2 q·b: one matrix product per block
        d2 = base_sq[None, :] - 2.0 * (q @ base.T)
        d2 += np.einsum("ij,ij->i", q, q)[:, None]
        if exclude is not None:
            ex = np.asarray(exclude[lo : lo + rows])
            hit = ex >= 0
            d2[np.flatnonzero(hit), ex[hit]] = np.inf

        def exact(i: int, cols: np.ndarray, q=q) -> np.ndarray:
            diff = base[cols].astype(np.float64) - q[i].astype(np.float64)
            return np.einsum("ij,ij->i", diff, diff)

        index[lo : lo + rows], distance[lo : lo + rows] = _smallest(d2, k, exact, slack=1e-4)
    return Neighbours(index, np.sqrt(np.maximum(distance, 0.0)))


def _smallest(d: np.ndarray, k: int, exact=None, slack: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the k smallest of each row, ascending, ties by index.

    With ``exact(i, cols)``, the columns within ``slack`` of the row's k-th value are
    measured again by it and ranked on those values.
    """
    kth = np.partition(d, k - 1, axis=1)[:, k - 1 : k] if k < d.shape[1] else d.max(axis=1, keepdims=True)
    index, values = np.empty((len(d), k), np.int64), np.empty((len(d), k))
    for i in range(len(d)):
        cols = np.flatnonzero(d[i] <= kth[i, 0] + slack)
        v = exact(i, cols) if exact is not None else d[i, cols].astype(np.float64)
        order = np.lexsort((cols, v))[:k]
        index[i], values[i] = cols[order], v[order]
    return index, values


# --- perceptual hashes --------------------------------------------------------------------------


def _dct_matrix(n: int) -> np.ndarray:
    """The orthonormal DCT-II matrix: the same coefficients as scipy.fft.dct(norm='ortho')."""
    k, i = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2 / n)
    m[0] /= math.sqrt(2)
    return m


def phashes(images: np.ndarray) -> np.ndarray:
    """64-bit DCT pHashes of (N, R, R, 3) uint8 images, np.uint64 (N,).

    The same hash as ouvroir.media.images.phash.phash gives one image (Pillow's grey
    levels, 32 × 32, the 8 × 8 lowest frequencies against their median, first row
    first, most significant bit first), in a batch: ten thousand hashes are a few
    matrix products.
    """
    grey = _grey32(np.asarray(images))
    d = _dct_matrix(32)
    low = (d[:8] @ grey @ d[:8].T).reshape(len(grey), 64)
    bits = low > np.median(low, axis=1, keepdims=True)
    return np.packbits(bits, axis=1).view(">u8").ravel().astype(np.uint64)


def _grey32(images: np.ndarray) -> np.ndarray:
    """Grey levels as Pillow's "L" gives them (ITU-R 601 in 16-bit fixed point, rounded), at 32 × 32
    (Lanczos, as the media module's pHash reduces), float64."""
    from PIL import Image

    rgb = images.astype(np.int32)  # 255 × 65536 fits
    grey = ((rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 0x8000) >> 16).astype(np.uint8)
    if grey.shape[1:] != (32, 32):
        grey = np.stack([np.asarray(Image.fromarray(g).resize((32, 32), Image.Resampling.LANCZOS)) for g in grey])
    return grey.astype(np.float64)


def hash_bits(hashes: np.ndarray) -> np.ndarray:
    """(N,) uint64 → (N, 64) float32 of 0 and 1, most significant bit first."""
    raw = np.asarray(hashes, np.uint64).astype(">u8").view(np.uint8).reshape(-1, 8)
    return np.unpackbits(raw, axis=1).astype(np.float32)


def nearest_hamming(queries: np.ndarray, base: np.ndarray, k: int = 1, exclude: np.ndarray | None = None) -> Neighbours:
    """The ``k`` nearest hashes of ``base`` to each query hash, in bits, exact (a matrix product of bits)."""
    q, b = hash_bits(queries), hash_bits(base)
    n, m = len(q), len(b)
    k = min(k, m - (exclude is not None))
    if n == 0 or k <= 0:
        return Neighbours(np.zeros((n, 0), np.int64), np.zeros((n, 0)))
    rows = max(1, CHUNK_BYTES // (4 * max(1, m)))
    index, distance = np.empty((n, k), np.int64), np.empty((n, k))
    ones = b.sum(axis=1)
    for lo in range(0, n, rows):
        block = q[lo : lo + rows]
        d = block.sum(axis=1)[:, None] + ones[None, :] - 2.0 * (block @ b.T)  # |a| + |b| − 2 a·b = bits that differ
        if exclude is not None:
            ex = np.asarray(exclude[lo : lo + rows])
            hit = ex >= 0
            d[np.flatnonzero(hit), ex[hit]] = np.inf
        index[lo : lo + rows], distance[lo : lo + rows] = _smallest(d, k)
    return Neighbours(index, distance)


# --- threshold, flags, the three-sample test -----------------------------------------------------


@dataclass
class Threshold:
    pixels: float
    hash_bits: float
    quantile: float
    factor: float
    baseline_images: int


def calibrate(baseline_pixels: np.ndarray, baseline_hash: np.ndarray, quantile: float = QUANTILE,
              factor: float = FACTOR) -> Threshold:  # fmt: skip
    """``factor`` × the ``quantile`` of the human baseline's nearest distances, on each measure.

    >>> t = calibrate(np.linspace(0.2, 1.2, 101), np.arange(10, 31))
    >>> round(t.pixels, 3), t.hash_bits
    (0.125, 5.5)
    """
    pixels, bits = np.asarray(baseline_pixels, float), np.asarray(baseline_hash, float)
    if not pixels.size:
        raise ValueError("no baseline image: the threshold needs held-out images or at least two works")
    return Threshold(pixels=float(factor * np.quantile(pixels, quantile)), hash_bits=float(factor * np.quantile(bits, quantile)),
                     quantile=quantile, factor=factor, baseline_images=int(pixels.size))  # fmt: skip


def flags(aligned: np.ndarray, hash_distance: np.ndarray, threshold: Threshold) -> np.ndarray:
    """True where a sample stands nearer a training image than the threshold in pixels, or than the
    threshold in hash bits while its pixels already put it among the nearest ``QUANTILE`` of people's
    images (the hash alone does not flag: 64 bits of simple drawings meet by chance more often than pixels do).
    """
    aligned, bits = np.asarray(aligned), np.asarray(hash_distance)
    near = aligned < threshold.pixels / threshold.factor
    return (aligned < threshold.pixels) | ((bits < threshold.hash_bits) & near)


def mann_whitney_z(samples: np.ndarray, held: np.ndarray) -> tuple[float, float]:
    """U (pairs where the sample is farther than the held-out image, ties ½) and its z-score under no difference.

    >>> mann_whitney_z(np.array([0.1, 0.2]), np.array([0.5, 0.6, 0.7]))
    (0.0, -1.732051)
    """
    from scipy.stats import rankdata

    m, n = len(samples), len(held)
    ranks = rankdata(np.concatenate([samples, held]))
    u = float(ranks[:m].sum() - m * (m + 1) / 2)
    sd = math.sqrt(m * n * (m + n + 1) / 12)
    return u, round((u - m * n / 2) / sd, 6) if sd else 0.0


def cells_of(train: np.ndarray, held_count: int, seed: int = 0, iterations: int = 15) -> np.ndarray | None:
    """k-means centroids of the training vectors (Lloyd's iterations from ``k`` drawn images, fitted on at
    most ``FIT_IMAGES`` of them), one cell per ``CELL_SIZE`` held-out images; None for a single cell."""
    k = min(MAX_CELLS, held_count // CELL_SIZE, len(train) // 2)
    if k < 2:
        return None
    rng = np.random.default_rng(seed)
    fit = train[rng.choice(len(train), min(len(train), FIT_IMAGES), replace=False)]
    centroids = fit[rng.choice(len(fit), k, replace=False)].astype(np.float32)
    for _ in range(iterations):
        label = assign(fit, centroids)
        for c in range(k):
            members = fit[label == c]
            if len(members):  # an emptied cell keeps its centre
                centroids[c] = members.mean(axis=0)
    return centroids


def assign(vectors: np.ndarray, centroids: np.ndarray | None) -> np.ndarray:
    if centroids is None:
        return np.zeros(len(vectors), np.int64)
    c = np.asarray(centroids, np.float32)
    return ((c * c).sum(1)[None, :] - 2 * (np.asarray(vectors, np.float32) @ c.T)).argmin(axis=1)


@dataclass
class CopyingTest:
    c_t: float | None
    cells: list[dict] = field(default_factory=list)  # per cell: samples, held, u, z, weight
    global_z: float | None = None
    p_value: float | None = None  # one-sided: samples nearer than held-out images
    copying: bool = False


def three_sample_test(sample_d: np.ndarray, held_d: np.ndarray, sample_cell: np.ndarray | None = None,
                      held_cell: np.ndarray | None = None) -> CopyingTest:  # fmt: skip
    """Meehan–Chaudhuri–Dasgupta's C_T from each set's distances to its nearest training image."""
    from scipy.stats import mannwhitneyu

    sample_d, held_d = np.asarray(sample_d, float), np.asarray(held_d, float)
    if len(sample_d) < 2 or len(held_d) < 2:
        return CopyingTest(None)
    sample_cell = np.zeros(len(sample_d), int) if sample_cell is None else np.asarray(sample_cell)
    held_cell = np.zeros(len(held_d), int) if held_cell is None else np.asarray(held_cell)
    rows = []
    for cell in np.unique(held_cell):
        s, h = sample_d[sample_cell == cell], held_d[held_cell == cell]
        if len(s) >= MIN_CELL and len(h) >= MIN_CELL:
            u, z = mann_whitney_z(s, h)
            rows.append({"cell": int(cell), "samples": len(s), "held_out": len(h), "u": u, "z": z,
                         "weight": len(h) / len(held_d)})  # fmt: skip
    if not rows:  # no cell holds enough of both: the test on the whole set
        u, z = mann_whitney_z(sample_d, held_d)
        rows = [{"cell": 0, "samples": len(sample_d), "held_out": len(held_d), "u": u, "z": z, "weight": 1.0}]
    c_t = sum(r["weight"] * r["z"] for r in rows) / sum(r["weight"] for r in rows)
    _, global_z = mann_whitney_z(sample_d, held_d)
    p = float(mannwhitneyu(sample_d, held_d, alternative="less").pvalue)
    return CopyingTest(round(c_t, 4), rows, global_z, p, c_t < COPYING_Z)


@dataclass
class CopySearch:
    """Per sample: its nearest training images by pixels and by hash, and whether it is flagged."""

    pixel: Neighbours
    hash: Neighbours
    aligned: np.ndarray  # (n,) the distance the flag reads: least over one-pixel moves, to the nearest candidates
    held_pixel: np.ndarray  # the baseline's nearest distances
    held_hash: np.ndarray
    threshold: Threshold
    flagged: np.ndarray  # (n,) bool
    test: CopyingTest

    def source(self, i: int) -> int:
        """The training image a flagged sample copies: the pixel match, unless only the hash saw it."""
        if self.aligned[i] >= self.threshold.pixels and self.hash.distance[i, 0] < self.threshold.hash_bits:
            return int(self.hash.index[i, 0])
        return int(self.pixel.aligned_index[i])


def search_copies(samples: np.ndarray, train: np.ndarray, held: np.ndarray | None = None, k: int = 3,
                  seed: int = 0, quantile: float = QUANTILE, factor: float = FACTOR,
                  threshold: Threshold | None = None) -> CopySearch:  # fmt: skip
    """Every sample against every training image; the baseline is ``held`` against them, else each
    training image against the others (leave one out). Images are (N, R, R, 3) uint8 at one resolution."""
    train_v, train_h = unit_vectors(train), phashes(train)
    baseline = held if held is not None and len(held) else train
    exclude = None if baseline is not train else np.arange(len(train))
    held_v = unit_vectors(baseline)
    held_pixel = _aligned(baseline, held_v, train_v, exclude)[1]
    held_hash = nearest_hamming(phashes(baseline), train_h, 1, exclude).distance[:, 0]
    threshold = threshold or calibrate(held_pixel, held_hash, quantile, factor)
    sample_v = unit_vectors(samples)
    pixel, aligned = _aligned(samples, sample_v, train_v, None, k)
    hashed = nearest_hamming(phashes(samples), train_h, k)
    flagged = flags(aligned, hashed.distance[:, 0], threshold)
    centroids = cells_of(train_v, len(held_v), seed)
    test = three_sample_test(aligned, held_pixel, assign(sample_v, centroids), assign(held_v, centroids))
    return CopySearch(pixel, hashed, aligned, held_pixel, held_hash, threshold, flagged, test)


def _aligned(images: np.ndarray, vectors: np.ndarray, train_v: np.ndarray, exclude: np.ndarray | None,
             k: int = 1) -> tuple[Neighbours, np.ndarray]:  # fmt: skip
    """The exact nearest training images, and the aligned distance to the nearest of the first ``CANDIDATES``
    (the training image a flag names is then the one the aligned distance found: see ``CopySearch.source``)."""
    found = nearest(vectors, train_v, max(k, CANDIDATES), exclude)
    aligned = aligned_distance(images, train_v, found.index)
    best = aligned.argmin(axis=1)
    found.aligned_index = np.take_along_axis(found.index, best[:, None], axis=1)[:, 0]
    found.index, found.distance = found.index[:, :k], found.distance[:, :k]
    return found, aligned.min(axis=1)


def attribute(search: CopySearch, train_works: Sequence[str]) -> list[str | None]:
    """The work each sample copies (None where it is not flagged)."""
    return [train_works[search.source(i)] if f else None for i, f in enumerate(search.flagged)]
