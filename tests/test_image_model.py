"""The image engine's pieces: the DiT's shapes and start, the flow's loss and its seeded sampler."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ouvroir.learn.flow import flow_loss, sample, to_uint8, to_unit, validation_loss
from ouvroir.learn.image_model import DiT, ImageModelConfig
from ouvroir.learn.image_plan import plan_images
from ouvroir.learn.sizing import Budget


def tiny(resolution: int = 8) -> DiT:
    torch.manual_seed(0)
    return DiT(ImageModelConfig(resolution=resolution, patch=2, n_layer=2, d_model=32, n_head=2))


def test_patches_round_trip_and_blocks_start_as_identity():
    model = tiny()
    x = torch.randn(3, 3, 8, 8)
    assert torch.equal(model.unpatchify(model.patchify(x)), x)
    # adaLN-zero: gates and output start at zero, so the untrained velocity is exactly zero
    assert torch.count_nonzero(model(x, torch.rand(3))) == 0


def test_time_changes_the_prediction_after_a_few_steps():
    model = tiny()
    opt = torch.optim.AdamW(model.parameters(), 1e-2)
    g = torch.Generator().manual_seed(0)
    for _ in range(3):  # the zero output layer moves first; the time modulations only behind it
        flow_loss(model, torch.rand(4, 3, 8, 8) * 2 - 1, g).backward()
        opt.step()
        opt.zero_grad()
    x = torch.randn(1, 3, 8, 8)
    assert not torch.allclose(model(x, torch.tensor([0.1])), model(x, torch.tensor([0.9])))


def test_wrong_shape_is_named():
    with pytest.raises(ValueError, match="shape"):
        tiny()(torch.zeros(1, 3, 16, 16), torch.zeros(1))
    with pytest.raises(ValueError, match="multiple"):
        ImageModelConfig(resolution=10, patch=4)


def test_unit_range_round_trips():
    images = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    assert np.array_equal(to_uint8(to_unit(images)), images)


def test_validation_loss_is_fixed_for_fixed_weights():
    model = tiny()
    x = to_unit(np.random.default_rng(1).integers(0, 256, (5, 8, 8, 3), dtype=np.uint8))
    assert validation_loss(model, x, grid=4) == validation_loss(model, x, grid=4)


def test_same_seed_same_images_other_seed_other_images():
    model = tiny().eval()
    torch.nn.init.normal_(model.out.weight, std=0.05)  # a model that moves the noise
    a, b = sample(model, 3, seed=7, steps=3), sample(model, 3, seed=7, steps=3)
    assert a.dtype == np.uint8 and a.shape == (3, 8, 8, 3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, sample(model, 3, seed=8, steps=3))
    assert not np.array_equal(sample(model, 3, seed=7, steps=3, method="euler"), a)


def test_plan_follows_resolution_and_budget():
    assert plan_images(None, 100, 16, Budget(steps=50)).model.patch == 4  # on a CPU steps are what a budget lacks
    assert plan_images(None, 100, 16, Budget(steps=50), device="cuda").model.patch == 2
    assert plan_images(None, 100, 64, Budget(steps=50)).model.patch == 4
    short = plan_images(None, 5_000, 32, Budget(minutes=1))
    long = plan_images(None, 200, 32, Budget(minutes=30))
    assert short.size == "tiny" and long.size != "tiny"
    with pytest.raises(ValueError, match="resolution"):
        plan_images(None, 100, 24, Budget(steps=5))
