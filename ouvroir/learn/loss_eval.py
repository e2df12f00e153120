"""Validation loss in bits per byte, and where a model runs (CPU or CUDA, bf16 autocast on CUDA)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from ouvroir.errors import TrainingError
from ouvroir.learn.data import head_before, work_heads
from ouvroir.learn.model import GPT

IGNORED = -100  # cross-entropy's ignore_index: a control token in view, not scored


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise TrainingError("device 'cuda' was asked for but no CUDA GPU is visible: use device='cpu'")
    return torch.device(device)


def autocast(device: torch.device, precision: str | None = None):
    """bf16 autocast (weights and optimizer state stay fp32) or none.

    ``precision`` None is each device's default: bf16 on CUDA, fp32 on CPU. Autocast is per
    thread: each CPU shard's thread enters it itself (``cpu_parallel.py``).
    """
    bf16 = precision == "bf16" or (precision is None and device.type == "cuda")
    if bf16:
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return torch.autocast(device.type, enabled=False)


@torch.no_grad()
def evaluate_bpb(model: GPT, val_ids: np.ndarray, val_bytes: int, eot_id: int, device, batch_size: int = 32,
                 controls: Sequence[int] = ()) -> float:  # fmt: skip
    """Bits per byte over every validation token, in non-overlapping windows.

    With ``controls`` (the ids of a model's control tokens), a window that starts inside a work is read
    after that work's controls, as training windows are (``data.Batches``, ``pin``) and as generation
    keeps them when its context slides: the controls are in view, not scored, and every validation
    token is still scored exactly once.
    """
    if val_bytes <= 0 or len(val_ids) == 0:
        raise TrainingError("the validation set is empty: hold out at least one work")
    stream = np.asarray(val_ids, dtype=np.int64)
    if stream[0] != eot_id:  # so that the first real token is predicted too
        stream = np.concatenate([[eot_id], stream])
    heads = work_heads(stream, eot_id, controls) if len(controls) else None
    T = model.config.context - (max((len(h) for h in heads[1]), default=0) if heads else 0)
    n_full = (len(stream) - 1) // T
    windows = [(i * T, T) for i in range(n_full)]
    if (rest := len(stream) - 1 - n_full * T) > 0:
        windows.append((n_full * T, rest))
    rows = []
    for s, n in windows:
        head = head_before(heads, s) if heads else np.zeros(0, dtype=np.int64)
        x = np.concatenate([head, stream[s : s + n]])
        y = np.concatenate([np.full(len(head), IGNORED), stream[s + 1 : s + n + 1]])
        rows.append((x, y))
    was_training = model.training
    model.eval()
    total = 0.0
    device = torch.device(device)
    for lo in range(0, len(rows), batch_size):
        group = rows[lo : lo + batch_size]
        for length in sorted({len(x) for x, _ in group}):  # rows of one length together (the short last one alone)
            x = torch.from_numpy(np.stack([x for x, _ in group if len(x) == length])).to(device)
            y = torch.from_numpy(np.stack([y for x, y in group if len(x) == length])).to(device)
            with autocast(device):
                total += model(x, y, reduction="sum").item()
    model.train(was_training)
    return total / math.log(2) / val_bytes
