"""Speed of one CPU training step: the batch in shards (one per core) against torch's threads.

The model and batch the planner gives a budget (``--minutes``, Tiny Shakespeare's
size: 448 k training tokens, 768-token vocabulary), random tokens, and a full
step: forward, backward, both optimizers, the weight average. Three ways of
running it take turns, round after round, in one process, so a busy moment
slows all three alike; the figure is the median over rounds.

- ``threads, F.dropout``: the whole batch on one thread per core inside each
  operation (torch's intra-op threads), dropout masks from ``F.dropout`` (the
  version before the sharded step);
- ``threads, byte masks``: the same with ``model.dropout``'s byte masks;
- ``shards``: ``cpu_parallel.ShardedStep``, what ``train`` runs on CPU.

    python bench/train_step.py --minutes 10 2.5
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, nargs="+", default=[10.0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--steps", type=int, default=4, help="timed steps per way and round")
    args = ap.parse_args()

    from ouvroir.learn.sizing import usable_cores

    cores = usable_cores()
    for minutes in args.minutes:
        print(json.dumps(measure(minutes, cores, args.rounds, args.steps)), flush=True)


def measure(minutes: float, cores: int, rounds: int, steps: int) -> dict:
    import torch
    import torch.nn.functional as F

    import ouvroir.learn.model as model_module
    from ouvroir.learn.averaging import WeightEMA
    from ouvroir.learn.cpu_parallel import ShardedStep
    from ouvroir.learn.model import GPT
    from ouvroir.learn.optim import optimizers_for
    from ouvroir.learn.sizing import Budget, plan

    byte_masks = model_module.dropout

    def float_masks(x, p, generator=None):
        return F.dropout(x, p, training=True) if p else x

    config = plan(None, 448_000, Budget(minutes=minutes), vocab_size=768)
    torch.manual_seed(0)
    model = GPT(config.model).train()
    optimizers = optimizers_for(model, config)
    ema = WeightEMA(model, config.ema_decay) if config.ema_decay else None
    x = torch.randint(0, 768, (config.batch_size, config.model.context))
    y = torch.randint(0, 768, x.shape)
    sharded = ShardedStep(model, config.batch_size, cores)

    def whole_batch():
        model(x, y).backward()

    ways = {
        "threads, F.dropout": (whole_batch, float_masks, map),
        "threads, byte masks": (whole_batch, byte_masks, map),
        "shards": (lambda: sharded(x, y), byte_masks, sharded.map),
    }
    times = {name: [] for name in ways}
    try:
        for _ in range(rounds):
            for name, (forward_backward, dropout, spread) in ways.items():
                model_module.dropout = dropout
                optimizers[1].map = spread
                torch.set_num_threads(cores)
                for k in range(steps + 1):  # the first step of a round warms up, untimed
                    t0 = time.perf_counter()
                    forward_backward()
                    for opt in optimizers:
                        opt.step()
                    model.zero_grad(set_to_none=True)
                    if ema:
                        ema.update()
                    if k:
                        times[name].append(time.perf_counter() - t0)
    finally:
        sharded.close()
        model_module.dropout = byte_masks
    tokens = config.batch_size * config.model.context
    return {
        "bench": "train_step",
        "budget_min": minutes,
        "size": config.size,
        "dropout": config.model.dropout,
        "cores": cores,
        "ms_per_step": {n: round(1000 * statistics.median(t), 1) for n, t in times.items()},
        "tokens_per_s": {n: round(tokens / statistics.median(t)) for n, t in times.items()},
    }


if __name__ == "__main__":
    main()
