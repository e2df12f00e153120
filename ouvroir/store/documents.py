"""Co-written documents in SQLite: one row each (its ledger as a JSON state) and an append-only trail of events.

The rows are read and written here; what a row means (its ledger, the version check) is
:mod:`ouvroir.cocreate.documents`'s.
"""

from __future__ import annotations

import json
import sqlite3


def insert_document(conn: sqlite3.Connection, doc_id: str, title: str, lang: str, created_at: str, updated_at: str,
                    version: int, state: str) -> None:  # fmt: skip
    conn.execute("INSERT INTO documents (id, title, lang, created_at, updated_at, version, state) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (doc_id, title, lang, created_at, updated_at, version, state))  # fmt: skip


def update_document(conn: sqlite3.Connection, doc_id: str, title: str, updated_at: str, version: int,
                    state: str) -> None:  # fmt: skip
    conn.execute("UPDATE documents SET title = ?, updated_at = ?, version = ?, state = ? WHERE id = ?",
                 (title, updated_at, version, state, doc_id))  # fmt: skip


def append_event(conn: sqlite3.Connection, doc_id: str, seq: int, at: str, kind: str, payload: dict) -> None:
    conn.execute("INSERT INTO document_events (document_id, seq, at, kind, payload) VALUES (?, ?, ?, ?, ?)",
                 (doc_id, seq, at, kind, json.dumps(payload, ensure_ascii=False)))  # fmt: skip


def document_rows(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every document's row, the most recently changed first."""
    return conn.execute("SELECT * FROM documents ORDER BY updated_at DESC, id").fetchall()


def every_document_row(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every document's row, in no particular order."""
    return conn.execute("SELECT * FROM documents").fetchall()


def document_row(conn: sqlite3.Connection, doc_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()


def rows_matching(conn: sqlite3.Connection, ref: str) -> list[sqlite3.Row]:
    """The documents whose id begins with ``ref`` (3 characters or more), or whose title is ``ref`` (not minding case)."""
    return conn.execute("SELECT * FROM documents WHERE (length(?) >= 3 AND substr(id, 1, length(?)) = ?) "
                        "OR lower(title) = lower(?)", (ref, ref, ref, ref)).fetchall()  # fmt: skip


def events(conn: sqlite3.Connection, doc_id: str) -> list[dict]:
    """A document's trail in order, each payload read from JSON."""
    rows = conn.execute("SELECT seq, at, kind, payload FROM document_events WHERE document_id = ? ORDER BY seq",
                        (doc_id,))  # fmt: skip
    return [{"seq": r["seq"], "at": r["at"], "kind": r["kind"], "payload": json.loads(r["payload"])} for r in rows]
