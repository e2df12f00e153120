"""Ingest speed: works/s and MB/s on ../shared/corpora/french (target: the whole corpus in under 10 s on 2 cores);
and, with --big-text MB, the peak memory of adding one MB-sized text (target: under 2 GB for 256 MB, the file limit).

Usage: .venv/bin/python bench/ingest.py [--corpus PATH] [--repeat N] [--big-text MB]
Prints one JSON line per run, then a summary line. The big text is generated (seeded pseudo-words in
paragraphs) in a temporary folder and added by a child process, whose peak resident memory is read
from the kernel (ru_maxrss): the whole of ingest, not only the near-duplicate check.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ouvroir import Studio
from ouvroir.corpus.ingest import AddOptions

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "french"


def write_big_text(path: Path, megabytes: int, seed: int = 0) -> int:
    """A text of ``megabytes`` MB: paragraphs of seeded pseudo-words (a 20,000-word vocabulary), written 1 MB at a time."""
    rng = random.Random(seed)
    syllables = ["ba", "cor", "di", "fen", "ga", "lou", "mi", "nar", "pé", "ro", "sa", "ti", "vé", "zon", "que", "ment"]
    vocab = ["".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(20_000)]
    size = 0
    with open(path, "w", encoding="utf-8") as fh:
        while size < megabytes * 1_000_000:
            block = "\n\n".join(" ".join(rng.choices(vocab, k=rng.randint(40, 120))) + "." for _ in range(1_500))
            size += fh.write(block + "\n\n")
    return path.stat().st_size


def big_text(megabytes: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="ouvroir-bench-big-"))
    try:
        path = root / "grand-texte.txt"
        size = write_big_text(path, megabytes)
        start = time.perf_counter()
        child = subprocess.run([sys.executable, __file__, "--child", str(root / "studio"), str(path)],
                               capture_output=True, text=True)  # fmt: skip
        elapsed = time.perf_counter() - start
    finally:
        shutil.rmtree(root, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # kilobytes on Linux
    outcome = child.stdout.strip().splitlines()[-1] if child.stdout.strip() else child.stderr.strip()[-300:]
    print(json.dumps({"bench": "ingest-big-text", "bytes": size, "seconds": round(elapsed, 1), "peak_rss_bytes": peak,
                      "rss_bytes_per_text_byte": round(peak / size, 2), "exit": child.returncode, "outcome": outcome}))  # fmt: skip
    print(f"one {size / 1e6:,.0f} MB text: peak memory {peak / 2**30:.2f} GiB ({peak / size:.1f} bytes per byte) in "
          f"{elapsed:.0f} s; target < 2 GB: {'met' if peak < 2e9 and child.returncode == 0 else 'MISSED'}")  # fmt: skip


def _child(studio_path: str, text_path: str) -> None:
    studio = Studio.init(Path(studio_path))
    [outcome] = studio.add([Path(text_path)], AddOptions(consent="train")).outcomes
    print(outcome.message[:200])
    sys.exit(0 if outcome.status == "added" else 1)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        return _child(*sys.argv[2:4])
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big-text", type=int, metavar="MB", help="only measure the peak memory of adding one MB-sized text")
    args = parser.parse_args()
    if args.big_text:
        return big_text(args.big_text)
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
