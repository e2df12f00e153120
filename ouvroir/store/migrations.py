"""Versioned schema: an ordered list of migrations, each applied in its own transaction.

The schema version is SQLite's ``user_version``. A migration is never edited
once released; a change is a new function appended to ``MIGRATIONS``, and
tests migrate a blank database and every earlier version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ..errors import StudioError
from .db import transaction


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute statements one by one: ``executescript`` would COMMIT the migration's transaction first."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement[:80]!r}")


def _v1_studio(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE studio_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
            size INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );

        CREATE TABLE works (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            author TEXT,
            medium TEXT NOT NULL DEFAULT 'text',
            form TEXT NOT NULL,
            format TEXT NOT NULL,
            license TEXT NOT NULL,
            source TEXT,
            original_name TEXT NOT NULL,
            original_sha256 TEXT NOT NULL REFERENCES blobs(sha256) DEFERRABLE INITIALLY DEFERRED,
            text_sha256 TEXT NOT NULL UNIQUE REFERENCES blobs(sha256) DEFERRABLE INITIALLY DEFERRED,
            structure_sha256 TEXT NOT NULL REFERENCES blobs(sha256) DEFERRABLE INITIALLY DEFERRED,
            chars INTEGER NOT NULL,
            encoding TEXT,
            notes TEXT NOT NULL DEFAULT '[]',
            metadata TEXT NOT NULL DEFAULT '{}',
            minhash BLOB,
            added_at TEXT NOT NULL
        );
        CREATE INDEX works_author ON works(author);

        -- Append-only: the consent history of a work is never rewritten.
        CREATE TABLE consent_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            work_id TEXT NOT NULL REFERENCES works(id) DEFERRABLE INITIALLY DEFERRED,
            consent TEXT NOT NULL CHECK (consent IN ('train', 'no-train', 'unknown')),
            reason TEXT NOT NULL,
            origin TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX consent_events_work ON consent_events(work_id, id);
        CREATE TRIGGER consent_events_append_only BEFORE UPDATE ON consent_events
        BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END;
        -- Events go only with their work (ouvroir remove), never one by one.
        CREATE TRIGGER consent_events_kept BEFORE DELETE ON consent_events
        WHEN EXISTS (SELECT 1 FROM works WHERE id = OLD.work_id)
        BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END;

        CREATE VIEW work_consent AS
        SELECT w.id AS work_id, e.id AS event_id, COALESCE(e.consent, 'unknown') AS consent, e.reason, e.at
        FROM works w
        LEFT JOIN consent_events e ON e.id = (SELECT max(id) FROM consent_events WHERE work_id = w.id);

        -- Passages (paragraphs, stanzas, speeches) by hash, to find text shared between works.
        CREATE TABLE passages (
            work_id TEXT NOT NULL REFERENCES works(id) ON DELETE CASCADE,
            hash INTEGER NOT NULL,
            chars INTEGER NOT NULL
        );
        CREATE INDEX passages_hash ON passages(hash);
        CREATE INDEX passages_work ON passages(work_id);

        CREATE TABLE near_duplicates (
            work_id TEXT NOT NULL REFERENCES works(id) ON DELETE CASCADE,
            other_id TEXT NOT NULL,
            measure TEXT NOT NULL,
            similarity REAL NOT NULL,
            detected_at TEXT NOT NULL
        );
        CREATE INDEX near_duplicates_work ON near_duplicates(work_id);

        CREATE TABLE removals (
            work_id TEXT NOT NULL,
            title TEXT NOT NULL,
            author TEXT,
            text_sha256 TEXT NOT NULL,
            removed_at TEXT NOT NULL
        );
        """
    )


