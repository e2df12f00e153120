"""A studio folder made by the code before the package layout changed (commit 252b8ef) opens and works.

Nothing stored may refer to a module path: the database, the manifests, the model files and the
training state are read by today's code. The previous code is taken from git history with
`git archive` (nothing is added to the repository's worktrees) and run with this interpreter.
"""

from __future__ import annotations

import io
import json
import os
import pickletools
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from ouvroir.workshop.studio import Studio

ROOT = Path(__file__).resolve().parent.parent
PREVIOUS = "252b8ef"
OWNER = "Ada Martin"
LINES = ("Le soir descend sur la ville grise,", "et les toits boivent la lumière lente;",
         "un chat traverse la cour déserte,", "la fontaine parle seule au silence.")


def _previous_source(dest: Path) -> Path:
    """The ouvroir/ package at PREVIOUS, unpacked under ``dest``; skips when the history is not here."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("no git repository here (a source archive): the previous version cannot be built")
    known = subprocess.run(["git", "cat-file", "-e", f"{PREVIOUS}^{{commit}}"], cwd=ROOT, capture_output=True)
    if known.returncode != 0:
        pytest.skip(f"commit {PREVIOUS} is not in this clone (shallow?): git fetch --unshallow to run this test")
    archive = subprocess.run(["git", "archive", "--format=tar", PREVIOUS, "ouvroir"], cwd=ROOT,
                             capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        # our own history, but the "data" filter where this Python has it (3.11.4+)
        tar.extractall(dest, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    return dest


@pytest.fixture(scope="module")
def old_studio(tmp_path_factory) -> dict:
    """A studio built by the previous code: two works, a consent change, a one-step tiny model (~8 s)."""
    base = tmp_path_factory.mktemp("previous")
    source = _previous_source(base / "src")
    corpus = base / "corpus"
    corpus.mkdir()
    for i in range(2):
        text = "\n".join(f"{line} ({i}.{k})" for k in range(30) for line in LINES) + "\n"
        (corpus / f"poeme{i}.txt").write_text(text, encoding="utf-8")
    studio = base / "studio"
    # cwd is not the repository, so `-m ouvroir` finds the previous package on PYTHONPATH, not this one
    env = os.environ | {"PYTHONPATH": str(source), "OUVROIR_STUDIO": str(studio), "NO_COLOR": "1"}

    def old(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "ouvroir", *args], cwd=base, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"previous ouvroir {args}: {result.stdout}{result.stderr}"
        return result.stdout

    where = subprocess.run([sys.executable, "-c", "import ouvroir; print(ouvroir.__file__)"], cwd=base, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(source), where
    old("init", "--owner", OWNER)
    old("add", str(corpus / "poeme0.txt"), str(corpus / "poeme1.txt"), "--author", OWNER,
        "--license", "CC-BY-4.0", "--consent", "train", "--reason", "mes poèmes")
    works = json.loads(old("works", "--json"))
    old("consent", works[1]["id"], "no-train", "--reason", "pas encore")
    old("consent", works[1]["id"], "train", "--reason", "finalement oui")
    old("train", "--size", "tiny", "--steps", "1", "--seed", "0", "--device", "cpu")
    models = json.loads(old("models", "--json"))
    return {"root": studio, "works": works, "models": models}


def test_the_previous_studio_opens_with_its_works_and_consent_history(old_studio):
    with Studio.open(old_studio["root"]) as studio:
        works = studio.works()
        assert sorted(w.id for w in works) == sorted(w["id"] for w in old_studio["works"])
        assert all(w.author == OWNER and w.consent == "train" for w in works)
        changed = studio.work(old_studio["works"][1]["id"])
        history = [(e.consent, e.reason) for e in studio.consent_history(changed)]
        assert history == [("train", "mes poèmes"), ("no-train", "pas encore"), ("train", "finalement oui")]
        assert "Le soir descend sur la ville grise, (0.0)" in studio.text(studio.work(old_studio["works"][0]["id"]))
        assert studio.owner == OWNER


def test_the_previous_studio_passes_the_check(old_studio):
    with Studio.open(old_studio["root"]) as studio:
        report = studio.check()
    assert report.ok, report.as_dict()


def test_the_previous_model_is_listed_loads_and_generates(old_studio):
    """The model trained by the previous code: listed, its files read by the engine, a signed sample made."""
    (model,) = old_studio["models"]
    assert model["status"] == "ready"
    model_dir = old_studio["root"] / "models" / model["id"]
    # the training state is plain data: no pickled class whose module path could have moved
    with zipfile.ZipFile(model_dir / "train_state.pt") as state:
        pickled = state.read(next(n for n in state.namelist() if n.endswith("data.pkl")))
    opcodes = io.StringIO()
    pickletools.dis(pickled, opcodes)
    assert "ouvroir" not in opcodes.getvalue()

    env = os.environ | {"PYTHONPATH": str(ROOT), "OUVROIR_STUDIO": str(old_studio["root"]), "NO_COLOR": "1"}
    new = [sys.executable, "-m", "ouvroir"]
    listed = subprocess.run([*new, "models", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert [(m["id"], m["status"]) for m in json.loads(listed.stdout)] == [(model["id"], "ready")]
    made = subprocess.run([*new, "generate", model["id"], "--prompt", "Le soir", "--max-tokens", "8", "--seed", "1",
                           "--device", "cpu"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stdout + made.stderr
    samples = sorted((old_studio["root"] / "samples").glob("*.provenance.json"))
    assert len(samples) == 1, made.stdout
    with Studio.open(old_studio["root"]) as studio:
        report = studio.check()
    assert report.ok, report.as_dict()
