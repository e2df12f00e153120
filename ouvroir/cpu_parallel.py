"""A training step on CPU cores: the batch split into shards, each shard on one core.

Public API::

    ShardedStep(model, batch_size, workers)
        (x, y) -> loss          forward and backward of the whole batch
        .map(fn, items)         any per-item work, spread the same way (Muon's matrices)
        .close()

Why: the models ouvroir trains on a laptop are small, so each of their
operations (a 4,096 x 192 by 192 x 576 matrix product) is too short to split
well between threads; on 2 cores a multi-threaded step of the 10-minute model
ran only 1.6x faster than on one core. Splitting the batch instead, each core
running the forward and backward of its shard on one thread, with the
gradients adding up in the parameters, makes the same step about 20% faster
(``bench/train_quality.py`` gives the tokens per second).

Each shard draws its dropout masks from its own generator, seeded at every
step from the default generator: a run is reproducible, and a shard computes
the same numbers whether the shards run side by side or in turn. The sum of
two shards' gradients does not depend on which lands first (floating-point
addition of two terms commutes), so a run is bit-identical for a given number
of cores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import torch

from ouvroir.model import GPT


class ShardedStep:
    def __init__(self, model: GPT, batch_size: int, workers: int):
        self.model = model
        self.shards = max(1, min(workers, batch_size))
        self.generators = [torch.Generator() for _ in range(self.shards)]
        # One thread per core, each running its operations single-threaded
        # (the thread count of torch is per thread: the caller keeps its own).
        self.pool = (
            ThreadPoolExecutor(
                self.shards, thread_name_prefix="ouvroir-shard", initializer=torch.set_num_threads, initargs=(1,)
            )
            if self.shards > 1
            else None
        )

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean loss over the batch (detached); the parameters' ``.grad`` receive its gradient."""
        seeds = torch.randint(0, 2**62, (self.shards,)).tolist()
        xs, ys = x.tensor_split(self.shards), y.tensor_split(self.shards)
        batch = len(x)

        def shard(i: int) -> torch.Tensor:
            generator = self.generators[i].manual_seed(seeds[i])
            loss = self.model(xs[i], ys[i], generator=generator) * (len(xs[i]) / batch)
            loss.backward()
            return loss.detach()

        losses = self.map(shard, range(self.shards))
        return torch.stack(list(losses)).sum()

    def map(self, fn: Callable, items: Iterable) -> list:
        return list(self.pool.map(fn, items) if self.pool else map(fn, items))

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown()


__all__ = ["ShardedStep"]
