"""Fine-tune a pre-trained model (see ``finetune_base``) on texts, measured in bits per byte.

Public API::

    token_streams(tokenizer, train_texts, val_texts) -> Streams
    evaluate_bpb(model, streams, context, device) -> float
    finetune(model, streams, out_dir, budget, lr=None, batch_size=8, context=256, seed=0,
             device="cpu", evals=5, patience=3, on_progress=None, resume=False) -> FinetuneResult

Every work is tokenized by the base's own tokenizer as one document: its start token (BOS, else
EOS), its tokens, its end token (EOS). Bits per byte sum the negative log-likelihood of every
token of the held-out works (in non-overlapping windows of ``context`` tokens, as for ouvroir's
own models) over ln 2 and the held-out text's UTF-8 bytes, so figures compare across tokenizers.

Training is AdamW on the trainable weights (the LoRA adapters, or every weight) on random
windows of the training works, under a step or time budget (evaluation not counted): a short
warmup, then a linear decay to a tenth. The best evaluation's weights are saved in the
``save_pretrained`` format, file by file atomically; at each evaluation, before them, the state a
resumed run continues from (``finetune_state``). Ctrl-C saves that state at the last whole step and
ends the run, the best weights kept.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ouvroir.errors import TrainingError
from ouvroir.fileio import fsync_dir
from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn import finetune_state as fstate
from ouvroir.learn.finetune_base import start_end_ids
from ouvroir.learn.finetune_state import Counters
from ouvroir.learn.sizing import Budget
from ouvroir.learn.train_loop import Progress

LORA_LR, FULL_LR = 1e-3, 5e-5


@dataclass
class Streams:
    train_ids: np.ndarray  # every training work, one after the other
    val_docs: list[np.ndarray]  # each held-out work on its own
    train_bytes: int
    val_bytes: int

    @property
    def bytes_per_token(self) -> float:
        return self.train_bytes / max(len(self.train_ids), 1)


@dataclass
class FinetuneProgress(Progress):
    train_bpb: float | None = None


@dataclass
class FinetuneResult:
    steps: int
    best_step: int
    best_val_bpb: float
    elapsed_s: float


def _document(tokenizer, text: str, start: int | None, end: int | None) -> list[int]:
    # a whole work is longer than the base's context by design (it is cut into windows later): verbose=False
    # keeps transformers from warning of "indexing errors" that windows never make
    ids = tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
    return ([start] if start is not None else []) + ids + ([end] if end is not None else [])


def token_streams(tokenizer, train_texts: list[str], val_texts: list[str]) -> Streams:
    start, end = start_end_ids(tokenizer)
    train = [t for text in train_texts for t in _document(tokenizer, text, start, end)]
    val = [np.asarray(_document(tokenizer, text, start, end), dtype=np.int64) for text in val_texts if text]
    return Streams(np.asarray(train, dtype=np.int64), val, sum(len(t.encode("utf-8")) for t in train_texts),
                   sum(len(t.encode("utf-8")) for t in val_texts))  # fmt: skip


def autocast(device: torch.device):
    """bf16 where the GPU supports it; full precision elsewhere."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast(device.type, enabled=False)


def _nll(model, x: torch.Tensor, y: torch.Tensor, device: torch.device, reduction: str) -> torch.Tensor:
    with autocast(device):
        logits = model(input_ids=x).logits
    return torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1),
                                             reduction=reduction)  # fmt: skip


@torch.no_grad()
def evaluate_bpb(model, streams: Streams, context: int, device, batch_size: int = 8) -> float:
    """Bits per byte over every token of the held-out works."""
    if streams.val_bytes <= 0 or not streams.val_docs:
        raise TrainingError("the validation set is empty: hold out at least one work")
    device = torch.device(device)
    windows: dict[int, list[np.ndarray]] = {}
    for doc in streams.val_docs:
        for lo in range(0, len(doc) - 1, context):
            piece = doc[lo : lo + context + 1]
            windows.setdefault(len(piece), []).append(piece)
    was_training = model.training
    model.eval()
    total = 0.0
    for length, pieces in sorted(windows.items()):
        for lo in range(0, len(pieces), batch_size):
            batch = torch.from_numpy(np.stack(pieces[lo : lo + batch_size])).to(device)
            total += _nll(model, batch[:, :-1], batch[:, 1:], device, "sum").item()
    model.train(was_training)
    return total / math.log(2) / streams.val_bytes


