"""Training in the studio: snapshot → tokenizer → token files → model, registered with its lineage.

``train_model`` is what ``ouvroir train`` calls. The snapshot is the only
thing training reads (the consent invariant); the tokenizer and the token
files live in the snapshot's folder and are reused by every model trained on
the same snapshot; the model's folder is ``models/<id>/``.
"""

from __future__ import annotations

import json
import math
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..corpus import copies
from ..corpus.augment import augmented
from ..corpus.snapshot import (SPLIT_BY_WORK, Snapshot, control_tokens, load_snapshot, reuse_tokens, snapshot_controls,
                               snapshot_texts, take_snapshot, works_key)  # fmt: skip
from ..errors import DiskFull, TrainingError, is_disk_full
from ..learn.sizing import TINY_CORPUS_PASSES, Budget, TrainConfig, corpus_passes, memorized
from ..store import models as model_store
from ..store.blobs import atomic_write, sha256_file
from ..store.db import now, transaction
from ..learn import checkpoint as ckpt
from ..learn.tokenizer import Tokenizer, control_token, train_tokenizer, vocab_size_for
from ..learn.data import FIM_RATE
from ..learn.train import Progress, TrainData, resolve_device, train
from ..i18n.stages import Stage, word
from .run_rules import budget_text, budget_word, refuse_unlicensed
from .speed import check_precision, measured_plan

# Below this many training tokens a model learns nothing worth generating from.
MIN_TRAIN_TOKENS = 2_000


@dataclass
class TokenizedSnapshot:
    snapshot: Snapshot
    tokenizer: Tokenizer
    data: TrainData


def tokenize_snapshot(studio, snapshot: Snapshot, on_stage: Callable | None = None) -> TokenizedSnapshot:
    """Train (or reuse) the snapshot's tokenizer and write (or reuse) its token files.

    Files in ``snapshots/<id>/``: ``tokenizer.json``, ``train.bin`` and ``val.bin``
    (token ids, little-endian, dtype in ``tokens.json``), ``tokens.json``.
    """
    folder = snapshot.path
    meta_path = folder / "tokens.json"
    if not meta_path.exists():
        reuse_tokens(studio, snapshot)  # another snapshot of the same texts (consent renewed since) has them
    if meta_path.exists() and (folder / "tokenizer.json").exists():
        meta = json.loads(meta_path.read_text())
        tokenizer = Tokenizer.load(folder / "tokenizer.json")
        dtype = np.dtype(meta["dtype"])
        train_ids = np.memmap(folder / "train.bin", dtype=dtype, mode="r")
        val_ids = np.memmap(folder / "val.bin", dtype=dtype, mode="r")
        data = TrainData(train_ids, val_ids, meta["val_bytes"], tokenizer.eot_id, tokenizer, meta.get("train_bytes"))
        return TokenizedSnapshot(snapshot, tokenizer, data)
    train_texts, val_texts = snapshot_texts(studio, snapshot)
    train_controls, val_controls = snapshot_controls(snapshot)
    train_texts, train_controls, augmentation = augmented(snapshot, train_texts, train_controls)
    if augmentation and on_stage:
        on_stage(Stage("snapshot_augmented", f"{augmentation['copies']:,} transposed copies of the training pieces "
                    "(held-out pieces are never transposed)", copies=augmentation["copies"]))  # fmt: skip
    train_bytes = sum(len(t.encode("utf-8")) for t in train_texts)
    # A snapshot taken before controls existed keeps the tokenizer it would have had: no infilling, no controls.
    new = any(w.controls is not None for w in snapshot.works)
    known = sorted({control_token(name, value) for c in train_controls for name, value in c.items()})
    tokenizer = train_tokenizer(train_texts, vocab_size_for(train_bytes), known if new else control_tokens(snapshot),
                                fim=new)  # fmt: skip
    data = TrainData.from_texts(tokenizer, train_texts, val_texts, train_controls, val_controls)
    tokenizer.save(folder / "tokenizer.json")
    dtype = data.train_ids.dtype.newbyteorder("<")
    for name, ids in (("train.bin", data.train_ids), ("val.bin", data.val_ids)):
        atomic_write(folder / name, np.asarray(ids, dtype=dtype).tobytes())
    # Written last: its presence means the token files are complete.
    meta = {"dtype": dtype.str, "train_tokens": int(len(data.train_ids)),
            "val_tokens": int(len(data.val_ids)), "val_bytes": data.val_bytes, "train_bytes": train_bytes,
            "vocab_size": tokenizer.vocab_size} | ({"augmentation": augmentation} if augmentation else {})  # fmt: skip
    # The hashes let `ouvroir check` verify the files; the key lets later snapshots of the same texts reuse them.
    meta |= {"works_key": works_key(snapshot.medium, snapshot.split_rule, snapshot.works),
             "sha256": {name: sha256_file(folder / name) for name in ("tokenizer.json", "train.bin", "val.bin")}}
    atomic_write(meta_path, json.dumps(meta, indent=1).encode())
    return TokenizedSnapshot(snapshot, tokenizer, data)


