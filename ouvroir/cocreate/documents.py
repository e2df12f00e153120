"""Co-written documents in the store: each change checked against the version its caller last saw.

A document is one row of ``documents`` (its ledger as a JSON state) and an append-only trail in
``document_events``. Every change runs in one SQLite transaction and names the ``version`` the
caller last saw: if the document changed since (another tab, the CLI), it raises
:class:`DocumentConflict` (HTTP 409) and changes nothing, so no edit is silently lost.

Suggestions are ordinary samples (``samples/<id>.txt`` with their signed provenance). Accepting
one names its sample id; its text is read back from the studio, checked against the hash stored
when it was generated, never taken from the client.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Protocol

from ..errors import DocumentConflict, DocumentError, DocumentNotFound
from ..fileio import sha256_bytes
from ..store import documents as document_store
from ..store import models as model_store
from ..store.db import now, transaction
from .ledger import Accept, Ledger, Op, Step, parse_ops


class Studio(Protocol):
    """What co-creation needs of the studio it is handed (the workshop's ``Studio``, never imported here)."""

    root: Path
    conn: sqlite3.Connection

MAX_TITLE = 200
MAX_SUGGESTIONS = 5
PROMPT_CHARS = 4_000  # first try; shortened further when the model's context is smaller
_LANG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_BREAKS = re.compile(r"[ \t]*[\x00-\x1f\x7f\x85\u2028\u2029]+[ \t]*")


def as_typed(text: str) -> str:
    """A model's text as an editor holds it: a browser's text area turns every CR and CRLF into LF, so a
    suggestion carrying them (a barely trained model emits any byte) is inserted, shown and verified that way."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class Suggestion:
    sample_id: str
    model_id: str
    text: str  # the continuation only, without the prompt (a rewrite: the middle only)
    before: str | None = None  # a rewrite's sides: the text it was written between
    after: str | None = None
    complete: bool | None = None  # a rewrite that ended by itself, not at the length asked for

    def as_dict(self) -> dict:
        return {"sample_id": self.sample_id, "model_id": self.model_id, "text": self.text} | (
            {"complete": self.complete} if self.after is not None else {})  # fmt: skip


@dataclass
class Doc:
    id: str
    title: str
    lang: str
    created_at: str
    updated_at: str
    version: int
    ledger: Ledger

    @property
    def text(self) -> str:
        return self.ledger.text

    @cached_property
    def spans(self) -> list[dict]:
        return self.ledger.spans()

    @cached_property
    def summary(self) -> dict:
        return self.ledger.summary()

    @property
    def can_undo(self) -> bool:
        return self.ledger.can_undo

    @property
    def can_redo(self) -> bool:
        return self.ledger.can_redo

    def as_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "lang": self.lang, "created_at": self.created_at,
                "updated_at": self.updated_at, "version": self.version, "text": self.text, "spans": self.spans,
                "summary": self.summary, "pieces": self.ledger.piece_states(), "can_undo": self.can_undo,
                "can_redo": self.can_redo}  # fmt: skip


def _doc(row: sqlite3.Row) -> Doc:
    try:
        state = json.loads(row["state"])
    except ValueError as exc:
        raise DocumentError(f"document {row['id']}'s stored state is damaged ({exc})") from exc
    return Doc(row["id"], row["title"], row["lang"], row["created_at"], row["updated_at"], row["version"],
               Ledger.from_json(state))  # fmt: skip


def _state(ledger: Ledger) -> str:
    return json.dumps(ledger.to_json(), ensure_ascii=False, separators=(",", ":"))


def _title(title: object) -> str:
    # One line; other spaces (a French no-break space before a colon) are kept as typed.
    cleaned = _BREAKS.sub(" ", title).strip() if isinstance(title, str) else ""
    if not cleaned:
        raise DocumentError("a document needs a title")
    if len(cleaned) > MAX_TITLE:
        raise DocumentError(f"a title has at most {MAX_TITLE} characters (this one has {len(cleaned)})")
    return cleaned


# -- reading ----------------------------------------------------------------------------------------


def create_document(studio: Studio, title: str, lang: str = "fr") -> Doc:
    title = _title(title)
    if not isinstance(lang, str) or not _LANG.fullmatch(lang):
        raise DocumentError(f"unknown language {lang!r}: give a language code such as 'fr' or 'en'")
    created = now()
    doc = Doc("d" + secrets.token_hex(5), title, lang, created, created, 1, Ledger())
    with transaction(studio.conn) as conn:
        document_store.insert_document(conn, doc.id, title, lang, doc.created_at, doc.updated_at, doc.version,
                                       _state(doc.ledger))  # fmt: skip
        document_store.append_event(conn, doc.id, 1, doc.created_at, "create", {"title": title, "lang": lang})
    return doc


def list_documents(studio: Studio) -> list[Doc]:
    """Every document, the most recently changed first."""
    return [_doc(r) for r in document_store.document_rows(studio.conn)]


def get_document(studio: Studio, ref: str) -> Doc:
    """A document by id, unique id prefix, or title (not minding case)."""
    conn = studio.conn
    row = document_store.document_row(conn, ref)
    if row is not None:
        return _doc(row)
    rows = document_store.rows_matching(conn, ref)
    if not rows:
        raise DocumentNotFound(f"no document matches {ref!r}: `ouvroir docs list` lists them")
    if len(rows) > 1:
        raise DocumentNotFound(f"{ref!r} matches {len(rows)} documents ({', '.join(r['id'] for r in rows)}): give its id")
    return _doc(rows[0])


def document_events(studio: Studio, doc_id: str) -> list[dict]:
    return document_store.events(studio.conn, doc_id)


# -- changing ---------------------------------------------------------------------------------------


def _change(studio: Studio, doc_id: str, version: int, change: Callable[[Doc, str], tuple[str, dict] | None]) -> Doc:
    """Run ``change(doc, when)`` on the stored document if it is still at ``version``; save and log what it did.

    ``change`` returns (event kind, payload), or None when it changed nothing (nothing saved).
    """
    if isinstance(version, bool) or not isinstance(version, int):
        raise DocumentError(f"a change names the document version it was made on (a whole number), not {version!r}")
    with transaction(studio.conn) as conn:  # BEGIN IMMEDIATE: the version read here cannot change under us
        row = document_store.document_row(conn, doc_id)
        if row is None:
            raise DocumentNotFound(f"no document {doc_id!r} in this studio")
        doc = _doc(row)
        if doc.version != version:
            raise DocumentConflict(f"document {doc_id!r} changed elsewhere (now version {doc.version}, this change "
                                   f"was made on version {version}): reload it")  # fmt: skip
        when = now()
        done = change(doc, when)
        if done is None:
            return doc
        doc = Doc(doc.id, doc.title, doc.lang, doc.created_at, when, version + 1, doc.ledger)
        document_store.update_document(conn, doc.id, doc.title, when, doc.version, _state(doc.ledger))
        document_store.append_event(conn, doc.id, doc.version, when, *done)
    return doc


def apply(studio: Studio, doc_id: str, version: int, ops: list[dict], allow_withdrawn: bool = False) -> Doc:
    """Apply a transaction of ops (one undo step; see ``ledger.parse_ops``), all or nothing.

    A suggestion from a model trained on works whose consent is withdrawn is refused unless
    ``allow_withdrawn``.
    """
    resolved = _resolve_accepts(studio, parse_ops(ops), allow_withdrawn)

    def change(doc: Doc, when: str) -> tuple[str, dict] | None:
        pieces_before = len(doc.ledger.pieces)
        step = doc.ledger.apply(resolved, when)
        if step is None:
            return None
        added = iter(doc.ledger.pieces[pieces_before:])  # one per accept, in order: each knows what it replaced
        return step.kind, {"ops": [_op_json(op, next(added) if isinstance(op, Accept) else None) for op in resolved]}

    return _change(studio, doc_id, version, change)


def _step_payload(step: Step) -> dict:
    return {"step": step.kind, "step_at": step.at}


def undo(studio: Studio, doc_id: str, version: int) -> Doc:
    return _change(studio, doc_id, version, lambda doc, when: ("undo", _step_payload(doc.ledger.undo())))


def redo(studio: Studio, doc_id: str, version: int) -> Doc:
    return _change(studio, doc_id, version, lambda doc, when: ("redo", _step_payload(doc.ledger.redo())))


def rename(studio: Studio, doc_id: str, version: int, title: str) -> Doc:
    title = _title(title)

    def change(doc: Doc, when: str) -> tuple[str, dict] | None:
        if title == doc.title:
            return None
        before, doc.title = doc.title, title
        return "rename", {"from": before, "to": title}

    return _change(studio, doc_id, version, change)


def _op_json(op: Op, piece=None) -> dict:
    if isinstance(op, Accept):
        return {"type": "accept", "at": op.at, "delete": op.delete, "sample_id": op.sample_id, "model_id": op.model_id,
                "chars": len(op.text)} | ({"rewrite": True} if op.after is not None else {}) | (
                    {"replaced": piece.replaced} if piece and piece.replaced else {})  # fmt: skip
    return {"type": "edit", "at": op.at, "delete": op.delete, "insert": op.insert}


# -- suggestions ------------------------------------------------------------------------------------


def refuse_music(studio: Studio, model_id: str, snapshot_id: str) -> None:
    if model_store.snapshot_medium(studio.conn, snapshot_id) == "music":
        raise DocumentError(f"model {model_id} was trained on music: it writes note events, not prose. "
                            "Choose a model trained on texts to write with.")  # fmt: skip


def checked_sample_bytes(studio: Studio, row, error: type[Exception] = DocumentError, noun: str = "suggestion",
                         what: str = "text") -> bytes:  # fmt: skip
    """A stored sample's file, refused with ``error`` when it is missing or differs from its recorded hash."""
    path = studio.root / row["path"]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"the {what} of {noun} {row['id']} is missing ({path}: {exc.strerror or exc})") from exc
    if sha256_bytes(data) != row["text_sha256"]:
        raise error(f"{noun} {row['id']} changed since it was generated ({path.name} does not match its hash)")
    return data


