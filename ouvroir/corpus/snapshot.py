"""Snapshots: the frozen set of consenting works a model is trained on.

A snapshot holds exactly the works whose latest consent event says ``train``
when it is taken, by content hash, with the id of that consent event.

A snapshot never changes once written: every sample signed against it names
its works *and* their consent events, so rewriting ``manifest.json`` would
break the verification of every earlier sample. Its id is therefore derived
from the texts, the split *and* the consent event ids: a renewed consent (a new
event) gives a new snapshot, while an unchanged corpus gives the same snapshot
back, whose manifest is never written again. The tokenizer and token files
depend only on the texts and the split (the ``works_key``), so a new snapshot
of the same texts reuses those of an earlier one (``reuse_tokens``).

Since controls exist, each work also freezes its controls (``corpus/controls.py``:
author and form, or key, meter and voices), read from the metadata of the works
the snapshot holds (consenting works only). They are part of the id and of the
``works_key``, since the token files hold them; a snapshot with controls never
takes the id of one without (the legacy branch below), and the manifest of an
older snapshot is never rewritten to add them.

Validation is held out **by whole works**, so validation loss measures style
learned, not text memorized: works are drawn in a seeded order until they hold
5–25% of the characters. When no set of whole works fits (one work, or one
work dwarfing the rest), the fallback holds out the last 10% of every work,
cut at a blank line, and the split rule says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import TrainingError
from .controls import work_controls
from ..layout import SNAPSHOT_MANIFEST
from ..media.music import transpose
from ..store import edits as edit_store
from ..store import snapshots as snapshot_store
from ..store.blobs import atomic_write
from ..store.db import now, transaction

VAL_TARGET = 0.10
VAL_MIN, VAL_MAX = 0.05, 0.25
SPLIT_BY_WORK = "whole works held out for validation"
SPLIT_BY_TAIL = "last 10% of every work held out (too few works to hold out whole ones)"
# An image cannot be cut: with too few to hold whole ones out, every image is trained on and validated on.
SPLIT_IMAGES_BOTH = "every image both trained on and validated on (too few images to hold out whole ones)"


@dataclass(frozen=True)
class _Counted:
    id: str
    chars: int


@dataclass(frozen=True)
class SnapshotWork:
    work_id: str
    title: str
    author: str | None
    text_sha256: str
    consent_event_id: int
    chars: int
    split: str  # train | val | both (tail fallback)
    # The work's latest metadata edit when frozen (None: never edited), so the datasheet shows the metadata
    # as trained on; written into the manifest only when set, so unedited snapshots keep their ids.
    edit_event_id: int | None = None
    # What the model can be steered by for this work ({"author": ..., "form": ...}); None in snapshots taken
    # before controls existed, whose manifests and ids stay as they were.
    controls: dict[str, str] | None = None

    def as_manifest(self) -> dict:
        data = asdict(self)
        for name in ("edit_event_id", "controls"):
            if data[name] is None:
                del data[name]
        return data

    def frozen_controls(self) -> tuple:
        """The controls as they enter an id: nothing for a snapshot without them, so its id stays the same."""
        return () if self.controls is None else (sorted(self.controls.items()),)


@dataclass
class Snapshot:
    id: str
    medium: str
    created_at: str
    split_rule: str
    works: list[SnapshotWork]
    path: Path

    @property
    def train_works(self) -> list[SnapshotWork]:
        return [w for w in self.works if w.split in ("train", "both")]

    @property
    def val_works(self) -> list[SnapshotWork]:
        return [w for w in self.works if w.split in ("val", "both")]


def split_works(works: list, seed: int = 0) -> tuple[dict[str, str], str]:
    """Decide each work's split; return ({work_id: split}, rule).

    >>> from types import SimpleNamespace as W
    >>> split_works([W(id="a", chars=100)])[1] == SPLIT_BY_TAIL
    True
    >>> splits, rule = split_works([W(id=str(i), chars=100) for i in range(20)])
    >>> sum(s == "val" for s in splits.values()), rule == SPLIT_BY_WORK
    (2, True)
    """
    total = sum(w.chars for w in works)
    order = sorted(works, key=lambda w: w.id)
    random.Random(seed).shuffle(order)
    held: list = []
    held_chars = 0
    for work in order:
        if held_chars >= VAL_TARGET * total:
            break
        if (held_chars + work.chars) <= VAL_MAX * total and len(held) < len(works) - 1:
            held.append(work)
            held_chars += work.chars
    if held and held_chars >= VAL_MIN * total:
        ids = {w.id for w in held}
        return {w.id: "val" if w.id in ids else "train" for w in works}, SPLIT_BY_WORK
    return {w.id: "both" for w in works}, SPLIT_BY_TAIL


def tail_split(text: str) -> tuple[str, str]:
    """Cut a text near 90% at a blank line (else a line break) into (train, validation)."""
    target = int(len(text) * (1 - VAL_TARGET))
    for sep in ("\n\n", "\n", " "):
        cut = text.rfind(sep, int(len(text) * 0.8), target + 1)
        if cut > 0:
            return text[:cut], text[cut + len(sep) :]
    return text[:target], text[target:]


def take_snapshot(studio, medium: str = "text", seed: int = 0) -> Snapshot:
    """Freeze the studio's trainable works (latest consent = train) into a snapshot."""
    works = studio.trainable_works(medium=medium)
    if not works:
        all_works = studio.works()
        if not all_works:
            raise TrainingError("the studio has no works: add some with `ouvroir add FILES --consent train`")
        if any(w.medium == medium for w in all_works):
            raise TrainingError(
                f"none of the {sum(w.medium == medium for w in all_works)} {medium} works is trainable (consent must be "
                "'train'): record consent with `ouvroir consent WORK train --reason ...`"
            )
        raise TrainingError(f"the studio has no {medium} works: add some, or train on another medium (--medium)")
    if medium == "image":  # each image is one training example whatever its size: held out by count
        splits, rule = split_works([_Counted(w.id, 1) for w in works], seed)
        rule = SPLIT_IMAGES_BOTH if rule == SPLIT_BY_TAIL else rule
    else:
        splits, rule = split_works(works, seed)
    edited = edit_store.latest_edit_ids(studio.conn, [w.id for w in works])
    frozen = [
        SnapshotWork(w.id, w.title, w.author, w.text_sha256, w.consent_event_id, w.chars, splits[w.id],
                     edited.get(w.id), _controls_of(studio, w))
        for w in sorted(works, key=lambda w: w.text_sha256)
    ]
    snapshot_id = snapshot_identity(medium, rule, frozen)
    legacy = works_key(medium, rule, frozen)
    # a legacy snapshot predates metadata edits and controls: after an edit its manifest's titles are no longer
    # the works', and its token files hold no control tokens
    has_controls = any(w.controls is not None for w in frozen)
    if not edited and not has_controls and _holds_the_same_events(studio, legacy, frozen):  # a snapshot taken before consent events made the id
        snapshot_id = legacy
    path = studio.layout.snapshot(snapshot_id)
    existing = snapshot_store.created_at(studio.conn, snapshot_id)
    created_at = existing or now()
    snapshot = Snapshot(snapshot_id, medium, created_at, rule, frozen, path)
    if not existing:
        train_chars = sum(w.chars for w in frozen if w.split == "train")
        val_chars = sum(w.chars for w in frozen if w.split == "val")
        for w in frozen:  # the tail fallback splits each work: count both parts as trained on and held out
            if w.split == "both" and medium == "image":  # pixels, both trained on and validated on
                train_chars, val_chars = train_chars + w.chars, val_chars + w.chars
            elif w.split == "both":
                head, tail = tail_split(studio.blobs.get(w.text_sha256).decode("utf-8"))
                train_chars, val_chars = train_chars + len(head), val_chars + len(tail)
        with transaction(studio.conn):
            snapshot_store.insert_snapshot(studio.conn, snapshot_id, medium, created_at, rule, train_chars, val_chars,
                                           [(w.work_id, w.text_sha256, w.consent_event_id, w.split) for w in frozen])
    if (path / SNAPSHOT_MANIFEST).exists():  # frozen: its bytes are what earlier samples were signed against
        return load_snapshot(studio, snapshot_id)
    path.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": "ouvroir-snapshot/1",
        "id": snapshot_id,
        "medium": medium,
        "created_at": created_at,
        "split_rule": rule,
        "works": [w.as_manifest() for w in frozen],
    }
    atomic_write(path / SNAPSHOT_MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
    return snapshot


def _controls_of(studio, work) -> dict[str, str]:
    """The work's controls, from its stored metadata (and for music, its event text); images have none yet."""
    if work.medium == "image":
        return {}
    text = studio.blobs.get(work.text_sha256).decode("utf-8") if work.medium == "music" else ""
    return work_controls(work.medium, work.author, work.form, text)


def _holds_the_same_events(studio, snapshot_id: str, works: list[SnapshotWork]) -> bool:
    rows = snapshot_store.frozen_works(studio.conn, snapshot_id)
    return bool(rows) and set(rows) == {(w.work_id, w.text_sha256, w.consent_event_id, w.split) for w in works}


def transposes(medium: str, works: list[SnapshotWork]) -> bool:
    """True when the training pieces of these works are also trained on transposed (``corpus/augment.py``)."""
    return transpose.TRAIN_ON_TRANSPOSITIONS and medium == "music" and any(w.controls is not None for w in works)


def works_key(medium: str, rule: str, works: list[SnapshotWork]) -> str:
    """What the tokenizer and token files depend on: the texts and their split (not the consent events).

    It is also the id snapshots had before consent events were part of it, so their folders are found by it.
    """
    frozen = [[medium, rule, [(w.text_sha256, w.split) + w.frozen_controls() for w in works]]]
    if transposes(medium, works):
        frozen.append(transpose.AUGMENTATION)
    identity = json.dumps(frozen[0] if len(frozen) == 1 else frozen)
    return "s" + hashlib.sha256(identity.encode()).hexdigest()[:11]


def snapshot_identity(medium: str, rule: str, works: list[SnapshotWork]) -> str:
    """A snapshot's id: its texts, their split, the consent event of each work and its latest metadata edit."""
    frozen = [(w.text_sha256, w.split, w.consent_event_id) + (() if w.edit_event_id is None else (w.edit_event_id,))
              + w.frozen_controls() for w in works]  # an unedited work counts as before edits existed, so earlier ids stay the same
    identity = json.dumps([medium, rule, frozen])
    return "s" + hashlib.sha256(identity.encode()).hexdigest()[:11]


TOKEN_FILES = ("tokenizer.json", "train.bin", "val.bin", "tokens.json")  # tokens.json last: it marks them complete


def reuse_tokens(studio, snapshot: Snapshot) -> bool:
    """Give ``snapshot`` the token files of another snapshot of the same texts and split; True if found.

    Files are hard-linked where the file system allows (they are never modified), else copied.
    """
    key = works_key(snapshot.medium, snapshot.split_rule, snapshot.works)
    root = studio.layout.snapshots
    candidates = [root / key] + sorted(p.parent for p in root.glob("s*/tokens.json"))
    for folder in candidates:
        if folder == snapshot.path or not all((folder / name).is_file() for name in TOKEN_FILES):
            continue
        try:
            meta = json.loads((folder / "tokens.json").read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if meta.get("works_key", folder.name) != key:  # older token files: their folder was named by the key
            continue
        for name in TOKEN_FILES:
            _link_or_copy(folder / name, snapshot.path / name)
        return True
    return False


def _link_or_copy(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.link.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def load_snapshot(studio, snapshot_id: str) -> Snapshot:
    data = json.loads(studio.layout.snapshot_manifest(snapshot_id).read_text("utf-8"))
    works = [SnapshotWork(**w) for w in data["works"]]
    return Snapshot(data["id"], data["medium"], data["created_at"], data["split_rule"], works, studio.layout.snapshot(snapshot_id))


def snapshot_controls(snapshot: Snapshot) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The controls of each training and each validation document, in the order ``snapshot_texts`` gives them."""
    train, val = [], []
    for w in snapshot.works:
        controls = w.controls or {}
        if w.split in ("train", "both"):
            train.append(controls)
        if w.split in ("val", "both"):
            val.append(controls)
    return train, val


def control_tokens(snapshot: Snapshot) -> list[str]:
    """The control tokens a tokenizer of this snapshot holds: every value of its training works, by name then value."""
    from ..learn.tokenizer import control_token

    values = {(name, value) for controls in snapshot_controls(snapshot)[0] for name, value in controls.items()}
    return [control_token(name, value) for name, value in sorted(values)]


def snapshot_texts(studio, snapshot: Snapshot) -> tuple[list[str], list[str]]:
    """(training documents, validation documents), read from the blobs by the hashes the snapshot froze."""
    if snapshot.medium == "image":  # never tokenized: images are read by corpus.image_snapshot.image_arrays
        raise TrainingError(f"snapshot {snapshot.id} holds images: it has no texts to tokenize")
    train, val = [], []
    for w in snapshot.works:
        text = studio.blobs.get(w.text_sha256).decode("utf-8")
        if w.split == "train":
            train.append(text)
        elif w.split == "val":
            val.append(text)
        else:
            head, tail = tail_split(text)
            train.append(head)
            val.append(tail)
    return train, val
