"""How fast this machine trains each model size, in fp32 and bf16: measured once, cached, planned from.

Public API::

    machine(device) -> dict             the identity a measurement holds for (CPU model, bf16 flags,
                                        cores, or GPU name; torch version)
    bf16_units(identity) -> bool        AMX or AVX-512-bf16 on a CPU; a GPU that computes in bf16
    rates(device, shapes, batch, precisions=None, reprobe=False, measure=None) -> Probe
    cache_dir() -> Path                 $XDG_CACHE_HOME/ouvroir (or ~/.cache/ouvroir)

Why measure: a fixed table of tokens per second was wrong on every machine but
the one it was measured on (a Xeon with AMX trained the "small" model 2x faster
than the Zen 3 the table came from, and bf16 changed the order again). The
probe times one training step (after an untimed one) of every candidate size
at the planner's batch on the actual device, in fp32 and bf16. About 9 s on 2
cores of an AMD EPYC with AVX-512-bf16, once per machine and torch version: the result is cached in the user's cache folder under the
machine's identity, so another CPU, another core count or another torch
measures again. ``OUVROIR_PROBE_RATES`` (JSON ``{"fp32": {"tiny": 10500,
...}, "bf16": {...}}``) gives fixed rates instead of measuring: the tests use
it, and so can a person who measured with ``bench/train_quality.py``.

bf16 is measured only where the device has bf16 arithmetic, or where it is
asked for (``precisions``): a CPU without it emulates bf16, several times slower.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ouvroir.fileio import atomic_write
from ouvroir.learn.sizing import usable_cores

PROBE_VERSION = 1  # bump when what is timed changes: older cached figures are then measured again
RATES_ENV = "OUVROIR_PROBE_RATES"
PROBE_VOCAB = 768  # the vocabulary of a 1 MB corpus; the output layer of larger ones costs a little more
# The CPU flags that decide whether bf16 has its own arithmetic units; the rest do not change the figures.
BF16_FLAGS = ("amx_bf16", "amx_tile", "avx512_bf16")
SPEED_FLAGS = BF16_FLAGS + ("avx512f", "avx2")


@dataclass
class Probe:
    """Training tokens per second by precision and size, and where they come from."""

    rates: dict[str, dict[str, float]]  # {"fp32": {"tiny": ..., ...}, "bf16": {...}}
    identity: dict
    source: str  # "measured" | "cache" | "environment"
    seconds: float = 0.0  # what measuring took (0 from the cache)
    measured_at: str = ""
    bf16_units: bool = False
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"rates": self.rates, "identity": self.identity, "source": self.source,
                "seconds": round(self.seconds, 2), "measured_at": self.measured_at, "bf16_units": self.bf16_units}  # fmt: skip


def cache_dir() -> Path:
    """The user's cache folder for ouvroir (the XDG base directory rule, as platformdirs has it on Linux)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ouvroir"


