"""A request without a model id takes the latest model of the medium it implies, or names the candidates."""

from __future__ import annotations

import random
import shutil

import pytest
from music21 import corpus

from ouvroir import Studio
from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import ModelNotFound
from ouvroir.workshop import training

CHORALES = ["bwv26.6", "bwv40.8", "bwv57.8", "bwv66.6", "bwv86.6", "bwv88.7"]
WORDS = "le soir tombe sur la ville et les arbres chantent doucement sous une pluie claire".split()


@pytest.fixture(scope="module")
def two_media(tmp_path_factory):
    """A studio with poems and chorales, a tiny text model and then, newer, a tiny music model."""
    root = tmp_path_factory.mktemp("media")
    rng = random.Random(0)
    (root / "poems").mkdir()
    for i in range(8):
        lines = (" ".join(rng.choice(WORDS) for _ in range(7)) for _ in range(60))
        (root / "poems" / f"poeme_{i}.txt").write_text("\n".join(lines), encoding="utf-8")
    (root / "chorales").mkdir()
    for name in CHORALES:
        shutil.copy(corpus.getWork(f"bach/{name}"), root / "chorales" / f"{name}.mxl")
    studio = Studio.init(root / "studio")
    for folder in ("poems", "chorales"):
        report = studio.add([root / folder], AddOptions(author="Anon", license="public-domain", consent="train"))
        assert report.ok, report.summary()
    text = training.train_model(studio, size="tiny", steps=2, seed=1, medium="text")
    music = training.train_model(studio, size="tiny", steps=2, seed=1, medium="music")
    yield studio, text, music
    studio.close()


def _generated_by(studio, run_cli, *args):
    before = {s.id for s in studio.models.samples()}
    result = run_cli("--studio", str(studio.root), "generate", "--max-tokens", "8", "--seed", "1", *args)
    return result, [s.model_id for s in studio.models.samples() if s.id not in before]


def test_a_text_prompt_after_a_music_run_uses_the_text_model(two_media, run_cli):
    studio, text, music = two_media
    result, used = _generated_by(studio, run_cli, "--prompt", "Le soir")
    assert result.exit_code == 0, result.output
    assert used == [text.id] and ".mid" not in result.output


def test_a_prompt_in_event_text_or_medium_music_uses_the_music_model(two_media, run_cli):
    studio, text, music = two_media
    result, used = _generated_by(studio, run_cli, "--prompt", "B4/4 K0 V0 P0 n60 d12", "--no-audio")
    assert result.exit_code == 0, result.output
    assert used == [music.id] and ".mid" in result.output
    assert studio.models.default_for(medium="music").id == music.id
    assert studio.models.default_for(medium="text", prompt="B4/4 K0").id == text.id  # the medium given wins


def test_no_prompt_with_both_media_stops_and_lists_the_candidates(two_media, run_cli):
    studio, text, music = two_media
    result, used = _generated_by(studio, run_cli)
    assert result.exit_code != 0 and used == []
    assert text.id in result.output and music.id in result.output
    assert "(text, " in result.output and "(music, " in result.output
    audit = run_cli("--studio", str(studio.root), "audit", "--samples", "2")
    assert audit.exit_code != 0 and text.id in audit.output and music.id in audit.output
    with pytest.raises(ModelNotFound, match="several media"):
        studio.models.default_for()
