"""The image audit's instruments on procedural drawings (fixed seeds): planted copies are caught and named,
people's own new pictures are not, the search is a brute-force one, and diversity orders known sets."""

from __future__ import annotations

import numpy as np
import pytest

from ouvroir.audit import image_copies as ic
from ouvroir.audit import image_diversity as idiv
from ouvroir.audit.drawings import as_jpeg, drawing, drawings, noised, resized, shifted
from ouvroir.audit.image_features import feature_vectors, load_extractor
from ouvroir.errors import AuditError

R = 32
TRAIN = drawings(range(400), R)
WORKS = [f"work-{i:03d}" for i in range(len(TRAIN))]
HELD = drawings(range(10_000, 10_120), R)  # the human baseline the threshold is calibrated on
PLANTED = list(range(3, 400, 20))  # 20 training images copied in every disguise

DISGUISES = {
    "jpeg q75": lambda im, i: as_jpeg(im, 75),
    "shifted one pixel": lambda im, i: shifted(im, 1, 0),
    "shifted one pixel down-left": lambda im, i: shifted(im, -1, 1),
    "lightly noised": lambda im, i: noised(im, 8.0, seed=i),
    "saved at 45 px, read at 32": lambda im, i: resized(drawing(i, 45), R),
    "saved at 24 px, read at 32": lambda im, i: resized(resized(im, 24), R),
}


@pytest.fixture(scope="module")
def planted():
    images, sources = [], []
    for name, disguise in DISGUISES.items():
        for i in PLANTED:
            images.append(disguise(TRAIN[i], i))
            sources.append((name, WORKS[i]))
    return np.stack(images), sources


@pytest.fixture(scope="module")
def planted_search(planted):
    return ic.search_copies(planted[0], TRAIN, HELD)


def test_every_planted_copy_is_flagged_and_named(planted, planted_search):
    _, sources = planted
    named = ic.attribute(planted_search, WORKS)
    missed = [(how, work, got) for (how, work), got in zip(sources, named) if got != work]
    assert not missed, missed
    assert planted_search.flagged.all()


def test_new_pictures_of_the_same_family_are_not_flagged(planted_search):
    fresh = drawings(range(20_000, 20_400), R)
    search = ic.search_copies(fresh, TRAIN, HELD)
    assert not search.flagged.any(), np.flatnonzero(search.flagged)
    # the same threshold as the planted copies' audit: it comes from HELD alone
    assert search.threshold == planted_search.threshold
    assert not search.test.copying and abs(search.test.c_t) < 3


def test_the_three_sample_test_says_copying_for_copies_only(planted_search):
    assert planted_search.test.copying and planted_search.test.c_t < -3
    assert planted_search.test.p_value < 1e-6
    # with enough held-out images the test runs per k-means cell and averages them by held-out share
    many = drawings(range(30_000, 30_200), R)
    search = ic.search_copies(drawings(range(40_000, 40_200), R), TRAIN, many)
    assert len(search.test.cells) >= 2
    assert abs(sum(c["weight"] for c in search.test.cells) - 1) < 0.2


def test_without_held_out_images_each_training_image_is_compared_with_the_others(planted):
    search = ic.search_copies(planted[0][:20], TRAIN)
    assert search.threshold.baseline_images == len(TRAIN)
    assert search.flagged.all()


def _brute_force(queries: np.ndarray, base: np.ndarray, k: int, exclude=None):
    index, distance = [], []
    for i, q in enumerate(queries.astype(np.float64)):
        d = [float(np.sum((b.astype(np.float64) - q) ** 2)) for b in base]
        if exclude is not None and exclude[i] >= 0:
            d[exclude[i]] = np.inf
        order = sorted(range(len(base)), key=lambda j: (d[j], j))[:k]  # a scan keeps the first of equals
        index.append(order)
        distance.append([np.sqrt(d[j]) for j in order])
    return np.array(index), np.array(distance)


def test_the_copy_search_equals_a_brute_force_search(monkeypatch):
    rng = np.random.default_rng(7)
    base = ic.unit_vectors(np.concatenate([TRAIN[:150], TRAIN[:10]]))  # exact duplicates: ties the scan breaks by index
    queries = ic.unit_vectors(np.concatenate([drawings(range(500, 540), R), TRAIN[5:15], noised(TRAIN[20], 3.0)[None]]))
    monkeypatch.setattr(ic, "CHUNK_BYTES", 4 * len(base) * 7)  # blocks of 7 queries: the blocking changes nothing
    for k in (1, 3):
        found = ic.nearest(queries, base, k)
        index, distance = _brute_force(queries, base, k)
        assert (found.index == index).all()
        np.testing.assert_allclose(found.distance, distance, rtol=0, atol=1e-9)
    exclude = rng.integers(-1, len(base), len(queries))
    found = ic.nearest(queries, base, 2, exclude)
    index, distance = _brute_force(queries, base, 2, exclude)
    assert (found.index == index).all()


