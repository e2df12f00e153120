"""What ``ouvroir check`` asks the database itself: SQLite's own checks, the blob rows, consent histories."""

from __future__ import annotations

import sqlite3


def integrity_lines(conn: sqlite3.Connection) -> list[str]:
    """SQLite's ``integrity_check``: one line, "ok", when the file is sound."""
    return [line for (line,) in conn.execute("PRAGMA integrity_check")]


def foreign_key_problems(conn: sqlite3.Connection) -> list[tuple]:
    """SQLite's ``foreign_key_check``: (table, rowid, parent table, foreign key index) of each row pointing nowhere."""
    return [tuple(r) for r in conn.execute("PRAGMA foreign_key_check")]


def recorded_blobs(conn: sqlite3.Connection) -> set[str]:
    """The hashes of every blob that has a row."""
    return {r[0] for r in conn.execute("SELECT sha256 FROM blobs")}


def works_without_consent(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT id FROM works w WHERE NOT EXISTS (SELECT 1 FROM consent_events e WHERE e.work_id = w.id)"
    )]  # fmt: skip


def consent_without_work(conn: sqlite3.Connection) -> list[str]:
    """The missing works that consent events point at."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT work_id FROM consent_events e WHERE NOT EXISTS (SELECT 1 FROM works w WHERE w.id = e.work_id)"
    )]  # fmt: skip
