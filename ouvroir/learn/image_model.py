"""The image model: a small diffusion transformer (DiT) over image patches.

Public API::

    ImageModelConfig(resolution=16, patch=2, n_layer=4, d_model=128, n_head=4, ...)
    DiT(config)   .forward(x, t) -> velocity   (x: [B, 3, R, R] in about [-1, 1], t: [B] in [0, 1])
                  .num_params()

Why a DiT (Peebles and Xie, 2023): an image cut into p×p patches is a
sequence of tokens, so the text model's parts serve again (its RMSNorm on the
queries and keys, its gated SiLU MLP), attention sees every patch (no causal
mask), and the only new parts are the patch embedding, fixed 2-D sine-cosine
positions and the time conditioning. Time enters by adaLN-zero: each block's
normalized input is shifted and scaled by vectors computed from the time
embedding, and each residual branch is multiplied by a gate that starts at
zero, so every block starts as the identity and training is stable from the
first step with no warmup to speak of.

>>> import torch
>>> model = DiT(ImageModelConfig(resolution=8, patch=2, n_layer=1, d_model=32, n_head=2))
>>> model(torch.zeros(2, 3, 8, 8), torch.tensor([0.1, 0.9])).shape
torch.Size([2, 3, 8, 8])
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

from ouvroir.learn.model import MLP, ModelConfig, RMSNorm


@dataclass
class ImageModelConfig:
    """Shape of the network; ``resolution`` must be a multiple of ``patch``."""

    resolution: int = 16
    channels: int = 3
    patch: int = 2
    n_layer: int = 4
    d_model: int = 128
    n_head: int = 4
    d_ff: int | None = None  # gated MLP width; None = 3 * d_model (as the text model)
    norm_eps: float = 1e-6
    time_freqs: int = 128  # sinusoidal features of t fed to the time MLP

    def __post_init__(self):
        if self.resolution % self.patch:
            raise ValueError(f"resolution {self.resolution} is not a multiple of the patch size {self.patch}")
        if self.d_model % self.n_head:
            raise ValueError(f"d_model {self.d_model} is not a multiple of n_head {self.n_head}")
        self.d_ff = self.d_ff or 3 * self.d_model

    @property
    def tokens(self) -> int:
        return (self.resolution // self.patch) ** 2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ImageModelConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def _text_config(c: ImageModelConfig) -> ModelConfig:
    """The text model's configuration for the parts borrowed from it (MLP, norms)."""
    return ModelConfig(vocab_size=1, d_model=c.d_model, n_head=c.n_head, d_ff=c.d_ff, hidden_act="silu",
                       norm_eps=c.norm_eps)  # fmt: skip


def sincos_positions(side: int, dim: int) -> torch.Tensor:
    """Fixed 2-D sine-cosine embeddings of a side×side grid, [side², dim] (half for rows, half for columns)."""
    quarter = dim // 4
    freqs = 1.0 / (10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter))
    coords = torch.arange(side, dtype=torch.float64)[:, None] * freqs[None, :]  # [side, quarter]
    one_axis = torch.cat([coords.sin(), coords.cos()], dim=1)  # [side, dim / 2]
    rows = one_axis[:, None, :].expand(side, side, -1)
    cols = one_axis[None, :, :].expand(side, side, -1)
    emb = torch.cat([rows, cols], dim=-1).reshape(side * side, -1)
    return F.pad(emb, (0, dim - emb.shape[1])).float()


