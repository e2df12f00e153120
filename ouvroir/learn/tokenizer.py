"""Byte-level BPE tokenizer trained on the artist's own corpus.

Public API::

    train_tokenizer(texts: Iterable[str], vocab_size: int) -> Tokenizer
    vocab_size_for(n_bytes: int) -> int
    Tokenizer.encode(text) -> list[int]      Tokenizer.decode(ids) -> str
    Tokenizer.encode_documents(texts) -> np.ndarray   (eot between works)
    Tokenizer.token_bytes(id) -> bytes       Tokenizer.vocab_size / .eot_id
    Tokenizer.save(path)  Tokenizer.load(path)         (HF ``tokenizer.json``)

Why byte-level BPE: every string (any script, emoji, NBSP, ligatures, control
characters) maps to bytes first, so ``decode(encode(s)) == s`` exactly and no
text is ever "unknown". No normalizer runs: the corpus is already NFC and the
tokenizer must not change what the artist wrote.

The end-of-document token ``<|endoftext|>`` (``eot_id``) separates works in a
training stream; generation stops on it. It is always id 0.

Tokenizers trained since controls and infilling hold more special tokens, right
after it: ``<|fim_prefix|>``, ``<|fim_suffix|>``, ``<|fim_middle|>`` (infilling,
``learn/data.py``) and one *control token* per control value of the training
works, ``<|author=Paul Verlaine|>``, ``<|form=poem|>``, ``<|key=G major|>``
(``control_token``). They are inserted by id (``control_id``, ``fim_ids``),
never by encoding text: a work quoting ``<|form=poem|>`` keeps it as text.
Older tokenizers have none of them (``has_fim`` is False, ``controls`` empty).

>>> tok = train_tokenizer(["le ténébreux, le veuf", "l'inconsolé"] * 20, vocab_size=300)
>>> tok.decode(tok.encode("œuvre\u00a0😀")) == "œuvre\u00a0😀"
True
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer as HFTokenizer
from tokenizers import decoders, models, pre_tokenizers, trainers

from ouvroir.errors import ModelNotFound

EOT = "<|endoftext|>"
FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE = "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"
FIM_TOKENS = (FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE)
MIN_VOCAB = 257  # 256 byte symbols + the end-of-document token
MAX_VOCAB = 32768


def vocab_size_for(n_bytes: int) -> int:
    """Vocabulary size suited to a corpus of ``n_bytes`` UTF-8 bytes.

    A small corpus cannot support many rare tokens (each needs enough
    occurrences to be learned), so the vocabulary grows with the square root
    of the corpus: 768 for 1 MB, ~2,400 for 10 MB, capped at 32,768.

    >>> vocab_size_for(1_000_000)
    768
    """
    raw = 768 * (max(n_bytes, 1) / 1_000_000) ** 0.5
    return int(min(MAX_VOCAB, max(320, round(raw / 64) * 64)))


def control_token(name: str, value: str) -> str:
    """The special token of one control value: ``control_token("form", "poem") == "<|form=poem|>"``."""
    value = " ".join(str(value).replace("|", "/").split())  # one line, and never the token's own closing
    return f"<|{name}={value}|>"


def _parse_control(token: str) -> tuple[str, str] | None:
    if token.startswith("<|") and token.endswith("|>") and "=" in token:
        name, value = token[2:-2].split("=", 1)
        return name, value
    return None


def _byte_decoder() -> dict[str, int]:
    """GPT-2's printable stand-in character for each byte, reversed."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars, n = list(printable), 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(printable, chars)}


