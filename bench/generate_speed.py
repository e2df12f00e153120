"""Generation speed: tokens/s for 1,000 new tokens, KV cache vs. recomputing the context.

The baseline recomputes the whole (cropped) context for every new token, as
nanoGPT's sample.py does; both run in the same process on the same model, so
the ratio holds even on a busy machine. Also measures the first-token latency
(prompt prefill + one token) of the default CPU model. Weights are random
(speed does not depend on them) and ``stop_at_eot=False`` so every run makes
exactly 1,000 tokens. Prints one JSON line per measurement, then a summary.

    python bench/generate_speed.py
    python bench/generate_speed.py --tokens 1000 --batch 16 --device cpu --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NANOGPT_SAMPLE_PY = 207  # tokens/s, 0.8 M model, quiet machine, 2 threads (ANCHORS.md)


@__import__("torch").inference_mode()
def no_cache_generate(model, prompt_ids, n_new, n, gen):
    """nanoGPT sample.py's loop: crop to the context, full forward, sample the last position."""
    import torch

    ids = torch.tensor([prompt_ids] * n, device=gen.device)
    for _ in range(n_new):
        logits = model(ids[:, -model.config.context :])[:, -1]
        nxt = torch.multinomial(logits.softmax(-1), 1, generator=gen)
        ids = torch.cat([ids, nxt], dim=1)
    return ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--device", default="cpu")
    ap.add_argument(
        "--corpus", default=str(Path(__file__).resolve().parents[2] / "shared/corpora/english/tinyshakespeare.txt")
    )
    ap.add_argument(
        "--baseline-tokens",
        type=int,
        default=300,
        help="tokens for the slow baseline (its per-token cost is flat once the context is full)",
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs of each KV-cache measurement (the best is kept)")
    args = ap.parse_args()

    import torch

    from ouvroir.learn.generate import generate
    from ouvroir.learn.model import GPT, ModelConfig
    from ouvroir.learn.sizing import Budget, plan, usable_cores
    from ouvroir.learn.tokenizer import train_tokenizer

    torch.set_num_threads(usable_cores())  # generate() itself decodes on one thread
    text = Path(args.corpus).read_text()
    tok = train_tokenizer([text[:200_000]], 768)
    prompt = "ROMEO:\nWhat light through yonder window breaks?"
    results = []

    def emit(rec):
        rec |= {
            "bench": "generate_speed",
            "device": args.device,
            "threads": torch.get_num_threads(),
            "loadavg_1m": round(os.getloadavg()[0], 2),
        }
        print(json.dumps(rec), flush=True)
        results.append(rec)

    # ~0.8 M parameters: nanoGPT's CPU recipe (4 layers, 4 heads, width 128, context 64; the MLP
    # narrowed so that the 768-token vocabulary leaves the count equal), the same with ouvroir's
    # context of 256 (4x the attention per token), then the default (auto, 1 minute) CPU model.
    default = plan(None, 450_000, Budget(minutes=1), vocab_size=tok.vocab_size).model
    shapes = {
        "0.8M/64": ModelConfig(vocab_size=tok.vocab_size, context=64, n_layer=4, d_model=128, n_head=4, d_ff=256),
        "0.8M": ModelConfig(vocab_size=tok.vocab_size, context=256, n_layer=4, d_model=128, n_head=4, d_ff=256),
        "default": default,
    }
    for name, cfg in shapes.items():
        torch.manual_seed(0)
        model = GPT(cfg).to(args.device).eval()
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p) * 0.1)
        generate(model, tok, prompt, max_tokens=20, seed=0)  # warm-up
        t0 = time.perf_counter()
        generate(model, tok, prompt, max_tokens=1, seed=0)
        emit(
            {
                "model": name,
                "params": model.num_params(),
                "measure": "first_token_ms",
                "value": round((time.perf_counter() - t0) * 1000, 1),
            }
        )
        for n in (1, args.batch):
            times = []
            for _ in range(args.repeat):  # the best of a few: what the code does when the machine lets it
                t0 = time.perf_counter()
                generate(model, tok, prompt, n=n, max_tokens=args.tokens, seed=0, stop_at_eot=False)
                times.append(time.perf_counter() - t0)
            dt = min(times)
            emit(
                {
                    "model": name,
                    "params": model.num_params(),
                    "measure": "kv_cache_tokens_per_s",
                    "batch": n,
                    "new_tokens": args.tokens,
                    "seconds": round(dt, 3),
                    "all_seconds": [round(t, 3) for t in times],
                    "value": round(n * args.tokens / dt, 1),
                }
            )
            ids = [tok.eot_id, *tok.encode(prompt)]
            best, best_threads = 0.0, None
            # The baseline gets its better thread count (one thread wins on a busy machine).
            for threads in sorted({1, usable_cores()}):
                torch.set_num_threads(threads)
                gen = torch.Generator(device=args.device).manual_seed(0)
                t0 = time.perf_counter()  # starts from a full context: its steady, slow state
                no_cache_generate(model, ids + [1] * cfg.context, args.baseline_tokens, n, gen)
                rate = n * args.baseline_tokens / (time.perf_counter() - t0)
                if rate > best:
                    best, best_threads = rate, threads
            torch.set_num_threads(usable_cores())
            emit(
                {
                    "model": name,
                    "params": model.num_params(),
                    "measure": "no_cache_tokens_per_s",
                    "batch": n,
                    "new_tokens": args.baseline_tokens,
                    "baseline_threads": best_threads,
                    "value": round(best, 1),
                }
            )

    by = {(r["model"], r["measure"], r.get("batch")): r["value"] for r in results}
    print(
        "\nmodel    batch  KV cache tok/s  no-cache tok/s  speed-up  vs nanoGPT sample.py (207 tok/s)", file=sys.stderr
    )
    for name in shapes:
        for n in (1, args.batch):
            kv, base = by[(name, "kv_cache_tokens_per_s", n)], by[(name, "no_cache_tokens_per_s", n)]
            print(
                f"{name:<8} {n:>5}  {kv:14.0f}  {base:14.0f}  {kv / base:7.1f}x  {kv / NANOGPT_SAMPLE_PY:7.1f}x",
                file=sys.stderr,
            )
        print(f"{name:<8} first token: {by[(name, 'first_token_ms', None)]} ms", file=sys.stderr)


if __name__ == "__main__":
    main()
