"""Training data: token streams of a snapshot, and the batches a training run draws from them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from ouvroir.errors import TrainingError
from ouvroir.learn.tokenizer import Tokenizer


@dataclass
class TrainData:
    """Token streams (``eot`` before each work) and the validation text's size in bytes."""

    train_ids: np.ndarray
    val_ids: np.ndarray
    val_bytes: int
    eot_id: int
    tokenizer: Tokenizer | None = None
    train_bytes: int | None = None  # UTF-8 bytes of the training text: turns the train loss into bits per byte

    @property
    def train_tokens(self) -> int:
        return len(self.train_ids)

    @property
    def bytes_per_token(self) -> float | None:
        """Training bytes per training token (eot separators counted, as the validation's bits per byte counts them)."""
        return self.train_bytes / len(self.train_ids) if self.train_bytes and len(self.train_ids) else None

    @classmethod
    def from_texts(cls, tokenizer: Tokenizer, train_texts: Iterable[str], val_texts: Iterable[str]) -> TrainData:
        train_texts, val_texts = list(train_texts), list(val_texts)
        return cls(
            train_ids=tokenizer.encode_documents(train_texts),
            val_ids=tokenizer.encode_documents(val_texts),
            val_bytes=sum(len(t.encode()) for t in val_texts),
            eot_id=tokenizer.eot_id,
            tokenizer=tokenizer,
            train_bytes=sum(len(t.encode()) for t in train_texts),
        )


class Batches:
    """Shuffled non-overlapping windows, one epoch after another.

    Each epoch shifts the window grid by a random offset, so every token
    lands at varying positions. The position is just ``(epoch, index)``,
    which makes it trivial to checkpoint.
    """

    def __init__(self, ids: np.ndarray, batch_size: int, context: int, seed: int, device=None):
        if len(ids) < context + 2:
            raise TrainingError(
                f"the training corpus has {len(ids)} tokens, fewer than one window of {context + 1}: "
                "add works or choose a smaller context"
            )
        self.ids, self.batch, self.context, self.seed = ids, batch_size, context, seed
        self.epoch, self.index = 0, 0
        self.on_device = None
        if device is not None and torch.device(device).type == "cuda":
            self.on_device = torch.from_numpy(np.asarray(ids, dtype=np.int64)).to(device)
        self._load_epoch()

    def _load_epoch(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        offset = int(rng.integers(self.context)) if len(self.ids) > 2 * self.context + 1 else 0
        n = (len(self.ids) - 1 - offset) // self.context
        self.starts = offset + rng.permutation(n) * self.context

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        starts = []
        while len(starts) < self.batch:
            if self.index >= len(self.starts):
                self.epoch, self.index = self.epoch + 1, 0
                self._load_epoch()
            starts.append(int(self.starts[self.index]))
            self.index += 1
        if self.on_device is not None:  # GPU: the corpus lives there, gather in place
            offsets = torch.arange(self.context + 1, device=self.on_device.device)
            xy = self.on_device[torch.tensor(starts, device=self.on_device.device)[:, None] + offsets]
        else:
            xy = torch.from_numpy(
                np.stack([np.asarray(self.ids[s : s + self.context + 1], dtype=np.int64) for s in starts])
            )
        return xy[:, :-1], xy[:, 1:]

    def state(self) -> dict:
        return {"epoch": self.epoch, "index": self.index}

    def restore(self, state: dict):
        self.epoch, self.index = state["epoch"], state["index"]
        self._load_epoch()
