"""What a fine-tune saves so that ``train --resume`` continues it exactly: one file, replaced whole.

Public API::

    Counters(step, elapsed, smooth, best, best_step, bad, next_eval, last_eval_step)
    save(out_dir, model, opt, counters, rng, device) -> None
    load(out_dir) -> (tensors, meta) | None          # None: the run never reached a checkpoint
    check(out_dir) -> None                            # a damaged state refused before anything loads
    restore(saved, model, opt, rng, device) -> Counters
    trim_metrics(out_dir, counters) -> None           # the evaluations logged after the state: taken again
    remove_temps(out_dir) -> None                     # what a killed writer left

``finetune_state.safetensors`` in the model's folder holds, as tensors, the trainable weights
(``weight.NAME``: the LoRA adapters, or every weight), AdamW's moments and step counts
(``adam.NAME.exp_avg``, ``.exp_avg_sq``, ``.step``) and torch's generator state (``rng.torch``, and
``rng.cuda`` on a GPU: dropout draws from it); its metadata ``ouvroir.finetune`` is a JSON object
with the counters and numpy's generator state (where the next batches start). One file, because
weights and counters must be of the same moment: two files replaced one after the other could be
of two moments after a SIGKILL. safetensors holds no code, where a pickle could run some.

The "best weights" (``save_pretrained`` files, what ``generate`` loads) are written after the state;
a run killed between the two has a state whose ``best_step`` is its own ``step``, and resuming
writes those best weights again.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from ouvroir.errors import TrainingError
from ouvroir.fileio import fsync_dir
from ouvroir.learn import checkpoint as ckpt

STATE = "finetune_state.safetensors"
META_KEY = "ouvroir.finetune"
FORMAT_VERSION = 1


@dataclass
class Counters:
    """Where the run is: the saved counters, and what decides the next evaluation and early stopping."""

    step: int = 0
    elapsed: float = 0.0  # training seconds: the minutes budget's clock (evaluations not counted)
    smooth: float | None = None  # the smoothed training loss (nats per token)
    best: float = math.inf
    best_step: int = 0
    bad: int = 0  # evaluations since the last improvement
    next_eval: int = 1  # the next evaluation comes at next_eval / evals of the budget
    last_eval_step: int = 0  # the step of the last evaluation: one per step at most

    @classmethod
    def from_dict(cls, saved: dict) -> Counters:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in saved.items() if k in names})


def _trainable(model) -> dict[str, torch.nn.Parameter]:
    return {name: p for name, p in model.named_parameters() if p.requires_grad}


def save(out_dir: Path, model, opt: torch.optim.Optimizer, counters: Counters, rng: np.random.Generator,
         device: torch.device) -> None:  # fmt: skip
    """The state of this moment, written atomically over the previous one (a temporary file, then a rename)."""
    params = _trainable(model)
    # On the CPU no copy: safetensors reads the tensors as they are (a full fine-tune's state is 3 × its weights).
    tensors = {f"weight.{name}": p.detach().cpu().contiguous() for name, p in params.items()}
    by_param = {id(p): name for name, p in params.items()}
    for param, moments in opt.state.items():
        name = by_param[id(param)]
        for key, value in moments.items():
            tensors[f"adam.{name}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
    tensors["rng.torch"] = torch.get_rng_state()
    if device.type == "cuda":
        tensors["rng.cuda"] = torch.cuda.get_rng_state(device)
    meta = {"format_version": FORMAT_VERSION, "counters": asdict(counters), "numpy": rng.bit_generator.state}
    out_dir = Path(out_dir)
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{STATE}.", suffix=".tmp")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata={META_KEY: json.dumps(meta, sort_keys=True)})
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out_dir / STATE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(out_dir)


def check(out_dir: Path) -> None:
    """A one-line TrainingError when the saved state is damaged (its header and size only: before anything loads)."""
    load(out_dir, tensors=False)


def load(out_dir: Path, tensors: bool = True) -> tuple[dict[str, torch.Tensor], dict] | None:
    """The saved tensors and metadata, or None when there is none; a damaged one is a one-line TrainingError."""
    path = Path(out_dir) / STATE
    if not path.exists():
        return None
    try:
        with safe_open(path, "pt") as fh:  # checks that the header's tensors fill the file exactly
            meta = json.loads(fh.metadata()[META_KEY])
            saved = {key: fh.get_tensor(key) for key in fh.keys()} if tensors else {}
    except (SafetensorError, OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise TrainingError(f"the fine-tuning state {path} is damaged ({type(exc).__name__}): `ouvroir retrain` "
                            "fine-tunes the model afresh") from None  # fmt: skip
    if meta.get("format_version") != FORMAT_VERSION:
        raise TrainingError(f"the fine-tuning state {path} is of another format ({meta.get('format_version')}): "
                            "`ouvroir retrain` fine-tunes the model afresh")  # fmt: skip
    return saved, meta


def restore(saved: tuple[dict, dict], model, opt: torch.optim.Optimizer, rng: np.random.Generator,
            device: torch.device) -> Counters:  # fmt: skip
    """Put the saved weights, optimizer moments and generator states back; return the saved counters."""
    tensors, meta = saved
    params = _trainable(model)
    names = {k.removeprefix("weight.") for k in tensors if k.startswith("weight.")}
    misfit = sorted(names ^ set(params)) or [n for n in names if tensors[f"weight.{n}"].shape != params[n].shape]
    if misfit:
        raise TrainingError(f"the fine-tuning state does not fit the model it resumes ({len(misfit)} weights differ, "
                            f"e.g. {misfit[0]}): `ouvroir retrain` fine-tunes it afresh")  # fmt: skip
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(tensors[f"weight.{name}"])
    order = [p for group in opt.param_groups for p in group["params"]]
    index = {id(p): i for i, p in enumerate(order)}
    moments: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("adam."):
            name, _, what = key.removeprefix("adam.").rpartition(".")
            moments.setdefault(index[id(params[name])], {})[what] = value
    opt.load_state_dict({"state": moments, "param_groups": opt.state_dict()["param_groups"]})
    torch.set_rng_state(tensors["rng.torch"])
    if device.type == "cuda" and "rng.cuda" in tensors:
        torch.cuda.set_rng_state(tensors["rng.cuda"], device)
    rng.bit_generator.state = meta["numpy"]
    return Counters.from_dict(meta["counters"])


def trim_metrics(out_dir: Path, counters: Counters) -> None:
    """Keep the evaluation lines the state has seen; those after it (or of an evaluation it had not finished)
    belong to steps the resumed run takes again."""
    path = Path(out_dir) / ckpt.METRICS
    kept = [r for r in ckpt.read_jsonl(path) if r.get("step", 0) < counters.step
            or (r.get("step") == counters.step and counters.last_eval_step == counters.step)]  # fmt: skip
    ckpt.rewrite_jsonl(path, kept)


def remove_temps(out_dir: Path) -> None:
    """Temporary files and folders a killed writer left (``.NAME.RANDOM.tmp``); they are never read."""
    for tmp in Path(out_dir).glob(".*.tmp"):
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