def test_the_hash_search_equals_a_brute_force_search():
    hashes = ic.phashes(np.concatenate([TRAIN[:120], drawings(range(700, 760), R)]))
    base, queries = hashes[:120], hashes[120:]
    found = ic.nearest_hamming(queries, base, 2)
    for i, q in enumerate(queries):
        bits = [bin(int(q) ^ int(b)).count("1") for b in base]
        order = sorted(range(len(base)), key=lambda j: (bits[j], j))[:2]
        assert list(found.index[i]) == order and list(found.distance[i]) == [bits[j] for j in order]


def test_phash_is_the_dct_hash():
    from scipy.fft import dctn

    images = TRAIN[:8]
    from PIL import Image

    grey = [np.asarray(Image.fromarray(im).convert("L"), np.float64) for im in images]
    for image, h in zip(grey, ic.phashes(images)):
        low = dctn(image, norm="ortho")[:8, :8].ravel()
        bits = "".join("1" if v > np.median(low) else "0" for v in low)
        assert int(bits, 2) == int(h)
    assert ic.nearest_hamming(ic.phashes(resized(TRAIN[0], 64)[None]), ic.phashes(TRAIN[:1])).distance[0, 0] <= 4


def test_phash_is_the_media_modules_at_every_model_resolution():
    from ouvroir.media.images.phash import phash

    for size in (16, 32, 64):
        images = drawings(range(50), size)
        assert [phash(im) for im in images] == [int(h) for h in ic.phashes(images)]


# --- diversity ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def known_sets():
    few = [drawing(s, R) for s in (900, 901, 902, 903)]
    jittered = np.stack([noised(shifted(few[i % 4], (i // 4) % 2, 0), 6.0, seed=i) for i in range(48)])
    return {"identical": np.stack([drawing(950, R)] * 48), "jittered copies of a few": jittered,
            "distinct": drawings(range(960, 1008), R)}


@pytest.mark.parametrize("space", ["pixels", "features"])
def test_diversity_orders_identical_then_jittered_few_then_distinct(known_sets, space):
    vectors = ic.unit_vectors if space == "pixels" else feature_vectors
    threshold = idiv.near_identical(vectors(HELD), vectors(TRAIN))
    reference = vectors(drawings(range(11_000, 11_048), R))
    values = {name: idiv.profile(vectors(images), reference, threshold) for name, images in known_sets.items()}
    for measure in idiv.MEASURES:
        order = [values[name][measure] for name in ("identical", "jittered copies of a few", "distinct")]
        assert order[0] < order[1] < order[2], (space, measure, order)


def test_the_comparison_gives_ratios_and_intervals(known_sets):
    reference = ic.unit_vectors(drawings(range(11_000, 11_048), R))
    corpus = ic.unit_vectors(drawings(range(12_000, 12_048), R))
    same = idiv.compare(ic.unit_vectors(known_sets["distinct"]), corpus, reference, 0.25)
    flat = idiv.compare(ic.unit_vectors(known_sets["jittered copies of a few"]), corpus, reference, 0.25)
    for s, f in zip(same["measures"], flat["measures"]):
        assert f["ratio"] < s["ratio"]
        assert f["ratio_interval"][1] < 1, f  # far less diverse than the works, and the interval says so
        assert s["ratio_interval"][0] <= s["ratio"] <= s["ratio_interval"][1]
    assert same["measures"][0]["ratio_interval"][0] <= 1 <= same["measures"][0]["ratio_interval"][1]


def test_memorization_clusters_group_near_identical_generations(known_sets):
    few = [drawing(s, R) for s in (900, 901, 902, 903)]
    generations = np.stack([noised(few[i % 4], 6.0, seed=i) for i in range(48)])
    groups = idiv.clusters(ic.unit_vectors(generations), 0.25)
    assert sorted(sorted(g) for g in groups) == [list(range(i, 48, 4)) for i in range(4)]
    assert idiv.clusters(ic.unit_vectors(known_sets["distinct"]), 0.25) == []


# --- a person's own feature extractor -------------------------------------------------------------


def test_a_local_torchscript_extractor_is_used(tmp_path):
    import torch

    class MeanColour(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.mean(dim=(2, 3)) - 0.5

    path = tmp_path / "extractor.pt"
    torch.jit.script(MeanColour()).save(str(path))
    extractor = load_extractor(path)
    v = feature_vectors(TRAIN[:5], extractor)
    expected = TRAIN[:5].astype(np.float64).mean(axis=(1, 2)) / 255 - 0.5
    np.testing.assert_allclose(v, expected / np.linalg.norm(expected, axis=1, keepdims=True), atol=1e-5)


def test_a_bad_extractor_file_is_refused_in_one_line(tmp_path):
    import torch

    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a model")
    with pytest.raises(AuditError, match="junk.pt: not a TorchScript"):
        load_extractor(junk)

    class Flat(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.flatten()

    flat = tmp_path / "flat.pt"
    torch.jit.script(Flat()).save(str(flat))
    with pytest.raises(AuditError, match=r"flat.pt: the feature extractor gave \(1536,\) for 2 images"):
        load_extractor(flat)