def time_features(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features of t in [0, 1] (scaled by 1000, as DiT's timesteps), [B, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = 1000 * t.float()[:, None] * freqs[None, :]
    return torch.cat([angles.cos(), angles.sin()], dim=-1)


def _rms(x: torch.Tensor, eps: float) -> torch.Tensor:
    """RMS normalization without a gain: adaLN supplies the scale."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def _modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale[:, None, :]) + shift[:, None, :]


class FullAttention(nn.Module):
    """The text model's attention without its causal mask and rotary positions (patches see each other)."""

    def __init__(self, c: ImageModelConfig):
        super().__init__()
        self.n_head, self.head_dim = c.n_head, c.d_model // c.n_head
        self.qkv = nn.Linear(c.d_model, 3 * c.d_model, bias=False)
        self.o_proj = nn.Linear(c.d_model, c.d_model, bias=False)
        self.q_norm = RMSNorm(self.head_dim, c.norm_eps)
        self.k_norm = RMSNorm(self.head_dim, c.norm_eps)

    def forward(self, x):
        B, T, _ = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_head, self.head_dim).unbind(2)
        q, k, v = self.q_norm(q).transpose(1, 2), self.k_norm(k).transpose(1, 2), v.transpose(1, 2)
        y = F.scaled_dot_product_attention(q.to(v.dtype), k.to(v.dtype), v)
        return self.o_proj(y.transpose(1, 2).reshape(B, T, -1))


class DiTBlock(nn.Module):
    def __init__(self, c: ImageModelConfig):
        super().__init__()
        self.eps = c.norm_eps
        self.attn = FullAttention(c)
        self.mlp = MLP(_text_config(c))
        # shift, scale, gate for attention, then for the MLP
        self.modulation = nn.Linear(c.d_model, 6 * c.d_model)

    def forward(self, x, cond):
        s1, c1, g1, s2, c2, g2 = self.modulation(cond).chunk(6, dim=-1)
        x = x + g1[:, None, :] * self.attn(_modulate(_rms(x, self.eps), s1, c1))
        return x + g2[:, None, :] * self.mlp(_modulate(_rms(x, self.eps), s2, c2))


class DiT(nn.Module):
    def __init__(self, config: ImageModelConfig):
        super().__init__()
        c = self.config = config
        patch_dim = c.channels * c.patch * c.patch
        self.patch_embed = nn.Linear(patch_dim, c.d_model)
        self.register_buffer("positions", sincos_positions(c.resolution // c.patch, c.d_model), persistent=False)
        self.time_mlp = nn.Sequential(nn.Linear(c.time_freqs, c.d_model), nn.SiLU(), nn.Linear(c.d_model, c.d_model))
        self.blocks = nn.ModuleList(DiTBlock(c) for _ in range(c.n_layer))
        self.final_modulation = nn.Linear(c.d_model, 2 * c.d_model)
        self.out = nn.Linear(c.d_model, patch_dim)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self):
        """DiT's initialization: Xavier matrices, and zeros wherever adaLN-zero wants each block to start as identity."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, RMSNorm):
                nn.init.ones_(m.weight)
        nn.init.normal_(self.time_mlp[0].weight, std=0.02)
        nn.init.normal_(self.time_mlp[2].weight, std=0.02)
        for layer in [b.modulation for b in self.blocks] + [self.final_modulation, self.out]:
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def patchify(self, x: torch.Tensor) -> torch.Tensor:
        B, C, H, W = x.shape
        p = self.config.patch
        x = x.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 1, 3, 5)
        return x.reshape(B, (H // p) * (W // p), C * p * p)

    def unpatchify(self, tokens: torch.Tensor) -> torch.Tensor:
        c = self.config
        B, side, p = tokens.shape[0], c.resolution // c.patch, c.patch
        x = tokens.reshape(B, side, side, c.channels, p, p).permute(0, 3, 1, 4, 2, 5)
        return x.reshape(B, c.channels, side * p, side * p)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The velocity (noise − image) the flow predicts at ``x`` and time ``t`` (see ``flow.py``)."""
        c = self.config
        if x.shape[1:] != (c.channels, c.resolution, c.resolution):
            raise ValueError(f"images of shape {tuple(x.shape[1:])} given to a model of "
                             f"{(c.channels, c.resolution, c.resolution)}")  # fmt: skip
        h = self.patch_embed(self.patchify(x)) + self.positions
        cond = F.silu(self.time_mlp(time_features(t, c.time_freqs)))
        for block in self.blocks:
            h = block(h, cond)
        shift, scale = self.final_modulation(cond).chunk(2, dim=-1)
        return self.unpatchify(self.out(_modulate(_rms(h, c.norm_eps), shift, scale)))


def count_flops_per_image(c: ImageModelConfig) -> float:
    """Training FLOPs per image (6 × matmul parameters × tokens, plus attention), for sizing."""
    per_token = c.n_layer * (4 * c.d_model**2 + 3 * c.d_model * c.d_ff) + 2 * c.channels * c.patch**2 * c.d_model
    attention = c.n_layer * 2 * c.d_model * c.tokens
    return 6 * c.tokens * (per_token + attention)


__all__ = ["DiT", "ImageModelConfig", "count_flops_per_image"]
