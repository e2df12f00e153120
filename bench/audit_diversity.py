"""Uniformization speed: every measure on 1,000 texts of 500 characters (target: the whole ``uniformization``
call, samples and excerpts both 1,000 × 500, in ≤ 10 s on 2 cores; the ``diversity`` package needs ~50
minutes for its pairwise ROUGE-L alone at that size, ANCHORS.md).

Texts are windows of ../shared/corpora/english/tinyshakespeare.txt, as in ANCHORS.md: copied windows
(random offsets), a word-bigram chain trained on the text, and a homogenized set (1,000 windows from
the first 5,000 characters), so the values show the ordering beside the times. Prints one JSON line per
measurement, then a summary line.

    python bench/audit_diversity.py
    python bench/audit_diversity.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ouvroir.audit.diversity import (
    compression_ratio,
    distinct_n,
    matched_excerpts,
    rare_vocabulary,
    rare_vocabulary_coverage,
    rouge_l_homogenization,
    summary_ratio,
    uniformization,
    vendi_score,
)

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "english" / "tinyshakespeare.txt"
COUNT, LENGTH, TARGET_S = 1000, 500, 10.0


def windows(text: str, count: int, span: int, rng: random.Random) -> list[str]:
    return [text[o : o + LENGTH] for o in (rng.randrange(span - LENGTH) for _ in range(count))]


def bigram_chain(text: str, count: int, rng: random.Random) -> list[str]:
    """Texts from a word-bigram chain: plausible locally, copied from nowhere for long."""
    tokens = text.split(" ")
    follow: dict[str, list[str]] = defaultdict(list)
    for a, b in pairwise(tokens):
        follow[a].append(b)
    out = []
    for _ in range(count):
        word, parts = rng.choice(tokens), []
        while sum(map(len, parts)) + len(parts) < LENGTH:
            parts.append(word)
            word = rng.choice(follow.get(word) or tokens)
        out.append(" ".join(parts)[:LENGTH])
    return out


def timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"skipped: corpus not found: {args.corpus} (it ships in ../shared/corpora)")
        return
    text = args.corpus.read_text("utf-8")
    rng = random.Random(0)
    sets = {
        "copied": windows(text, COUNT, len(text), rng),
        "bigram_chain": bigram_chain(text, COUNT, rng),
        "homogenized": windows(text, COUNT, 5000, rng),
    }
    rare, rare_s = timed(rare_vocabulary, [text])
    print(json.dumps({"bench": "audit_diversity", "step": "rare_vocabulary", "words": len(rare),
                      "seconds": round(rare_s, 3)}))  # fmt: skip
    measures = {
        **{f"distinct_{n}": (lambda texts, n=n: distinct_n(texts, n)) for n in range(1, 5)},
        "compression_ratio": compression_ratio,
        "rouge_l_homogenization": rouge_l_homogenization,
        "vendi_char5": vendi_score,
        "rare_vocabulary_coverage": lambda texts: rare_vocabulary_coverage(texts, rare),
    }
    for name, texts in sets.items():
        total = 0.0
        for measure, fn in measures.items():
            value, seconds = timed(fn, texts)
            total += seconds
            print(json.dumps({"bench": "audit_diversity", "set": name, "measure": measure, "value": round(value, 4),
                              "seconds": round(seconds, 3)}))  # fmt: skip
        print(json.dumps({"bench": "audit_diversity", "set": name, "measure": "all", "texts": len(texts),
                          "seconds": round(total, 3)}))  # fmt: skip

    # The call the audit makes: samples against matched excerpts of the corpus, cut into ten "works".
    tenth = len(text) // 10
    works = [(f"part{i}", text[i * tenth : (i + 1) * tenth]) for i in range(10)]
    best = float("inf")
    for run in range(args.repeat):
        start = time.perf_counter()
        excerpts = matched_excerpts(works, COUNT, LENGTH, seed=run)
        result = uniformization(sets["homogenized"], excerpts, rare)
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        print(json.dumps({"bench": "audit_diversity", "step": "uniformization", "run": run, "samples": COUNT,
                          "excerpts": len(excerpts), "chars": LENGTH, "seconds": round(elapsed, 3),
                          "ratios": {m.name: m.ratio for m in result}, "summary_ratio": summary_ratio(result),
                          "cpus": os.cpu_count()}))  # fmt: skip
    print(f"uniformization of {COUNT:,} samples against {COUNT:,} excerpts of {LENGTH} characters: {best:.2f} s "
          f"(best of {args.repeat}); target ≤ {TARGET_S:.0f} s: {'met' if best <= TARGET_S else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
