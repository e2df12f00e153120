"""Generating images in the studio: PNG samples signed twice (embedded C2PA and sidecar), and a contact sheet.

``generate_samples`` hands over here for a model trained on images. Each sample is
``samples/<id>.png`` (RGB, the model's resolution) carrying an embedded C2PA manifest
(``provenance.c2pa_embed``: ``trainedAlgorithmicMedia``, model, snapshot, generation), then its
signed sidecar ``samples/<id>.png.provenance.json``, which hashes the final bytes. A batch also gets
a contact sheet of its samples, ``samples/<first id>.sheet.png`` (each image enlarged to at least
64 pixels), signed the same way. The images come from ``learn.flow.sample``: the same model, seed
and steps give the same PNG bytes on the same machine.

``sample_arrays`` reads a model's samples back as one array, as the image audit takes them.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import OuvroirError
from ..media.images.read import load_normalized
from ..media.images.render import contact_sheet, png_bytes
from ..provenance.c2pa_embed import sample_embedder
from ..provenance.manifest import sample_labeller
from ..store import models as model_store
from ..store.blobs import atomic_write, sha256_bytes
from ..store.db import now, transaction

DEFAULT_STEPS = 24  # Heun steps (two model calls each)
SHEET_SUFFIX = ".sheet.png"
SHEET_MIN_SIDE = 64  # a 16-pixel sample is drawn 4 times larger on the sheet, by whole pixels


@lru_cache(maxsize=2)
def _load(model_dir: str, device: str):
    from ..learn.image_train import load_image_model

    return load_image_model(model_dir, device)


def generate_images(studio, record: model_store.ModelRecord, n: int = 1, seed: int | None = None,
                    steps: int | None = None, device: str = "auto", allow_withdrawn: bool = False,
                    method: str = "heun") -> list[model_store.SampleRecord]:  # fmt: skip
    """``n`` images from the image model ``record``, stored as samples; their records (the sheet is beside the first)."""
    from ..learn.flow import METHODS, sample
    from ..learn.loss_eval import resolve_device

    if n < 1:
        raise OuvroirError(f"-n {n}: ask for at least one image")
    steps = DEFAULT_STEPS if steps is None else steps
    if steps < 1:
        raise OuvroirError(f"--steps {steps}: sampling needs at least one step")
    if method not in METHODS:
        raise OuvroirError(f"sampling method {method!r}: one of {', '.join(METHODS)}")
    withdrawn = model_store.refuse_withdrawn(studio.conn, record, "pass --allow-withdrawn to generate anyway",
                                             allow_withdrawn)  # fmt: skip
    seed = secrets.randbelow(2**31) if seed is None else seed
    dev = str(resolve_device(device))
    images = sample(_load(str(studio.layout.model(record.id)), dev), n, seed=seed, steps=steps, method=method,
                    device=dev)  # fmt: skip
    embed = sample_embedder(studio, record)
    label = sample_labeller(studio, record)
    folder, created = studio.layout.samples, now()
    params = {"steps": steps, "method": method}
    samples = []
    for index, image in enumerate(images):
        sample_id = "g" + secrets.token_hex(5)
        generation = {"sample_id": sample_id, "prompt": "", "params": params, "seed": seed, "n": n, "index": index}
        if withdrawn:
            generation["consent_withdrawn_works"] = [w.work_id for w in withdrawn]
        path = folder / f"{sample_id}.png"
        data = embed(png_bytes(image), "image/png", path.name, generation, created)
        atomic_write(path, data)
        label(path, generation, created)  # after embedding: the sidecar hashes the final bytes
        samples.append(model_store.SampleRecord(sample_id, record.id, created, "", params | {"n": n, "index": index},
                                                seed, sha256_bytes(data), str(path.relative_to(studio.root))))  # fmt: skip
    _write_sheet(folder, images, samples, embed, label, created, seed, params, n)
    with transaction(studio.conn):
        for record_ in samples:
            model_store.insert_sample(studio.conn, record_)
    return samples


def sheet_path(studio, first: model_store.SampleRecord) -> Path:
    """The contact sheet of the batch ``first`` opened."""
    return studio.root / Path(first.path).with_suffix(SHEET_SUFFIX)


def _write_sheet(folder: Path, images: np.ndarray, samples, embed, label, created: str, seed: int, params: dict,
                 n: int) -> Path:  # fmt: skip
    side = images.shape[1]
    scale = max(1, -(-SHEET_MIN_SIDE // side))
    tiles = images.repeat(scale, 1).repeat(scale, 2)
    sheet = contact_sheet(list(tiles), columns=min(len(tiles), 8))
    path = folder / f"{samples[0].id}{SHEET_SUFFIX}"
    generation = {"sample_id": samples[0].id, "sheet_of": [s.id for s in samples], "prompt": "", "params": params,
                  "seed": seed, "n": n}  # fmt: skip
    atomic_write(path, embed(png_bytes(sheet), "image/png", path.name, generation, created))
    label(path, generation, created)
    return path


def sample_paths(studio, model_ref: str | None) -> list[tuple[str, Path]]:
    """(sample id, PNG path) of an image model's samples, oldest batch first, each batch in its order (sheets left out)."""
    record = model_store.resolve_model(studio.conn, model_ref, ready_only=False)
    rows = sorted(model_store.list_samples(studio.conn, record.id), key=lambda s: (s.created_at, s.params.get("index", 0)))
    return [(s.id, studio.root / s.path) for s in rows if s.path.endswith(".png") and not s.path.endswith(SHEET_SUFFIX)]


def sample_arrays(studio, model_ref: str | None) -> tuple[np.ndarray, list[str]]:
    """An image model's samples as uint8 [N, R, R, 3] (its resolution) and their sample ids, oldest first.

    Each file is checked against the hash its row holds: a changed sample is named, never audited.
    """
    arrays, ids = [], []
    rows = {s.id: s for s in model_store.list_samples(studio.conn)}
    for sample_id, path in sample_paths(studio, model_ref):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise OuvroirError(f"sample {sample_id}: cannot read {path} ({exc.strerror or exc})") from None
        if sha256_bytes(data) != rows[sample_id].text_sha256:
            raise OuvroirError(f"sample {sample_id}: {path.name} changed since it was generated (its hash differs)")
        arrays.append(load_normalized(data))
        ids.append(sample_id)
    if not arrays:
        return np.zeros((0, 0, 0, 3), np.uint8), []
    return np.stack(arrays), ids


__all__ = ["DEFAULT_STEPS", "SHEET_SUFFIX", "generate_images", "sample_arrays", "sample_paths", "sheet_path"]
