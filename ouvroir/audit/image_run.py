"""Auditing images: a model's generated pictures, or any pictures, against the studio's image works.

Two subjects, as for texts:

* a **model**: its samples against its snapshot's training images at the model's
  resolution; the human baseline is the snapshot's held-out images (never trained on);
* **images** (any files: a commercial generator's outputs), against every image work
  of the studio — an audit reads and trains nothing — the baseline being each work
  against the others.

The instruments are ``image_copies`` (nearest works, calibrated flags, the three-sample
test), ``image_diversity`` (Vendi, coverage, memorization clusters) on pixels and on
``image_features``; the report is ``ouvroir.report.image_build``. Bad files are skipped
with their one line and the rest go on.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AuditError, IngestError
from ..i18n.stages import Stage
from ..store.audits import insert_audit
from ..store.db import now, transaction
from ..version import __version__
from . import image_copies, image_diversity
from .image_features import feature_vectors, load_extractor
from .run import AuditOutcome

Progress = Callable[[str], None]
DEFAULT_RESOLUTION = 32
HISTOGRAM_BINS = 24
MAX_IMAGE_BYTES = 64 << 20


@dataclass
class ImageAuditOptions:
    resolution: int | None = None  # None: the model's, or DEFAULT_RESOLUTION for --images
    samples: int = 64
    seed: int = 0
    lang: str = "fr"
    features: Path | None = None  # a person's TorchScript feature extractor
    device: str = "auto"
    steps: int | None = None


@dataclass
class ImageCorpus:
    train: np.ndarray  # (N, R, R, 3) uint8
    train_works: list[str]
    held: np.ndarray | None  # None: each work against the others
    works: dict[str, dict]  # work id -> {"title", "author"}
    resolution: int
    snapshot_id: str | None = None
    baseline_source: str = "held-out images"


@dataclass
class Skipped:
    path: Path
    reason: str


def _square(image: np.ndarray, resolution: int) -> np.ndarray:
    from ..media.images.read import to_square

    return to_square(image, resolution)


def studio_images(studio, resolution: int) -> ImageCorpus:
    """Every image work of the studio at ``resolution``, whatever its consent: reading is not training."""
    from ..media.images.read import load_normalized

    works = sorted((w for w in studio.works(medium="image")), key=lambda w: w.text_sha256)
    if not works:
        raise AuditError("the studio has no images to audit against: add some with `ouvroir add FILES`")
    arrays = [_square(load_normalized(studio.blobs.get(w.text_sha256)), resolution) for w in works]
    info = {w.id: {"title": w.title, "author": w.author} for w in works}
    return ImageCorpus(np.stack(arrays), [w.id for w in works], None, info, resolution, None,
                       "each work against the others")  # fmt: skip


def model_images(studio, record, resolution: int) -> ImageCorpus:
    """The training and held-out images of a model's snapshot, each blob checked against the snapshot first."""
    from ..corpus.image_snapshot import image_arrays
    from ..corpus.snapshot import load_snapshot

    try:
        snapshot = load_snapshot(studio, record.snapshot_id)
    except (OSError, ValueError) as exc:
        raise AuditError(f"model {record.id}: its snapshot {record.snapshot_id} is gone or unreadable ({exc})") from exc
    arrays = image_arrays(studio, snapshot, resolution)
    info = {w.work_id: {"title": w.title, "author": w.author} for w in snapshot.works}
    held = arrays.val if len(arrays.val) else None
    return ImageCorpus(arrays.train, list(arrays.train_works), held, info, resolution, snapshot.id,
                       "held-out images" if held is not None else "each work against the others")  # fmt: skip


def read_images(paths: Sequence[Path], resolution: int) -> tuple[np.ndarray, list[str], list[Skipped]]:
    """Image files at ``resolution`` (centre square), read as ingest reads them; bad ones skipped with a reason."""
    from ..media.images.read import decode

    images, names, skipped = [], [], []
    for path in paths:
        try:
            data = path.read_bytes()
            if len(data) > MAX_IMAGE_BYTES:
                raise IngestError(f"larger than {MAX_IMAGE_BYTES >> 20} MB")
            images.append(_square(decode(data, path.name).pixels, resolution))
            names.append(path.name)
        except OSError as exc:
            skipped.append(Skipped(path, exc.strerror or str(exc)))
        except IngestError as exc:
            skipped.append(Skipped(path, str(exc)))
    stacked = np.stack(images) if images else np.zeros((0, resolution, resolution, 3), np.uint8)
    return stacked, names, skipped