def train_model(
    studio,
    size: str | None = None,
    minutes: float | None = None,
    steps: int | None = None,
    seed: int = 0,
    device: str = "auto",
    resume: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
    lineage: dict | None = None,
    medium: str | None = None,
    on_model: Callable[[str], None] | None = None,
    name: str | None = None,
    require_license: bool = False,
    started: float | None = None,
    precision: str = "auto",
    reprobe: bool = False,
    resolution: int | None = None,
) -> model_store.ModelRecord:
    """Train a model on the studio's consenting works (or resume one); return its record.

    ``lineage`` is recorded in the model's configuration (``retrain`` names the model it replaces).
    ``on_model(id)`` is called once the model is registered, before training starts (the web
    studio offers to resume it from then on). ``name`` names a new model (see ``Models.rename``).
    ``require_license`` refuses a snapshot holding a work whose licence is ``unknown``.
    ``minutes`` bound the whole run, from ``started`` (a ``time.perf_counter()``, default: this call)
    to the ready model: snapshot, tokenizer and evaluations are taken from them, not added.
    ``precision`` "fp32", "bf16" or "auto" (the faster on this machine at the planned size, from the speed
    probe, ``speed.py``; a resumed run keeps its own); ``reprobe`` measures the machine again.
    """
    started = time.perf_counter() if started is None else started
    stage = on_stage or (lambda message: None)
    check_precision(precision)
    extend = False
    plan_note = None
    resumed = model_store.resolve_model(studio.conn, resume, ready_only=False) if resume else None
    medium = medium or (None if resume else default_medium(studio))
    if medium == "image" or (resumed is not None and resumed.config.get("medium") == "image"):
        from .image_training import train_image_model  # images are never tokenized: their own trainer (learn/image_train.py)

        if resumed is not None:
            check_resumable(studio, resumed, size)
        return train_image_model(studio, resolution, size, minutes, steps, seed, device, resumed, on_progress, on_stage,
                                 lineage, on_model, name, require_license, started)  # fmt: skip
    if resolution is not None:
        raise TrainingError("--resolution is for image models (--medium image)")
    if resume:
        record = model_store.resolve_model(studio.conn, resume, ready_only=False)
        if "base" in record.config:  # a fine-tune: it resumes with its stored base, method and settings
            from .finetune_resume import resume_finetune

            return resume_finetune(studio, record, minutes=minutes, steps=steps, size=size, device=device, name=name,
                                   on_progress=on_progress, on_stage=on_stage, on_model=on_model)  # fmt: skip
        check_resumable(studio, record, size)
        snapshot = load_snapshot(studio, record.snapshot_id)
        budget, extend = resumed_budget(record, minutes, steps)
        model_id, resume_flag = record.id, True
        seed = record.config.get("seed", seed)
        if name is not None:  # `train --resume M --name N` names the model it continues
            with transaction(studio.conn):
                model_store.rename_model(studio.conn, model_id, model_store.check_name(name))
    else:
        if minutes is None and steps is None:
            minutes = 5.0
        budget = Budget(minutes=minutes, steps=steps)
        medium = medium or default_medium(studio)
        stage(Stage("snapshot_taking", f"Taking a snapshot of the {medium} works whose latest consent is 'train'",
                    medium=word(f"medium_{medium}")))
        snapshot = take_snapshot(studio, medium=medium)
        model_id, resume_flag = "m" + secrets.token_hex(5), False
        if name is not None:  # checked before the minutes of tokenizing and training, not after
            name = model_store.check_name(name)
            if other := model_store.name_taken(studio.conn, name):
                raise TrainingError(f"the name {name!r} is already model {other}'s: choose another")
    if require_license:  # before the minutes of tokenizing, on the very works the snapshot froze
        refuse_unlicensed(studio, snapshot)
    stage(Stage("snapshot_taken", f"Snapshot {snapshot.id}: {len(snapshot.train_works)} works for training, {len(snapshot.val_works)} for validation ({snapshot.split_rule})",
                snapshot=snapshot.id, train=len(snapshot.train_works), val=len(snapshot.val_works),
                rule=word("split_by_work" if snapshot.split_rule == SPLIT_BY_WORK else "split_by_tail")))  # fmt: skip
    for line in copies.snapshot_copies(studio.conn, [w.work_id for w in snapshot.works]):
        stage(Stage("snapshot_copy", f"warning: {line}", detail=line))  # a copy lifted by hand, or an original withdrawn after its copy was added
    tokenized = tokenize_snapshot(studio, snapshot, stage)
    data = tokenized.data
    if data.train_tokens < MIN_TRAIN_TOKENS or len(data.val_ids) < 2:
        # Keyed like a stage, so the web studio says it in the page's language (the terminal prints the line).
        raise TrainingError(Stage(
            "corpus_too_small", f"the trainable corpus is too small ({data.train_tokens:,} training tokens; at least "
            f"{MIN_TRAIN_TOKENS:,} are needed): add works or give consent to more of them",
            tokens=data.train_tokens, needed=MIN_TRAIN_TOKENS))  # fmt: skip
    dev = resolve_device(device)
    out_dir = studio.layout.model(model_id)
    if resume_flag:  # the stored configuration, never a new plan: the checkpoint only fits it
        config = TrainConfig.from_dict(record.config["train"])
        if extend:  # the person chose the total: the planner's cap no longer ends the run
            config = replace(config, max_steps=None)
        stored_budget = {"minutes": budget.minutes, "steps": budget.steps}
        if extend or stored_budget != record.config.get("budget"):  # a later plain --resume continues this budget
            with transaction(studio.conn):
                model_store.update_model(studio.conn, model_id, status="training", config=record.config | {
                    "train": config.to_dict(), "budget": stored_budget} | ({"extended": True} if extend else {}))  # fmt: skip
    else:
        config, plan_note = measured_plan(size, data.train_tokens, steps_budget(budget, time.perf_counter() - started),
                                          dev, tokenized.tokenizer.vocab_size, precision, reprobe, stage)  # fmt: skip
        if tokenized.tokenizer.has_fim:  # recorded in config.json and the card: the model can fill in a middle
            config = replace(config, fim_rate=FIM_RATE)
        record = model_store.ModelRecord(
            id=model_id, snapshot_id=snapshot.id, created_at=now(), status="training", size=config.size,
            parameters=None, val_bpb=None, train_seconds=None, steps=None, device=str(dev),
            config={"train": config.to_dict(), "budget": {"minutes": budget.minutes, "steps": budget.steps}, "seed": seed,
                    "plan": plan_note} | (lineage or {}), name=name,
        )  # fmt: skip
        with transaction(studio.conn):
            model_store.insert_model(studio.conn, record)
    if on_model:
        on_model(model_id)
    passes = corpus_passes(config, data.train_tokens, budget, str(dev), plan_note and plan_note["rates"])
    if passes > TINY_CORPUS_PASSES:
        stage(tiny_corpus_warning(passes, data.train_bytes))
    on_progress = _in_bits_per_byte(on_progress, data.bytes_per_token)
    doing = "Extending" if extend else "Resuming" if resume_flag else "Training"
    stage(Stage(f"{doing.lower()}_start", f"{doing} model {model_id} ({config.size}) on {dev} — {budget_text(budget)}; Ctrl-C stops, `ouvroir train --resume {model_id}` continues",
                model=model_id, size=word(f"size_{config.size}"), device=str(dev), budget=budget_word(budget)))  # fmt: skip
    # train() writes tokenizer.json into the model folder itself (data.tokenizer is set).
    try:
        result = train(data, config, out_dir, budget, seed=seed, device=str(dev), resume=resume_flag, extend=extend,
                       on_progress=on_progress, started=started, plan_note=plan_note)  # fmt: skip
    except (OSError, sqlite3.OperationalError) as exc:
        if not is_disk_full(exc):
            raise
        # Checkpoints are written whole or not at all: the last one stands, and the run resumes from it.
        raise DiskFull(f"disk full while training model {model_id}: free space, then `ouvroir train --resume "
                       f"{model_id}` continues from its last checkpoint") from exc  # fmt: skip
    fit = training_fit(out_dir, result, data, passes)
    if fit["memorized"]:
        stage(memorized_warning(fit))
    config_now = model_store.resolve_model(studio.conn, model_id, ready_only=False).config
    fields = dict(status="ready", config=config_now | {"fit": fit}, parameters=result.params, val_bpb=result.best_val_bpb, train_seconds=result.elapsed_s,
                  steps=result.steps, device=result.device, weights_sha256=sha256_file(studio.layout.model_weights(model_id)))  # fmt: skip
    with transaction(studio.conn):
        model_store.update_model(studio.conn, model_id, **fields)
    return model_store.resolve_model(studio.conn, model_id)


