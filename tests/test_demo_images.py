"""`make demo-images` end to end at a tiny budget: the digits go in with consent, the file that refuses mining stays
out of training by itself, a model trains, a contact sheet is made, and the audit of the samples flags the one
planted copy and names the digit it copies."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from ouvroir import Studio

pytest.importorskip("sklearn", reason="the image demo's digits ship in scikit-learn (make demo-images installs it)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("demo-images")
    env = os.environ | {"OMP_NUM_THREADS": "1", "NO_COLOR": "1", "COLUMNS": "160", "OUVROIR_DEMO_STEPS": "20"}
    result = subprocess.run([sys.executable, "-m", "ouvroir.demo_images", "--studio", str(home / "studio"),
                             "--minutes", "0.5", "--images", "60", "--samples", "8"],
                            cwd=home, env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return home / "studio", result.stdout


def test_the_image_demo_trains_on_consenting_digits_only(demo):
    studio_dir, output = demo
    assert "Image demo finished" in output
    with Studio.open(studio_dir) as studio:
        images = studio.works(medium="image")
        refusing = [w for w in images if w.consent == "no-train"]
        assert len(images) == 61 and [w.title for w in refusing] == ["Refuses mining"]
        assert "IPTC/PLUS" in refusing[0].consent_reason
        (model,) = studio.models.all()
        assert model.status == "ready" and model.steps <= 20
        trained = {r[0] for r in studio.conn.execute("SELECT work_id FROM snapshot_works WHERE snapshot_id = ?",
                                                     (model.snapshot_id,))}  # fmt: skip
        assert refusing[0].id not in trained and len(trained) == 60


def test_the_image_demo_prints_its_contact_sheet_and_report(demo):
    studio_dir, output = demo
    sheet = Path(re.search(r"Contact sheet of the samples: (\S+)", output).group(1))
    report = Path(re.search(r"Audit report with the planted copy: (\S+)", output).group(1))
    with Image.open(sheet) as picture:
        assert picture.format == "PNG" and picture.width > 16 * 4  # several samples side by side
    assert report.is_file() and report.name == "report.html"
    page = report.read_text("utf-8")
    assert "copied-digit.jpg" in page and "<img" in page


def test_the_image_demo_audit_flags_the_planted_copy_and_names_its_digit(demo):
    studio_dir, _ = demo
    audits = [json.loads(p.read_text("utf-8")) for p in sorted((studio_dir / "reports").glob("*/audit.json"))]
    kinds = [a["subject"]["kind"] for a in audits]
    assert "images" in kinds, kinds
    files = next(a for a in audits if a["subject"]["kind"] == "images")
    flagged = flagged_labels(files)
    assert any("copied-digit.jpg" in label for label, _ in flagged), flagged
    copied = next(work for label, work in flagged if "copied-digit.jpg" in label)
    assert copied == "Digit 0 0000", copied  # the first digit file written is the one the demo copied


def flagged_labels(audit: dict) -> list[tuple[str, str]]:
    """(image label, title of the work it copies) for every flagged image of an image audit."""
    return [(item["label"], item["source"]["title"]) for item in audit["images"] if item["flagged"]]
