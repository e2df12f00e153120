"""Files become works: read, normalize, de-duplicate, store with rights and consent.

One file at a time, one transaction per work: a bad file gets one clear
reason and the batch goes on; a crash leaves every stored work whole.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..errors import DiskFull, IngestError, is_disk_full
from ..media.document import ParsedWork, blocks_to_json, clean_label
from ..media.formats import TEXT_SUFFIXES, many_reader_for
from ..store import passages as passage_store
from ..store import works as store
from ..store.blobs import BlobStore, sha256_bytes
from ..store.db import now, transaction
from . import copies, dedup
from .files import Candidate, read_file
from .rights import RightsError, check_consent, check_license

MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass
class AddOptions:
    """Metadata given on the command line; a manifest row overrides it per file, and it overrides the file's own."""

    author: str | None = None
    title: str | None = None
    license: str | None = None
    consent: str | None = None
    source: str | None = None
    reason: str | None = None
    author_from_dir: bool = False
    max_file_bytes: int = MAX_FILE_BYTES


@dataclass
class FileOutcome:
    path: Path
    status: Literal["added", "duplicate", "failed"]
    message: str
    work: store.Work | None = None
    notes: list[str] = field(default_factory=list)
    near_duplicates: list[dedup.NearDuplicate] = field(default_factory=list)


def ingest(
    conn: sqlite3.Connection, blobs: BlobStore, candidate: Candidate, options: AddOptions, owner: str | None
) -> list[FileOutcome]:
    """One outcome per work the file holds (several for an ABC file of several tunes), or one failure."""
    path = candidate.path
    if candidate.error:
        return [FileOutcome(path, "failed", candidate.error)]
    try:
        suffix = path.suffix.lower()
        reader = many_reader_for(suffix)
        if reader is None:
            known = " ".join(sorted(TEXT_SUFFIXES))
            raise IngestError(f"unknown format {suffix or '(no extension)'!r}; ouvroir reads {known}")
        data = read_file(path, options.max_file_bytes)
        if not data:
            raise IngestError("empty file")
        works = parse_bytes(reader, data, path.name)
    except (IngestError, RightsError) as exc:
        return [FileOutcome(path, "failed", str(exc))]
    outcomes = []
    for number, parsed in enumerate(works, 1):
        label = "" if len(works) == 1 else f" (tune {parsed.metadata.get('abc-tune') or number})"
        try:
            outcomes.append(_ingest(conn, blobs, candidate, options, owner, data, parsed, label))
        except store.AlreadyPresent as exc:  # the same text, stored meanwhile by another upload or process
            outcomes.append(FileOutcome(path, "duplicate", f"{exc}{label}", exc.work))
        except (IngestError, RightsError) as exc:  # RightsError: a manifest row's bad licence or consent
            outcomes.append(FileOutcome(path, "failed", f"{exc}{label}"))
        except Exception as exc:  # a bug must not cost the user the rest of the batch; say it is one
            if is_disk_full(exc):  # but every next file would fail alike: stop the batch with one line
                raise DiskFull(f"disk full while adding {path.name}: free space and run again") from exc
            outcomes.append(FileOutcome(path, "failed", f"internal error, please report it: {type(exc).__name__}: {exc}"))
    return outcomes


def _ingest(conn, blobs: BlobStore, candidate: Candidate, options: AddOptions, owner: str | None, data: bytes,
            parsed: ParsedWork, label: str) -> FileOutcome:  # fmt: skip
    path = candidate.path
    suffix = path.suffix.lower()
    text = parsed.text
    if not text.strip():
        raise IngestError("no notes found in the file" if parsed.form == "score" else "no text found in the file")
    text_bytes = text.encode("utf-8")
    text_sha = sha256_bytes(text_bytes)
    existing = store.find_by_text_hash(conn, text_sha)
    if existing:
        return FileOutcome(path, "duplicate", f"same {'music' if parsed.form == 'score' else 'text'} as {existing.id} "
                           f"{existing.title!r}: not stored twice{label}", existing)  # fmt: skip

    meta = _metadata(candidate, options, parsed)
    notes = list(parsed.notes)
    if parsed.byline and not meta["author_given"] and meta["author"]:  # a guess the person should see, and can undo
        notes.append(f"author taken from the byline: {meta['author']} ({parsed.byline!r})")
    if label and not (candidate.overrides.get("title") or options.title or parsed.title):
        meta["title"] += label
    refused_ids, refused_sigs = dedup.refused_signatures(conn)
    signature, contained = dedup.sketch(text, refused_sigs)
    passages = dedup.passage_hashes(parsed.blocks)
    structure = blocks_to_json(parsed.blocks).encode("utf-8")

    written = []
    try:
        for payload in (data, text_bytes, structure):
            sha, new = blobs.put(payload)
            if new:
                written.append(sha)
    except BaseException:  # a full disk after the first file: leave no blob that no row records
        for sha in written:
            if not store.blob_is_referenced(conn, sha):
                blobs.delete(sha)
        raise
    work = store.Work(
        id=text_sha[:10], title=meta["title"], author=meta["author"], medium="music" if parsed.form == "score" else "text",
        form=parsed.form,
        format=suffix.lstrip("."), license=meta["license"], source=meta["source"], original_name=path.name,
        original_sha256=sha256_bytes(data), text_sha256=text_sha, structure_sha256=sha256_bytes(structure),
        chars=len(text), encoding=parsed.encoding, added_at=now(), notes=notes, metadata=parsed.metadata,
    )  # fmt: skip
    try:
        with transaction(conn):
            near = dedup.find_near_duplicates(conn, signature, passages, len(text), dict(zip(refused_ids, contained)))
            for sha in (work.original_sha256, work.text_sha256, work.structure_sha256):
                store.record_blob(conn, sha, blobs.path(sha).stat().st_size, work.added_at)
            store.insert_work(conn, work, signature.tobytes())
            for consent, reason, origin in _consent_events(meta, parsed, owner, copies.hold_reason(conn, near)):
                store.append_consent(conn, work.id, consent, reason, origin)
            passage_store.record_passages(conn, work.id, passages)
            passage_store.record_near_duplicates(
                conn, [(work.id, d.other_id or work.id, d.measure, d.similarity, work.added_at) for d in near]
            )
    except BaseException:
        for sha in written:
            if not store.blob_is_referenced(conn, sha):
                blobs.delete(sha)
        raise
    stored = store.resolve(conn, work.id)
    size = f"{len(text.splitlines()):,} bars" if parsed.form == "score" else f"{len(text):,} characters"
    detail = ", ".join(x for x in (parsed.form, parsed.encoding, size) if x)
    # Which rule decided the consent, on the outcome line itself: a surprise there is a surprise seen.
    message = f"added {work.id} {work.title!r} ({detail}); consent {stored.consent} ({stored.consent_reason})"
    return FileOutcome(path, "added", message, stored, notes, near)


