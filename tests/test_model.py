"""The GPT: shapes, KV cache equivalence, initialization, optimizer."""

from __future__ import annotations

import pytest
import torch

from ouvroir.learn.model import GPT, KVCache, ModelConfig, count_flops_per_token
from ouvroir.learn.optim import build_optimizers


def random_model(**overrides) -> GPT:
    torch.manual_seed(0)
    config = {"vocab_size": 97, "context": 32, "n_layer": 2, "d_model": 32, "n_head": 4} | overrides
    model = GPT(ModelConfig(**config))
    with torch.no_grad():  # the real init zeroes output projections: perturb so every path matters
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    return model.eval()


def test_forward_shapes_and_loss():
    model = random_model()
    ids = torch.randint(0, 97, (3, 10))
    assert model(ids).shape == (3, 10, 97)
    loss = model(ids, ids)
    assert loss.shape == () and loss.item() > 0
    assert model(ids, ids, reduction="sum").item() == pytest.approx(loss.item() * 30, rel=1e-4)


def test_fresh_model_predicts_uniformly():
    model = GPT(ModelConfig(vocab_size=97, context=16, n_layer=2, d_model=32, n_head=4))
    ids = torch.randint(0, 97, (2, 16))
    assert model(ids, ids).item() == pytest.approx(torch.log(torch.tensor(97.0)).item(), abs=0.05)


@pytest.mark.parametrize("overrides", [{}, {"n_kv_head": 2}, {"hidden_act": "silu", "tie_embeddings": True}])
def test_kv_cache_gives_the_same_logits(overrides):
    model = random_model(**overrides)
    ids = torch.randint(0, 97, (2, 20))
    with torch.no_grad():
        full = model(ids)
        cache = KVCache(model.config, 2, "cpu")
        parts = [model(ids[:, :7], cache=cache)] + [model(ids[:, i : i + 1], cache=cache) for i in range(7, 12)]
        parts.append(model(ids[:, 12:], cache=cache))  # a multi-token block after a prefix
    assert cache.pos == 20
    torch.testing.assert_close(torch.cat(parts, dim=1), full, atol=1e-5, rtol=1e-5)
    with torch.no_grad():  # a prefill's last position alone
        last = model(ids[:, :12], cache=KVCache(model.config, 2, "cpu"), last_only=True)
    torch.testing.assert_close(last, full[:, 11:12], atol=1e-5, rtol=1e-5)


def test_expanded_cache_serves_a_batch():
    model = random_model()
    prompt, nxt = torch.randint(0, 97, (1, 6)), torch.randint(0, 97, (3, 1))
    with torch.no_grad():
        cache = KVCache(model.config, 1, "cpu")
        model(prompt, cache=cache)
        batched = model(nxt, cache=cache.expand(3))
        full = model(torch.cat([prompt.expand(3, -1), nxt], dim=1))[:, -1:]
    torch.testing.assert_close(batched, full, atol=1e-5, rtol=1e-5)


def test_context_overflow_is_an_error():
    model = random_model()
    with pytest.raises(ValueError, match="context"):
        model(torch.zeros(1, 33, dtype=torch.long))


def test_tied_embeddings_share_one_matrix():
    model = GPT(ModelConfig(vocab_size=50, context=8, n_layer=1, d_model=16, n_head=2, tie_embeddings=True))
    assert model.lm_head.weight is model.embed_tokens.weight
    assert model.num_params() == sum(p.numel() for p in model.parameters())


def test_optimizers_cover_every_parameter_once_and_lower_the_loss():
    torch.manual_seed(0)
    model = GPT(ModelConfig(vocab_size=50, context=16, n_layer=2, d_model=32, n_head=4))
    opts = build_optimizers(model, matrix_lr=0.02, embed_lr=0.05, head_lr=0.01, scalar_lr=0.01)
    seen = [p for o in opts for g in o.param_groups for p in g["params"]]
    assert len(seen) == len(set(map(id, seen))) == len(list(model.parameters()))
    ids = torch.randint(0, 50, (4, 16))
    first = model(ids[:, :-1], ids[:, 1:]).item()
    for _ in range(30):
        model(ids[:, :-1], ids[:, 1:]).backward()
        for o in opts:
            o.step()
        model.zero_grad()
    assert model(ids[:, :-1], ids[:, 1:]).item() < first * 0.5


def test_weight_decay_shrinks_the_embedding_and_output_matrices_but_never_the_norm_gains():
    model = random_model()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opts = build_optimizers(
        model, matrix_lr=0.02, embed_lr=0.1, head_lr=0.01, scalar_lr=0.01, embedding_weight_decay=0.5
    )
    for p in model.parameters():
        p.grad = torch.zeros_like(p)  # no gradient: only the decay moves a weight
    for o in opts:
        o.step()
    after = dict(model.named_parameters())
    assert torch.allclose(after["embed_tokens.weight"], before["embed_tokens.weight"] * (1 - 0.1 * 0.5))
    assert torch.allclose(after["lm_head.weight"], before["lm_head.weight"] * (1 - 0.01 * 0.5))
    assert torch.equal(after["norm.weight"], before["norm.weight"])


def test_flops_per_token_is_about_six_times_the_matmul_params():
    c = ModelConfig(vocab_size=768, context=256, n_layer=4, d_model=128, n_head=4)
    matmul_params = sum(p.numel() for n, p in GPT(c).named_parameters() if p.dim() == 2 and "embed" not in n)
    assert 6 * matmul_params < count_flops_per_token(c) < 8 * matmul_params
