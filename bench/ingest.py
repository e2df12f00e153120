"""Ingest speed: works/s and MB/s on ../shared/corpora/french (target: the whole corpus in under 10 s on 2 cores).

Usage: .venv/bin/python bench/ingest.py [--corpus PATH] [--repeat N]
Prints one JSON line per run, then a summary line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from ouvroir import Studio
from ouvroir.corpus.ingest import AddOptions

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "french"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.corpus.exists():
        raise SystemExit(f"corpus not found: {args.corpus} (it ships in ../shared/corpora)")
    size = sum(p.stat().st_size for p in args.corpus.rglob("*") if p.is_file())
    times = []
    for run in range(args.repeat):
        root = Path(tempfile.mkdtemp(prefix="ouvroir-bench-"))
        try:
            studio = Studio.init(root / "studio")
            start = time.perf_counter()
            report = studio.add([args.corpus], AddOptions(author_from_dir=True, license="public-domain", consent="train"))
            elapsed = time.perf_counter() - start
            studio.close()
        finally:
            shutil.rmtree(root, ignore_errors=True)
        works = report.count("added")
        times.append(elapsed)
        print(json.dumps({"bench": "ingest", "run": run, "works": works, "bytes": size, "seconds": round(elapsed, 3),
                          "works_per_s": round(works / elapsed, 1), "mb_per_s": round(size / 1e6 / elapsed, 2),
                          "cpus": os.cpu_count()}))  # fmt: skip
    best = min(times)
    print(f"ingest {args.corpus.name}: {works} works, {size / 1e6:.1f} MB in {best:.2f} s (best of {args.repeat}) "
          f"= {works / best:.1f} works/s, {size / 1e6 / best:.2f} MB/s; target < 10 s: {'met' if best < 10 else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
