"""An image model in the studio: train → generate → verify on a handful of drawings, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ouvroir.corpus.ingest import AddOptions


def drawing(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    arr = np.full((24, 24, 3), 255, np.uint8)
    top, left = rng.integers(0, 14, 2)
    arr[top : top + 10, left : left + 10] = rng.integers(0, 200, 3)
    return arr


@pytest.fixture
def image_model(studio, tmp_path, run_cli):
    paths = []
    for i in range(8):
        paths.append(tmp_path / f"d{i}.png")
        Image.fromarray(drawing(i)).save(paths[-1])
    studio.add(paths, AddOptions(consent="train", author="Ada"))
    result = run_cli("train", "--medium", "image", "--resolution", "16", "--steps", "6", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "Image model" in result.stdout and "16 px" in result.stdout
    (model,) = studio.models.all()
    assert model.status == "ready" and model.config["medium"] == "image" and model.config["resolution"] == 16
    return model


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def generated(studio, run_cli, model, *args) -> list[Path]:
    before = {s.id for s in studio.models.samples(model.id)}
    result = run_cli("generate", model.id, *args)
    assert result.exit_code == 0, result.output
    assert "contact sheet" in result.stdout
    new = sorted((s for s in studio.models.samples(model.id) if s.id not in before), key=lambda s: s.params["index"])
    return [studio.root / s.path for s in new]


def test_train_generate_verify_round_trip(studio, image_model, run_cli):
    first = generated(studio, run_cli, image_model, "-n", "3", "--seed", "5", "--steps", "2")
    again = generated(studio, run_cli, image_model, "-n", "3", "--seed", "5", "--steps", "2")
    other = generated(studio, run_cli, image_model, "-n", "3", "--seed", "6", "--steps", "2")
    assert len(first) == 3 and all(p.suffix == ".png" and pixels(p).shape == (16, 16, 3) for p in first)
    # same seed, same pixels (the files differ only by their manifests: sample ids and times)
    assert all(np.array_equal(pixels(a), pixels(b)) for a, b in zip(first, again))
    assert not all(np.array_equal(pixels(a), pixels(b)) for a, b in zip(first, other))
    sheet = first[0].with_suffix(".sheet.png")
    assert sheet.exists() and pixels(sheet).shape[0] >= 64
    for path in first + [sheet]:
        result = run_cli("verify", path, "--json")
        assert result.exit_code == 0, result.output
        checks = {c["name"]: c["ok"] for c in json.loads(result.stdout)[0]["checks"]}
        assert checks.get("c2pa") is True and checks.get("signature") is True, checks
    arrays, ids = studio.models.sample_images(image_model.id)
    assert arrays.shape == (9, 16, 16, 3) and len(set(ids)) == 9
    assert np.array_equal(arrays[0], pixels(first[0]))
    assert run_cli("check").exit_code == 0


def test_a_changed_pixel_or_manifest_byte_fails_verify_and_is_named(studio, image_model, run_cli):
    (path,) = generated(studio, run_cli, image_model, "-n", "1", "--seed", "2", "--steps", "1")
    original = path.read_bytes()
    for chunk, what in ((b"IDAT", "content"), (b"caBX", "c2pa")):
        data = bytearray(original)
        data[data.index(chunk) + 12] ^= 0x01
        path.write_bytes(bytes(data))
        result = run_cli("verify", path, "--json")
        assert result.exit_code != 0, chunk
        failed = [c["name"] for c in json.loads(result.stdout)[0]["checks"] if c["ok"] is False]
        assert what in failed, (chunk, failed)
    path.write_bytes(original)
    assert run_cli("verify", path).exit_code == 0


def test_withdrawn_consent_follows_the_image_model_and_retrain_leaves_the_image_out(studio, image_model, run_cli):
    work = studio.works()[0]
    studio.set_consent([work.id], "no-train", "the painter changed her mind")
    result = run_cli("generate", image_model.id, "-n", "1")
    assert result.exit_code != 0 and "withdrawn" in result.output
    assert image_model.id in run_cli("models").stdout
    result = run_cli("retrain", image_model.id)  # the same plan and resolution, on the images still consenting
    assert result.exit_code == 0, result.output
    new = next(m for m in studio.models.all() if m.id != image_model.id)
    assert new.config["retrained_from"] == image_model.id and new.config["left_out"] == [work.id]
    assert new.config["resolution"] == 16 and new.config["fit"]["train_images"] + new.config["fit"]["val_images"] == 7


def test_the_image_model_has_its_card(studio, image_model, run_cli):
    result = run_cli("card", image_model.id, "--lang", "en")
    assert result.exit_code == 0, result.output
    text = "".join(p.read_text() for p in studio.layout.model(image_model.id).glob("*.md"))
    assert "small image model" in text and "16 × 16-pixel images" in text and "squared error" in text
    assert "bits per byte" not in text.split("## ")[1]  # the glance speaks of the image model's own figure


def test_models_lists_an_image_models_held_out_loss(studio, image_model, run_cli):
    """An image model has no bytes to count: `models` gives its flow loss on held-out images (it showed —)."""
    result = run_cli("models")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if image_model.id in line)
    loss = image_model.config["fit"]["val_loss"]
    assert f"{loss:.3f}" in row and "flow loss" in row, row
