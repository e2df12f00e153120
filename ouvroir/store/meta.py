"""The studio's own record in SQLite (``studio_meta``): when and by which ouvroir it was made, its owner."""

from __future__ import annotations

import sqlite3


def record_creation(conn: sqlite3.Connection, created_at: str, created_by: str, owner: str | None) -> None:
    """The first creation's date and version are kept; an owner given again replaces the previous one."""
    conn.execute("INSERT OR IGNORE INTO studio_meta VALUES ('created_at', ?)", (created_at,))
    conn.execute("INSERT OR IGNORE INTO studio_meta VALUES ('created_by', ?)", (created_by,))
    if owner is not None:
        conn.execute("INSERT OR REPLACE INTO studio_meta VALUES ('owner', ?)", (owner,))


def meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM studio_meta").fetchall())


def owner(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM studio_meta WHERE key = 'owner'").fetchone()
    return row[0] if row else None
