"""``ouvroir check``: every stored file against its hash or signature, and what interrupted writes left.

What is verified, each file once (no check reads a file per sample or per work twice):

- the database (SQLite integrity, foreign keys, consent histories) and every blob against its name;
- every sample and rendering against the hash in its row and its signed sidecar (signature by a key
  of this studio, content, AI label), and the sidecar's model and snapshot against the studio's;
- every ready model's weights against ``weights_sha256``, and a LoRA model's base folder against what
  fine-tuning recorded (sizes and times first, a hash where they differ: ``learn.base_weights``);
- every snapshot's ``manifest.json`` against its id and its rows, and its token files against the
  hashes in ``tokens.json``;
- every audit report folder against its signed ``provenance.json``; every document's stored ledger.

Leftovers are what a killed process leaves and nothing references: ``.NAME.RANDOM.tmp`` files
and folders anywhere (atomic writes, copy-index builds, web uploads being received), blob files
no row records, copy-index folders without their ``index.json``, token files without
``tokens.json``, and sample files, report folders or snapshot folders that have no row.
``repair=True`` removes leftovers, and only them. One changed in the last ``GRACE_S`` seconds may
belong to a write still in progress (an ``add`` writes its blobs before its row), so it is kept
and named; run the repair while no other ouvroir command works on the studio.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..corpus.snapshot import SnapshotWork, snapshot_identity, works_key
from ..fileio import sha256_file
from ..layout import SNAPSHOT_MANIFEST, TEMPORARY
from ..learn.base_weights import base_change
from ..provenance.keys import trusted_keys
from ..provenance.manifest import SIDECAR_SUFFIX
from ..provenance.verify import verify
from ..store import audits as audit_store
from ..store import documents as document_store
from ..store import integrity
from ..store import models as model_store
from ..store import snapshots as snapshot_store
from ..store import works as store

GRACE_S = 300
SAMPLE_ID = re.compile(r"g[0-9a-f]{10}")


@dataclass
class Leftover:
    path: str  # relative to the studio
    what: str
    age_s: float

    def as_dict(self) -> dict:
        return {"path": self.path, "what": self.what, "age_s": round(self.age_s)}


@dataclass
class CheckReport:
    problems: list[str]
    works: int
    blobs: int
    files: int = 0  # every file verified against a hash or a signature, blobs included
    leftovers: list[Leftover] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # leftovers too recent to remove

    @property
    def ok(self) -> bool:
        removed = set(self.removed)
        return not self.problems and all(left.path in removed for left in self.leftovers)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "problems": self.problems, "works": self.works, "blobs": self.blobs,
                "files": self.files, "leftovers": [left.as_dict() for left in self.leftovers],
                "removed": self.removed, "kept": self.kept}  # fmt: skip


class _Check:
    def __init__(self, studio):
        self.studio, self.root, self.conn = studio, studio.root, studio.conn
        self.layout = studio.layout
        self.problems: list[str] = []
        self.leftovers: list[Leftover] = []
        self.files = 0
        self.now = time.time()
        self._keys: set[bytes] | None = None
        self._snapshots: dict[str, dict | None] = {}

    def leftover(self, path: Path, what: str) -> None:
        self.leftovers.append(Leftover(path.relative_to(self.root).as_posix(), what, self.now - _newest_mtime(path)))

    def hashed(self, path: Path, expected: str | None, what: str) -> bool:
        """``path`` against ``expected``; a problem naming ``what`` if it is missing or differs."""
        if not path.is_file():
            self.problems.append(f"{what}: {path.relative_to(self.root)} is missing")
            return False
        self.files += 1
        if expected and sha256_file(path) != expected:
            self.problems.append(f"{what}: {path.relative_to(self.root)} does not match its hash (changed since it was written)")
            return False
        return True

    # -- the database and the blobs ----------------------------------------------------------------
    def database(self) -> set[str]:
        for line in integrity.integrity_lines(self.conn):
            if line != "ok":
                self.problems.append(f"SQLite integrity: {line}")
        for row in integrity.foreign_key_problems(self.conn):
            self.problems.append(f"row {row[1]} of table {row[0]} points at a missing row of {row[2]}")
        recorded = integrity.recorded_blobs(self.conn)
        for sha in sorted(store.referenced_blobs(self.conn) - recorded):
            self.problems.append(f"blob {sha[:12]}… is referenced but not recorded in the blobs table")
        for sha in sorted(recorded):
            problem = self.studio.blobs.verify(sha)
            if problem:
                self.problems.append(f"blob {sha[:12]}…: {problem}")
            else:
                self.files += 1
        for sha in sorted(self.studio.blobs.all_hashes() - recorded):
            self.leftover(self.studio.blobs.path(sha), "a blob no row records (an interrupted add or remove)")
        for work_id in integrity.works_without_consent(self.conn):
            self.problems.append(f"work {work_id} has no consent history")
        for work_id in integrity.consent_without_work(self.conn):
            self.problems.append(f"consent events point at a missing work {work_id}")
        return recorded

    def temporaries(self) -> None:
        for folder, dirs, files in os.walk(self.root):
            for name in [d for d in dirs if TEMPORARY.fullmatch(d)]:
                dirs.remove(name)  # its contents go with it
                self.leftover(Path(folder) / name, "a folder an interrupted write left")
            for name in files:
                if TEMPORARY.fullmatch(name):
                    self.leftover(Path(folder) / name, "a temporary file an interrupted write left")

    # -- models and snapshots ----------------------------------------------------------------------
    def models(self) -> None:
        for model_id, sha in model_store.ready_weights(self.conn):
            self.hashed(self.layout.model_weights(model_id), sha, f"model {model_id}'s weights")
        for record in model_store.list_models(self.conn):  # a LoRA adapter generates only on the base it was made on
            if record.status == "ready" and record.config.get("method") == "lora" and "base" in record.config:
                if change := base_change(record.config["base"]):
                    self.problems.append(f"model {record.id}'s base: {change} (generate and audit refuse the model "
                                         "until the base it was fine-tuned on is put back)")  # fmt: skip

    def snapshot_works(self, snapshot_id: str) -> dict | None:
        """{work_id: (text hash, consent event id)} as frozen in the snapshot's manifest; None if unreadable."""
        if snapshot_id not in self._snapshots:
            try:
                data = json.loads(self.layout.snapshot_manifest(snapshot_id).read_text("utf-8"))
                works = {w["work_id"]: (w["text_sha256"], w["consent_event_id"]) for w in data["works"]}
            except (OSError, ValueError, KeyError, TypeError):
                works = None
            self._snapshots[snapshot_id] = works
        return self._snapshots[snapshot_id]

    def snapshots(self) -> None:
        rows: dict[str, set] = defaultdict(set)
        for row in snapshot_store.every_frozen_work(self.conn):
            rows[row[0]].add(tuple(row[1:]))
        held = snapshot_store.split_rules(self.conn)
        for snapshot_id, rule in held.items():
            folder = self.layout.snapshot(snapshot_id)
            self._snapshot_manifest(snapshot_id, rule, folder, rows.get(snapshot_id, set()))
            self._token_files(snapshot_id, folder)
        if self.layout.snapshots.is_dir():
            for folder in sorted(self.layout.snapshots.iterdir()):
                if folder.is_dir() and folder.name not in held and not TEMPORARY.fullmatch(folder.name):
                    self.leftover(folder, "a snapshot folder with no record (an interrupted training)")

    def _snapshot_manifest(self, snapshot_id: str, rule: str, folder: Path, rows: set) -> None:
        what = f"snapshot {snapshot_id}"
        if not (folder / SNAPSHOT_MANIFEST).is_file():
            self.problems.append(f"{what}: {folder.relative_to(self.root)}/{SNAPSHOT_MANIFEST} is missing")
            return
        self.files += 1
        try:
            data = json.loads((folder / SNAPSHOT_MANIFEST).read_text("utf-8"))
            works = [SnapshotWork(**w) for w in data["works"]]
            medium = data["medium"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.problems.append(f"{what}: manifest.json is damaged ({exc})")
            return
        frozen = {(w.work_id, w.text_sha256, w.consent_event_id, w.split) for w in works}
        ids = {snapshot_identity(medium, data.get("split_rule"), works), works_key(medium, data.get("split_rule"), works)}
        if data.get("id") != snapshot_id or snapshot_id not in ids or frozen != rows or data.get("split_rule") != rule:
            self.problems.append(f"{what}: manifest.json changed since it was written (its works, hashes or consent "
                                 "events are not those the snapshot froze)")  # fmt: skip

    def _token_files(self, snapshot_id: str, folder: Path) -> None:
        names = ("tokenizer.json", "train.bin", "val.bin")
        meta_path = folder / "tokens.json"
        if not meta_path.is_file():
            for name in names:
                if (folder / name).is_file():
                    self.leftover(folder / name, "a token file of an interrupted tokenization (no tokens.json)")
            return
        self.files += 1
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except ValueError as exc:
            self.problems.append(f"snapshot {snapshot_id}: tokens.json is damaged ({exc})")
            return
        hashes = meta.get("sha256") if isinstance(meta.get("sha256"), dict) else {}
        for name in names:
            path = folder / name
            if hashes:
                self.hashed(path, hashes.get(name), f"snapshot {snapshot_id}'s token files")
            elif name != "tokenizer.json" and self.hashed(path, None, f"snapshot {snapshot_id}'s token files"):
                # Written before tokens.json held hashes: at least their lengths.
                count = meta.get("train_tokens" if name == "train.bin" else "val_tokens", 0)
                size = count * int(str(meta.get("dtype", "<u2"))[-1])
                if path.stat().st_size != size:
                    self.problems.append(f"snapshot {snapshot_id}'s token files: {name} holds {path.stat().st_size} "
                                         f"bytes, not the {size} tokens.json says")  # fmt: skip

    # -- signed outputs ----------------------------------------------------------------------------
    def signed(self, path: Path, what: str) -> dict | None:
        """The manifest of ``path`` if its signature (by a key of this studio), content and label hold."""
        verdict = verify(path)  # without the studio: its chain is checked once per model and snapshot instead
        failed = [c.message for c in verdict.checks if c.ok is False and c.name != "key"]
        if failed:
            self.problems.append(f"{what}: {failed[0]}")
            return None
        manifest = json.loads(verdict.manifest.read_text("utf-8"))
        if self._keys is None:
            self._keys = {k.public_bytes for k in trusted_keys(self.root)}
        if base64.b64decode(manifest["signature"]["public_key"]) not in self._keys:
            self.problems.append(f"{what}: {verdict.manifest.name} is signed by a key this studio does not know")
            return None
        self.files += 1 + len(manifest["content"]["files"])
        return manifest

    def samples(self) -> set[str]:
        rows = model_store.sample_files(self.conn)
        models = model_store.model_chains(self.conn)
        for sample_id, model_id, sha, rel in rows.values():
            self.hashed(self.root / rel, sha, f"sample {sample_id}")
        files: dict[str, list[Path]] = defaultdict(list)
        folder = self.layout.samples
        for path in sorted(folder.iterdir()) if folder.is_dir() else ():
            if path.is_file() and not TEMPORARY.fullmatch(path.name):
                files[path.name.split(".", 1)[0]].append(path)
        for sample_id, paths in files.items():
            if not SAMPLE_ID.fullmatch(sample_id):
                continue  # not a file ouvroir wrote: a person's own, left alone
            if sample_id not in rows:
                for path in paths:
                    self.leftover(path, "a sample file with no row (an interrupted generation)")
                continue
            names = {p.name for p in paths}
            for path in paths:
                if path.name.endswith(SIDECAR_SUFFIX):
                    manifest = self.signed(path, f"sample {sample_id}")
                    if manifest is not None:
                        self._chain(sample_id, manifest, rows[sample_id][1], models.get(rows[sample_id][1]))
                elif path.name + SIDECAR_SUFFIX not in names:
                    self.problems.append(f"sample {sample_id}: {path.name} has no provenance manifest beside it")
        return set(rows)

    def _chain(self, sample_id: str, manifest: dict, model_id: str, model: tuple | None) -> None:
        """The sidecar's model and snapshot are the ones the studio holds (each compared, never re-hashed)."""
        assertions = manifest.get("assertions") if isinstance(manifest.get("assertions"), dict) else {}
        claimed = assertions.get("ouvroir.model") if isinstance(assertions.get("ouvroir.model"), dict) else {}
        if model is None or (claimed.get("id"), claimed.get("weights_sha256"), claimed.get("snapshot_id")) != (model_id, *model):
            self.problems.append(f"sample {sample_id}: its manifest names another model, weights or snapshot than the "
                                 f"studio holds for model {model_id}")  # fmt: skip
            return
        snapshot = assertions.get("ouvroir.snapshot") if isinstance(assertions.get("ouvroir.snapshot"), dict) else {}
        frozen = self.snapshot_works(model[1])
        works = snapshot.get("works") if isinstance(snapshot.get("works"), list) else []
        named = {w.get("work_id"): (w.get("text_sha256"), w.get("consent_event_id")) for w in works if isinstance(w, dict)}
        if frozen is not None and named != frozen:
            self.problems.append(f"sample {sample_id}: snapshot {model[1]} in the studio differs from the one its manifest names")

    def reports(self) -> None:
        held = set()
        for audit_id, rel in audit_store.report_paths(self.conn):
            folder = self.root / rel
            held.add(folder)
            if folder.is_dir():
                self.signed(folder, f"audit report {audit_id}")
            else:
                self.problems.append(f"audit report {audit_id}: {rel} is missing")
        for folder in _subfolders(self.layout.reports):
            if folder not in held:
                self.leftover(folder, "a report folder with no record (an interrupted audit)")

    def indexes(self) -> None:
        for folder in _subfolders(self.layout.indexes):
            if not (folder / "index.json").is_file():
                self.leftover(folder, "a copy index that was never finished (no index.json)")

    def documents(self, samples: set[str]) -> None:
        from ..cocreate.documents import _doc
        from ..errors import DocumentError

        for row in document_store.every_document_row(self.conn):
            try:
                doc = _doc(row)
            except DocumentError as exc:
                self.problems.append(f"document {row['id']} ({row['title']!r}): {exc}")
                continue
            missing = sorted({p.sample_id for p in doc.ledger.pieces} - samples)
            if missing:
                self.problems.append(f"document {doc.id} ({doc.title!r}) holds suggestions the studio no longer has: "
                                     f"{', '.join(missing)}")  # fmt: skip

    # -- repairing ---------------------------------------------------------------------------------
    def repair(self) -> tuple[list[str], list[str]]:
        removed, kept = [], []
        recorded = integrity.recorded_blobs(self.conn)
        samples = model_store.sample_ids(self.conn)
        for left in self.leftovers:
            path = self.root / left.path
            if left.age_s < GRACE_S:
                kept.append(f"{left.path} (changed {left.age_s:.0f} s ago: a write may still be in progress)")
                continue
            # Read again just before: an add or a generation may have recorded it since the check.
            if path.parent.parent == self.layout.blobs and path.parent.name + path.name in recorded:
                continue
            if path.parent == self.layout.samples and path.name.split(".", 1)[0] in samples:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
            removed.append(left.path)
        return removed, kept


def _subfolders(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in sorted(folder.iterdir()) if p.is_dir() and not TEMPORARY.fullmatch(p.name)]


def _newest_mtime(path: Path) -> float:
    """A folder's newest time is its newest entry's: a build writing into it is still alive."""
    try:
        newest = path.lstat().st_mtime
        if path.is_dir() and not path.is_symlink():
            with os.scandir(path) as entries:
                newest = max([newest] + [e.stat(follow_symlinks=False).st_mtime for e in entries])
    except OSError:
        return 0.0
    return newest


def check_studio(studio, repair: bool = False) -> CheckReport:
    """Verify the whole studio (see the module docstring); with ``repair``, remove the leftovers found."""
    check = _Check(studio)
    recorded = check.database()
    check.temporaries()
    check.models()
    check.snapshots()
    check.documents(check.samples())
    check.reports()
    check.indexes()
    works = store.work_count(studio.conn)
    leftovers = sorted(check.leftovers, key=lambda left: left.path)
    report = CheckReport(check.problems, works, len(recorded), check.files, leftovers)
    if repair:
        check.leftovers = leftovers
        report.removed, report.kept = check.repair()
    return report
