"""Corrections of a work's metadata (title, author, licence, date) as an append-only history, in SQLite.

An edit updates the works row, so every listing, search and sort sees the current values at once, and
appends one event holding each changed field's value before and after. The first event's "before"
values are the ones ingest stored, so nothing is lost; the value a field had at any earlier point is the
"before" of the first later change to it (:func:`value_as_of`). The text, its hash and the consent history
are never touched: an edit is not a withdrawal.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from .db import now
from .works import Work

FIELDS = ("title", "author", "license", "date")  # "date" lives in the work's metadata (as ingest found it)

Change = tuple[str | None, str | None]  # (before, after)


@dataclass(frozen=True)
class MetadataEdit:
    id: int
    work_id: str
    changes: dict[str, Change]
    at: str

    def as_dict(self) -> dict:
        return {"id": self.id, "work_id": self.work_id, "at": self.at,
                "changes": {k: {"before": b, "after": a} for k, (b, a) in self.changes.items()}}  # fmt: skip


def current(work: Work) -> dict[str, str | None]:
    """A work's editable fields as they are now."""
    return {"title": work.title, "author": work.author, "license": work.license, "date": work.metadata.get("date")}


def record_edit(conn: sqlite3.Connection, work: Work, changes: dict[str, Change]) -> MetadataEdit:
    """Apply ``changes`` to the works row and append the event (call it in a transaction)."""
    after = current(work) | {k: new for k, (_, new) in changes.items()}
    metadata = dict(work.metadata)
    if after["date"] is None:
        metadata.pop("date", None)
    else:
        metadata["date"] = after["date"]
    conn.execute(
        "UPDATE works SET title = ?, author = ?, license = ?, metadata = ? WHERE id = ?",
        (after["title"], after["author"], after["license"], json.dumps(metadata, ensure_ascii=False), work.id),
    )
    at = now()
    stored = {k: list(v) for k, v in changes.items()}
    cur = conn.execute("INSERT INTO work_edits (work_id, changes, at) VALUES (?, ?, ?)",
                       (work.id, json.dumps(stored, ensure_ascii=False), at))  # fmt: skip
    return MetadataEdit(cur.lastrowid, work.id, dict(changes), at)


def history(conn: sqlite3.Connection, work_id: str) -> list[MetadataEdit]:
    """The work's edits, oldest first."""
    rows = conn.execute("SELECT id, work_id, changes, at FROM work_edits WHERE work_id = ? ORDER BY id", (work_id,))
    return [MetadataEdit(r["id"], r["work_id"], {k: tuple(v) for k, v in json.loads(r["changes"]).items()}, r["at"])
            for r in rows]  # fmt: skip


def latest_edit_ids(conn: sqlite3.Connection, work_ids: list[str]) -> dict[str, int]:
    """{work id: id of its latest edit} for those of ``work_ids`` that were ever edited."""
    if not work_ids:
        return {}
    marks = ", ".join("?" * len(work_ids))
    rows = conn.execute(f"SELECT work_id, max(id) FROM work_edits WHERE work_id IN ({marks}) GROUP BY work_id",
                        list(work_ids))  # fmt: skip
    return {r[0]: r[1] for r in rows}


def value_as_of(edits: list[MetadataEdit], field: str, upto: int | None, now_value: str | None) -> str | None:
    """What ``field`` said just after edit ``upto`` (None: before any edit), given the work's ``edits`` and its value now.

    >>> e = [MetadataEdit(1, "w", {"title": ("a", "b")}, ""), MetadataEdit(2, "w", {"title": ("b", "c")}, "")]
    >>> value_as_of(e, "title", None, "c"), value_as_of(e, "title", 1, "c"), value_as_of(e, "title", 2, "c")
    ('a', 'b', 'c')
    """
    for edit in edits:
        if (upto is None or edit.id > upto) and field in edit.changes:
            return edit.changes[field][0]
    return now_value
