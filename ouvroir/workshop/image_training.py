"""Training an image model in the studio: snapshot of the consenting images → arrays → DiT, registered with its lineage.

``train_model`` hands over here when the medium is "image" (``ouvroir train --medium image``). As for
text, the snapshot is the only thing training reads: ``corpus.image_snapshot.image_arrays`` re-hashes
every frozen blob before its pixels are used (the consent canary). The model's folder is
``models/<id>/`` (``learn/image_train.py`` lists its files); its record keeps the plan, the budget, the
seed and the resolution, so ``--resume`` and ``retrain`` train the same thing again. Its validation
figure is the flow's mean squared velocity error on the held-out images (``config["val_loss"]``):
it is not in bits per byte, so the record's ``val_bpb`` stays empty.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable

from ..corpus.image_snapshot import image_arrays
from ..corpus.snapshot import load_snapshot, take_snapshot
from ..errors import DiskFull, TrainingError, is_disk_full
from ..i18n.stages import Stage, word
from ..learn.image_plan import RESOLUTIONS, ImageTrainConfig, plan_images
from ..learn.image_train import ImageProgress, train_images
from ..learn.loss_eval import resolve_device
from ..learn.sizing import Budget
from ..store import models as model_store
from ..store.blobs import sha256_file
from ..store.db import now, transaction
from .run_rules import budget_text, budget_word, refuse_unlicensed

DEFAULT_RESOLUTION = 32
DEFAULT_MINUTES = 5.0


def train_image_model(
    studio,
    resolution: int | None = None,
    size: str | None = None,
    minutes: float | None = None,
    steps: int | None = None,
    seed: int = 0,
    device: str = "auto",
    resume: model_store.ModelRecord | None = None,
    on_progress: Callable[[ImageProgress], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
    lineage: dict | None = None,
    on_model: Callable[[str], None] | None = None,
    name: str | None = None,
    require_license: bool = False,
    started: float | None = None,
) -> model_store.ModelRecord:
    """Train an image model on the studio's consenting images (or continue ``resume``'s run); return its record."""
    started = time.perf_counter() if started is None else started
    stage = on_stage or (lambda message: None)
    if resolution is not None and int(resolution) not in RESOLUTIONS:
        raise TrainingError(f"--resolution {resolution}: an image model trains at "
                            f"{', '.join(map(str, RESOLUTIONS))} pixels")  # fmt: skip
    if resume is not None:
        if resolution is not None and int(resolution) != resume.config.get("resolution"):
            raise TrainingError(f"model {resume.id} trains at {resume.config.get('resolution')} pixels: a resumed run "
                                f"keeps its own resolution (leave out --resolution)")  # fmt: skip
        snapshot = load_snapshot(studio, resume.snapshot_id)
        budget = Budget(**resume.config["budget"]) if not (minutes or steps) else Budget(minutes=minutes, steps=steps)
        model_id, seed, resolution = resume.id, resume.config.get("seed", seed), resume.config["resolution"]
    else:
        if minutes is None and steps is None:
            minutes = DEFAULT_MINUTES
        budget = Budget(minutes=minutes, steps=steps)
        resolution = int(resolution or DEFAULT_RESOLUTION)
        stage(Stage("snapshot_taking", "Taking a snapshot of the image works whose latest consent is 'train'",
                    medium=word("medium_image")))  # fmt: skip
        snapshot = take_snapshot(studio, medium="image")
        model_id = "m" + secrets.token_hex(5)
        if name is not None:
            name = model_store.check_name(name)
            if other := model_store.name_taken(studio.conn, name):
                raise TrainingError(f"the name {name!r} is already model {other}'s: choose another")
    if require_license:
        refuse_unlicensed(studio, snapshot)
    images = image_arrays(studio, snapshot, resolution)
    stage(Stage("snapshot_taken", f"Snapshot {snapshot.id}: {len(images.train)} images for training, "
                f"{len(images.val)} for validation, at {resolution} × {resolution} pixels", snapshot=snapshot.id,
                train=len(images.train), val=len(images.val), rule=snapshot.split_rule))  # rule: as the snapshot names it  # fmt: skip
    if not len(images.train) or not len(images.val):
        raise TrainingError(f"snapshot {snapshot.id} has no image to {'train on' if not len(images.train) else 'validate on'}:"
                            " add images or give consent to more of them")  # fmt: skip
    dev = resolve_device(device)
    if resume is not None:
        config = ImageTrainConfig.from_dict(resume.config["train"])
        record = resume
        if {"minutes": budget.minutes, "steps": budget.steps} != resume.config.get("budget"):
            with transaction(studio.conn):
                model_store.update_model(studio.conn, model_id, status="training", config=resume.config | {
                    "budget": {"minutes": budget.minutes, "steps": budget.steps}})  # fmt: skip
    else:
        spent_s = time.perf_counter() - started
        left = Budget(minutes=max(budget.minutes - spent_s / 60, 0.2 * budget.minutes), steps=budget.steps) \
            if budget.minutes else budget  # fmt: skip
        config = plan_images(size, len(images.train), resolution, left, str(dev))
        record = model_store.ModelRecord(
            id=model_id, snapshot_id=snapshot.id, created_at=now(), status="training", size=config.size,
            parameters=None, val_bpb=None, train_seconds=None, steps=None, device=str(dev),
            config={"medium": "image", "resolution": resolution, "train": config.to_dict(),
                    "budget": {"minutes": budget.minutes, "steps": budget.steps}, "seed": seed} | (lineage or {}),
            name=name,
        )  # fmt: skip
        with transaction(studio.conn):
            model_store.insert_model(studio.conn, record)
    if on_model:
        on_model(model_id)
    doing = "resuming" if resume is not None else "training"
    stage(Stage(f"{doing}_start", f"{doing.capitalize()} image model {model_id} ({config.size}, {resolution} px, "
                f"patch {config.model.patch}) on {dev} — {budget_text(budget)}; Ctrl-C stops, "
                f"`ouvroir train --resume {model_id}` continues", model=model_id, size=word(f"size_{config.size}"),
                device=str(dev), budget=budget_word(budget)))  # fmt: skip
    try:
        result = train_images(images.train, images.val, config, studio.layout.model(model_id), budget, seed=seed,
                              device=str(dev), resume=resume is not None, on_progress=on_progress, started=started)  # fmt: skip
    except (OSError, sqlite3.OperationalError) as exc:
        if not is_disk_full(exc):
            raise
        raise DiskFull(f"disk full while training model {model_id}: free space, then `ouvroir train --resume "
                       f"{model_id}` continues from its last checkpoint") from exc  # fmt: skip
    config_now = model_store.resolve_model(studio.conn, model_id, ready_only=False).config
    fit = {"val_loss": result.best_val_loss, "best_step": result.best_step, "stopped": result.stopped,
           "train_images": len(images.train), "val_images": len(images.val),
           "passes": round(result.images / len(images.train), 1)}  # fmt: skip
    with transaction(studio.conn):
        model_store.update_model(studio.conn, model_id, status="ready", config=config_now | {"fit": fit},
                                 parameters=result.params, train_seconds=result.elapsed_s, steps=result.steps,
                                 device=result.device, weights_sha256=sha256_file(studio.layout.model_weights(model_id)))  # fmt: skip
    return model_store.resolve_model(studio.conn, model_id)


def is_image_model(record: model_store.ModelRecord) -> bool:
    return record.config.get("medium") == "image"


__all__ = ["DEFAULT_RESOLUTION", "is_image_model", "train_image_model"]
