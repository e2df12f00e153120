"""Validation reads a window that starts inside a work after that work's controls, as training does: the
controls in view, not scored, and every held-out token scored exactly once."""

from __future__ import annotations

import numpy as np
import torch

from ouvroir.learn.loss_eval import evaluate_bpb
from ouvroir.learn.model import GPT, ModelConfig

EOT, AUTHOR_A, AUTHOR_B = 0, 1, 2


class Recording(GPT):
    """A model that remembers what each evaluation batch held."""

    def __init__(self, config):
        super().__init__(config)
        self.seen: list[tuple[list[int], list[int]]] = []

    def forward(self, ids, targets=None, **kwargs):
        self.seen.extend(zip(ids.tolist(), targets.tolist()))
        return super().forward(ids, targets, **kwargs)


def test_windows_inside_a_work_start_with_its_controls_and_every_token_counts_once():
    rng = np.random.default_rng(0)
    # each work writes with its own tokens, so a window's first token tells whose work it is in
    works = [(AUTHOR_A, rng.integers(10, 30, 70)), (AUTHOR_B, rng.integers(30, 40, 45)), (AUTHOR_A, rng.integers(40, 50, 90))]
    stream = np.concatenate([np.concatenate([[EOT, author], text]) for author, text in works])
    author_of = {t: a for a, text in works for t in text.tolist()}
    torch.manual_seed(0)
    model = Recording(ModelConfig(vocab_size=50, context=16, n_layer=1, d_model=16, n_head=2))
    evaluate_bpb(model, stream, 1000, EOT, "cpu", batch_size=4, controls=[AUTHOR_A, AUTHOR_B])
    scored, inside = [], 0
    for x, y in model.seen:
        kept = [t for t in y if t != -100]
        scored.extend(kept)
        if len(kept) < len(y):  # a window inside a work: its own work's control first, in view and not scored
            inside += 1
            assert y[0] == -100 and kept == y[1:] and x[0] == author_of[x[1]]
    assert sorted(scored) == sorted(stream[1:].tolist())  # every token once, the controls at works' starts too
    assert inside >= 10
    model.seen.clear()
    evaluate_bpb(model, stream, 1000, EOT, "cpu", batch_size=4)  # without controls: windows as they are cut
    assert all(-100 not in y for _, y in model.seen)
