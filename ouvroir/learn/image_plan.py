"""The image model's training configuration, and the plan that chooses it from the corpus and the budget.

Public API::

    ImageTrainConfig(model: ImageModelConfig, batch_size=64, lr=..., ema_decay=..., ...)
    plan_images(size, n_images, resolution, budget, device="cpu") -> ImageTrainConfig
    patch_for(resolution) -> int

How the plan chooses (``size=None``):

* the patch: 4 pixels on a CPU (16, 64 and 256 patches at 16, 32 and 64 px),
  2 at 16 px on a GPU. A step's cost grows with the patches, and on a CPU
  it is steps that a budget lacks: on the digits at 16 px (``bench/images.py``,
  tiny, 1 thread, load ~6) patches of 2 pixels reached a validation error
  of 0.230 after 300 steps in 169 s, patches of 4 pixels 0.234 after 375
  steps in 49 s and 0.151 after 1,500 steps in 354 s;
* the size: the largest of ``tiny``, ``small`` and ``base`` that still sees
  each training image at least ``MIN_PASSES`` times within the budget, from
  the images per second each size trains at (table below); a step budget
  picks ``tiny`` for fewer than 20,000 images seen, else ``small``;
* the EMA window: a twentieth of the steps planned (decay 1 − 1/window,
  between 0.99 and 0.999): the averaged weights are those the run evaluates,
  saves and samples from. Not more: a busy CPU makes fewer steps than
  planned (on the digits, under a load of 10, a third of them), and a window
  that is then a fifth of the run averages in weights from its early steps.

>>> cfg = plan_images(None, n_images=1_100, resolution=16, budget=Budget(minutes=10))
>>> cfg.size, cfg.model.patch, cfg.model.n_layer
('tiny', 4, 4)
>>> plan_images(None, n_images=200, resolution=16, budget=Budget(minutes=10)).size
'small'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ouvroir.learn.image_model import ImageModelConfig
from ouvroir.learn.sizing import Budget

IMAGE_SIZES = ("tiny", "small", "base")
RESOLUTIONS = (16, 32, 64)
_SHAPES = {
    "tiny": {"n_layer": 4, "d_model": 128, "n_head": 4},
    "small": {"n_layer": 6, "d_model": 192, "n_head": 6},
    "base": {"n_layer": 8, "d_model": 256, "n_head": 8},
}
# Training images per second at 16 patches, batch 64, on the AMD EPYC dev machine: tiny measured (271/s, 1
# thread, load ~6, bench/images.py), the others scaled by their parameters (3.3 and 7.6 times tiny's); a GPU is
# counted 40 times faster. Four times the patches cost about 4.6 times as much (attention grows with them).
_CPU_IMAGES_PER_S = {"tiny": 270.0, "small": 82.0, "base": 36.0}
_GPU_FACTOR = 40.0
# Below this many passes over the corpus a larger model is not chosen: on the digits (1,100 images) tiny's
# validation error was still falling after 87 passes (1,500 steps), so the passes were not what it lacked.
MIN_PASSES = 100


@dataclass
class ImageTrainConfig:
    """Everything that shapes an image run besides the images, the seed and the budget."""

    model: ImageModelConfig
    size: str = "custom"
    batch_size: int = 64
    lr: float = 3e-3  # AdamW, every parameter (the digits' runs in the docstring above)
    weight_decay: float = 0.0  # decoupled, on matrices only
    betas: tuple[float, float] = (0.9, 0.99)
    grad_clip: float = 1.0
    warmup_steps: int = 20
    cooldown_frac: float = 0.3  # linear decay to 0 over the last part of the budget
    ema_decay: float = 0.999
    evals: int = 8  # evaluations (and checkpoints) spread over the budget
    patience: int = 3  # evaluations without improvement before stopping early
    flip: bool = True  # horizontal flips of the training images (a mirror image is as plausible as the image)
    time_schedule: str = "logit-normal"  # flow.SCHEDULES
    val_grid: int = 8  # times at which the validation loss is taken
    val_images: int = 256  # held-out images it is taken on (the first ones)
    log_every_s: float = 2.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ImageTrainConfig:
        d = dict(d)
        d["model"] = ImageModelConfig.from_dict(d["model"])
        if "betas" in d:
            d["betas"] = tuple(d["betas"])
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def patch_for(resolution: int, device: str = "cpu") -> int:
    return 2 if resolution <= 16 and str(device).startswith("cuda") else 4


def images_per_s(size: str, resolution: int, device: str = "cpu") -> float:
    tokens = (resolution // patch_for(resolution, device)) ** 2
    speed = _CPU_IMAGES_PER_S[size] * (16 / tokens) ** 1.1
    return speed * (_GPU_FACTOR if str(device).startswith("cuda") else 1.0)


def plan_images(size: str | None, n_images: int, resolution: int, budget: Budget, device: str = "cpu",
                batch_size: int = 64) -> ImageTrainConfig:  # fmt: skip
    """An ImageTrainConfig for ``n_images`` training images at ``resolution`` under ``budget``."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {RESOLUTIONS}, got {resolution}")
    if size is not None and size not in IMAGE_SIZES:
        raise ValueError(f"size must be one of {IMAGE_SIZES} or None (auto), got {size!r}")
    n_images = max(n_images, 1)

    def images_seen(s: str) -> float:
        if budget.minutes:
            seen = images_per_s(s, resolution, device) * budget.minutes * 60
            return min(seen, budget.steps * batch_size) if budget.steps else seen
        return budget.steps * batch_size

    if size is None:
        if budget.minutes:
            size = next((s for s in reversed(IMAGE_SIZES) if images_seen(s) >= MIN_PASSES * n_images), "tiny")
            size = "small" if size == "base" and not str(device).startswith("cuda") else size
        else:
            size = "tiny" if images_seen("tiny") < 20_000 else "small"
    model = ImageModelConfig(resolution=resolution, patch=patch_for(resolution, device), **_SHAPES[size])
    steps = images_seen(size) / batch_size
    window = max(10.0, 0.05 * steps)
    ema = round(min(0.999, max(0.99, 1 - 1 / window)), 4)
    return ImageTrainConfig(model=model, size=size, batch_size=batch_size, ema_decay=ema)


__all__ = ["IMAGE_SIZES", "MIN_PASSES", "RESOLUTIONS", "ImageTrainConfig", "images_per_s", "patch_for", "plan_images"]
