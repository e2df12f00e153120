"""Works, their rights and their consent history, in SQLite.

The consent rule lives here, in one query (the ``work_consent`` view): a work
is trainable only if its latest consent event says ``train``. Everything that
trains reads :func:`trainable_works`; nothing else decides.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from ..errors import IngestError, WorkNotFound
from .db import now

CONSENTS = ("train", "no-train", "unknown")


@dataclass(frozen=True)
class ConsentEvent:
    id: int
    work_id: str
    consent: str
    reason: str
    origin: str  # ingest | owner-default | tdm-reservation | user
    at: str


@dataclass
class Work:
    id: str
    title: str
    author: str | None
    medium: str
    form: str
    format: str
    license: str
    source: str | None
    original_name: str
    original_sha256: str
    text_sha256: str
    structure_sha256: str
    chars: int
    encoding: str | None
    added_at: str
    consent: str = "unknown"
    consent_reason: str | None = None
    consent_at: str | None = None
    consent_event_id: int | None = None
    notes: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def trainable(self) -> bool:
        return self.consent == "train"

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"trainable": self.trainable}


_SELECT = """
SELECT w.*, c.consent AS consent, c.reason AS consent_reason, c.at AS consent_at, c.event_id AS consent_event_id
FROM works w JOIN work_consent c ON c.work_id = w.id
"""


def _work(row: sqlite3.Row) -> Work:
    data = dict(row)
    data.pop("minhash", None)
    data["notes"] = json.loads(data["notes"])
    data["metadata"] = json.loads(data["metadata"])
    return Work(**data)


class AlreadyPresent(IngestError):
    """The same text is stored already: found by the insert itself, inside the write transaction, so two
    uploads of one file at once give one work and one "already present", never a constraint error."""

    def __init__(self, work: Work) -> None:
        kind = {"score": "music", "image": "image"}.get(work.form, "text")
        super().__init__(f"same {kind} as {work.id} {work.title!r}: not stored twice")
        self.work = work


def insert_work(conn: sqlite3.Connection, work: Work, minhash: bytes | None) -> None:
    """Insert ``work``; raise :class:`AlreadyPresent` when its text is stored already (call it in a transaction)."""
    existing = find_by_text_hash(conn, work.text_sha256)
    if existing is not None:
        raise AlreadyPresent(existing)
    conn.execute(
        """INSERT INTO works (id, title, author, medium, form, format, license, source, original_name,
               original_sha256, text_sha256, structure_sha256, chars, encoding, notes, metadata, minhash, added_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            work.id, work.title, work.author, work.medium, work.form, work.format, work.license, work.source,
            work.original_name, work.original_sha256, work.text_sha256, work.structure_sha256, work.chars,
            work.encoding, json.dumps(work.notes, ensure_ascii=False), json.dumps(work.metadata, ensure_ascii=False),
            minhash, work.added_at,
        ),
    )  # fmt: skip


def append_consent(conn: sqlite3.Connection, work_id: str, consent: str, reason: str, origin: str) -> ConsentEvent:
    if consent not in CONSENTS:
        raise ValueError(f"consent must be one of {', '.join(CONSENTS)}, not {consent!r}")
    at = now()
    cur = conn.execute(
        "INSERT INTO consent_events (work_id, consent, reason, origin, at) VALUES (?, ?, ?, ?, ?)",
        (work_id, consent, reason, origin, at),
    )
    return ConsentEvent(cur.lastrowid, work_id, consent, reason, origin, at)


def consent_history(conn: sqlite3.Connection, work_id: str) -> list[ConsentEvent]:
    rows = conn.execute(
        "SELECT id, work_id, consent, reason, origin, at FROM consent_events WHERE work_id = ? ORDER BY id", (work_id,)
    )
    return [ConsentEvent(**dict(r)) for r in rows]


def _fold(value: str | None) -> str:
    return (value or "").casefold()


def _where(conn: sqlite3.Connection, author: str | None, consent: str | None, medium: str | None,
           q: str | None) -> tuple[str, list]:  # fmt: skip
    clauses, params = [], []
    # SQLite folds ASCII only (COLLATE NOCASE, lower()); "émile" must find "Émile", so Python folds.
    conn.create_function("ouvroir_fold", 1, _fold, deterministic=True)
    if author:
        clauses.append("ouvroir_fold(w.author) = ?")
        params.append(_fold(author.strip()))
    if consent:
        clauses.append("c.consent = ?")
        params.append(consent)
    if medium:
        clauses.append("w.medium = ?")
        params.append(medium)
    if q and q.strip():
        clauses.append("(instr(ouvroir_fold(w.title), ?) > 0 OR instr(ouvroir_fold(w.author), ?) > 0)")
        params += [_fold(q.strip())] * 2
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


