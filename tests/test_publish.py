"""What a person reads about a trained model: losses in one unit, a tiny corpus named as such, an export to publish."""

from __future__ import annotations

import json
import math
import random

import pytest
import yaml

from ouvroir import Studio
from ouvroir.corpus.ingest import AddOptions
from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn.sizing import TINY_CORPUS_PASSES, Budget, corpus_passes, memorized, plan
from ouvroir.provenance.card import build_card, render_markdown
from ouvroir.store import models as model_store

from .conftest import CliRun

WORDS = ["lanterne", "verger", "écluse", "faïence", "houblon", "tilleul", "grève", "ardoise", "le", "la", "sous", "et"]


def poem(seed: int) -> str:
    rng = random.Random(seed)
    return "\n\n".join("\n".join(" ".join(rng.choice(WORDS) for _ in range(6)) for _ in range(4)) for _ in range(9))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny corpus (about 20 KB, in French) trained from the command line for 14 steps: more more passes than it bears."""
    root = tmp_path_factory.mktemp("publish")
    (root / "corpus").mkdir()
    for i in range(12):
        (root / "corpus" / f"poeme_{i}.txt").write_text(poem(i), "utf-8")
    studio = Studio.init(root / "studio")
    assert studio.add([root / "corpus"], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    studio.conn.execute("UPDATE works SET metadata = json_set(COALESCE(metadata, '{}'), '$.language', 'French')")
    studio.conn.commit()
    studio.close()
    result = CliRun()("--studio", root / "studio", "train", "--size", "tiny", "--steps", "14", "--seed", "1")
    assert result.exit_code == 0, result.output
    studio = Studio.open(root / "studio")
    record = model_store.resolve_model(studio.conn, None)
    yield root, studio, record, result
    studio.close()


# -- 8. plots in one unit --------------------------------------------------------------------------------


def test_the_loss_plot_draws_train_and_validation_in_bits_per_byte(trained):
    _, studio, record, _ = trained
    folder = studio.layout.model(record.id)
    meta = json.loads((studio.layout.snapshot(record.snapshot_id) / "tokens.json").read_text())
    bytes_per_token = meta["train_bytes"] / meta["train_tokens"]
    train_pts, val_pts, unit = ckpt.curve_points(ckpt.read_jsonl(folder / ckpt.METRICS), bytes_per_token)
    first_log = next(r for r in ckpt.read_jsonl(folder / ckpt.METRICS) if r["event"] == "log")
    assert unit == "bits/byte" and train_pts[0][1] == pytest.approx(first_log["train_loss"] / math.log(2) / bytes_per_token)
    fig = ckpt.plot_curves(folder, bytes_per_token)
    (ax,) = fig.axes  # one axis: both curves in the same unit
    assert ax.get_ylabel() == "loss (bits per byte)"
    assert sorted(line.get_label() for line in ax.get_lines()) == ["train (bits/byte)", "validation (bits/byte)"]
    # Without the training bytes the train loss is in bits per token: on an axis of its own, labelled so.
    fig = ckpt.plot_curves(folder)
    assert sorted(a.get_ylabel() for a in fig.axes) == ["loss (bits per byte)", "train loss (bits per token)"]


def test_train_progress_shows_the_train_loss_in_bits_per_byte(trained):
    _, studio, record, result = trained
    lines = [line for line in result.stderr.splitlines() if line.startswith("step ")]
    assert lines and all(" bits/byte" in line and "loss" not in line and "nats" not in line for line in lines)
    fit = record.config["fit"]
    figures = [float(line.split("train ")[1].split()[0]) for line in lines]
    assert figures[-1] == pytest.approx(fit["train_bpb"], abs=6e-4)  # the last evaluation is the figure kept


# -- 9. a tiny corpus named as such -----------------------------------------------------------------------


def test_the_planner_counts_the_passes_a_budget_implies():
    screenplay = plan(None, 2_500, Budget(minutes=3), vocab_size=300)  # a 5.6 KB screenplay, 3 minutes on CPU
    assert corpus_passes(screenplay, 2_500, Budget(minutes=3)) > 10 * TINY_CORPUS_PASSES
    shakespeare = plan(None, 450_000, Budget(minutes=10))  # 1 MB: about 7 passes, which the planner regularizes
    assert 5 < corpus_passes(shakespeare, 450_000, Budget(minutes=10)) < TINY_CORPUS_PASSES
    assert corpus_passes(plan("tiny", 10_000, Budget(steps=40)), 10_000, Budget(steps=40)) == pytest.approx(40 * 16 * 256 / 10_000)


def test_train_says_before_training_that_the_corpus_is_tiny(trained):
    _, _, record, result = trained
    warning = next(line for line in result.stderr.splitlines() if "corpus is tiny" in line)
    fit = record.config["fit"]
    assert f"{fit['train_bytes'] / 1000:,.1f} KB" in warning and f"about {fit['passes']:,.0f} times" in warning
    assert fit["passes"] > TINY_CORPUS_PASSES


@pytest.mark.parametrize(("train", "val", "expected"), [
    (0.75, 3.68, True),  # the 5.6 KB screenplay, memorized
    (2.30, 3.10, True),
    (1.93, 2.05, False),  # Tiny Shakespeare, regularized
    (0.40, 0.75, False),  # music event text: small figures, a small gap
    (None, 3.0, False),
])  # fmt: skip
def test_memorized_needs_a_wide_gap_between_train_and_validation(train, val, expected):
    assert memorized(train, val) is expected


def test_the_card_says_the_model_memorized_with_its_figures(trained):
    _, studio, record, _ = trained
    assert record.config["fit"]["val_bpb"] == pytest.approx(record.val_bpb)
    card = build_card(studio, record.id, "en")
    assert "memorized" not in render_markdown(card, "en")  # 14 steps learned little: nothing to say
    fit = {"train_bpb": 0.75, "val_bpb": 3.68, "passes": 712.4, "train_bytes": 5_600, "memorized": True}
    card["model"]["fit"] = fit
    english, french = render_markdown(card, "en"), render_markdown(card, "fr")
    assert "**It memorized its corpus**: 0.75 bits per byte on its training text against 3.68" in english
    assert "(5.6 KB)" in english and "about 712 times" in english
    assert "par cœur** : 0,75 bits par octet" in french.replace("\u202f", " ").replace("\xa0", " ")


# -- 11. an export ready to publish ------------------------------------------------------------------------


def test_the_hf_export_carries_the_card_as_readme_and_the_datasheet_all_signed(trained, run_cli):
    root, studio, record, _ = trained
    out = root / "hf"
    result = run_cli("--studio", studio.root, "export", record.id, "--format", "hf", out)
    assert result.exit_code == 0, result.output
    readme = (out / "README.md").read_text("utf-8")
    assert readme.startswith("---\n")
    meta = yaml.safe_load(readme.split("---\n")[1])
    assert meta["license"] == "cc-by-4.0" and meta["language"] == ["fr"]
    assert meta["library_name"] == "transformers" and meta["pipeline_tag"] == "text-generation"
    assert {"ouvroir", "trained-from-scratch"} <= set(meta["tags"]) and "base_model" not in meta
    assert f"# Model card: {record.id}" in readme and "(datasheet.md)" in readme and "../" not in readme
    assert "![Training curve](loss.png)" in readme and (out / "loss.png").exists()
    assert "Ada Martin" in (out / "datasheet.md").read_text("utf-8")
    listed = {e["path"] for e in json.loads((out / "provenance.json").read_text("utf-8"))["content"]["files"]}
    assert {"README.md", "datasheet.md", "loss.png", "model.safetensors"} <= listed
    verified = run_cli("verify", out, "--studio", studio.root)
    assert verified.exit_code == 0 and "✓ content: all" in verified.stdout
