"""Exporting a co-written document as txt, md or html, beside its signed authorship ledger.

``export_document`` writes ``<slug of the title>.<ext>`` and ``<file>.provenance.json``
(kind ``co-creation``). The manifest's ``ouvroir.ledger`` assertion carries the plain text, its
hash, every span with its category, origin and suggestion, and the summary, so a reader can
check who wrote what without the studio; ``verify`` re-derives the summary from the spans and,
with the studio, compares every model span with the stored sample it came from.

The AI label follows what the document holds: ``compositeWithTrainedAlgorithmicMedia`` when it
mixes a person's text and a model's, ``trainedAlgorithmicMedia`` when every character came from
a model, and none when a person wrote it all (no generated text is left: nothing to label).

* txt — the text exactly (UTF-8);
* md — the text, then a ``---`` rule and an "Authorship"/"Autorat" appendix (summary, samples);
* html — one standalone page (inline CSS, no script, no external resource) with each generated
  or edited run in a ``<mark>`` naming its model and sample, a legend and the summary.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from ..version import __version__
from ..errors import DocumentError
from ..fileio import atomic_write, sha256_bytes
from ..provenance import manifest as mf
from ..provenance.keys import load_or_create_key
from ..store import models as model_store
from ..store.db import now
from .documents import Doc, get_document, stored_suggestion
from .ledger import CATEGORIES, GENERATED, MODEL, PERSON, WRITTEN, summarize

if TYPE_CHECKING:
    from ..workshop.studio import Studio

FORMATS = {"txt": ".txt", "md": ".md", "html": ".html"}
MD_RULE = "\n\n---\n\n"  # between the text and the appendix: verify finds the text before it

STRINGS = {
    "fr": {"authorship": "Autorat", "chars": "Caractères (espaces compris)", "written": "écrit",
           "generated": "généré et gardé", "edited": "généré puis retouché", "samples": "Suggestions utilisées",
           "model": "modèle", "sample": "échantillon", "none": "aucune", "by_person": "tapé par la personne",
           "typed_in": "tapé dans une suggestion",
           "legend": "Légende", "provenance": "Provenance signée", "pct": "{:.0f} %", "colon": " : "},
    "en": {"authorship": "Authorship", "chars": "Characters (spaces included)", "written": "written",
           "generated": "generated and kept", "edited": "generated, then edited", "samples": "Suggestions used",
           "model": "model", "sample": "sample", "none": "none", "by_person": "typed by the person",
           "typed_in": "typed inside a suggestion",
           "legend": "Legend", "provenance": "Signed provenance", "pct": "{:.0f}%", "colon": ": "},
}  # fmt: skip


def text_sha256(text: str) -> str:
    return sha256_bytes(text.encode("utf-8"))


def slug(title: str, fallback: str) -> str:
    """A file name from a title: ``"Le Vent, la Mer"`` → ``le-vent-la-mer`` (``fallback`` if nothing is left)."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60].strip("-") or fallback


def ledger_record(doc: Doc, fmt: str) -> dict:
    """The ``ouvroir.ledger`` assertion: the document's text and who wrote each part of it."""
    spans = doc.spans
    present = sorted({s["piece"] for s in spans if s["piece"] is not None})
    pieces = [{"piece": i, "sample_id": doc.ledger.pieces[i].sample_id, "model_id": doc.ledger.pieces[i].model_id,
               "text_sha256": text_sha256(doc.ledger.pieces[i].text)} for i in present]  # fmt: skip
    return {"document_id": doc.id, "title": doc.title, "lang": doc.lang, "format": fmt, "text": doc.text,
            "text_sha256": text_sha256(doc.text), "spans": spans, "summary": doc.summary, "pieces": pieces}  # fmt: skip


def source_type(spans: list[dict]) -> str | None:
    origins = {s["origin"] for s in spans}
    return mf.COMPOSITE if origins == {PERSON, MODEL} else mf.TRAINED if origins == {MODEL} else None


def _strings(lang: str) -> dict:
    return STRINGS["fr" if lang.lower().startswith("fr") else "en"]


def _summary_lines(summary: dict, t: dict) -> list[tuple[str, str]]:
    lines = [(t["chars"], str(summary["chars"]))]
    return lines + [(t[c].capitalize(), f"{t['pct'].format(summary['shares'][c] * 100)} ({summary[c]})") for c in CATEGORIES]


def render_md(record: dict, lang: str, provenance_name: str) -> str:
    t = _strings(lang)
    colon = t["colon"]
    lines = [f"## {t['authorship']}", ""] + [f"- {k}{colon}{v}" for k, v in _summary_lines(record["summary"], t)]
    lines += ["", f"{t['samples']}{colon.rstrip()}", ""]
    lines += [f"- {t['sample']} `{p['sample_id']}`, {t['model']} `{p['model_id']}`" for p in record["pieces"]] or [f"- {t['none']}"]
    lines += ["", f"{t['provenance']}{colon}`{provenance_name}`"]
    return record["text"] + MD_RULE + "\n".join(lines) + "\n"


