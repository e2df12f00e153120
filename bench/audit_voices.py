"""Does the spread of voices tell one author from many, and do the audit's intervals hold their rate?

On ../shared/corpora/french (eleven authors, poetry and prose), for passage counts and lengths:

* the share of random draws where identical < one author < many authors (``count`` passages by one
  author against ``count`` passages round-robin over all eleven), for every author;
* the same with one poet against the seven poets;
* the coverage of the audit's 90% bootstrap intervals of the spread: on ``--coverage`` draws of 30
  passages, how often the interval holds the spread of a larger independent draw (300 passages).

    python bench/audit_voices.py                 # the grid the README's minimum sizes come from
    python bench/audit_voices.py --draws 40 --counts 30 --lengths 500
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ouvroir.audit import bootstrap
from ouvroir.audit.calibration import authors_of, ordering_rates, pools
from ouvroir.audit.voices import mean_pair

FRENCH = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "french"
PROSE = {"flaubert", "maupassant", "verne", "zola"}


def coverage(pool, among: np.ndarray, draws: int, count: int = 30, large: int = 300, seed: int = 0) -> float:
    """Share of draws whose 90% interval holds the spread of a disjoint draw of ``large`` passages."""
    rng = np.random.default_rng(seed)
    hits = 0
    for k in range(draws):
        picked = rng.choice(among, count + large, replace=False)
        small, big = picked[:count], picked[count:]
        d = pool.d[np.ix_(small, small)]
        bounds = bootstrap.interval(mean_pair(d), bootstrap.pair_values(d, seed=k))
        hits += bounds[0] <= mean_pair(pool.d[np.ix_(big, big)]) <= bounds[1]
    return hits / draws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=40)
    parser.add_argument("--counts", default="5,10,20,30")
    parser.add_argument("--lengths", default="150,300,500,1000")
    parser.add_argument("--coverage", type=int, default=100)
    args = parser.parse_args()
    works = authors_of(FRENCH)
    poets = sorted(a for a in works if a not in PROSE)
    for length in (int(x) for x in args.lengths.split(",")):
        start = time.perf_counter()
        pool = pools(works, 400, length, seed=length)
        for count in (int(x) for x in args.counts.split(",")):
            every = ordering_rates(pool, count, args.draws, pool.authors, seed=1)
            same = ordering_rates(pool, count, args.draws, poets, among=poets, seed=2)
            print(f"{count:3d} × {length:4d} chars  one < eleven authors: min {min(every.values()):.0%} "
                  f"({min(every, key=every.get)})  one poet < seven poets: min {min(same.values()):.0%} "
                  f"({min(same, key=same.get)})  [{time.perf_counter() - start:.1f} s]", flush=True)
            if count == 30 and length == 500:
                print("   per author:", {a: f"{v:.0%}" for a, v in every.items()})
                print("   per poet:  ", {a: f"{v:.0%}" for a, v in same.items()})
                everyone = np.arange(len(pool.texts))
                verlaine = np.flatnonzero(pool.owner == pool.authors.index("verlaine"))
                print(f"   90% intervals of the spread, coverage on {args.coverage} draws: eleven authors "
                      f"{coverage(pool, everyone, args.coverage):.0%}, Verlaine alone "
                      f"{coverage(pool, verlaine, args.coverage, seed=1):.0%}")


if __name__ == "__main__":
    main()
