"""Image works' perceptual hashes in SQLite: what a new image is compared with for near duplicates.

The hash is kept in the work's metadata (``phash``, 16 hex digits), so no column was added for it.
"""

from __future__ import annotations

import sqlite3


def image_phashes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(work id, pHash in hex) of every stored image work that has one."""
    return [tuple(r) for r in conn.execute(
        "SELECT id, json_extract(metadata, '$.phash') FROM works "
        "WHERE medium = 'image' AND json_extract(metadata, '$.phash') IS NOT NULL ORDER BY id"
    )]  # fmt: skip
