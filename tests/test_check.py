"""`ouvroir check` checks the whole studio: every stored file against its hash or signature, and leftovers.

One studio (works, a tiny model, a sample, an audit report) is made once; each test damages a copy.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from pathlib import Path

import pytest

from ouvroir import Studio
from ouvroir.workshop import training
from ouvroir.corpus.ingest import AddOptions
from ouvroir.workshop.generation import GenerationParams, generate_samples
from tests.conftest import CliRun

WORDS = "le vent la mer une rose sombre chante sous les arbres du jardin où l'aube passe lente et douce".split()


def poem(seed: int) -> str:
    rng = random.Random(seed)
    return "\n\n".join("\n".join(" ".join(rng.choice(WORDS) for _ in range(7)).capitalize() for _ in range(4))
                       for _ in range(10))  # fmt: skip


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("check")
    corpus = root / "corpus"
    corpus.mkdir()
    for i in range(12):
        (corpus / f"poeme_{i}.txt").write_text(poem(i), "utf-8")
    studio = Studio.init(root / "studio")
    assert studio.add([corpus], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    record = training.train_model(studio, size="tiny", steps=2, seed=1)
    generate_samples(studio, record.id, "Le vent", 1, GenerationParams(max_tokens=8), seed=2)
    studio.close()
    (root / "answer.txt").write_text("Le vent la mer une rose sombre chante sous les arbres du jardin.", "utf-8")
    result = CliRun()("--studio", root / "studio", "audit", "--texts", root / "answer.txt", "--min-copy", "20")
    assert result.exit_code == 0, result.output
    return root / "studio"


@pytest.fixture
def studio(made: Path, tmp_path: Path):
    copy = shutil.copytree(made, tmp_path / "studio", symlinks=True)
    with Studio.open(copy) as opened:
        yield opened


def flip(path: Path, offset: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.chmod(0o644)
    path.write_bytes(bytes(data))


def age(path: Path, seconds: float = 24 * 3600) -> None:
    """As a killed command leaves it: untouched for a day (far past the repair's grace period)."""
    stamp = time.time() - seconds
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(p, (stamp, stamp))


def one(studio: Studio, sql: str) -> str:
    return studio.conn.execute(sql).fetchone()[0]


def test_a_healthy_studio_is_ok_and_every_kind_of_file_is_counted(studio: Studio):
    report = studio.check()
    assert report.ok, (report.problems, report.leftovers)
    # Blobs, the sample and its sidecar, weights, snapshot manifest and token files, the report's files.
    assert report.files >= report.blobs + 10


def test_a_changed_sample_is_named(studio: Studio):
    sample_id, path = studio.conn.execute("SELECT id, path FROM samples").fetchone()
    flip(studio.root / path, 2)
    report = studio.check()
    assert not report.ok
    assert any(f"sample {sample_id}" in p and "does not match its hash" in p for p in report.problems), report.problems


def test_a_changed_sample_manifest_is_named(studio: Studio):
    sample_id, path = studio.conn.execute("SELECT id, path FROM samples").fetchone()
    sidecar = studio.root / (path + ".provenance.json")
    sidecar.write_text(sidecar.read_text("utf-8").replace('"Le vent"', '"Le vend"'), "utf-8")
    problems = studio.check().problems
    assert any(f"sample {sample_id}" in p and "signature" in p for p in problems), problems


def test_flipped_model_weights_are_named(studio: Studio):
    model_id = one(studio, "SELECT id FROM models")
    flip(studio.root / "models" / model_id / "model.safetensors", 4000)
    problems = studio.check().problems
    assert any(f"model {model_id}'s weights" in p and "does not match its hash" in p for p in problems), problems


def test_a_changed_snapshot_manifest_and_token_file_are_named(studio: Studio):
    snapshot_id = one(studio, "SELECT id FROM snapshots")
    folder = studio.root / "snapshots" / snapshot_id
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    manifest["works"][0]["consent_event_id"] += 100
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    flip(folder / "train.bin", 6)
    problems = studio.check().problems
    assert any(f"snapshot {snapshot_id}: manifest.json changed" in p for p in problems), problems
    assert any(f"snapshot {snapshot_id}'s token files" in p and "train.bin" in p for p in problems), problems


def test_a_changed_audit_report_is_named(studio: Studio):
    audit_id, path = studio.conn.execute("SELECT id, path FROM audits").fetchone()
    report_html = studio.root / path / "report.html"
    report_html.write_text(report_html.read_text("utf-8") + "<!-- edited -->", "utf-8")
    problems = studio.check().problems
    assert any(f"audit report {audit_id}" in p and "report.html" in p for p in problems), problems


def _leave_leftovers(studio: Studio) -> dict[str, str]:
    """What a kill -9 at various moments leaves behind; returns {relative path: kind}."""
    root = studio.root
    text_sha = one(studio, "SELECT text_sha256 FROM works")
    tmp_blob = studio.blobs.path(text_sha).parent / f".{text_sha[2:]}.k3j2h1.tmp"
    tmp_blob.write_bytes(b"half a blob")
    orphan = studio.blobs.path("ab" * 32)
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"a blob no row records")
    building = root / "indexes" / ".0123abcd.5f5f5f5f.tmp"
    building.mkdir(parents=True)
    (building / "shard-000.corpus").write_bytes(b"x" * 100)
    unfinished = root / "indexes" / "feedface"
    unfinished.mkdir()
    (unfinished / "shard-000.sa").write_bytes(b"\0" * 16)
    upload = root / ".upload.q1w2e3.tmp"
    (upload / "0").mkdir(parents=True)
    (upload / "0" / "poeme.txt").write_text("en cours d'envoi", "utf-8")
    sample = studio.root / one(studio, "SELECT path FROM samples")
    ghost = sample.with_name("g0123456789.txt")
    shutil.copy(sample, ghost)
    shutil.copy(sample.with_name(sample.name + ".provenance.json"), ghost.with_name(ghost.name + ".provenance.json"))
    paths = {tmp_blob: "temporary", orphan: "no row", building: "interrupted", unfinished: "never finished",
             upload: "interrupted", ghost: "no row", ghost.with_name(ghost.name + ".provenance.json"): "no row"}
    for path in paths:
        age(path)
    return {p.relative_to(root).as_posix(): kind for p, kind in paths.items()}


