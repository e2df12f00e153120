"""What a training run is made of, and how it is started, saved and picked up again.

A run's *parts* are the model, its optimizers, the weight average (when the run
keeps one) and the data batches; its *counters* are what it has done so far
(steps, clocks, best score, evaluations without improvement). ``open_run``
prepares the model directory and hands back the saved state to continue from,
``build`` makes the parts from the seed, ``restore`` puts a saved state back
into them, and ``save_checkpoint`` writes one after each evaluation. The files
themselves are described in ``checkpoint.py``.
"""

from __future__ import annotations

import math
import random
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch

from ouvroir.errors import TrainingError
from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn.averaging import WeightEMA
from ouvroir.learn.data import Batches, TrainData
from ouvroir.learn.model import GPT
from ouvroir.learn.optim import optimizers_for
from ouvroir.learn.sizing import Budget, TrainConfig


@dataclass
class Counters:
    """The ``"run"`` entry of ``train_state.pt`` (field order is the saved key order)."""

    step: int = 0
    elapsed: float = 0.0  # training time: the budget's clock
    eval_s: float = 0.0  # evaluation and checkpoint time (a minutes budget counts it too)
    best: float = math.inf
    best_step: int = 0
    bad_evals: int = 0  # evaluations since the last improvement
    last_val: float = math.inf
    tokens: int = 0
    done: bool = False
    stopped: str = "budget"  # "budget" | "early_stop"
    prep_s: float = 0.0  # before the steps: snapshot, tokenizer, token files, model (a whole-run budget counts it)
    evals: int = 0  # evaluations done

    def as_dict(self) -> dict:
        return asdict(self)

    def update(self, saved: dict) -> None:
        names = {f.name for f in fields(self)}
        for name, value in saved.items():
            if name in names:
                setattr(self, name, value)


@dataclass
class Parts:
    model: GPT
    optimizers: list[torch.optim.Optimizer]
    ema: WeightEMA | None
    batches: Batches

    def averaged(self) -> AbstractContextManager:
        """Inside it the model holds the weights to evaluate and save: the average, when the run keeps one."""
        return self.ema.swapped_in() if self.ema else nullcontext()


def open_run(
    out: Path, data: TrainData, config: TrainConfig, budget: Budget, seed: int, resume: bool, extend: bool
) -> dict | None:
    """Prepare ``out`` for this run; return the saved state to continue from, or None to start afresh."""
    out.mkdir(parents=True, exist_ok=True)
    ckpt.remove_stale_temps(out)
    if config.model.vocab_size < int(max(data.train_ids.max(initial=0), data.val_ids.max(initial=0))) + 1:
        raise TrainingError("token ids exceed the model's vocabulary: plan the model with the tokenizer's vocab_size")
    state = ckpt.load_train_state(out / ckpt.STATE) if resume else None
    if extend and state is None:
        raise TrainingError(f"{out} has no training state ({ckpt.STATE}) to continue from: train a new model instead")
    if state is not None:
        _check_saved_config(out, config, budget, extend)
    else:
        _start_afresh(out, config, budget, seed)
    if data.tokenizer is not None and not (out / ckpt.TOKENIZER).exists():
        data.tokenizer.save(out / ckpt.TOKENIZER)
    return state


def _check_saved_config(out: Path, config: TrainConfig, budget: Budget, extend: bool) -> None:
    """A resumed run keeps its configuration; an extended one may change its training settings, not its model."""
    saved = ckpt.read_json(out / ckpt.CONFIG)
    if extend and saved.get("model") == config.model.to_dict():
        ckpt.atomic_write_json(out / ckpt.CONFIG, saved | {
            "train": config.to_dict(), "budget": {"minutes": budget.minutes, "steps": budget.steps}})  # fmt: skip
    elif not _same_settings(saved.get("train"), config):
        raise TrainingError(f"{out} holds a run with another configuration: resume it with that one, or start fresh")


def _same_settings(saved: dict | None, config: TrainConfig) -> bool:
    """Read through ``TrainConfig``: a run saved before a setting existed has that setting's default."""
    try:
        return saved is not None and TrainConfig.from_dict(saved).to_dict() == config.to_dict()
    except (KeyError, TypeError, ValueError):
        return False


