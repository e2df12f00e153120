"""``ouvroir train --resume MODEL`` on a fine-tune: the run goes on where it stopped, as if it never had.

Nothing is planned again: the base, method, LoRA rank, budget, seed, learning rate, context and batch
size are those stored at fine-tuning, and the data is the model's own snapshot, tokenized again by
the base's tokenizer. The run continues from the state its last checkpoint saved
(``learn.finetune_state``); with a step budget it ends bit for bit as an uninterrupted run would.

The base must be the very one fine-tuning read: its config and weights hashes as recorded
(``learn.base_weights``, a cheap check first), since an adapter trained on from another base would
be fitted to weights it never saw. A studio model fine-tuned with every weight kept no copy of its
base: it is exported again, and must give the same hashes. Consent is checked as for a run from
scratch. Every refusal is one line, before anything loads or anything stored changes.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ..corpus.snapshot import SPLIT_BY_WORK, load_snapshot, snapshot_texts
from ..errors import BaseModelChanged, TrainingError
from ..i18n.stages import Stage, word
from ..learn import finetune as ft
from ..learn import finetune_base as fb
from ..learn import finetune_state as fstate
from ..learn.base_weights import base_change
from ..learn.loss_eval import resolve_device
from ..store import models as model_store
from ..store.db import transaction
from . import studio_base as studio_bases
from .finetuning import run_finetune
from .generation import refuse_withdrawn


def resume_finetune(studio, record: model_store.ModelRecord, minutes: float | None = None, steps: int | None = None,
                    size: str | None = None, device: str = "auto", name: str | None = None,
                    on_progress: Callable | None = None, on_stage: Callable[[str], None] | None = None,
                    on_model: Callable[[str], None] | None = None) -> model_store.ModelRecord:  # fmt: skip
    """Continue the fine-tune ``record`` (status ``training``) with its stored settings; return its record."""
    stage = on_stage or (lambda message: None)
    refuse_withdrawn(studio, record, None)  # the consent check of every resume: not one step on a withdrawn work
    check_resumable(record, minutes, steps, size)
    if name is not None:
        name = model_store.check_name(name)
        if (other := model_store.name_taken(studio.conn, name)) and other != record.id:
            raise TrainingError(f"the name {name!r} is already model {other}'s: choose another")
    fstate.check(studio.layout.model(record.id))  # a damaged checkpoint: one line, before the base loads
    config, dev = record.config, resolve_device(device)
    with base_folder(studio, record) as path:  # refuses a base that is not the one fine-tuning read
        info = fb.inspect_base(path, config["method"], dev)
        if name is not None:  # `train --resume M --name N` names the model it continues
            with transaction(studio.conn):
                model_store.rename_model(studio.conn, record.id, name)
        folder = config["base"]["folder"]
        stage(Stage("finetune_base", f"Base model {folder} ({info.config.model_type}, {info.parameters:,} parameters), "
                    f"loaded from {info.path}", folder=folder, model_type=info.config.model_type,
                    parameters=info.parameters, path=str(info.path)))  # fmt: skip
        model, tokenizer = fb.load_base(info, dev)
        model, _ = fb.prepare(model, config["method"], config.get("rank"), seed=config.get("seed", 0))
        snapshot = load_snapshot(studio, record.snapshot_id)
        stage(Stage("snapshot_taken", f"Snapshot {snapshot.id}: {len(snapshot.train_works)} works for training, "
                    f"{len(snapshot.val_works)} for validation ({snapshot.split_rule})", snapshot=snapshot.id,
                    train=len(snapshot.train_works), val=len(snapshot.val_works),
                    rule=word("split_by_work" if snapshot.split_rule == SPLIT_BY_WORK else "split_by_tail")))  # fmt: skip
        streams = ft.token_streams(tokenizer, *snapshot_texts(studio, snapshot))
        if on_model:
            on_model(record.id)
        return run_finetune(studio, record.id, config, model, streams, dev, stage=stage, on_progress=on_progress,
                            resume=True)  # fmt: skip


def check_resumable(record: model_store.ModelRecord, minutes: float | None, steps: int | None,
                    size: str | None) -> None:  # fmt: skip
    """A fine-tune that stopped before its end, resumed without new settings; else one line saying why not."""
    if record.status == "ready":
        raise TrainingError(f"model {record.id} already finished fine-tuning ({record.steps or 0:,} steps): there is "
                            f"nothing to resume; `ouvroir retrain {record.id}` fine-tunes its base again")  # fmt: skip
    if record.status != "training":
        raise TrainingError(f"model {record.id}'s fine-tuning failed (status: {record.status}): it cannot be resumed; "
                            f"`ouvroir retrain {record.id}` fine-tunes its base again")  # fmt: skip
    if size:
        raise TrainingError(f"model {record.id} is fine-tuned from {record.config['base']['folder']}: it resumes with "
                            f"its own base and method (leave out --size {size})")  # fmt: skip
    stored = record.config.get("budget") or {}
    asked = {"minutes": minutes, "steps": steps}
    if any(value is not None and value != stored.get(key) for key, value in asked.items()):
        raise TrainingError(f"model {record.id} resumes its fine-tuning with its own budget ({_budget(stored)}): "
                            "leave out --minutes and --steps")  # fmt: skip


def _budget(stored: dict) -> str:
    parts = ([f"{stored['minutes']:g} min"] if stored.get("minutes") else []) + (
        [f"{stored['steps']:,} steps"] if stored.get("steps") else [])  # fmt: skip
    return " or ".join(parts) or "none"


@contextlib.contextmanager
def base_folder(studio, record: model_store.ModelRecord) -> Iterator[Path]:
    """The folder holding the base ``record`` was fine-tuned on, checked to be that very base."""
    base = record.config["base"]
    if "model_id" in base and not Path(base["path"]).is_dir():  # a studio model, exported for the run only
        own = studio_bases.base_model_of(studio, record)  # gone or trained on since: one line
        with tempfile.TemporaryDirectory(prefix="ouvroir-base-") as tmp:
            path = studio_bases.export_to(studio, own, Path(tmp) / own.id)
            _check_same(record, base | {"path": str(path), "weights_state": {}}, f"`ouvroir train --from {own.id}`")
            yield path
        return
    _check_same(record, base, f"put that base back in {base['path']}, or fine-tune afresh with `ouvroir train --from "
                f"{base['path']}`")  # fmt: skip
    yield Path(base["path"])


def _check_same(record: model_store.ModelRecord, base: dict, what_to_do: str) -> None:
    if change := base_change(base):
        raise BaseModelChanged(f"model {record.id} cannot be resumed on another base than the one it was fine-tuned "
                               f"on: {change}; {what_to_do}")  # fmt: skip
