"""Does the studio's "this model memorized its corpus" verdict hold on corpora it was not tuned on?

The thresholds (``ouvroir.learn.sizing.memorized``) were set on one 5.6 KB screenplay. Here,
from ../shared/corpora, fixed-seed random draws of

* tiny corpora (4.5-8 KB): a span of a French poetry collection, of French prose, of Tiny
  Shakespeare: one work each, which the budget goes over far more than TINY_CORPUS_PASSES
  times: the verdict should be "memorized";
* sizeable corpora (>= 300 KB): Verlaine collections (several works), one Zola novel, 500 KB
  of Tiny Shakespeare: the same budget is a few passes: the verdict should be "not memorized".

Each is a throwaway studio built through the public API (``Studio.add``, ``studio.models.train``)
and trained at size "tiny" for ``--steps`` (a step budget, so that a busy machine changes the
time, not the figures). The table shows the fit the studio stored in the model's config; the
exit status is 1 if any verdict is not the expected one.

    python bench/memorization.py                  # 3 tiny + 3 sizeable draws, seed 0
    python bench/memorization.py --seed 1 --draws 2
    python bench/memorization.py --quick          # one tiny, one sizeable
"""

from __future__ import annotations

import argparse
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPORA = ROOT.parent / "shared" / "corpora"
TINY_KINDS = ("poetry", "prose", "shakespeare")
SIZEABLE_KINDS = ("verlaine", "zola", "shakespeare")
SIZEABLE_BYTES = 300_000


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or platform.machine()


def span(text: str, n_bytes: int, rng: random.Random, at: int | None = None) -> str:
    """About ``n_bytes`` of ``text`` from a random line start (or ``at``), ending at a line end or a word."""
    start = rng.randrange(0, max(1, len(text.encode()) - n_bytes)) if at is None else at
    start = text.find("\n", min(start, len(text) - 1)) + 1 if start else 0
    piece = text[start:].encode()[:n_bytes].decode("utf-8", "ignore")
    # prose is one paragraph a line: past the last line end there may be a quarter of the span, so end at a word then
    end = piece.rfind("\n") + 1 if piece.rfind("\n") > 0.9 * len(piece) else piece.rfind(" ")
    return piece[:end] if end > 0 else piece


def tiny_draw(kind: str, rng: random.Random) -> tuple[str, dict[str, str]]:
    # under ~4.3 KB a French span can fall below the 2,000 training tokens the studio needs
    n_bytes = rng.randrange(4_500, 8_001)
    if kind == "shakespeare":
        path = CORPORA / "english" / "tinyshakespeare.txt"
    else:
        folder = CORPORA / "french" / kind
        # a file at least 1.5 times the span, so that the span is a part of one work, not all of it
        files = sorted(p for p in folder.rglob("*.txt") if p.stat().st_size >= 1.5 * n_bytes)
        path = rng.choice(files)
    text = span(path.read_text("utf-8"), n_bytes, rng)
    return f"{kind}: {path.stem[:24]}", {f"{path.stem}.txt": text}


def sizeable_draw(kind: str, rng: random.Random) -> tuple[str, dict[str, str]]:
    if kind == "verlaine":
        files = sorted((CORPORA / "french" / "poetry" / "verlaine").glob("*.txt"))
        rng.shuffle(files)
        works, total = {}, 0
        for path in files:  # whole collections, several works: the studio holds some out for validation
            if total >= SIZEABLE_BYTES:
                break
            works[path.name] = path.read_text("utf-8")
            total += path.stat().st_size
        return f"verlaine: {len(works)} collections", works
    if kind == "zola":
        path = rng.choice(sorted((CORPORA / "french" / "prose" / "zola").glob("*.txt")))
        return f"zola: {path.stem[:24]}", {path.name: path.read_text("utf-8")}
    text = (CORPORA / "english" / "tinyshakespeare.txt").read_text("utf-8")
    return "shakespeare: 500 KB", {"tinyshakespeare_500k.txt": span(text, 500_000, rng, at=0)}


