"""CPU training in shards: the same gradients as the whole batch, the same numbers side by side or in turn."""

from __future__ import annotations

import threading

import pytest
import torch

from ouvroir.learn.cpu_parallel import ShardedStep
from ouvroir.learn.model import GPT, ModelConfig, dropout
from ouvroir.learn.optim import build_optimizers


def model_and_batch(p_drop: float) -> tuple[GPT, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = GPT(ModelConfig(vocab_size=61, context=24, n_layer=2, d_model=32, n_head=4, dropout=p_drop))
    with torch.no_grad():  # the init zeroes output projections: perturb so every path carries gradient
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    ids = torch.randint(0, 61, (6, 25))
    return model.train(), ids[:, :-1], ids[:, 1:]


def grads(model: GPT) -> dict[str, torch.Tensor]:
    return {n: p.grad.clone() for n, p in model.named_parameters()}


def sharded_run(parallel: bool, p_drop: float, steps: int = 1) -> tuple[list[float], dict, dict]:
    """Loss, gradients and weights after ``steps`` sharded steps with Muon spread like the shards."""
    model, x, y = model_and_batch(p_drop)
    adam, muon = build_optimizers(model, matrix_lr=0.02, embed_lr=0.05, head_lr=0.01, scalar_lr=0.01)
    step = ShardedStep(model, batch_size=len(x), shards=3, parallel=parallel)
    muon.map = step.map
    torch.manual_seed(7)
    losses = []
    try:
        for _ in range(steps):
            model.zero_grad(set_to_none=True)
            losses.append(step(x, y).item())
            last_grads = grads(model)
            adam.step()
            muon.step()
    finally:
        step.close()
    return losses, last_grads, {n: p.detach().clone() for n, p in model.named_parameters()}


def test_sharded_gradient_is_the_whole_batch_gradient():
    model, x, y = model_and_batch(0.0)
    whole = model(x, y)
    whole.backward()
    expected = grads(model)
    model.zero_grad(set_to_none=True)
    step = ShardedStep(model, batch_size=len(x), shards=4)  # 6 sequences in shards of 2, 2, 1, 1
    try:
        loss = step(x, y)
    finally:
        step.close()
    assert loss.item() == pytest.approx(whole.item(), rel=1e-6)
    got = grads(model)
    for name, g in expected.items():
        assert torch.allclose(got[name], g, rtol=1e-4, atol=1e-7), name


def test_shards_side_by_side_or_in_turn_give_identical_training():
    side_by_side = sharded_run(parallel=True, p_drop=0.2, steps=3)
    in_turn = sharded_run(parallel=False, p_drop=0.2, steps=3)
    assert side_by_side[0] == in_turn[0]
    for a, b in ((side_by_side[1], in_turn[1]), (side_by_side[2], in_turn[2])):
        assert all(torch.equal(a[n], b[n]) for n in a)
    again = sharded_run(parallel=True, p_drop=0.2, steps=3)
    assert again[0] == side_by_side[0]  # the dropout masks follow the seed
    other_masks = sharded_run(parallel=True, p_drop=0.0, steps=3)
    assert other_masks[0][0] != side_by_side[0][0]  # and dropout did act


def test_the_shard_threads_end_with_the_step():
    model, x, y = model_and_batch(0.0)
    step = ShardedStep(model, batch_size=len(x), shards=2)
    step(x, y)
    step.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("ouvroir-shard")]


def test_dropout_keeps_the_expected_share_and_the_mean():
    x = torch.ones(400_000, requires_grad=True)
    g = torch.Generator().manual_seed(0)
    y = dropout(x, 0.15, generator=g)
    kept = (y > 0).float().mean().item()
    assert kept == pytest.approx(1 - 38 / 256, abs=0.003)  # p is rounded to 38/256
    assert y.mean().item() == pytest.approx(1.0, abs=0.01)  # kept values are scaled up
    y.sum().backward()
    assert torch.equal(x.grad, y.detach())  # the gradient flows through the kept units only, scaled alike
    again = dropout(torch.ones(400_000), 0.15, generator=torch.Generator().manual_seed(0))
    assert torch.equal(again, y.detach())
    assert dropout(x, 0.0) is x


def test_dropout_acts_in_training_only():
    model, x, _ = model_and_batch(0.3)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))
    with pytest.raises(ValueError, match="dropout"):
        ModelConfig(vocab_size=10, dropout=1.0)
