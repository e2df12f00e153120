"""Copies of works without consent: a refusal must not be bypassed by adding the text again.

A new work that is a near-duplicate of, contains, or is largely made of a
stored work whose consent is not ``train`` is held at ``unknown`` with the
reason, even when ``--consent train`` or the owner rule would make it
trainable; only a person's later ``ouvroir consent W train`` lifts the hold.
Before training, every such pair between the snapshot and the works without
consent is listed (a copy lifted by hand, or an original withdrawn after its
copy was added).

The measures and thresholds are those of :mod:`ouvroir.corpus.dedup`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from ..store import passages as passage_store
from ..store import works as work_store
from .dedup import NearDuplicate

HOLD_ORIGIN = "copy-hold"


def _relation(measure: str, similarity: float, subject: str, other: str) -> str:
    if measure == "minhash-jaccard":
        return f"{subject} is {similarity:.0%} the same as {other}"
    if measure == "contains":
        return f"{subject} contains {similarity:.0%} of {other}"
    if measure == "phash":
        return f"{subject} is a near-duplicate image of {other} (perceptual hash {similarity:.0%} the same)"
    return f"{similarity:.0%} of {subject} also appears in {other}"


def hold_reason(conn: sqlite3.Connection, near: list[NearDuplicate]) -> str | None:
    """Why a new work must wait for a person's decision, or None: the closest stored work it copies
    whose consent is not ``train``."""
    for d in near:  # closest first
        if not d.other_id or d.measure == "repeated-passages":
            continue
        consent = work_store.consent_of(conn, d.other_id)
        if consent and consent != "train":
            other = f"work {d.other_id} {d.title!r}, whose consent is {consent}"
            relation = _relation(d.measure, d.similarity, "it", other)
            return f"held: {relation}; a person decides with `ouvroir consent`"
    return None


def snapshot_copies(conn: sqlite3.Connection, work_ids: Iterable[str]) -> list[str]:
    """One line per recorded copy relation between a work in ``work_ids`` and a work whose consent is not ``train``."""
    inside = set(work_ids)
    if not inside:
        return []
    lines = []
    for work_id, title, consent, other_id, other_title, other_consent, measure, similarity in passage_store.copy_relations(conn):
        if (work_id in inside) == (other_id in inside):
            continue  # both trained on, or neither: nothing reaches training through this pair
        a = f"work {work_id} {title!r}" + (" (in this snapshot)" if work_id in inside else f", whose consent is {consent}")
        b = f"work {other_id} {other_title!r}" + (" (in this snapshot)" if other_id in inside else f", whose consent is {other_consent}")
        lines.append(_relation(measure, similarity, a, b))
    return lines
