"""The studio: a folder a person can move, back up and read without ouvroir.

``Studio`` is the public API; the CLI and the web studio only call it.

>>> import tempfile, pathlib
>>> s = Studio.init(pathlib.Path(tempfile.mkdtemp()) / "atelier", owner="Ada Martin")
>>> s.works()
[]
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..version import __version__
from .checking import CheckReport, check_studio
from .audits_api import Audits
from .documents_api import Documents
from .editing import edit_work
from .models_api import Models
from .provenance_api import Provenance
from ..corpus.files import Candidate, read_manifest, walk
from ..corpus.ingest import AddOptions, FileOutcome, ingest
from ..corpus.rights import check_consent, check_license
from ..errors import ConsentReversal, StudioError
from ..media.document import Block, blocks_from_json
from ..layout import StudioLayout
from ..provenance.keys import load_or_create_key
from ..store import edits as edit_store
from ..store import meta as meta_store
from ..store import works as store
from ..store.edits import MetadataEdit
from ..store.blobs import BlobStore
from ..store.db import connect, now, transaction
from ..store.migrations import SCHEMA_VERSION, migrate, schema_version

STUDIO_README = """This folder is an ouvroir studio.

ouvroir.sqlite   works, rights, consent history (SQLite, WAL; schema version in PRAGMA user_version)
blobs/ab/cdef…   original files, normalized texts and their structure, named by sha256
snapshots/       frozen sets of consenting works, as trained on
models/          trained models (safetensors weights, config, tokenizer, metrics)
samples/         generated texts, each with its signed provenance (<file>.provenance.json)
reports/         audits: audit.json, report.html, provenance.json
jobs/            the web studio's background jobs (training, audits) and their progress
keys/            the studio's signing key (private: keep it; `ouvroir key export` gives the public key)

