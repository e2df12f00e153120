"""Training configuration: one size dial, or a choice from corpus size and time budget.

Public API::

    Budget(minutes: float | None = None, steps: int | None = None)
    TrainConfig(model: ModelConfig, batch_size=..., lrs..., dropout...)
    plan(size: "tiny" | "small" | "base" | None, train_tokens: int, budget: Budget,
         device: str = "cpu", vocab_size: int = 768) -> TrainConfig

Why a planner: on a laptop CPU the best model for 30 seconds is not the best
for 10 minutes (a bigger network learns more per token but sees fewer
tokens), and on a 1 MB corpus a big model only memorizes. ``plan(None, ...)``
picks the size from the compute the budget allows (measured tokens/s per
size on 2 cores) and from the corpus size, and scales dropout with how many
times the model will see each training token.

>>> cfg = plan(None, train_tokens=450_000, budget=Budget(minutes=1), vocab_size=768)
>>> cfg.size, cfg.model.n_layer
('tiny', 4)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ouvroir.model import ModelConfig

SIZES = ("tiny", "small", "base")


@dataclass
class Budget:
    """When to stop: after ``minutes`` of training time, after ``steps``, or whichever comes first.

    Evaluation time is not counted. The learning-rate schedule is driven by
    the fraction of the budget used, so it decays to zero exactly at the end.
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
    warmup_steps: int = 5
    cooldown_frac: float = 0.6  # linear decay to 0 over the last part of the budget
    evals: int = 8  # evaluations (and checkpoints) spread over the budget
    eval_every_steps: int | None = None  # overrides ``evals`` when set
    patience: int = 3  # evaluations without improvement before stopping early
    log_every_s: float = 2.0
    compile: bool = False  # torch.compile (only used on CUDA)

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
    "tiny": dict(n_layer=4, d_model=128, n_head=4, context=256),
    "small": dict(n_layer=4, d_model=192, n_head=6, context=256),
    "base": dict(n_layer=6, d_model=256, n_head=8, context=256),
}
_GPU_SHAPES = {
    "tiny": dict(n_layer=6, d_model=256, n_head=4, context=256),
    "small": dict(n_layer=6, d_model=384, n_head=6, context=256),
    "base": dict(n_layer=8, d_model=512, n_head=8, context=256),
}
# Training tokens per second of each size: 2 quiet Zen 3 cores / one H100 (bench/train_quality.py).
_CPU_TOKENS_PER_S = {"tiny": 8_500, "small": 4_200, "base": 1_700}
_GPU_TOKENS_PER_S = {"tiny": 800_000, "small": 600_000, "base": 400_000}


def plan(
    size: str | None,
    train_tokens: int,
    budget: Budget,
    device: str = "cpu",
    vocab_size: int = 768,
) -> TrainConfig:
    """A TrainConfig for this corpus and budget; ``size=None`` chooses the size."""
    if size is not None and size not in SIZES:
        raise ValueError(f"size must be one of {SIZES} or None (auto), got {size!r}")
    cuda = str(device).startswith("cuda")
    speed = _GPU_TOKENS_PER_S if cuda else _CPU_TOKENS_PER_S
    batch = 64 if cuda else 16
    if size is None:
        size = _auto_size(train_tokens, budget, speed, batch)
    shape = (_GPU_SHAPES if cuda else _CPU_SHAPES)[size]
    seconds = budget.minutes * 60 if budget.minutes else None
    tokens_seen = speed[size] * seconds if seconds else budget.steps * batch * shape["context"]
    epochs = tokens_seen / max(train_tokens, 1)
    # Past ~2 passes over a small corpus the model starts to memorize it:
    # regularize in proportion (dropout and weight decay).
    dropout = 0.0 if epochs < 2 else min(0.2, 0.05 * (epochs - 1))
    model = ModelConfig(vocab_size=vocab_size, dropout=round(dropout, 3), **shape)
    # torch.compile pays for itself only when its ~30 s of compiling is a small part of the run.
    compile_ = cuda and (seconds is None or seconds >= 300)
    return TrainConfig(model=model, size=size, batch_size=batch, compile=compile_,
                       weight_decay=0.0 if epochs < 2 else 0.1)


def _auto_size(train_tokens: int, budget: Budget, speed: dict[str, float], batch: int) -> str:
    if budget.minutes is None:
        return "tiny" if train_tokens < 2_000_000 else "small"
    seconds = budget.minutes * 60
    choice = "tiny"
    for size in SIZES:
        # A larger size is worth it when the budget still covers ~2 passes over
        # the corpus and enough steps (~500) for its larger network to pay off.
        if speed[size] * seconds >= max(2 * train_tokens, 500 * batch * 256):
            choice = size
    return choice


__all__ = ["Budget", "TrainConfig", "plan", "SIZES"]
