"""Train the image model (``image_model.DiT``, ``flow.py``) on uint8 images, under a budget, resumably.

Public API::

    train_images(train, val, config, out_dir, budget, seed=0, device="auto", resume=False,
                 on_progress=None, started=None) -> ImageTrainResult
    ImageProgress(step, train_loss, val_loss, best_val_loss, images_per_s, elapsed_s, seconds_left, event, train_s)
    load_image_model(model_dir, device="cpu") -> DiT   (the saved, averaged weights, in eval mode)

``train`` and ``val`` are uint8 arrays [N, R, R, 3] of one resolution. The
recipe follows the text trainer's (``train.py``): AdamW with a short warmup
and a linear decay to zero at the end of the budget (``train_loop.lr_multiplier``),
an EMA of the weights (``averaging.WeightEMA``) that is what gets evaluated,
saved and sampled, ``config.evals`` evaluations of the validation loss
(``flow.validation_loss``: fixed times, fixed noise, so evaluations compare),
early stopping after ``config.patience`` evaluations without improvement,
and after each evaluation a checkpoint written atomically (``checkpoint.py``)::

    config.json        {"format": "ouvroir-image-model", "model": ImageModelConfig, "train": ImageTrainConfig}
    model.safetensors  best averaged weights so far; metadata: step, val_loss
    train_state.pt     raw weights, optimizer, EMA, step, the data generator's state, counters
    metrics.jsonl      one JSON object per log/eval line

Each batch draws its images, flips, times and noise from one CPU generator
seeded by ``seed`` and saved with the state, so a resumed run with a step
budget is identical to an uninterrupted one on the same machine.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ouvroir.errors import TrainingError
from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn.averaging import WeightEMA
from ouvroir.learn.flow import flow_loss, to_unit, validation_loss
from ouvroir.learn.image_model import DiT
from ouvroir.learn.image_plan import ImageTrainConfig
from ouvroir.learn.loss_eval import autocast, resolve_device
from ouvroir.learn.sizing import Budget
from ouvroir.learn.train_loop import lr_multiplier

FORMAT = "ouvroir-image-model"
FINISH_S = 2.0  # from the last evaluation to the ready model


@dataclass
class ImageProgress:
    step: int
    train_loss: float  # mean squared velocity error, smoothed
    val_loss: float | None  # set on "eval" events
    best_val_loss: float | None
    images_per_s: float
    elapsed_s: float  # the whole run so far
    seconds_left: float
    event: str  # "log" | "eval" | "done"
    train_s: float = 0.0  # training time (steps only)


@dataclass
class ImageTrainResult:
    model_dir: Path
    steps: int
    best_val_loss: float
    best_step: int
    final_val_loss: float
    elapsed_s: float  # training time
    eval_s: float
    images: int  # training images seen (flipped or not)
    params: int
    stopped: str  # "budget" | "early_stop"
    device: str


@dataclass
class _Counters:
    step: int = 0
    elapsed: float = 0.0
    eval_s: float = 0.0
    prep_s: float = 0.0
    evals: int = 0
    best: float = math.inf
    best_step: int = 0
    bad_evals: int = 0
    last_val: float = math.inf
    done: bool = False
    stopped: str = "budget"


def _check_images(images: np.ndarray, what: str, resolution: int) -> None:
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (resolution, resolution, 3):
        raise TrainingError(f"the {what} images must be uint8 [N, {resolution}, {resolution}, 3], "
                            f"got {images.dtype} {list(images.shape)}")  # fmt: skip
    if not len(images):
        raise TrainingError(f"no {what} images: at least one is needed")


def _optimizer(model: DiT, config: ImageTrainConfig) -> torch.optim.AdamW:
    """AdamW; matrices decayed, biases and norm gains not (as the text model's optimizers)."""
    matrices = [p for p in model.parameters() if p.dim() == 2]
    others = [p for p in model.parameters() if p.dim() != 2]
    groups = [{"params": matrices, "weight_decay": config.weight_decay}, {"params": others, "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=config.lr, betas=config.betas)
    for g in opt.param_groups:
        g["base_lr"] = g["lr"]
    return opt


class _Run:
    def __init__(self, train, val, config, out, budget, seed, dev, on_progress, started):
        self.config, self.out, self.budget, self.dev, self.on_progress = config, out, budget, dev, on_progress
        self.started = started
        torch.manual_seed(seed)
        self.model = DiT(config.model).to(dev)
        self.opt = _optimizer(self.model, config)
        self.ema = WeightEMA(self.model, config.ema_decay)
        self.generator = torch.Generator().manual_seed(seed)
        self.train = to_unit(train).to(dev)
        self.val = to_unit(val[: config.val_images])
        self.c = _Counters()
        self.smooth: float | None = None
        self.budget_s = budget.minutes * 60 if budget.minutes else None
        self.eval_guess = 0.0

    # -- the budget ------------------------------------------------------------------------------

    def fraction(self) -> float:
        c, f = self.c, 0.0
        if self.budget.steps:
            f = max(f, c.step / self.budget.steps)
        if self.budget_s:
            evals_left = max(1, self.config.evals - c.evals)
            eval_s = c.eval_s / c.evals if c.evals else self.eval_guess
            room = self.budget_s - c.prep_s - c.eval_s - evals_left * eval_s - FINISH_S
            f = max(f, c.elapsed / max(room, 0.2 * self.budget_s))
        return f

    def seconds_left(self) -> float:
        c = self.c
        if c.done or not c.step:
            return FINISH_S if c.done else 0.0
        per_step = c.elapsed / c.step
        left = (1 - min(self.fraction(), 1)) * c.step / max(self.fraction(), 1e-9) * per_step
        eval_s = c.eval_s / c.evals if c.evals else self.eval_guess
        return left + max(0, self.config.evals - c.evals) * eval_s + FINISH_S

    # -- state -----------------------------------------------------------------------------------

    def state(self) -> dict:
        return {"model": ckpt.weights_to_save(self.model), "optimizer": self.opt.state_dict(),
                "ema": self.ema.state_dict(), "generator": self.generator.get_state(),
                "counters": vars(self.c).copy(), "smooth": self.smooth}  # fmt: skip

    def restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.ema.load_state_dict(state["ema"])
        self.generator.set_state(state["generator"])
        for key, value in state["counters"].items():
            setattr(self.c, key, value)
        self.smooth = state["smooth"]
        kept = [r for r in ckpt.read_jsonl(self.out / ckpt.METRICS) if r.get("step", 0) <= self.c.step]
        ckpt.rewrite_jsonl(self.out / ckpt.METRICS, kept)  # lines logged after the checkpoint are replayed

    # -- the loop --------------------------------------------------------------------------------

    def run(self) -> None:
        c = self.c
        if not c.done and self.budget_s and not c.evals:
            t0 = time.perf_counter()
            with torch.no_grad():
                validation_loss(self.model, self.val[:16], grid=1)
            probe = time.perf_counter() - t0
            self.eval_guess = probe * self.config.val_grid * max(len(self.val), 16) / 16 + 0.3
        c.prep_s += time.perf_counter() - self.started
        last_log, log_images, log_time = time.perf_counter(), 0, 0.0
        marks = [(k + 1) / self.config.evals for k in range(self.config.evals)]
        next_mark = sum(m <= self.fraction() + 1e-9 for m in marks)
        self.model.train()
        while not c.done:
            if self.fraction() >= 1:
                self.evaluate()
                break
            dt = self.step()
            log_images, log_time = log_images + self.config.batch_size, log_time + dt
            if time.perf_counter() - last_log >= self.config.log_every_s:
                speed = log_images / max(log_time, 1e-9)
                ckpt.append_jsonl(self.out / ckpt.METRICS, {"event": "log", "step": c.step, "elapsed_s": round(c.elapsed, 3),
                                                            "train_loss": self.smooth, "images_per_s": speed})  # fmt: skip
                self.notify(None, speed, "log")
                last_log, log_images, log_time = time.perf_counter(), 0, 0.0
            if next_mark < len(marks) and self.fraction() >= marks[next_mark] - 1e-9:
                next_mark = sum(m <= self.fraction() + 1e-9 for m in marks)
                self.evaluate()

    def step(self) -> float:
        c, config, g = self.c, self.config, self.generator
        t0 = time.perf_counter()
        mult = lr_multiplier(c.step, self.fraction(), config)
        for group in self.opt.param_groups:
            group["lr"] = group["base_lr"] * mult
        index = torch.randint(len(self.train), (config.batch_size,), generator=g).to(self.train.device)
        x = self.train[index]
        if config.flip:
            flips = (torch.rand(config.batch_size, generator=g) < 0.5).to(x.device)
            x = torch.where(flips[:, None, None, None], x.flip(-1), x)
        with autocast(self.dev):
            loss = flow_loss(self.model, x, g, config.time_schedule)
        loss.backward()
        if config.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.grad_clip)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        self.ema.update()
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingError(f"the loss diverged at step {c.step}: lower the learning rate or resume from the last checkpoint")
        self.smooth = value if self.smooth is None else 0.95 * self.smooth + 0.05 * value
        dt = time.perf_counter() - t0
        c.step += 1
        c.elapsed += dt
        return dt

    def evaluate(self) -> None:
        c = self.c
        t0 = time.perf_counter()
        self.model.eval()
        with self.ema.swapped_in(), autocast(self.dev):
            val = validation_loss(self.model, self.val, grid=self.config.val_grid)
            improved = val < c.best - 1e-5
            best_weights = ckpt.weights_to_save(self.model) if improved else None
        self.model.train()
        if improved:
            c.best, c.best_step, c.bad_evals = val, c.step, 0
        else:
            c.bad_evals += 1
        if c.bad_evals >= self.config.patience:
            c.done, c.stopped = True, "early_stop"
        elif self.fraction() >= 1:
            c.done = True
        c.last_val = val
        c.evals += 1
        ckpt.append_jsonl(self.out / ckpt.METRICS, {"event": "eval", "step": c.step, "elapsed_s": round(c.elapsed, 3),
                                                    "val_loss": val, "train_loss": self.smooth})  # fmt: skip
        # The state first: a kill between the two leaves weights one checkpoint behind, which resume rewrites.
        ckpt.save_train_state(self.out / ckpt.STATE, self.state() | {"best_weights": best_weights})
        if best_weights is not None:
            ckpt.save_weights(self.out / ckpt.WEIGHTS, best_weights, {"step": c.best_step, "val_loss": val})
        c.eval_s += time.perf_counter() - t0
        self.notify(val, 0.0, "eval")

    def notify(self, val: float | None, speed: float, event: str) -> None:
        if self.on_progress is None:
            return
        c = self.c
        self.on_progress(ImageProgress(
            step=c.step, train_loss=self.smooth if self.smooth is not None else math.nan, val_loss=val,
            best_val_loss=None if math.isinf(c.best) else c.best, images_per_s=speed,
            elapsed_s=c.prep_s + c.elapsed + c.eval_s, seconds_left=0.0 if event == "done" else self.seconds_left(),
            event=event, train_s=c.elapsed))  # fmt: skip


def train_images(
    train: np.ndarray,
    val: np.ndarray,
    config: ImageTrainConfig,
    out_dir: str | os.PathLike,
    budget: Budget,
    seed: int = 0,
    device: str = "auto",
    resume: bool = False,
    on_progress: Callable[[ImageProgress], None] | None = None,
    started: float | None = None,
) -> ImageTrainResult:
    """Train, evaluate, checkpoint; return where the best (averaged) weights are and how good they are.

    ``resume``: continue the run saved in ``out_dir`` (none there: start fresh); its configuration must
    be ``config``. ``started`` (a ``time.perf_counter()``): when a minutes budget began (default: now).
    """
    started = time.perf_counter() if started is None else started
    R = config.model.resolution
    _check_images(train, "training", R)
    _check_images(val, "validation", R)
    dev = resolve_device(device)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt.remove_stale_temps(out)
    saved = ckpt.load_train_state(out / ckpt.STATE) if resume else None
    header = {"format": FORMAT, "format_version": ckpt.FORMAT_VERSION, "model": config.model.to_dict(),
              "train": config.to_dict(), "budget": {"minutes": budget.minutes, "steps": budget.steps}, "seed": seed}  # fmt: skip
    if saved is not None:
        stored = ckpt.read_json(out / ckpt.CONFIG)
        if stored.get("train") != json.loads(json.dumps(config.to_dict())):
            raise TrainingError(f"{out} holds a run of another configuration: resume it with its own")
    else:
        for name in (ckpt.STATE, ckpt.WEIGHTS, ckpt.METRICS):
            (out / name).unlink(missing_ok=True)
        ckpt.atomic_write_json(out / ckpt.CONFIG, header)
    run = _Run(train, val, config, out, budget, seed, dev, on_progress, started)
    if saved is not None:
        run.restore(saved)
        if saved.get("best_weights") is not None:  # a kill between state and weights: write them again
            _, meta = _weights_meta(out)
            if meta.get("step") != str(run.c.best_step):
                ckpt.save_weights(out / ckpt.WEIGHTS, saved["best_weights"], {"step": run.c.best_step, "val_loss": run.c.best})
    if not run.c.done:
        run.run()
    run.notify(run.c.last_val, 0.0, "done")
    c = run.c
    return ImageTrainResult(model_dir=out, steps=c.step, best_val_loss=c.best, best_step=c.best_step,
                            final_val_loss=c.last_val, elapsed_s=c.elapsed, eval_s=c.eval_s,
                            images=c.step * config.batch_size, params=run.model.num_params(), stopped=c.stopped,
                            device=str(dev))  # fmt: skip


def _weights_meta(out: Path) -> tuple[dict | None, dict]:
    try:
        return ckpt.load_weights(out / ckpt.WEIGHTS)
    except Exception:  # noqa: BLE001 (missing or torn: rewritten by the caller)
        return None, {}


def load_image_model(model_dir: str | os.PathLike, device: str = "cpu") -> DiT:
    """The saved (averaged, best) weights of an image model directory, ready to sample."""
    from ouvroir.learn.image_model import ImageModelConfig

    out = Path(model_dir)
    header = ckpt.read_json(out / ckpt.CONFIG)
    if header.get("format") != FORMAT:
        raise TrainingError(f"{out} is not an image model (format {header.get('format')!r})")
    model = DiT(ImageModelConfig.from_dict(header["model"]))
    weights, _ = ckpt.load_weights(out / ckpt.WEIGHTS)
    model.load_state_dict(weights)
    return model.to(resolve_device(device)).eval()


__all__ = ["FORMAT", "ImageProgress", "ImageTrainResult", "load_image_model", "train_images"]
