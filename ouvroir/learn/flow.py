"""Rectified flow (flow matching): the image model's objective, its validation loss and its sampler.

Public API::

    to_unit(uint8 images [B, R, R, 3]) -> float [B, 3, R, R] in [-1, 1];  to_uint8(x) -> the inverse
    draw_times(batch, generator, schedule="logit-normal") -> t in (0, 1)
    flow_loss(model, x0, generator, schedule) -> mean squared velocity error
    validation_loss(model, x0, grid=8, seed=0, batch_size=64) -> float   (fixed times, fixed noise)
    sample(model, n, seed, steps=24, method="heun", device="cpu") -> uint8 images [n, R, R, 3]

The path from an image ``x0`` to noise ``e`` is the straight line
``x_t = (1 - t) x0 + t e``; the model learns its velocity ``e - x0``
(Liu et al., Lipman et al., 2022). Sampling integrates that velocity
from pure noise at t = 1 back to t = 0. Times are drawn logit-normal
(Esser et al., 2024: the middle times, where the image is decided, are the
hard ones) unless ``schedule="uniform"``.

The validation loss is computed on a fixed grid of times with noise drawn from
a fixed seed, so two evaluations of two checkpoints see the very same noisy
images and their difference is the model's alone. Sampling draws its starting
noise from ``seed`` on the CPU and is otherwise deterministic (Euler or
Heun, no noise added on the way): the same seed gives the same images on the
same machine.

>>> import torch
>>> x = to_unit(torch.zeros(1, 4, 4, 3, dtype=torch.uint8).numpy())
>>> float(x.min()), tuple(to_uint8(x).shape)
(-1.0, (1, 4, 4, 3))
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

SCHEDULES = ("logit-normal", "uniform")
METHODS = ("euler", "heun")


def to_unit(images: np.ndarray) -> torch.Tensor:
    """uint8 [B, R, R, 3] → float32 [B, 3, R, R] in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    return x / 127.5 - 1.0


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float [B, 3, R, R] in about [-1, 1] → uint8 [B, R, R, 3], clipped and rounded."""
    x = ((x.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round()
    return x.to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()


def draw_times(batch: int, generator: torch.Generator, schedule: str = "logit-normal") -> torch.Tensor:
    if schedule == "logit-normal":
        return torch.sigmoid(torch.randn(batch, generator=generator))
    if schedule == "uniform":
        return torch.rand(batch, generator=generator)
    raise ValueError(f"time schedule must be one of {SCHEDULES}, got {schedule!r}")


def flow_loss(model, x0: torch.Tensor, generator: torch.Generator, schedule: str = "logit-normal") -> torch.Tensor:
    """Mean squared error of the predicted velocity; noise and times come from ``generator`` (CPU)."""
    noise = torch.randn(x0.shape, generator=generator).to(x0.device)
    t = draw_times(x0.shape[0], generator, schedule).to(x0.device)
    tb = t[:, None, None, None]
    x_t = (1 - tb) * x0 + tb * noise
    return F.mse_loss(model(x_t, t).float(), (noise - x0).float())


@torch.no_grad()
def validation_loss(model, x0: torch.Tensor, grid: int = 8, seed: int = 0, batch_size: int = 64) -> float:
    """The flow loss at ``grid`` evenly spaced times, each image with its own fixed noise per time."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn((grid, *x0.shape), generator=generator)
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for k in range(grid):
        t_value = (k + 0.5) / grid
        for lo in range(0, x0.shape[0], batch_size):
            x = x0[lo : lo + batch_size].to(device)
            e = noise[k, lo : lo + batch_size].to(device)
            t = torch.full((x.shape[0],), t_value, device=device)
            pred = model((1 - t_value) * x + t_value * e, t).float()
            total += F.mse_loss(pred, (e - x).float(), reduction="sum").item()
            count += x.numel()
    return total / max(count, 1)


@torch.no_grad()
def sample(model, n: int, seed: int, steps: int = 24, method: str = "heun", device: str | torch.device = "cpu",
           batch_size: int = 64) -> np.ndarray:  # fmt: skip
    """``n`` images (uint8 [n, R, R, 3]) integrated from noise drawn from ``seed``.

    Heun's method costs two model calls a step (one on the last) and reaches with
    ``steps`` what Euler reaches with about twice as many. The times run evenly from 1 to 0.
    """
    if method not in METHODS:
        raise ValueError(f"sampling method must be one of {METHODS}, got {method!r}")
    if steps < 1:
        raise ValueError(f"sampling needs at least one step, got {steps}")
    c = model.config
    noise = torch.randn((n, c.channels, c.resolution, c.resolution), generator=torch.Generator().manual_seed(seed))
    times = torch.linspace(1.0, 0.0, steps + 1)
    out = []
    for lo in range(0, n, batch_size):
        x = noise[lo : lo + batch_size].to(device)
        for i in range(steps):
            t, t_next = times[i].item(), times[i + 1].item()
            v = model(x, torch.full((x.shape[0],), t, device=device)).float()
            x_next = x + (t_next - t) * v
            if method == "heun" and t_next > 0:
                v_next = model(x_next, torch.full((x.shape[0],), t_next, device=device)).float()
                x_next = x + (t_next - t) * 0.5 * (v + v_next)
            x = x_next
        out.append(to_uint8(x))
    return np.concatenate(out) if out else np.zeros((0, c.resolution, c.resolution, c.channels), np.uint8)


__all__ = ["METHODS", "SCHEDULES", "draw_times", "flow_loss", "sample", "to_uint8", "to_unit", "validation_loss"]