def _start_afresh(out: Path, config: TrainConfig, budget: Budget, seed: int) -> None:
    for name in (ckpt.STATE, ckpt.WEIGHTS, ckpt.METRICS, ckpt.PLOT):
        (out / name).unlink(missing_ok=True)
    ckpt.atomic_write_json(
        out / ckpt.CONFIG,
        {
            "format": ckpt.FORMAT,
            "format_version": ckpt.FORMAT_VERSION,
            "model": config.model.to_dict(),
            "train": config.to_dict(),
            "tokenizer": ckpt.TOKENIZER,
            "budget": {"minutes": budget.minutes, "steps": budget.steps},
            "seed": seed,
        },
    )


def control_ids(tok) -> list[int]:
    return [i for values in tok.controls.values() for i in values.values()]


def build(data: TrainData, config: TrainConfig, seed: int, device: torch.device) -> Parts:
    """The parts of a fresh run; the seed fixes the initial weights and the order of the batches."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    model = GPT(config.model).to(device)
    optimizers = optimizers_for(model, config)
    ema = WeightEMA(model, config.ema_decay) if config.ema_decay else None
    tok = data.tokenizer
    fim = (*tok.fim_ids, tok.eot_id) if tok is not None and tok.has_fim and config.fim_rate > 0 else None
    batches = Batches(data.train_ids, config.batch_size, config.model.context, seed, device, fim=fim,
                      fim_rate=config.fim_rate, special=tok.special_ids.values() if fim else (),
                      pin=(tok.eot_id, control_ids(tok)) if tok is not None else None)  # fmt: skip
    return Parts(model, optimizers, ema, batches)


def restore(state: dict, parts: Parts, counters: Counters, out: Path, device: torch.device, extend: bool,
            writes: bool = True) -> None:  # fmt: skip
    """Put a saved state back: weights, optimizers, average, data position, random generators, counters.

    ``writes`` False (a rank other than 0 under torchrun): the repairs of the run's files are rank 0's."""
    parts.model.load_state_dict(state["model"])
    for opt, sd in zip(parts.optimizers, state["optimizers"]):
        opt.load_state_dict(sd)
    if parts.ema:
        parts.ema.load_state_dict(state["ema"])
    parts.batches.restore(state["data"])
    ckpt.restore_rng_states(state["rng"], device)
    counters.update(state["run"])
    if extend and counters.done:  # its budget was spent (or it stopped early): the new one goes further
        counters.done, counters.bad_evals, counters.stopped = False, 0, "budget"
    if not writes:
        return
    with parts.averaged():  # the best weights are the averaged ones
        ckpt.repair_best_weights(out, parts.model, state)
    # Lines logged after this checkpoint belong to steps the run is about to take again.
    metrics = [r for r in ckpt.read_jsonl(out / ckpt.METRICS) if r["step"] <= counters.step]
    ckpt.rewrite_jsonl(out / ckpt.METRICS, metrics)


def save_checkpoint(
    out: Path, parts: Parts, counters: Counters, device: torch.device, best_weights: dict | None, val: float
) -> None:
    """Everything resume needs, then the best weights when this evaluation improved on them.

    The state goes first: a kill between the two writes is repaired on resume (``repair_best_weights``).
    """
    state = {
        "model": {k: v.detach().to("cpu", copy=True) for k, v in parts.model.state_dict().items()},
        "optimizers": [opt.state_dict() for opt in parts.optimizers],
        "data": parts.batches.state(),
        "rng": ckpt.rng_states(device),
        "run": counters.as_dict(),
        "best_is_current": best_weights is not None,
        "ema": parts.ema.state_dict() if parts.ema else None,
    }
    ckpt.save_train_state(out / ckpt.STATE, state)
    if best_weights is not None:
        ckpt.save_weights(out / ckpt.WEIGHTS, best_weights, {"step": counters.step, "val_bpb": val})


__all__ = ["Counters", "Parts", "build", "open_run", "restore", "save_checkpoint"]
