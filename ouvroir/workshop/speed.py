"""The measured plan: time this machine (``learn.probe``), plan from its figures, say and keep both.

``train_model`` calls :func:`measured_plan` for a new run. The person sees one line: the size and
precision chosen, the tokens per second counted on, and every figure the probe has (per precision
and size), whether measured now or read from the cache; the same goes into the model's record
(``config["plan"]``) and the first line of its ``metrics.jsonl``. ``--precision bf16`` on a CPU
without bf16 units is honoured, after a warning saying it will be slow and why.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..errors import TrainingError
from ..i18n.stages import Stage, word
from ..learn import probe
from ..learn.sizing import PRECISIONS, Budget, TrainConfig, plan, planned_rate, probe_shapes


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise TrainingError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    return precision


def measured_plan(
    size: str | None,
    train_tokens: int,
    budget: Budget,
    device: torch.device,
    vocab_size: int,
    precision: str = "auto",
    reprobe: bool = False,
    stage: Callable[[str], None] = lambda line: None,
) -> tuple[TrainConfig, dict]:
    """(the plan, what it was made from) for a new run on ``device``."""
    check_precision(precision)
    identity = probe.machine(device)
    units = probe.bf16_units(identity)
    if precision == "bf16" and not units and device.type == "cpu":
        stage(Stage("bf16_emulated", probe.no_bf16_warning(identity), cpu=identity.get("cpu", "?")))
    wanted = ("fp32",) if precision == "fp32" else ("fp32", "bf16") if precision == "bf16" or units else ("fp32",)
    shapes, batch = probe_shapes(str(device))
    measured = probe.rates(device, shapes, batch, wanted, reprobe=reprobe)
    config = plan(size, train_tokens, budget, device=str(device), vocab_size=vocab_size, rates=measured.rates,
                  precision=precision)  # fmt: skip
    rate = planned_rate(config, measured.rates, str(device))
    chosen = config.precision or ("bf16" if device.type == "cuda" else "fp32")
    note = measured.to_dict() | {"size": config.size, "precision": chosen, "tokens_per_s": round(rate),
                                 "asked": precision}  # fmt: skip
    stage(plan_line(note))
    return config, note


def plan_line(note: dict) -> Stage:
    """The plan as the person reads it: size, precision, the rate counted on, and every figure measured."""
    text = "; ".join(f"{p}: " + ", ".join(f"{s} {v:,.0f}" for s, v in sizes.items())
                     for p, sizes in note["rates"].items())  # fmt: skip
    source = note["source"]
    if source == "measured":
        how = Stage("probe_measured", f"measured in {note['seconds']:.1f} s, kept for next time",
                    seconds=round(note["seconds"], 1))  # fmt: skip
    elif source == "cache":
        how = Stage("probe_cached", f"measured on {note['measured_at'][:10]}", date=note["measured_at"][:10])
    else:
        how = Stage("probe_given", f"rates given by {probe.RATES_ENV}")
    probe_word = {"key": how.key, "values": how.values}
    figures = {f"{p}_{s}": round(v) for p, sizes in note["rates"].items() for s, v in sizes.items()}
    key = "speed_plan_bf16" if "bf16" in note["rates"] and "fp32" in note["rates"] else "speed_plan"
    return Stage(key, f"Plan: {note['size']} model in {note['precision']}, {note['tokens_per_s']:,} tokens "
                 f"per second measured on this machine ({how}); {text} tokens/s",
                 size=word(f"size_{note['size']}"), precision=note["precision"], rate=note["tokens_per_s"],
                 probe=probe_word, **figures)  # fmt: skip


__all__ = ["check_precision", "measured_plan", "plan_line"]
