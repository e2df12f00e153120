"""Training data: token streams of a snapshot, and the batches a training run draws from them.

Infilling (fill-in-the-middle). With a tokenizer that has the infilling tokens
and ``fim_rate`` > 0, that share of the training windows is rearranged so the
model learns to write *between* two passages: a window ``w`` of
``context + 1 - 4`` tokens, a length ``L`` and two cut points ``i <= j <= L`` give
``<|fim_prefix|> w[:i] <|fim_suffix|> w[j:L] <|fim_middle|> w[i:j] <|endoftext|> w[L:]``
(prefix–suffix–middle order; the end-of-document token after the middle
teaches where a middle ends, which is where generation stops). A middle never
crosses a special token (the end of a work, a control): it is cut before the
first one, so a middle never holds one. Which windows, and where they are cut,
follows from ``(seed, epoch)`` alone, so a resumed run draws exactly the same
batches. Validation windows are never rearranged: left-to-right bits per byte
stay comparable with models trained without infilling.

Controls in view. A work's control tokens stand once, after its end-of-document
token, but a window is cut anywhere in the stream: one that starts inside a work
would train its text with no control in view, so a model learned an author
mostly from the first window of each work (on the French poetry, requested
authors were nearest in 16% of samples, 14% without any control). With
``pin=(eot_id, control_ids)`` a left-to-right window that starts inside a work
begins with that work's control tokens (no end-of-document token before them:
the work goes on), then its text; generation keeps them in front when its
context slides (``generate._slid``), in the same layout.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ouvroir.errors import TrainingError
from ouvroir.learn.tokenizer import Tokenizer

# The share of training windows put in prefix–suffix–middle form (the rate of Bavarian et al. 2022 is 0.5 to 0.9;
# half keeps left-to-right quality, see bench/controls.py).
FIM_RATE = 0.5
FIM_EXTRA = 4  # the three infilling tokens and the end-of-document token after the middle
MIN_FIM_LENGTH = 8  # the fewest window tokens an infilling part is cut from


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
    def from_texts(cls, tokenizer: Tokenizer, train_texts: Iterable[str], val_texts: Iterable[str],
                   train_controls: Sequence[dict] | None = None, val_controls: Sequence[dict] | None = None) -> TrainData:  # fmt: skip
        """The streams of ``train_texts`` and ``val_texts``, each text after its controls (one dict per text)."""
        train_texts, val_texts = list(train_texts), list(val_texts)

        def ids(controls):
            return None if controls is None else [tokenizer.control_ids(c) for c in controls]

        return cls(
            train_ids=tokenizer.encode_documents(train_texts, controls=ids(train_controls)),
            val_ids=tokenizer.encode_documents(val_texts, controls=ids(val_controls)),
            val_bytes=sum(len(t.encode()) for t in val_texts),
            eot_id=tokenizer.eot_id,
            tokenizer=tokenizer,
            train_bytes=sum(len(t.encode()) for t in train_texts),
        )


def work_heads(ids: np.ndarray, eot: int, controls: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Where each work starts (its end-of-document token) and the control tokens that follow it."""
    ids = np.asarray(ids)
    starts = np.flatnonzero(ids == eot)
    is_control = np.isin(ids, np.asarray(list(controls), dtype=np.int64))
    heads = []
    for at in starts:
        end = at + 1
        while end < len(ids) and is_control[end]:
            end += 1
        heads.append(np.asarray(ids[at + 1 : end], dtype=np.int64))
    return starts, heads


def head_before(heads: tuple[np.ndarray, list[np.ndarray]], start: int) -> np.ndarray:
    """The controls to put before a window starting at ``start``: its work's, when it starts past them; else none."""
    starts, found = heads
    k = int(np.searchsorted(starts, start, side="right")) - 1
    if k < 0 or not len(found[k]) or start <= starts[k] + len(found[k]):
        return np.zeros(0, dtype=np.int64)  # before any work, at a work's start, or inside its controls
    return found[k]


