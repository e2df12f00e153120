"""The report's headline cards: a few numbers in big type, each with one sentence that says what it means.

An interval is written with the confidence level the audit recorded beside it,
so the report says what the audit did rather than what the code does today.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..i18n.report import ReportTranslator as Translator
from .numbers import number, percent


def cards(audit: Mapping, tr: Translator, texts_audit: bool, min_copy: str) -> list[dict]:
    """The headline: copied share, diversity, creativity and nearest author, each when the audit measured it."""
    found = []
    copying = audit.get("copying") or {}
    level = recorded_level(audit)
    share = overall_share(copying.get("by_group") or {})
    if share is not None:
        baseline = number((copying.get("baseline") or {}).get("mean_copied_share"))
        found.append({"kind": "copy", "big": tr.percent(share),
                      "text": tr("card_copy_texts" if texts_audit else "card_copy", min=min_copy),
                      "sub": tr("card_copy_baseline", share=tr.percent(baseline)) if baseline is not None else ""})
    intervals = copying.get("intervals") or {}
    if found:
        found[0]["sub"] = " ".join(x for x in (interval(tr, intervals.get("mean_copied_share"), level, as_percent=True), found[0]["sub"]) if x)
    uniformization = audit.get("uniformization") or {}
    ratio = number(uniformization.get("summary_ratio"))
    if ratio is not None:
        gap = round(abs(1 - ratio) * 100)
        voices = uniformization.get("summary_measure") == "voice_spread"
        if uniformization.get("indistinguishable"):
            text = tr("card_indistinct_precise" if uniformization.get("precise") else "card_indistinct", measure=tr.measure("voice_spread" if voices else "diversity_ratio"),
                      n=tr.integer(int(uniformization.get("n_texts") or 0)),
                      needed=tr.integer(int(uniformization.get("texts_needed") or 0)))  # fmt: skip
        elif voices:
            text = tr("card_voices_less" if ratio < 1 else "card_voices_more", pct=tr.percent(gap / 100))
        else:
            key = "card_diversity_same" if gap < 2 else "card_diversity_less" if ratio < 1 else "card_diversity_more"
            text = tr(key, pct=tr.percent(gap / 100))
        found.append({"kind": "diversity", "big": tr.decimal(ratio), "text": text,
                      "sub": interval(tr, uniformization.get("summary_interval"), level)})
    creativity = copying.get("creativity_index") or {}
    if number(creativity.get("samples")) is not None:
        baseline = number(creativity.get("baseline"))
        text = tr("card_creativity", baseline=tr.decimal(baseline) if baseline is not None else "—")
        found.append({"kind": "creativity", "big": tr.decimal(creativity["samples"]), "text": text,
                      "sub": interval(tr, intervals.get("creativity_index"), level)})
    nearest = (audit.get("style") or {}).get("nearest_author")
    if nearest:
        found.append({"kind": "style", "big": str(nearest), "text": tr("card_style"), "sub": ""})
    return found


def recorded_level(audit: Mapping) -> float | None:
    """The confidence level of the audit's intervals, as the audit wrote it down (None when it did not).

    >>> recorded_level({"copying": {"intervals": {"level": 0.9}}}), recorded_level({})
    (0.9, None)
    >>> recorded_level({"uniformization": {"groups": {"all samples": {"level": 0.95}}}})
    0.95
    """
    levels = [((audit.get("copying") or {}).get("intervals") or {}).get("level")]
    levels += [g.get("level") for g in ((audit.get("uniformization") or {}).get("groups") or {}).values()
               if isinstance(g, Mapping)]
    return next((level for level in map(number, levels) if level is not None), None)


def interval(tr: Translator, bounds: object, level: float | None, as_percent: bool = False) -> str:
    """``90 % interval: 0.93 – 0.99`` in the report's language, or '' without an interval.

    >>> interval(Translator("en"), [0.93, 0.99], 0.9)
    '90% interval: 0.93 – 0.99'
    >>> interval(Translator("en"), None, 0.9)
    ''
    """
    if not isinstance(bounds, Sequence) or len(bounds) != 2 or any(number(b) is None for b in bounds):
        return ""
    show = tr.percent if as_percent else tr.decimal
    return tr("interval", level=percent(tr, level), lo=show(bounds[0]), hi=show(bounds[1]))


def overall_share(by_group: Mapping[str, Mapping]) -> float | None:
    """Mean copied share over every text of every group (groups weighted by their number of texts).

    >>> overall_share({"a": {"mean_copied_share": 0.1, "texts": 3}, "b": {"mean_copied_share": 0.5, "texts": 1}})
    0.2
    """
    pairs = [(number(g.get("mean_copied_share")), number(g.get("texts")) or 0) for g in by_group.values() if g]
    pairs = [(share, n) for share, n in pairs if share is not None]
    if not pairs:
        return None
    total = sum(n for _, n in pairs)
    return sum(s * n for s, n in pairs) / total if total else sum(s for s, _ in pairs) / len(pairs)
