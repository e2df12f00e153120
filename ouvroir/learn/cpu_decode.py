"""One-token decode steps for CPU, compiled with numba.

Public API::

    CpuDecoder.supports(config) -> bool
    CpuDecoder(gpt)                .step(tokens [B] int64, cache: KVCache) -> logits [B, vocab] float32

Why compiled: a decode step of a small model is ~300 tiny tensor operations.
Eager PyTorch spends several microseconds of dispatch on each, numpy about
one; either way the step is mostly overhead, not arithmetic. As one compiled
function the step runs 2.5x faster than as numpy calls for one sample of the
0.8 M model, and a batch of 16 1.9x faster (its rows shared between two
cores; README, "Performance").

Same arithmetic as ``GPT.forward`` in float32 (fused q/k/v and gate/up
matrices, RMSNorm gains folded into the matrices they feed, 1/sqrt(head_dim)
folded into q's gain), equal to it to ~1e-5; the compiled loops may sum in
another order than PyTorch, always the same order from one run to the next,
so a seed gives the same samples. The step reads and writes the torch
``KVCache`` in place (shared memory), so prefill stays in PyTorch.

The first use compiles the kernel (a few seconds) and caches it on disk
(numba's cache, next to this file or in the user's cache directory), so
later runs load it in well under a second.
"""

from __future__ import annotations

import functools
import itertools
import math
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from numba import njit

from ouvroir.learn.model import GPT, KVCache, ModelConfig
from ouvroir.learn.sizing import usable_cores

ACTIVATIONS = {"relu2": 0, "silu": 1, "gelu": 2}
# A thread gets at least this many rows of a batched step: fewer, and handing them over costs more than it saves.
ROWS_PER_THREAD = 8


@njit(cache=True, fastmath=True, nogil=True)
def _matmul_rows(x, w, out, lo, hi):
    """out[lo:hi] = x[lo:hi] @ w.T, with ``w`` as PyTorch stores a Linear's weight ([out, in]).

    Every output is a dot product over contiguous memory, computed four rows by
    two columns at a time (eight sums in registers, no store in the inner loop):
    ~2.7x the speed of a row-by-row loop for a batch of 16. Rows go in blocks of
    four from ``lo``, then one at a time; a row's sums run in the same order
    whichever thread computes its block, so the output does not depend on how
    rows are shared between threads.
    """
    n, K = w.shape
    r = lo
    while r + 4 <= hi:
        x0, x1, x2, x3 = x[r], x[r + 1], x[r + 2], x[r + 3]
        for j in range(0, n - 1, 2):
            w0, w1 = w[j], w[j + 1]
            a00 = a01 = a10 = a11 = a20 = a21 = a30 = a31 = np.float32(0.0)
            for k in range(K):
                p, q = w0[k], w1[k]
                a00 += x0[k] * p
                a01 += x0[k] * q
                a10 += x1[k] * p
                a11 += x1[k] * q
                a20 += x2[k] * p
                a21 += x2[k] * q
                a30 += x3[k] * p
                a31 += x3[k] * q
            out[r, j], out[r, j + 1] = a00, a01
            out[r + 1, j], out[r + 1, j + 1] = a10, a11
            out[r + 2, j], out[r + 2, j + 1] = a20, a21
            out[r + 3, j], out[r + 3, j + 1] = a30, a31
        if n % 2:
            for i in range(4):
                out[r + i, n - 1] = _dot(x[r + i], w[n - 1])
        r += 4
    while r < hi:
        _dots(x[r], w, n, out[r])
        r += 1


@njit(cache=True, fastmath=True, nogil=True)
def _dots(v, m, n, out):
    """out[:n] = m[:n] @ v, four rows of ``m`` at a time (four independent sums keep the vector
    units busy: about twice as fast as one row at a time)."""
    i = 0
    while i + 4 <= n:
        m0, m1, m2, m3 = m[i], m[i + 1], m[i + 2], m[i + 3]
        s0 = s1 = s2 = s3 = np.float32(0.0)
        for k in range(v.shape[0]):
            vk = v[k]
            s0 += vk * m0[k]
            s1 += vk * m1[k]
            s2 += vk * m2[k]
            s3 += vk * m3[k]
        out[i], out[i + 1], out[i + 2], out[i + 3] = s0, s1, s2, s3
        i += 4
    while i < n:
        out[i] = _dot(v, m[i])
        i += 1


