"""The image audit in the studio: `ouvroir audit --images` names planted copies with work and author in a
self-contained report (fr and en), a bad file is skipped with its line; a snapshot's held-out images
set the threshold of a model audit."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from ouvroir.audit.drawings import as_jpeg, drawing, resized, shifted
from ouvroir.audit.image_run import ImageAuditOptions, assemble, model_images
from ouvroir.corpus.ingest import AddOptions
from ouvroir.corpus.snapshot import take_snapshot

WORKS = 40


def save(folder: Path, name: str, arr: np.ndarray, **params) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(folder / name, **params)
    return folder / name


@pytest.fixture
def image_studio(studio, tmp_path):
    """Forty drawings at 64 px by two artists, consenting."""
    for author, seeds in (("Ada Martin", range(0, WORKS, 2)), ("Louis Roy", range(1, WORKS, 2))):
        paths = [save(tmp_path / "works", f"drawing-{s:02d}.png", drawing(s, 64)) for s in seeds]
        studio.add(paths, AddOptions(consent="train", author=author))
    return studio


def _planted(folder: Path) -> list[Path]:
    return [save(folder, "jpeg-of-07.jpg", as_jpeg(drawing(7, 64), 75), quality=90),
            save(folder, "shifted-12.png", shifted(drawing(12, 64), 2, 0)),
            save(folder, "small-21.png", resized(drawing(21, 64), 40))]  # fmt: skip


def test_audit_images_names_planted_copies_and_writes_a_self_contained_report(image_studio, tmp_path, run_cli):
    planted = _planted(tmp_path / "out")
    fresh = [save(tmp_path / "out", f"new-{s}.png", drawing(s, 64)) for s in range(500, 512)]
    broken = tmp_path / "out" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    result = run_cli("audit", "--images", *planted, *fresh, broken, "--lang", "en")
    assert result.exit_code == 1, result.output  # the broken file is skipped, the rest audited
    assert "broken.png" in result.stderr and "skipped" in result.stderr
    assert "Copies: 3 of 15 images" in result.stdout, result.stdout
    assert "jpeg-of-07.jpg copies Drawing 07" in result.stdout and "(Louis Roy" in result.stdout

    (audit,) = image_studio.audits.all()
    data = json.loads(image_studio.audits.file(audit["id"], "audit.json").read_text())
    assert data["medium"] == "image" and data["subject"]["kind"] == "images"
    named = {r["label"]: r["source"] and (r["source"]["title"], r["source"]["author"]) for r in data["images"]}
    assert named["jpeg-of-07.jpg"] == ("Drawing 07", "Louis Roy")
    assert named["shifted-12.png"] == ("Drawing 12", "Ada Martin")
    assert named["small-21.png"] == ("Drawing 21", "Louis Roy")
    assert not any(named[p.name] for p in fresh)
    for space in ("pixels", "features"):
        assert {m["name"] for m in data["diversity"][space]["measures"]} == {"vendi", "coverage", "distinct_share"}
    html = image_studio.audits.file(audit["id"], "report.html").read_text()
    assert "Image audit" in html and "Drawing 07" in html and "Louis Roy" in html
    assert html.count('src="data:image/png;base64,') >= 2 * 3 + 15  # each pair side by side, every image
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", html)  # nothing loads from outside the file
    assert "<svg" in html  # the distance histograms


def test_the_report_speaks_french(image_studio, tmp_path):
    outcome, skipped = image_studio.audits.images(_planted(tmp_path / "out"), ImageAuditOptions(lang="fr"))
    html = outcome.html.read_text()
    assert not skipped and "Audit d’images" in html and "Œuvre la plus proche" in html
    assert re.search(r"copie de «\s?Drawing 07\s?»", html)  # French spacing inside the quotes


def test_a_model_audit_calibrates_on_the_snapshots_held_out_images(image_studio):
    snapshot = take_snapshot(image_studio, medium="image")
    record = SimpleNamespace(id="m-test", snapshot_id=snapshot.id, config={})
    corpus = model_images(image_studio, record, 32)
    assert corpus.held is not None and len(corpus.held) and corpus.baseline_source == "held-out images"
    copies = np.stack([as_jpeg(corpus.train[i], 75) for i in range(3)])
    data = assemble(corpus, np.concatenate([copies, corpus.held]), [f"s{i}" for i in range(3 + len(corpus.held))],
                    {"kind": "model", "model_id": record.id}, ImageAuditOptions())  # fmt: skip
    flagged = [r["label"] for r in data["images"] if r["flagged"]]
    assert flagged == ["s0", "s1", "s2"]  # the held-out images themselves are never their own copies
    assert [r["source"]["work_id"] for r in data["images"][:3]] == corpus.train_works[:3]


def test_every_image_report_string_has_both_languages_with_the_same_fields():
    import string

    from ouvroir.i18n.image_report import IMAGE_REPORT

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert set(IMAGE_REPORT["fr"]) == set(IMAGE_REPORT["en"])
    assert all(IMAGE_REPORT["fr"][k].strip() and IMAGE_REPORT["en"][k].strip() for k in IMAGE_REPORT["fr"])
    assert [k for k in IMAGE_REPORT["fr"] if fields(IMAGE_REPORT["fr"][k]) != fields(IMAGE_REPORT["en"][k])] == []


def test_audit_of_an_image_model_names_the_copies_among_its_stored_samples(image_studio, tmp_path, run_cli):
    from ouvroir.audit.drawings import noised
    from ouvroir.corpus.image_snapshot import image_arrays
    from ouvroir.corpus.snapshot import load_snapshot
    from ouvroir.fileio import sha256_bytes
    from ouvroir.media.images.render import png_bytes
    from ouvroir.store import models as model_store
    from ouvroir.workshop.image_training import train_image_model

    record = train_image_model(image_studio, resolution=16, steps=2, seed=0, device="cpu")
    arrays = image_arrays(image_studio, load_snapshot(image_studio, record.snapshot_id), 16)
    made = [arrays.train[0], noised(arrays.train[1], 4.0), shifted(arrays.train[2], 1, 0)]
    made += [drawing(s, 16) for s in range(700, 709)]
    folder = image_studio.root / "samples" / record.id
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(made):
        data = png_bytes(image)
        (folder / f"s{i}.png").write_bytes(data)
        model_store.insert_sample(image_studio.conn, model_store.SampleRecord(
            f"s{i:02d}", record.id, "2026-01-01T00:00:00Z", "", {}, i, sha256_bytes(data),
            str((folder / f"s{i}.png").relative_to(image_studio.root))))  # fmt: skip
    image_studio.conn.commit()
    result = run_cli("audit", record.id, "--reuse", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert f"Copies: 3 of {len(made)} images" in result.stdout, result.stdout
    (audit,) = image_studio.audits.all()
    assert audit["model_id"] == record.id
    data = json.loads(image_studio.audits.file(audit["id"], "audit.json").read_text())
    assert data["subject"]["kind"] == "model" and data["corpus"]["resolution"] == 16
    assert [r["source"]["work_id"] if r["flagged"] else None for r in data["images"][:3]] == arrays.train_works[:3]
    assert data["copies"]["threshold"]["source"] == "held-out images"


def test_a_model_audit_without_reuse_generates_the_images_asked_and_reports_in_french(image_studio, run_cli):
    """`ouvroir audit MODEL` on an image model generates --samples new images (it failed on the model's id before),
    and the French report names its baseline in French."""
    from ouvroir.workshop.image_training import train_image_model

    record = train_image_model(image_studio, resolution=16, steps=2, seed=0, device="cpu")
    result = run_cli("audit", record.id, "--samples", "3", "--lang", "fr")
    assert result.exit_code == 0, result.output
    assert "Copies:" in result.stdout and "of 3 images" in result.stdout, result.stdout
    assert len([s for s in image_studio.models.samples(record.id) if str(s.path).endswith(".png")]) == 3
    (audit,) = image_studio.audits.all()
    html = image_studio.audits.file(audit["id"], "report.html").read_text()
    assert "held-out images" not in html and "each work against the others" not in html
    assert "images réservées du cliché" in html
    assert re.search(r"\d images? sur 3 (est une copie|sont des copies)", html)
    assert not re.search(r"\b[01] images sur", html)  # French keeps 0 and 1 singular