@dataclass
class TrainingProgress(Progress):
    """A training step as the studio shows it: ``train_bpb`` is the train loss in bits per byte, like validation."""

    train_bpb: float | None = None


def _in_bits_per_byte(on_progress, bytes_per_token: float | None):
    if on_progress is None:
        return None
    return lambda p: on_progress(TrainingProgress(**vars(p), train_bpb=ckpt.train_bpb(p.train_loss, bytes_per_token)))


def tiny_corpus_warning(passes: float, train_bytes: int | None) -> str:
    size = f"{train_bytes / 1000:,.1f} KB of training text" if train_bytes else "the training text"
    return Stage("tiny_corpus", f"warning: the corpus is tiny for this budget: {size}, which the budget goes over about {passes:,.0f} "
                 f"times (more than {TINY_CORPUS_PASSES:g} passes): the model will memorize it rather than learn from "
                 "it; add works or give a shorter budget", kb=round((train_bytes or 0) / 1000, 1), passes=round(passes))  # fmt: skip


def memorized_warning(fit: dict) -> str:
    return Stage("memorized", f"warning: the model memorized its corpus: {fit['train_bpb']:.2f} bits per byte on the training text "
                 f"against {fit['val_bpb']:.2f} on the works it never saw; add works or train for less time",
                 train_bpb=round(fit["train_bpb"], 2), val_bpb=round(fit["val_bpb"], 2))  # fmt: skip


