"""An image audit's JSON and its pictures to one self-contained HTML page, written beside audit.json.

Every picture is an inline ``data:`` PNG and every figure inline SVG, under a
Content-Security-Policy that forbids loading anything else: the report opens
offline and makes no outside request.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from ..fileio import atomic_write
from ..i18n.image_report import ImageReportTranslator
from .build import ReportFiles

SHEET_MAX = 256  # audited images shown as thumbnails; the JSON keeps every figure
CLUSTERS_SHOWN = 12


def write_image_report(audit: dict, samples: np.ndarray, train: np.ndarray, directory: Path, lang: str) -> ReportFiles:
    """Write ``audit.json`` and ``report.html`` into ``directory``, each whole or not at all."""
    files = ReportFiles(html=Path(directory) / "report.html", json=Path(directory) / "audit.json")
    html = render_image_html(audit, samples, train, lang)
    atomic_write(files.json, (json.dumps(audit, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    atomic_write(files.html, html.encode("utf-8"))
    return files


def data_uri(image: np.ndarray) -> str:
    from ..media.images.render import png_bytes

    return "data:image/png;base64," + base64.b64encode(png_bytes(np.asarray(image, np.uint8))).decode("ascii")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)  # fmt: skip


def render_image_html(audit: Mapping, samples: np.ndarray, train: np.ndarray, lang: str = "fr") -> str:
    tr = ImageReportTranslator(lang)
    return _environment().get_template("image_report.html.j2").render(**_context(audit, samples, train, tr), tr=tr, lang=lang)


def _context(audit: Mapping, samples: np.ndarray, train: np.ndarray, tr: ImageReportTranslator) -> dict:
    subject, corpus, copies = audit.get("subject") or {}, audit.get("corpus") or {}, audit.get("copies") or {}
    model = subject.get("kind") == "model"
    threshold = copies.get("threshold") or {}
    test = copies.get("three_sample_test") or {}
    c_t = test.get("c_t")
    verdict = ("verdict_copying" if test.get("copying") else "verdict_far" if c_t is not None and c_t > 3
               else "verdict_like")  # fmt: skip
    records = audit.get("images") or []
    flagged = int(copies.get("flagged") or 0)
    pairs = []
    for i, r in enumerate(records):
        source = r.get("source")
        if r.get("flagged") and source:
            pairs.append({"sample": data_uri(samples[i]), "work": data_uri(train[source["train_index"]]),
                          "line": tr("pair_line", label=r.get("label") or r["id"], title=source.get("title") or "?",
                                     author=source.get("author") or tr("unknown_author"),
                                     distance=tr.decimal(r.get("aligned_distance") or 0, 3), bits=r.get("hash_bits"))})  # fmt: skip
    return {
        "title": tr("title_model", model=subject.get("model_id") or "") if model else tr("title_images"),
        "tagline": tr("tagline" if model else "tagline_images"),
        "made": tr("made_on", id=audit.get("id") or "?", date=str(audit.get("created") or "")[:10]),
        "corpus_line": tr("corpus_line", works=tr.integer(int(corpus.get("works") or 0)),
                          images=tr.integer(int(corpus.get("images") or 0)), held=tr.integer(int(corpus.get("held_out") or 0)),
                          resolution=corpus.get("resolution") or "?"),  # fmt: skip
        "card_flagged": tr.plural("card_flagged", flagged, flagged=tr.integer(flagged),
                                  images=tr.integer(int(copies.get("images") or 0))),
        "card_test": tr("card_test", c_t=tr.decimal(c_t, 2), verdict=tr(verdict)) if c_t is not None else "",
        "copies_intro": tr("copies_intro", threshold=tr.decimal(threshold.get("pixels") or 0, 3),
                           bits=tr.decimal(threshold.get("hash_bits") or 0, 1), source=_source(tr, threshold.get("source")),
                           baseline=tr.integer(int(threshold.get("baseline_images") or 0))),  # fmt: skip
        "pairs": pairs,
        "histogram": Markup(histogram_svg(copies.get("histogram") or {})),
        "spaces": [_space(name, space, tr, samples) for name, space in (audit.get("diversity") or {}).items()],
        "sheet": [{"uri": data_uri(samples[i]), "label": r.get("label") or r["id"], "flagged": r.get("flagged")}
                  for i, r in enumerate(records[:SHEET_MAX])],
        "footer": tr("footer", version=audit.get("ouvroir_version") or "?", format=audit.get("format") or "?"),
    }


def _source(tr: ImageReportTranslator, source: str | None) -> str:
    """The baseline's name in the report's language (an unknown one, from a newer audit.json, as it stands)."""
    try:
        return tr(f"source_{source}")
    except KeyError:
        return source or ""


def _space(name: str, space: Mapping, tr: ImageReportTranslator, samples: np.ndarray) -> dict:
    def bracket(value, bounds) -> str:
        if value is None:
            return "—"
        text = tr.decimal(value, 3)
        return f"{text} [{tr.decimal(bounds[0], 3)} – {tr.decimal(bounds[1], 3)}]" if bounds else text

    rows = [{"name": tr(f"measure_{m['name']}"), "samples": bracket(m.get("samples"), m.get("samples_interval")),
             "corpus": bracket(m.get("corpus"), m.get("corpus_interval")),
             "ratio": bracket(m.get("ratio"), m.get("ratio_interval")), "less": (m.get("ratio") or 1) < 1}
            for m in space.get("measures") or []]  # fmt: skip
    groups = [[data_uri(samples[i]) for i in group[:8]] for group in (space.get("clusters") or [])[:CLUSTERS_SHOWN]]
    level = space.get("level")
    return {"title": tr(f"space_{name}"), "rows": rows, "clusters": groups,
            "intro": tr("diversity_intro", level=tr.percent(level) if level else "—")}


def histogram_svg(histogram: Mapping, width: int = 560, height: int = 180) -> str:
    """Two histograms on one axis (audited images in colour, held-out images in grey, each as a share
    of its own set) and the threshold as a vertical line."""
    edges, samples, baseline = histogram.get("edges") or [], histogram.get("samples") or [], histogram.get("baseline") or []
    if len(edges) < 2:
        return ""
    pad, bins = 28, len(edges) - 1
    share_s = np.asarray(samples, float) / max(1, sum(samples))
    share_b = np.asarray(baseline, float) / max(1, sum(baseline))
    top = max(float(share_s.max(initial=0)), float(share_b.max(initial=0)), 1e-9)
    bar = (width - 2 * pad) / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" class="histogram">']
    for i in range(bins):
        for share, colour, offset in ((share_b, "#b9b2a6", 0.0), (share_s, "#7a3b12", 0.5)):
            h = (height - 2 * pad) * share[i] / top
            parts.append(f'<rect x="{pad + i * bar + offset * bar:.1f}" y="{height - pad - h:.1f}" width="{bar / 2:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"/>')  # fmt: skip
    span = edges[-1] - edges[0] or 1.0
    x = pad + (width - 2 * pad) * (float(histogram.get("threshold") or 0) - edges[0]) / span
    parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{pad / 2}" y2="{height - pad}" stroke="#1f1c18" stroke-width="2"/>')
    parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{height - pad}" y2="{height - pad}" stroke="#6b645a"/>')
    for value in (edges[0], edges[len(edges) // 2], edges[-1]):
        px = pad + (width - 2 * pad) * (value - edges[0]) / span
        parts.append(f'<text x="{px:.1f}" y="{height - 8}" font-size="11" text-anchor="middle">{escape(f"{value:.2f}")}</text>')
    parts.append("</svg>")
    return "".join(parts)
