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