def list_works(
    conn: sqlite3.Connection, author: str | None = None, consent: str | None = None, medium: str | None = None,
    q: str | None = None, limit: int | None = None, offset: int = 0,
) -> list[Work]:
    """The works matching every filter given, sorted by author then title; ``limit``/``offset`` take one page.

    One query whatever the number of works: a page of 50 out of 10,000 reads 50 rows into Python.
    """
    where, params = _where(conn, author, consent, medium, q)
    order = "ORDER BY w.author COLLATE NOCASE, w.title COLLATE NOCASE, w.id"
    if limit is None:
        return [_work(r) for r in conn.execute(f"{_SELECT} {where} {order}", params)]
    # The page's ids are sorted alone (no stored signature dragged through the sort, and the latest-consent
    # lookup only when filtering on it); then only those rows are read whole.
    source = "works w JOIN work_consent c ON c.work_id = w.id" if consent else "works w"
    ids = f"SELECT w.id FROM {source} {where} {order} LIMIT ? OFFSET ?"
    rows = conn.execute(f"{_SELECT} WHERE w.id IN ({ids}) {order}", [*params, max(0, limit), max(0, offset)])
    return [_work(r) for r in rows]


def count_by_consent(
    conn: sqlite3.Connection, author: str | None = None, consent: str | None = None, medium: str | None = None,
    q: str | None = None,
) -> dict[str, int]:
    """How many works match the filters, per latest consent (every key of CONSENTS present): one query."""
    where, params = _where(conn, author, consent, medium, q)
    rows = conn.execute(f"SELECT c.consent, count(*) FROM works w JOIN work_consent c ON c.work_id = w.id {where} "
                        "GROUP BY c.consent", params)  # fmt: skip
    return dict.fromkeys(CONSENTS, 0) | {r[0]: r[1] for r in rows}


def count_unlicensed(
    conn: sqlite3.Connection, author: str | None = None, consent: str | None = None, medium: str | None = None,
    q: str | None = None,
) -> int:
    """How many works matching the filters have the licence ``unknown`` (what an institution cannot publish)."""
    where, params = _where(conn, author, consent, medium, q)
    where = f"{where} AND w.license = 'unknown'" if where else "WHERE w.license = 'unknown'"
    row = conn.execute(f"SELECT count(*) FROM works w JOIN work_consent c ON c.work_id = w.id {where}", params)
    return row.fetchone()[0]


def refused(conn: sqlite3.Connection, work_ids: list[str]) -> list[Work]:
    """Those of ``work_ids`` whose latest consent event is an explicit ``no-train`` (a refusal or a withdrawal)."""
    if not work_ids:
        return []
    marks = ", ".join("?" * len(work_ids))
    rows = conn.execute(f"{_SELECT} WHERE w.id IN ({marks}) AND c.consent = 'no-train' "
                        "ORDER BY w.author COLLATE NOCASE, w.title COLLATE NOCASE, w.id", list(work_ids))  # fmt: skip
    return [_work(r) for r in rows]


def trainable_works(conn: sqlite3.Connection, medium: str | None = None) -> list[Work]:
    """The works whose latest consent event says ``train`` — the only ones training may read."""
    return list_works(conn, consent="train", medium=medium)


def find_by_text_hash(conn: sqlite3.Connection, text_sha256: str) -> Work | None:
    row = conn.execute(f"{_SELECT} WHERE w.text_sha256 = ?", (text_sha256,)).fetchone()
    return _work(row) if row else None


def resolve(conn: sqlite3.Connection, ref: str) -> Work:
    """Find a work by id, unique id prefix (4+ characters), or exact title (case-insensitive).

    Ambiguity is an error that lists the candidates, never a guess.
    """
    ref = ref.strip()
    row = conn.execute(f"{_SELECT} WHERE w.id = ?", (ref,)).fetchone()
    if row:
        return _work(row)
    candidates: list[sqlite3.Row] = []
    if len(ref) >= 4 and all(c in "0123456789abcdef" for c in ref.lower()):
        candidates = conn.execute(f"{_SELECT} WHERE w.id LIKE ?", (ref.lower() + "%",)).fetchall()
    if not candidates:
        candidates = conn.execute(f"{_SELECT} WHERE w.title = ? COLLATE NOCASE", (ref,)).fetchall()
    if len(candidates) == 1:
        return _work(candidates[0])
    if not candidates:
        raise WorkNotFound(f"no work matches {ref!r} (give an id from `ouvroir works`, a unique id prefix, or a title)")
    listed = "; ".join(f"{r['id']} {r['title']!r} by {r['author'] or 'unknown'}" for r in candidates[:10])
    raise WorkNotFound(f"{ref!r} matches {len(candidates)} works: {listed}. Give the id.")