class Batches:
    """Shuffled non-overlapping windows, one epoch after another.

    Each epoch shifts the window grid by a random offset, so every token
    lands at varying positions. The position is just ``(epoch, index)``,
    which makes it trivial to checkpoint.

    ``fim`` (the ids of ``<|fim_prefix|>``, ``<|fim_suffix|>``, ``<|fim_middle|>``,
    ``<|endoftext|>``) and ``fim_rate``: the share of windows in infilling form
    (module docstring); ``special`` are the ids a middle never crosses. ``pin``
    (``<|endoftext|>``'s id and the control tokens' ids): each left-to-right window
    that starts inside a work starts with that work's controls (module docstring).
    """

    def __init__(self, ids: np.ndarray, batch_size: int, context: int, seed: int, device=None,
                 fim: tuple[int, int, int, int] | None = None, fim_rate: float = 0.0,
                 special: Sequence[int] = (), pin: tuple[int, Sequence[int]] | None = None):  # fmt: skip
        if len(ids) < context + 2:
            raise TrainingError(
                f"the training corpus has {len(ids)} tokens, fewer than one window of {context + 1}: "
                "add works or choose a smaller context"
            )
        self.ids, self.batch, self.context, self.seed = ids, batch_size, context, seed
        self.epoch, self.index = 0, 0
        self.fim = fim if fim is not None and fim_rate > 0 else None
        self.fim_rate = fim_rate
        self.special = np.asarray(sorted(set(special) | ({fim[3]} if fim else set())), dtype=np.int64)
        self.heads = self._heads(*pin) if pin is not None and len(pin[1]) else None
        self.on_device = None
        if device is not None and torch.device(device).type == "cuda":
            self.on_device = torch.from_numpy(np.asarray(ids, dtype=np.int64)).to(device)
        self._load_epoch()

    def _load_epoch(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        offset = int(rng.integers(self.context)) if len(self.ids) > 2 * self.context + 1 else 0
        n = (len(self.ids) - 1 - offset) // self.context
        self.starts = offset + rng.permutation(n) * self.context
        if self.fim is not None:  # a generator of its own: the windows' order stays what it was without infilling
            fim_rng = np.random.default_rng([self.seed, self.epoch, 1])
            self.infill = fim_rng.random(n) < self.fim_rate
            self.cuts = np.sort(fim_rng.integers(0, self.context + 2 - FIM_EXTRA, size=(n, 2)), axis=1)
            # How much of the window the infilling part takes (the rest follows its end token, left to right): were it
            # always the whole window, a middle would always end on the window's last token, and a model learns to
            # end it there by position alone (0.01 bits for the end token in a full row, 14.5 bits in a shorter one).
            self.fim_lengths = fim_rng.integers(MIN_FIM_LENGTH, self.context + 2 - FIM_EXTRA, size=n)

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        starts, infills = [], []
        while len(starts) < self.batch:
            if self.index >= len(self.starts):
                self.epoch, self.index = self.epoch + 1, 0
                self._load_epoch()
            starts.append(int(self.starts[self.index]))
            if self.fim is not None and self.infill[self.index]:
                length = int(self.fim_lengths[self.index])
                i, j = (int(c) * length // (self.context + 1 - FIM_EXTRA) for c in self.cuts[self.index])
                infills.append((len(starts) - 1, i, j, length))
            self.index += 1
        if infills or self.heads is not None:
            filled = {row: (i, j, length) for row, i, j, length in infills}
            xy = torch.from_numpy(np.stack([self._infilled(self._window(s), *filled[row]) if row in filled
                                            else self._pinned(s) for row, s in enumerate(starts)]))  # fmt: skip
            if self.on_device is not None:
                xy = xy.to(self.on_device.device)
        elif self.on_device is not None:  # GPU: the corpus lives there, gather in place
            offsets = torch.arange(self.context + 1, device=self.on_device.device)
            xy = self.on_device[torch.tensor(starts, device=self.on_device.device)[:, None] + offsets]
        else:
            xy = torch.from_numpy(np.stack([self._window(s) for s in starts]))
        return xy[:, :-1], xy[:, 1:]

    def _window(self, start: int) -> np.ndarray:
        return np.asarray(self.ids[start : start + self.context + 1], dtype=np.int64)

    def _heads(self, eot: int, controls: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
        return work_heads(self.ids, eot, controls)

    def _pinned(self, start: int) -> np.ndarray:
        """The window at ``start``, after its work's controls when it starts past them."""
        if self.heads is None:
            return self._window(start)
        head = head_before(self.heads, start)
        if not len(head):
            return self._window(start)
        return np.concatenate([head, self.ids[start : start + self.context + 1 - len(head)]]).astype(np.int64)

    def _infilled(self, window: np.ndarray, i: int, j: int, length: int | None = None) -> np.ndarray:
        """``PRE w[:i] SUF w[j:] MID w[i:j] EOT`` from the window's first ``length`` tokens, then the window's next ones."""
        pre, suf, mid, eot = self.fim
        rest = window[: len(window) - FIM_EXTRA]
        length = len(rest) if length is None else length
        w, tail = rest[:length], rest[length:]
        crossing = np.flatnonzero(np.isin(w[i:j], self.special))
        if len(crossing):  # a middle ends before the first special token it would cross
            j = i + int(crossing[0])
        return np.concatenate([[pre], w[:i], [suf], w[j:], [mid], w[i:j], [eot], tail]).astype(np.int64)

    def state(self) -> dict:
        return {"epoch": self.epoch, "index": self.index}

    def restore(self, state: dict):
        self.epoch, self.index = state["epoch"], state["index"]
        self._load_epoch()
