"""The report's figures, drawn with matplotlib and returned as inline SVG.

Figures are built with :class:`matplotlib.figure.Figure` on an Agg canvas set
explicitly, never through pyplot: nothing global changes, no display is ever
opened, and a figure is freed when the function returns. Text stays text in the
SVG (selectable, searchable, and in the report's language). Colours come from
the Okabe–Ito palette, which colour-blind readers tell apart; the generated
texts are always vermilion, your own works always blue.

Each function returns ``None`` when it has nothing to draw.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ..i18n import NBSP, NNBSP
from ..i18n.report import ReportTranslator as Translator

SAMPLES = "#D55E00"  # vermilion: what the model wrote
CORPUS = "#0072B2"  # blue: what people wrote
GROUP_COLOURS = {"all samples": SAMPLES, "same prompt": "#E69F00", "different prompts": "#CC79A7"}
INK = "#222222"
GRID = "#dddddd"
SAMPLES_LIGHT = "#EBA77A"  # the other authors: the nearest one stands out
BAND = "#b8b8b8"
MAX_PAIR_BARS = 6

_STYLE = {
    "svg.fonttype": "none",  # keep text as text
    "svg.hashsalt": "ouvroir",  # the same audit gives the same SVG
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica Neue", "Arial", "Liberation Sans"],
    "font.size": 11,
    "axes.edgecolor": "#888888",
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "xtick.color": "#555555",
    "ytick.color": "#555555",
    "legend.frameon": False,
    "legend.fontsize": 10,
}


# 8.8 inches is the report's column: drawn at that width, a figure's text matches the page's.
WIDTH = 8.8


def _figure(height: float, **subplots) -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(**subplots)


def to_svg(fig: Figure, name: str) -> str:
    """The figure as an ``<svg>`` element for inlining in HTML.

    The XML prologue and metadata go (they only name W3C namespaces), and every id is
    prefixed with ``name`` so that several figures in one page never share an id.
    """
    buffer = io.StringIO()
    with matplotlib.rc_context(_STYLE):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)  # the HTML parser knows SVG without them
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{name}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", svg)
    return svg.replace("<svg ", f'<svg role="img" aria-labelledby="{name}-caption" class="plot" ', 1).strip()


def _label(text: str, limit: int = 38) -> str:
    """User text as a matplotlib label: ``$`` would start mathtext, and long titles would crowd the axes."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text.replace("$", r"\$")


def _legend(fig: Figure, axes: Sequence, ncols: int | None = None) -> None:
    """One legend above the plot, where it can never hide a bar or a point."""
    handles, labels = [], []
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    if handles:
        fig.legend(handles, labels, loc="outside upper right", ncols=ncols or len(handles))


def _plain(text: str) -> str:
    return text.replace(NNBSP, NBSP)


def _percent_axis(axis, tr: Translator) -> None:
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: _plain(tr.percent(value))))


def _number_axis(axis, tr: Translator, digits: int = 1) -> None:
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: tr.decimal(value, digits)))


def copying_plot(by_group: Mapping[str, Mapping], baseline: Mapping | None,
                 texts: Sequence[Mapping], tr: Translator) -> str | None:
    """Mean copied share per group as bars, each text as a dot, the worst text as a triangle; the baseline in blue."""
    rows = [(tr.group(name), stats, SAMPLES, [t.get("copied_share") for t in texts if t.get("group") == name])
            for name, stats in by_group.items() if stats and stats.get("mean_copied_share") is not None]
    if baseline and baseline.get("mean_copied_share") is not None:
        rows.append((tr("baseline_label"), baseline, CORPUS, []))
    if not rows:
        return None
    with matplotlib.rc_context(_STYLE):
        fig, ax = _figure(3.3)
        for x, (label, stats, colour, values) in enumerate(rows):
            ax.bar(x, stats["mean_copied_share"], width=0.6, color=colour)
            values = [v for v in values if v is not None]
            if values:  # spread evenly, not at random: the same audit draws the same figure
                n = len(values)
                offsets = [0.0] if n == 1 else [-0.2 + 0.4 * i / (n - 1) for i in range(n)]
                ax.scatter([x + o for o in offsets], values, s=16, color=INK, alpha=0.55, zorder=3, linewidths=0)
            if stats.get("max_copied_share") is not None:
                ax.scatter([x], [stats["max_copied_share"]], marker="^", s=40, color=colour, edgecolors=INK,
                           linewidths=0.6, zorder=4, clip_on=False)
        ax.set_xticks(range(len(rows)), [_label(r[0], 24) for r in rows])
        ax.set_ylabel(tr("axis_copied_share"))
        top = max(max(r[1].get("max_copied_share") or 0, r[1]["mean_copied_share"]) for r in rows)
        ax.set_ylim(0, max(0.05, top) * 1.12)
        _percent_axis(ax.yaxis, tr)
        ax.grid(axis="x", visible=False)
        handles = [Patch(color=SAMPLES, label=tr("legend_mean"))]
        if any(v is not None for row in rows for v in row[3]):
            handles.append(Line2D([], [], linestyle="", marker="o", markersize=4, color=INK, alpha=0.55,
                                  label=tr("legend_one_text")))
        if any(row[1].get("max_copied_share") is not None for row in rows):
            handles.append(Line2D([], [], linestyle="", marker="^", markersize=6, color=SAMPLES,
                                  markeredgecolor=INK, markeredgewidth=0.6, label=tr("legend_max")))
        fig.legend(handles=handles, loc="outside upper right", ncols=len(handles))
        return to_svg(fig, "copying")


