"""Load a trained model and sample text from it, fast, on CPU or GPU.

Public API::

    load(model_dir, device="auto") -> LoadedModel      (.model .tokenizer .config .metadata)
    generate(model, tokenizer, prompt, n=1, max_tokens=256, temperature=1.0,
             top_p=None, top_k=None, seed=0, on_text=None,
             controls=None, infill_after=None, constraint=None, precision="auto") -> list[str]
                                                  (with a constraint: list[Constrained], see constraint_guard)
    infill(model, tokenizer, before, after, n=1, controls=None, ...) -> list[Infill]

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
* Controls (a tokenizer trained with control tokens): ``controls`` lists
  alternatives, each a list of control token ids (one per control: author,
  form...). The prompt is ``eot ctl… prompt``. With one alternative that is all;
  with several (``--as Verlaine --as Rimbaud``) each sample is drawn from the
  *mixture* of the conditional distributions, with equal weights: one cache row
  per alternative, the next-token distribution is the mean of their
  probabilities (log-sum-exp of the log-softmaxes minus log k), and the drawn
  token is fed to every row. This is exactly sampling a work "by one of these
  authors", marginalized over which one, token by token.
* Infilling (a tokenizer with the infilling tokens, ``learn/data.py``): with
  ``infill_after`` the prompt is ``<|fim_prefix|> eot ctl… before
  <|fim_suffix|> after <|fim_middle|>``, and the sample is the middle, ended
  by ``<|endoftext|>``. The end-of-document token and the controls come after
  ``<|fim_prefix|>``, as a work's start sits in a training prefix (training
  windows begin with ``<|fim_prefix|>``). The two sides and a middle of at
  least ``min_middle(context)`` tokens must fit the context, else
  :class:`PromptTooLong` says how many tokens fit.
* The special tokens other than ``<|endoftext|>`` (controls, infilling) are
  never drawn: they are not text.
* ``temperature=0`` is greedy; otherwise sampling uses its own seeded numpy
  generator, so the same seed gives the same samples (on the same machine).

>>> m = load("studio/models/abc")                                  # doctest: +SKIP
>>> generate(m, m.tokenizer, "ROMEO:", n=2, max_tokens=40, seed=1)  # doctest: +SKIP
[' I will not...', '\\nWhat, ho!...']
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ouvroir.learn import checkpoint as ckpt
from ouvroir.errors import ModelNotFound, OuvroirError
from ouvroir.learn.constraint_guard import Constrained, Guard
from ouvroir.learn.constraints import Constraint
from ouvroir.learn.loss_eval import autocast
from ouvroir.learn.model import GPT, KVCache, ModelConfig
from ouvroir.learn.sampling import sample
from ouvroir.learn.sizing import usable_cores
from ouvroir.learn.tokenizer import Tokenizer


class PromptTooLong(OuvroirError, ValueError):
    """The prompt does not fit in the model's context."""


@dataclass
class Infill:
    """A middle written between two passages; ``complete``: it ended with ``<|endoftext|>`` within the budget."""

    text: str
    complete: bool


