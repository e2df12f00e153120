"""The compiled CPU decode step: same logits as the PyTorch model, whatever the shape, batch or threads."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ouvroir.learn import cpu_decode
from ouvroir.learn.cpu_decode import CpuDecoder
from ouvroir.learn.model import GPT, KVCache, ModelConfig


def random_model(**overrides) -> GPT:
    torch.manual_seed(0)
    shape = {"vocab_size": 301, "context": 40, "n_layer": 2, "d_model": 48, "n_head": 4} | overrides
    gpt = GPT(ModelConfig(**shape)).eval()
    with torch.no_grad():
        for p in gpt.parameters():
            p.add_(torch.randn_like(p) * 0.2)  # past the zero-initialized projections
    return gpt


def prefilled(gpt: GPT, rows: int) -> KVCache:
    cache = KVCache(gpt.config, rows, "cpu")
    with torch.no_grad():
        gpt(torch.randint(0, gpt.config.vocab_size, (rows, 7), generator=torch.Generator().manual_seed(1)), cache=cache)
    return cache


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"n_kv_head": 2, "hidden_act": "silu"},  # grouped-query attention
        {"hidden_act": "gelu", "tie_embeddings": True, "d_ff": 77},  # odd widths: the loops' remainders
    ],
)
@pytest.mark.parametrize("rows", [1, 9])  # 9 = two blocks of four and a single row
def test_decode_steps_equal_the_model(overrides, rows):
    gpt = random_model(**overrides)
    fast, torch_cache = CpuDecoder(gpt), prefilled(gpt, rows)
    fast_cache = prefilled(gpt, rows)
    tokens = np.arange(rows, dtype=np.int64) * 17 % gpt.config.vocab_size
    for _ in range(gpt.config.context - 7):  # up to a full cache
        with torch.no_grad():
            expected = gpt(torch.from_numpy(tokens)[:, None], cache=torch_cache)[:, -1].numpy()
        got = fast.step(tokens, fast_cache)
        np.testing.assert_allclose(got, expected, atol=2e-4, rtol=1e-4)
        tokens = expected.argmax(-1)
    assert fast_cache.pos == torch_cache.pos == gpt.config.context
    np.testing.assert_allclose(fast_cache.k.numpy(), torch_cache.k.numpy(), atol=1e-4)


def test_a_batch_gives_the_same_logits_on_one_thread_or_several(monkeypatch):
    gpt = random_model()
    monkeypatch.setattr(cpu_decode, "ROWS_PER_THREAD", 4)
    logits = {}
    for threads in (1, 3):
        decoder = CpuDecoder(gpt)
        decoder.splitter.cores = threads
        decoder.splitter.record(True, 0.0)  # always share the rows (never measured as slower)
        decoder.splitter.record(True, 0.0)
        decoder.splitter.record(False, 1.0)
        decoder.splitter.record(False, 1.0)
        cache, tokens, steps = prefilled(gpt, 14), np.arange(14, dtype=np.int64), []
        for _ in range(20):
            steps.append(decoder.step(tokens, cache))
            tokens = steps[-1].argmax(-1)
        logits[threads] = np.stack(steps)
        assert decoder.splitter.choose(14) == ([0, 14] if threads == 1 else [0, 4, 8, 14])
    assert np.array_equal(logits[1], logits[3])  # bit for bit: a seed gives the same samples


def test_the_splitter_keeps_the_faster_choice_and_checks_the_other_now_and_then():
    splitter = cpu_decode._Splitter()
    splitter.cores = 2
    picks = []
    for seconds in (5.0, 0.002, 5.0, 0.001):  # a choice's first step (compiling, loading) is not counted
        picks.append(splitter.choose(16))
        splitter.record(len(picks[-1]) > 2, seconds)
    assert picks == [[0, 8, 16], [0, 8, 16], [0, 16], [0, 16]]  # each choice is tried
    picks = [splitter.choose(16) for _ in range(splitter.PROBE_EVERY * 2)]
    assert picks.count([0, 8, 16]) == 2 and picks.count([0, 16]) == len(picks) - 2
    assert splitter.choose(7) == [0, 7]  # too few rows to share