@njit(cache=True, fastmath=True, nogil=True)
def _dot(a, b):
    s = np.float32(0.0)
    for k in range(a.shape[0]):
        s += a[k] * b[k]
    return s


@njit(cache=True, fastmath=True, nogil=True)
def _rms_rows(x, out, lo, hi, eps):
    d = x.shape[1]
    for r in range(lo, hi):
        s = 0.0
        for j in range(d):
            s += x[r, j] * x[r, j]
        inv = 1.0 / math.sqrt(s / d + eps)
        for j in range(d):
            out[r, j] = x[r, j] * inv


@njit(cache=True, fastmath=True, nogil=True)
def _attend(q, keys, values, n, scores, y):
    """y = softmax(keys[:n] @ q) @ values[:n], four positions at a time in both products."""
    D = q.shape[0]
    _dots(q, keys, n, scores)
    top = scores[:n].max()
    total = np.float32(0.0)
    for t in range(n):
        p = math.exp(scores[t] - top)
        scores[t] = p
        total += p
    y[:] = 0.0
    t = 0
    while t + 4 <= n:
        p0, p1, p2, p3 = scores[t], scores[t + 1], scores[t + 2], scores[t + 3]
        v0, v1, v2, v3 = values[t], values[t + 1], values[t + 2], values[t + 3]
        for j in range(D):
            y[j] += p0 * v0[j] + p1 * v1[j] + p2 * v2[j] + p3 * v3[j]
        t += 4
    while t < n:
        p = scores[t]
        for j in range(D):
            y[j] += p * values[t, j]
        t += 1
    inv = np.float32(1.0) / total
    for j in range(D):
        y[j] *= inv


@njit(cache=True, fastmath=True, nogil=True)
def _layer(x, h, qkv, att, mid, act_out, out, lo, hi, layer, pos, W, K, V, cos, sin, n_head, n_kv, eps, act):
    qkv_w, qk_gain, o_w, gu_w, down_w = W
    head_dim = K.shape[4]
    half = head_dim // 2
    group = n_head // n_kv
    ff = down_w.shape[2]
    _rms_rows(x, h, lo, hi, eps)
    _matmul_rows(h, qkv_w[layer], qkv, lo, hi)
    scores = np.empty(pos + 1, dtype=np.float32)
    rotated = np.empty(head_dim, dtype=np.float32)
    for r in range(lo, hi):
        # per-head RMSNorm and rotary embedding of the q and k heads, in place
        for hd in range(n_head + n_kv):
            v = qkv[r, hd * head_dim : (hd + 1) * head_dim]
            s = 0.0
            for j in range(head_dim):
                s += v[j] * v[j]
            inv = 1.0 / math.sqrt(s / head_dim + eps)
            g = qk_gain[layer, hd]
            for j in range(head_dim):
                v[j] = v[j] * inv * g[j]
            for j in range(half):
                rotated[j] = v[j] * cos[pos, j] + v[j + half] * sin[pos, j]
                rotated[j + half] = v[j + half] * cos[pos, j + half] + v[j] * sin[pos, j + half]
            v[:] = rotated
        for kv in range(n_kv):
            K[layer, r, kv, pos] = qkv[r, (n_head + kv) * head_dim : (n_head + kv + 1) * head_dim]
            V[layer, r, kv, pos] = qkv[r, (n_head + n_kv + kv) * head_dim : (n_head + n_kv + kv + 1) * head_dim]
        for hq in range(n_head):
            kv = hq // group
            q = qkv[r, hq * head_dim : (hq + 1) * head_dim]
            _attend(q, K[layer, r, kv], V[layer, r, kv], pos + 1, scores, att[r, hq * head_dim : (hq + 1) * head_dim])
    _matmul_rows(att, o_w[layer], out, lo, hi)
    for r in range(lo, hi):
        for j in range(x.shape[1]):
            x[r, j] += out[r, j]
    _rms_rows(x, h, lo, hi, eps)
    _matmul_rows(h, gu_w[layer], mid, lo, hi)
    for r in range(lo, hi):
        for j in range(ff):
            g = mid[r, j]
            if act == 0:
                g = g * g if g > 0 else 0.0
            elif act == 1:
                g = g / (1.0 + math.exp(-g))
            else:
                g = 0.5 * g * (1.0 + math.erf(g * 0.7071067811865476))
            act_out[r, j] = g * mid[r, ff + j]
    _matmul_rows(act_out, down_w[layer], out, lo, hi)
    for r in range(lo, hi):
        for j in range(x.shape[1]):
            x[r, j] += out[r, j]


