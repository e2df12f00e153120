"""The training loop: the budget's schedule, one step, logging, evaluation and early stopping.

``Schedule`` says how much of the budget a run has used, the learning rate that
goes with it and when the next evaluation is due. ``Loop.run`` steps until the
budget is spent or the run stops early: each ``step`` is one optimizer update on
one batch; each ``evaluate`` scores the (averaged) weights on the validation
set, decides whether to stop, and writes a checkpoint (``train_state.py``).
A minutes budget is the whole run's, from the moment the caller started it
(snapshot, tokenizer, token files) to the saved model: the schedule gives the
steps what is left once that preparation, the evaluations (measured, and
estimated for those to come) and the final save are accounted, so that the
learning rate reaches zero and the last evaluation ends when the budget does.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from ouvroir.errors import TrainingError
from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn.cpu_parallel import ShardedStep
from ouvroir.learn.data import TrainData
from ouvroir.learn.loss_eval import autocast, evaluate_bpb
from ouvroir.learn.sizing import Budget, TrainConfig, usable_cores
from ouvroir.learn.train_state import Counters, Parts, control_ids, save_checkpoint


@dataclass
class Progress:
    step: int
    train_loss: float  # nats per token, smoothed
    val_bpb: float | None  # set on "eval" events
    best_val_bpb: float | None
    tokens_per_s: float
    elapsed_s: float  # the whole run so far: preparation, steps, evaluations
    seconds_left: float  # until the model is saved: steps, evaluations and the final save to come
    event: str  # "log" | "eval" | "done"
    train_s: float = 0.0  # training time (steps only)


# Seconds from the end of the last evaluation to the ready model: the loss plot, the model's hash, its record.
FINISH_S = 3.0
# Evaluations take at most this share of a minutes budget (fewer of them when the validation set is slow to score),
EVAL_SHARE = 0.2
# and the steps at least this share, whatever the preparation took (the run then says it will take longer).
MIN_TRAIN_SHARE = 0.2


def lr_multiplier(step: int, fraction: float, config: TrainConfig) -> float:
    """A short warmup, a plateau, then a linear decay that reaches zero when the budget is spent."""
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    if fraction < 1 - config.cooldown_frac:
        return 1.0
    return max(0.0, (1 - fraction) / config.cooldown_frac)


class Schedule:
    """The budget as the run sees it: the planner's step cap ends it first when that comes sooner.

    With minutes, the seconds of steps are what the whole-run budget leaves (``train_budget_s``):
    the counters carry the preparation and evaluation time spent, ``estimate_eval`` the cost of one
    evaluation before any was measured.
    """

    def __init__(self, config: TrainConfig, budget: Budget):
        if config.max_steps and not (budget.steps and budget.steps <= config.max_steps):
            budget = Budget(minutes=budget.minutes, steps=config.max_steps)
        self.config, self.budget = config, budget
        self.budget_s = budget.minutes * 60 if budget.minutes else None
        self.eval_guess_s = 0.0  # one evaluation and its checkpoint, before one is measured
        self.set_evals(config.evals)

    def set_evals(self, n: int) -> None:
        self.evals = max(1, n)
        self.eval_marks = [(k + 1) / self.evals for k in range(self.evals)]

    def estimate_eval(self, seconds: float, c: Counters) -> None:
        """One evaluation is expected to take ``seconds``: with minutes, fewer of them if they would eat the budget."""
        self.eval_guess_s = seconds
        if self.budget_s and seconds > 0:
            room = max(0.0, self.budget_s - c.prep_s - c.eval_s - FINISH_S)
            self.set_evals(min(self.config.evals, int(EVAL_SHARE * room / seconds)))

    def eval_s(self, c: Counters) -> float:
        """What one evaluation costs: the mean of those measured, else the estimate."""
        return c.eval_s / c.evals if c.evals else self.eval_guess_s

    def evals_left(self, c: Counters) -> int:
        return 0 if c.done else max(1, self.evals - c.evals)  # the last one always comes

    def train_budget_s(self, c: Counters) -> float | None:
        """Seconds of steps the minutes budget leaves once the time spent and to come outside them is counted."""
        if not self.budget_s:
            return None
        outside = c.prep_s + c.eval_s + self.evals_left(c) * self.eval_s(c) + FINISH_S
        return max(self.budget_s - outside, MIN_TRAIN_SHARE * self.budget_s)

    def fraction(self, c: Counters) -> float:
        """How much of the budget is used: the larger of the time and the step fractions."""
        f = 0.0
        if self.budget_s:
            f = max(f, c.elapsed / self.train_budget_s(c))
        if self.budget.steps:
            f = max(f, c.step / self.budget.steps)
        return f

    def lr_multiplier(self, c: Counters) -> float:
        return lr_multiplier(c.step, self.fraction(c), self.config)

    def evals_passed(self, c: Counters) -> int:
        return sum(m <= self.fraction(c) + 1e-9 for m in self.eval_marks)

    def eval_due(self, c: Counters, evals_done: int) -> bool:
        if self.config.eval_every_steps:
            return c.step % self.config.eval_every_steps == 0
        return evals_done < len(self.eval_marks) and self.fraction(c) >= self.eval_marks[evals_done] - 1e-9

    def run_s(self, c: Counters) -> float:
        return c.prep_s + c.elapsed + c.eval_s

    def seconds_left(self, c: Counters) -> float:
        """Until the model is saved: the steps left, the evaluations to come and the final save."""
        if c.done:
            return FINISH_S  # the last evaluation is over: the save is left
        steps_left = []
        if self.budget_s:
            steps_left.append(max(0.0, self.train_budget_s(c) - c.elapsed))
        if self.budget.steps and c.step:
            steps_left.append(max(0, self.budget.steps - c.step) * c.elapsed / c.step)
        if not steps_left:
            return 0.0
        return min(steps_left) + self.evals_left(c) * self.eval_s(c) + FINISH_S


class Loop:
    def __init__(
        self,
        data: TrainData,
        parts: Parts,
        counters: Counters,
        schedule: Schedule,
        out: Path,
        device: torch.device,
        on_progress: Callable[[Progress], None] | None,
        started: float | None = None,
        group=None,
    ):
        """``started``: the ``time.perf_counter()`` at which the run began for the person (default: now).
        ``group``: a ``distributed.Group``: this rank trains its share of each batch, rank 0 alone writes."""
        self.group = group
        self.writes = group is None or group.writes
        self.started = time.perf_counter() if started is None else started
        self.data, self.parts, self.counters, self.schedule = data, parts, counters, schedule
        self.config, self.out, self.device, self.on_progress = schedule.config, out, device, on_progress
        self.tokens_per_step = self.config.batch_size * self.config.model.context
        self.next_eval = schedule.evals_passed(counters)  # a resumed run skips the marks it has passed
        self.smooth_loss: float | None = None
        self.last_log, self.log_tokens, self.log_time = time.perf_counter(), 0, 0.0
        self.sharded: ShardedStep | None = None
        # Validation windows read inside a work after its controls, as training windows are (loss_eval.py).
        self.controls = control_ids(data.tokenizer) if data.tokenizer is not None else []

    def run(self) -> None:
        """Step, log and evaluate until the budget is spent or the run stops early."""
        model, c = self.parts.model, self.counters
        self.prepare()
        forward = torch.compile(model) if (self.config.compile and self.device.type == "cuda") else model
        if self.device.type == "cpu":
            batch, cores = self.config.batch_size, usable_cores()
            if self.group:
                batch, cores = batch // self.group.world, self.group.cores()
            self.sharded = ShardedStep(model, batch, cores, precision=self.config.precision)
            self.parts.optimizers[1].map = self.sharded.map  # Muon: each core orthogonalizes its share of the matrices
        model.train()
        try:
            while not c.done:
                if self.schedule.fraction(c) >= 1:
                    self.evaluate()  # final evaluation at the end of the budget
                    break
                self.step(forward)
                self.log_when_due()
                if self.schedule.eval_due(c, self.next_eval):
                    self.next_eval = self.schedule.evals_passed(c)
                    self.evaluate()
        finally:
            if self.sharded:
                self.sharded.close()

    def prepare(self) -> None:
        """Count the time before the first step, and plan the evaluations a minutes budget can afford."""
        c, schedule = self.counters, self.schedule
        if schedule.budget_s and not c.done:
            seconds = schedule.eval_s(c) if c.evals else self.time_one_evaluation()
            c.prep_s += time.perf_counter() - self.started
            if self.group:  # every rank plans the same evaluations from the same clock
                seconds, c.prep_s = self.group.agree(seconds), self.group.agree(c.prep_s)
            schedule.estimate_eval(seconds, c)
            self.next_eval = schedule.evals_passed(c)
        else:
            c.prep_s += time.perf_counter() - self.started

    def time_one_evaluation(self) -> float:
        """An evaluation's cost, from scoring one batch of validation windows (a cold first batch: it errs long)."""
        ids, context, batch = self.data.val_ids, self.config.model.context, 32
        sample = ids[: batch * context + 1]
        t0 = time.perf_counter()
        evaluate_bpb(self.parts.model, sample, 1, self.data.eot_id, self.device, batch_size=batch,
                     controls=self.controls)  # fmt: skip
        scored = time.perf_counter() - t0
        weights_mb = 16 * self.parts.model.num_params() / 1e6  # weights, optimizer moments, average: ~4 copies
        return scored * len(ids) / max(len(sample), 1) + 0.5 + weights_mb / 200

    def step(self, forward: Callable) -> None:
        """One optimizer update on the next batch; on CPU each core takes a shard of it (``cpu_parallel.py``)."""
        c, parts = self.counters, self.parts
        t0 = time.perf_counter()
        mult = self.schedule.lr_multiplier(c)
        for opt in parts.optimizers:
            for group in opt.param_groups:
                group["lr"] = group["base_lr"] * mult
        x, y = parts.batches.next()
        x, y = x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
        if self.group:
            x, y = self.group.share(x), self.group.share(y)
        if self.sharded:
            loss = self.sharded(x, y)
        else:
            with autocast(self.device, self.config.precision):
                loss = forward(x, y)
            loss.backward()
        if self.group:
            self.group.average_gradients(parts.model)
        for opt in parts.optimizers:
            opt.step()
        parts.model.zero_grad(set_to_none=True)
        if parts.ema:
            parts.ema.update()
        loss_value = loss.item()  # syncs the GPU, so the clock below is honest
        if self.group:
            loss_value = self.group.mean(loss_value)
        if not math.isfinite(loss_value):
            raise TrainingError(
                f"the loss diverged at step {c.step}: lower the learning rates or resume from the last checkpoint"
            )
        self.smooth_loss = loss_value if self.smooth_loss is None else 0.9 * self.smooth_loss + 0.1 * loss_value
        dt = time.perf_counter() - t0
        if self.group:
            dt = self.group.agree(dt)
        c.step += 1
        c.elapsed += dt
        c.tokens += self.tokens_per_step
        self.log_tokens, self.log_time = self.log_tokens + self.tokens_per_step, self.log_time + dt

    def log_when_due(self) -> None:
        """Every ``config.log_every_s``: a metrics line and a progress event with the recent speed."""
        if not self.writes or time.perf_counter() - self.last_log < self.config.log_every_s:
            return
        c = self.counters
        tps = self.log_tokens / max(self.log_time, 1e-9)
        ckpt.append_jsonl(
            self.out / ckpt.METRICS,
            {
                "event": "log",
                "step": c.step,
                "elapsed_s": round(c.elapsed, 3),
                "train_loss": self.smooth_loss,
                "tokens_per_s": tps,
            },
        )
        self.notify(None, tps, "log")
        self.last_log, self.log_tokens, self.log_time = time.perf_counter(), 0, 0.0

    def evaluate(self) -> None:
        """Score the weights on the validation set, decide whether to stop, write a checkpoint."""
        c, parts, data = self.counters, self.parts, self.data
        t0 = time.perf_counter()
        with parts.averaged():
            val = evaluate_bpb(parts.model, data.val_ids, data.val_bytes, data.eot_id, self.device, controls=self.controls)
            improved = val < c.best - 1e-4
            best_weights = ckpt.weights_to_save(parts.model) if improved else None
        lr_mult = self.schedule.lr_multiplier(c)  # before judging: a finished run reserves no more evaluations
        self.judge(val, improved)
        c.evals += 1  # before the checkpoint, which saves the counters
        if not self.writes:  # every rank judged the same score; rank 0 alone writes
            c.eval_s = self.group.agree(c.eval_s + time.perf_counter() - t0)
            return
        ckpt.append_jsonl(
            self.out / ckpt.METRICS,
            {
                "event": "eval",
                "step": c.step,
                "elapsed_s": round(c.elapsed, 3),
                "val_bpb": val,
                "train_loss": self.smooth_loss,
                "tokens": c.tokens,
                "lr_mult": lr_mult,
            },
        )
        save_checkpoint(self.out, parts, c, self.device, best_weights, val)
        c.eval_s += time.perf_counter() - t0
        if self.group:
            c.eval_s = self.group.agree(c.eval_s)
        self.notify(val, 0.0, "eval")

    def judge(self, val: float, improved: bool) -> None:
        """Keep the best score; stop early after ``config.patience`` evaluations without improvement."""
        c = self.counters
        if improved:
            c.best, c.best_step, c.bad_evals = val, c.step, 0
        else:
            c.bad_evals += 1
        if c.bad_evals >= self.config.patience:
            c.done, c.stopped = True, "early_stop"
        elif self.schedule.fraction(c) >= 1:
            c.done = True
        c.last_val = val

    def notify(self, val: float | None, tokens_per_s: float, event: str) -> None:
        if self.on_progress is None or not self.writes:
            return
        c = self.counters
        self.on_progress(
            Progress(
                step=c.step,
                train_loss=self.smooth_loss or math.nan,
                val_bpb=val,
                best_val_bpb=None if math.isinf(c.best) else c.best,
                tokens_per_s=tokens_per_s,
                elapsed_s=self.schedule.run_s(c),
                seconds_left=0.0 if event == "done" else self.schedule.seconds_left(c),
                event=event,
                train_s=c.elapsed,
            )
        )


__all__ = ["FINISH_S", "Loop", "Progress", "Schedule", "lr_multiplier"]
