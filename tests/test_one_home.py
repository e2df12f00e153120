"""The studio's folder layout is spelled in one module, ouvroir/layout.py, and read through ``Studio.layout``.

A folder name joined by hand elsewhere (``studio.root / "models"``) is a second copy of the format that the
next change forgets; these tests read the source and name each such place.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ouvroir.layout import DB_NAME, StudioLayout
from ouvroir.workshop.studio import Studio

PACKAGE = Path(__file__).resolve().parent.parent / "ouvroir"
STUDIO_NAMES = {"blobs", "keys", "snapshots", "models", "samples", "reports", "indexes", "jobs", "inputs",
                "README.txt", DB_NAME, "model.safetensors", "loss.png"}  # fmt: skip


# Not studio paths: a Hugging Face export folder keeps Hugging Face's file names.
ELSEWHERE = {PACKAGE / "layout.py", PACKAGE / "learn" / "export_hf.py"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path not in ELSEWHERE:
            yield path, ast.parse(path.read_text("utf-8"))


def _joined_names(tree: ast.AST):
    """String constants (or DB_NAME) on either side of a ``/``: the hand-spelled path joins."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and side.value in STUDIO_NAMES:
                    yield node.lineno, side.value
                elif isinstance(side, ast.Name) and side.id == "DB_NAME":
                    yield node.lineno, DB_NAME


def test_no_module_but_layout_joins_a_studio_folder_name_by_hand():
    found = [f"{path.relative_to(PACKAGE.parent)}:{line}: {name!r}" for path, tree in _modules()
             for line, name in _joined_names(tree)]  # fmt: skip
    assert not found, "spell these through ouvroir.layout.StudioLayout:\n" + "\n".join(found)


def test_the_studio_reads_its_folders_through_its_layout(tmp_path):
    with Studio.init(tmp_path / "atelier") as studio:
        assert studio.layout == StudioLayout(tmp_path / "atelier")
        assert studio.layout.database.is_file() and studio.layout.blobs.is_dir() and studio.layout.readme.is_file()
        assert studio.layout.keys.is_dir()  # the signing key, made at init


def test_a_scratch_folder_is_one_that_check_names_a_leftover(tmp_path):
    from ouvroir.layout import TEMPORARY

    folder = StudioLayout(tmp_path).scratch("upload")
    assert folder.is_dir() and folder.parent == tmp_path and TEMPORARY.fullmatch(folder.name)
