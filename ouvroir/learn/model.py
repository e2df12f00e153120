"""The GPT: a small decoder-only transformer, layer for layer a Qwen3.

Public API::

    ModelConfig(vocab_size, context=256, n_layer=4, d_model=128, n_head=4, ...)
    GPT(config)            .forward(ids, targets=None, cache=None) -> logits | loss
                           .num_params()
    KVCache(config, batch_size, device, dtype)   (for generate.py)

Why Qwen3's exact architecture (RMSNorm, rotary embeddings, per-head QK
RMSNorm, no biases, gated MLP with ``hidden_act``: SiLU in every model the planner
sizes, ReLU² in a config that names none, as models trained before SiLU were): it is a
modern, fast-learning small GPT, and ``transformers`` ships it, so a trained
model exports to a Hugging Face directory by renaming weights only
(``export_hf.py``) and continues text exactly as it does here. Parameter names
match Qwen3's ("model." prefix aside). What is not part of Qwen3 (dropout,
zero-initialized output projections, the optimizer) only acts during training.

>>> import torch
>>> model = GPT(ModelConfig(vocab_size=300, context=32, n_layer=2, d_model=64, n_head=2))
>>> model(torch.zeros(1, 5, dtype=torch.long)).shape
torch.Size([1, 5, 300])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ModelConfig:
    """Shape of the network. ``head_dim`` defaults to ``d_model // n_head``."""

    vocab_size: int
    context: int = 256  # tokens the model attends to
    n_layer: int = 4
    d_model: int = 128
    n_head: int = 4
    n_kv_head: int | None = None  # None = n_head (no grouped-query attention)
    head_dim: int | None = None
    d_ff: int | None = None  # gated MLP width; None = 3 * d_model
    hidden_act: str = "relu2"  # any name in transformers' ACT2FN that ACTIVATIONS has too; older configs lack it
    rope_theta: float = 10000.0
    norm_eps: float = 1e-6
    tie_embeddings: bool = False
    dropout: float = 0.0  # training only

    def __post_init__(self):
        self.n_kv_head = self.n_kv_head or self.n_head
        self.head_dim = self.head_dim or self.d_model // self.n_head
        self.d_ff = self.d_ff or 3 * self.d_model
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.hidden_act not in ACTIVATIONS:
            raise ValueError(f"hidden_act must be one of {sorted(ACTIVATIONS)}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


ACTIVATIONS = {
    "relu2": lambda x: torch.square(F.relu(x)),
    "silu": F.silu,
    "gelu": F.gelu,
}


def dropout(x: torch.Tensor, p: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Inverted dropout; on CPU with a mask of random bytes, ``p`` rounded to 1/256.

    On CPU ``F.dropout`` draws a float per element; one 64-bit draw gives 8
    mask bytes instead, which made a training step of the 10-minute model 3-7%
    faster (``bench/train_step.py``). ``generator`` lets each shard of a batch
    (cpu_parallel.py) draw its own reproducible masks. Over a fixed 700 steps
    these masks ended ~0.01 bits per byte above ``F.dropout``'s (3 seeds against
    4, README); their rate and independence check out, and why is still open.
    """
    if p == 0:
        return x
    if x.is_cuda:
        return F.dropout(x, p, training=True)
    dropped = round(p * 256)
    n = x.numel()
    draws = torch.empty((n + 7) // 8, dtype=torch.int64).random_(-(2**63), None, generator=generator)
    keep = draws.view(torch.uint8)[:n].view(x.shape) >= dropped
    return x * keep.to(x.dtype).mul_(256 / (256 - dropped))


class RMSNorm(nn.Module):
    """Qwen3's RMSNorm: computed in float32, then a learned per-channel gain."""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class KVCache:
    """Keys and values of every layer for a batch, filled left to right.

    ``pos`` is the number of positions already cached; ``generate.py`` re-fills
    the cache when it reaches ``config.context`` (rotary positions are
    relative, so restarting positions at 0 changes nothing).
    """

    def __init__(self, config: ModelConfig, batch_size: int, device, dtype=torch.float32):
        shape = (config.n_layer, batch_size, config.n_kv_head, config.context, config.head_dim)
        # empty, not zeros: only positions < pos are ever read (saves ~20 ms for a batch of 16)
        self.k = torch.empty(shape, device=device, dtype=dtype)
        self.v = torch.empty(shape, device=device, dtype=dtype)
        self.pos = 0

    def rows(self, lo: int, hi: int) -> KVCache:
        """A cache over rows ``lo:hi`` of this one, sharing its memory (what it stores lands here)."""
        new = object.__new__(KVCache)
        new.k, new.v, new.pos = self.k[:, lo:hi], self.v[:, lo:hi], self.pos
        return new

    def expand(self, batch_size: int) -> KVCache:
        """A cache holding this (one-row) cache repeated ``batch_size`` times."""
        new = object.__new__(KVCache)
        new.k = self.k.expand(-1, batch_size, -1, -1, -1).contiguous()
        new.v = self.v.expand(-1, batch_size, -1, -1, -1).contiguous()
        new.pos = self.pos
        return new


class Attention(nn.Module):
    def __init__(self, c: ModelConfig, layer: int):
        super().__init__()
        self.c, self.layer = c, layer
        self.q_proj = nn.Linear(c.d_model, c.n_head * c.head_dim, bias=False)
        self.k_proj = nn.Linear(c.d_model, c.n_kv_head * c.head_dim, bias=False)
        self.v_proj = nn.Linear(c.d_model, c.n_kv_head * c.head_dim, bias=False)
        self.o_proj = nn.Linear(c.n_head * c.head_dim, c.d_model, bias=False)
        self.q_norm = RMSNorm(c.head_dim, c.norm_eps)
        self.k_norm = RMSNorm(c.head_dim, c.norm_eps)

    def forward(self, x, cos, sin, cache: KVCache | None):
        B, T, _ = x.shape
        c = self.c
        q = self.q_norm(self.q_proj(x).view(B, T, c.n_head, c.head_dim)).transpose(1, 2)
        k = self.k_norm(self.k_proj(x).view(B, T, c.n_kv_head, c.head_dim)).transpose(1, 2)
        v = self.v_proj(x).view(B, T, c.n_kv_head, c.head_dim).transpose(1, 2)
        # (under bf16 autocast the norms return float32: bring q, k back to v's dtype)
        q = (q * cos + rotate_half(q) * sin).to(v.dtype)
        k = (k * cos + rotate_half(k) * sin).to(v.dtype)
        mask, causal = None, True
        if cache is not None:
            start = cache.pos
            cache.k[self.layer, :, :, start : start + T] = k
            cache.v[self.layer, :, :, start : start + T] = v
            k = cache.k[self.layer, :, :, : start + T]
            v = cache.v[self.layer, :, :, : start + T]
            if start > 0:  # new queries see the whole cache plus the causal part of the block
                causal = False
                if T > 1:
                    qpos = torch.arange(start, start + T, device=x.device)[:, None]
                    mask = torch.arange(start + T, device=x.device)[None, :] <= qpos
        # No attention dropout: on CPU it forces the slow unfused path (4x the
        # attention time); residual dropout regularizes as well here.
        y = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=mask,
            is_causal=causal and T > 1,
            enable_gqa=c.n_kv_head != c.n_head,
        )
        return self.o_proj(y.transpose(1, 2).reshape(B, T, -1))


