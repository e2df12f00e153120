"""From an audit's JSON to one self-contained HTML page, and both written beside each other.

The page needs nothing but itself: CSS in a ``<style>``, figures as inline SVG,
no script, and a Content-Security-Policy that forbids loading anything else, so
a report opened offline, years later, looks the same. Every section is
optional: an instrument that did not run says so, with the audit's warning
about it when there is one.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from ..fileio import atomic_write
from . import plots
from .cards import cards
from .scores import Scorer
from .numbers import chars as _chars, decimal as _decimal, number as _number, percent as _percent
from ..i18n import NBSP, NNBSP
from ..i18n.report import ReportTranslator as Translator

SECTIONS = ("copying", "credit", "uniformization", "sweep", "style", "texts")

# A warning given as plain text is placed in the section whose word it uses; the rest go to the top.
_SECTION_WORDS = {
    "style": ("style", "delta", "burrows"),
    "sweep": ("temperature", "sweep", "température"),
    "uniformization": ("divers", "uniformi", "vendi", "rouge", "distinct"),
    "credit": ("credit", "crédit"),
    "copying": ("copy", "copie", "copied", "reconstruct", "baseline", "held-out"),
}

# Groups with more texts than this start folded, so a 1,000-sample audit stays a page one can scroll.
_OPEN_GROUP_TEXTS = 12


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    json: Path


def write_report(audit: dict, directory: Path, lang: str) -> ReportFiles:
    """Write ``audit.json`` and ``report.html`` into ``directory``, each whole or not at all."""
    files = ReportFiles(html=Path(directory) / "report.html", json=Path(directory) / "audit.json")
    html = render_html(audit, lang)  # rendered first: a template error leaves no half-written pair
    atomic_write(files.json, (json.dumps(audit, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    atomic_write(files.html, html.encode("utf-8"))
    return files


def render_html(audit: dict, lang: str = "fr") -> str:
    """The report as one HTML document in ``lang`` (``fr`` or ``en``)."""
    tr = Translator(lang)
    return _environment().get_template("report.html.j2").render(**_context(audit, tr), tr=tr, lang=lang)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _context(audit: Mapping, tr: Translator) -> dict:
    texts_audit = (audit.get("subject") or {}).get("kind") == "texts"
    copying = audit.get("copying") or {}
    notes, section_notes = _warnings(audit.get("warnings") or [])
    min_copy = _chars(tr, (audit.get("settings") or {}).get("min_copy"))
    context = {
        "texts_audit": texts_audit,
        "header": _header(audit, tr, texts_audit),
        "cards": cards(audit, tr, texts_audit, min_copy),
        "notes": notes,
        "section_notes": {name: section_notes.get(name, []) for name in SECTIONS},
        "min_copy": min_copy,
        "copying": _copying(copying, audit.get("texts") or [], tr, texts_audit),
        "credit": _credit(audit.get("credit") or [], tr),
        "credit_coverage": (tr("credit_coverage", share=_percent(tr, audit["credit_coverage"]))
                            if _number(audit.get("credit_coverage")) is not None else ""),
        # An empty list from an audit that looked for copies means nothing was borrowed, not that it did not look.
        "nothing_to_credit": isinstance(audit.get("credit"), list) and bool(copying.get("by_group")),
        "uniformization": _uniformization(audit.get("uniformization") or {}, tr),
        "sweep": _sweep(audit.get("sweep") or [], copying.get("baseline") or {}, tr),
        "sweep_points": len(audit.get("sweep") or []),
        "style": _style(audit.get("style") or {}, tr, texts_audit),
        "groups": _texts(audit.get("texts") or [], tr),
        "footer": tr("footer", version=audit.get("ouvroir_version") or "?", format=audit.get("format") or "?"),
        "settings": ", ".join(f"{k}{NBSP}={NBSP}{v}" for k, v in (audit.get("settings") or {}).items()),
    }
    present = {"copying": context["copying"], "credit": context["credit"], "sweep": context["sweep"],
               "uniformization": context["uniformization"], "style": context["style"], "texts": True}
    context["sections"] = [(name, bool(present[name])) for name in SECTIONS]
    return context


def _warnings(warnings: Sequence) -> tuple[list[str], dict[str, list[str]]]:
    """Split the audit's warnings between the top of the report and the section each one is about.

    >>> _warnings(["The corpus has 2 authors: the style scale is coarse.", "Disk nearly full."])
    (['Disk nearly full.'], {'style': ['The corpus has 2 authors: the style scale is coarse.']})
    """
    top: list[str] = []
    by_section: dict[str, list[str]] = {}
    for warning in warnings:
        if isinstance(warning, Mapping):
            message, section = str(warning.get("message") or warning.get("text") or ""), warning.get("section")
        else:
            message, section = str(warning), None
        if not message:
            continue
        if section not in SECTIONS:
            lowered = message.lower()
            section = next((s for s, words in _SECTION_WORDS.items() if any(w in lowered for w in words)), None)
        (by_section.setdefault(section, []) if section else top).append(message)
    return top, by_section


def _header(audit: Mapping, tr: Translator, texts_audit: bool) -> dict:
    subject, corpus, settings = audit.get("subject") or {}, audit.get("corpus") or {}, audit.get("settings") or {}
    title = tr("title_texts") if texts_audit else tr("title_model", model=subject.get("model_id") or "")
    lines = []
    if corpus:
        lines.append(tr("corpus_line", works=tr.count("works", int(corpus.get("works") or 0)),
                        authors=tr.count("authors", int(corpus.get("authors") or 0)),
                        chars=tr.count("chars", int(corpus.get("chars") or 0))))
    temperatures = [t for t in settings.get("temperatures") or [] if _number(t) is not None]
    counts = _texts_per_group(audit)
    if not texts_audit and temperatures and counts:
        # What the tables count: one prompt's batch plus one sample per other prompt, empty ones left out.
        listed = (f"{NNBSP}; " if tr.lang == "fr" else ", ").join(tr.decimal(t, 1) for t in temperatures)
        tokens = tr.integer(int(settings.get("max_tokens") or 0))
        if len(set(counts)) == 1 and len(counts) == len(temperatures):
            lines.append(tr("samples_line", texts=tr.count("texts", counts[0]), temperatures=listed, tokens=tokens))
        else:
            lines.append(tr("samples_line_total", texts=tr.count("texts", sum(counts)), temperatures=listed,
                            tokens=tokens))
    made = tr("made_on", id=audit.get("id") or "?", date=str(audit.get("created") or "")[:10])
    return {"title": title, "tagline": tr("tagline_texts" if texts_audit else "tagline"), "lines": lines,
            "made": made}


def _texts_per_group(audit: Mapping) -> list[int]:
    """Texts in each group of the copying table (one group per temperature), else as the settings planned."""
    groups = ((audit.get("copying") or {}).get("by_group") or {}).values()
    counts = [int(n) for g in groups if isinstance(g, Mapping) and (n := _number(g.get("texts"))) is not None]
    planned = _number((audit.get("settings") or {}).get("samples_per_temperature"))
    return counts or ([int(planned)] * len((audit.get("settings") or {}).get("temperatures") or []) if planned else [])


def _bracket(tr: Translator, value: str, bounds: object, percent: bool = False) -> str:
    """``0,96 [0,93 – 0,99]``: a figure and its interval, in a table cell."""
    if not isinstance(bounds, Sequence) or len(bounds) != 2 or any(_number(b) is None for b in bounds):
        return value
    show = tr.percent if percent else tr.decimal
    return f"{value} [{show(bounds[0])} – {show(bounds[1])}]"


def _copying(copying: Mapping, texts: Sequence[Mapping], tr: Translator, texts_audit: bool) -> dict | None:
    by_group = {name: stats for name, stats in (copying.get("by_group") or {}).items() if stats}
    baseline = copying.get("baseline") or {}
    if not by_group and not baseline:
        return None
    rows = [_copy_row(tr.group(name), stats, tr) for name, stats in by_group.items()]
    if baseline:
        rows.append(_copy_row(tr("baseline_label"), baseline, tr, is_baseline=True))
    curves = copying.get("reconstructibility") or {}
    creativity = copying.get("creativity_index") or {}
    creativity_line = ""
    if _number(creativity.get("samples")) is not None:
        creativity_line = tr("creativity_line", samples=_decimal(tr, creativity.get("samples")),
                             baseline=_decimal(tr, creativity.get("baseline")))
    return {"rows": rows,
            "plot": Markup(plots.copying_plot(by_group, baseline, texts, tr) or ""),
            "reconstruct_plot": Markup(plots.reconstructibility_plot(curves, tr, texts_audit) or ""),
            "creativity": creativity_line}


def _copy_row(label: str, stats: Mapping, tr: Translator, is_baseline: bool = False) -> dict:
    return {"label": label, "baseline": is_baseline,
            "cells": [_decimal(tr, stats.get("texts"), 0), _decimal(tr, stats.get("texts_with_copy"), 0),
                      _percent(tr, stats.get("mean_copied_share")), _percent(tr, stats.get("median_copied_share")),
                      _percent(tr, stats.get("p90_copied_share")), _percent(tr, stats.get("max_copied_share")),
                      _chars(tr, stats.get("longest_copy"))]}


CREDIT_WORKS_SHOWN = 8


def _credit(credit: Sequence[Mapping], tr: Translator) -> list[dict]:
    """One row per author, largest share first, with their works under them."""
    rows = []
    for entry in sorted((c for c in credit if c), key=lambda c: -(_number(c.get("share")) or 0)):
        ranked = sorted(entry.get("works") or [], key=lambda w: -(_number(w.get("share")) or 0))
        works = [{"title": w.get("title") or tr("untitled"), "share": _percent(tr, w.get("share")),
                  "width": _bar_width(w.get("share"))} for w in ranked[:CREDIT_WORKS_SHOWN]]
        rest = ranked[CREDIT_WORKS_SHOWN:]
        if rest:  # a long tail of tiny shares reads as noise: one line for it (every figure stays in the JSON)
            share = sum(_number(w.get("share")) or 0 for w in rest)
            works.append({"title": tr("other_works", count=len(rest)), "share": _percent(tr, share), "width": _bar_width(share)})
        rows.append({"author": entry.get("author") or tr("no_source"), "no_source": entry.get("author") is None,
                     "share": _percent(tr, entry.get("share")), "width": _bar_width(entry.get("share")),
                     "works": works})
    return rows


def _bar_width(share: object) -> str:
    """A CSS width for a share of 1, kept in [0, 100] % whatever the input."""
    number = _number(share) or 0.0
    return f"{min(100.0, max(0.0, number * 100)):.1f}%"


def _uniformization(uniformization: Mapping, tr: Translator) -> dict | None:
    groups = {name: g for name, g in (uniformization.get("groups") or {}).items() if g}
    if not groups:
        return None
    main_name = "all samples" if "all samples" in groups else next(iter(groups))
    main = groups[main_name]
    measures = [{"name": tr.measure(m.get("name") or "?"),
                 "samples": _bracket(tr, _decimal(tr, m.get("samples")), m.get("samples_interval")),
                 "corpus": _bracket(tr, _decimal(tr, m.get("corpus")), m.get("corpus_interval")),
                 "ratio": _bracket(tr, _decimal(tr, m.get("ratio")), m.get("ratio_interval")),
                 "less": (_number(m.get("ratio")) or 1) < 1}
                for m in main.get("measures") or []]
    form = [{"name": tr.measure(name),
             "samples": _form_value(tr, name, pair[0] if len(pair) > 0 else None),
             "corpus": _form_value(tr, name, pair[1] if len(pair) > 1 else None)}
            for name, pair in (main.get("form") or {}).items() if isinstance(pair, Sequence)]
    not_measured = [tr("group_not_measured", group=tr.group(name), texts=tr.count("texts", int(g.get("n_texts") or 0)))
                    for name, g in groups.items() if not g.get("measures")]
    # The level and the number of resamples as the audit recorded them (an audit without them drew no intervals).
    note = (tr("intervals_note", level=_percent(tr, main.get("level")), resamples=_decimal(tr, main.get("resamples"), 0))
            if _number(main.get("level")) is not None else "")
    voices = tr("voices_glossary") if any(m.get("name") == "voice_spread" for m in main.get("measures") or []) else ""
    return {"plot": Markup(plots.uniformization_plot(groups, tr) or ""), "measures": measures, "form": form,
            "not_measured": not_measured, "intervals_note": note, "voices": voices}


def _form_value(tr: Translator, name: str, value: object) -> str:
    return _percent(tr, value) if name.endswith("_share") else _decimal(tr, value, 1)


def _sweep(sweep: Sequence[Mapping], baseline: Mapping, tr: Translator) -> dict | None:
    points = [p for p in sweep if p and _number(p.get("temperature")) is not None]
    if len(points) < 2:
        return None
    rows = [{"temperature": tr.decimal(p["temperature"], 1),
             "copied": _bracket(tr, _percent(tr, p.get("mean_copied_share")), p.get("mean_copied_share_interval"), True),
             "diversity": _bracket(tr, _decimal(tr, p.get("diversity_ratio")), p.get("diversity_ratio_interval")),
             "creativity": _bracket(tr, _decimal(tr, p.get("creativity_index")), p.get("creativity_index_interval"))}
            for p in sorted(points, key=lambda p: p["temperature"])]
    plot = plots.sweep_plot(points, _number(baseline.get("mean_copied_share")), tr)
    return {"plot": Markup(plot or ""), "rows": rows}


def _style(style: Mapping, tr: Translator, texts_audit: bool = False) -> dict | None:
    if not style.get("samples_to_authors"):
        return None
    pairs = [{"pair": f"{p.get('a') or '?'} ↔ {p.get('b') or '?'}", "delta": _decimal(tr, p.get("delta"))}
             for p in sorted(style.get("between_authors") or [], key=lambda p: _number(p.get("delta")) or 0)]
    mfw = style.get("mfw")
    nearest = style.get("nearest_author")
    # A few pairs are bars in the figure already; many are a band there, and listed here.
    return {"plot": Markup(plots.style_plot(style, tr) or ""),
            "pairs_table": pairs if len(pairs) > plots.MAX_PAIR_BARS else [],
            "caption": tr("style_caption_texts" if texts_audit else "style_caption", mfw=tr.integer(mfw) if _number(mfw) is not None else tr("most_frequent")),
            "nearest": tr("nearest_line", author=nearest) if nearest else ""}


def _texts(texts: Sequence[Mapping], tr: Translator) -> list[dict]:
    """The texts grouped as the audit groups them, each with its copied passages marked."""
    groups: dict[str, list[dict]] = {}
    scorer = Scorer()
    for index, text in enumerate(t for t in texts if t):
        body = str(text.get("text") or "")
        marked, sources = highlight(body, text.get("spans") or [], tr, f"text{index}")
        passages = {n: p for n, span in enumerate(_valid_spans(body, text.get("spans") or []), 1)
                    if (p := scorer.passage(span))}  # fmt: skip
        stats = tr("text_stats", share=_percent(tr, text.get("copied_share")),
                   longest=_chars(tr, text.get("longest_copy")), creativity=_decimal(tr, text.get("creativity_index")))
        credit = _credit_line(text.get("credit") or [], tr)
        prompt = text.get("prompt")
        groups.setdefault(str(text.get("group") or ""), []).append({
            "id": f"text{index}", "label": str(text.get("label") or text.get("id") or f"#{index + 1}"),
            "prompt": tr("prompt", prompt=prompt) if prompt else tr("no_prompt") if "prompt" in text else "",
            "stats": stats, "body": marked, "sources": sources, "passages": passages,
            "credit": tr("text_credit", credit=credit) if credit else ""})
    return [{"name": tr.group(name) if name else "", "texts": items, "open": len(items) <= _OPEN_GROUP_TEXTS}
            for name, items in groups.items()]


def _credit_line(credit: Sequence[Mapping], tr: Translator) -> str:
    """Each credited work with its share, under its author named once: ``Verlaine — A (50 %), B (21 %) · Rimbaud — C (29 %)``."""
    by_author: dict[str, list[str]] = {}
    for c in credit:
        if c:
            work = f"{c.get('title') or tr('untitled')} ({_percent(tr, c.get('share'))})"
            by_author.setdefault(str(c.get("author") or tr("no_source")), []).append(work)
    return " · ".join(f"{author} — {', '.join(works)}" for author, works in by_author.items())


def highlight(text: str, spans: Sequence[Mapping], tr: Translator, prefix: str) -> tuple[Markup, list[tuple[int, str]]]:
    """``text`` escaped, with each copied span in a ``<mark>`` that names its source, numbered after it.

    Spans are character offsets ``[start, end)`` into ``text``; overlapping ones are split
    so that each piece names every source it comes from.

    >>> body, sources = highlight("a <b> c", [{"start": 2, "end": 5, "author": "A", "title": "T", "work_start": 7}],
    ...                           Translator("en"), "t")
    >>> str(body)
    'a <mark data-source="A, T, position 7">&lt;b&gt;</mark><sup class="ref"><a href="#t-s1">1</a></sup> c'
    """
    valid = [(int(s["start"]), int(s["end"]), s) for s in _valid_spans(text, spans)]
    sources = [(n, _source(span, tr)) for n, (_, _, span) in enumerate(valid, 1)]
    cuts = sorted({0, len(text), *(v[0] for v in valid), *(v[1] for v in valid)})
    pieces = []
    for start, end in itertools.pairwise(cuts):
        covering = [n for n, (s, e, _) in enumerate(valid, 1) if s <= start and end <= e]
        if not covering:
            pieces.append(escape(text[start:end]))
            continue
        label = " · ".join(sources[n - 1][1] for n in covering)
        refs = Markup(",").join(Markup('<a href="#{}-s{}">{}</a>').format(prefix, n, n) for n in covering)
        pieces.append(Markup('<mark data-source="{}">{}</mark><sup class="ref">{}</sup>')
                      .format(label, text[start:end], refs))
    return Markup("").join(pieces), sources


def _valid_spans(text: str, spans: Sequence[Mapping]) -> list[Mapping]:
    """The spans that fall inside ``text``, in the order their sources are numbered."""
    return sorted((s for s in spans if s and _number(s.get("start")) is not None and _number(s.get("end")) is not None
                   and 0 <= s["start"] < s["end"] <= len(text)), key=lambda s: (int(s["start"]), int(s["end"])))


def _source(span: Mapping, tr: Translator) -> str:
    """``Paul Verlaine, Poèmes saturniens, position 10 234``: where a copied passage comes from."""
    title = span.get("title") or tr("untitled")
    position = tr.integer(int(span["work_start"])) if _number(span.get("work_start")) is not None else "?"
    author = span.get("author")
    label = (tr("source", author=author, title=title, position=position) if author
             else tr("source_title_only", title=title, position=position))
    if _number(span.get("bar")) is not None:  # a score: the bar and voice say more than a character position
        label += f", {tr('bar_voice', bar=tr.integer(int(span['bar'])), voice=tr.integer(int(span.get('voice') or 0) + 1))}"
    occurrences = _number(span.get("occurrences"))
    if occurrences and occurrences > 1:
        label += f" ({tr('occurrences', n=tr.integer(int(occurrences)))})"
    return label

