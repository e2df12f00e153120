"""Load a trained model and sample text from it, fast, on CPU or GPU.

Public API::

    load(model_dir, device="auto") -> LoadedModel      (.model .tokenizer .config .metadata)
    generate(model, tokenizer, prompt, n=1, max_tokens=256, temperature=1.0,
             top_p=None, top_k=None, seed=0, on_text=None) -> list[str]

Decisions:

* Every sample starts a new work: the model sees ``<|endoftext|>`` then the
  prompt, and a sample ends at the next ``<|endoftext|>`` (not included) or
  after ``max_tokens``. The returned strings are the continuations only.
* A KV cache makes each new token cost one position; ``n > 1`` samples run as
  one batch (the prompt is prefilled once and shared). On CPU each decode step
  is one compiled function (``cpu_decode.py``); prefill stays in PyTorch.
* Longer than the context: when the cache is full, the last half of the
  context is re-prefilled and generation goes on (rotary positions are
  relative, so this equals a sliding window re-evaluated every
  ``context // 2`` tokens). A *prompt* longer than the context raises
  :class:`PromptTooLong`, which says how many tokens fit.
* ``on_text`` receives the text of a single sample (n=1) as it is produced,
  complete characters only: a byte-level token can end inside a multi-byte
  UTF-8 character, whose bytes are held back until it is complete.
* ``temperature=0`` is greedy; otherwise sampling uses its own seeded numpy
  generator, so the same seed gives the same samples (on the same machine).

>>> m = load("studio/models/abc")                                  # doctest: +SKIP
>>> generate(m, m.tokenizer, "ROMEO:", n=2, max_tokens=40, seed=1)  # doctest: +SKIP
[' I will not...', '\\nWhat, ho!...']
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ouvroir.learn import checkpoint as ckpt
from ouvroir.errors import ModelNotFound, OuvroirError
from ouvroir.learn.model import GPT, KVCache, ModelConfig
from ouvroir.learn.sampling import sample
from ouvroir.learn.sizing import usable_cores
from ouvroir.learn.tokenizer import Tokenizer


class PromptTooLong(OuvroirError, ValueError):
    """The prompt does not fit in the model's context."""


@dataclass
class LoadedModel:
    model: GPT
    config: ModelConfig
    tokenizer: Tokenizer | None  # None when the directory has no tokenizer.json
    device: torch.device
    model_dir: Path
    metadata: dict = field(default_factory=dict)  # step and val_bpb of the saved weights


def load(model_dir: str | os.PathLike, device: str = "auto") -> LoadedModel:
    """Read config.json, model.safetensors and (if present) tokenizer.json.

    Raises :class:`ModelNotFound` with what to do when a file is missing or corrupt.
    """
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelNotFound(f"no model directory at {model_dir}")
    meta = ckpt.read_json(model_dir / ckpt.CONFIG)
    if meta.get("format") != ckpt.FORMAT or "model" not in meta:
        raise ModelNotFound(f"{model_dir / ckpt.CONFIG} is not an ouvroir model config")
    if meta.get("format_version", 0) > ckpt.FORMAT_VERSION:
        raise ModelNotFound(
            f"{model_dir} was written by a newer ouvroir (format {meta['format_version']}): upgrade ouvroir to read it"
        )
    config = ModelConfig.from_dict(meta["model"])
    weights, metadata = ckpt.load_weights(model_dir / ckpt.WEIGHTS)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    model = GPT(config)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    missing = [k for k in missing if not (k == "lm_head.weight" and config.tie_embeddings)]
    if missing or unexpected:
        raise ModelNotFound(
            f"{model_dir / ckpt.WEIGHTS} does not match its config.json "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]}): retrain the model"
        )
    model.to(device).eval()
    tok_path = model_dir / ckpt.TOKENIZER
    tokenizer = Tokenizer.load(tok_path) if tok_path.exists() else None
    return LoadedModel(model, config, tokenizer, torch.device(device), model_dir, metadata)


class _Utf8Stream:
    """Feeds token bytes, emits only complete characters."""

    def __init__(self, tokenizer: Tokenizer, on_text: Callable[[str], None]):
        self.tokenizer, self.on_text = tokenizer, on_text
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def push(self, token_id: int) -> None:
        if text := self.decoder.decode(self.tokenizer.token_bytes(token_id)):
            self.on_text(text)

    def close(self) -> None:
        if text := self.decoder.decode(b"", final=True):
            self.on_text(text)


