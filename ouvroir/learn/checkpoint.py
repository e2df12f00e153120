"""Crash-safe files of a model directory.

A model directory (``out_dir`` of :func:`ouvroir.learn.train.train`)::

    config.json        {"format": "ouvroir-model", "format_version": 1,
                        "model": ModelConfig, "train": TrainConfig}   written first
    tokenizer.json     HF tokenizers file (written by train() when TrainData has one)
    model.safetensors  best weights so far (by validation bits per byte);
                       metadata: step, val_bpb, format_version
    train_state.pt     everything resume needs: current weights, optimizer,
                       step, data position, RNG states, elapsed seconds, best so far,
                       and the weight EMA when the run keeps one (averaging.py)
    metrics.jsonl      one JSON object per log/eval line (a torn last line is ignored)
    loss.png           train and validation curves in bits per byte, drawn at the end of a run

Every file is replaced atomically (temp file in the same directory, fsync,
``os.replace``, fsync of the directory), so a SIGKILL at any instant leaves
either the old or the new version of each file, never a torn one.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write_json(d / "x.json", {"a": 1}); read_json(d / "x.json")
{'a': 1}
"""

from __future__ import annotations

import io
import json
import math
import os
import random
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from ouvroir.errors import ModelNotFound, TrainingError
from ouvroir.fileio import atomic_write as atomic_write_bytes
from ouvroir.layout import MODEL_PLOT, MODEL_WEIGHTS

