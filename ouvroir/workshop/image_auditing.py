"""Auditing images in the studio: an image model's samples, or any image files, against the image works.

The instruments and the report live in ``ouvroir.audit.image_run``; this module
gathers what they read: a model's stored (or newly generated) PNG samples, or files
named on the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..audit.image_run import ImageAuditOptions, audit_image_files, audit_model_images
from ..errors import AuditError, IngestError
from ..store import models as model_store

Progress = Callable[[str], None]


def is_image_model(studio, record) -> bool:
    """True for a model trained on an image snapshot."""
    if record.config.get("medium") == "image":
        return True
    from ..corpus.snapshot import load_snapshot

    try:
        return load_snapshot(studio, record.snapshot_id).medium == "image"
    except (OSError, ValueError):
        return False


def stored_images(studio, model_id: str) -> tuple[np.ndarray, list[str]]:
    """The model's stored PNG samples as arrays (a sample whose file is missing or unreadable is refused by name)."""
    from ..media.images.read import decode

    records = [r for r in model_store.list_samples(studio.conn, model_id) if str(r.path).lower().endswith(".png")]
    if not records:
        raise AuditError(f"model {model_id} has no stored images: make some with `ouvroir generate {model_id} -n 64`")
    images, labels = [], []
    for r in records:
        path = studio.root / r.path
        try:
            images.append(decode(path.read_bytes(), path.name).pixels)
        except (OSError, IngestError) as exc:
            raise AuditError(f"sample {r.id}: {path} cannot be read ({exc})") from exc
        labels.append(f"{r.id} · seed {r.seed}")
    side = min(min(i.shape[:2]) for i in images)
    from ..media.images.read import to_square

    return np.stack([to_square(i, side) for i in images]), labels


def _generated(studio, record, options: ImageAuditOptions, progress: Progress | None):
    """New samples through the image generation of the workshop, stored as any generated image is."""
    from ..i18n.stages import Stage
    from .image_generation import generate_images

    if progress:
        progress(Stage("audit_generating_images", f"generating {options.samples} images", n=options.samples))
    made = generate_images(studio, record, n=options.samples, seed=options.seed, steps=options.steps,
                           device=options.device)  # fmt: skip
    return stored_from(studio, made)


def stored_from(studio, samples) -> tuple[np.ndarray, list[str]]:
    from ..media.images.read import decode

    images = [decode((studio.root / s.path).read_bytes(), s.path).pixels for s in samples]
    return np.stack(images), [f"{s.id} · seed {s.seed}" for s in samples]


def audit_image_model(studio, record, options: ImageAuditOptions, progress: Progress | None = None,
                      reuse: bool = False):  # fmt: skip
    images, labels = stored_images(studio, record.id) if reuse else _generated(studio, record, options, progress)
    return audit_model_images(studio, record, images, labels, options, progress)


def audit_images(studio, paths: Sequence[Path], options: ImageAuditOptions, progress: Progress | None = None):
    """Image files against every image work of the studio: the outcome and the files skipped (with why)."""
    return audit_image_files(studio, paths, options, progress)
