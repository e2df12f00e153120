"""Copy index: build time and memory for a ~100 MB corpus, and the time to check 1,000 texts against it.

The inputs follow ../shared/ANCHORS.md: C1 = Tiny Shakespeare (1.1 MB); C100 = 90 copies of
C1, copies 1-89 with 5% of their words replaced at random (102.8 MB); S = 1,000 texts of 500
characters, 500 windows copied from C1 and 500 from a word-bigram chain trained on C1.
Targets (issue #4): build ≤ 20 s end to end with ≤ 8 bytes of memory per corpus byte; check S
in ≤ 1 s, finding every copied window.

Usage: .venv/bin/python bench/audit_index.py [--copies 90] [--min-copy 50]
The build runs in a fresh subprocess (reading the works from files one at a time, as from a
studio), so its peak RSS is the build's own. Prints JSON lines, then a summary.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ouvroir.audit.copying import copied_share, find_spans
from ouvroir.audit.index import CorpusIndex, Document, build_index
from ouvroir.fileio import sha256_bytes

C1 = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "english" / "tinyshakespeare.txt"


def make_corpus(folder: Path, copies: int, seed: int = 0) -> int:
    text = C1.read_text("utf-8")
    words = text.split(" ")
    vocabulary = sorted(set(words))
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    total = 0
    for copy in range(copies):
        if copy == 0:
            body = text
        else:
            changed = list(words)
            for i in rng.sample(range(len(words)), len(words) // 20):
                changed[i] = rng.choice(vocabulary)
            body = " ".join(changed)
        (folder / f"copy-{copy:03d}.txt").write_text(body, "utf-8")
        total += len(body.encode())
    return total


def build_child(corpus: Path, index_dir: Path) -> None:
    def documents():
        for path in sorted(corpus.glob("*.txt")):
            data = path.read_bytes()
            yield Document(path.stem, path.stem, None, sha256_bytes(data), data.decode("utf-8"))

    start = time.perf_counter()
    build_index(index_dir, documents())
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak_rss": peak}))


def sort_child(corpus: Path) -> None:
    """The baseline, side by side: pydivsufsort alone on the whole corpus in one array, one thread."""
    import numpy as np
    from pydivsufsort import divsufsort

    data = bytearray(b"\xff".join(p.read_bytes() for p in sorted(corpus.glob("*.txt"))))
    start = time.perf_counter()
    divsufsort(np.frombuffer(data, dtype=np.uint8))
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def sample_texts(seed: int = 1, count: int = 1000, length: int = 500) -> tuple[list[str], list[int]]:
    text = C1.read_text("utf-8")
    rng = random.Random(seed)
    copied_at = [rng.randrange(len(text) - length) for _ in range(count // 2)]
    texts = [text[a : a + length] for a in copied_at]
    words = text.split()
    follows: dict[str, list[str]] = {}
    for a, b in zip(words, words[1:]):
        follows.setdefault(a, []).append(b)
    for _ in range(count - len(texts)):
        word, out = rng.choice(words), []
        while sum(len(w) + 1 for w in out) < length:
            out.append(word)
            word = rng.choice(follows.get(word) or words)
        texts.append(" ".join(out)[:length])
    return texts, copied_at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=90)
    parser.add_argument("--min-copy", type=int, default=50)
    parser.add_argument("--no-baseline", action="store_true", help="skip pydivsufsort alone on the whole corpus")
    parser.add_argument("--child-build", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-sort", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build:
        return build_child(*args.child_build)
    if args.child_sort:
        return sort_child(args.child_sort)
    if not C1.exists():
        raise SystemExit(f"corpus not found: {C1} (it ships in ../shared/corpora)")
    root = Path(tempfile.mkdtemp(prefix="ouvroir-bench-index-"))
    try:
        nbytes = make_corpus(root / "corpus", args.copies)
        out = subprocess.run([sys.executable, __file__, "--child-build", str(root / "corpus"), str(root / "index")],
                             check=True, capture_output=True, text=True)  # fmt: skip
        build = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps({"bench": "index_build", "corpus_bytes": nbytes, "seconds": round(build["seconds"], 2),
                          "peak_rss_mb": round(build["peak_rss"] / 2**20), "bytes_per_corpus_byte":
                          round(build["peak_rss"] / nbytes, 2)}))  # fmt: skip
        if not args.no_baseline:
            out = subprocess.run([sys.executable, __file__, "--child-sort", str(root / "corpus")],
                                 check=True, capture_output=True, text=True)  # fmt: skip
            alone = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps({"bench": "baseline_pydivsufsort_alone", "seconds": round(alone["seconds"], 2),
                              "peak_rss_mb": round(alone["peak_rss"] / 2**20),
                              "bytes_per_corpus_byte": round(alone["peak_rss"] / nbytes, 2)}))  # fmt: skip
        index = CorpusIndex.open(root / "index")
        texts, copied_at = sample_texts()
        find_spans(index, texts[:10], args.min_copy)  # first touch of the memory map
        start = time.perf_counter()
        spans = find_spans(index, texts, args.min_copy)
        seconds = time.perf_counter() - start
        source = C1.read_text("utf-8")
        found = sum(any(s.start == 0 and s.end == len(t) for s in sp) for t, sp in zip(texts[:500], spans[:500]))
        at_true = sum(any(index.works[s.work].title == "copy-000" and s.work_start == a for s in sp)
                      for a, sp in zip(copied_at, spans[:500]))  # fmt: skip
        chain_spans = [(t[s.start : s.end]) for t, sp in zip(texts[500:], spans[500:]) for s in sp]
        false_flags = sum(1 for piece in chain_spans if piece not in source)
        print(json.dumps({"bench": "index_query", "texts": len(texts), "seconds": round(seconds, 3),
                          "copied_windows_found": found, "at_true_position": at_true,
                          "chain_spans": len(chain_spans), "false_flags": false_flags,
                          "mean_copied_share": round(sum(copied_share(t, s) for t, s in zip(texts, spans)) / len(texts), 3)}))  # fmt: skip
        ok_build = build["seconds"] <= 20 and build["peak_rss"] <= 8 * nbytes
        print(f"copy index: {nbytes / 1e6:.1f} MB built in {build['seconds']:.1f} s, peak RSS "
              f"{build['peak_rss'] / 2**20:.0f} MiB ({build['peak_rss'] / nbytes:.1f} B per corpus byte) — target ≤ 20 s, ≤ 8 B: "
              f"{'met' if ok_build else 'MISSED'}; {len(texts)} texts checked in {seconds:.2f} s, {found}/500 copies found, "
              f"{false_flags} false flags — target ≤ 1 s: {'met' if seconds <= 1 else 'MISSED'}")  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
