"""Audits in SQLite: which report was made of what, when, with its headline figures."""

from __future__ import annotations

import json
import sqlite3


def _audit(row: sqlite3.Row) -> dict:
    return dict(row) | {"summary": json.loads(row["summary"] or "{}")}


def list_audits(conn: sqlite3.Connection) -> list[dict]:
    """Every audit, newest first, its summary read from JSON."""
    return [_audit(r) for r in conn.execute("SELECT * FROM audits ORDER BY created_at DESC")]


def get_audit(conn: sqlite3.Connection, audit_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM audits WHERE id = ?", (audit_id,)).fetchone()
    return None if row is None else _audit(row)


def insert_audit(conn: sqlite3.Connection, audit_id: str, created_at: str, subject: str, model_id: str | None,
                 snapshot_id: str | None, index_id: str, lang: str, summary: dict, path: str) -> None:  # fmt: skip
    conn.execute(
        "INSERT INTO audits (id, created_at, subject, model_id, snapshot_id, index_id, lang, summary, path) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (audit_id, created_at, subject, model_id, snapshot_id, index_id, lang, json.dumps(summary), path),
    )


def latest_audit_of(conn: sqlite3.Connection, model_id: str) -> sqlite3.Row | None:
    """The model's newest audit (id, created_at, lang, summary as stored, path), or None."""
    return conn.execute(
        "SELECT id, created_at, lang, summary, path FROM audits WHERE model_id = ? ORDER BY created_at DESC LIMIT 1",
        (model_id,),
    ).fetchone()


def report_paths(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(audit id, report folder relative to the studio) of every audit."""
    return [tuple(r) for r in conn.execute("SELECT id, path FROM audits")]
