"""Snapshots in SQLite: which works (text hash, consent event, split) a training froze, and their forms and rights.

The snapshot's folder (its ``manifest.json``, token files) is :mod:`ouvroir.corpus.snapshot`'s; these are its rows.
"""

from __future__ import annotations

import sqlite3

# One frozen work: (work id, text sha256, consent event id, split).
FrozenRow = tuple[str, str, int, str]


def created_at(conn: sqlite3.Connection, snapshot_id: str) -> str | None:
    """When the snapshot was first recorded, or None when it never was."""
    row = conn.execute("SELECT created_at FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
    return row[0] if row else None


def insert_snapshot(conn: sqlite3.Connection, snapshot_id: str, medium: str, created: str, rule: str,
                    train_chars: int, val_chars: int, works: list[FrozenRow]) -> None:  # fmt: skip
    conn.execute(
        "INSERT INTO snapshots (id, medium, created_at, split_rule, train_chars, val_chars) VALUES (?, ?, ?, ?, ?, ?)",
        (snapshot_id, medium, created, rule, train_chars, val_chars),
    )
    conn.executemany(
        "INSERT INTO snapshot_works (snapshot_id, work_id, text_sha256, consent_event_id, split) VALUES (?, ?, ?, ?, ?)",
        [(snapshot_id, *w) for w in works],
    )


def frozen_works(conn: sqlite3.Connection, snapshot_id: str) -> list[FrozenRow]:
    rows = conn.execute("SELECT work_id, text_sha256, consent_event_id, split FROM snapshot_works "
                        "WHERE snapshot_id = ?", (snapshot_id,)).fetchall()  # fmt: skip
    return [tuple(r) for r in rows]


def every_frozen_work(conn: sqlite3.Connection) -> list[tuple[str, str, str, int, str]]:
    """(snapshot id, *frozen work) of every snapshot."""
    rows = conn.execute("SELECT snapshot_id, work_id, text_sha256, consent_event_id, split FROM snapshot_works")
    return [tuple(r) for r in rows]


def split_rules(conn: sqlite3.Connection) -> dict[str, str]:
    """{snapshot id: split rule} of every recorded snapshot."""
    return {r[0]: r[1] for r in conn.execute("SELECT id, split_rule FROM snapshots")}


def work_forms(conn: sqlite3.Connection, snapshot_id: str) -> list[tuple[str, int]]:
    """(form, characters) of each work the snapshot froze that the studio still holds."""
    return [tuple(r) for r in conn.execute(
        "SELECT w.form, w.chars FROM snapshot_works s JOIN works w ON w.id = s.work_id WHERE s.snapshot_id = ?",
        (snapshot_id,),
    )]  # fmt: skip


def frozen_rights(conn: sqlite3.Connection, snapshot_id: str, work_id: str) -> sqlite3.Row | None:
    """A frozen work's licence, form and metadata (None once removed) and the consent event the snapshot relied on."""
    return conn.execute(
        """SELECT w.license, w.form, w.metadata, e.consent, e.reason, e.at FROM snapshot_works sw
           LEFT JOIN works w ON w.id = sw.work_id LEFT JOIN consent_events e ON e.id = sw.consent_event_id
           WHERE sw.snapshot_id = ? AND sw.work_id = ?""",
        (snapshot_id, work_id),
    ).fetchone()