def training_fit(out_dir: Path, result, data: TrainData, passes: float) -> dict:
    """Train and validation bits per byte at the kept checkpoint, the passes planned, and whether it memorized.

    The train figure is the smoothed training loss logged at the kept evaluation (``metrics.jsonl``).
    """
    evals = [r for r in ckpt.read_jsonl(out_dir / ckpt.METRICS) if r.get("event") == "eval"]
    kept = next((r for r in evals if r["step"] == result.best_step), evals[-1] if evals else {})
    train_bpb = ckpt.train_bpb(kept.get("train_loss"), data.bytes_per_token)
    val_bpb = result.best_val_bpb if math.isfinite(result.best_val_bpb) else None
    val_per_token = data.val_bytes / len(data.val_ids) if len(data.val_ids) else None
    density = data.bytes_per_token / val_per_token if data.bytes_per_token and val_per_token else None
    return {"train_bpb": train_bpb, "val_bpb": val_bpb, "passes": round(passes, 1), "train_bytes": data.train_bytes,
            "density": None if density is None else round(density, 3), "memorized": memorized(train_bpb, val_bpb, density)}  # fmt: skip


def check_resumable(studio, record: model_store.ModelRecord, size: str | None = None) -> None:
    """Refuse to resume a run on works whose consent is withdrawn, or at another size than its own."""
    from .generation import refuse_withdrawn

    refuse_withdrawn(studio, record, None)
    if size and size != record.size:
        raise TrainingError(f"model {record.id} was trained at size {record.size!r}: a resumed run keeps its own "
                            f"size and configuration (leave out --size {size})")  # fmt: skip