def min_middle(context: int) -> int:
    """The room an infill leaves for its middle, at least: an eighth of the context (16 tokens or more)."""
    return max(16, context // 8)


def prompt_rows(tokenizer: Tokenizer, prompt: str, context: int, controls: Sequence[Sequence[int]] | None = None,
                infill_after: str | None = None) -> list[list[int]]:  # fmt: skip
    """The prompt's token ids once per alternative of ``controls`` (see the module docstring)."""
    alternatives = [list(c) for c in controls] if controls else [[]]
    if len({len(c) for c in alternatives}) != 1:
        raise ValueError("every alternative must hold one control token per control")
    text = tokenizer.encode(prompt)
    if infill_after is None:
        rows = [[tokenizer.eot_id, *c, *text] for c in alternatives]
        if len(rows[0]) > context:
            fits = context - 1 - len(alternatives[0])
            raise PromptTooLong(f"the prompt is {len(text)} tokens but this model reads at most {fits}: "
                                "shorten it (keep its end)")  # fmt: skip
        return rows
    if not tokenizer.has_fim:
        raise ValueError("this tokenizer has no infilling tokens: the model was trained before infilling")
    pre, suf, mid = tokenizer.fim_ids
    after = tokenizer.encode(infill_after)
    rows = [[pre, tokenizer.eot_id, *c, *text, suf, *after, mid] for c in alternatives]
    fits = context - min_middle(context) - (len(rows[0]) - len(text) - len(after))
    if len(text) + len(after) > fits:
        raise PromptTooLong(f"the passages before and after are {len(text) + len(after)} tokens together but this "
                            f"model fits at most {fits} around a middle: shorten them (keep the end of the one "
                            "before and the start of the one after)")  # fmt: skip
    return rows


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
    controls: Sequence[Sequence[int]] | None = None,
    infill_after: str | None = None,
    constraint: Constraint | None = None,
    precision: str = "auto",
) -> list[str] | list[Constrained]:
    """``n`` continuations of ``prompt`` (see the module docstring for the rules).

    With a ``constraint`` (``constraints.py``) each sample comes back as a :class:`Constrained`:
    its text, and ``unmet`` (why it stopped short) when it could not meet the constraint.

    ``stop_at_eot=False`` lets a sample run through ``<|endoftext|>`` into a new
    work (kept in the text) until ``max_tokens``. ``controls``: alternatives of
    control token ids; ``infill_after``: the text after a middle to write after ``prompt``.
    ``precision`` "bf16": every step in PyTorch under bf16 autocast; "auto" is fp32, on CPU the compiled
    decoder (``cpu_decode.py``), ~10x faster: a decode step is latency-bound, bf16 units gain nothing there.
    """
    guard = None
    if constraint is not None:
        if not stop_at_eot:
            raise ValueError("a constrained sample ends at <|endoftext|>: stop_at_eot must stay True")
        guard = Guard(tokenizer or getattr(model, "tokenizer", None), constraint, n, prompt)
    out = generate_ids(model, tokenizer, prompt, n, max_tokens, temperature, top_p, top_k, seed, on_text,
                       stop_at_eot, controls, infill_after, guard, precision)  # fmt: skip
    tokenizer = tokenizer or model.tokenizer
    if guard is not None:
        return [guard.result(row, ids) for row, ids in enumerate(out)]
    if not stop_at_eot:
        return [tokenizer.decode(row) for row in out]
    return [_until_eot(tokenizer, row) for row in out]


def infill(model: LoadedModel, tokenizer: Tokenizer | None, before: str, after: str, n: int = 1,
           controls: Sequence[Sequence[int]] | None = None, max_tokens: int = 256, **options) -> list[Infill]:  # fmt: skip
    """``n`` middles to write between ``before`` and ``after``, each marked complete when it reached its end."""
    tokenizer = tokenizer or model.tokenizer
    out = generate_ids(model, tokenizer, before, n, max_tokens, controls=controls, infill_after=after, **options)
    return [Infill(_until_eot(tokenizer, row), tokenizer.eot_id in row) for row in out]


@torch.inference_mode()
def generate_ids(
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
    controls: Sequence[Sequence[int]] | None = None,
    infill_after: str | None = None,
    guard: Guard | None = None,
    precision: str = "auto",
) -> list[list[int]]:
    """The token ids of ``generate``'s samples, the ``<|endoftext|>`` that ended one included."""
    if precision not in ("fp32", "bf16", "auto"):
        raise ValueError(f"precision must be fp32, bf16 or auto, got {precision!r}")
    gpt = model.model if isinstance(model, LoadedModel) else model
    tokenizer = tokenizer or (model.tokenizer if isinstance(model, LoadedModel) else None)
    if tokenizer is None:
        raise ModelNotFound("this model directory has no tokenizer.json: copy the snapshot's tokenizer into it")
    if n < 1 or max_tokens < 0 or temperature < 0:
        raise ValueError("n must be >= 1, max_tokens >= 0 and temperature >= 0")
    if on_text is not None and n != 1:
        raise ValueError("on_text streams a single sample: use n=1")
    context = gpt.config.context
    rows = prompt_rows(tokenizer, prompt, context, controls, infill_after)
    if infill_after is not None:  # a middle sees both sides: it stops where the context does, never slides past them
        max_tokens = min(max_tokens, context - len(rows[0]))
    banned = [i for i in tokenizer.special_ids.values() if i != tokenizer.eot_id]
    device = next(gpt.parameters()).device
    stream = _Utf8Stream(tokenizer, on_text) if on_text else None
    fast = None
    if device.type == "cpu" and precision != "bf16":
        from ouvroir.learn.cpu_decode import CpuDecoder  # numba: imported only where it is used

        fast = CpuDecoder(gpt) if CpuDecoder.supports(gpt.config) else None
    was_training, threads = gpt.training, torch.get_num_threads()
    if device.type == "cpu":
        # A decode step is hundreds of tiny ops: a second thread costs more than it
        # gains, and stalls badly when other processes hold the cores.
        torch.set_num_threads(1)
    gpt.eval()
    try:
        with autocast(device, "bf16" if precision == "bf16" else "fp32"):
            out = _sample(
                gpt,
                fast,
                rows,
                n,
                max_tokens,
                temperature,
                top_k,
                top_p,
                seed,
                stream,
                tokenizer.eot_id if stop_at_eot else None,
                banned,
                guard,
                0 if infill_after is not None or not controls else len(controls[0]),
            )
    finally:
        gpt.train(was_training)
        torch.set_num_threads(threads)
    if stream is not None:
        stream.close()
    return out