def _histogram(samples: np.ndarray, baseline: np.ndarray, threshold: float) -> dict:
    top = float(max(np.max(samples, initial=0), np.max(baseline, initial=0), threshold)) * 1.05 or 1.0
    edges = np.linspace(0.0, top, HISTOGRAM_BINS + 1)
    return {"edges": [round(float(e), 4) for e in edges],
            "samples": np.histogram(samples, edges)[0].tolist(), "baseline": np.histogram(baseline, edges)[0].tolist(),
            "threshold": round(threshold, 4)}  # fmt: skip


def _diversity(samples: np.ndarray, corpus: ImageCorpus, vectors, seed: int) -> dict:
    """Samples against as many corpus images; coverage reaches for the held-out images (or the other half)."""
    rng = np.random.default_rng(seed)
    if corpus.held is not None and len(corpus.held) > image_diversity.COVERAGE_K:
        reference = corpus.held
        matched = corpus.train[rng.permutation(len(corpus.train))[: len(samples)]]
    else:  # no held-out images: two disjoint draws of the works, one to compare, one to reach for
        order = rng.permutation(len(corpus.train))
        half = len(order) // 2
        matched, reference = corpus.train[order[: min(len(samples), half)]], corpus.train[order[half:]]
    s, m, r = vectors(samples), vectors(matched), vectors(reference)
    threshold = image_diversity.near_identical(r, vectors(corpus.train)) if corpus.held is not None else None
    if threshold is None:  # each work against the others, the copy rule's leave-one-out
        t = vectors(corpus.train)
        found = image_copies.nearest(t, t, 1, np.arange(len(t))).distance[:, 0]
        threshold = float(image_copies.FACTOR * np.quantile(found, image_copies.QUANTILE)) if len(found) else 0.0
    out = image_diversity.compare(s, m, r, threshold, seed)
    out["clusters"] = image_diversity.clusters(s, threshold)
    out["near_identical"] = round(threshold, 6)
    return out


def assemble(corpus: ImageCorpus, samples: np.ndarray, labels: list[str], subject: dict,
             options: ImageAuditOptions, progress: Progress | None = None) -> dict:  # fmt: skip
    """Every instrument on the samples; the audit's JSON document."""
    if len(samples) == 0:
        raise AuditError("no image to audit")
    if len(corpus.train) < 2:
        raise AuditError("the corpus holds one image: a copy threshold needs at least two works to compare")
    if progress:
        progress(Stage("audit_checking_images", f"checking {len(samples)} images against {len(corpus.train)} works",
                       images=len(samples), works=len(corpus.train)))  # fmt: skip
    search = image_copies.search_copies(samples, corpus.train, corpus.held, k=3, seed=options.seed)
    extractor = load_extractor(options.features) if options.features else None
    spaces = {"pixels": image_copies.unit_vectors, "features": lambda im: feature_vectors(im, extractor)}
    if progress:
        progress(Stage("audit_measuring_images", "measuring diversity"))
    diversity = {name: _diversity(samples, corpus, v, options.seed) for name, v in spaces.items()}
    threshold = search.threshold
    records = []
    for i, label in enumerate(labels):
        nearest = [{"work_id": corpus.train_works[j], **corpus.works.get(corpus.train_works[j], {}), "train_index": int(j),
                    "distance": round(float(d), 4)} for j, d in zip(search.pixel.index[i], search.pixel.distance[i])]  # fmt: skip
        source = search.source(i)
        records.append({"id": f"i{i + 1}", "label": label, "nearest": nearest,
                        "aligned_distance": round(float(search.aligned[i]), 4),
                        "hash_bits": int(search.hash.distance[i, 0]),
                        "hash_work_id": corpus.train_works[int(search.hash.index[i, 0])],
                        "flagged": bool(search.flagged[i]),
                        "source": ({"work_id": corpus.train_works[source], **corpus.works.get(corpus.train_works[source], {}),
                                    "train_index": source} if search.flagged[i] else None)})  # fmt: skip
    baseline_flagged = image_copies.flags(search.held_pixel, search.held_hash, threshold)
    test = search.test
    authors = {w.get("author") for w in corpus.works.values() if w.get("author")}
    return {
        "format": "ouvroir-audit/1",
        "created": now(),
        "ouvroir_version": __version__,
        "lang": options.lang,
        "medium": "image",
        "subject": subject,
        "corpus": {"works": len(set(corpus.train_works)), "authors": len(authors), "images": len(corpus.train),
                   "held_out": 0 if corpus.held is None else len(corpus.held), "resolution": corpus.resolution},
        "settings": {"resolution": corpus.resolution, "quantile": threshold.quantile, "factor": threshold.factor,
                     "seed": options.seed, "features": str(options.features) if options.features else "palette-and-strokes"},
        "images": records,
        "copies": {
            "threshold": {"pixels": round(threshold.pixels, 4), "hash_bits": threshold.hash_bits,
                          "baseline_images": threshold.baseline_images, "source": corpus.baseline_source},
            "flagged": int(search.flagged.sum()), "images": len(records),
            "flagged_share": round(float(search.flagged.mean()), 4),
            "baseline_flagged_share": round(float(baseline_flagged.mean()), 4) if len(baseline_flagged) else None,
            "three_sample_test": {"c_t": test.c_t, "global_z": test.global_z, "p_value": test.p_value,
                                  "copying": test.copying, "cells": test.cells},
            "histogram": _histogram(search.aligned, search.held_pixel, threshold.pixels),
        },
        "diversity": diversity,
        "warnings": [],
    }  # fmt: skip