def _v2_training(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- A frozen set of consenting works, by content hash, as trained on.
        CREATE TABLE snapshots (
            id TEXT PRIMARY KEY,
            medium TEXT NOT NULL,
            created_at TEXT NOT NULL,
            split_rule TEXT NOT NULL,
            train_chars INTEGER NOT NULL,
            val_chars INTEGER NOT NULL
        );
        CREATE TABLE snapshot_works (
            snapshot_id TEXT NOT NULL REFERENCES snapshots(id),
            work_id TEXT NOT NULL,
            text_sha256 TEXT NOT NULL REFERENCES blobs(sha256) DEFERRABLE INITIALLY DEFERRED,
            consent_event_id INTEGER NOT NULL,
            split TEXT NOT NULL CHECK (split IN ('train', 'val', 'both')),
            PRIMARY KEY (snapshot_id, work_id)
        );
        CREATE INDEX snapshot_works_work ON snapshot_works(work_id);

        CREATE TABLE models (
            id TEXT PRIMARY KEY,
            snapshot_id TEXT NOT NULL REFERENCES snapshots(id),
            created_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('training', 'ready', 'failed')),
            size TEXT NOT NULL,
            parameters INTEGER,
            val_bpb REAL,
            train_seconds REAL,
            steps INTEGER,
            device TEXT,
            config TEXT NOT NULL DEFAULT '{}',
            weights_sha256 TEXT
        );

        CREATE TABLE samples (
            id TEXT PRIMARY KEY,
            model_id TEXT NOT NULL REFERENCES models(id),
            created_at TEXT NOT NULL,
            prompt TEXT NOT NULL,
            params TEXT NOT NULL,
            seed INTEGER NOT NULL,
            text_sha256 TEXT NOT NULL,
            path TEXT NOT NULL
        );
        CREATE INDEX samples_model ON samples(model_id);
        """,
    )


def _v3_audits(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- An audit of a model's samples, or of given texts, against a corpus index.
        CREATE TABLE audits (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            subject TEXT NOT NULL CHECK (subject IN ('model', 'texts')),
            model_id TEXT REFERENCES models(id),
            snapshot_id TEXT REFERENCES snapshots(id),
            index_id TEXT NOT NULL,
            lang TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '{}',
            path TEXT NOT NULL
        );
        CREATE INDEX audits_model ON audits(model_id);
        """,
    )


def _v4_documents(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- A co-written document: its text, who wrote each character, and its undo history, as one
        -- JSON state (see ouvroir.cocreate.ledger). version counts changes, for optimistic locking.
        CREATE TABLE documents (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            lang TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1),
            state TEXT NOT NULL
        );

        -- Append-only: every change to a document, in order (seq is the version it produced).
        CREATE TABLE document_events (
            document_id TEXT NOT NULL REFERENCES documents(id),
            seq INTEGER NOT NULL,
            at TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('create', 'edit', 'accept', 'undo', 'redo', 'rename')),
            payload TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (document_id, seq)
        );
        CREATE TRIGGER document_events_append_only BEFORE UPDATE ON document_events
        BEGIN SELECT RAISE(ABORT, 'a document''s history is append-only'); END;
        CREATE TRIGGER document_events_kept BEFORE DELETE ON document_events
        WHEN EXISTS (SELECT 1 FROM documents WHERE id = OLD.document_id)
        BEGIN SELECT RAISE(ABORT, 'a document''s history is append-only'); END;
        """,
    )


def _v5_model_names(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- A name the person gives a model (train --name, rename); a model can be named wherever an
        -- id is accepted, so two models never share one.
        ALTER TABLE models ADD COLUMN name TEXT;
        CREATE UNIQUE INDEX models_name ON models(name) WHERE name IS NOT NULL;
        """,
    )


def _v6_work_edits(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- Append-only: every correction of a work's title, author, licence or date, as
        -- {field: [before, after]} (see ouvroir.store.edits). The works row holds the values after the
        -- latest edit; the text and its hash are never edited, and neither is consent.
        CREATE TABLE work_edits (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            work_id TEXT NOT NULL REFERENCES works(id) DEFERRABLE INITIALLY DEFERRED,
            changes TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX work_edits_work ON work_edits(work_id, id);
        CREATE TRIGGER work_edits_append_only BEFORE UPDATE ON work_edits
        BEGIN SELECT RAISE(ABORT, 'a work''s edit history is append-only'); END;
        CREATE TRIGGER work_edits_kept BEFORE DELETE ON work_edits
        WHEN EXISTS (SELECT 1 FROM works WHERE id = OLD.work_id)
        BEGIN SELECT RAISE(ABORT, 'a work''s edit history is append-only'); END;
        -- The history goes with its work (ouvroir remove), as its consent events do.
        CREATE TRIGGER work_edits_removed AFTER DELETE ON works
        BEGIN DELETE FROM work_edits WHERE work_id = OLD.id; END;
        """,
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1_studio, _v2_training, _v3_audits, _v4_documents, _v5_model_names, _v6_work_edits,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to the latest schema; return how many migrations ran."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise StudioError(
            f"this studio was written by a newer ouvroir (schema {version}, this one knows {SCHEMA_VERSION}): upgrade ouvroir"
        )
    for number in range(version, SCHEMA_VERSION):
        with transaction(conn):
            MIGRATIONS[number](conn)
            conn.execute(f"PRAGMA user_version = {number + 1}")
    return SCHEMA_VERSION - version