@torch.inference_mode()
def generate(
    model: LoadedModel | GPT,
    tokenizer: Tokenizer | None,
    prompt: str,
    n: int = 1,
    max_tokens: int = 256,
    temperature: float = 1.0,
    top_p: float | None = None,
    top_k: int | None = None,
    seed: int = 0,
    on_text: Callable[[str], None] | None = None,
    stop_at_eot: bool = True,
) -> list[str]:
    """``n`` continuations of ``prompt`` (see the module docstring for the rules).

    ``stop_at_eot=False`` lets a sample run through ``<|endoftext|>`` into a new
    work (kept in the text) until ``max_tokens``.
    """
    gpt = model.model if isinstance(model, LoadedModel) else model
    tokenizer = tokenizer or (model.tokenizer if isinstance(model, LoadedModel) else None)
    if tokenizer is None:
        raise ModelNotFound("this model directory has no tokenizer.json: copy the snapshot's tokenizer into it")
    if n < 1 or max_tokens < 0 or temperature < 0:
        raise ValueError("n must be >= 1, max_tokens >= 0 and temperature >= 0")
    if on_text is not None and n != 1:
        raise ValueError("on_text streams a single sample: use n=1")
    context = gpt.config.context
    prompt_ids = [tokenizer.eot_id, *tokenizer.encode(prompt)]
    if len(prompt_ids) > context:
        raise PromptTooLong(
            f"the prompt is {len(prompt_ids) - 1} tokens but this model reads at most {context - 1}: "
            "shorten it (keep its end)"
        )
    device = next(gpt.parameters()).device
    stream = _Utf8Stream(tokenizer, on_text) if on_text else None
    fast = None
    if device.type == "cpu":
        from ouvroir.learn.cpu_decode import CpuDecoder  # numba: imported only where it is used

        fast = CpuDecoder(gpt) if CpuDecoder.supports(gpt.config) else None
    was_training, threads = gpt.training, torch.get_num_threads()
    if device.type == "cpu":
        # A decode step is hundreds of tiny ops: a second thread costs more than it
        # gains, and stalls badly when other processes hold the cores.
        torch.set_num_threads(1)
    gpt.eval()
    try:
        out = _sample(
            gpt,
            fast,
            prompt_ids,
            n,
            max_tokens,
            temperature,
            top_k,
            top_p,
            seed,
            stream,
            tokenizer.eot_id if stop_at_eot else None,
        )
    finally:
        gpt.train(was_training)
        torch.set_num_threads(threads)
    if stream is not None:
        stream.close()
    if not stop_at_eot:
        return [tokenizer.decode(row) for row in out]
    return [_until_eot(tokenizer, row) for row in out]


def _pick(logits: np.ndarray, temperature: float, top_k, top_p, rng: np.random.Generator) -> np.ndarray:
    """Next token of each row: argmax, or a draw with the run's own generator (``sampling.py``)."""
    if temperature == 0:
        return logits.argmax(-1)
    return sample(logits, temperature, top_k, top_p, rng.random(len(logits)))


def _sample(gpt, fast, prompt_ids, n, max_tokens, temperature, top_k, top_p, seed, stream, eot_id) -> list[list[int]]:
    """The decode loop, on the host in numpy whatever the device: token ids of each sample.

    Sampling draws from ``np.random.default_rng(seed)``, so a seed gives the same
    samples on CPU and GPU (up to floating-point ties).
    """
    device, context = next(gpt.parameters()).device, gpt.config.context
    rng = np.random.default_rng(seed)

    def prefill(rows: np.ndarray) -> tuple[KVCache, np.ndarray]:
        cache = KVCache(gpt.config, len(rows), device)
        ids = torch.from_numpy(rows).to(device)
        if fast is None or len(rows) < 8 or usable_cores() < 2:
            return cache, _prefill_rows(gpt, ids, cache).float().cpu().numpy()
        # A batch's re-prefill: two halves on two threads (PyTorch on one thread each; its own
        # intra-op threads would spin and slow the decode threads down).
        from ouvroir.learn.cpu_decode import decode_pool

        half = len(rows) // 2
        other = decode_pool().submit(_prefill_rows, gpt, ids[half:], cache.rows(half, len(rows)))
        first = _prefill_rows(gpt, ids[:half], cache.rows(0, half))
        cache.pos = len(rows[0])
        return cache, torch.cat([first, other.result()]).float().cpu().numpy()

    def step(token: np.ndarray, cache: KVCache) -> np.ndarray:
        if fast is not None:
            return fast.step(token, cache)
        return gpt(torch.from_numpy(token[:, None]).to(device), cache=cache)[:, -1].float().cpu().numpy()

    prompt = np.array([prompt_ids], dtype=np.int64)
    cache, logits = prefill(prompt)
    if n > 1:  # prefill once, then every row starts from the same cache
        cache, logits = cache.expand(n), np.repeat(logits, n, axis=0)
    out = np.empty((n, max_tokens), dtype=np.int64)
    finished = np.zeros(n, dtype=bool)
    produced = 0
    for i in range(max_tokens):
        token = _pick(logits, temperature, top_k, top_p, rng)
        out[:, i] = token
        produced = i + 1
        if eot_id is not None:
            finished |= token == eot_id
        if stream is not None and not finished[0]:
            stream.push(int(token[0]))
        if produced == max_tokens or finished.all():
            break
        if cache.pos < context:
            logits = step(token, cache)
        else:  # cache full: slide, re-prefilling the last half of the context
            history = np.concatenate([np.repeat(prompt, n, axis=0), out[:, :produced]], axis=1)
            cache, logits = prefill(np.ascontiguousarray(history[:, -(context // 2) :]))
    return out[:, :produced].tolist()


@torch.inference_mode()  # (thread-local: a pool thread needs it too)
def _prefill_rows(gpt: GPT, ids: torch.Tensor, cache: KVCache) -> torch.Tensor:
    return gpt(ids, cache=cache, last_only=True)[:, -1]


def _until_eot(tokenizer: Tokenizer, ids: list[int]) -> str:
    if tokenizer.eot_id in ids:
        ids = ids[: ids.index(tokenizer.eot_id)]
    return tokenizer.decode(ids)
