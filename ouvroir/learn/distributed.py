"""Training on several processes, GPUs or machines: torchrun, one rank per process, gradients averaged.

Public API::

    start(device) -> Group | None     under torchrun (RANK and WORLD_SIZE set): join the group
                                      (NCCL on GPUs, gloo on CPUs); None in a plain process
    Group(rank, world)  .share(batch) .average_gradients(model) .mean(x) .agree(seconds)
                        .writes (rank 0 only) .opened(saved, out, resume) .cores() .close()
    load_tokenized(folder) -> TrainData    a snapshot's token files (what ``ouvroir train`` writes)

    torchrun --standalone --nproc_per_node=2 -m ouvroir.learn.distributed SNAPSHOT_DIR OUT_DIR --steps 2000

How a run is shared: every rank draws the same global batch (the batches follow
from the seed alone, ``data.Batches``) and trains on its share of it; the
gradients are summed across ranks and divided by their number before each
update, so the update is the one a single process makes on the whole batch (the
losses agree to rounding: ``tests/test_distributed.py``). This is what
DistributedDataParallel does; it is done here by hand, in one flat all-reduce
per step, because on CPU a rank computes its gradient on threads with
``torch.autograd.grad`` (``cpu_parallel.py``), which DDP's reducer does not see.
Every rank evaluates the same weights, so all take the same decisions (early
stop, the schedule); the clocks are agreed on (the slowest rank's) so a minutes
budget ends every rank at the same step. Only rank 0 writes: the run's files,
checkpoints, metrics, the plot; a resumed run reads the checkpoint rank 0 found.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn.sizing import usable_cores


@dataclass
class Group:
    rank: int
    world: int

    @property
    def writes(self) -> bool:
        return self.rank == 0

    def cores(self) -> int:
        """The CPU cores this rank may use: the machine's, shared among the ranks it runs."""
        local = int(os.environ.get("LOCAL_WORLD_SIZE", self.world))
        return max(1, usable_cores() // local)

    def share(self, batch: torch.Tensor) -> torch.Tensor:
        """This rank's rows of the global batch (the batch size must divide by the ranks: ``check_batch``)."""
        return batch.tensor_split(self.world)[self.rank]

    def average_gradients(self, model: torch.nn.Module) -> None:
        params = [p for p in model.parameters() if p.requires_grad]
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        flat /= self.world
        offset = 0
        for p in params:
            n = p.numel()
            p.grad = flat[offset : offset + n].view_as(p).clone()
            offset += n

    def _reduce(self, value: float, op) -> float:
        t = torch.tensor([value], dtype=torch.float64, device=self._device())
        dist.all_reduce(t, op=op)
        return float(t.item())

    def mean(self, value: float) -> float:
        return self._reduce(value, dist.ReduceOp.SUM) / self.world

    def agree(self, seconds: float) -> float:
        """The slowest rank's figure: every rank's schedule then sees the same clock."""
        return self._reduce(seconds, dist.ReduceOp.MAX)

    def opened(self, saved: dict | None, out: Path, resume: bool) -> dict | None:
        """After rank 0 opened the run (``train_state.open_run``): the other ranks read the state it found."""
        dist.barrier()
        if self.writes or not resume:
            return saved
        return ckpt.load_train_state(out / ckpt.STATE)

    def check_batch(self, batch_size: int) -> None:
        if batch_size % self.world:
            raise ValueError(f"the batch of {batch_size} sequences does not divide among {self.world} ranks")

    def close(self) -> None:
        if dist.is_initialized():
            dist.destroy_process_group()

    def _device(self) -> torch.device:
        return torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")


def start(device: str = "auto") -> Group | None:
    """Join torchrun's group when this process is one of its ranks; None otherwise."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return None
    cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    return Group(dist.get_rank(), dist.get_world_size())


def load_tokenized(folder: str | os.PathLike):
    """A snapshot folder's token files: ``tokens.json``, ``train.bin``, ``val.bin``, ``tokenizer.json``."""
    from ouvroir.learn.data import TrainData
    from ouvroir.learn.tokenizer import Tokenizer

    folder = Path(folder)
    meta = json.loads((folder / "tokens.json").read_text())
    dtype = np.dtype(meta["dtype"])
    tokenizer = Tokenizer.load(folder / "tokenizer.json")
    train_ids = np.memmap(folder / "train.bin", dtype=dtype, mode="r")
    val_ids = np.memmap(folder / "val.bin", dtype=dtype, mode="r")
    return TrainData(train_ids, val_ids, meta["val_bytes"], tokenizer.eot_id, tokenizer, meta.get("train_bytes"))


def main(argv: list[str] | None = None) -> int:
    from ouvroir.learn.sizing import Budget, TrainConfig, plan
    from ouvroir.learn.train import train

    ap = argparse.ArgumentParser(prog="python -m ouvroir.learn.distributed", description=__doc__.split("\n")[0])
    ap.add_argument("snapshot", help="a snapshot folder holding tokens.json, train.bin, val.bin, tokenizer.json")
    ap.add_argument("out", help="the model folder to write (rank 0 writes it)")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--minutes", type=float)
    ap.add_argument("--size", choices=["tiny", "small", "base"])
    ap.add_argument("--config", help="a TrainConfig as JSON (a model folder's config.json 'train' part) instead of a plan")
    ap.add_argument("--precision", choices=["fp32", "bf16", "auto"], default="auto")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--resume", action="store_true", help="continue the run in OUT from its last checkpoint")
    args = ap.parse_args(argv)
    group = start(args.device)
    data = load_tokenized(args.snapshot)
    budget = Budget(minutes=args.minutes, steps=args.steps)
    if args.config:
        config = TrainConfig.from_dict(json.loads(Path(args.config).read_text()))
    else:
        device = "cuda" if args.device == "auto" and torch.cuda.is_available() else args.device.replace("auto", "cpu")
        config = plan(args.size, data.train_tokens, budget, device=device, vocab_size=data.tokenizer.vocab_size,
                      precision=args.precision)  # fmt: skip
    try:
        result = train(data, config, args.out, budget, seed=args.seed, device=args.device, resume=args.resume,
                       group=group)  # fmt: skip
    finally:
        if group is not None:
            group.close()
    if group is None or group.writes:
        print(json.dumps({"steps": result.steps, "best_val_bpb": result.best_val_bpb, "ranks": group.world if group else 1,
                          "model_dir": str(result.model_dir)}))  # fmt: skip
    return 0


__all__ = ["Group", "load_tokenized", "main", "start"]

if __name__ == "__main__":
    sys.exit(main())