FORMAT = "ouvroir-model"
FORMAT_VERSION = 1
CONFIG = "config.json"
WEIGHTS = MODEL_WEIGHTS  # the studio reads them by these names too (its model folders are these directories)
TOKENIZER = "tokenizer.json"
STATE = "train_state.pt"
METRICS = "metrics.jsonl"
PLOT = MODEL_PLOT


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def read_json(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ModelNotFound(f"{path} is missing: this is not a trained model directory") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelNotFound(f"{path} is corrupt ({e}): retrain the model") from None


def remove_stale_temps(directory: Path) -> None:
    """Delete temp files a killed writer left behind (they are never read)."""
    for tmp in Path(directory).glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def weights_to_save(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """State dict without the tied output matrix (safetensors stores no aliases)."""
    sd = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in model.state_dict().items()}
    if getattr(model.config, "tie_embeddings", False):
        sd.pop("lm_head.weight", None)
    return sd


def save_weights(path: Path, weights: dict[str, torch.Tensor], metadata: dict) -> None:
    meta = {k: str(v) for k, v in metadata.items()} | {"format_version": str(FORMAT_VERSION)}
    atomic_write_bytes(path, canonical_safetensors(st_save(weights, metadata=meta)))


def canonical_safetensors(data: bytes) -> bytes:
    """The same file with its header's keys sorted: the same weights and metadata, the same bytes.

    safetensors writes the metadata in a hash map's order, which changes from one call to the next,
    so without this a resumed run and an uninterrupted one would hash differently (``weights_sha256``).
    """
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the tensors start 8-byte aligned, as safetensors pads them
    return len(text).to_bytes(8, "little") + text + data[8 + size :]


def load_weights(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Weights and metadata; :class:`ModelNotFound` says what to do if absent or corrupt."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelNotFound(
            f"{path} is missing: training has not saved a model yet (wait for the first evaluation, "
            "or resume the training)"
        ) from None
    try:
        weights = st_load(data)
        header_len = int.from_bytes(data[:8], "little")
        metadata = json.loads(data[8 : 8 + header_len]).get("__metadata__", {}) or {}
    except (SafetensorError, ValueError, json.JSONDecodeError, RuntimeError) as e:
        raise ModelNotFound(f"{path} is corrupt ({e}): retrain the model or restore a backup") from None
    return weights, metadata


def save_train_state(path: Path, state: dict) -> None:
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_train_state(path: Path) -> dict | None:
    """The saved state, or None when there is none; a corrupt one is a TrainingError."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 (torch raises many types on a damaged pickle/zip)
        raise TrainingError(
            f"the training state {path} is corrupt ({type(e).__name__}): delete it and train again without resume"
        ) from None


def append_jsonl(path: Path, record: dict) -> None:
    """Append one line and make it durable (a kill can only tear this last line)."""
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_jsonl(path: Path) -> list[dict]:
    """All complete lines; a torn last line (killed mid-append) is skipped."""
    records = []
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return records
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def rewrite_jsonl(path: Path, records: list[dict]) -> None:
    atomic_write_bytes(path, "".join(json.dumps(r) + "\n" for r in records).encode())


def save_model(out_dir: Path, model: torch.nn.Module, tokenizer=None, metadata: dict | None = None) -> Path:
    """Write a loadable model directory from an in-memory GPT (config, weights, tokenizer).

    ``train()`` writes these files itself; this is for models built another way
    (tests, conversions).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(
        out / CONFIG,
        {"format": FORMAT, "format_version": FORMAT_VERSION, "model": model.config.to_dict(), "tokenizer": TOKENIZER},
    )
    save_weights(out / WEIGHTS, weights_to_save(model), metadata or {})
    if tokenizer is not None:
        tokenizer.save(out / TOKENIZER)
    return out


def rng_states(device: torch.device) -> dict:
    """Python, numpy and torch (and CUDA) generator states, for an exact resume."""
    return {
        "python": random.getstate(),
        "numpy": _numpy_state_to_lists(np.random.get_state(legacy=False)),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if device.type == "cuda" else None,
    }


def _numpy_state_to_lists(state: dict) -> dict:
    """Plain lists, so the state file loads with torch.load(weights_only=True)."""
    state = dict(state)
    state["state"] = dict(state["state"], key=state["state"]["key"].tolist())
    return state


def restore_rng_states(states: dict, device: torch.device) -> None:
    random.setstate(states["python"])
    numpy_state = states["numpy"]
    numpy_state["state"]["key"] = np.array(numpy_state["state"]["key"], dtype=np.uint32)
    np.random.set_state(numpy_state)
    torch.set_rng_state(states["torch"])
    if device.type == "cuda" and states.get("cuda") is not None:
        torch.cuda.set_rng_state_all(states["cuda"])


def repair_best_weights(out: Path, model: torch.nn.Module, state: dict) -> None:
    """A kill between writing the state and the best weights leaves the weights one
    checkpoint behind; the state then holds the best weights, so write them again."""
    if not state.get("best_is_current"):
        return
    try:
        _, meta = load_weights(out / WEIGHTS)
        if int(meta.get("step", -1)) == state["run"]["best_step"]:
            return
    except ModelNotFound:  # missing or torn: rewrite it
        pass
    save_weights(
        out / WEIGHTS, weights_to_save(model), {"step": state["run"]["best_step"], "val_bpb": state["run"]["best"]}
    )


def train_bpb(train_loss: float | None, bytes_per_token: float | None) -> float | None:
    """The train loss (nats per token) in bits per byte, the validation's unit; None when either is unknown."""
    if train_loss is None or not bytes_per_token or not math.isfinite(train_loss):
        return None
    return train_loss / math.log(2) / bytes_per_token


def curve_points(records: list[dict], bytes_per_token: float | None) -> tuple[list, list, str]:
    """(train points, validation points, the train curve's unit) of metrics records, against training seconds.

    With the training text's bytes per token both curves are in bits per byte; without it
    the train curve stays in bits per token and is drawn on an axis of its own.
    """
    scale = 1 / bytes_per_token if bytes_per_token else 1.0
    train_pts = [(r["elapsed_s"], r["train_loss"] / math.log(2) * scale)
                 for r in records if r.get("event") == "log" and r.get("train_loss") is not None]  # fmt: skip
    val_pts = [(r["elapsed_s"], r["val_bpb"]) for r in records if r.get("event") == "eval"]
    return train_pts, val_pts, "bits/byte" if bytes_per_token else "bits/token"


def plot_curves(out: Path, bytes_per_token: float | None = None):
    """loss.png: smoothed train loss and validation loss against training time, both in bits per byte.

    Without ``bytes_per_token`` (the training text's bytes per token) the train loss
    can only be drawn in bits per token: it then gets its own labelled axis, so the two
    units are never read as one. Returns the matplotlib Figure drawn.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    train_pts, val_pts, unit = curve_points(read_jsonl(out / METRICS), bytes_per_token)
    fig = Figure(figsize=(7, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    train_ax = ax if bytes_per_token else ax.twinx()
    lines = []
    if train_pts:
        lines += train_ax.plot(*zip(*train_pts), color="tab:blue", label=f"train ({unit})", alpha=0.7)
    if val_pts:
        lines += ax.plot(*zip(*val_pts), "o-", color="tab:orange", label="validation (bits/byte)")
    ax.set_xlabel("training seconds")
    ax.set_ylabel("loss (bits per byte)")
    if train_ax is not ax:
        train_ax.set_ylabel("train loss (bits per token)")
    ax.grid(alpha=0.3)
    if lines:
        ax.legend(lines, [line.get_label() for line in lines])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(out / PLOT, buf.getvalue())
    return fig
