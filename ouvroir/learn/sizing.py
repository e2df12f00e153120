"""Training configuration: one size dial, or a choice from corpus size and time budget.

Public API::

    Budget(minutes: float | None = None, steps: int | None = None)
    TrainConfig(model: ModelConfig, batch_size=..., lrs..., dropout...)
    plan(size: "tiny" | "small" | "base" | None, train_tokens: int, budget: Budget,
         device: str = "cpu", vocab_size: int = 768, rates=None, precision="auto") -> TrainConfig
    probe_shapes(device) -> (shapes, batch)     what the speed probe times (probe.py)
    planned_rate(config, rates, device="cpu") -> float   the tokens/s a plan counts on
    corpus_passes(config, train_tokens, budget, device="cpu", rates=None) -> float
    memorized(train_bpb, val_bpb) -> bool

Why a planner: on a laptop CPU the best model for 30 seconds is not the best
for 10 minutes (a bigger network learns more per token but sees fewer
tokens), and on a 1 MB corpus a big model only memorizes. ``plan(None, ...)``
picks the size from the compute the budget allows (the tokens/s of each size
measured on this machine by ``probe.py``, given as ``rates``; without them, a
table measured on 2 cores of a Zen 3) and from the corpus size, and scales dropout with how many
times the model will see each training token.

>>> cfg = plan(None, train_tokens=450_000, budget=Budget(minutes=1), vocab_size=768)
>>> cfg.size, cfg.model.n_layer
('tiny', 4)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ouvroir.learn.model import ModelConfig

SIZES = ("tiny", "small", "base")


@dataclass
class Budget:
    """When to stop: after ``minutes``, after ``steps``, or whichever comes first.

    Minutes are the whole run's wall time, preparation, evaluations and the
    final save included (``train_loop.Schedule`` gives the steps what is left).
    The learning-rate schedule is driven by the fraction of the steps' share
    used, so it decays to zero exactly at the end.
    """

    minutes: float | None = None
    steps: int | None = None

    def __post_init__(self):
        if self.minutes is None and self.steps is None:
            raise ValueError("a Budget needs minutes or steps")
        if (self.minutes is not None and self.minutes <= 0) or (self.steps is not None and self.steps <= 0):
            raise ValueError("budget minutes and steps must be positive")


@dataclass
class TrainConfig:
    """Everything that shapes a run besides the data, the seed and the budget."""

    model: ModelConfig
    size: str = "custom"
    batch_size: int = 16  # sequences of model.context tokens per step
    matrix_lr: float = 0.03  # Muon, hidden matrices
    embed_lr: float = 0.1  # Adam, input embedding
    head_lr: float = 0.006  # Adam, output matrix
    scalar_lr: float = 0.01  # Adam, norm gains
    weight_decay: float = 0.0  # decoupled, on hidden matrices only
    embedding_weight_decay: float = 0.0  # decoupled, on the input embedding and output matrix
    warmup_steps: int = 5
    cooldown_frac: float = 0.6  # linear decay to 0 over the last part of the budget
    ema_decay: float = 0.0  # > 0: evaluate and save an EMA of the weights (averaging.py)
    evals: int = 8  # evaluations (and checkpoints) spread over the budget
    eval_every_steps: int | None = None  # overrides ``evals`` when set
    patience: int = 3  # evaluations without improvement before stopping early
    log_every_s: float = 2.0
    compile: bool = False  # torch.compile (only used on CUDA)
    max_steps: int | None = None  # the planner's cap: the run ends here if its budget has not
    fim_rate: float = 0.0  # share of training windows in infilling form (data.py); 0 for tokenizers without its tokens
    # "fp32" or "bf16" (autocast: weights and optimizer state stay fp32); None: the device's default,
    # bf16 on CUDA and fp32 on CPU, as every run planned before the probe.
    precision: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        d = dict(d)
        d["model"] = ModelConfig.from_dict(d["model"])
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


# Shapes tuned on Tiny Shakespeare (1 MB, 768-token BPE); on CPU the sizes span
# what 2 cores train in 30 s to 10 min, on a GPU what it trains in a minute.
_CPU_SHAPES = {
    "tiny": {"n_layer": 4, "d_model": 128, "n_head": 4, "context": 256},
    "small": {"n_layer": 4, "d_model": 192, "n_head": 6, "context": 256},
    "base": {"n_layer": 6, "d_model": 256, "n_head": 8, "context": 256},
}
_GPU_SHAPES = {
    "tiny": {"n_layer": 6, "d_model": 256, "n_head": 4, "context": 256},
    "small": {"n_layer": 6, "d_model": 384, "n_head": 6, "context": 256},
    "base": {"n_layer": 8, "d_model": 512, "n_head": 8, "context": 256},
}
# Training tokens per second of each size, measured with bench/train_quality.py:
# 2 cores of the Zen 3 dev machine, one shard of the batch per core (tiny 10.6 k/s,
# small 5.6 k/s, base 2.3 k/s) and one H100 (eager bf16, no compile: tiny 263 k/s,
# small 243 k/s, base 166 k/s).
_CPU_TOKENS_PER_S = {"tiny": 10_500, "small": 5_600, "base": 2_300}
_GPU_TOKENS_PER_S = {"tiny": 260_000, "small": 240_000, "base": 165_000}
_MAX_PASSES = 6.5
PRECISIONS = ("fp32", "bf16", "auto")
# auto takes bf16 only when the probe measured it this much faster at the planned size: rounding
# every product to 8 bits of mantissa is not worth a gain within the probe's noise.
BF16_MARGIN = 1.1


def probe_shapes(device: str = "cpu") -> tuple[dict, int]:
    """The shapes and batch the planner would time on ``device`` (the probe measures these)."""
    if str(device).startswith("cuda"):
        return _GPU_SHAPES, 64
    return _CPU_SHAPES, 16


def _table(device: str) -> dict[str, dict[str, float]]:
    """The fixed figures, for a plan made without a probe (tests, benches)."""
    speed = _GPU_TOKENS_PER_S if str(device).startswith("cuda") else _CPU_TOKENS_PER_S
    return {"bf16" if str(device).startswith("cuda") else "fp32": speed}


def _choose_precision(precision: str, rates: dict | None, size: str) -> str | None:
    if precision != "auto":
        return precision
    if not rates or "bf16" not in rates or "fp32" not in rates:
        return None if not rates else next(iter(rates))
    bf16, fp32 = rates["bf16"].get(size, 0), rates["fp32"].get(size, 0)
    return "bf16" if bf16 > BF16_MARGIN * fp32 else "fp32"


def planned_rate(config: TrainConfig, rates: dict | None, device: str = "cpu") -> float:
    """The training tokens per second the plan of ``config`` counts on."""
    rates = rates or _table(device)
    cuda = str(device).startswith("cuda")
    chosen = config.precision or ("bf16" if cuda else "fp32")
    speed = rates.get(chosen) or next(iter(rates.values()))
    return float(speed.get(config.size, speed["tiny"]))


def plan(
    size: str | None,
    train_tokens: int,
    budget: Budget,
    device: str = "cpu",
    vocab_size: int = 768,
    rates: dict[str, dict[str, float]] | None = None,
    precision: str = "auto",
) -> TrainConfig:
    """A TrainConfig for this corpus and budget; ``size=None`` chooses the size.

    ``rates``: training tokens per second by precision and size, measured on this device
    (``probe.rates``) for the shapes ``probe_shapes(device)`` names. ``precision`` "auto" takes
    the faster of fp32 and bf16 at the planned size (bf16 only if the probe measured it).
    """
    if size is not None and size not in SIZES:
        raise ValueError(f"size must be one of {SIZES} or None (auto), got {size!r}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    cuda = str(device).startswith("cuda")
    given = rates
    usable = {p: r for p, r in (rates or {}).items() if precision == "auto" or p == precision} or rates
    table = _GPU_TOKENS_PER_S if cuda else _CPU_TOKENS_PER_S  # a size the rates leave out keeps the table's figure
    measured = {s: max(r.get(s, table[s]) for r in usable.values()) for s in SIZES} if usable else None
    seconds = budget.minutes * 60 if budget.minutes else None
    # A GPU minute is dozens of passes over a corpus of a few MB, and past
    # ~6.5 passes more steps only memorize it: there the run is capped at
    # those passes, with the shapes and batch tuned for that regime on 2 CPU
    # cores (Tiny Shakespeare: 700 steps, 2.05 bits/byte). On one
    # H100 those 710 steps take ~35 s and reached 2.068-2.080 with the previous
    # regularization; a 6 x 256 model for the same steps (2.063) or 1,100
    # (2.060) was no clear gain on an H200.
    gpu_tiny = measured["tiny"] if cuda and measured else _GPU_TOKENS_PER_S["tiny"]
    capped = cuda and seconds is not None and gpu_tiny * seconds > _MAX_PASSES * train_tokens
    gpu_shapes = cuda and not capped
    speed = measured or (_GPU_TOKENS_PER_S if gpu_shapes else _CPU_TOKENS_PER_S)
    batch = 64 if gpu_shapes else 16
    shapes = _GPU_SHAPES if gpu_shapes else _CPU_SHAPES

    def tokens_seen_by(s: str) -> float:
        if capped:
            return _MAX_PASSES * train_tokens
        return speed[s] * seconds if seconds else budget.steps * batch * shapes[s]["context"]

    if size is None and seconds is None:
        size = "tiny" if train_tokens < 2_000_000 else "small"
    elif size is None:
        size = _largest_size(tokens_seen_by, shapes, vocab_size)
    shape = shapes[size]
    tokens_per_step = batch * shape["context"]
    tokens_seen = tokens_seen_by(size)
    epochs = tokens_seen / max(train_tokens, 1)
    # Past ~2 passes over a small corpus the model starts to memorize it:
    # regularize (dropout in proportion, and weight decay). Decaying the
    # embedding and output matrices too, with less dropout, generalizes best:
    # "small", 711 steps (6.5 passes), three seeds on a GPU: 2.079 bits/byte
    # with dropout 0.2 and decay 0.1 on the block matrices only, 2.065 with
    # 0.15 and 0.2, 2.046 with 0.15, 0.2 and 0.05 on embeddings and output.
    regularize = epochs >= 2
    dropout = min(0.15, 0.05 * (epochs - 1)) if regularize else 0.0
    # SiLU, the MLP of Llama and Qwen3, so a model trained here runs in llama.cpp as GGUF (its graphs compute
    # only SiLU); against ReLU² it learns as well: Tiny Shakespeare, "tiny", 400 steps, seeds 0 and 1: 2.099 and
    # 2.111 bits/byte against 2.122 and 2.121, a step 3% slower (bench/train_quality.py --set hidden_act=...).
    model = ModelConfig(vocab_size=vocab_size, dropout=round(dropout, 3), hidden_act="silu", **shape)
    # In that regime the weights of any one step carry the noise of the last
    # batches: evaluating and saving an EMA of them generalizes better, and
    # the more passes, the longer the window that pays: Tiny Shakespeare, seed
    # 0, "tiny" for 2.5 min (2.9 passes): 2.150 and 2.165 bits/byte in two runs
    # averaging the last ~11% of the steps, 2.175 the last 27%; "small" for 700
    # steps (6.4 passes): 2.069 with 11%, 2.063 with 18%, 2.061 with 27%, 2.069
    # with 50%.
    steps = tokens_seen / tokens_per_step
    window = min(0.27, max(0.1, 0.04 * epochs)) * steps
    # The floor is a 2-step window, not 10: in a run of a few dozen steps a
    # 10-step plain mean (averaging.py) would take in the first, untrained weights.
    ema = round(min(0.998, max(0.5, 1 - 1 / window)), 4) if regularize else 0.0
    # torch.compile pays for itself only when its ~30 s of compiling is a small part of the run.
    compile_ = cuda and not capped and (seconds is None or seconds >= 300)
    return TrainConfig(
        model=model,
        size=size,
        batch_size=batch,
        compile=compile_,
        weight_decay=0.2 if regularize else 0.0,
        embedding_weight_decay=0.05 if regularize else 0.0,
        ema_decay=ema,
        max_steps=math.ceil(steps) if capped else None,
        precision=_choose_precision(precision, given, size),
    )


# A corpus is too small for a budget when the run would pass over it more than this many times.
# The planner regularizes from 2 passes and caps a GPU run at 6.5, past which more steps only
# memorize (Tiny Shakespeare); three times that cap is well into memorization, whatever the corpus.
TINY_CORPUS_PASSES = 20.0
# After training, a model memorized its corpus when its training loss is below its validation loss by
# this many bits per byte and by this share of the validation loss: both, so that the small figures of
# music event text (well under 1 bit/byte) need a gap as wide in bits as text does. A 5.6 KB screenplay
# trained for minutes reached train 0.75 against validation 3.68 (gap 2.9, 80%). The train figure is
# the smoothed training loss, dropout on, so it errs on the side of a smaller gap. bench/memorization.py
# (size tiny, 60 steps, seeds 0-2): 4.5-8 KB spans gone over 54-103 times opened gaps of 0.52-1.35
# (17-41%), corpora of 300-740 KB seen 0.9-1.6 times at most 0.31 (11%); French text, near 3.2 on
# unseen text, fell under a 25% share in 5 draws of 6, hence 15%.
MEMORIZED_GAP_BPB = 0.5
MEMORIZED_GAP_SHARE = 0.15


def corpus_passes(config: TrainConfig, train_tokens: int, budget: Budget, device: str = "cpu",
                  rates: dict | None = None) -> float:
    """How many times a run of ``config`` under ``budget`` will see each training token (the planner's estimate)."""
    per_step = config.batch_size * config.model.context
    seen = []
    if config.max_steps:
        seen.append(config.max_steps * per_step)
    if budget.steps:
        seen.append(budget.steps * per_step)
    if budget.minutes:
        if rates:
            seen.append(planned_rate(config, rates, device) * budget.minutes * 60)
        else:
            speed = _GPU_TOKENS_PER_S if str(device).startswith("cuda") and not config.max_steps else _CPU_TOKENS_PER_S
            seen.append(speed.get(config.size, speed["tiny"]) * budget.minutes * 60)
    return min(seen) / max(train_tokens, 1)


def memorized(train_bpb: float | None, val_bpb: float | None, density: float | None = None) -> bool:
    """Whether training and validation bits per byte are far enough apart to say the model memorized.

    ``density`` is the training text's bytes per token over the validation's. A model that has
    learned nothing spends about the same bits on every token, so a training text packed into fewer,
    longer tokens (a notebook drawn from a few words, against a held-out poem) reads fewer bits per
    byte from the first step. The gap must also hold token for token: the train figure is taken again
    at the validation's density, ``train_bpb * density``.
    """
    if train_bpb is None or val_bpb is None or not math.isfinite(val_bpb):
        return False
    if density is not None and not memorized(train_bpb * density, val_bpb):
        return False
    gap = val_bpb - train_bpb
    return gap >= MEMORIZED_GAP_BPB and gap >= MEMORIZED_GAP_SHARE * val_bpb


def _largest_size(tokens_for: Callable[[str], float], shapes: dict, vocab: int) -> str:
    """The largest size that sees at least ~1.2 training tokens per parameter.

    Measured on Tiny Shakespeare: a larger network pays off from there (10
    minutes for "small" on 2 CPU cores); below it the smaller one, seeing
    more tokens, wins.
    """
    choice = "tiny"
    for size in SIZES:
        d, n_layer = shapes[size]["d_model"], shapes[size]["n_layer"]
        params = n_layer * (4 * d * d + 3 * d * 3 * d) + 2 * vocab * d
        if tokens_for(size) >= 1.2 * params:
            choice = size
    return choice


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


__all__ = ["PRECISIONS", "SIZES", "Budget", "TrainConfig", "corpus_passes", "memorized", "plan", "planned_rate",
           "probe_shapes", "usable_cores"]
