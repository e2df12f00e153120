"""Validation loss in bits per byte, and where a model runs (CPU or CUDA, bf16 autocast on CUDA)."""

from __future__ import annotations

import math

import numpy as np
import torch

from ouvroir.errors import TrainingError
from ouvroir.learn.model import GPT


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise TrainingError("device 'cuda' was asked for but no CUDA GPU is visible: use device='cpu'")
    return torch.device(device)


def autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


@torch.no_grad()
def evaluate_bpb(model: GPT, val_ids: np.ndarray, val_bytes: int, eot_id: int, device, batch_size: int = 32) -> float:
    """Bits per byte over every validation token, in non-overlapping windows."""
    if val_bytes <= 0 or len(val_ids) == 0:
        raise TrainingError("the validation set is empty: hold out at least one work")
    stream = np.asarray(val_ids, dtype=np.int64)
    if stream[0] != eot_id:  # so that the first real token is predicted too
        stream = np.concatenate([[eot_id], stream])
    T = model.config.context
    n_full = (len(stream) - 1) // T
    windows = [(i * T, T) for i in range(n_full)]
    if (rest := len(stream) - 1 - n_full * T) > 0:
        windows.append((n_full * T, rest))
    was_training = model.training
    model.eval()
    total = 0.0
    device = torch.device(device)
    for lo in range(0, len(windows), batch_size):
        group = windows[lo : lo + batch_size]
        for length in sorted({n for _, n in group}):  # the short last window runs on its own
            rows = np.stack([stream[s : s + n + 1] for s, n in group if n == length])
            xy = torch.from_numpy(rows).to(device)
            with autocast(device):
                total += model(xy[:, :-1], xy[:, 1:], reduction="sum").item()
    model.train(was_training)
    return total / math.log(2) / val_bytes
