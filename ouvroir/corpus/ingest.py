"""Files become works: read, normalize, de-duplicate, store with rights and consent.

One file at a time, one transaction per work: a bad file gets one clear
reason and the batch goes on; a crash leaves every stored work whole.
"""

from __future__ import annotations

import sqlite3

from ..errors import DiskFull, IngestError, is_disk_full
from ..media.document import ParsedWork, blocks_to_json
from ..media.formats import READABLE_SUFFIXES, many_reader_for
from ..media.images import IMAGE_SUFFIXES
from ..store import passages as passage_store
from ..store import works as store
from ..store.blobs import BlobStore, sha256_bytes
from ..store.db import now, transaction
from . import copies, dedup, image_ingest
from .files import Candidate, read_file
from .intake import (MAX_FILE_BYTES, AddOptions, FileOutcome, consent_events, discard_unreferenced,  # noqa: F401
                     display_name, title_from_filename, work_metadata)
from .rights import RightsError

__all__ = ["MAX_FILE_BYTES", "AddOptions", "FileOutcome", "display_name", "ingest", "parse_bytes", "title_from_filename"]


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
        if reader is None and suffix not in IMAGE_SUFFIXES:
            known = " ".join(sorted(READABLE_SUFFIXES))
            raise IngestError(f"unknown format {suffix or '(no extension)'!r}; ouvroir reads {known}")
        data = read_file(path, options.max_file_bytes)
        if not data:
            raise IngestError("empty file")
        works = [None] if reader is None else parse_bytes(reader, data, path.name)  # None: an image, read below
    except (IngestError, RightsError) as exc:
        return [FileOutcome(path, "failed", str(exc))]
    outcomes = []
    for number, parsed in enumerate(works, 1):
        label = "" if len(works) == 1 else f" (tune {parsed.metadata.get('abc-tune') or number})"
        try:
            if parsed is None:
                outcomes.append(image_ingest.ingest_image(conn, blobs, candidate, options, owner, data))
            else:
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

    meta = work_metadata(candidate, options, parsed)
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
        discard_unreferenced(conn, blobs, written)
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
            for consent, reason, origin in consent_events(meta, parsed, owner, copies.hold_reason(conn, near)):
                store.append_consent(conn, work.id, consent, reason, origin)
            passage_store.record_passages(conn, work.id, passages)
            passage_store.record_near_duplicates(
                conn, [(work.id, d.other_id or work.id, d.measure, d.similarity, work.added_at) for d in near]
            )
    except BaseException:
        discard_unreferenced(conn, blobs, written)
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


