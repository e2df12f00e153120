"""Controls for the artist, measured (issue 22): one section per control, ``--only`` picks sections.

``constraints`` — writing under constraints on the French poetry (``../shared/corpora/french/poetry``):
a model trained for ``--minutes`` on a fresh studio (or ``--model DIR``, a model folder), then, for
each constraint type, ``--samples`` samples of ``--max-tokens`` tokens from an empty prompt at
temperature 1 with no top-k or top-p (so the draw is the model's own distribution, masked), and the
same number without a constraint. For each:

* **met %**: samples that met the constraint (the others stopped and said why: never stored);
* **compliance %**: met samples whose whole text keeps the constraint (``Constraint.violation``, the
  reference check, independent of the token guard): must be 100;
* **bits/byte**: the model's own bits per byte on the samples it wrote (teacher-forced on the very
  tokens drawn, unconstrained model), beside the unconstrained samples' — how unusual, to the model,
  what the constraint makes it write;
* **removed bits/byte**: at every step, -log2 of the probability mass the constraint left, summed over
  the sample and divided by its bytes. With masked sampling at temperature 1 this sum is exactly the
  KL divergence of the constrained writer from the model, in bits: the honest price of the
  constraint (0 when it never removes anything the model wanted);
* the audit's diversity measures (``audit.diversity.diversity_profile``) of the met samples, beside
  the unconstrained ones': distinct-2, compression ratio (lower: more varied), Vendi score, and the
  corpus's rare vocabulary used.

Usage:
    nice -n 5 .venv/bin/python bench/controls.py --only constraints [--minutes 3 | --model DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ouvroir import Studio  # noqa: E402
from ouvroir.audit.diversity import diversity_profile, rare_vocabulary  # noqa: E402
from ouvroir.corpus.ingest import AddOptions  # noqa: E402
from ouvroir.learn.constraint_guard import Guard  # noqa: E402
from ouvroir.learn.constraints import Constraint  # noqa: E402
from ouvroir.learn.generate import generate_ids, load  # noqa: E402

POETRY = ROOT.parent / "shared" / "corpora" / "french" / "poetry"

CONSTRAINTS = {
    "lipogram e (accents folded)": Constraint(lipogram="e"),
    "lipogram a (accents apart)": Constraint(lipogram="a", fold=False),
    "alphabet (14 letters)": Constraint(alphabet="aeioulnrstcdmp"),
    "forbidden words (le la les et)": Constraint(forbid=("le", "la", "les", "et")),
    "required word (nuit)": Constraint(require=("nuit",)),
    "lines <= 30 characters": Constraint(max_line=30),
}


def trained_model(minutes: float, workdir: Path) -> tuple[Path, list[str]]:
    """A model trained on the French poetry in a fresh studio; its folder and the corpus's texts."""
    studio = Studio.init(workdir / "studio")
    texts = []
    for author in sorted(p for p in POETRY.iterdir() if p.is_dir()):
        studio.add([author], AddOptions(author=author.name.title(), license="public-domain", consent="train"))
        texts += [f.read_text("utf-8") for f in sorted(author.glob("*.txt"))]
    from ouvroir.workshop import training

    started = time.perf_counter()
    record = training.train_model(studio, minutes=minutes, seed=0, device="cpu")
    print(f"# trained {record.id} ({record.size}, {record.steps} steps, val {record.val_bpb:.3f} bits/byte) "
          f"in {time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    return studio.layout.model(record.id), texts


@torch.inference_mode()
def costs(m, constraint: Constraint | None, rows: list[list[int]]) -> tuple[float, float]:
    """(bits per byte, removed bits per byte) of samples' token ids, teacher-forced on the unconstrained model."""
    bits = removed = 0.0
    nbytes = 0
    tok = m.tokenizer
    for ids in rows:
        ended = tok.eot_id in ids
        body = ids[: ids.index(tok.eot_id)] if ended else ids
        target = body + ([tok.eot_id] if ended else [])
        if not target:
            continue
        window = ([tok.eot_id] + target)[: m.config.context]
        logp = torch.log_softmax(m.model(torch.tensor([window[:-1]]))[0].float(), -1).numpy() / math.log(2)
        steps = len(window) - 1
        bits -= sum(logp[i, window[i + 1]] for i in range(steps))
        nbytes += sum(len(tok.token_bytes(t)) for t in window[1:] if t != tok.eot_id)
        if constraint is not None:
            guard = Guard(tok, constraint, 1, "")
            for i in range(steps):
                allowed = guard.allowed(0, last=not ended and i == steps - 1)  # as the sampler saw it
                removed -= float(np.log2(np.exp2(logp[i][allowed]).sum()))
                if window[i + 1] != tok.eot_id:
                    guard.advance(np.array([window[i + 1]]), np.ones(1, bool))
    return float(bits) / max(nbytes, 1), float(removed) / max(nbytes, 1)


def section_constraints(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if args.model:
            folder, texts = Path(args.model), [f.read_text("utf-8") for f in sorted(POETRY.glob("*/*.txt"))]
        else:
            folder, texts = trained_model(args.minutes, Path(tmp))
        m = load(folder, device="cpu")
        rare = rare_vocabulary(texts)
        results = {}
        for name, constraint in [("none", None), *CONSTRAINTS.items()]:
            started = time.perf_counter()
            guard = Guard(m.tokenizer, constraint, args.samples, "") if constraint else None
            rows = generate_ids(m, None, "", n=args.samples, max_tokens=args.max_tokens, temperature=1.0, seed=args.seed,
                                guard=guard)  # fmt: skip
            seconds = time.perf_counter() - started
            outcomes = [guard.result(r, ids) for r, ids in enumerate(rows)] if guard else None
            met = [i for i in range(len(rows)) if outcomes is None or outcomes[i].met]
            texts_met = [outcomes[i].text if outcomes else m.tokenizer.decode(rows[i][: _end(rows[i], m)]) for i in met]
            compliant = sum(constraint.violation(t) is None for t in texts_met) if constraint else len(met)
            bpb, removed = costs(m, constraint, [rows[i] for i in met])
            profile = diversity_profile(texts_met, rare) if texts_met else {}
            results[name] = {"met": len(met) / len(rows), "compliance": compliant / max(len(met), 1), "bpb": bpb,
                             "removed_bpb": removed, "seconds": seconds, **profile}  # fmt: skip
            print(json.dumps({"constraint": name, **results[name]}), flush=True)
        print()
        base = results["none"]
        header = (f"{'constraint':32} {'met':>5} {'comply':>7} {'bits/B':>7} {'Δ':>6} {'removed':>8} {'dist-2':>7} "
                  f"{'compr':>6} {'vendi':>6} {'rare':>6} {'s':>5}")  # fmt: skip
        print(header)
        for name, r in results.items():
            print(f"{name:32} {r['met']:5.0%} {r['compliance']:7.0%} {r['bpb']:7.3f} {r['bpb'] - base['bpb']:+6.3f} "
                  f"{r['removed_bpb']:8.3f} {r.get('distinct_2', 0):7.3f} {r.get('compression_ratio', 0):6.3f} "
                  f"{r.get('vendi_char5', 0):6.1f} {r.get('rare_vocabulary_coverage', 0):6.3f} "
                  f"{r['seconds']:5.0f}")  # fmt: skip


def _end(ids: list[int], m) -> int:
    return ids.index(m.tokenizer.eot_id) if m.tokenizer.eot_id in ids else len(ids)


SECTIONS = {"constraints": section_constraints}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(SECTIONS), default=sorted(SECTIONS))
    parser.add_argument("--model", help="a model folder to use instead of training one")
    parser.add_argument("--minutes", type=float, default=3.0, help="training budget when no --model")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for section in args.only:
        print(f"## {section}", flush=True)
        SECTIONS[section](args)


if __name__ == "__main__":
    main()
