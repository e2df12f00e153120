"""Fine-tuning a base against training from scratch, on one poet, at equal wall time.

The base is an ouvroir model trained ``--base-minutes`` on the French prose of ../shared/corpora
(Flaubert, Maupassant, Verne, Zola), exported to the transformers format: a pre-trained model a
user could have on disk, built here because nothing may be downloaded. The target corpus is one
poet (Verlaine): ``--poems`` poems drawn with a fixed seed from his collections, one work per poem,
so the studio's split holds out whole poems. On that one studio (one snapshot, the same held-out
poems for every arm) the bench runs, each with the same ``--minutes``:

* from scratch on the poet alone (``train``, size chosen by the planner);
* LoRA on the base (``train --from BASE --lora R``), whose run first measures the base zero-shot;
* a full fine-tune of the base (``train --from BASE --full``);

then audits each model (copy share and longest copied span against the poet's corpus, the same
samples settings for all). It prints the held-out bits per byte (whole held-out text, so the figures
compare across tokenizers), the wall time each arm took, the trainable share of parameters, and the
issue's three checks:

* fine-tuned (LoRA and full) at least 0.3 bits per byte under from scratch;
* LoRA recovers at least 70% of the full fine-tune's gain over zero-shot;
* LoRA trains at most 5% of the parameters.

The exit status is 1 when a check fails.

    python bench/finetune.py                              # base 5 min, arms 2 min, 60 poems, rank 4, seed 0
    python bench/finetune.py --base /tmp/base-hf          # reuse a base exported by an earlier run
    python bench/finetune.py --quick                      # 1-minute base, 0.5-minute arms: a smoke run
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
CORPORA = ROOT.parent / "shared" / "corpora"
PROSE = CORPORA / "french" / "prose"
POET = CORPORA / "french" / "poetry" / "verlaine"
MIN_POEM_CHARS = 300


def draw_poems(count: int, seed: int) -> dict[str, str]:
    """``count`` poems of the poet (two blank lines part poems in the collections), drawn with ``seed``."""
    poems = []
    for path in sorted(POET.glob("*.txt")):
        pieces = path.read_text("utf-8").split("\n\n\n")
        poems += [(path.stem, i, p.strip("\n")) for i, p in enumerate(pieces[1:], 1) if len(p.strip()) >= MIN_POEM_CHARS]
    chosen = random.Random(seed).sample(poems, min(count, len(poems)))
    return {f"{stem}_{i:03d}.txt": text + "\n" for stem, i, text in chosen}


def build_base(out: Path, minutes: float, seed: int) -> Path:
    from ouvroir import Studio
    from ouvroir.corpus.ingest import AddOptions

    with tempfile.TemporaryDirectory() as tmp, Studio.init(Path(tmp) / "studio") as studio:
        t0 = time.perf_counter()
        for folder in sorted(PROSE.iterdir()):
            report = studio.add([folder], AddOptions(author=folder.name.capitalize(), consent="train"))
            assert report.ok, [o.message for o in report.outcomes if o.status == "failed"]
        print(f"base corpus: {len(studio.works())} prose works added in {time.perf_counter() - t0:.0f} s", flush=True)
        t0 = time.perf_counter()
        record = studio.models.train(minutes=minutes, seed=seed, device="cpu")
        print(f"base model {record.id}: size {record.size}, {record.parameters:,} parameters, {record.steps} steps, "
              f"{record.val_bpb:.3f} bits per byte on held-out prose, {time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip
        path = studio.models.export(record.id, out)
    return path


def arm(studio, label: str, run, audit_samples: int, seed: int) -> dict:
    from ouvroir.audit.run import AuditOptions, summarize

    t0 = time.perf_counter()
    record = run()
    seconds = time.perf_counter() - t0
    options = AuditOptions(samples=audit_samples, temperatures=(1.0,), max_tokens=200, seed=seed, device="cpu")
    summary = summarize(studio.audits.model(record.id, options).data)
    trainable = record.config.get("trainable_parameters", record.parameters)
    bpb = record.config.get("bpb", {})
    result = {"arm": label, "model": record.id, "val_bpb": record.val_bpb, "zero_shot": bpb.get("zero_shot"),
              "parameters": record.parameters, "trainable": trainable, "steps": record.steps, "seconds": seconds,
              "copied_share": summary["mean_copied_share"], "longest_copy": summary["longest_copy"],
              "texts_with_copy": summary["texts_with_copy"], "texts": summary["texts"]}  # fmt: skip
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=Path, help="a base already exported (skips training one)")
    ap.add_argument("--base-minutes", type=float, default=5.0)
    ap.add_argument("--minutes", type=float, default=2.0, help="each arm's budget")
    ap.add_argument("--poems", type=int, default=60)
    ap.add_argument("--rank", type=int, default=4, help="LoRA rank (4 keeps a 1.3 M-parameter base under 5%% trainable)")
    ap.add_argument("--audit-samples", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, help="export the base here (to reuse it with --base)")
    ap.add_argument("--quick", action="store_true", help="a 1-minute base, half-minute arms, 30 poems")
    args = ap.parse_args()
    if args.quick:
        args.base_minutes, args.minutes, args.poems, args.audit_samples = 1.0, 0.5, 30, 4
    if not POET.is_dir():
        sys.exit(f"needs {CORPORA} (the project's shared corpora)")

    import torch

    from memorization import cpu_name
    from ouvroir import Studio
    from ouvroir.corpus.ingest import AddOptions
    from ouvroir.learn.sizing import usable_cores

    print(f"CPU: {cpu_name()}, {usable_cores()} usable cores, torch {torch.__version__}; arms {args.minutes:g} min, "
          f"{args.poems} poems, LoRA rank {args.rank}, seed {args.seed}", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = args.base or build_base(args.keep or tmp / "base", args.base_minutes, args.seed)
        corpus = tmp / "poems"
        corpus.mkdir()
        poems = draw_poems(args.poems, args.seed)
        for name, text in poems.items():
            (corpus / name).write_text(text, "utf-8")
        print(f"target corpus: {len(poems)} poems, {sum(len(t.encode()) for t in poems.values()) / 1000:.0f} KB", flush=True)
        with Studio.init(tmp / "studio") as studio:
            assert studio.add([corpus], AddOptions(author="Paul Verlaine", consent="train")).ok
            common = {"minutes": args.minutes, "seed": args.seed, "device": "cpu"}
            results = [
                arm(studio, "from scratch", lambda: studio.models.train(**common), args.audit_samples, args.seed),
                arm(studio, f"LoRA r{args.rank}", lambda: studio.models.finetune(str(base), method="lora", rank=args.rank, **common),
                    args.audit_samples, args.seed),  # fmt: skip
                arm(studio, "full fine-tune", lambda: studio.models.finetune(str(base), method="full", **common),
                    args.audit_samples, args.seed),  # fmt: skip
            ]
    scratch, lora, full = results
    zero_shot = lora["zero_shot"]
    print(f"\n{'arm':<16} {'held-out bpb':>12} {'trainable':>12} {'share':>6} {'steps':>6} {'wall s':>7} {'copied':>7} {'longest':>8}")
    print(f"{'base zero-shot':<16} {zero_shot:12.3f}")
    base_parameters = full["parameters"]  # a LoRA model's count holds the adapter beside the base's weights
    for r in results:
        print(f"{r['arm']:<16} {r['val_bpb']:12.3f} {r['trainable']:12,} {r['trainable'] / r['parameters']:6.1%} "
              f"{r['steps']:6d} {r['seconds']:7.0f} {r['copied_share'] or 0:7.1%} {r['longest_copy'] or 0:8d}")  # fmt: skip
    recovered = (zero_shot - lora["val_bpb"]) / (zero_shot - full["val_bpb"]) if zero_shot > full["val_bpb"] else float("nan")
    checks = {
        "LoRA >= 0.3 bpb under from scratch": scratch["val_bpb"] - lora["val_bpb"] >= 0.3,
        "full >= 0.3 bpb under from scratch": scratch["val_bpb"] - full["val_bpb"] >= 0.3,
        "LoRA recovers >= 70% of the full gain": recovered >= 0.7,
        "LoRA trains <= 5% of the base's parameters": lora["trainable"] <= 0.05 * base_parameters,
    }
    print(f"\nLoRA recovers {recovered:.0%} of the full fine-tune's gain over zero-shot")
    for what, ok in checks.items():
        print(f"{'ok ' if ok else 'MISSED'} {what}")
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
