"""Infilling: training puts a documented share of windows in prefix–suffix–middle form (a middle never
crossing a work's end), so a model can write *between* two passages; a resumed run stays bit-identical
with infilling on; sides too long for the context say how many tokens fit."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest
import torch

from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn.data import FIM_RATE, Batches
from ouvroir.learn.generate import PromptTooLong, generate_ids, infill, load, min_middle, prompt_rows
from ouvroir.learn.model import ModelConfig
from ouvroir.learn.sizing import Budget, TrainConfig
from ouvroir.learn.tokenizer import train_tokenizer
from ouvroir.learn.train import TrainData, train

LETTERS = "abcdefghijklmnop"


def mirrored(n: int, seed: int) -> list[str]:
    """Works of line pairs, each line one random letter six times, twice: the line after a middle tells its letter."""
    rng = random.Random(seed)
    return ["".join(2 * (rng.choice(LETTERS) * 6 + "\n") for _ in range(3)) for _ in range(n)]


def config(vocab_size: int, **overrides) -> TrainConfig:
    model = ModelConfig(vocab_size=vocab_size, context=64, n_layer=2, d_model=64, n_head=2)
    return replace(TrainConfig(model=model, batch_size=16, eval_every_steps=100, patience=100, log_every_s=0.0,
                               warmup_steps=10, fim_rate=FIM_RATE), **overrides)  # fmt: skip


def test_a_middle_ends_at_varying_places_in_the_window_so_its_end_is_learned_from_the_text():
    # When the infilling part always took the whole window, every middle ended on the window's last token: a model
    # trained 400 steps on the French poetry gave its end token 0.01 bits in a full row and 14.5 bits in a shorter
    # one (an infill whose two sides leave room), so at generation a middle never ended where its suffix begins.
    tok = train_tokenizer(mirrored(50, seed=3), vocab_size=270)
    data = TrainData.from_texts(tok, mirrored(50, seed=3), ["x"])
    pre, suf, mid = tok.fim_ids
    batches = Batches(data.train_ids, 32, 64, seed=1, fim=(pre, suf, mid, tok.eot_id), fim_rate=0.5,
                      special=tok.special_ids.values())  # fmt: skip
    ends = []
    for _ in range(10):
        x, y = batches.next()
        for row in torch.cat([x, y[:, -1:]], 1).tolist():
            if row[0] == pre:
                ends.append(row.index(tok.eot_id, row.index(mid)))
    assert len(set(ends)) > 20 and sum(end == 64 for end in ends) < len(ends) / 4, sorted(ends)


def test_windows_in_infilling_form_are_well_formed_and_drawn_at_the_documented_rate():
    tok = train_tokenizer(mirrored(50, seed=3), vocab_size=270)
    data = TrainData.from_texts(tok, mirrored(50, seed=3), ["x"])
    pre, suf, mid = tok.fim_ids
    batches = Batches(data.train_ids, 32, 32, seed=1, fim=(pre, suf, mid, tok.eot_id), fim_rate=0.5,
                      special=tok.special_ids.values())  # fmt: skip
    rows, infilled = 0, 0
    for _ in range(20):
        x, y = batches.next()
        for row in torch.cat([x, y[:, -1:]], 1).tolist():
            rows += 1
            assert len(row) == 33
            if row[0] != pre:
                assert pre not in row and suf not in row and mid not in row  # left to right, as before
                continue
            infilled += 1
            assert row.count(suf) == row.count(mid) == 1 and tok.eot_id in row[row.index(mid) :]
            middle = row[row.index(mid) + 1 : row.index(tok.eot_id, row.index(mid))]
            assert tok.eot_id not in middle  # a middle never crosses the end of a work
    assert abs(infilled / rows - 0.5) < 0.08
    # Without infilling tokens or at rate 0, the batches are the left-to-right ones, window for window.
    plain, zero = Batches(data.train_ids, 32, 32, seed=1), Batches(data.train_ids, 32, 32, seed=1, fim_rate=0.0)
    assert all(torch.equal(a, b) for a, b in zip(plain.next(), zero.next()))


def test_resume_is_bit_identical_with_infilling_on(tmp_path):
    texts = mirrored(80, seed=4)
    tok = train_tokenizer(texts, vocab_size=270)
    data = TrainData.from_texts(tok, texts, mirrored(5, seed=5))
    cfg = config(tok.vocab_size, batch_size=4, eval_every_steps=5,
                 model=ModelConfig(vocab_size=tok.vocab_size, context=32, n_layer=2, d_model=32, n_head=2))  # fmt: skip
    full = train(data, cfg, tmp_path / "full", Budget(steps=20), seed=3, device="cpu")

    class Interrupt(Exception):
        pass

    def crash_at_10(p):
        if p.event == "eval" and p.step == 10:
            raise Interrupt

    with pytest.raises(Interrupt):
        train(data, cfg, tmp_path / "cut", Budget(steps=20), seed=3, device="cpu", on_progress=crash_at_10)
    resumed = train(data, cfg, tmp_path / "cut", Budget(steps=20), seed=3, device="cpu", resume=True)
    assert resumed.steps == full.steps == 20 and resumed.best_val_bpb == full.best_val_bpb
    a = ckpt.load_train_state(tmp_path / "full" / ckpt.STATE)["model"]
    b = ckpt.load_train_state(tmp_path / "cut" / ckpt.STATE)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert ckpt.read_json(tmp_path / "full" / ckpt.CONFIG)["train"]["fim_rate"] == FIM_RATE  # the model records it


def test_infill_returns_n_middles_marked_complete_only_when_they_reached_their_end(tmp_path):
    texts = mirrored(60, seed=7)
    tok = train_tokenizer(texts, vocab_size=270)
    data = TrainData.from_texts(tok, texts, mirrored(4, seed=8))
    train(data, config(tok.vocab_size, batch_size=4), tmp_path, Budget(steps=4), seed=0, device="cpu")
    loaded = load(tmp_path, device="cpu")
    candidates = infill(loaded, None, "aaaaaa\n", "\nbbbbbb\n", n=4, max_tokens=30, seed=1)
    assert len(candidates) == 4
    ids = generate_ids(loaded, None, "aaaaaa\n", 4, 30, seed=1, infill_after="\nbbbbbb\n")
    assert [c.complete for c in candidates] == [tok.eot_id in row for row in ids]
    assert all(not set(row[:-1]) & set(tok.special_ids.values()) for row in ids)  # never a control or infill token


def test_sides_longer_than_the_context_say_how_many_tokens_fit():
    tok = train_tokenizer(mirrored(20, seed=6), vocab_size=257)  # no merges: one token per letter
    fits = 64 - min_middle(64) - 4  # the three infilling tokens and the end-of-document token that opens the work
    with pytest.raises(PromptTooLong, match=rf"are {fits + 1} tokens together but this model fits at most {fits} "):
        prompt_rows(tok, "a" * 20, 64, infill_after="b" * (fits - 19))
    assert len(prompt_rows(tok, "a" * 20, 64, infill_after="b" * (fits - 20))[0]) == 64 - min_middle(64)


def test_an_old_tokenizer_has_no_infilling():
    tok = train_tokenizer(mirrored(20, seed=6), vocab_size=270, fim=False)
    assert not tok.has_fim and tok.controls == {}
    with pytest.raises(ValueError, match="trained before infilling"):
        prompt_rows(tok, "a", 64, infill_after="b")
    assert np.array_equal(tok.encode_documents(["ab"]), [tok.eot_id, *tok.encode("ab")])
