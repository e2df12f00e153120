"""The store: versioned migrations, WAL, append-only consent history, removal and `check`."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import StudioError
from ouvroir.layout import DB_NAME
from ouvroir.store import works as store
from ouvroir.store.db import connect
from ouvroir.store.migrations import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from ouvroir.workshop.studio import Studio


def schema_of(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    return sorted(
        (r[0], r[1], r[2] or "")
        for r in conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


POEM = "Le matin défait ses voiles\nsur la rivière encore grise,\net la barque attend sans hâte\nque le passeur se réveille."


# -- migrations -------------------------------------------------------------------


def test_blank_database_migrates_to_current_schema_and_rerun_is_a_noop(tmp_path: Path):
    conn = connect(tmp_path / "blank.sqlite")
    assert schema_version(conn) == 0
    assert migrate(conn) == SCHEMA_VERSION
    assert schema_version(conn) == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"studio_meta", "blobs", "works", "consent_events", "passages", "near_duplicates", "removals"} <= tables
    before = schema_of(conn)
    assert migrate(conn) == 0  # nothing left to run
    assert schema_version(conn) == SCHEMA_VERSION
    assert schema_of(conn) == before


@pytest.mark.parametrize("start", range(SCHEMA_VERSION))
def test_every_earlier_version_migrates_to_the_same_schema(tmp_path: Path, start: int):
    reference = connect(tmp_path / "reference.sqlite")
    migrate(reference)
    conn = connect(tmp_path / f"v{start}.sqlite")
    for number in range(start):  # build the database as version `start` left it
        MIGRATIONS[number](conn)
        conn.execute(f"PRAGMA user_version = {number + 1}")
    assert migrate(conn) == SCHEMA_VERSION - start
    assert schema_of(conn) == schema_of(reference)


def test_studio_written_by_a_newer_ouvroir_is_refused_clearly(studio: Studio):
    root = studio.root
    studio.close()
    raw = sqlite3.connect(root / DB_NAME)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StudioError, match=r"newer ouvroir.*upgrade ouvroir"):
        Studio.open(root)
    conn = connect(root / DB_NAME)
    with pytest.raises(StudioError, match=f"schema {SCHEMA_VERSION + 1}"):
        migrate(conn)
    assert schema_version(conn) == SCHEMA_VERSION + 1  # left as it was


def test_opening_a_folder_without_a_studio_says_how_to_create_one(tmp_path: Path):
    folder = tmp_path / "not-a-studio"
    folder.mkdir()
    with pytest.raises(StudioError) as info:
        Studio.open(folder)
    message = str(info.value)
    assert "no studio at" in message and str(folder) in message
    assert f"`ouvroir --studio {folder} init`" in message  # the group's option comes before the command
    spaced = tmp_path / "mon atelier"
    with pytest.raises(StudioError, match=re.escape(f"`ouvroir --studio '{spaced}' init`")):
        Studio.open(spaced)
    assert not (folder / DB_NAME).exists()  # opening never creates one by accident


def test_wal_mode_is_on_and_persistent(studio: Studio):
    assert studio.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # WAL is recorded in the database file: any other SQLite client sees it too.
    raw = sqlite3.connect(studio.root / DB_NAME)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


def test_init_refuses_a_folder_with_other_files(tmp_path: Path):
    folder = tmp_path / "photos"
    write(folder / "holiday.txt", "not a studio")
    with pytest.raises(StudioError, match="other files"):
        Studio.init(folder)


# -- consent history is append-only, enforced by SQLite itself ----------------------


def _one_work(studio: Studio, tmp_path: Path, name: str = "matin.txt", text: str = POEM) -> store.Work:
    report = studio.add([write(tmp_path / "in" / name, text)], AddOptions(consent="train", reason="mine"))
    assert report.ok, report.outcomes
    return report.outcomes[0].work


def test_consent_events_cannot_be_updated_or_deleted_at_the_sqlite_level(studio: Studio, tmp_path: Path):
    work = _one_work(studio, tmp_path)
    studio.set_consent([work.id], "no-train", "changed my mind")
    history = studio.consent_history(work)
    assert [e.consent for e in history] == ["train", "no-train"]

    # A plain sqlite3 connection, not ouvroir's code: the triggers live in the database file.
    raw = sqlite3.connect(studio.root / DB_NAME)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE consent_events SET consent = 'train' WHERE id = ?", (history[-1].id,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("DELETE FROM consent_events WHERE id = ?", (history[0].id,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("DELETE FROM consent_events")
    raw.close()

    assert studio.consent_history(work) == history
    assert studio.work(work.id).consent == "no-train"
    assert not studio.work(work.id).trainable


def test_consent_values_outside_the_three_are_refused_by_the_schema(studio: Studio, tmp_path: Path):
    work = _one_work(studio, tmp_path)
    raw = sqlite3.connect(studio.root / DB_NAME)
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute(
            "INSERT INTO consent_events (work_id, consent, reason, origin, at) VALUES (?, 'yes please', 'x', 'user', 'now')",
            (work.id,),
        )
    raw.close()
    assert studio.work(work.id).consent == "train"


# -- remove ---------------------------------------------------------------------------


def blob_files(studio: Studio) -> set[str]:
    return studio.blobs.all_hashes()


def blob_rows(studio: Studio) -> set[str]:
    return {r[0] for r in studio.conn.execute("SELECT sha256 FROM blobs")}


def test_remove_deletes_work_history_and_unreferenced_blobs(studio: Studio, tmp_path: Path):
    keep = _one_work(studio, tmp_path, "garder.txt", "Une strophe qui reste\navec ses deux vers.")
    work = _one_work(studio, tmp_path)
    studio.set_consent([work.id], "no-train", "retiré")
    own = {work.original_sha256, work.text_sha256, work.structure_sha256}
    assert own <= blob_files(studio)

    removed = studio.remove(work.id)
    assert removed.id == work.id
    assert [w.id for w in studio.works()] == [keep.id]
    assert studio.consent_history(work) == []
    assert studio.conn.execute("SELECT count(*) FROM consent_events WHERE work_id = ?", (work.id,)).fetchone()[0] == 0
    assert studio.conn.execute("SELECT count(*) FROM passages WHERE work_id = ?", (work.id,)).fetchone()[0] == 0
    assert not (own & blob_files(studio)) and not (own & blob_rows(studio))
    # The removal itself is recorded (what was removed, when), without the text.
    row = studio.conn.execute("SELECT title, text_sha256 FROM removals WHERE work_id = ?", (work.id,)).fetchone()
    assert tuple(row) == (work.title, work.text_sha256)
    assert blob_files(studio) == blob_rows(studio) == store.referenced_blobs(studio.conn)
    assert studio.check().ok, studio.check().problems


def test_remove_keeps_a_blob_another_work_still_references(studio: Studio, tmp_path: Path):
    """A blob is shared when one work's file is byte-identical to another work's stored blob.

    Real case: a .txt file whose content is exactly the structure file ouvroir wrote for
    another work (e.g. someone copied it out of the studio and added it back). Its
    original and its text are then the very bytes of the first work's structure blob.
    """
    first = _one_work(studio, tmp_path)
    structure = studio.blobs.get(first.structure_sha256)
    assert b"\n" not in structure  # one JSON line: reading it as text gives the same bytes back
    copy = _one_work(studio, tmp_path, "structure-copy.txt", structure.decode("utf-8"))
    assert copy.id != first.id
    assert copy.original_sha256 == copy.text_sha256 == first.structure_sha256

    studio.remove(first.id)
    assert first.structure_sha256 in blob_files(studio) and first.structure_sha256 in blob_rows(studio)
    assert store.blob_is_referenced(studio.conn, first.structure_sha256)
    assert first.text_sha256 not in blob_files(studio)  # referenced by nobody any more
    assert studio.text(copy.id) == structure.decode("utf-8")
    assert studio.check().ok, studio.check().problems

    studio.remove(copy.id)
    assert not store.blob_is_referenced(studio.conn, first.structure_sha256)
    assert blob_files(studio) == blob_rows(studio) == set()
    assert studio.check().ok


def test_blob_reference_counting_covers_every_column(studio: Studio, tmp_path: Path):
    work = _one_work(studio, tmp_path)
    for sha in (work.original_sha256, work.text_sha256, work.structure_sha256):
        assert store.blob_is_referenced(studio.conn, sha)
    assert not store.blob_is_referenced(studio.conn, "0" * 64)
    assert store.referenced_blobs(studio.conn) == {work.original_sha256, work.text_sha256, work.structure_sha256}


# -- check ------------------------------------------------------------------------------


def test_check_passes_on_a_healthy_studio(studio: Studio, tmp_path: Path):
    work = _one_work(studio, tmp_path, "crlf.txt", POEM.replace("\n", "\r\n"))
    report = studio.check()
    assert report.ok and report.problems == []
    # CRLF original, LF text, structure: three distinct files, all verified.
    assert len({work.original_sha256, work.text_sha256, work.structure_sha256}) == 3
    assert report.works == 1 and report.blobs == 3


def test_check_detects_a_blob_changed_on_disk(studio: Studio, tmp_path: Path):
    work = _one_work(studio, tmp_path)
    path = studio.blobs.path(work.text_sha256)
    data = bytearray(path.read_bytes())
    data[5] ^= 0x01  # flip one bit of one byte
    path.chmod(0o644)
    path.write_bytes(bytes(data))
    report = studio.check()
    assert not report.ok
    assert any(work.text_sha256[:12] in p and "does not match its hash" in p for p in report.problems), report.problems


def test_check_detects_a_missing_blob(studio: Studio, tmp_path: Path):
    work = _one_work(studio, tmp_path)
    studio.blobs.path(work.original_sha256).unlink()
    report = studio.check()
    assert not report.ok
    assert any(work.original_sha256[:12] in p and "missing" in p for p in report.problems), report.problems


def test_check_detects_dangling_rows(studio: Studio, tmp_path: Path):
    work = _one_work(studio, tmp_path)
    # Another program (or a bad manual edit) deletes a blob row and leaves an orphan event behind.
    raw = sqlite3.connect(studio.root / DB_NAME)
    raw.execute("PRAGMA foreign_keys = OFF")
    raw.execute("DELETE FROM blobs WHERE sha256 = ?", (work.structure_sha256,))
    raw.execute(
        "INSERT INTO consent_events (work_id, consent, reason, origin, at) VALUES ('ghost00000', 'train', 'x', 'user', 'now')"
    )
    raw.commit()
    raw.close()
    problems = studio.check().problems
    assert any("table works points at a missing row of blobs" in p for p in problems), problems
    assert any(work.structure_sha256[:12] in p and "not recorded" in p for p in problems), problems
    assert any("missing work ghost00000" in p for p in problems), problems


def test_check_detects_a_work_without_consent_history(studio: Studio, tmp_path: Path):
    work = _one_work(studio, tmp_path)
    raw = sqlite3.connect(studio.root / DB_NAME)
    # Only possible by removing the work row first (the trigger protects events of existing works).
    raw.execute("PRAGMA foreign_keys = OFF")
    row = raw.execute("SELECT * FROM works WHERE id = ?", (work.id,)).fetchone()
    raw.execute("DELETE FROM works WHERE id = ?", (work.id,))
    raw.execute("DELETE FROM consent_events WHERE work_id = ?", (work.id,))
    raw.execute(f"INSERT INTO works VALUES ({','.join('?' * len(row))})", row)
    raw.commit()
    raw.close()
    assert any(f"work {work.id} has no consent history" in p for p in studio.check().problems)


def test_work_as_dict_is_json_serializable(studio: Studio, tmp_path: Path):
    work = _one_work(studio, tmp_path)
    data = json.loads(studio.as_json([studio.work(work.id)]))
    assert data[0]["id"] == work.id and data[0]["trainable"] is True and data[0]["consent"] == "train"
