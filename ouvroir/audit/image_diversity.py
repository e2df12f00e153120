"""How diverse a set of generated images is, against as many of the corpus's own, on pixels and on features.

Three measures, each on unit vectors (``image_copies.unit_vectors`` for pixels,
``image_features.feature_vectors`` for palette and strokes), each higher when
more diverse:

* **Vendi score** (Friedman & Dieng 2023): exp of the entropy of the eigenvalues
  of K/N, K the cosine similarities — the effective number of distinct images,
  1 when all are the same;
* **coverage** (Naeem, Oh, Uh, Choi & Yoo 2020): the share of reference images
  (held out from training) whose ball to their k-th nearest reference neighbour
  holds at least one of the set's images — how much of what people made the set
  reaches;
* **distinct share**: the number of memorization clusters over the number of
  images, a cluster being a connected group of near-identical images (each
  within the copy threshold of another: the groups Carlini et al. look for when
  the training set is unknown); 1 when no two images are near-identical.

``compare`` gives each measure for the samples and for as many corpus images, and
their ratio (samples / corpus, below 1: the samples are less diverse than the
works), with the bootstrap intervals of ``ouvroir.audit.bootstrap`` when the sets
are small enough for the resamples to be cheap.
"""

from __future__ import annotations

import numpy as np

from . import bootstrap
from .image_copies import FACTOR, QUANTILE, nearest

COVERAGE_K = 5
INTERVAL_MAX = 128  # images per side up to which every measure is resampled (Vendi is an eigenproblem per draw)
MEASURES = ("vendi", "coverage", "distinct_share")


def _as_unit(vectors: np.ndarray) -> np.ndarray:
    """Rows as given; an all-zero row (a flat image once centred) stands for one shared direction."""
    v = np.asarray(vectors, np.float64)
    flat = np.linalg.norm(v, axis=1) < 1e-9
    if flat.any():
        v = v.copy()
        v[flat] = 1.0 / np.sqrt(v.shape[1])
    return v


def vendi(vectors: np.ndarray) -> float:
    """exp(entropy of the eigenvalues of K/N), K the cosine similarities of the rows.

    >>> round(vendi(np.tile([[1.0, 0.0]], (4, 1))), 6), round(vendi(np.eye(3)), 6)
    (1.0, 3.0)
    """
    v = _as_unit(vectors)
    n = len(v)
    if n == 0:
        return 0.0
    # the non-zero eigenvalues of V Vᵀ/N and Vᵀ V/N are the same: take the smaller matrix
    gram = (v @ v.T if n <= v.shape[1] else v.T @ v) / n
    return _entropy_exp(np.linalg.eigvalsh(gram))


def _entropy_exp(eig: np.ndarray) -> float:
    eig = eig[eig > 1e-12]
    eig = eig / eig.sum()
    return float(np.exp(-np.sum(eig * np.log(eig))))


def radii(reference: np.ndarray, k: int = COVERAGE_K) -> np.ndarray:
    """Each reference image's distance to its k-th nearest other reference image."""
    found = nearest(reference, reference, k, exclude=np.arange(len(reference)))
    return found.distance[:, -1]


def coverage(reference: np.ndarray, images: np.ndarray, k: int = COVERAGE_K) -> float:
    """Share of reference images with at least one of ``images`` inside their k-NN ball (Naeem et al. 2020)."""
    reference, images = np.asarray(reference, np.float32), np.asarray(images, np.float32)
    if len(reference) <= k or not len(images):
        return float("nan")
    nearest_image = nearest(reference, images, 1).distance[:, 0]
    return float(np.mean(nearest_image <= radii(reference, k)))


def _pairwise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float64)
    sq = (v * v).sum(1)
    return np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * v @ v.T, 0.0))


def near_identical(held: np.ndarray, train: np.ndarray) -> float:
    """The distance under which two images count as near-identical in this space: the copy threshold's rule
    (``image_copies.FACTOR`` × the ``QUANTILE`` of held-out → training nearest distances) on these vectors."""
    found = nearest(held, train, 1).distance[:, 0]
    return float(FACTOR * np.quantile(found, QUANTILE)) if len(found) else 0.0


def clusters(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Groups of two or more images each within ``threshold`` of another of the group, largest first."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(vectors)
    if n < 2:
        return []
    _, label = connected_components(csr_matrix(_pairwise(vectors) < threshold), directed=False)
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(label):
        groups.setdefault(int(c), []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))