def save_pretrained_atomically(obj, out_dir: Path, **kwargs) -> None:
    """``obj.save_pretrained`` into a temporary folder, then each file renamed into ``out_dir`` (weights last)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir, prefix=".checkpoint.", suffix=".tmp"))
    try:
        obj.save_pretrained(tmp, **kwargs)
        (tmp / "README.md").unlink(missing_ok=True)  # peft writes a blank model card: the studio writes its own
        for file in sorted(tmp.iterdir(), key=lambda f: (f.suffix == ".safetensors", f.name)):
            with open(file, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(file, out_dir / file.name)
        fsync_dir(out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def save_weights(model, out_dir: Path) -> None:
    save_pretrained_atomically(model, out_dir, safe_serialization=True,
                               **({} if hasattr(model, "peft_config") else {"max_shard_size": "1000GB"}))  # fmt: skip


def finetune(model, streams: Streams, out_dir: Path, budget: Budget, lr: float | None = None, batch_size: int = 8,
             context: int = 256, seed: int = 0, device="cpu", evals: int = 5, patience: int = 3,
             on_progress: Callable[[FinetuneProgress], None] | None = None, resume: bool = False) -> FinetuneResult:  # fmt: skip
    """Train ``model``'s trainable weights on ``streams``; the best evaluation's weights are in ``out_dir``.

    ``resume``: continue from the state saved in ``out_dir`` (``finetune_state``), with the same settings;
    with a step budget the run then ends exactly as an uninterrupted one. Ctrl-C saves the state of the last
    whole step and is raised again.
    """
    device = torch.device(device)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    context = min(context, len(streams.train_ids) - 1)
    if context < 8:
        raise TrainingError(f"the training text is too short to fine-tune on ({len(streams.train_ids)} tokens)")
    lora = hasattr(model, "peft_config")
    lr = lr or (LORA_LR if lora else FULL_LR)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    warmup = 10 if budget.steps is None else max(1, min(10, budget.steps // 10))
    c = Counters()
    if resume:
        fstate.remove_temps(out_dir)
        if (saved := fstate.load(out_dir)) is not None:
            c = fstate.restore(saved, model, opt, rng, device)
            if c.best_step == c.step and math.isfinite(c.best):  # killed between the state and the best weights
                save_weights(model, out_dir)
        fstate.trim_metrics(out_dir, c)
    model.train()

    def fraction() -> float:
        done = [c.step / budget.steps] if budget.steps else []
        return max(done + ([c.elapsed / (budget.minutes * 60)] if budget.minutes else []))

    def report(event: str, val: float | None = None) -> None:
        if on_progress:
            loss = c.smooth if c.smooth is not None else math.nan
            left = max(0.0, (1 - fraction()) * c.elapsed / max(fraction(), 1e-9)) if c.step else 0.0
            # by keyword: Progress has grown fields (train_s) that a positional train_bpb would fill
            on_progress(FinetuneProgress(c.step, loss, val, c.best if math.isfinite(c.best) else None,
                                         c.step * batch_size * context / max(c.elapsed, 1e-9), c.elapsed, left, event,
                                         train_s=c.elapsed, train_bpb=ckpt.train_bpb(c.smooth, streams.bytes_per_token)))  # fmt: skip

    def evaluation_due() -> bool:
        return c.step > c.last_eval_step and (fraction() >= c.next_eval / evals or fraction() >= 1)

    whole = True  # weights, optimizer, generators and counters are of one moment: a state saved now resumes exactly
    try:
        while True:
            # At the top of the loop, so that a run stopped after a step and before its evaluation takes it on resume.
            if evaluation_due():
                val = evaluate_bpb(model, streams, context, device)
                ckpt.append_jsonl(out_dir / ckpt.METRICS, {"event": "eval", "step": c.step, "val_bpb": val,
                                                           "train_loss": c.smooth, "elapsed_s": c.elapsed})  # fmt: skip
                # The line is logged first: a state saved before the counters below change has not seen this
                # evaluation, and resuming drops the line and evaluates again (``trim_metrics``).
                whole, improved = False, val < c.best
                if improved:
                    c.best, c.best_step, c.bad = val, c.step, 0
                else:
                    c.bad += 1
                while c.next_eval / evals <= fraction():
                    c.next_eval += 1
                c.last_eval_step, whole = c.step, True
                fstate.save(out_dir, model, opt, c, rng, device)  # the state first: see finetune_state
                if improved:
                    save_weights(model, out_dir)
                report("eval", val)
            if c.bad >= patience or fraction() >= 1:
                break
            whole = False
            t0 = time.perf_counter()
            for group in opt.param_groups:
                group["lr"] = lr * min(1.0, (c.step + 1) / warmup) * (1 - 0.9 * fraction())
            starts = rng.integers(0, len(streams.train_ids) - context, size=batch_size)
            batch = torch.from_numpy(np.stack([streams.train_ids[s : s + context + 1] for s in starts])).to(device)
            loss = _nll(model, batch[:, :-1], batch[:, 1:], device, "mean")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            c.step += 1
            c.elapsed += time.perf_counter() - t0
            c.smooth = loss.item() if c.smooth is None else 0.9 * c.smooth + 0.1 * loss.item()
            whole = True
            report("log")
    except KeyboardInterrupt:  # Ctrl-C: the last whole step is saved to resume from; the best weights stand
        if whole:
            fstate.save(out_dir, model, opt, c, rng, device)
        raise
    if not math.isfinite(c.best):
        raise TrainingError("fine-tuning stopped before its first step: nothing was saved")
    report("done", c.best)
    return FinetuneResult(c.step, c.best_step, c.best, c.elapsed)