def reconstructibility_plot(curves: Mapping[str, Mapping[str, float]], tr: Translator, texts_audit: bool) -> str | None:
    """Share pieced together from corpus passages of at least N words, against N, for the texts and the baseline."""
    series = [(tr("legend_texts" if texts_audit else "legend_samples"), curves.get("samples"), SAMPLES, "o"),
              (tr("baseline_label"), curves.get("baseline"), CORPUS, "s")]
    series = [(label, _by_int_key(curve), colour, marker) for label, curve, colour, marker in series if curve]
    if not series:
        return None
    with matplotlib.rc_context(_STYLE):
        fig, ax = _figure(3.0)
        for label, points, colour, marker in series:
            ax.plot([n for n, _ in points], [v for _, v in points], marker=marker, color=colour, label=label,
                    linewidth=2, markersize=5)
        ns = sorted({n for _, points, _, _ in series for n, _ in points})
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.set_xlabel(tr("axis_n_words"))
        ax.set_ylabel(tr("axis_reconstructed"))
        top = max(v for _, points, _, _ in series for _, v in points)
        ax.set_ylim(-0.02 * max(0.05, top), max(0.05, top) * 1.12)  # a point at 0 is drawn whole
        _percent_axis(ax.yaxis, tr)
        _legend(fig, [ax])
        return to_svg(fig, "reconstructibility")


def _by_int_key(curve: Mapping[str, float]) -> list[tuple[int, float]]:
    return sorted((int(n), float(v)) for n, v in curve.items() if v is not None)


def uniformization_plot(groups: Mapping[str, Mapping], tr: Translator) -> str | None:
    """Ratio per measure as bars leaving the line at 1: left is less diverse than the corpus, right more."""
    drawn = [(name, {m["name"]: m["ratio"] for m in (g.get("measures") or []) if m.get("ratio") is not None})
             for name, g in groups.items() if g]
    drawn = [(name, ratios) for name, ratios in drawn if ratios]
    if not drawn:
        return None
    intervals = {name: {m["name"]: m.get("ratio_interval") for m in (g.get("measures") or [])}
                 for name, g in groups.items() if g}
    names = list(dict.fromkeys(n for _, ratios in drawn for n in ratios))
    height = 0.8 / len(drawn)
    with matplotlib.rc_context(_STYLE):
        fig, ax = _figure(1.1 + 0.34 * len(names) * max(1, len(drawn) * 0.7))
        values = []
        for index, (group, ratios) in enumerate(drawn):
            ys = [names.index(n) - 0.4 + height * (index + 0.5) for n in ratios]
            widths = [r - 1 for r in ratios.values()]
            values.extend(ratios.values())
            ax.barh(ys, widths, left=1, height=height * 0.9, color=GROUP_COLOURS.get(group, INK),
                    label=_label(tr.group(group)))
            bars = intervals.get(group, {})
            for y, (measure, ratio) in zip(ys, ratios.items()):  # the bootstrap interval of each ratio
                lo, hi = bars.get(measure) or (None, None)
                if _finite(lo) and _finite(hi):
                    ax.errorbar(ratio, y, xerr=[[max(0.0, ratio - lo)], [max(0.0, hi - ratio)]], fmt="none",
                                ecolor=INK, elinewidth=1.1, capsize=2.5)
                    values.extend([lo, hi])
            for y, ratio in zip(ys, ratios.values()):
                ax.annotate(tr.decimal(ratio), (ratio, y), xytext=(-3 if ratio < 1 else 3, 0),
                            textcoords="offset points", va="center", ha="right" if ratio < 1 else "left", fontsize=9.5)
        ax.axvline(1, color=CORPUS, linewidth=1.5)
        ax.annotate(tr("line_corpus"), (1, 1), xycoords=("data", "axes fraction"), xytext=(4, 2),
                    textcoords="offset points", color=CORPUS, fontsize=10, va="bottom")
        ax.set_yticks(range(len(names)), [_label(tr.measure(n), 44) for n in names])
        ax.invert_yaxis()
        low, high = min(values + [0.9]), max(values + [1.1])
        ax.set_xlim(max(0, low - 0.15), high + 0.15)
        ax.set_xlabel(tr("axis_ratio"))
        _number_axis(ax.xaxis, tr)
        ax.grid(axis="y", visible=False)
        if len(drawn) > 1:
            _legend(fig, [ax])
        return to_svg(fig, "uniformization")


