"""One home each: the studio's folder layout (ouvroir/layout.py, read through ``Studio.layout``) and the
French/English words (the catalogues of ouvroir/i18n/, read through its one lookup).

A folder name joined by hand elsewhere (``studio.root / "models"``) or a French/English table kept beside
the code that shows it is a second copy the next change forgets; these tests read the source and name each.
"""

from __future__ import annotations

import ast
import re
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


def _fr_en_tables(tree: ast.AST):
    """Dict literals that are French/English tables: ``key -> (French, English)`` pairs, or ``{"fr": …, "en": …}``."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict) or not node.keys:
            continue
        keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
        pairs = [v.elts for v in node.values if isinstance(v, ast.Tuple) and len(v.elts) == 2
                 and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in v.elts)]  # fmt: skip
        worded = len(pairs) == len(node.values) >= 3 and any(" " in e.value for pair in pairs for e in pair)
        if keys >= {"fr", "en"} or worded:
            yield node.lineno


def test_every_french_english_table_lives_in_the_i18n_catalogues():
    found = [f"{path.relative_to(PACKAGE.parent)}:{line}" for path, tree in _modules()
             if "i18n" not in path.relative_to(PACKAGE).parts for line in _fr_en_tables(tree)]  # fmt: skip
    assert not found, "move these tables into a catalogue of ouvroir/i18n/:\n" + "\n".join(found)


def test_the_catalogues_import_nothing_of_ouvroir():
    """A utility: any layer may read the words, so they may lean on none."""
    for path in sorted((PACKAGE / "i18n").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1 and not (node.module or "").startswith("ouvroir"), (path.name, node.module)
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("ouvroir") for a in node.names), path.name


def test_one_lookup_reads_every_catalogue_with_the_same_words():
    from ouvroir.i18n import Translator
    from ouvroir.i18n.card import CARD
    from ouvroir.i18n.report import ReportTranslator
    from ouvroir.i18n.web import WEB, WebTranslator

    assert ReportTranslator("fr").count("works", 2) == WebTranslator("fr").count("works", 2) == "2 œuvres"
    assert Translator("fr", CARD)("glance") == ReportTranslator("fr")("glance") == "En bref"
    assert WebTranslator("de").lang == "fr" and Translator("en", WEB)("nav_models") == "Models"


def test_a_scratch_folder_is_one_that_check_names_a_leftover(tmp_path):
    from ouvroir.layout import TEMPORARY

    folder = StudioLayout(tmp_path).scratch("upload")
    assert folder.is_dir() and folder.parent == tmp_path and TEMPORARY.fullmatch(folder.name)


# -- the store owns every query ------------------------------------------------------------------------

STORE = PACKAGE / "store"
_SQL = re.compile(r"\b(SELECT\s.*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|REPLACE\s+INTO|"
                  r"\A\s*PRAGMA\s+\w+|(CREATE|DROP|ALTER)\s+(TABLE|INDEX|TRIGGER|VIEW)|BEGIN\s+IMMEDIATE)\b", re.S)
_RUNS_SQL = {"execute", "executemany", "executescript"}


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes: words about SQL in prose are not queries."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def sql_in(source: str) -> list[tuple[int, str]]:
    """(line, what) for each query, statement run on a connection, or connection opened in ``source``."""
    tree = ast.parse(source)
    prose = _docstrings(tree)  # and an f-string's parts, read whole below
    prose |= {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    found = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            text = node.value
        elif isinstance(node, ast.JoinedStr):  # an f-string: its fixed parts, with {} where values go
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        if text is not None and _SQL.search(text):
            found.append((node.lineno, f"SQL {text.strip()[:60]!r}"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _RUNS_SQL:
                found.append((node.lineno, f".{node.func.attr}()"))
            elif node.func.attr == "connect" and isinstance(node.func.value, ast.Name) and node.func.value.id == "sqlite3":
                found.append((node.lineno, "sqlite3.connect()"))
    return sorted(found)


def test_the_store_owns_every_query():
    """No SQL text, no ``.execute(`` and no ``sqlite3.connect`` outside ouvroir/store/: the rest calls its functions."""
    found = [f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
             for path in sorted(PACKAGE.rglob("*.py")) if STORE not in path.parents
             for line, what in sql_in(path.read_text("utf-8"))]  # fmt: skip
    assert not found, "queries outside ouvroir/store/ (give each a function there):\n" + "\n".join(found)


def test_the_query_check_sees_queries_and_not_prose():
    source = '''"""Reads the works (SELECT id FROM works, in prose)."""
def titles(conn, table):
    """INSERT INTO works is the store's."""
    rows = conn.execute(f"SELECT title FROM {table} WHERE id = ?")
    conn.executemany("INSERT OR IGNORE INTO blobs VALUES (?)", []), "PRAGMA user_version"
    return "Select a work from the list", sqlite3.connect(":memory:")
'''
    assert [(line, what.split(" ")[0]) for line, what in sql_in(source)] == [
        (4, ".execute()"), (4, "SQL"), (5, ".executemany()"), (5, "SQL"), (5, "SQL"), (6, "sqlite3.connect()")]
    assert sql_in("x = 'nothing here'") == []
