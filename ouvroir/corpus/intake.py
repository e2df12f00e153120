"""What every ingest shares, whatever the medium: the options, the outcome of a file, the metadata a
work starts with, and the consent history it starts with (the rules a person must be able to read).
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..media.document import ParsedWork, clean_label
from ..store import works as store
from ..store.blobs import BlobStore
from . import copies, dedup
from .files import Candidate
from .rights import check_consent, check_license

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




def work_metadata(candidate: Candidate, options: AddOptions, parsed: ParsedWork) -> dict[str, str | None]:
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


def consent_events(meta: dict, parsed: ParsedWork, owner: str | None, hold: str | None = None,
                   opt_out: tuple[str, str] | None = None) -> list[tuple[str, str, str]]:
    """The consent history a new work starts with, oldest first.

    The owner rule trusts only an author the person gave: any file can declare the owner's name.
    ``hold`` (a copy of a work without consent) turns what would be ``train`` into ``unknown``.
    """
    events = []
    if parsed.metadata.get("tdm-reservation") == "1":
        events.append(("no-train", "the file reserves its text-and-data-mining rights (TDMRep tdm-reservation=1)", "tdm-reservation"))
    if opt_out:  # an image's C2PA or IPTC/PLUS refusal: (reason, origin)
        events.append(("no-train", *opt_out))
    consent = meta["consent"]
    if consent:
        reason = meta["reason"] or f"given by you at ingest: --consent {consent}"
        if events and consent == "train":
            what = "TDM reservation" if events[-1][2] == "tdm-reservation" else "refusal of training"
            reason = f"explicit override of the file's {what}: {reason}"
        events.append((consent, reason, "user"))
    elif not events:
        if owner and meta["author"] and same_name(owner, meta["author"]):
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


def same_name(a: str, b: str) -> bool:
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


def discard_unreferenced(conn: sqlite3.Connection, blobs: BlobStore, written: list[str]) -> None:
    """Delete the blobs just written that no row records (a failed ingest leaves none behind)."""
    for sha in written:
        if not store.blob_is_referenced(conn, sha):
            blobs.delete(sha)
