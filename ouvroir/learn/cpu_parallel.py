"""A training step on CPU cores: the batch split into shards, each shard on one core.

Public API::

    ShardedStep(model, batch_size, shards, parallel=True, precision=None)
        (x, y) -> loss          forward and backward of the whole batch
        .map(fn, items)         any per-item work, spread the same way (Muon's matrices)
        .close()

Why: the models ouvroir trains on a laptop are small, so each of their
operations (a 4,096 x 192 by 192 x 576 matrix product) is too short to split
well between threads. Splitting the batch instead, each core running the
forward and backward of its shard on one thread, made a step on 2 cores 5%
faster than torch's threads for the 10-minute model and 2-18% for the tiny
one (``bench/train_step.py``, two runs).

Each shard draws its dropout masks from its own generator, seeded at every
step from the default generator: a run is reproducible, and a shard computes
the same numbers whether the shards run side by side or in turn. Their
gradients are summed in shard order once all are done, so a run is
bit-identical for a given number of cores, whichever thread finishes first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import torch

from ouvroir.learn.loss_eval import autocast
from ouvroir.learn.model import GPT


class ShardedStep:
    """``shards`` is the number of cores to use (at most one shard per sequence);
    ``parallel=False`` runs the shards in turn on the calling thread, each on
    one thread as in parallel, so both give the same numbers. ``precision`` "bf16": each
    shard runs under bf16 autocast (autocast is per thread, so the shard enters it itself)."""

    def __init__(self, model: GPT, batch_size: int, shards: int, parallel: bool = True, precision: str | None = None):
        self.model = model
        self.precision = precision
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.shards = max(1, min(shards, batch_size))
        self.generators = [torch.Generator() for _ in range(self.shards)]
        # One thread per core, each running its operations single-threaded
        # (the thread count of torch is per thread: the caller keeps its own).
        self.pool = (
            ThreadPoolExecutor(
                self.shards, thread_name_prefix="ouvroir-shard", initializer=torch.set_num_threads, initargs=(1,)
            )
            if parallel and self.shards > 1
            else None
        )

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean loss over the batch (detached); the parameters' ``.grad`` receive its gradient."""
        seeds = torch.randint(0, 2**62, (self.shards,)).tolist()
        xs, ys = x.tensor_split(self.shards), y.tensor_split(self.shards)
        params = self.params
        batch = len(x)

        def shard(i: int) -> tuple[torch.Tensor, tuple]:
            generator = self.generators[i].manual_seed(seeds[i])
            with autocast(torch.device("cpu"), self.precision):
                loss = self.model(xs[i], ys[i], generator=generator) * (len(xs[i]) / batch)
            return loss.detach(), torch.autograd.grad(loss, params, allow_unused=True)

        results = self.map(shard, range(self.shards))
        # Summed here in shard order, not as each shard finishes: the result
        # does not depend on which thread ran first.
        for k, p in enumerate(params):
            total = None
            for _, grads in results:
                if grads[k] is not None:
                    total = grads[k] if total is None else total + grads[k]
            if total is not None:
                p.grad = total if p.grad is None else p.grad + total
        return torch.stack([loss for loss, _ in results]).sum()

    def map(self, fn: Callable, items: Iterable) -> list:
        if self.pool:
            return list(self.pool.map(fn, items))
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return list(map(fn, items))
        finally:
            torch.set_num_threads(threads)

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown()


__all__ = ["ShardedStep"]