@njit(cache=True, fastmath=True, nogil=True)
def _rows_step(tokens, lo, hi, pos, embed, W, head, K, V, cos, sin, n_head, n_kv, eps, act, logits):
    """Rows lo..hi of one decode step: writes their logits and their keys and values at ``pos``."""
    B, d = len(tokens), embed.shape[1]
    x = np.empty((B, d), dtype=np.float32)
    h = np.empty((B, d), dtype=np.float32)
    out = np.empty((B, d), dtype=np.float32)
    qkv = np.empty((B, W[0].shape[1]), dtype=np.float32)
    att = np.empty((B, W[2].shape[2]), dtype=np.float32)
    mid = np.empty((B, W[3].shape[1]), dtype=np.float32)
    act_out = np.empty((B, W[4].shape[2]), dtype=np.float32)
    for r in range(lo, hi):
        x[r] = embed[tokens[r]]
    for layer in range(W[0].shape[0]):
        _layer(x, h, qkv, att, mid, act_out, out, lo, hi, layer, pos, W, K, V, cos, sin, n_head, n_kv, eps, act)
    _rms_rows(x, h, lo, hi, eps)
    _matmul_rows(h, head, logits, lo, hi)


class CpuDecoder:
    """The weights of a ``GPT`` laid out for the compiled step, and the step itself."""

    @staticmethod
    def supports(config: ModelConfig) -> bool:
        return config.hidden_act in ACTIVATIONS

    def __init__(self, gpt: GPT):
        c = self.c = gpt.config
        sd = {k: v.detach().float().numpy() for k, v in gpt.state_dict().items()}
        self.embed = np.ascontiguousarray(sd["embed_tokens.weight"])
        # Matrices stay as PyTorch stores them ([out, in]: each output a contiguous dot product);
        # RMSNorm gains that feed a matrix are folded into its columns (one multiply less).
        self.head = np.ascontiguousarray(sd["lm_head.weight"] * sd["norm.weight"], dtype=np.float32)
        per_layer = []
        for i in range(c.n_layer):
            p = f"layers.{i}."
            qkv = np.concatenate([sd[p + f"self_attn.{n}_proj.weight"] for n in "qkv"])
            gate_up = np.concatenate([sd[p + "mlp.gate_proj.weight"], sd[p + "mlp.up_proj.weight"]])
            qkv = qkv * sd[p + "input_layernorm.weight"]
            gate_up = gate_up * sd[p + "post_attention_layernorm.weight"]
            # 1/sqrt(head_dim) is folded into q's gain.
            qk_gain = np.concatenate(
                [
                    np.tile(sd[p + "self_attn.q_norm.weight"] * c.head_dim**-0.5, (c.n_head, 1)),
                    np.tile(sd[p + "self_attn.k_norm.weight"], (c.n_kv_head, 1)),
                ]
            )
            per_layer.append((qkv, qk_gain, sd[p + "self_attn.o_proj.weight"], gate_up, sd[p + "mlp.down_proj.weight"]))
        self.weights = tuple(np.ascontiguousarray(np.stack(w), dtype=np.float32) for w in zip(*per_layer))
        half = c.head_dim // 2
        self.cos = np.ascontiguousarray(gpt.rope_cos.float().numpy())
        self.sin_signed = np.ascontiguousarray(
            torch.cat([-gpt.rope_sin[:, :half], gpt.rope_sin[:, half:]], dim=1).float().numpy()
        )
        self.act = ACTIVATIONS[c.hidden_act]
        self.splitter = _Splitter()

    def _arrays(self, cache: KVCache) -> tuple[np.ndarray, np.ndarray]:
        # Views of the cache's tensors (shared memory), made once per cache: .numpy() costs microseconds.
        if getattr(cache, "_numpy", None) is None or cache._numpy[0] is not cache.k:
            cache._numpy = (cache.k, cache.k.numpy(), cache.v.numpy())
        return cache._numpy[1], cache._numpy[2]

    def step(self, tokens: np.ndarray, cache: KVCache) -> np.ndarray:
        """Logits [B, vocab] after appending ``tokens`` [B] at position ``cache.pos``."""
        c = self.c
        K, V = self._arrays(cache)
        tokens = np.ascontiguousarray(tokens, dtype=np.int64)
        B = len(tokens)
        logits = np.empty((B, self.head.shape[0]), dtype=np.float32)
        args = (cache.pos, self.embed, self.weights, self.head, K, V, self.cos, self.sin_signed)
        args += (c.n_head, c.n_kv_head, c.norm_eps, self.act, logits)
        bounds = self.splitter.choose(B)
        t0 = time.perf_counter()
        if len(bounds) > 2:
            # Rows are independent samples: other threads take the later chunks (the kernel
            # releases the GIL). Chunks start on a multiple of 4, so every row is computed
            # in the same block of four, with the same sums, however the rows are shared.
            chunks = list(itertools.pairwise(bounds))
            others = [decode_pool().submit(_rows_step, tokens, lo, hi, *args) for lo, hi in chunks[1:]]
            _rows_step(tokens, *chunks[0], *args)
            for other in others:
                other.result()
        else:
            _rows_step(tokens, 0, B, *args)
        self.splitter.record(len(bounds) > 2, time.perf_counter() - t0)
        cache.pos += 1
        return logits


