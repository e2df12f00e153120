"""One group of texts against matched corpus excerpts: every measure, its interval, and an honest verdict.

The headline is the ratio of the **spread of voices** (:mod:`ouvroir.audit.voices`):
of the audit's measures it is the one that orders one author below many
authors at the sizes an audit runs at (``bench/audit_voices.py``), where the
repetition measures disagree with each other. For media without word style
(music) the headline stays the geometric mean of the measure families.

Below the sizes of ``MIN_SIZES`` the spread of voices does not order one author
below many reliably (the same bench): the group says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict

import numpy as np

from . import bootstrap, diversity, form
from .diversity import Measure
from .voices import distances, mean_pair, voice_space

# From bench/audit_voices.py on ../shared/corpora/french (40 draws per author): one author < eleven authors
# in ≥ 95% of draws for every author from 10 texts of 500 characters (or 20 of 300, 30 of 150); one poet
# < seven poets in ≥ 80% from 10 texts of 500 characters. Each pair: (texts, characters a text).
MIN_SIZES = ((10, 500), (20, 300), (30, 150))
REFERENCE_TEXTS = 200  # corpus excerpts the voice space is fitted on
VOICES = "voice_spread"


def _finite(row: dict) -> dict:
    """JSON has no infinity: a ratio over a zero corpus value is reported as missing."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


def compare(bodies: Sequence[str], excerpts: Sequence[str], reference: Sequence[str], rare: frozenset[str],
            medium, seed: int, every_interval: bool = True) -> dict:  # fmt: skip
    """The group's JSON: measures with intervals, form, the headline ratio and its verdict.

    ``every_interval`` False resamples the headline only (the temperature sweep shows no other measure).
    """
    n = len(bodies)
    measures = diversity.uniformization(bodies, excerpts, rare)
    resampled: dict[str, dict] = {"samples": {}, "corpus": {}}
    if every_interval or not (medium.style and reference):
        resampled = {"samples": bootstrap.set_values(bodies, lambda t: diversity.diversity_profile(t, rare), seed),
                     "corpus": bootstrap.set_values(excerpts, lambda t: diversity.diversity_profile(t, rare), seed + 1)}  # fmt: skip
    if medium.style and reference:
        space = voice_space(reference)
        ds, dc = distances(bodies, space), distances(excerpts, space)
        s, c = round(mean_pair(ds), 6), round(mean_pair(dc), 6)
        measures.insert(0, Measure(VOICES, s, c, round(diversity._ratio(s, c, True), 6), True))
        resampled["samples"][VOICES] = bootstrap.pair_values(ds, seed)
        resampled["corpus"][VOICES] = bootstrap.pair_values(dc, seed + 1)
    measures += medium.extra_measures(bodies, excerpts)  # music: no intervals (its profile is not resampled)
    rows, ratios = [], {}
    for m in measures:
        row = _finite(asdict(m))
        s_vals, c_vals = resampled["samples"].get(m.name), resampled["corpus"].get(m.name)
        if s_vals is not None and c_vals is not None:
            ratios[m.name] = bootstrap.ratio_values(s_vals, c_vals, m.higher_is_diverse)
            row |= {"samples_interval": bootstrap.interval(m.samples, s_vals),
                    "corpus_interval": bootstrap.interval(m.corpus, c_vals),
                    "ratio_interval": bootstrap.interval(m.ratio, ratios[m.name])}  # fmt: skip
            row |= verdict(n, row["ratio_interval"])
        rows.append(row)
    by_name = {m.name: m for m in measures}
    if VOICES in by_name:
        headline, headline_values, summary = by_name[VOICES].ratio, ratios.get(VOICES), VOICES
    else:
        headline, summary = diversity.summary_ratio(measures), "families"
        headline_values = _summary_values(measures, ratios)
    headline_interval = bootstrap.interval(headline, headline_values) if headline_values is not None else None
    return {"n_texts": n, "excerpt_chars": round(sum(len(b) for b in bodies) / max(1, n)),
            "measures": rows, "form": form.compare_form(bodies, excerpts),
            "summary_measure": summary, "summary_ratio": _round(headline), "summary_interval": headline_interval,
            **verdict(n, headline_interval), "resamples": bootstrap.RESAMPLES, "level": bootstrap.LEVEL,
            "below_minimum": below_minimum(bodies)}  # fmt: skip


def verdict(n: int, ratio_interval) -> dict:
    """Whether samples and corpus can be told apart on a ratio, and how many texts would tell 10%."""
    if ratio_interval is None:
        return {}
    same = bootstrap.indistinguishable(ratio_interval)
    needed = bootstrap.texts_needed(n, ratio_interval) if same else None
    # An interval already narrower than a 10% difference: more texts would not help, the difference is smaller.
    precise = bool(same and needed is not None and needed <= n)
    return {"indistinguishable": same, "texts_needed": None if precise else needed, "precise": precise}


def below_minimum(bodies: Sequence[str]) -> bool:
    """Fewer texts, or shorter ones, than the spread of voices needs to order one voice below many."""
    chars = float(np.mean([len(b) for b in bodies] or [0]))
    return not any(len(bodies) >= n and chars >= c for n, c in MIN_SIZES)


def _summary_values(measures: Sequence[Measure], ratios: dict[str, np.ndarray]) -> np.ndarray | None:
    """The families' geometric mean on every resample (the headline for media without word style)."""
    if not ratios:
        return None
    resamples = len(next(iter(ratios.values())))
    rows = []
    for r in range(resamples):
        rows.append(diversity.summary_ratio([Measure(m.name, 0, 0, float(ratios[m.name][r]), m.higher_is_diverse)
                                             for m in measures if m.name in ratios]))  # fmt: skip
    return np.array(rows)


def _round(x: float) -> float | None:
    return round(x, 4) if x is not None and math.isfinite(x) else None


def span(interval, fmt: str = "{:.2f}") -> str:
    """' (90% interval a–b)' or '' when there is none."""
    if not interval:
        return ""
    return f" ({round(100 * bootstrap.LEVEL)}% interval {fmt.format(interval[0])}–{fmt.format(interval[1])})"


def headline_sentence(summary: dict, kind: str) -> str | None:
    """The diversity line of the terminal summary, in English (``summary``: ``run.summarize``'s dict)."""
    ratio = summary.get("diversity_ratio")
    if ratio is None:
        return None
    measure = "Spread of voices" if summary.get("diversity_measure") == VOICES else "Diversity"
    head = f"{measure} ratio {ratio:.2f}{span(summary.get('diversity_interval'))}: "
    if summary.get("diversity_indistinguishable"):
        needed = summary.get("diversity_texts_needed")
        if summary.get("diversity_precise"):
            return head + (f"the {kind} cannot be told apart from matched excerpts of the corpus; a 10% difference "
                           "would have shown at this size, so any difference is smaller.")  # fmt: skip
        return head + (f"the {kind} cannot be told apart from matched excerpts of the corpus at this size"
                       + (f"; about {needed} {kind} would tell a 10% difference." if needed else "."))  # fmt: skip
    if summary.get("diversity_interval") is None:
        verdict = "less diverse than" if ratio < 0.95 else "more diverse than" if ratio > 1.05 else "about as diverse as"
    else:
        verdict = "less diverse than" if ratio < 1 else "more diverse than"
    if measure == "Spread of voices":
        verdict = "fewer voices than" if ratio < 1 else "more voices than"
        return head + f"the {kind} sound like {verdict} matched excerpts of the corpus."
    return head + f"the {kind} are {verdict} matched excerpts of the corpus."