def _pick(logits: np.ndarray, temperature: float, top_k, top_p, rng: np.random.Generator) -> np.ndarray:
    """Next token of each row: argmax, or a draw with the run's own generator (``sampling.py``)."""
    if temperature == 0:
        return logits.argmax(-1)
    return sample(logits, temperature, top_k, top_p, rng.random(len(logits)))


def _mixed(logits: np.ndarray, k: int, banned: Sequence[int]) -> np.ndarray:
    """One row of logits per sample: the mixture of its ``k`` rows' distributions, ``banned`` tokens never drawn."""
    if banned:
        logits = logits.copy()
        logits[:, banned] = -np.inf
    if k == 1:
        return logits
    z = logits.astype(np.float64)
    z -= z.max(-1, keepdims=True)
    z -= np.log(np.exp(z).sum(-1, keepdims=True))  # log-softmax of each alternative
    z = z.reshape(-1, k, z.shape[-1])
    top = z.max(1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # a banned token is -inf in every row
        mixed = (top + np.log(np.exp(z - np.where(np.isfinite(top), top, 0)).sum(1, keepdims=True)))[:, 0] - np.log(k)
    return mixed.astype(np.float32)


def _sample(gpt, fast, prompt_rows, n, max_tokens, temperature, top_k, top_p, seed, stream, eot_id,
            banned=(), guard=None, pinned=0) -> list[list[int]]:  # fmt: skip
    """The decode loop, on the host in numpy whatever the device: token ids of each sample.

    ``prompt_rows``: one row per alternative of the controls (module docstring); with k of them,
    cache row ``s * k + a`` is sample ``s`` under alternative ``a``.

    Sampling draws from ``np.random.default_rng(seed)``, so a seed gives the same
    samples on CPU and GPU (up to floating-point ties). A ``guard`` (``constraint_guard``)
    sets the tokens its constraint refuses to -inf before temperature, top-k and top-p;
    a row left with no token ends there (its ``<|endoftext|>``; the guard says why).
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

    prompt = np.array(prompt_rows, dtype=np.int64)
    k = len(prompt)
    if k > 1:  # one row per sample and alternative (short prompts: prefilled whole)
        cache, logits = prefill(np.tile(prompt, (n, 1)))
    else:
        cache, logits = prefill(prompt)
    if n > 1 and k == 1:  # prefill once, then every row starts from the same cache
        cache, logits = cache.expand(n), np.repeat(logits, n, axis=0)
    out = np.empty((n, max_tokens), dtype=np.int64)
    finished = np.zeros(n, dtype=bool)
    produced = 0
    for i in range(max_tokens):
        logits = _mixed(logits, k, banned)
        if guard is not None:
            logits, stuck = guard.restrict(logits, i == max_tokens - 1, finished)
        token = _pick(logits, temperature, top_k, top_p, rng)
        if guard is not None:
            token[stuck] = eot_id
            guard.advance(token, ~finished)
        out[:, i] = token
        produced = i + 1
        if eot_id is not None:
            finished |= token == eot_id
        if stream is not None and not finished[0]:
            stream.push(int(token[0]))
        if produced == max_tokens or finished.all():
            break
        if cache.pos < context:
            logits = step(np.repeat(token, k), cache)
        else:  # cache full: slide, re-prefilling the last half of the context
            history = np.concatenate([np.tile(prompt, (n, 1)), np.repeat(out[:, :produced], k, axis=0)], axis=1)
            cache, logits = prefill(_slid(history, np.tile(prompt[:, 1 : 1 + pinned], (n, 1)), context))
    return out[:, :produced].tolist()


def _slid(history: np.ndarray, heads: np.ndarray, context: int) -> np.ndarray:
    """What a full context re-reads: the controls (``heads``, one row per history row) then the latest tokens, half a
    context in all, the layout training gives a window that starts inside a work (``data.py``)."""
    return np.ascontiguousarray(np.concatenate([heads, history[:, -(context // 2 - heads.shape[1]) :]], axis=1))


@torch.inference_mode()  # (thread-local: a pool thread needs it too)
def _prefill_rows(gpt: GPT, ids: torch.Tensor, cache: KVCache) -> torch.Tensor:
    return gpt(ids, cache=cache, last_only=True)[:, -1]


def _until_eot(tokenizer: Tokenizer, ids: list[int]) -> str:
    if tokenizer.eot_id in ids:
        ids = ids[: ids.index(tokenizer.eot_id)]
    return tokenizer.decode(ids)