CSS = """body{margin:0;background:#fbfaf7;color:#1d1d1b;font:18px/1.6 Georgia,'Times New Roman',serif}
main{max-width:42rem;margin:3rem auto;padding:0 1.25rem}
h1{font-size:1.8rem;line-height:1.2}h2{font-size:1.2rem;margin-top:3rem}
.text{white-space:pre-wrap;overflow-wrap:break-word}
mark{color:inherit;border-radius:2px}mark.generated{background:#cfe3f7}
mark.edited{background:#f6dfb3}mark.edited.person{background:#f6dfb3;text-decoration:underline dotted}
.authorship{font:15px/1.5 system-ui,sans-serif;border-top:1px solid #ccc;margin-top:3rem}
.authorship td{padding:.1rem 1rem .1rem 0}code{font-size:.9em}"""


def render_html(record: dict, lang: str, provenance_name: str) -> str:
    t, e = _strings(lang), html.escape
    text, parts = record["text"], []
    for span in record["spans"]:
        chunk = e(text[span["start"]:span["end"]])
        if span["category"] == WRITTEN:
            parts.append(chunk)
            continue
        who = f" ({t['by_person']})" if span["origin"] == PERSON else ""
        tip = f"{t[span['category']]}{who} — {t['model']} {span['model_id']}, {t['sample']} {span['sample_id']}"
        person = " person" if span["origin"] == PERSON else ""
        parts.append(f'<mark class="{span["category"]}{person}" title="{e(tip)}">{chunk}</mark>')
    rows = "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in _summary_lines(record["summary"], t))
    samples = "".join(f"<li>{e(t['sample'])} <code>{e(p['sample_id'])}</code>, {e(t['model'])} "
                      f"<code>{e(p['model_id'])}</code></li>" for p in record["pieces"]) or f"<li>{e(t['none'])}</li>"  # fmt: skip
    legend = (f'{e(t["written"])} · <mark class="generated">{e(t["generated"])}</mark> · '
              f'<mark class="edited">{e(t["edited"])}</mark> · <mark class="edited person">{e(t["typed_in"])}</mark>')  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="{e(record['lang'])}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="generator" content="ouvroir {e(__version__)}">
<title>{e(record['title'])}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<h1>{e(record['title'])}</h1>
<div class="text">{''.join(parts)}</div>
<section class="authorship" lang="{'fr' if t is STRINGS['fr'] else 'en'}">
<h2>{e(t['authorship'])}</h2>
<p>{e(t['legend'])}{e(t['colon'])}{legend}</p>
<table>{rows}</table>
<h3>{e(t['samples'])}</h3>
<ul>{samples}</ul>
<p>{e(t['provenance'])}{e(t['colon'])}<code>{e(provenance_name)}</code></p>
</section>
</main>
</body>
</html>
"""


def export_document(studio: Studio, doc_id: str, fmt: str, out_dir: Path, lang: str | None = None) -> Path:
    """Write the document as ``fmt`` into ``out_dir`` with its signed provenance; return the file's path.

    ``lang`` (fr or en; default the document's) is the language of the md and html appendix.
    """
    if fmt not in FORMATS:
        raise DocumentError(f"unknown export format {fmt!r}: choose {', '.join(FORMATS)}")
    doc = get_document(studio, doc_id)
    lang = lang or doc.lang
    record = ledger_record(doc, fmt)
    path = Path(out_dir) / (slug(doc.title, doc.id) + FORMATS[fmt])
    provenance = mf.sidecar_path(path)
    content = {"txt": lambda: record["text"], "md": lambda: render_md(record, lang, provenance.name),
               "html": lambda: render_html(record, lang, provenance.name)}[fmt]()  # fmt: skip
    used = list(dict.fromkeys(p["sample_id"] for p in record["pieces"]))  # a sample accepted twice is one sample
    assertions: dict = {"ouvroir.ledger": record, "ouvroir.samples": used}
    chains = [mf.model_chain(studio, model_store.resolve_model(studio.conn, m, ready_only=False))
              for m in sorted({p["model_id"] for p in record["pieces"]})]  # fmt: skip
    if len(chains) == 1:  # the same assertions as a sample's, so verify's chain checks apply as they are
        assertions |= chains[0]
    elif chains:
        assertions["ouvroir.models"] = chains
    atomic_write(path, content.encode("utf-8"))
    manifest = mf.build("co-creation", [path], path.parent, source_type(record["spans"]), {"action": "c2pa.created"},
                        assertions, now())  # fmt: skip
    mf.write(manifest, provenance, load_or_create_key(studio.root))
    return path


# -- checking an export (provenance.verify calls these) ---------------------------------------------


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


def studio_problems(studio: Studio, record: dict) -> list[str]:
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
