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

    @property
    def vocab_size(self) -> int:
        return self.hf.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (a literal ``<|endoftext|>`` in it is ordinary text)."""
        return self.hf.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self.hf.encode_batch(list(texts), add_special_tokens=False)]

    def encode_documents(self, texts: Iterable[str], dtype=np.uint16) -> np.ndarray:
        """One stream for training: ``eot doc1 eot doc2 ...`` (eot before each work).

        Starting each work with eot lets the model predict a work's first token
        and lets generation start from "a new work" with an empty prompt.
        """
        if self.vocab_size > np.iinfo(dtype).max + 1:
            dtype = np.uint32
        parts = []
        for ids in self.encode_batch(list(texts)):
            parts.append(np.array([self.eot_id, *ids], dtype=dtype))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    @cached_property
    def _bytes_table(self) -> list[bytes]:
        to_byte = _byte_decoder()
        table = [b""] * self.vocab_size
        for token, i in self.hf.get_vocab(with_added_tokens=True).items():
            if token == EOT:
                table[i] = EOT.encode()
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


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> Tokenizer:
    """Learn byte-level BPE merges from ``texts`` (one string per work).

    ``vocab_size`` counts the 256 byte tokens and ``<|endoftext|>``; a corpus
    too small to fill it simply yields fewer merges.

    >>> tok = train_tokenizer(["abab abab"] * 10, vocab_size=260)
    >>> tok.decode(tok.encode("abab\\n")), tok.eot_id
    ('abab\\n', 0)
    """
    if vocab_size < MIN_VOCAB:
        raise ValueError(f"vocab_size must be at least {MIN_VOCAB}, got {vocab_size}")
    hf = HFTokenizer(models.BPE())
    # GPT-2 pre-splitting keeps merges inside words/number runs/punctuation runs,
    # which generalizes better on small corpora than free merging across spaces.
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    hf.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2,
        show_progress=False,
    )
    hf.train_from_iterator(texts, trainer=trainer)
    return Tokenizer(hf)
