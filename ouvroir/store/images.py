"""Image works' perceptual hashes in SQLite: what a new image is compared with for near duplicates.

The hash is kept in the work's metadata (``phash``, 16 hex digits), so no column was added for it.
"""

from __future__ import annotations

import sqlite3


def image_phashes(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(work id, pHash in hex, sha256 of its normalized PNG) of every stored image work that has one."""
    return [tuple(r) for r in conn.execute(
        "SELECT id, json_extract(metadata, '$.phash'), text_sha256 FROM works "
        "WHERE medium = 'image' AND json_extract(metadata, '$.phash') IS NOT NULL ORDER BY id"
    )]  # fmt: skip


def event_consents(conn: sqlite3.Connection, event_ids: list[int]) -> dict[int, str]:
    """{consent event id: the consent it recorded} for those of ``event_ids`` that exist."""
    found: dict[int, str] = {}
    for start in range(0, len(event_ids), 900):  # SQLite's default limit of 999 variables a statement
        chunk = list(event_ids[start : start + 900])
        marks = ",".join("?" * len(chunk))
        found.update(tuple(r) for r in conn.execute(f"SELECT id, consent FROM consent_events WHERE id IN ({marks})", chunk))
    return found
