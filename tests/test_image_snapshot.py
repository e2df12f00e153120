"""Image snapshots: the arrays training reads hold the consenting images only, checked by hash (the consent canary)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ouvroir.corpus.image_snapshot import ImageIntegrityError, image_arrays
from ouvroir.corpus.ingest import AddOptions
from ouvroir.corpus.snapshot import SPLIT_IMAGES_BOTH, load_snapshot, snapshot_texts, take_snapshot
from ouvroir.errors import TrainingError
from ouvroir.media.images.read import load_normalized, to_square


def drawing(seed: int, size=(40, 56)) -> np.ndarray:
    """A picture no other seed draws: a few coloured rectangles on a random background."""
    rng = np.random.default_rng(seed)
    h, w = size
    arr = np.full((h, w, 3), rng.integers(0, 256, 3), np.uint8)
    for _ in range(4):
        top, left = rng.integers(0, h - 8), rng.integers(0, w - 8)
        arr[top : top + rng.integers(4, 12), left : left + rng.integers(4, 12)] = rng.integers(0, 256, 3)
    return arr


def save(folder: Path, name: str, arr: np.ndarray, **params) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    Image.fromarray(arr).save(path, **params)
    return path


def test_image_arrays_hold_consenting_images_only_and_refuse_a_tampered_blob(studio, tmp_path):
    sizes = [(24 + (37 * i) % 150, 24 + (53 * i) % 170) for i in range(8)]  # sizes and shapes far apart
    trained = [save(tmp_path / "yes", f"d{i}.png", drawing(i, sizes[i])) for i in range(8)]
    refused = save(tmp_path / "no", "refused.png", drawing(100))
    studio.add(trained, AddOptions(consent="train", author="Ada"))
    (outcome,) = studio.add([refused], AddOptions(consent="no-train", author="Ada")).outcomes
    assert outcome.status == "added", outcome.message
    refused_work = outcome.work

    snapshot = take_snapshot(studio, medium="image")
    assert len(snapshot.works) == 8 and refused_work.id not in {w.work_id for w in snapshot.works}
    images = image_arrays(studio, snapshot, 16)
    assert images.train.dtype == np.uint8 and images.train.shape[1:] == (16, 16, 3)
    assert len(images.train) + len(images.val) == 8 and len(images.val) >= 1  # held out by whole images
    assert set(images.train_works).isdisjoint(images.val_works)
    # the canary: the refused image's normalized hash is nowhere, and neither are its pixels
    assert refused_work.text_sha256 not in images.work_hashes.values()
    refused_square = to_square(load_normalized(studio.blobs.get(refused_work.text_sha256)), 16)
    for row in np.concatenate([images.train, images.val]):
        assert not np.array_equal(row, refused_square)
    # every array row is the square of the blob its work froze
    for work_id, row in zip(images.train_works, images.train, strict=True):
        blob = studio.blobs.get(images.work_hashes[work_id])
        assert hashlib.sha256(blob).hexdigest() == images.work_hashes[work_id]
        assert np.array_equal(row, to_square(load_normalized(blob), 16))

    cached = image_arrays(studio, snapshot, 16)  # from snapshots/<id>/images-16.npz
    assert (snapshot.path / "images-16.npz").is_file() and np.array_equal(cached.train, images.train)

    # a manifest edited to add the refused image is refused, though its blob is intact
    manifest_path = snapshot.path / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    intruder = dict(manifest["works"][0], work_id=refused_work.id, text_sha256=refused_work.text_sha256,
                    consent_event_id=refused_work.consent_event_id)  # fmt: skip
    original = manifest_path.read_bytes()
    manifest_path.chmod(0o644)
    manifest_path.write_text(json.dumps(dict(manifest, works=[*manifest["works"], intruder])), "utf-8")
    with pytest.raises(ImageIntegrityError, match=f"differs from the studio's record of it \\(works {refused_work.id}"):
        image_arrays(studio, load_snapshot(studio, snapshot.id), 16)
    manifest_path.write_bytes(original)

    # a blob changed on disk is refused, even with the arrays cached
    victim = snapshot.works[0]
    path = studio.blobs.path(victim.text_sha256)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[-20] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ImageIntegrityError, match=f"{victim.work_id}.*no longer matches"):
        image_arrays(studio, snapshot, 16)  # the cached arrays
    with pytest.raises(ImageIntegrityError, match=f"{victim.work_id}.*no longer matches"):
        image_arrays(studio, snapshot, 32)  # made from the blobs
    path.unlink()
    with pytest.raises(ImageIntegrityError, match=f"{victim.work_id}.*is missing from the studio"):
        image_arrays(studio, snapshot, 16)


def test_image_snapshots_never_reach_tokenization_and_texts_stay_apart(studio, tmp_path):
    studio.add([save(tmp_path, "only.png", drawing(1))], AddOptions(consent="train"))
    (tmp_path / "poem.txt").write_text("Les sanglots longs\ndes violons\nde l'automne\n" * 20)
    studio.add([tmp_path / "poem.txt"], AddOptions(consent="train"))
    image_snapshot = take_snapshot(studio, medium="image")
    assert image_snapshot.split_rule == SPLIT_IMAGES_BOTH  # one image: trained on and validated on, said
    images = image_arrays(studio, image_snapshot, 8)
    assert images.train_works == images.val_works == [image_snapshot.works[0].work_id]
    with pytest.raises(TrainingError, match="holds images"):
        snapshot_texts(studio, image_snapshot)
    # the model card's datasheet counts the one image as trained on and validated on (it decoded the PNG as text)
    from ouvroir.provenance import card

    frozen = card._snapshot(studio, image_snapshot, card._works(studio, image_snapshot, set()))
    assert frozen["train_chars"] == frozen["val_chars"] == 40 * 56 and frozen["medium"] == "image"
    text_snapshot = take_snapshot(studio, medium="text")
    assert [w.title for w in text_snapshot.works] == ["Poem"]
    assert "violons" in snapshot_texts(studio, text_snapshot)[0][0]
    with pytest.raises(TrainingError, match="not images"):
        image_arrays(studio, text_snapshot, 16)
