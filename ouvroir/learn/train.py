"""Train a GPT on a tokenized snapshot, under a time or step budget, resumably.

Public API::

    TrainData(train_ids, val_ids, val_bytes, eot_id, tokenizer=None)
    TrainData.from_texts(tokenizer, train_texts, val_texts)
    plan(size, train_tokens, budget, device="cpu", vocab_size=768) -> TrainConfig
    train(data, config, out_dir, budget, seed=0, device="auto", resume=False,
          on_progress=None) -> TrainResult
    evaluate_bpb(model, val_ids, val_bytes, eot_id, device) -> float
    Progress(step, train_loss, val_bpb, best_val_bpb, tokens_per_s, elapsed_s,
             seconds_left, event)

The loss reported is bits per byte over the *whole* validation set
(non-overlapping windows covering every validation token, eot separators
included): total cross-entropy in nats / ln 2 / UTF-8 bytes of the
validation text, so models with different tokenizers compare.

Training time (the budget's clock) excludes evaluation and checkpoint
writes; both are reported. ``config.max_steps`` (the planner sets it where
more steps would only memorize the corpus) ends a run before its budget.
The learning rate follows a short warmup, a plateau, then a linear decay
that reaches zero when the budget (or that cap) is spent.
With ``config.ema_decay`` set, what is evaluated and saved is an exponential
moving average of the weights (``averaging.py``); training continues on the
raw weights.
The model is evaluated ``config.evals`` times; each evaluation writes a
checkpoint (``checkpoint.py`` lists the files), keeps the best weights in
``model.safetensors`` and stops early after ``config.patience`` evaluations
without improvement. With ``resume=True`` a killed run continues from its last
checkpoint (optimizer, step, data position, RNG states, elapsed time); with a
step budget and the same number of cores the resumed run is bit-identical to an
uninterrupted one. On CPU each core runs a shard of every batch
(``cpu_parallel.py``).
``resume=True`` with no saved state starts fresh; ``resume=False`` deletes the
directory's previous run files. ``train`` writes ``tokenizer.json`` itself when
``data.tokenizer`` is given.

>>> from ouvroir.learn.tokenizer import train_tokenizer
>>> tok = train_tokenizer(["to be or not to be"] * 50, vocab_size=300)
>>> data = TrainData.from_texts(tok, ["to be or not to be"] * 50, ["to be"])
>>> result = train(data, plan("tiny", data.train_tokens, Budget(steps=2), vocab_size=300),
...                tempfile.mkdtemp(), Budget(steps=2))     # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import random
import tempfile  # noqa: F401  (doctest)
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn.averaging import WeightEMA
from ouvroir.learn.cpu_parallel import ShardedStep
from ouvroir.learn.data import Batches, TrainData
from ouvroir.errors import TrainingError
from ouvroir.learn.loss_eval import autocast, evaluate_bpb, resolve_device
from ouvroir.learn.model import GPT
from ouvroir.learn.optim import optimizers_for
from ouvroir.learn.sizing import Budget, TrainConfig, plan, usable_cores

__all__ = ["Budget", "Progress", "TrainConfig", "TrainData", "TrainResult", "evaluate_bpb", "plan", "train"]


@dataclass
class Progress:
    step: int
    train_loss: float  # nats per token, smoothed
    val_bpb: float | None  # set on "eval" events
    best_val_bpb: float | None
    tokens_per_s: float
    elapsed_s: float  # training time, evaluation excluded
    seconds_left: float
    event: str  # "log" | "eval" | "done"


@dataclass
class TrainResult:
    model_dir: Path
    steps: int
    best_val_bpb: float
    best_step: int
    final_val_bpb: float
    elapsed_s: float  # training time
    eval_s: float  # evaluation + checkpoint time, not counted in the budget
    tokens: int
    params: int
    stopped: str  # "budget" | "early_stop"
    device: str


def lr_multiplier(step: int, fraction: float, config: TrainConfig) -> float:
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    if fraction < 1 - config.cooldown_frac:
        return 1.0
    return max(0.0, (1 - fraction) / config.cooldown_frac)


def train(
    data: TrainData,
    config: TrainConfig,
    out_dir: str | os.PathLike,
    budget: Budget,
    seed: int = 0,
    device: str = "auto",
    resume: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    extend: bool = False,
) -> TrainResult:
    """Train, evaluate, checkpoint; return where the best model is and how good it is.

    ``extend`` (with ``resume``): a finished run goes on to the end of ``budget``, counted from its
    start; ``config`` may then differ from the saved one in its training settings, not its model.
    """
    dev = resolve_device(device)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt.remove_stale_temps(out)
    if config.model.vocab_size < int(max(data.train_ids.max(initial=0), data.val_ids.max(initial=0))) + 1:
        raise TrainingError("token ids exceed the model's vocabulary: plan the model with the tokenizer's vocab_size")

    state = ckpt.load_train_state(out / ckpt.STATE) if resume else None
    if extend and state is None:
        raise TrainingError(f"{out} has no training state ({ckpt.STATE}) to continue from: train a new model instead")
    if state is not None:
        saved = ckpt.read_json(out / ckpt.CONFIG)
        if extend and saved.get("model") == config.model.to_dict():
            ckpt.atomic_write_json(out / ckpt.CONFIG, saved | {
                "train": config.to_dict(), "budget": {"minutes": budget.minutes, "steps": budget.steps}})  # fmt: skip
        elif saved.get("train") != config.to_dict():
            raise TrainingError(
                f"{out} holds a run with another configuration: resume it with that one, or start fresh"
            )
    else:
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
    if data.tokenizer is not None and not (out / ckpt.TOKENIZER).exists():
        data.tokenizer.save(out / ckpt.TOKENIZER)

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    model = GPT(config.model).to(dev)
    optimizers = optimizers_for(model, config)
    # With ema_decay set, evaluations and saved weights use the weight average (averaging.py).
    ema = WeightEMA(model, config.ema_decay) if config.ema_decay else None
    averaged = ema.swapped_in if ema else nullcontext
    batches = Batches(data.train_ids, config.batch_size, config.model.context, seed, dev)
    run = {
        "step": 0,
        "elapsed": 0.0,
        "eval_s": 0.0,
        "best": math.inf,
        "best_step": 0,
        "bad_evals": 0,
        "last_val": math.inf,
        "tokens": 0,
        "done": False,
        "stopped": "budget",
    }
    if state is not None:
        model.load_state_dict(state["model"])
        for opt, sd in zip(optimizers, state["optimizers"]):
            opt.load_state_dict(sd)
        if ema:
            ema.load_state_dict(state["ema"])
        batches.restore(state["data"])
        ckpt.restore_rng_states(state["rng"], dev)
        run.update(state["run"])
        if extend and run["done"]:  # its budget was spent (or it stopped early): the new one goes further
            run.update(done=False, bad_evals=0, stopped="budget")
        with averaged():  # the best weights are the averaged ones
            ckpt.repair_best_weights(out, model, state)
        ckpt.rewrite_jsonl(
            out / ckpt.METRICS, [r for r in ckpt.read_jsonl(out / ckpt.METRICS) if r["step"] <= run["step"]]
        )
    if run["done"]:
        return _result(out, run, model, dev)

    if config.max_steps and not (budget.steps and budget.steps <= config.max_steps):
        budget = Budget(minutes=budget.minutes, steps=config.max_steps)  # the planner's cap ends the run first
    step_fn = torch.compile(model) if (config.compile and dev.type == "cuda") else model
    sharded = ShardedStep(model, config.batch_size, usable_cores()) if dev.type == "cpu" else None
    if sharded:
        optimizers[1].map = sharded.map  # Muon: each core orthogonalizes its share of the matrices
    budget_s = budget.minutes * 60 if budget.minutes else None
    tokens_per_step = config.batch_size * config.model.context

    def fraction() -> float:
        f = 0.0
        if budget_s:
            f = max(f, run["elapsed"] / budget_s)
        if budget.steps:
            f = max(f, run["step"] / budget.steps)
        return f

    eval_marks = [(k + 1) / config.evals for k in range(config.evals)]
    next_eval = sum(m <= fraction() + 1e-9 for m in eval_marks)
    smooth_loss, last_log, log_tokens, log_time = None, time.perf_counter(), 0, 0.0

    def checkpoint_and_eval() -> None:
        t0 = time.perf_counter()
        with averaged():
            val = evaluate_bpb(model, data.val_ids, data.val_bytes, data.eot_id, dev)
            improved = val < run["best"] - 1e-4
            best_weights = ckpt.weights_to_save(model) if improved else None
        if improved:
            run.update(best=val, best_step=run["step"], bad_evals=0)
        else:
            run["bad_evals"] += 1
        if run["bad_evals"] >= config.patience:
            run.update(done=True, stopped="early_stop")
        elif fraction() >= 1:
            run["done"] = True
        run["last_val"] = val
        ckpt.append_jsonl(
            out / ckpt.METRICS,
            {
                "event": "eval",
                "step": run["step"],
                "elapsed_s": round(run["elapsed"], 3),
                "val_bpb": val,
                "train_loss": smooth_loss,
                "tokens": run["tokens"],
                "lr_mult": lr_multiplier(run["step"], fraction(), config),
            },
        )
        state = {
            "model": {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()},
            "optimizers": [opt.state_dict() for opt in optimizers],
            "data": batches.state(),
            "rng": ckpt.rng_states(dev),
            "run": dict(run),
            "best_is_current": improved,
            "ema": ema.state_dict() if ema else None,
        }
        ckpt.save_train_state(out / ckpt.STATE, state)
        if improved:
            ckpt.save_weights(out / ckpt.WEIGHTS, best_weights, {"step": run["step"], "val_bpb": val})
        run["eval_s"] += time.perf_counter() - t0
        _notify(on_progress, run, smooth_loss, val, 0.0, budget_s, budget, "eval")

    model.train()
    try:
        while not run["done"]:
            if fraction() >= 1:
                checkpoint_and_eval()  # final evaluation at the end of the budget
                break
            t0 = time.perf_counter()
            mult = lr_multiplier(run["step"], fraction(), config)
            for opt in optimizers:
                for group in opt.param_groups:
                    group["lr"] = group["base_lr"] * mult
            x, y = batches.next()
            x, y = x.to(dev, non_blocking=True), y.to(dev, non_blocking=True)
            if sharded:
                loss = sharded(x, y)
            else:
                with autocast(dev):
                    loss = step_fn(x, y)
                loss.backward()
            for opt in optimizers:
                opt.step()
            model.zero_grad(set_to_none=True)
            if ema:
                ema.update()
            loss_value = loss.item()  # syncs the GPU, so the clock below is honest
            if not math.isfinite(loss_value):
                raise TrainingError(
                    f"the loss diverged at step {run['step']}: lower the learning rates or resume from the last checkpoint"
                )
            smooth_loss = loss_value if smooth_loss is None else 0.9 * smooth_loss + 0.1 * loss_value
            dt = time.perf_counter() - t0
            run["step"] += 1
            run["elapsed"] += dt
            run["tokens"] += tokens_per_step
            log_tokens, log_time = log_tokens + tokens_per_step, log_time + dt
            if time.perf_counter() - last_log >= config.log_every_s:
                tps = log_tokens / max(log_time, 1e-9)
                ckpt.append_jsonl(
                    out / ckpt.METRICS,
                    {
                        "event": "log",
                        "step": run["step"],
                        "elapsed_s": round(run["elapsed"], 3),
                        "train_loss": smooth_loss,
                        "tokens_per_s": tps,
                    },
                )
                _notify(on_progress, run, smooth_loss, None, tps, budget_s, budget, "log")
                last_log, log_tokens, log_time = time.perf_counter(), 0, 0.0
            due = (
                (run["step"] % config.eval_every_steps == 0)
                if config.eval_every_steps
                else (next_eval < len(eval_marks) and fraction() >= eval_marks[next_eval] - 1e-9)
            )
            if due:
                next_eval = sum(m <= fraction() + 1e-9 for m in eval_marks)
                checkpoint_and_eval()
    finally:
        if sharded:
            sharded.close()

    ckpt.plot_curves(out)
    _notify(on_progress, run, smooth_loss, run["last_val"], 0.0, budget_s, budget, "done")
    return _result(out, run, model, dev)


def _notify(cb, run, train_loss, val, tps, budget_s, budget, event):
    if cb is None:
        return
    left = []
    if budget_s:
        left.append(max(0.0, budget_s - run["elapsed"]))
    if budget.steps and run["step"]:
        left.append(max(0, budget.steps - run["step"]) * run["elapsed"] / run["step"])
    cb(
        Progress(
            step=run["step"],
            train_loss=train_loss or math.nan,
            val_bpb=val,
            best_val_bpb=None if math.isinf(run["best"]) else run["best"],
            tokens_per_s=tps,
            elapsed_s=run["elapsed"],
            seconds_left=min(left) if left else 0.0,
            event=event,
        )
    )


def _result(out: Path, run: dict, model: GPT, dev) -> TrainResult:
    return TrainResult(
        model_dir=out,
        steps=run["step"],
        best_val_bpb=run["best"],
        best_step=run["best_step"],
        final_val_bpb=run["last_val"],
        elapsed_s=run["elapsed"],
        eval_s=run["eval_s"],
        tokens=run["tokens"],
        params=model.num_params(),
        stopped=run["stopped"],
        device=str(dev),
    )
