"""Train a GPT on a tokenized snapshot, under a time or step budget, resumably.

Public API::

    TrainData(train_ids, val_ids, val_bytes, eot_id, tokenizer=None)
    TrainData.from_texts(tokenizer, train_texts, val_texts)
    plan(size, train_tokens, budget, device="cpu", vocab_size=768) -> TrainConfig
    train(data, config, out_dir, budget, seed=0, device="auto", resume=False,
          on_progress=None, extend=False, started=None, plan_note=None) -> TrainResult
    evaluate_bpb(model, val_ids, val_bytes, eot_id, device) -> float
    Progress(step, train_loss, val_bpb, best_val_bpb, tokens_per_s, elapsed_s,
             seconds_left, event, train_s)

The recipe, one named step each:

1. Open the run (``train_state.open_run``): ``resume=False`` deletes the
   directory's previous run files and writes ``config.json``; ``resume=True``
   loads the last checkpoint (none: start fresh) and checks its configuration.
   ``train`` writes ``tokenizer.json`` itself when ``data.tokenizer`` is given.
2. Build (``train_state.build``): from the seed, the model, its optimizers
   (``optim.py``), the weight average when ``config.ema_decay`` is set
   (``averaging.py``) and the data batches; a resumed run then restores
   weights, optimizer, step, data position, RNG states and elapsed time
   (``train_state.restore``).
3. Plan the budget (``train_loop.Schedule``): ``config.max_steps`` (the
   planner sets it where more steps would only memorize the corpus) ends a run
   before its budget. Minutes are the whole run's, counted from ``started``
   (the caller's snapshot and tokenizer included): the steps get what is left
   once that, the evaluations (one is timed on a batch of validation windows
   first; fewer of them when they would take over a fifth of the budget) and
   the final save are reserved. The learning rate follows a short warmup, a
   plateau, then a linear decay that reaches zero when the steps' share (or
   that cap) is spent.
4. Step (``Loop.step``): one optimizer update per batch; on CPU each core runs
   a shard of every batch (``cpu_parallel.py``). Training time, evaluation
   and checkpoint time and preparation time are each counted and reported.
5. Evaluate (``Loop.evaluate``), ``config.evals`` times: bits per byte over
   the *whole* validation set (non-overlapping windows covering every
   validation token, eot separators included): total cross-entropy in nats /
   ln 2 / UTF-8 bytes of the validation text, so models with different
   tokenizers compare. With an average kept, it is the average that is
   evaluated and saved; training continues on the raw weights.
6. Checkpoint (``train_state.save_checkpoint``) after each evaluation
   (``checkpoint.py`` lists the files); the best weights go to
   ``model.safetensors``.
7. Stop early (``Loop.judge``) after ``config.patience`` evaluations without
   improvement.

With ``resume=True`` a killed run continues from its last checkpoint; with a
step budget and the same number of cores the resumed run is bit-identical to an
uninterrupted one.

>>> from ouvroir.learn.tokenizer import train_tokenizer
>>> tok = train_tokenizer(["to be or not to be"] * 50, vocab_size=300)
>>> data = TrainData.from_texts(tok, ["to be or not to be"] * 50, ["to be"])
>>> result = train(data, plan("tiny", data.train_tokens, Budget(steps=2), vocab_size=300),
...                tempfile.mkdtemp(), Budget(steps=2))     # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
import tempfile  # noqa: F401  (doctest)
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn.data import TrainData
from ouvroir.learn.loss_eval import evaluate_bpb, resolve_device
from ouvroir.learn.sizing import Budget, TrainConfig, plan
from ouvroir.learn.train_loop import Loop, Progress, Schedule, lr_multiplier
from ouvroir.learn.train_state import Counters, build, open_run, restore

__all__ = [
    "Budget", "Progress", "TrainConfig", "TrainData", "TrainResult", "evaluate_bpb", "lr_multiplier", "plan", "train",
]  # fmt: skip


@dataclass
class TrainResult:
    model_dir: Path
    steps: int
    best_val_bpb: float
    best_step: int
    final_val_bpb: float
    elapsed_s: float  # training time
    eval_s: float  # evaluation + checkpoint time
    tokens: int
    params: int
    stopped: str  # "budget" | "early_stop"
    device: str
    run_s: float = 0.0  # preparation, steps and evaluations: the whole run up to its last evaluation


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
    started: float | None = None,
    plan_note: dict | None = None,
    group=None,
) -> TrainResult:
    """Train, evaluate, checkpoint; return where the best model is and how good it is.

    ``extend`` (with ``resume``): a finished run goes on to the end of ``budget``, counted from its
    start; ``config`` may then differ from the saved one in its training settings, not its model.
    ``started`` (a ``time.perf_counter()``): when the person started the run, so that a minutes
    budget bounds the whole of it (default: when ``train`` is called).
    ``plan_note``: how the plan was made (the speed probe's figures); a fresh run writes it as the
    first line of ``metrics.jsonl`` (``"event": "plan"``). ``group``: this process's ``distributed.Group``
    under torchrun (it trains its share of every batch; rank 0 alone writes).
    """
    started = time.perf_counter() if started is None else started
    dev = resolve_device(device)
    out = Path(out_dir)
    writes = group is None or group.writes
    saved = open_run(out, data, config, budget, seed, resume, extend) if writes else None
    if saved is None and plan_note and writes:
        ckpt.append_jsonl(out / ckpt.METRICS, {"event": "plan", "step": 0, "elapsed_s": 0.0} | plan_note)
    if group is not None:
        group.check_batch(config.batch_size)
        saved = group.opened(saved, out, resume)
    parts = build(data, config, seed, dev)
    counters = Counters()
    if saved is not None:
        restore(saved, parts, counters, out, dev, extend, writes)
    loop = None
    if not counters.done:  # a run stopped after its last checkpoint has nothing left to train, and no plot yet
        loop = Loop(data, parts, counters, Schedule(config, budget), out, dev, on_progress, started, group)
        loop.run()
    if writes:
        ckpt.plot_curves(out, data.bytes_per_token)  # one unit when the training bytes are known
    if loop is not None:
        loop.notify(counters.last_val, 0.0, "done")
    return _result(out, counters, parts.model.num_params(), dev)


def _result(out: Path, c: Counters, params: int, dev: torch.device) -> TrainResult:
    return TrainResult(
        model_dir=out,
        steps=c.step,
        best_val_bpb=c.best,
        best_step=c.best_step,
        final_val_bpb=c.last_val,
        elapsed_s=c.elapsed,
        eval_s=c.eval_s,
        tokens=c.tokens,
        params=params,
        stopped=c.stopped,
        device=str(dev),
        run_s=c.prep_s + c.elapsed + c.eval_s,
    )