def resumed_budget(record: model_store.ModelRecord, minutes: float | None, steps: int | None) -> tuple[Budget, bool]:
    """(budget, whether it extends a finished run) for ``train --resume`` with these options.

    Without options an interrupted run continues with its stored budget. ``--steps N`` and
    ``--minutes M`` are the totals to reach, counted from the run's start: on a finished model
    they extend the run (the learning rate warms back up, then decays to zero at the new end).
    """
    if not (minutes or steps):
        if record.status == "ready":
            raise TrainingError(f"model {record.id} already finished training ({record.steps or 0:,} steps): "
                                f"`ouvroir train --resume {record.id} --steps N` extends it to N steps in total")  # fmt: skip
        return Budget(**record.config["budget"]), bool(record.config.get("extended"))
    budget = Budget(minutes=minutes, steps=steps)
    if record.status != "ready":  # an interrupted extension stays one
        return budget, bool(record.config.get("extended"))
    done_steps, done_s = record.steps or 0, record.train_seconds or 0.0
    if steps is not None and steps <= done_steps:
        raise TrainingError(f"model {record.id} already trained {done_steps:,} steps: --steps is the total to reach, "
                            f"so give more than {done_steps:,}")  # fmt: skip
    if minutes is not None and minutes * 60 <= done_s:
        raise TrainingError(f"model {record.id} already trained {done_s / 60:.1f} minutes: --minutes is the total to "
                            f"reach, so give more than that")  # fmt: skip
    return budget, True


def default_medium(studio) -> str:
    """Text when the studio has trainable text, else music when it has trainable scores, else images when it has those."""
    for medium in ("text", "music", "image"):
        if studio.trainable_works(medium=medium):
            return medium
    return "text"


def retrain_model(studio, model_ref: str, device: str = "auto", **callbacks) -> model_store.ModelRecord:
    """Train ``model_ref``'s size, budget and seed again on a fresh snapshot of the consenting works.

    The fresh snapshot leaves out every work whose consent was withdrawn since;
    the new model records which one it replaces.
    """
    old = model_store.resolve_model(studio.conn, model_ref, ready_only=False)
    budget = old.config.get("budget", {})
    withdrawn = [w.work_id for w in model_store.withdrawals(studio.conn, old.id)]
    if "base" in old.config:  # fine-tuned from a pre-trained model: the same base, fine-tuned again
        from .finetuning import refinetune

        return refinetune(studio, old, device, withdrawn, **callbacks)
    medium = model_store.snapshot_medium(studio.conn, old.snapshot_id)
    return train_model(studio, size=old.size, minutes=budget.get("minutes"), steps=budget.get("steps"),
                       seed=old.config.get("seed", 0), device=device, medium=medium, resolution=old.config.get("resolution"),
                       lineage={"retrained_from": old.id, "left_out": withdrawn}, **callbacks)  # fmt: skip


def steps_budget(budget: Budget, spent_s: float) -> Budget:
    """The budget the planner sizes the model for: the minutes left after the preparation already spent."""
    if not budget.minutes:
        return budget
    return replace(budget, minutes=max(budget.minutes * 60 - spent_s, 0.2 * budget.minutes * 60) / 60)


def model_dir(studio, model_id: str) -> Path:
    return studio.layout.model(model_id)