def near_duplicates(conn: sqlite3.Connection, work_id: str) -> list[dict]:
    rows = conn.execute(
        """SELECT n.other_id, n.measure, n.similarity, w.title, w.author FROM near_duplicates n
           LEFT JOIN works w ON w.id = n.other_id WHERE n.work_id = ?
           UNION ALL
           SELECT n.work_id, n.measure, n.similarity, w.title, w.author FROM near_duplicates n
           JOIN works w ON w.id = n.work_id WHERE n.other_id = ? AND n.other_id != n.work_id
           ORDER BY 3 DESC""",
        (work_id, work_id),
    )
    return [dict(r) for r in rows]


def delete_work(conn: sqlite3.Connection, work: Work) -> None:
    """Remove a work with its consent history and indexes; keep a removal record."""
    conn.execute(
        "INSERT INTO removals (work_id, title, author, text_sha256, removed_at) VALUES (?, ?, ?, ?, ?)",
        (work.id, work.title, work.author, work.text_sha256, now()),
    )
    conn.execute("DELETE FROM near_duplicates WHERE work_id = ? OR other_id = ?", (work.id, work.id))
    conn.execute("DELETE FROM works WHERE id = ?", (work.id,))
    # The work row is gone, so the append-only trigger lets its events go with it.
    conn.execute("DELETE FROM consent_events WHERE work_id = ?", (work.id,))


# Every column that points at a blob. Later migrations that reference blobs add theirs here,
# so that removal and `check` stay right.
BLOB_REFERENCES: list[tuple[str, str]] = [
    ("works", "original_sha256"),
    ("works", "text_sha256"),
    ("works", "structure_sha256"),
    ("snapshot_works", "text_sha256"),  # a snapshot keeps the texts it froze, for provenance
]


def blob_is_referenced(conn: sqlite3.Connection, sha256: str) -> bool:
    return any(
        conn.execute(f"SELECT 1 FROM {table} WHERE {column} = ? LIMIT 1", (sha256,)).fetchone()
        for table, column in BLOB_REFERENCES
    )


def referenced_blobs(conn: sqlite3.Connection) -> set[str]:
    hashes: set[str] = set()
    for table, column in BLOB_REFERENCES:
        hashes.update(r[0] for r in conn.execute(f"SELECT {column} FROM {table}"))
    return hashes


def forget_blobs(conn: sqlite3.Connection, hashes: list[str]) -> None:
    """Drop the rows of blobs nothing references any more (their files go after the commit)."""
    conn.executemany("DELETE FROM blobs WHERE sha256 = ?", [(h,) for h in hashes])


def record_blob(conn: sqlite3.Connection, sha256: str, size: int, created_at: str) -> None:
    """A blob file's row (kept as it was when the same bytes were stored before)."""
    conn.execute("INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, ?, ?)", (sha256, size, created_at))


def consent_of(conn: sqlite3.Connection, work_id: str) -> str | None:
    """A work's current consent, or None when there is no such work."""
    row = conn.execute("SELECT consent FROM work_consent WHERE work_id = ?", (work_id,)).fetchone()
    return row[0] if row else None


def title_and_author(conn: sqlite3.Connection, work_id: str) -> tuple[str | None, str | None]:
    row = conn.execute("SELECT title, author FROM works WHERE id = ?", (work_id,)).fetchone()
    return (row[0], row[1]) if row else (None, None)


def title_even_removed(conn: sqlite3.Connection, work_id: str) -> str | None:
    """A work's title, or after its removal the one its latest removal record kept."""
    row = conn.execute(
        """SELECT COALESCE((SELECT title FROM works WHERE id = ?),
                           (SELECT title FROM removals WHERE work_id = ? ORDER BY removed_at DESC LIMIT 1))""",
        (work_id, work_id),
    ).fetchone()
    return row[0]


def is_held(conn: sqlite3.Connection, work_id: str) -> bool:
    return conn.execute("SELECT 1 FROM works WHERE id = ?", (work_id,)).fetchone() is not None


def last_removed_at(conn: sqlite3.Connection, work_id: str) -> str | None:
    """When the work was last removed (a work may be added and removed again), or None if it never was."""
    row = conn.execute("SELECT max(removed_at) FROM removals WHERE work_id = ?", (work_id,)).fetchone()
    return row[0] if row else None


def work_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM works").fetchone()[0]