def cpu_model() -> str:
    """The CPU's model string (``/proc/cpuinfo`` on Linux, ``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def machine(device: torch.device | str) -> dict:
    """What a measurement holds for: the same identity, the same figures."""
    device = torch.device(device)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return {"gpu": torch.cuda.get_device_name(index), "bf16": bool(torch.cuda.is_bf16_supported()),
                "torch": torch.__version__}  # fmt: skip
    flags = sorted(cpu_flags() & set(SPEED_FLAGS))
    return {"cpu": cpu_model(), "flags": flags, "cores": usable_cores(), "torch": torch.__version__}


def bf16_units(identity: dict) -> bool:
    """Whether the device computes bf16 in hardware (AMX or AVX-512-bf16 on a CPU)."""
    if "gpu" in identity:
        return bool(identity.get("bf16"))
    return any(flag in identity.get("flags", ()) for flag in ("amx_bf16", "avx512_bf16"))


def no_bf16_warning(identity: dict) -> str:
    return (f"warning: this CPU ({identity.get('cpu', '?')}) has no bf16 units (neither AMX nor AVX-512-bf16): "
            "bf16 is emulated there and trains slower than fp32; --precision auto keeps fp32")  # fmt: skip


def rates(
    device: torch.device | str,
    shapes: dict[str, dict],
    batch: int,
    precisions: tuple[str, ...] | None = None,
    reprobe: bool = False,
    measure=None,
) -> Probe:
    """Tokens per second of each size in ``shapes`` at ``batch`` sequences per step, cached per machine.

    ``precisions`` default: fp32, and bf16 where the device has bf16 units. ``reprobe``
    measures again even when the cache holds figures for this machine. ``measure`` replaces
    the timing (tests): ``measure(size, shape, batch, device, precisions) -> {precision: tokens/s}``.
    """
    identity = machine(device)
    units = bf16_units(identity)
    wanted = tuple(precisions or (("fp32", "bf16") if units else ("fp32",)))
    fixed = os.environ.get(RATES_ENV)
    if fixed:
        given = {p: {s: float(v) for s, v in r.items()} for p, r in json.loads(fixed).items()}
        return Probe({p: given[p] for p in wanted if p in given} or given, identity, "environment", bf16_units=units)
    key = json.dumps({"machine": identity, "shapes": shapes, "batch": batch, "version": PROBE_VERSION}, sort_keys=True)
    path = cache_dir() / "probe.json"
    cached = _read(path)
    entry = cached.get(key)
    if entry and not reprobe and all(p in entry["rates"] for p in wanted):
        return Probe({p: entry["rates"][p] for p in wanted}, identity, "cache", 0.0, entry.get("measured_at", ""), units)
    timer = measure or _tokens_per_s
    t0 = time.perf_counter()
    by_size = {s: timer(s, shape, batch, torch.device(device), wanted) for s, shape in shapes.items()}
    figures = {p: {s: round(by_size[s][p]) for s in shapes} for p in wanted}
    seconds = time.perf_counter() - t0
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    kept = (entry or {}).get("rates", {}) if not reprobe else {}
    cached[key] = {"rates": kept | figures, "measured_at": stamp, "seconds": round(seconds, 2)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, (json.dumps(cached, indent=1, sort_keys=True) + "\n").encode())
    except OSError:
        pass  # a read-only home: the figures still plan this run, the next one measures again
    return Probe(figures, identity, "measured", seconds, stamp, units)


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}  # no cache yet, or a torn one: measure


def _tokens_per_s(size: str, shape: dict, batch: int, device: torch.device, precisions: tuple[str, ...]) -> dict:
    """Training tokens per second of whole steps (forward, backward, update) at the planner's batch, by precision.

    Whole batches: a short one is no shortcut, its small matrix products ran at a third of the
    speed per token on 2 cores, and the planner would have counted on a third of the steps.
    """
    from ouvroir.learn.cpu_parallel import ShardedStep
    from ouvroir.learn.loss_eval import autocast
    from ouvroir.learn.model import GPT, ModelConfig
    from ouvroir.learn.optim import optimizers_for
    from ouvroir.learn.sizing import TrainConfig

    torch.manual_seed(0)
    config = ModelConfig(vocab_size=PROBE_VOCAB, hidden_act="silu", **shape)
    model = GPT(config).to(device)
    optimizers = optimizers_for(model, TrainConfig(model=config))
    x = torch.randint(0, PROBE_VOCAB, (batch, config.context), device=device)
    step = ShardedStep(model, batch, usable_cores()) if device.type == "cpu" else None
    if step is not None:
        optimizers[1].map = step.map  # as the training loop does: Muon's matrices shared among the cores
    seconds = {}

    def train_step(precision: str) -> None:
        if step is not None:
            step.precision = precision
            step(x, x)
        else:
            with autocast(device, precision):
                model(x, x).backward()
        for opt in optimizers:
            opt.step()
        model.zero_grad(set_to_none=True)

    try:
        for precision in precisions:
            seconds[precision] = _best_time(lambda: train_step(precision), device, repeats=1)
    finally:
        if step is not None:
            step.close()
    return {p: batch * config.context / s for p, s in seconds.items()}


def _best_time(fn, device: torch.device, repeats: int = 2) -> float:
    """The fastest of ``repeats`` timed calls after one untimed (kernels chosen, memory allocated)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        best = min(best, time.perf_counter() - t0)
    return best


__all__ = ["PROBE_VERSION", "RATES_ENV", "Probe", "bf16_units", "cache_dir", "machine", "no_bf16_warning", "rates"]