class _Splitter:
    """Shares a batched step's rows between threads when that is faster right now.

    On a quiet machine two threads nearly halve a batch step; when other
    processes hold the cores, a thread waits to be scheduled and the step gets
    slower. So every ``PROBE_EVERY`` steps the other choice is timed once, and
    the faster one is kept (a choice's first step, which may compile or load
    the kernel, is not counted).
    """

    PROBE_EVERY = 32

    def __init__(self):
        self.cores = usable_cores()
        self.seconds = {False: None, True: None}
        self.seen = {False: False, True: False}
        self.steps = 0

    def choose(self, rows: int) -> list[int]:
        """Chunk bounds: [0, rows] for one thread, or more chunks of whole blocks of four."""
        threads = min(self.cores, rows // ROWS_PER_THREAD)
        if threads < 2:
            return [0, rows]
        self.steps += 1
        if self.seconds[True] is None:
            split = True
        elif self.seconds[False] is None:
            split = False
        else:
            best = self.seconds[True] <= self.seconds[False]
            split = (not best) if self.steps % self.PROBE_EVERY == 0 else best
        if not split:
            return [0, rows]
        blocks = rows // 4
        return [4 * (blocks * i // threads) for i in range(threads)] + [rows]

    def record(self, split: bool, seconds: float) -> None:
        if not self.seen[split]:
            self.seen[split] = True
            return
        old = self.seconds[split]
        self.seconds[split] = seconds if old is None else 0.7 * old + 0.3 * seconds


@functools.cache
def decode_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max(1, usable_cores() - 1), thread_name_prefix="ouvroir-decode")
