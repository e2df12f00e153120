"""From spans and word runs to the audit's figures: per text, per group, and the credit table.

Everything here is plain data in, JSON-ready dicts out, so the report and any
other tool read the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import attribution
from .copying import Span, copied_share
from .index import CorpusIndex


@dataclass
class AuditText:
    """One text under audit: a model's sample, a given file, or an excerpt of the corpus (baseline)."""

    id: str
    label: str
    group: str
    text: str
    temperature: float | None = None
    prompt: str | None = None
    source: str | None = None  # what the text was made from, when the audit searches a derived text (music)


def reconstruct_sizes(min_copy: int) -> list[int]:
    """Run lengths in words for reconstructibility: from 5 words to about ``min_copy`` characters.

    >>> reconstruct_sizes(50)
    [5, 6, 7, 8, 9, 10]
    """
    top = max(6, round(min_copy / 5))  # ~5 characters per word in French and English prose
    return list(range(5, top + 1))


def text_record(
    index: CorpusIndex, item: AuditText, spans: Sequence[Span], runs: attribution.WordRuns, sizes: Sequence[int],
    locate: Callable[[int, int], dict] = lambda work, offset: {},
) -> dict:
    curve = attribution.reconstructibility(runs, sizes)
    weights, credited = attribution.credit(runs)
    total = sum(weights.values())
    works = index.works
    return {
        "id": item.id, "label": item.label, "group": item.group, "temperature": item.temperature,
        "prompt": item.prompt, "text": item.text, "chars": len(item.text),
        "copied_share": round(copied_share(item.text, spans), 4),
        "longest_copy": max((s.end - s.start for s in spans), default=0),
        "spans": [{"start": s.start, "end": s.end, "work_id": works[s.work].work_id, "title": works[s.work].title,
                   "author": works[s.work].author, "work_start": s.work_start, "occurrences": s.occurrences}
                  | locate(s.work, s.work_start) for s in spans],
        "reconstructibility": {str(n): round(v, 4) for n, v in curve.items()},
        "creativity_index": round(attribution.creativity_index(curve), 4),
        "credited_share": round(credited, 4),
        "credit": [{"author": works[w].author, "work_id": works[w].work_id, "title": works[w].title,
                    "share": round(v / total, 4)} for w, v in sorted(weights.items(), key=lambda kv: -kv[1])[:8]],
        **({"events": item.source} if item.source is not None else {}),
        "_weights": weights,  # raw, for the credit table; dropped before writing
        "_words": len(runs.starts),
    }  # fmt: skip


def copy_stats(records: Sequence[dict]) -> dict:
    """The distribution of copying over a set of texts."""
    shares = np.array([r["copied_share"] for r in records], dtype=float)
    if not shares.size:
        return {"texts": 0}
    return {
        "texts": int(shares.size),
        "mean_copied_share": round(float(shares.mean()), 4),
        "median_copied_share": round(float(np.median(shares)), 4),
        "p90_copied_share": round(float(np.quantile(shares, 0.9)), 4),
        "max_copied_share": round(float(shares.max()), 4),
        "texts_with_copy": int(sum(1 for r in records if r["spans"])),
        "longest_copy": int(max(r["longest_copy"] for r in records)),
    }


def mean_curve(records: Sequence[dict]) -> dict[str, float]:
    if not records:
        return {}
    keys = records[0]["reconstructibility"].keys()
    return {k: round(float(np.mean([r["reconstructibility"][k] for r in records])), 4) for k in keys}


def mean_creativity(records: Sequence[dict]) -> float | None:
    return round(float(np.mean([r["creativity_index"] for r in records])), 4) if records else None


def credit_table(index: CorpusIndex, records: Sequence[dict]) -> tuple[list[dict], float]:
    """(rows per author, largest first, each with its works; share of the words credited to some work)."""
    by_work: dict[int, float] = defaultdict(float)
    for r in records:
        for work, weight in r["_weights"].items():
            by_work[work] += weight
    total = sum(by_work.values())
    words = sum(r["_words"] for r in records)
    coverage = sum(r["credited_share"] * r["_words"] for r in records) / words if words else 0.0
    if not total:
        return [], round(coverage, 4)
    authors: dict[str | None, list[tuple[int, float]]] = defaultdict(list)
    for work, weight in by_work.items():
        authors[index.works[work].author].append((work, weight))
    rows = []
    for author, items in authors.items():
        items.sort(key=lambda kv: -kv[1])
        rows.append({"author": author, "share": round(sum(v for _, v in items) / total, 4),
                     "works": [{"work_id": index.works[w].work_id, "title": index.works[w].title,
                                "share": round(v / total, 4)} for w, v in items]})  # fmt: skip
    rows.sort(key=lambda row: -row["share"])
    return rows, round(coverage, 4)


def public(record: dict) -> dict:
    """The record as written to JSON (without the raw weights)."""
    return {k: v for k, v in record.items() if not k.startswith("_")}
