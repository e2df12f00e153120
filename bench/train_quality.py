"""Quality per minute: validation bits per byte on Tiny Shakespeare after a training budget.

nanoGPT's split (first 90% of characters train, last 10% validation); the
tokenizer is trained on the training text only; the score is bits per byte
over the WHOLE validation text. Each budget runs in its own subprocess (clean
peak-RSS figure, measured with resource.getrusage). Prints one JSON line per
run, then a summary.

    python bench/train_quality.py --minutes 0.5 1.67 10
    python bench/train_quality.py --device cuda --minutes 0.75
    python bench/train_quality.py --minutes 1 --size small --set dropout=0.1 matrix_lr=0.04
    python bench/train_quality.py --steps 700 --size small --float-dropout
    python bench/train_quality.py --minutes 3 --precision fp32 bf16      # side by side, in turn
    python bench/train_quality.py --minutes 10 --probe --precision auto  # planned as `ouvroir train` plans

--precision bf16 trains under bf16 autocast (weights and optimizer in fp32). Without --probe the
size comes from the planner's fixed table whatever the precision, so fp32 and bf16 train the same
model for the same minutes; with --probe the plan uses this machine's measured rates (learn/probe.py,
its cache included), as `ouvroir train` does.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpora" / "english" / "tinyshakespeare.txt"
# nanoGPT, README CPU recipe and 8,000-step run, measured on this machine (ANCHORS.md)
ANCHORS = {"nanoGPT 152 s": 2.74, "nanoGPT 486 s": 2.30, "nanoGPT A100 ~3 min": 2.12}


def parse_value(v: str):
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(v.lower(), v)


def one_run(args) -> dict:
    import torch
    import torch.nn.functional as F

    import ouvroir.learn.model

    if args.float_dropout:  # the masks the model used before its byte masks, for comparison
        ouvroir.learn.model.dropout = lambda x, p, generator=None: F.dropout(x, p, training=True) if p else x

    from ouvroir.learn.sizing import Budget, plan
    from ouvroir.learn.tokenizer import train_tokenizer, vocab_size_for
    from ouvroir.learn.train import TrainData, train

    text = Path(args.corpus).read_text()
    cut = int(len(text) * 0.9)
    train_text, val_text = text[:cut], text[cut:]
    t0 = time.perf_counter()
    vocab = args.vocab or vocab_size_for(len(train_text.encode()))
    tok = train_tokenizer([train_text], vocab)
    data = TrainData.from_texts(tok, [train_text], [val_text])
    tok_s = time.perf_counter() - t0
    # --steps: a compute budget that a busy machine cannot distort (for tuning)
    budget = Budget(steps=args.steps) if args.steps else Budget(minutes=args.minutes)
    device = "cuda" if args.device == "cuda" else "cpu"
    rates = None
    if args.probe:
        from ouvroir.learn import probe
        from ouvroir.learn.sizing import probe_shapes

        shapes, batch = probe_shapes(device)
        wanted = ("fp32", "bf16") if args.precision != "fp32" else ("fp32",)
        rates = probe.rates(device, shapes, batch, wanted).rates
    cfg = plan(args.size, data.train_tokens, budget, device=device, vocab_size=tok.vocab_size, rates=rates,
               precision=args.precision)
    overrides = dict(kv.split("=", 1) for kv in args.set)
    model_fields = {k: parse_value(v) for k, v in overrides.items() if k in cfg.model.__dataclass_fields__}
    train_fields = {k: parse_value(v) for k, v in overrides.items() if k not in model_fields}
    for derived in ("head_dim", "d_ff"):  # recomputed from a new width unless given
        if {"d_model", "n_head"} & model_fields.keys() and derived not in model_fields:
            model_fields[derived] = None
    cfg = replace(cfg, model=replace(cfg.model, **model_fields), **train_fields)
    curve = []

    def progress(p):
        if p.event == "eval":
            curve.append((round(p.elapsed_s, 1), round(p.val_bpb, 4)))
            if args.verbose:
                print(f"  eval step {p.step} t={p.elapsed_s:.1f}s val {p.val_bpb:.4f}", file=sys.stderr)

    with tempfile.TemporaryDirectory() as out:
        t1 = time.perf_counter()
        res = train(data, cfg, out, budget, seed=args.seed, device=device, on_progress=progress)
        wall = time.perf_counter() - t1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "bench": "train_quality",
        "device": device,
        "budget_min": None if args.steps else args.minutes,
        "budget_steps": args.steps,
        "size": cfg.size,
        "precision": cfg.precision or ("bf16" if device == "cuda" else "fp32"),
        "probe_rates": rates,
        "params": res.params,
        "vocab": tok.vocab_size,
        "best_val_bpb": round(res.best_val_bpb, 4),
        "final_val_bpb": round(res.final_val_bpb, 4),
        "train_s": round(res.elapsed_s, 1),
        "eval_s": round(res.eval_s, 1),
        "wall_s": round(wall, 1),
        "tokenizer_s": round(tok_s, 2),
        "steps": res.steps,
        "tokens": res.tokens,
        "tokens_per_s": round(res.tokens / max(res.elapsed_s, 1e-9)),
        "stopped": res.stopped,
        "peak_rss_mb": round(rss),
        "threads": torch.get_num_threads(),
        "curve": curve,
        "config": {k: v for k, v in cfg.to_dict().items()},
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, nargs="+", default=[1, 2.5, 5, 10])
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--size", choices=["tiny", "small", "base"], default=None, help="default: auto")
    ap.add_argument("--vocab", type=int, default=None, help="default: vocab_size_for(corpus)")
    ap.add_argument("--corpus", default=str(CORPUS), help="default: ../shared/corpora/english/tinyshakespeare.txt")
    ap.add_argument("--steps", type=int, default=None, help="step budget instead of minutes (tuning)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="override TrainConfig/ModelConfig")
    ap.add_argument(
        "--float-dropout",
        action="store_true",
        help="dropout masks from F.dropout (one float per element, the default generator) instead of byte masks",
    )
    ap.add_argument("--precision", nargs="+", choices=["fp32", "bf16", "auto"], default=["fp32"],
                    help="one run per precision and budget, in turn (default fp32)")
    ap.add_argument("--probe", action="store_true", help="plan from this machine's measured rates (learn/probe.py)")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        args.minutes = args.minutes[0]
        args.precision = args.precision[0]
        print(json.dumps(one_run(args)), flush=True)
        return
    results = []
    # a step budget is one run, whatever --minutes says
    runs = [(m, p) for m in (args.minutes[:1] if args.steps else args.minutes) for p in args.precision]
    for minutes, precision in runs:
        cmd = [
            sys.executable,
            __file__,
            "--one",
            "--minutes",
            str(minutes),
            "--device",
            args.device,
            "--corpus",
            args.corpus,
            "--seed",
            str(args.seed),
        ]
        cmd += ["--steps", str(args.steps)] if args.steps else []
        cmd += ["--size", args.size] if args.size else []
        cmd += ["--vocab", str(args.vocab)] if args.vocab else []
        cmd += ["--set", *args.set] if args.set else []
        cmd += ["--float-dropout"] if args.float_dropout else []
        cmd += ["--verbose"] if args.verbose else []
        cmd += ["--precision", precision] + (["--probe"] if args.probe else [])
        line = subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE).stdout.strip().splitlines()[-1]
        print(line, flush=True)
        results.append(json.loads(line))
    print("\nbudget  size  prec    params  best bpb  train s  eval s  tokens/s  peak RSS  load", file=sys.stderr)
    for r in results:
        budget = f"{r['budget_steps']} steps" if r["budget_steps"] else f"{r['budget_min']:>5} m"
        print(
            f"{budget}  {r['size']:<5} {r['precision']:<5} {r['params'] / 1e6:6.2f}M  {r['best_val_bpb']:8.3f}  "
            f"{r['train_s']:7.0f}  {r['eval_s']:6.1f}  {r['tokens_per_s']:8d}  {r['peak_rss_mb']:5d} MB  {r['loadavg_1m']}",
            file=sys.stderr,
        )
    print("anchors (bits/byte): " + ", ".join(f"{k}: {v}" for k, v in ANCHORS.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