class MLP(nn.Module):
    def __init__(self, c: ModelConfig):
        super().__init__()
        self.gate_proj = nn.Linear(c.d_model, c.d_ff, bias=False)
        self.up_proj = nn.Linear(c.d_model, c.d_ff, bias=False)
        self.down_proj = nn.Linear(c.d_ff, c.d_model, bias=False)
        self.act = ACTIVATIONS[c.hidden_act]

    def forward(self, x):
        return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, c: ModelConfig, layer: int):
        super().__init__()
        self.input_layernorm = RMSNorm(c.d_model, c.norm_eps)
        self.self_attn = Attention(c, layer)
        self.post_attention_layernorm = RMSNorm(c.d_model, c.norm_eps)
        self.mlp = MLP(c)
        self.p_drop = c.dropout

    def forward(self, x, cos, sin, cache, generator=None):
        p = self.p_drop if self.training else 0.0
        x = x + dropout(self.self_attn(self.input_layernorm(x), cos, sin, cache), p, generator)
        return x + dropout(self.mlp(self.post_attention_layernorm(x)), p, generator)


class GPT(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        c = self.config = config
        self.embed_tokens = nn.Embedding(c.vocab_size, c.d_model)
        self.layers = nn.ModuleList(Block(c, i) for i in range(c.n_layer))
        self.norm = RMSNorm(c.d_model, c.norm_eps)
        self.lm_head = nn.Linear(c.d_model, c.vocab_size, bias=False)
        if c.tie_embeddings:
            self.lm_head.weight = self.embed_tokens.weight
        # Same arithmetic as transformers' Qwen3RotaryEmbedding, so exports match exactly.
        inv_freq = 1.0 / (c.rope_theta ** (torch.arange(0, c.head_dim, 2, dtype=torch.float) / c.head_dim))
        freqs = torch.arange(c.context, dtype=torch.float)[:, None] * inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("rope_cos", emb.cos(), persistent=False)
        self.register_buffer("rope_sin", emb.sin(), persistent=False)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self):
        """Init that trains fast from step 0: unit-scale embeddings, fan-in scaled
        projections, zero output projections (each block starts as identity)."""
        c = self.config
        nn.init.normal_(self.embed_tokens.weight, std=c.d_model**-0.5 if c.tie_embeddings else 1.0)
        for block in self.layers:
            for lin in (
                block.self_attn.q_proj,
                block.self_attn.k_proj,
                block.self_attn.v_proj,
                block.mlp.gate_proj,
                block.mlp.up_proj,
            ):
                bound = (3 / lin.in_features) ** 0.5
                nn.init.uniform_(lin.weight, -bound, bound)
            nn.init.zeros_(block.self_attn.o_proj.weight)
            nn.init.zeros_(block.mlp.down_proj.weight)
        if not c.tie_embeddings:
            nn.init.normal_(self.lm_head.weight, std=0.001)
        for m in self.modules():
            if isinstance(m, RMSNorm):
                nn.init.ones_(m.weight)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(
        self,
        ids,
        targets=None,
        cache: KVCache | None = None,
        reduction: str = "mean",
        last_only=False,
        generator: torch.Generator | None = None,
    ):
        """Logits ``[B, T, vocab]``, or the cross-entropy (nats) against ``targets``.

        With a ``cache``, ``ids`` continue the cached positions and the cache advances.
        ``last_only`` gives the last position's logits only (``[B, 1, vocab]``): a prefill
        needs no others, and the output matrix is the model's largest.
        ``generator`` draws the dropout masks in training (CPU only).
        """
        T = ids.shape[1]
        start = cache.pos if cache is not None else 0
        if start + T > self.config.context:
            raise ValueError(f"{start + T} positions exceed the context of {self.config.context}")
        x = self.embed_tokens(ids)
        cos, sin = self.rope_cos[start : start + T], self.rope_sin[start : start + T]
        for block in self.layers:
            x = block(x, cos, sin, cache, generator)
        if cache is not None:
            cache.pos += T
        if last_only:
            x = x[:, -1:]
        x = self.norm(x)
        if targets is None:
            return self.lm_head(x).float()
        logits = self.lm_head(x).float()
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), reduction=reduction)


def count_flops_per_token(c: ModelConfig) -> float:
    """Training FLOPs per token (6 × matmul params + attention), for sizing and MFU."""
    per_layer = c.d_model * c.head_dim * (2 * c.n_head + 2 * c.n_kv_head) + 3 * c.d_model * c.d_ff
    matmul = c.n_layer * per_layer + c.d_model * c.vocab_size
    attention = c.n_layer * 2 * c.n_head * c.head_dim * c.context  # QK^T and AV, half of it masked
    return 6 * matmul + 6 * attention
