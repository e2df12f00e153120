"""The spread of voices tells one author from many; every figure's bootstrap interval holds its rate.

Acceptance on ../shared/corpora/french (skipped without it): 30 passages of ~500 characters by one
author against 30 round-robin over the eleven authors, 40 seeded draws each; bench/audit_voices.py runs
the full grid (counts × lengths) behind the README's minimum sizes.
"""

from __future__ import annotations

import numpy as np
import pytest

from ouvroir.audit import bootstrap, uniform
from ouvroir.audit.calibration import authors_of, ordering_rates, pools
from ouvroir.audit.diversity import matched_excerpts
from ouvroir.audit.medium import TextMedium
from ouvroir.audit.voices import distances, mean_pair, voice_space, voice_spread
from tests.conftest import SHARED, needs_shared

PROSE = {"flaubert", "maupassant", "verne", "zola"}


@pytest.fixture(scope="module")
def works():
    return authors_of(SHARED / "french")


@pytest.fixture(scope="module")
def pool(works):
    return pools(works, 150, 500, seed=0)


def test_identical_texts_are_the_floor_and_pairs_with_a_copy_are_left_out():
    texts = ["le chat dort sur le mur", "la mer monte et descend", "un ciel gris, une pluie fine", "il pleut"]
    space = voice_space(texts * 3, mfw=10, mfc=30)
    assert voice_spread([texts[0]] * 5, space) == 0.0
    assert voice_spread(texts, space) > 0.3
    d = np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]], dtype=float)
    # a resample holding text 0 twice: pairs (0,0') left out, pairs (0,1) counted twice
    assert mean_pair(d, np.array([2, 1, 0])) == pytest.approx(1.0)
    c = bootstrap.counts(np.array([[0, 0, 1]]), 3)
    pairs = c.sum() ** 2 - (c * c).sum()
    assert np.einsum("bi,ij,bj->b", c, d, c)[0] / pairs == pytest.approx(1.0)


def test_mean_intervals_cover_the_true_mean_at_about_their_rate():
    """Copy share and creativity are means over texts: their 90% intervals, on skewed values."""
    rng = np.random.default_rng(5)
    hits = 0
    for k in range(200):
        values = rng.beta(0.4, 2.0, size=30)  # mostly small shares, a few large: like copy shares
        lo, hi = bootstrap.mean_interval(values, seed=k)
        hits += lo <= 0.4 / 2.4 <= hi
    assert 0.82 <= hits / 200 <= 0.96, hits


def test_texts_needed_and_indistinguishable():
    assert bootstrap.indistinguishable([0.95, 1.04]) and not bootstrap.indistinguishable([0.8, 0.97])
    assert bootstrap.texts_needed(30, [0.95, 1.05]) == 30  # already narrower than 10%
    assert bootstrap.texts_needed(30, [0.8, 1.25]) > 150
    assert uniform.below_minimum(["x" * 600] * 9) and not uniform.below_minimum(["x" * 600] * 10)


@needs_shared
@pytest.mark.parametrize("author", ["verlaine", "baudelaire", "zola"])
def test_spread_of_voices_orders_identical_one_author_many_authors(pool, author):
    """Acceptance 1: in ≥ 95% of 40 draws, for two poets and a novelist."""
    assert ordering_rates(pool, 30, 40, [author], seed=1)[author] >= 0.95


@needs_shared
def test_one_poet_against_seven_poets(pool):
    """Acceptance 2, same genre: ≥ 80% of 40 draws for every poet."""
    poets = [a for a in pool.authors if a not in PROSE]
    rates = ordering_rates(pool, 30, 40, poets, among=poets, seed=2)
    assert min(rates.values()) >= 0.8, rates


@needs_shared
def test_spread_intervals_cover_a_larger_independent_draw(pool):
    """Acceptance 3: 90% intervals from 30 passages hold the spread of 300 others in about 90% of 100 draws."""
    rng = np.random.default_rng(0)
    hits = 0
    for k in range(100):
        picked = rng.choice(len(pool.texts), 330, replace=False)
        small, big = picked[:30], picked[30:]
        d = pool.d[np.ix_(small, small)]
        lo, hi = bootstrap.interval(mean_pair(d), bootstrap.pair_values(d, seed=k))
        hits += lo <= mean_pair(pool.d[np.ix_(big, big)]) <= hi
    assert 0.82 <= hits / 100 <= 1.0, hits


@needs_shared
def test_headline_is_the_spread_of_voices_with_an_interval_and_orders_the_three_sets(works, monkeypatch):
    monkeypatch.setattr(bootstrap, "RESAMPLES", 20)  # the ordering is the point here, not the interval's precision
    everything = [w for ws in works.values() for w in ws]
    excerpts = matched_excerpts(everything, 30, 500, seed=3)
    reference = matched_excerpts(everything, 200, 500, seed=4)
    one = matched_excerpts(works["maupassant"], 30, 500, seed=5)
    many = [matched_excerpts(works[a], 1, 500, seed=6 + i)[0] for i, a in enumerate(sorted(works) * 3)][:30]
    groups = {name: uniform.compare(texts, excerpts, reference, frozenset(), TextMedium(), 0)
              for name, texts in (("identical", [one[0]] * 30), ("one", one), ("many", many))}
    ratios = [groups[n]["summary_ratio"] for n in ("identical", "one", "many")]
    assert ratios[0] < ratios[1] < ratios[2], ratios
    for g in groups.values():
        assert g["summary_measure"] == "voice_spread" and g["measures"][0]["name"] == "voice_spread"
        assert all(m["ratio_interval"] for m in g["measures"] if m["name"] != "rare_vocabulary_coverage")  # none rare here
    lo, hi = groups["one"]["summary_interval"]
    assert lo <= groups["one"]["summary_ratio"] <= hi and hi < 1  # one author: fewer voices, told apart
    assert groups["many"]["indistinguishable"] in (True, False) and not groups["one"]["below_minimum"]


def test_distances_are_symmetric_with_a_zero_diagonal():
    texts = ["le chat dort", "la mer monte", "un ciel gris", "le chat dort"]
    d = distances(texts, voice_space(texts, mfw=5, mfc=10))
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0) and d[0, 3] == 0


def test_an_interval_already_narrower_than_ten_percent_says_the_difference_is_smaller_not_that_more_texts_are_needed():
    """At 6 texts an interval of 0.95–1.08 already excludes a 10% difference: asking for 'about 6 texts' was nonsense."""
    from ouvroir.audit.uniform import headline_sentence, verdict

    narrow = verdict(6, [0.95, 1.08])
    assert narrow == {"indistinguishable": True, "texts_needed": None, "precise": True}
    wide = verdict(6, [0.8, 1.25])
    assert wide["indistinguishable"] and not wide["precise"] and wide["texts_needed"] > 6
    assert verdict(6, [1.12, 1.3])["indistinguishable"] is False
    summary = {"diversity_ratio": 1.0, "diversity_measure": "voice_spread", "diversity_interval": [0.95, 1.08],
               "diversity_indistinguishable": True, "diversity_texts_needed": None, "diversity_precise": True}
    line = headline_sentence(summary, "samples")
    assert "any difference is smaller" in line and "would tell" not in line
    summary |= {"diversity_interval": [0.8, 1.25], "diversity_texts_needed": 30, "diversity_precise": False}
    assert "about 30 samples would tell a 10% difference" in headline_sentence(summary, "samples")
