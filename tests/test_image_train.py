"""Training the image model: the loss goes down, checkpoints are whole, a resumed run equals an uninterrupted one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ouvroir.errors import TrainingError
from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn.image_model import ImageModelConfig
from ouvroir.learn.image_plan import ImageTrainConfig
from ouvroir.learn.image_train import load_image_model, train_images
from ouvroir.learn.sizing import Budget


def shapes(n: int, seed: int) -> np.ndarray:
    """Dark squares and bars on white at random places: a tiny corpus with structure to learn."""
    rng = np.random.default_rng(seed)
    images = np.full((n, 8, 8, 3), 255, np.uint8)
    for img in images:
        r, c = rng.integers(0, 5, 2)
        img[r : r + 3, c : c + 3] = rng.integers(0, 80, 3)
    return images


def config(**changes) -> ImageTrainConfig:
    model = ImageModelConfig(resolution=8, patch=2, n_layer=2, d_model=32, n_head=2)
    return ImageTrainConfig(**{"model": model, "batch_size": 16, "lr": 3e-3, "ema_decay": 0.9, "evals": 4,
                               "patience": 10, "warmup_steps": 5, "log_every_s": 0.0} | changes)


def test_validation_loss_decreases_on_a_tiny_set(tmp_path):
    evals = []
    result = train_images(shapes(64, 0), shapes(16, 1), config(), tmp_path, Budget(steps=60), seed=0, device="cpu",
                          on_progress=lambda p: evals.append(p.val_loss) if p.event == "eval" else None)
    assert len(evals) == 4 and evals[-1] < 0.7 * evals[0]
    assert result.best_val_loss == min(evals) and result.steps == 60
    _, meta = ckpt.load_weights(tmp_path / ckpt.WEIGHTS)
    assert int(meta["step"]) == result.best_step
    model = load_image_model(tmp_path)
    assert model.config.resolution == 8 and not model.training


def test_resume_equals_uninterrupted(tmp_path):
    train, val = shapes(32, 0), shapes(8, 1)
    whole = train_images(train, val, config(), tmp_path / "a", Budget(steps=24), seed=3, device="cpu")

    def stop_at_second_eval(p):
        if p.event == "eval" and p.step >= 12:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_images(train, val, config(), tmp_path / "b", Budget(steps=24), seed=3, device="cpu",
                     on_progress=stop_at_second_eval)
    resumed = train_images(train, val, config(), tmp_path / "b", Budget(steps=24), seed=3, device="cpu", resume=True)
    assert resumed.steps == whole.steps == 24 and resumed.best_val_loss == whole.best_val_loss
    a = (tmp_path / "a" / ckpt.WEIGHTS).read_bytes()
    assert a == (tmp_path / "b" / ckpt.WEIGHTS).read_bytes()
    sa, sb = (torch.load(p / ckpt.STATE, weights_only=True)["model"] for p in (tmp_path / "a", tmp_path / "b"))
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_resume_refuses_another_configuration(tmp_path):
    train_images(shapes(16, 0), shapes(4, 1), config(), tmp_path, Budget(steps=4), device="cpu")
    with pytest.raises(TrainingError, match="another configuration"):
        train_images(shapes(16, 0), shapes(4, 1), config(lr=1e-4), tmp_path, Budget(steps=8), device="cpu", resume=True)


def test_early_stop_when_validation_turns(tmp_path):
    # a learning rate of zero: the weights never move, so no evaluation improves on the first
    result = train_images(shapes(16, 0), shapes(4, 1), config(lr=0.0, patience=2, evals=8), tmp_path,
                          Budget(steps=16), device="cpu")  # fmt: skip
    assert result.stopped == "early_stop" and result.steps < 16


def test_bad_images_are_named(tmp_path):
    with pytest.raises(TrainingError, match="training images must be uint8"):
        train_images(shapes(4, 0).astype(np.float32), shapes(2, 1), config(), tmp_path, Budget(steps=1), device="cpu")
    with pytest.raises(TrainingError, match="no validation images"):
        train_images(shapes(4, 0), shapes(0, 1), config(), tmp_path, Budget(steps=1), device="cpu")