def parse_bytes(reader, data: bytes, name: str):
    """``reader(data, name)``, with a parser library's own failure turned into an IngestError naming it."""
    try:
        return reader(data, name)
    except IngestError:
        raise
    except RecursionError as exc:
        raise IngestError("the file is nested too deeply to read") from exc
    except MemoryError as exc:
        raise IngestError("the file is too large to read in memory") from exc
    except Exception as exc:  # a parser library's own error on malformed input: report it, keep the batch going
        raise IngestError(f"cannot be read: {type(exc).__name__}: {exc}".split("\n")[0][:300]) from exc


def _metadata(candidate: Candidate, options: AddOptions, parsed: ParsedWork) -> dict[str, str | None]:
    row = candidate.overrides
    author = row.get("author") or options.author
    if not author and options.author_from_dir and candidate.root is not None and candidate.path.parent != candidate.root.parent:
        author = display_name(candidate.path.parent.name)
    meta = {
        "title": row.get("title") or options.title or parsed.title or title_from_filename(candidate.path),
        "author": author or parsed.author,
        "author_given": bool(author),  # by the person (option, folder, manifest), not declared by the file
        "license": check_license(row.get("license") or options.license or "unknown"),
        "consent": check_consent(row["consent"]) if row.get("consent") else options.consent,
        "source": row.get("source") or options.source,
        "reason": options.reason,
    }
    # one line of visible text: a file name or metadata with a line break or a bidi override must not spoof listings
    meta["title"] = clean_label(meta["title"]) or clean_label(title_from_filename(candidate.path)) or "untitled"
    meta["author"] = clean_label(meta["author"]) or None
    return meta


def _consent_events(meta: dict, parsed: ParsedWork, owner: str | None, hold: str | None = None) -> list[tuple[str, str, str]]:
    """The consent history a new work starts with, oldest first.

    The owner rule trusts only an author the person gave: any file can declare the owner's name.
    ``hold`` (a copy of a work without consent) turns what would be ``train`` into ``unknown``.
    """
    events = []
    if parsed.metadata.get("tdm-reservation") == "1":
        events.append(("no-train", "the file reserves its text-and-data-mining rights (TDMRep tdm-reservation=1)", "tdm-reservation"))
    consent = meta["consent"]
    if consent:
        reason = meta["reason"] or f"given by you at ingest: --consent {consent}"
        if events and consent == "train":
            reason = f"explicit override of the file's TDM reservation: {reason}"
        events.append((consent, reason, "user"))
    elif not events:
        if owner and meta["author"] and _same_name(owner, meta["author"]):
            if meta.get("author_given"):
                events.append(("train", f"owner rule: the author you gave is the studio's owner, {owner}", "owner-default"))
            else:
                events.append(("unknown", f"author {meta['author']!r} declared by the file; the owner rule needs an author "
                                          "you give (--author, --author-from-dir or a manifest)", "ingest"))  # fmt: skip
        else:
            events.append(("unknown", "no consent given at ingest", "ingest"))
    if hold and events[-1][0] == "train":
        events.append(("unknown", hold, copies.HOLD_ORIGIN))
    elif hold and events[-1][0] == "unknown":
        events[-1] = ("unknown", f"{events[-1][1]}; {hold}", events[-1][2])
    return events


def _same_name(a: str, b: str) -> bool:
    fold = lambda s: " ".join(unicodedata.normalize("NFC", s).casefold().split())  # noqa: E731
    return fold(a) == fold(b)


def display_name(folder: str) -> str:
    """``victor_hugo`` → ``Victor Hugo``; names already capitalized are kept."""
    name = re.sub(r"[_]+", " ", folder).strip()
    return name.title() if name == name.lower() else name


def title_from_filename(path: Path) -> str:
    """``les_fleurs_du_mal.txt`` → ``Les fleurs du mal``; ``measure-for-measure.md`` → ``Measure for measure``."""
    separators = r"[_]+" if " " in path.stem or "_" in path.stem else r"[_-]+"
    title = re.sub(separators, " ", path.stem).strip() or path.name
    return title[0].upper() + title[1:] if title == title.lower() else title