def summarize(data: dict) -> dict:
    """The figures `ouvroir audits`, the web list and the model card read (shares of images, not of text)."""
    copies = data["copies"]
    vendi = next((m for m in data["diversity"]["pixels"]["measures"] if m["name"] == "vendi"), {})
    return {"medium": "image", "mean_copied_share": copies["flagged_share"],
            "baseline_copied_share": copies["baseline_flagged_share"], "texts_with_copy": copies["flagged"],
            "texts": copies["images"], "longest_copy": None, "diversity_ratio": vendi.get("ratio"),
            "diversity_interval": vendi.get("ratio_interval"), "diversity_measure": "vendi",
            "c_t": copies["three_sample_test"]["c_t"], "copying": copies["three_sample_test"]["copying"]}  # fmt: skip


def store(studio, data: dict, subject: dict, samples: np.ndarray, train: np.ndarray) -> AuditOutcome:
    """Write audit.json and report.html (thumbnails inline), sign them, record the audit."""
    from ..provenance.manifest import label_audit
    from ..report.image_build import write_image_report

    audit_id = "a" + secrets.token_hex(5)
    data["id"] = audit_id
    folder = studio.layout.report(audit_id)
    write_image_report(data, samples, train, folder, data["lang"])
    summary = summarize(data)
    index_id = "images-" + (subject.get("snapshot_id") or "studio")
    label_audit(studio, folder, data, index_id, summary)
    # the store knows two subjects, a model or files given to it: pictures given are files, as texts are
    row_subject = "model" if subject["kind"] == "model" else "texts"
    with transaction(studio.conn):
        insert_audit(studio.conn, audit_id, data["created"], row_subject, subject.get("model_id"),
                     subject.get("snapshot_id"), index_id, data["lang"], summary, str(folder.relative_to(studio.root)))
    return AuditOutcome(audit_id, folder, data)


def audit_image_files(studio, paths: Sequence[Path], options: ImageAuditOptions,
                      progress: Progress | None = None) -> tuple[AuditOutcome, list[Skipped]]:  # fmt: skip
    """Any image files against every image work of the studio."""
    resolution = options.resolution or DEFAULT_RESOLUTION
    samples, names, skipped = read_images(paths, resolution)
    if not len(samples):
        raise AuditError("no readable image to audit (" + "; ".join(f"{s.path}: {s.reason}" for s in skipped) + ")")
    corpus = studio_images(studio, resolution)
    subject = {"kind": "images", "model_id": None, "snapshot_id": None, "paths": [str(p) for p in paths]}
    data = assemble(corpus, samples, names, subject, options, progress)
    return store(studio, data, subject, samples, corpus.train), skipped


def audit_model_images(studio, record, samples: np.ndarray, labels: list[str], options: ImageAuditOptions,
                       progress: Progress | None = None) -> AuditOutcome:  # fmt: skip
    """A model's generated images (made by the workshop) against its snapshot's training images."""
    resolution = options.resolution or int(record.config.get("resolution") or samples.shape[1])
    if samples.shape[1] != resolution:
        samples = np.stack([_square(s, resolution) for s in samples])
    corpus = model_images(studio, record, resolution)
    subject = {"kind": "model", "model_id": record.id, "snapshot_id": record.snapshot_id, "paths": []}
    data = assemble(corpus, samples, labels, subject, options, progress)
    return store(studio, data, subject, samples, corpus.train)
