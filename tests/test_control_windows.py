"""Controls in view: a training window that starts inside a work begins with that work's control tokens, and a
sample longer than the context keeps its controls in front when the context slides (the same layout), so an
author or a key steers every token of a work, not only those within one context of its start."""

from __future__ import annotations

import random

import numpy as np
import torch

from ouvroir.learn.generate import _slid, generate, load
from ouvroir.learn.model import ModelConfig
from ouvroir.learn.sizing import Budget, TrainConfig
from ouvroir.learn.tokenizer import control_token, train_tokenizer
from ouvroir.learn.train import TrainData, train
from ouvroir.learn.train_state import build

ALBA, ZOE = "abcdefg", "tuvwxyz"


def works(n: int, lines: int = 30) -> tuple[list[str], list[dict]]:
    rng = random.Random(0)
    texts = ["\n".join(" ".join("".join(rng.choice(ALBA if i % 2 else ZOE) for _ in range(4)) for _ in range(5))
                       for _ in range(lines)) for i in range(n)]  # fmt: skip
    return texts, [{"author": "Alba" if i % 2 else "Zoé"} for i in range(n)]


def test_every_training_window_inside_a_work_starts_with_that_works_controls():
    texts, controls = works(20)
    tok = train_tokenizer(texts, vocab_size=300, controls=[control_token("author", a) for a in ("Alba", "Zoé")])
    data = TrainData.from_texts(tok, texts, texts[:2], controls, controls[:2])
    model = ModelConfig(vocab_size=tok.vocab_size, context=32, n_layer=1, d_model=32, n_head=2)
    batches = build(data, TrainConfig(model=model, batch_size=16), seed=1, device=torch.device("cpu")).batches
    alba, zoe = tok.control_id("author", "Alba"), tok.control_id("author", "Zoé")
    inside = 0
    for _ in range(10):
        x, y = batches.next()
        for row in torch.cat([x, y[:, -1:]], 1).tolist():
            assert len(row) == 33
            if row[0] == tok.eot_id:
                continue  # a window that starts at a work's start shows its controls itself
            inside += 1
            assert row[0] in (alba, zoe), row[:4]  # before: the text of a work, no control in view
            text = tok.decode(row[1 : row.index(tok.eot_id)] if tok.eot_id in row else row[1:])
            letters = {c for c in text if c.isalpha()}
            assert letters <= set(ALBA if row[0] == alba else ZOE), (row[0], text)
    assert inside > 100


def test_a_slid_context_keeps_the_controls_in_front():
    history = np.arange(100).reshape(2, 50)
    heads = np.array([[7], [8]])
    rows = _slid(history, heads, context=32)
    assert rows.shape == (2, 16) and rows[:, 0].tolist() == [7, 8] and rows[0, 1:].tolist() == list(range(35, 50))
    assert _slid(history, heads[:, :0], context=32)[0].tolist() == list(range(34, 50))  # no controls: as before


def test_a_controlled_sample_longer_than_the_context_runs_through_slides(tmp_path):
    texts, controls = works(40, lines=4)
    tok = train_tokenizer(texts, vocab_size=300, controls=[control_token("author", a) for a in ("Alba", "Zoé")])
    data = TrainData.from_texts(tok, texts, texts[:2], controls, controls[:2])
    model = ModelConfig(vocab_size=tok.vocab_size, context=32, n_layer=1, d_model=32, n_head=2)
    torch.manual_seed(0)
    train(data, TrainConfig(model=model, batch_size=8, eval_every_steps=5, log_every_s=0.0), tmp_path, Budget(steps=5),
          seed=0, device="cpu")  # fmt: skip
    loaded = load(tmp_path, device="cpu")
    both = [[tok.control_id("author", "Alba")], [tok.control_id("author", "Zoé")]]
    samples = generate(loaded, None, "", n=3, max_tokens=100, seed=1, controls=both, stop_at_eot=False)
    assert len(samples) == 3 and all(samples)