def _error_bars(ax, points: Sequence[Mapping], key: str) -> None:
    """Vertical bars for the bootstrap interval ``key + '_interval'`` of each point that has one."""
    for p in points:
        value, bounds = p.get(key), p.get(key + "_interval") or ()
        if _finite(value) and len(bounds) == 2 and all(_finite(b) for b in bounds):
            ax.errorbar(p["temperature"], value, yerr=[[max(0.0, value - bounds[0])], [max(0.0, bounds[1] - value)]],
                        fmt="none", ecolor=SAMPLES, elinewidth=1.1, capsize=3)


def sweep_plot(sweep: Sequence[Mapping], baseline_share: float | None, tr: Translator) -> str | None:
    """Two small panels against temperature: the copy you risk (left), the diversity you gain (right)."""
    points = sorted((p for p in sweep if p.get("temperature") is not None), key=lambda p: p["temperature"])
    if len(points) < 2:
        return None
    temps = [p["temperature"] for p in points]
    with matplotlib.rc_context(_STYLE):
        fig, (left, right) = _figure(3.0, ncols=2)
        copied = [(t, p["mean_copied_share"]) for t, p in zip(temps, points) if _finite(p.get("mean_copied_share"))]
        if copied:
            left.plot(*zip(*copied), marker="o", color=SAMPLES, linewidth=2, label=tr("legend_samples"))
            _error_bars(left, points, "mean_copied_share")
        if baseline_share is not None:
            left.axhline(baseline_share, color=CORPUS, linestyle="--", linewidth=1.2, label=tr("your_works"))
        left.set_ylabel(tr("axis_copied_share"))
        top = max([0.05, baseline_share or 0] + [v for _, v in copied])
        left.set_ylim(-0.03 * top, top * 1.15)
        _percent_axis(left.yaxis, tr)
        diverse = [(t, p["diversity_ratio"]) for t, p in zip(temps, points) if _finite(p.get("diversity_ratio"))]
        if diverse:
            right.plot(*zip(*diverse), marker="o", color=SAMPLES, linewidth=2)
            _error_bars(right, points, "diversity_ratio")
            diverse += [(p["temperature"], v) for p in points for v in (p.get("diversity_ratio_interval") or [])
                        if _finite(v)]  # fmt: skip
        right.axhline(1, color=CORPUS, linestyle="--", linewidth=1.2)
        right.annotate(tr("line_corpus"), (0, 1), xycoords=("axes fraction", "data"), xytext=(3, 3),
                       textcoords="offset points", color=CORPUS, fontsize=10)
        right.set_ylabel(tr("axis_diversity_ratio"))
        values = [v for _, v in diverse] + [1.0]
        right.set_ylim(max(0, min(values) - 0.15), max(values) + 0.15)
        _number_axis(right.yaxis, tr)
        for ax in (left, right):
            ax.set_xlabel(tr("axis_temperature"))
            ax.set_xticks(temps, [tr.decimal(t, 1) for t in temps])
        _legend(fig, [left])
        return to_svg(fig, "sweep")


def style_plot(style: Mapping, tr: Translator) -> str | None:
    """Distance from the texts to each author (vermilion), beside the distances between authors (grey).

    A few author pairs get a bar each; many become one grey band from the closest pair to the farthest.
    """
    authors = sorted((a for a in style.get("samples_to_authors") or [] if _finite(a.get("delta"))),
                     key=lambda a: a["delta"])
    if not authors:
        return None
    pairs = sorted((p for p in style.get("between_authors") or [] if _finite(p.get("delta"))), key=lambda p: p["delta"])
    as_bars = len(pairs) <= MAX_PAIR_BARS
    nearest = style.get("nearest_author")
    rows = [(_label(a.get("author") or tr("unknown_author")), a["delta"],
             SAMPLES if a.get("author") == nearest else SAMPLES_LIGHT) for a in authors]
    if as_bars:
        rows += [(_label(f"{p.get('a') or '?'} ↔ {p.get('b') or '?'}", 44), p["delta"], BAND) for p in pairs]
    with matplotlib.rc_context(_STYLE):
        fig, ax = _figure(1.2 + 0.38 * len(rows))
        if pairs and not as_bars:
            ax.axvspan(pairs[0]["delta"], pairs[-1]["delta"], color=BAND, alpha=0.5, linewidth=0)
        ys = list(range(len(rows)))
        ax.barh(ys, [r[1] for r in rows], height=0.62, color=[r[2] for r in rows])
        for y, (_, delta, _) in zip(ys, rows):
            ax.annotate(tr.decimal(delta), (delta, y), xytext=(3, 0), textcoords="offset points", va="center",
                        fontsize=9.5)
        ax.set_yticks(ys, [r[0] for r in rows])
        ax.invert_yaxis()
        ax.set_xlim(0, max(r[1] for r in rows + [("", p["delta"], "") for p in pairs]) * 1.12)
        ax.set_xlabel(tr("axis_delta"))
        _number_axis(ax.xaxis, tr)
        ax.grid(axis="y", visible=False)
        handles = [Patch(color=SAMPLES, label=tr("legend_to_author"))]
        if pairs:
            handles.append(Patch(color=BAND, alpha=1 if as_bars else 0.5, label=tr("legend_between")))
        fig.legend(handles=handles, loc="outside upper right", ncols=2)
        return to_svg(fig, "style")


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
