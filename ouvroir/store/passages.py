"""Passages, MinHash signatures and near-duplicate relations in SQLite: what a new work is compared with.

The measures and thresholds live in :mod:`ouvroir.corpus.dedup`; these functions only read and record.
"""

from __future__ import annotations

import sqlite3

# SQLite's default limit on ``?`` variables in one statement is 999: a long work's hashes go in chunks.
_CHUNK = 900


def refused_minhashes(conn: sqlite3.Connection, min_chars: int) -> list[tuple[str, bytes]]:
    """(id, signature) of the works whose consent is not ``train``, with a signature and ``min_chars`` or more."""
    return [tuple(r) for r in conn.execute(
        "SELECT w.id, w.minhash FROM works w JOIN work_consent c ON c.work_id = w.id "
        "WHERE c.consent != 'train' AND w.minhash IS NOT NULL AND w.chars >= ?",
        (min_chars,),
    )]  # fmt: skip


def minhashes(conn: sqlite3.Connection) -> list[tuple[str, bytes]]:
    """(id, signature) of every stored work that has one."""
    return [tuple(r) for r in conn.execute("SELECT id, minhash FROM works WHERE minhash IS NOT NULL")]


def passages_with(conn: sqlite3.Connection, hashes: list[int]) -> list[tuple[str, int, int]]:
    """(work id, hash, characters) of every stored passage whose hash is one of ``hashes``."""
    found = []
    for start in range(0, len(hashes), _CHUNK):
        chunk = hashes[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        found += [tuple(r) for r in conn.execute(f"SELECT work_id, hash, chars FROM passages WHERE hash IN ({marks})", chunk)]
    return found


def work_sizes(conn: sqlite3.Connection, work_ids: list[str]) -> list[tuple[str, int]]:
    """(id, characters) of the stored works among ``work_ids``."""
    marks = ",".join("?" * len(work_ids))
    return [tuple(r) for r in conn.execute(f"SELECT id, chars FROM works WHERE id IN ({marks})", work_ids)]


def record_passages(conn: sqlite3.Connection, work_id: str, passages: list[tuple[int, int]]) -> None:
    """A new work's passages: (hash, characters) each."""
    conn.executemany("INSERT INTO passages (work_id, hash, chars) VALUES (?, ?, ?)",
                     [(work_id, h, n) for h, n in passages])  # fmt: skip


def record_near_duplicates(conn: sqlite3.Connection, rows: list[tuple[str, str, str, float, str]]) -> None:
    """(work id, other id, measure, similarity, detected at) each; a work's own repeated passages name itself."""
    conn.executemany(
        "INSERT INTO near_duplicates (work_id, other_id, measure, similarity, detected_at) VALUES (?, ?, ?, ?, ?)",
        rows,
    )


def copy_relations(conn: sqlite3.Connection) -> list[tuple]:
    """Every recorded relation between two works of which at least one's consent is not ``train``, closest first:
    (work id, title, consent, other id, other title, other consent, measure, similarity)."""
    return [tuple(r) for r in conn.execute(
        """SELECT n.work_id, a.title, ca.consent, n.other_id, b.title, cb.consent, n.measure, max(n.similarity)
           FROM near_duplicates n
           JOIN works a ON a.id = n.work_id JOIN work_consent ca ON ca.work_id = n.work_id
           JOIN works b ON b.id = n.other_id JOIN work_consent cb ON cb.work_id = n.other_id
           WHERE n.work_id != n.other_id AND (ca.consent != 'train' OR cb.consent != 'train')
           GROUP BY n.work_id, n.other_id, n.measure ORDER BY max(n.similarity) DESC, n.work_id, n.other_id"""
    )]  # fmt: skip
