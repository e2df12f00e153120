"""What ``verify`` checks in an exported document's authorship ledger: the ledger against itself,
the exported file against the ledger's text, and (with the studio) each model span against its sample.

Here, not in ``export``'s signing, so that provenance reaches these checks while co-creation
imports nothing of provenance: the dependency goes one way.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..errors import DocumentError
from .documents import stored_suggestion
from .export import MD_RULE, text_sha256
from .ledger import CATEGORIES, GENERATED, MODEL, PERSON, WRITTEN, summarize


def record_problems(record: dict) -> list[str]:
    """What is inconsistent inside an exported ledger: the text's hash, the spans' coverage, the summary."""
    text, spans, summary = record.get("text"), record.get("spans"), record.get("summary")
    if not isinstance(text, str) or not isinstance(spans, list) or not isinstance(summary, dict):
        return ["the ledger is malformed: it needs text, spans and summary"]
    listed = record.get("pieces") if isinstance(record.get("pieces"), list) else []
    pieces = {p["piece"]: p.get("sample_id") for p in listed if isinstance(p, dict) and type(p.get("piece")) is int}
    problems = []
    if record.get("text_sha256") != text_sha256(text):
        problems.append("the ledger's text does not match its text_sha256")
    counts: Counter = Counter()
    position = 0
    for number, span in enumerate(spans, 1):
        if not isinstance(span, dict) or not all(type(span.get(k)) is int for k in ("start", "end")):
            return problems + [f"span {number} is malformed"]
        if span["start"] != position:
            return problems + [f"span {number} starts at {span['start']}, where the spans before it end at {position}"]
        if span["end"] <= span["start"]:
            return problems + [f"span {number} is empty or reversed ({span['start']}–{span['end']})"]
        category, origin, piece = span.get("category"), span.get("origin"), span.get("piece")
        if category not in CATEGORIES or origin not in (PERSON, MODEL):
            return problems + [f"span {number} has an unknown category or origin ({category!r}, {origin!r})"]
        if ((category == WRITTEN) != (piece is None) or (category == GENERATED and origin != MODEL)
                or (piece is not None and (type(piece) is not int or pieces.get(piece, "?") != span.get("sample_id")))):  # fmt: skip
            return problems + [f"span {number} ({category}, {origin}, piece {piece}) contradicts its piece or the "
                               + "ledger's list of pieces"]  # fmt: skip
        counts[category] += span["end"] - span["start"]
        position = span["end"]
    if position != len(text):
        problems.append(f"the spans cover {position} characters but the text has {len(text)}")
    expected = summarize(counts, len(text))
    differ = [k for k in ("chars", *CATEGORIES, "shares") if summary.get(k) != expected[k]]
    if differ:
        problems.append("the summary does not match the spans: " + ", ".join(
            f"{k} is {summary.get(k)!r}, the spans say {expected[k]}" for k in differ))  # fmt: skip
    return problems


def _first_difference(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def content_problems(record: dict, path: Path) -> list[str]:
    """The exported file against the ledger's text (txt: equal; md: the text before the appendix)."""
    fmt, text = record.get("format"), record["text"]
    if fmt not in ("txt", "md"):
        return []  # html escapes and marks the text: its hash in the manifest is what binds it
    try:
        content = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{path.name} cannot be read as UTF-8 text ({exc})"]
    expected = text if fmt == "txt" else text + MD_RULE
    if content == text if fmt == "txt" else content.startswith(expected):
        return []
    at = _first_difference(content, expected)
    if at >= len(text):
        return [f"{path.name} goes on after the ledger's text" if fmt == "txt"
                else f"{path.name} has no authorship appendix right after the ledger's text"]  # fmt: skip
    return [f"{path.name} differs from the ledger's text at character {at} (of {len(text)})"]


def studio_problems(studio, record: dict) -> list[str]:
    """Each model span against the stored sample it came from, at its offset in the suggestion."""
    problems, found = [], {}
    listed = record.get("pieces") if isinstance(record.get("pieces"), list) else []
    for piece in (p for p in listed if isinstance(p, dict) and isinstance(p.get("sample_id"), str)):
        try:
            found[piece["sample_id"]] = stored_suggestion(studio, piece["sample_id"]).text
        except DocumentError as exc:
            problems.append(str(exc))
            continue
        if text_sha256(found[piece["sample_id"]]) != piece.get("text_sha256"):
            problems.append(f"suggestion {piece['sample_id']} in the studio is not the one in the ledger (hash differs)")
    for number, span in enumerate(record["spans"], 1):
        stored = found.get(span.get("sample_id"))
        if span["origin"] != MODEL or stored is None:
            continue
        offset, length = span.get("offset"), span["end"] - span["start"]
        if type(offset) is not int or stored[offset:offset + length] != record["text"][span["start"]:span["end"]]:
            problems.append(f"span {number} ({span['start']}–{span['end']}) is not the text of suggestion "
                            f"{span['sample_id']} at offset {offset}")  # fmt: skip
    return problems