def distinct_share(vectors: np.ndarray, threshold: float) -> float:
    """Clusters (single images counting as their own) over images: 1 when no two images are near-identical."""
    n = len(vectors)
    if not n:
        return float("nan")
    return (n - sum(len(g) - 1 for g in clusters(vectors, threshold))) / n


def profile(vectors: np.ndarray, reference: np.ndarray, threshold: float) -> dict[str, float]:
    return {"vendi": vendi(vectors), "coverage": coverage(reference, vectors),
            "distinct_share": distinct_share(vectors, threshold)}  # fmt: skip


def compare(samples: np.ndarray, corpus: np.ndarray, reference: np.ndarray, threshold: float,
            seed: int = bootstrap.SEED) -> dict:  # fmt: skip
    """Every measure on the samples and on as many corpus images (both cut to the smaller count), their
    ratio, and the bootstrap intervals when each side holds at most ``INTERVAL_MAX`` images.

    ``reference`` (held-out images, never the ``corpus`` images themselves) is what coverage reaches for.
    """
    n = min(len(samples), len(corpus))
    samples, corpus = np.asarray(samples)[:n], np.asarray(corpus)[:n]
    point_s, point_c = profile(samples, reference, threshold), profile(corpus, reference, threshold)
    resampled = _resampled(samples, corpus, reference, threshold, seed) if 2 <= n <= INTERVAL_MAX else None
    rows = []
    for name in MEASURES:
        s, c = point_s[name], point_c[name]
        ratio = s / c if c and np.isfinite(c) and np.isfinite(s) else None
        row = {"name": name, "samples": _round(s), "corpus": _round(c), "ratio": _round(ratio),
               "samples_interval": None, "corpus_interval": None, "ratio_interval": None}  # fmt: skip
        if resampled is not None and ratio is not None:
            rs, rc = resampled[name]
            row["samples_interval"] = bootstrap.interval(s, rs)
            row["corpus_interval"] = bootstrap.interval(c, rc)
            row["ratio_interval"] = bootstrap.interval(ratio, bootstrap.ratio_values(rs, rc, True))
            row["indistinguishable"] = bootstrap.indistinguishable(row["ratio_interval"])
        rows.append(row)
    return {"n_images": n, "measures": rows, "resamples": bootstrap.RESAMPLES if resampled else None,
            "level": bootstrap.LEVEL if resampled else None}  # fmt: skip


def _round(x) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


def _resampled(samples: np.ndarray, corpus: np.ndarray, reference: np.ndarray, threshold: float,
               seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """Each measure on every bootstrap draw of each side, from distances computed once."""
    n = len(samples)
    radius = radii(reference) if len(reference) > COVERAGE_K else None
    out: dict[str, list[np.ndarray]] = {name: [] for name in MEASURES}
    for side, v in enumerate((samples, corpus)):
        u = _as_unit(v)
        kernel, pairs = u @ u.T, _pairwise(u)
        to_reference = _cross(reference, v) if radius is not None else None
        draws = bootstrap.draws(n, seed + side)
        out["vendi"].append(np.array([_resampled_vendi(kernel, d) for d in draws]))
        if to_reference is None:
            out["coverage"].append(np.full(len(draws), np.nan))
        else:
            out["coverage"].append(np.array([np.mean(to_reference[:, d].min(axis=1) <= radius) for d in draws]))
        out["distinct_share"].append(np.array([_share(pairs, d, threshold) for d in draws]))
    return {name: (values[0], values[1]) for name, values in out.items()}


def _resampled_vendi(kernel: np.ndarray, draw: np.ndarray) -> float:
    """Vendi of a draw with repeats, from its distinct images: K/N over the draw has the non-zero eigenvalues
    of √c K √c / N over the distinct ones (c their counts), a smaller matrix."""
    unique, counts = np.unique(draw, return_counts=True)
    root = np.sqrt(counts)
    return _entropy_exp(np.linalg.eigvalsh(kernel[np.ix_(unique, unique)] * root[:, None] * root[None, :] / len(draw)))


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.sqrt(np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T, 0.0))


def _share(pairs: np.ndarray, draw: np.ndarray, threshold: float) -> float:
    """Distinct share of a resample, a drawn image's repeats counted as one (they are the same image, not a copy)."""
    unique = np.unique(draw)
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    count, _ = connected_components(csr_matrix(pairs[np.ix_(unique, unique)] < threshold), directed=False)
    return count / len(unique)
