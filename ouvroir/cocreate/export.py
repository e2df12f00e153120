"""A co-written document as txt, md or html, and the authorship ledger its signed manifest carries.

The workshop's ``export_document`` writes ``<slug of the title>.<ext>`` with these and signs it
in ``<file>.provenance.json`` (kind ``co-creation``); this module knows nothing of signing.
The manifest's ``ouvroir.ledger`` assertion carries the plain text, its hash, every span with its
category, origin and suggestion, and the summary, so a reader can check who wrote what without the
studio; ``verify`` re-derives the summary from the spans (``checks``) and, with the studio, compares
every model span with the stored sample it came from.

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

from ..version import __version__
from ..fileio import sha256_bytes
from ..i18n.export import EXPORT
from .documents import Doc
from .ledger import CATEGORIES, PERSON, WRITTEN

FORMATS = {"txt": ".txt", "md": ".md", "html": ".html"}
MD_RULE = "\n\n---\n\n"  # between the text and the appendix: verify finds the text before it


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


def _strings(lang: str) -> dict:
    return EXPORT["fr" if lang.lower().startswith("fr") else "en"]


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
<section class="authorship" lang="{'fr' if t is EXPORT['fr'] else 'en'}">
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
