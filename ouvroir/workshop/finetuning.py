"""Fine-tuning in the studio: a pre-trained model on disk, the consenting snapshot, a model registered with its base.

``finetune_model`` is what ``ouvroir train --from PATH`` calls. The base is checked (a local
folder, a causal LM transformers knows, whole safetensors, a tokenizer, room in memory) and
loaded before anything in the studio changes. The data is the snapshot, taken by the same rule
as for training from scratch (the consent invariant; whole works held out), tokenized by the
base's own tokenizer. The base's zero-shot bits per byte on the held-out works are measured
before training and stored beside the fine-tuned figure. The model's folder holds the adapter
(LoRA: ``adapter_config.json``, ``adapter_model.safetensors``, peft's format) or the full weights
(``model.safetensors``, ``config.json``), the base's tokenizer files and ``metrics.jsonl``; while
the run is under way, also ``finetune_state.safetensors``, what ``train --resume`` continues from
(``finetune_resume``).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
from collections.abc import Callable
from pathlib import Path

from ..corpus import copies
from ..corpus.snapshot import SPLIT_BY_WORK, snapshot_texts, take_snapshot
from ..errors import DiskFull, TrainingError, is_disk_full
from ..i18n.stages import Stage, word
from ..learn import finetune as ft
from ..learn import finetune_base as fb
from ..learn.finetune_state import STATE as RESUME_STATE
from ..learn.loss_eval import resolve_device
from ..learn.sizing import Budget
from ..store import models as model_store
from ..store.blobs import atomic_write, sha256_file
from ..store.db import now, transaction
from . import studio_base as studio_bases
from .run_rules import budget_text, budget_word, refuse_unlicensed

MIN_TRAIN_TOKENS = 64  # fine-tuning is for small corpora: a few poems steer a pre-trained model
FINETUNE_FILE = "finetune.json"  # the base and the method, beside the weights, for tools outside the studio
ZERO_SHOT = "zero_shot_bpb"  # the base's figure while the run is under way; "bpb" holds both once it is done


def finetune_model(
    studio,
    source: str,
    method: str = "lora",
    rank: int | None = None,
    minutes: float | None = None,
    steps: int | None = None,
    seed: int = 0,
    device: str = "auto",
    name: str | None = None,
    on_progress: Callable | None = None,
    on_stage: Callable[[str], None] | None = None,
    on_model: Callable[[str], None] | None = None,
    lr: float | None = None,
    context: int = 256,
    batch_size: int = 8,
    lineage: dict | None = None,
    model_id: str | None = None,
    studio_base: dict | None = None,
    require_license: bool = False,
) -> model_store.ModelRecord:
    """Fine-tune the model in folder ``source`` (LoRA of ``rank``, or ``method="full"``); return the new record.

    ``source`` may name one of the studio's models instead (id, name or id prefix, when no folder has
    that name): it is exported to transformers and fine-tuned (see ``studio_base``), which passes the
    new model's ``model_id`` and what to record of the base (``studio_base``).
    ``lineage`` is recorded in the model's configuration (``retrain`` names the model it replaces).
    """
    stage = on_stage or (lambda message: None)
    check_method(method, rank)
    if minutes is None and steps is None:
        minutes = 5.0
    budget = Budget(minutes=minutes, steps=steps)
    if name is not None:
        name = model_store.check_name(name)
        if other := model_store.name_taken(studio.conn, name):
            raise TrainingError(f"the name {name!r} is already model {other}'s: choose another")
    if studio_base is None and (own := studio_bases.resolve(studio, source)) is not None:
        return studio_bases.finetune_from_model(
            studio, own, finetune_model, method=method, rank=rank, minutes=minutes, steps=steps, seed=seed,
            device=device, name=name, on_progress=on_progress, on_stage=on_stage, on_model=on_model, lr=lr,
            context=context, batch_size=batch_size, lineage=lineage)  # fmt: skip
    dev = resolve_device(device)
    info = fb.inspect_base(source, method, dev)  # every refusal comes before the studio changes
    if method == "lora":
        fb.check_rank(info, rank)  # before the base loads: a rank that does not fit is one line, nothing else
    folder = (studio_base or {}).get("folder", info.path.name)
    stage(Stage("finetune_base", f"Base model {folder} ({info.config.model_type}, {info.parameters:,} parameters), loaded "
                f"from {info.path}", folder=folder, model_type=info.config.model_type, parameters=info.parameters,
                path=str(info.path)))  # fmt: skip
    model, tokenizer = fb.load_base(info, dev)
    model, what = fb.prepare(model, method, rank, seed=seed)
    context = min(context, fb.shape(info.config)["context"] or context)  # past its positions a base has no embedding
    stage(Stage("snapshot_taking", "Taking a snapshot of the text works whose latest consent is 'train'",
                medium=word("medium_text")))  # fmt: skip
    snapshot = take_snapshot(studio, medium="text")
    if require_license:  # the same refusal as training from scratch, on the works the snapshot froze
        refuse_unlicensed(studio, snapshot)
    stage(Stage("snapshot_taken", f"Snapshot {snapshot.id}: {len(snapshot.train_works)} works for training, "
                f"{len(snapshot.val_works)} for validation ({snapshot.split_rule})", snapshot=snapshot.id,
                train=len(snapshot.train_works), val=len(snapshot.val_works),
                rule=word("split_by_work" if snapshot.split_rule == SPLIT_BY_WORK else "split_by_tail")))  # fmt: skip
    for line in copies.snapshot_copies(studio.conn, [w.work_id for w in snapshot.works]):
        stage(Stage("snapshot_copy", f"warning: {line}", detail=line))
    streams = ft.token_streams(tokenizer, *snapshot_texts(studio, snapshot))
    if len(streams.train_ids) < MIN_TRAIN_TOKENS or not streams.val_docs:
        raise TrainingError(f"the trainable corpus is too small to fine-tune on ({len(streams.train_ids):,} training "
                            f"tokens; at least {MIN_TRAIN_TOKENS} are needed): add works or give consent to more")  # fmt: skip
    model_id = model_id or "m" + secrets.token_hex(5)
    out_dir = studio.layout.model(model_id)
    # "train": the base's shape, where the model card reads a model's layers, width and heads
    config = {"base": fb.base_provenance(info) | (studio_base or {}), "method": method, "rank": what["rank"], "alpha": what.get("alpha"),
              "targets": what["targets"], "trainable_parameters": what["trainable_parameters"],
              "budget": {"minutes": budget.minutes, "steps": budget.steps}, "seed": seed,
              "finetune": {"lr": lr or (ft.LORA_LR if method == "lora" else ft.FULL_LR), "context": context,
                           "batch_size": batch_size, "optimizer": "AdamW"},
              "train": {"model": fb.shape(info.config)}} | (lineage or {})  # fmt: skip
    record = model_store.ModelRecord(
        id=model_id, snapshot_id=snapshot.id, created_at=now(), status="training",
        size=f"lora r{what['rank']}" if method == "lora" else "full", parameters=what["parameters"], val_bpb=None,
        train_seconds=None, steps=None, device=str(dev), config=config, name=name,
    )  # fmt: skip
    with transaction(studio.conn):
        model_store.insert_model(studio.conn, record)
    with _marked_on_failure(studio, model_id):
        ft.save_pretrained_atomically(tokenizer, out_dir)
        atomic_write(out_dir / FINETUNE_FILE, json.dumps(config, indent=1, ensure_ascii=False).encode())
    if on_model:
        on_model(model_id)
    return run_finetune(studio, model_id, config, model, streams, dev, stage=stage, on_progress=on_progress)


def run_finetune(studio, model_id: str, config: dict, model, streams: ft.Streams, dev, stage: Callable,
                 on_progress: Callable | None = None, resume: bool = False) -> model_store.ModelRecord:  # fmt: skip
    """Measure the base (once), fine-tune ``model`` as ``config`` says, register the result; ``resume`` continues
    the run from its saved state. A run stopped (Ctrl-C, the web studio's Stop, a full disk) stays in training,
    for ``train --resume`` (see ``_marked_on_failure``)."""
    out_dir = studio.layout.model(model_id)
    budget, tuning = Budget(**config["budget"]), config["finetune"]
    with _marked_on_failure(studio, model_id):
        zero_shot = config.get(ZERO_SHOT)
        if zero_shot is None:  # measured once: a resumed run reads it back
            stage(Stage("finetune_measuring", f"Measuring the base's bits per byte on the {len(streams.val_docs)} "
                        "held-out works (zero-shot)", works=len(streams.val_docs)))  # fmt: skip
            zero_shot = ft.evaluate_bpb(model, streams, tuning["context"], dev)
            config = config | {ZERO_SHOT: zero_shot}
            atomic_write(out_dir / FINETUNE_FILE, json.dumps(config, indent=1, ensure_ascii=False).encode())
            with transaction(studio.conn):
                model_store.update_model(studio.conn, model_id, config=config)
        how = f"LoRA rank {config['rank']}" if config["method"] == "lora" else "every weight"
        doing = "Resuming the fine-tuning of" if resume else "Fine-tuning"
        stage(Stage("finetune_resuming" if resume else "finetune_start",
                    f"Zero-shot: {zero_shot:.3f} bits per byte. {doing} model {model_id} ({how}) on {dev} — "
                    f"{budget_text(budget, whole_run=False)}; Ctrl-C stops, `ouvroir train --resume {model_id}` continues",
                    zero_shot=round(zero_shot, 3), model=model_id, device=str(dev), budget=budget_word(budget),
                    how=word("finetune_lora") | {"values": {"rank": config["rank"]}} if config["method"] == "lora"
                    else word("finetune_full")))  # fmt: skip
        result = ft.finetune(model, streams, out_dir, budget, lr=tuning["lr"], batch_size=tuning["batch_size"],
                             context=tuning["context"], seed=config.get("seed", 0), device=dev, on_progress=on_progress,
                             resume=resume)  # fmt: skip
    weights = studio.layout.model_weights(model_id)  # the adapter (LoRA) or the full weights
    config = {k: v for k, v in config.items() if k != ZERO_SHOT} | {
        "bpb": {"zero_shot": zero_shot, "fine_tuned": result.best_val_bpb}, "best_step": result.best_step}  # fmt: skip
    atomic_write(out_dir / FINETUNE_FILE, json.dumps(config, indent=1, ensure_ascii=False).encode())
    with transaction(studio.conn):
        model_store.update_model(studio.conn, model_id, status="ready", config=config, val_bpb=result.best_val_bpb,
                                 train_seconds=result.elapsed_s, steps=result.steps, device=str(dev),
                                 weights_sha256=sha256_file(weights))  # fmt: skip
    # A finished fine-tune is not resumed: its state (for --full, three times the weights) goes once it is ready.
    (out_dir / RESUME_STATE).unlink(missing_ok=True)
    return model_store.resolve_model(studio.conn, model_id)


@contextlib.contextmanager
def _marked_on_failure(studio, model_id: str):
    """A run stopped (Ctrl-C, a full disk), or one that failed after a checkpoint, stays in training:
    ``train --resume`` continues from that checkpoint. One that failed before any is marked failed."""
    try:
        yield
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        if isinstance(exc, (OSError, sqlite3.OperationalError)) and is_disk_full(exc):
            raise DiskFull(f"disk full while fine-tuning model {model_id}: free space, then `ouvroir train --resume "
                           f"{model_id}` continues from its last checkpoint") from exc  # fmt: skip
        if (studio.layout.model(model_id) / RESUME_STATE).exists():
            raise
        with transaction(studio.conn):
            model_store.update_model(studio.conn, model_id, status="failed")
        raise


def refinetune(studio, old: model_store.ModelRecord, device: str = "auto", withdrawn: list[str] = (),
               **callbacks) -> model_store.ModelRecord:  # fmt: skip
    """Fine-tune ``old``'s base again, with its method, rank, budget and seed, on the works consenting now."""
    base = old.config["base"]
    config = Path(base["path"]) / "config.json"
    if "model_id" in base:  # one of the studio's models, exported again (its weights as they were then)
        source = studio_bases.base_model_of(studio, old).id
    elif config.is_file() and sha256_file(config) != base["config_sha256"]:
        raise TrainingError(f"the base model at {base['path']} has changed since model {old.id} was fine-tuned from it: "
                            f"`ouvroir train --from PATH` fine-tunes it afresh")  # fmt: skip
    else:
        source = base["path"]
    budget, tuning = old.config.get("budget", {}), old.config.get("finetune", {})
    return finetune_model(studio, source, method=old.config["method"], rank=old.config.get("rank"),
                          minutes=budget.get("minutes"), steps=budget.get("steps"), seed=old.config.get("seed", 0),
                          device=device, lr=tuning.get("lr"), context=tuning.get("context", 256),
                          batch_size=tuning.get("batch_size", 8), lineage={"retrained_from": old.id, "left_out": list(withdrawn)},
                          **callbacks)  # fmt: skip


def check_method(method: str, rank: int | None) -> None:
    if method not in ("lora", "full"):
        raise TrainingError(f"unknown fine-tuning method {method!r}: lora or full")
    if method == "full" and rank is not None:
        raise TrainingError(Stage("base_full_with_rank", "--full fine-tunes every weight: leave out the LoRA rank"))


def check_source(studio, source: str, method: str = "lora", rank: int | None = None, device: str = "auto") -> None:
    """What ``finetune_model`` would refuse about ``source`` before it loads anything (the same one-line errors),
    so that a form refuses it before a job starts. Cheap: the config, the weights' headers, the model on the meta device."""
    check_method(method, rank)
    if (own := studio_bases.resolve(studio, source)) is not None:
        studio_bases.check_usable(studio, own)
        return
    info = fb.inspect_base(source, method, resolve_device(device))
    if method == "lora":
        fb.check_rank(info, rank)


def is_finetuned(record: model_store.ModelRecord) -> bool:
    return "base" in record.config


def generate_finetuned(studio, record: model_store.ModelRecord, prompt: str, n: int, seed: int, device: str,
                       params: dict) -> list[str]:  # fmt: skip
    """``n`` continuations from a fine-tuned model (its base with the adapter, or its own weights).

    A LoRA model's base is checked every time, the loaded model being cached: never text from another base.
    """
    check_base_of(record)
    model, tokenizer = _loaded(str(studio.layout.model(record.id)), json.dumps(record.config, sort_keys=True),
                               str(resolve_device(device)))  # fmt: skip
    return fb.hf_generate(model, tokenizer, prompt, n=n, seed=seed, **params)


def check_base_of(record: model_store.ModelRecord) -> None:
    """A LoRA model's base folder as fine-tuning found it, else one line naming it and what changed."""
    if record.config.get("method") == "lora" and "base" in record.config:
        fb.check_base(record.id, record.config["base"])


_CACHE: dict[tuple, tuple] = {}


def _loaded(model_dir: str, config: str, device: str) -> tuple:
    key = (model_dir, config, device)
    if key not in _CACHE:
        _CACHE.clear()  # one model at a time: a base can be gigabytes
        _CACHE[key] = fb.load_finetuned(Path(model_dir), json.loads(config), device)
    return _CACHE[key]