def checked_sample_text(studio: Studio, row, error: type[Exception] = DocumentError, noun: str = "suggestion") -> str:
    """A stored sample's text, refused with ``error`` when its file is missing or differs from its recorded hash."""
    return checked_sample_bytes(studio, row, error, noun).decode("utf-8")


def stored_suggestion(studio: Studio, sample_id: str) -> Suggestion:
    """A sample's continuation as the studio stored it, checked against the hash taken when it was generated."""
    row = model_store.sample_row(studio.conn, sample_id)
    if row is None:
        raise DocumentError(f"no suggestion {sample_id!r} in this studio: ask the model for one first")
    full = checked_sample_text(studio, row)
    if not full.startswith(row["prompt"]):
        raise DocumentError(f"suggestion {sample_id} does not begin with its prompt: its record is damaged")
    middle = json.loads(row["params"]).get("infill")
    if middle:  # a middle written between two passages: the sample holds before, middle and after
        start, end = len(row["prompt"]), len(row["prompt"]) + middle["middle_chars"]
        return Suggestion(sample_id, row["model_id"], as_typed(full[start:end]), row["prompt"], full[end:],
                          middle.get("complete"))  # fmt: skip
    return Suggestion(sample_id, row["model_id"], as_typed(full[len(row["prompt"]):]))