The format is documented in ouvroir's README ("The studio on disk").
"""


@dataclass
class AddReport:
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0

    def summary(self) -> str:
        return f"{self.count('added')} added, {self.count('duplicate')} already present, {self.count('failed')} failed"


def _reversal_message(refusing: list[store.Work], total: int) -> str:
    named = "; ".join(f"{w.id} {w.title!r} by {w.author or 'unknown'}" for w in refusing[:20])
    more = f"; and {len(refusing) - 20} more" if len(refusing) > 20 else ""
    return (f"{len(refusing)} of the {total} works refused training (latest consent no-train): {named}{more}. "
            "Giving them consent 'train' reverses those refusals; confirm it for these works")


class Studio:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.layout = StudioLayout(self.root)  # every path inside the studio
        self.conn = connect(self.layout.database)
        self.blobs = BlobStore(self.layout.blobs)

    # -- creating and opening -------------------------------------------------
    @classmethod
    def init(cls, root: Path, owner: str | None = None) -> Studio:
        """Create a studio folder (or upgrade an existing one's schema)."""
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise StudioError(f"{root} exists and is not a folder")
        if root.is_dir() and any(root.iterdir()) and not StudioLayout(root).database.exists():
            raise StudioError(f"{root} is a folder with other files in it; choose an empty or new folder for the studio")
        root.mkdir(parents=True, exist_ok=True)
        studio = cls(root)
        migrate(studio.conn)
        with transaction(studio.conn):
            meta_store.record_creation(studio.conn, now(), f"ouvroir {__version__}", owner.strip() if owner else None)
        studio.layout.blobs.mkdir(exist_ok=True)
        load_or_create_key(root)  # every output is signed with it; kept if the studio already has one
        readme = studio.layout.readme
        if not readme.exists():
            readme.write_text(STUDIO_README, encoding="utf-8")
        return studio

    @classmethod
    def open(cls, root: Path) -> Studio:
        root = Path(root)
        if not StudioLayout(root).database.exists():
            # --studio is the group's option: it comes before the command (a path with spaces, quoted)
            raise StudioError(f"no studio at {root}: create one with `ouvroir --studio {shlex.quote(str(root))} init`")
        studio = cls(root)
        if schema_version(studio.conn) != SCHEMA_VERSION:
            migrate(studio.conn)  # upgrades an older schema; a newer one raises a clear "upgrade ouvroir" error
        return studio

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def owner(self) -> str | None:
        return meta_store.owner(self.conn)

    # -- what it hands out: the command line and the web studio call these, never the store -----
    @cached_property
    def models(self) -> Models:
        """Models: list, train, generate, export, cards (``workshop.models_api``)."""
        return Models(self)

    @cached_property
    def audits(self) -> Audits:
        """Audits: run one, read the reports (``workshop.audits_api``)."""
        return Audits(self)

    @cached_property
    def documents(self) -> Documents:
        """Co-written documents: edit, suggest, export (``workshop.documents_api``)."""
        return Documents(self)

    def publish(self, items: list[str], formats, out: Path, **choices):
        """Documents and samples as HTML, EPUB and PDF, signed, with a provenance QR code (``workshop.publishing``)."""
        from .publishing import publish

        return publish(self, items, formats, out, **choices)

    def publish_site(self, items: list[str], formats, site: Path, **choices):
        """A static gallery of documents and samples, readable offline (``workshop.publishing``)."""
        from .publishing import publish_site

        return publish_site(self, items, formats, site, **choices)

    @cached_property
    def provenance(self) -> Provenance:
        """The signing key and verifying outputs (``workshop.provenance_api``)."""
        return Provenance(self)

    # -- ingest -----------------------------------------------------------------
    def add(
        self,
        paths: Sequence[Path] = (),
        options: AddOptions | None = None,
        manifest: Path | None = None,
        on_file: Callable[[FileOutcome, int, int], None] | None = None,
    ) -> AddReport:
        """Ingest files and folders (recursively), and the rows of a CSV manifest.

        ``on_file(outcome, done, total)`` is called after each file, for progress.
        """
        options = options or AddOptions()
        if options.consent:
            options.consent = check_consent(options.consent)
        if options.license:  # a bad --license is one clear error before any file, not one per file
            options.license = check_license(options.license)
        candidates: list[Candidate] = list(walk([Path(p) for p in paths]))
        if manifest is not None:
            candidates += read_manifest(Path(manifest))
        report = AddReport()
        owner = self.owner
        for done, candidate in enumerate(candidates, 1):
            for outcome in ingest(self.conn, self.blobs, candidate, options, owner):
                report.outcomes.append(outcome)
                if on_file:
                    on_file(outcome, done, len(candidates))
        return report

    # -- reading ----------------------------------------------------------------
    def works(self, author: str | None = None, consent: str | None = None, medium: str | None = None,
              q: str | None = None, limit: int | None = None, offset: int = 0) -> list[store.Work]:  # fmt: skip
        """Works matching the filters (``q``: in the title or author, any case), or one page of them."""
        return store.list_works(self.conn, author, consent, medium, q, limit=limit, offset=offset)

    def consent_counts(self, author: str | None = None, consent: str | None = None, medium: str | None = None,
                       q: str | None = None) -> dict[str, int]:  # fmt: skip
        """How many works match the same filters as :meth:`works`, per latest consent."""
        return store.count_by_consent(self.conn, author=author, consent=consent, medium=medium, q=q)

    def unlicensed_count(self, author: str | None = None, consent: str | None = None, medium: str | None = None,
                         q: str | None = None) -> int:  # fmt: skip
        """How many works matching the same filters as :meth:`works` have no known licence (``unknown``)."""
        return store.count_unlicensed(self.conn, author=author, consent=consent, medium=medium, q=q)

    def trainable_works(self, medium: str | None = None) -> list[store.Work]:
        return store.trainable_works(self.conn, medium)

    def work(self, ref: str) -> store.Work:
        return store.resolve(self.conn, ref)

    def text(self, work: store.Work | str) -> str:
        work = work if isinstance(work, store.Work) else self.work(work)
        return self.blobs.get(work.text_sha256).decode("utf-8")

    def structure(self, work: store.Work | str) -> list[Block]:
        work = work if isinstance(work, store.Work) else self.work(work)
        return blocks_from_json(self.blobs.get(work.structure_sha256).decode("utf-8"))

    def consent_history(self, work: store.Work | str) -> list[store.ConsentEvent]:
        work = work if isinstance(work, store.Work) else self.work(work)
        return store.consent_history(self.conn, work.id)

    def near_duplicates(self, work: store.Work | str) -> list[dict]:
        work = work if isinstance(work, store.Work) else self.work(work)
        return store.near_duplicates(self.conn, work.id)

    # -- changing -------------------------------------------------------------
    def set_consent(self, refs: Sequence[str], consent: str, reason: str,
                    reverse_refusals: bool | Collection[str] = False) -> list[store.ConsentEvent]:  # fmt: skip
        """Append a dated consent event to each work (all or none: every reference is checked first).

        Giving ``train`` to several works at once never reverses a refusal unasked: if any of them has
        ``no-train`` as its latest consent, :class:`ConsentReversal` names them, unless ``reverse_refusals``
        is True or holds every one of their ids (what the person confirmed). One work named alone is its
        own explicit decision.
        """
        consent = check_consent(consent)
        if not reason or not reason.strip():
            raise StudioError("a consent change needs a reason (--reason), kept in the work's history")
        works = list({w.id: w for w in (self.work(ref) for ref in refs)}.values())
        with transaction(self.conn):  # checked inside the write lock: a refusal recorded meanwhile is seen
            refusing = store.refused(self.conn, [w.id for w in works]) if consent == "train" and len(works) > 1 else []
            if isinstance(reverse_refusals, bool):
                unconfirmed = [] if reverse_refusals else refusing
            else:
                confirmed = set(reverse_refusals)
                unconfirmed = [w for w in refusing if w.id not in confirmed]
            if unconfirmed:
                raise ConsentReversal(_reversal_message(unconfirmed, len(works)), unconfirmed)
            return [store.append_consent(self.conn, w.id, consent, reason.strip(), "user") for w in works]

    def refusals_reversed(self, refs: Sequence[str], consent: str) -> list[store.Work]:
        """The works among several whose refusal (latest consent ``no-train``) ``consent`` would reverse."""
        ids = list(dict.fromkeys(self.work(ref).id for ref in refs))
        if consent != "train" or len(ids) < 2:
            return []
        return store.refused(self.conn, ids)

    def edit(self, ref: str, title: str | None = None, author: str | None = None, license: str | None = None,
             date: str | None = None) -> store.Work:  # fmt: skip
        """Correct a work's title, author, licence or date (None: leave it; '' clears author or date).

        Recorded as a dated event (:meth:`edit_history`); the text, its hash and its consent stay as they
        are, so no model is marked withdrawn, and models already trained keep their snapshot's metadata.
        """
        return edit_work(self, ref, title=title, author=author, license=license, date=date)[0]

    def edit_history(self, work: store.Work | str) -> list[MetadataEdit]:
        """The corrections of a work's metadata, oldest first."""
        work = work if isinstance(work, store.Work) else self.work(work)
        return edit_store.history(self.conn, work.id)

    def remove(self, ref: str) -> store.Work:
        """Remove a work; its files go too unless something else still references them."""
        work = self.work(ref)
        hashes = {work.original_sha256, work.text_sha256, work.structure_sha256}
        with transaction(self.conn):
            store.delete_work(self.conn, work)
            orphans = [h for h in hashes if not store.blob_is_referenced(self.conn, h)]
            store.forget_blobs(self.conn, orphans)
        for sha in orphans:  # after the commit: a crash before this leaves only an unreferenced file
            self.blobs.delete(sha)
        return work

    # -- verifying --------------------------------------------------------------
    def check(self, repair: bool = False) -> CheckReport:
        """Verify the whole studio, every stored file against its hash or signature, and find leftovers.

        With ``repair``, remove the leftovers (only them); see ``ouvroir.workshop.checking``.
        """
        return check_studio(self, repair=repair)

    def info(self) -> dict:
        return meta_store.meta(self.conn) | {"path": str(self.root), "schema_version": schema_version(self.conn)}

    def as_json(self, works: list[store.Work]) -> str:
        return json.dumps([w.as_dict() for w in works], ensure_ascii=False, indent=2)