def run_one(label: str, works: dict[str, str], expected: bool, steps: int, seed: int) -> dict:
    from ouvroir import Studio
    from ouvroir.corpus.ingest import AddOptions

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for name, text in works.items():
            (corpus / name).write_text(text, "utf-8")
        t0 = time.perf_counter()
        with Studio.init(Path(tmp) / "studio") as studio:
            report = studio.add([corpus], AddOptions(author="bench", consent="train"))
            assert report.ok, [o.message for o in report.outcomes if o.status == "failed"]
            record = studio.models.train(size="tiny", steps=steps, seed=seed, device="cpu")
        fit = record.config["fit"]
    gap = fit["val_bpb"] - fit["train_bpb"] if fit["train_bpb"] is not None and fit["val_bpb"] is not None else None
    return {"corpus": label, "kb": sum(len(t.encode()) for t in works.values()) / 1000, "works": len(works),
            "passes": fit["passes"], "train": fit["train_bpb"], "val": fit["val_bpb"], "gap": gap,
            "memorized": fit["memorized"], "expected": expected, "ok": fit["memorized"] == expected,
            "seconds": time.perf_counter() - t0}  # fmt: skip


def row(r: dict) -> str:
    def f(x):
        return "   -  " if x is None else f"{x:6.3f}"

    share = f"{r['gap'] / r['val']:4.0%}" if r["gap"] is not None and r["val"] else "  - "
    verdict = "memorized" if r["memorized"] else "not"
    want = "memorized" if r["expected"] else "not"
    ok = "ok" if r["ok"] else "WRONG"
    return (f"{r['corpus']:<34} {r['kb']:7.1f} {r['works']:3d} {r['passes']:8.1f} {f(r['train'])} {f(r['val'])} "
            f"{f(r['gap'])} {share:>5} {verdict:>10} {want:>10} {ok:>5} {r['seconds']:5.0f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0, help="draws the spans and files, and seeds training")
    ap.add_argument("--draws", type=int, default=1, help="draws of each kind (3 tiny and 3 sizeable kinds)")
    ap.add_argument("--steps", type=int, default=60, help="the step budget, the same for every corpus")
    ap.add_argument("--quick", action="store_true", help="one tiny and one sizeable draw")
    args = ap.parse_args()

    import torch

    from ouvroir.learn.sizing import MEMORIZED_GAP_BPB, MEMORIZED_GAP_SHARE, TINY_CORPUS_PASSES, usable_cores

    rng = random.Random(args.seed)
    tiny_kinds, sizeable_kinds = (TINY_KINDS[:1], SIZEABLE_KINDS[:1]) if args.quick else (TINY_KINDS, SIZEABLE_KINDS)
    plan = [(tiny_draw(k, rng), True) for _ in range(args.draws) for k in tiny_kinds]
    plan += [(sizeable_draw(k, rng), False) for _ in range(args.draws) for k in sizeable_kinds]
    print(f"CPU: {cpu_name()}, {usable_cores()} usable cores, torch {torch.__version__}; size tiny, "
          f"{args.steps} steps, seed {args.seed}")
    print(f"rule: memorized when val - train >= {MEMORIZED_GAP_BPB} bits/byte and >= {MEMORIZED_GAP_SHARE:.0%} of val; "
          f"tiny corpus warning past {TINY_CORPUS_PASSES:g} passes")  # fmt: skip
    print(f"{'corpus':<34} {'KB':>7} {'wk':>3} {'passes':>8} {'train':>6} {'val':>6} {'gap':>6} {'share':>5} "
          f"{'verdict':>10} {'expected':>10} {'':>5} {'s':>5}")  # fmt: skip
    results = []
    for (label, works), expected in plan:
        results.append(run_one(label, works, expected, args.steps, args.seed))
        print(row(results[-1]), flush=True)
    wrong = [r["corpus"] for r in results if not r["ok"]]
    print(f"{len(results) - len(wrong)}/{len(results)} verdicts as expected" + (f"; wrong: {wrong}" if wrong else ""))
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