def sample_suggestion(studio: Studio, sample_id: str) -> Suggestion:
    """A suggestion that may be accepted: stored, unchanged, from a ready text model."""
    suggestion = stored_suggestion(studio, sample_id)
    state = model_store.model_state(studio.conn, suggestion.model_id)
    if state is None or state[0] != "ready":
        status = state[0] if state else "missing"
        raise DocumentError(f"suggestion {sample_id} comes from model {suggestion.model_id}, which is not ready ({status})")
    refuse_music(studio, suggestion.model_id, state[1])
    return suggestion


def _resolve_accepts(studio: Studio, ops: list[Op], allow_withdrawn: bool = False) -> list[Op]:
    found: dict[str, Suggestion] = {}
    resolved: list[Op] = []
    for op in ops:
        if isinstance(op, Accept):
            if op.sample_id not in found:
                found[op.sample_id] = sample_suggestion(studio, op.sample_id)
                # Generated before the withdrawal (or with --allow-withdrawn): accepting it still uses the model.
                record = model_store.resolve_model(studio.conn, found[op.sample_id].model_id)
                model_store.refuse_withdrawn(studio.conn, record, "allow it explicitly to accept the suggestion anyway",
                                             allow_withdrawn)  # fmt: skip
            s = found[op.sample_id]
            op = replace(op, text=s.text, model_id=s.model_id, before=s.before, after=s.after)
        resolved.append(op)
    return resolved
