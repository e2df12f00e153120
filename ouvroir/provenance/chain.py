"""Verifying an output's chain back to the works: model → snapshot → works, against the studio that holds them.

:func:`ouvroir.provenance.verify.verify` runs these once the signature and content hold and a studio is at hand.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from ..fileio import sha256_file
from ..store import models as model_store
from ..store import works as work_store


class Checks(Protocol):
    """Where a check's outcome goes (a ``Verdict``)."""

    def add(self, name: str, ok: bool | None, message: str) -> bool | None: ...


@lru_cache(maxsize=8)
def _weights_hash(path: str, size: int, mtime_ns: int) -> str:
    # Keyed by size and time too: verifying many samples of one model hashes its weights once.
    return sha256_file(Path(path))


def check_chain(verdict: Checks, assertions: dict, studio) -> None:
    model = assertions.get("ouvroir.model")
    snapshot = assertions.get("ouvroir.snapshot")
    if isinstance(model, dict):
        _check_model(verdict, model, studio)
    if isinstance(snapshot, dict) and _check_snapshot(verdict, snapshot, studio):
        _check_works(verdict, snapshot, studio)


def _check_model(verdict: Checks, model: dict, studio) -> None:
    model_id = str(model.get("id"))
    row = model_store.model_chain(studio.conn, model_id)
    weights = studio.layout.model_weights(model_id)
    if row is None:
        verdict.add("model", False, f"the studio no longer holds model {model_id}")
        return
    if not weights.is_file():
        verdict.add("model", False, f"the studio no longer holds model {model_id}'s weights ({weights} is missing)")
        return
    expected = model.get("weights_sha256")
    if row[0] and row[0] != expected:
        verdict.add("model", False, f"model {model_id} in the studio is not the one that made this (its weights hash differs)")
        return
    stat = weights.stat()
    if _weights_hash(str(weights), stat.st_size, stat.st_mtime_ns) != expected:
        verdict.add("model", False, f"model {model_id}'s weights changed since: {weights.name} does not match its hash")
        return
    if row[1] != model.get("snapshot_id"):
        verdict.add("model", False, f"model {model_id} was trained on snapshot {row[1]}, not {model.get('snapshot_id')}")
        return
    verdict.add("model", True, f"model {model_id} is in the studio, its weights match")


def _check_snapshot(verdict: Checks, snapshot: dict, studio) -> bool:
    snapshot_id = str(snapshot.get("id"))
    path = studio.layout.snapshot_manifest(snapshot_id)
    try:
        frozen = json.loads(path.read_text("utf-8"))["works"]
        held = {w["work_id"]: (w["text_sha256"], w["consent_event_id"]) for w in frozen}
    except (OSError, ValueError, KeyError, TypeError):
        verdict.add("snapshot", False, f"the studio no longer holds snapshot {snapshot_id} (or its manifest is damaged)")
        return False
    works = snapshot.get("works") if isinstance(snapshot.get("works"), list) else []
    claimed = {w["work_id"]: (w.get("text_sha256"), w.get("consent_event_id"))
               for w in works if isinstance(w, dict) and isinstance(w.get("work_id"), str)}  # fmt: skip
    differ = sorted(str(w) for w in claimed.keys() | held.keys() if claimed.get(w) != held.get(w))
    if differ:
        more = f" and {len(differ) - 3} more" if len(differ) > 3 else ""
        works = ", ".join(differ[:3]) + more
        verdict.add("snapshot", False, f"snapshot {snapshot_id} in the studio differs from the manifest: work {works}")
        return False
    verdict.add("snapshot", True, f"snapshot {snapshot_id}: the same {len(held)} works, with the same text hashes")
    return True


def _removed_on(studio, work_id: str) -> str | None:
    """The date a work was removed from the studio, or None while it is still there."""
    if work_store.is_held(studio.conn, work_id):
        return None
    removed_at = work_store.last_removed_at(studio.conn, work_id)
    return removed_at[:10] if removed_at else None


def _check_works(verdict: Checks, snapshot: dict, studio) -> None:
    """Each work's text still in the studio (a snapshot keeps the texts it froze, even of removed works)."""
    damaged, gone, removed = [], [], []
    works = [w for w in snapshot["works"] if isinstance(w, dict)]
    for work in works:
        label = f"{work['work_id']} ({work.get('title')!r})"
        problem = studio.blobs.verify(str(work.get("text_sha256")))
        removed_on = _removed_on(studio, str(work["work_id"]))
        if problem is None:
            if removed_on:
                removed.append(f"{label} on {removed_on}")
        elif problem == "missing" and removed_on:
            gone.append(f"{label} was removed from the studio on {removed_on} with its text")
        else:
            damaged.append(f"the text of work {label} is {'missing from' if problem == 'missing' else 'changed in'} the studio")
    since = ""
    if removed:
        since = f"; removed from the studio since (their texts kept with the snapshot): {', '.join(removed)}"
    if damaged:
        verdict.add("works", False, "; ".join(damaged))
    elif gone:
        verdict.add("works", None, "; ".join(gone) + ": it can no longer be compared" + since)
    else:
        verdict.add("works", True, f"all {len(works)} works' texts are in the studio, unchanged{since}")