def test_leftovers_are_reported_and_repair_removes_only_them(studio: Studio, run_cli):
    left = _leave_leftovers(studio)
    fresh = studio.root / "samples" / ".g0123456789.txt.abcd.tmp"  # a write that may still be running
    fresh.write_bytes(b"...")
    gone = [studio.root / p for p in left]
    kept_files = {p for p in studio.root.rglob("*") if p.is_file() and p != fresh and not p.name.startswith("ouvroir.sqlite")
                  and not any(p == g or g in p.parents for g in gone)}  # fmt: skip

    report = studio.check()
    assert not report.ok and report.problems == [], report.problems
    found = {x.path: x.what for x in report.leftovers}
    for path, kind in left.items():
        assert path in found and kind in found[path], (path, found)

    result = run_cli("--studio", studio.root, "check", "--repair")
    assert result.exit_code == 1, result.output  # the fresh temporary file is kept, and said to be
    for path in left:
        assert f"Removed {path}" in result.output, result.output
        assert not (studio.root / path).exists(), path
    assert "Kept samples/.g0123456789.txt.abcd.tmp" in result.output and fresh.exists()
    # Nothing else went: every work's blobs, the model, the snapshot, the sample, the report.
    assert all(p.is_file() for p in kept_files), sorted(str(p) for p in kept_files if not p.is_file())

    fresh.unlink()
    result = run_cli("--studio", studio.root, "check")
    assert result.exit_code == 0 and "Studio OK" in result.output, result.output


def test_check_json_carries_problems_leftovers_and_what_was_removed(studio: Studio, run_cli):
    (studio.root / "models" / one(studio, "SELECT id FROM models") / ".model.safetensors.zz.tmp").write_bytes(b"")
    left = studio.root / "models" / one(studio, "SELECT id FROM models") / ".model.safetensors.zz.tmp"
    age(left)
    flip(studio.root / one(studio, "SELECT path FROM samples"), 1)
    result = run_cli("--studio", studio.root, "check", "--json", "--repair")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False and data["problems"] and all("sample g" in p for p in data["problems"])
    rel = left.relative_to(studio.root).as_posix()
    assert [x["path"] for x in data["leftovers"]] == [rel] and data["removed"] == [rel] and data["kept"] == []
    assert data["files"] > data["blobs"] > 0 and not left.exists()