class Tokenizer:
    """A trained byte-level BPE tokenizer (wraps HF ``tokenizers``)."""

    def __init__(self, hf: HFTokenizer):
        self.hf = hf
        eot = hf.token_to_id(EOT)
        if eot is None:
            raise ValueError(f"tokenizer has no {EOT} token")
        self.eot_id: int = eot
        # A work that quotes the literal string "<|endoftext|>" must stay text,
        # never end the document: special tokens are split like ordinary text.
        hf.encode_special_tokens = True

    @cached_property
    def special_ids(self) -> dict[str, int]:
        """Every special token (``<|endoftext|>``, infilling, controls) by its text."""
        return {t.content: i for i, t in self.hf.get_added_tokens_decoder().items() if t.special}

    @property
    def has_fim(self) -> bool:
        return all(t in self.special_ids for t in FIM_TOKENS)

    @property
    def fim_ids(self) -> tuple[int, int, int]:
        """Ids of ``<|fim_prefix|>``, ``<|fim_suffix|>``, ``<|fim_middle|>`` (a tokenizer with ``has_fim``)."""
        return tuple(self.special_ids[t] for t in FIM_TOKENS)  # type: ignore[return-value]

    @cached_property
    def controls(self) -> dict[str, dict[str, int]]:
        """The control values this tokenizer knows: ``{"author": {"Paul Verlaine": 5, ...}, "form": {...}}``."""
        known: dict[str, dict[str, int]] = {}
        for token, i in sorted(self.special_ids.items(), key=lambda item: item[1]):
            if (parsed := _parse_control(token)) is not None:
                known.setdefault(parsed[0], {})[parsed[1]] = i
        return known

    def control_id(self, name: str, value: str) -> int | None:
        return self.special_ids.get(control_token(name, value))

    def control_ids(self, controls: dict[str, str]) -> list[int]:
        """The ids of those of ``controls`` this tokenizer knows, in id order (the order training placed them in)."""
        return sorted(i for name, value in controls.items() if (i := self.control_id(name, value)) is not None)

    @property
    def vocab_size(self) -> int:
        return self.hf.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (a literal ``<|endoftext|>`` in it is ordinary text)."""
        return self.hf.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self.hf.encode_batch(list(texts), add_special_tokens=False)]

    def encode_documents(self, texts: Iterable[str], dtype=np.uint16,
                         controls: Sequence[Sequence[int]] | None = None) -> np.ndarray:  # fmt: skip
        """One stream for training: ``eot ctl… doc1 eot ctl… doc2 ...`` (eot before each work).

        Starting each work with eot lets the model predict a work's first token
        and lets generation start from "a new work" with an empty prompt.
        ``controls`` (one list of control token ids per text) follow each eot.
        """
        if self.vocab_size > np.iinfo(dtype).max + 1:
            dtype = np.uint32
        texts = list(texts)
        controls = controls if controls is not None else [()] * len(texts)
        parts = []
        for ids, ctl in zip(self.encode_batch(texts), controls, strict=True):
            parts.append(np.array([self.eot_id, *ctl, *ids], dtype=dtype))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    @cached_property
    def _bytes_table(self) -> list[bytes]:
        to_byte = _byte_decoder()
        table = [b""] * self.vocab_size
        special = set(self.special_ids)
        for token, i in self.hf.get_vocab(with_added_tokens=True).items():
            if token in special:
                table[i] = token.encode()
            else:
                table[i] = bytes(to_byte[c] for c in token)
        return table

    def token_bytes(self, token_id: int) -> bytes:
        """The raw UTF-8 bytes a token stands for (may be part of a character)."""
        return self._bytes_table[token_id]

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ``ids``; a byte sequence cut inside a character decodes to U+FFFD."""
        table = self._bytes_table
        return b"".join(table[int(i)] for i in ids).decode("utf-8", errors="replace")

    def save(self, path: str | os.PathLike) -> None:
        """Write HF ``tokenizer.json`` atomically (readable by any HF tokenizers client)."""
        from ouvroir.learn.checkpoint import atomic_write_bytes

        atomic_write_bytes(Path(path), self.hf.to_str(pretty=True).encode())

    @classmethod
    def load(cls, path: str | os.PathLike) -> Tokenizer:
        path = Path(path)
        if not path.is_file():
            raise ModelNotFound(f"no tokenizer at {path}: train a model first, or copy its tokenizer.json there")
        try:
            return cls(HFTokenizer.from_file(str(path)))
        except Exception as e:  # noqa: BLE001 (tokenizers raises a bare Exception on a corrupt file)
            raise ModelNotFound(f"tokenizer file {path} is unreadable ({e}): retrain the model") from None

    def to_json(self) -> dict:
        return json.loads(self.hf.to_str())


def train_tokenizer(texts: Iterable[str], vocab_size: int, controls: Iterable[str] = (), fim: bool = True) -> Tokenizer:
    """Learn byte-level BPE merges from ``texts`` (one string per work).

    ``vocab_size`` counts the 256 byte tokens, ``<|endoftext|>`` and the merges;
    a corpus too small to fill it simply yields fewer merges. ``controls`` are
    control tokens (``control_token``), which like the infilling tokens come on
    top of it (so they never cost merges); ``fim=False`` leaves those out.

    >>> tok = train_tokenizer(["abab abab"] * 10, vocab_size=260)
    >>> tok.decode(tok.encode("abab\\n")), tok.eot_id
    ('abab\\n', 0)
    """
    if vocab_size < MIN_VOCAB:
        raise ValueError(f"vocab_size must be at least {MIN_VOCAB}, got {vocab_size}")
    special = [EOT, *(FIM_TOKENS if fim else ()), *dict.fromkeys(controls)]
    hf = HFTokenizer(models.BPE())
    # GPT-2 pre-splitting keeps merges inside words/number runs/punctuation runs,
    # which generalizes better on small corpora than free merging across spaces.
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    hf.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size + len(special) - 1,
        special_tokens=special,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2,
        show_progress=False,
    )
    hf.train_from_iterator(texts, trainer=trainer)
    return Tokenizer(hf)
