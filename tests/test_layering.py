"""The layering contract (pyproject.toml, [tool.importlinter]) and what importing one module loads.

The contract is checked by import-linter, which follows imports inside functions too: a deferred
import is still a dependency. A broken contract fails here with import-linter's own report, which
names the contract, the importing module, the imported one and the line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Everything the engine and the utilities must never load: the studio above them.
STUDIO_PACKAGES = ("workshop", "store", "media", "corpus", "web", "cli", "audit", "provenance", "cocreate", "report")
UTILITIES = {"ouvroir", "ouvroir.version", "ouvroir.errors", "ouvroir.fileio", "ouvroir.layout", "ouvroir.i18n"}

def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """`lint-imports` on the tree at ``root`` (its pyproject.toml and its ouvroir/), without a cache folder.

    Through this interpreter (import-linter is in the `test` extra), so no script needs to be on PATH.
    """
    env = os.environ | {"PYTHONPATH": str(root), "NO_COLOR": "1", "COLUMNS": "200"}
    command = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
               "--no-cache", "pyproject.toml"]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120)


def broken_section(output: str) -> str:
    """import-linter's report from its list of broken contracts on (the part that says what to fix)."""
    start = output.find("Broken contracts")
    return output[start:] if start >= 0 else output


def test_the_layering_contract_is_kept():
    result = lint_imports(ROOT)
    if result.returncode != 0:  # import-linter's report, not a repr of the process
        pytest.fail("the layering contract (pyproject.toml) is broken:\n" + broken_section(result.stdout + result.stderr),
                    pytrace=False)
    assert re.search(r"Contracts: \d+ kept, 0 broken", result.stdout), result.stdout


def test_the_contract_fails_on_a_forbidden_import(tmp_path):
    """A copy of the tree where the engine imports the workshop breaks the contract, named as such."""
    shutil.copytree(ROOT / "ouvroir", tmp_path / "ouvroir", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    model = tmp_path / "ouvroir" / "learn" / "model.py"
    model.write_text(model.read_text(encoding="utf-8") + "\nimport ouvroir.workshop  # noqa\n", encoding="utf-8")
    result = lint_imports(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert re.search(r"The engine \(ouvroir.learn\) imports nothing of the studio.* BROKEN", output), output
    assert "ouvroir.learn is not allowed to import ouvroir.workshop" in output
    assert "ouvroir.learn.model -> ouvroir.workshop" in output


def test_no_cycle_is_waived():
    """The acyclic contract holds with no ignored import: every known loop was taken apart, not excused."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    acyclic = next(c for c in contracts if c["id"] == "acyclic")
    assert not acyclic.get("ignore_imports"), acyclic["ignore_imports"]


def test_the_contract_fails_on_a_deferred_cycle(tmp_path):
    """A loop made of an import inside a function (the report reaching back into the audit) is a cycle too."""
    shutil.copytree(ROOT / "ouvroir", tmp_path / "ouvroir", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    build = tmp_path / "ouvroir" / "report" / "build.py"
    build.write_text(build.read_text(encoding="utf-8") + "\n\ndef _level():\n    from ..audit import bootstrap\n\n"
                     "    return bootstrap.LEVEL\n", encoding="utf-8")
    result = lint_imports(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert re.search(r"No package cycles, at any depth BROKEN", output), output
    assert "- .report -> .audit (1 import)" in output, output


def loaded_ouvroir_modules(statement: str) -> list[str]:
    """The ouvroir modules a fresh interpreter loads to run ``statement`` (from -X importtime, in load order)."""
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    names = [line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    return [name for name in names if name == "ouvroir" or name.startswith("ouvroir.")]


def test_importing_the_engine_loads_nothing_of_the_studio():
    loaded = loaded_ouvroir_modules("import ouvroir.learn.model")
    studio = [m for m in loaded if m.split(".")[1:2] and m.split(".")[1] in STUDIO_PACKAGES]
    assert not studio, f"import ouvroir.learn.model loads {studio}"
    assert "ouvroir.learn.model" in loaded
    assert all(m in UTILITIES or m == "ouvroir.learn" or m.startswith("ouvroir.learn.") for m in loaded), loaded
    assert len(loaded) <= 8, f"import ouvroir.learn.model loads {len(loaded)} ouvroir modules: {loaded}"


def test_importing_the_layout_loads_a_handful_of_modules():
    loaded = loaded_ouvroir_modules("import ouvroir.layout")
    assert set(loaded) <= UTILITIES, loaded
    assert len(loaded) <= 5, loaded
