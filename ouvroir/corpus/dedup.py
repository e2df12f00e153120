"""Duplicates and near-duplicates between works, and repeated text inside a work.

Duplicated training text is the first cause of verbatim regurgitation, so the
user must see it at ingest. Two measures, because they catch different cases:

* **MinHash Jaccard** on word 5-grams (datasketch, 128 permutations): another
  edition of the same collection, lightly edited, scores high even when no
  paragraph is identical. Jaccard is blind to containment, though: a chapter
  pasted into a long novel barely moves it.
* **Shared passages**: every paragraph, stanza or speech of 60+ characters is
  hashed after folding case, punctuation and spacing; the share of a work's
  characters found in another work (or twice in itself) is exact containment.
* **Containment**: the share of a stored work held inside the new one, so that
  a refused poem embedded in a long text is seen (Jaccard cannot: the sets
  differ in size). Two estimates, the larger kept: the share of the stored
  work's passage characters found among the new work's passages (exact, but
  blind to reflowed paragraphs), and a MinHash estimate: each of the stored
  work's 128 minima is the 5-gram of that work that came first under one
  random permutation, i.e. a uniform draw from its 5-grams; datasketch's
  permutations are bijections of 32-bit values, so the 5-gram itself is
  recovered from the signature, and the share of those 128 5-grams present
  in the new text estimates the contained share (standard error at most
  0.045: 0.5 ± 0.13 at three errors). Unrelated texts share no 5-gram
  minima (checked on the real corpora: tests/test_copies.py).

The new text is read in chunks of CHUNK_CHARS characters, cut between words,
so memory stays bounded whatever its size (once ~170 bytes per byte of text),
and the signature is the same as over the whole text in one batch.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..media.document import Block
from ..store import passages as passage_store
from ..store import works as work_store

NUM_PERM = 128
SHINGLE_WORDS = 5
MIN_PASSAGE_CHARS = 60
JACCARD_THRESHOLD = 0.5
SHARED_THRESHOLD = 0.10
REPEATED_THRESHOLD = 0.05
CONTAINED_THRESHOLD = 0.5  # half of a stored work found inside the new one
CONTAINED_MIN_CHARS = 200  # a stored text shorter than this (a line or two) is too common to be "contained"
CHUNK_CHARS = 1 << 17  # ~20,000 words: ~10 MB of MinHash work per chunk

_WORD = re.compile(r"\w+")
_NOT_WORD = re.compile(r"\W")


@dataclass(frozen=True)
class NearDuplicate:
    other_id: str
    measure: str  # minhash-jaccard | shared-passages | contains | repeated-passages | phash (images)
    similarity: float
    title: str | None = None
    author: str | None = None

    def describe(self) -> str:
        if self.measure == "repeated-passages":
            return f"{self.similarity:.0%} of its text repeats passages found elsewhere in the same work"
        what = f"{self.other_id} {self.title!r}" + (f" by {self.author}" if self.author else "")
        if self.measure == "minhash-jaccard":
            return f"near-duplicate of {what} (similarity {self.similarity:.2f}, MinHash Jaccard of word 5-grams)"
        if self.measure == "contains":
            return f"contains {self.similarity:.0%} of {what}"
        if self.measure == "phash":
            bits = round((1 - self.similarity) * 64)
            return f"near-duplicate image of {what} (perceptual hash: {bits} of 64 bits differ)"
        return f"{self.similarity:.0%} of its text also appears in {what}"


def _chunks(text: str) -> Iterator[str]:
    """Pieces of ``text`` of about CHUNK_CHARS characters, cut only where no word can span the cut."""
    start, size = 0, len(text)
    while start < size:
        cut = _NOT_WORD.search(text, start + CHUNK_CHARS) if start + CHUNK_CHARS < size else None
        # A character whose case folding is a letter would join the words around it once folded.
        while cut and _WORD.search(text[cut.start()].casefold()):
            cut = _NOT_WORD.search(text, cut.start() + 1)
        end = cut.start() if cut else size
        yield text[start:end]
        start = end


def iter_shingle_hashes(text: str) -> Iterator[np.ndarray]:
    """32-bit hashes of the word 5-grams of ``text``, stable across runs and machines, chunk by chunk.

    Each distinct word of a chunk is hashed once (blake2b); 5-grams combine word hashes
    with a polynomial in numpy — ~20× faster than hashing every 5-gram string, which
    dominated ingest time. The last four words of a chunk open the next one, so the
    5-grams are those of the whole text. A text of fewer than five words is one
    "5-gram" of all its words; a text without words, a single zero.
    """
    carry = np.zeros(0, dtype=np.uint64)
    produced = False
    for chunk in _chunks(text):
        words = _WORD.findall(chunk.casefold())
        if not words:
            continue
        vocab: dict[str, int] = {}  # per chunk: distinct words are as many as the words in a crafted text
        ids = np.fromiter((vocab.setdefault(w, len(vocab)) for w in words), dtype=np.int64, count=len(words))
        word_hash = np.fromiter(
            (int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little") for w in vocab),
            dtype=np.uint64,
            count=len(vocab),
        )[ids]
        word_hash = np.concatenate([carry, word_hash])
        if len(word_hash) >= SHINGLE_WORDS:
            yield _combine(word_hash, len(word_hash) - SHINGLE_WORDS + 1)
            produced = True
        carry = word_hash[-(SHINGLE_WORDS - 1) :]
    if not produced:
        yield _combine(carry, 1) if len(carry) else np.zeros(1, dtype=np.uint64)


def _combine(word_hash: np.ndarray, n: int) -> np.ndarray:
    combined = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(min(SHINGLE_WORDS, len(word_hash))):
            combined = combined * np.uint64(1_000_003) + word_hash[k : k + n]
    return (combined ^ (combined >> np.uint64(32))) & np.uint64(0xFFFFFFFF)


def shingle_hashes(text: str) -> np.ndarray:
    return np.concatenate(list(iter_shingle_hashes(text)))


def _minhash():
    from datasketch import MinHash  # its package import takes ~0.7 s: pay it only when ingesting

    return MinHash(num_perm=NUM_PERM, seed=1, hashfunc=int)


def minhash_signature(text: str) -> np.ndarray:
    return sketch(text)[0]


def sketch(text: str, stored: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The MinHash signature of ``text`` and, for each row of ``stored`` (signatures of stored works),
    the estimated share of that work's 5-grams found in ``text`` (zeros where it cannot be estimated)."""
    mh = _minhash()
    stored = np.zeros((0, NUM_PERM), dtype=np.uint64) if stored is None else stored
    minima = minima_shingles(stored) if len(stored) else None
    targets = np.unique(minima) if minima is not None else np.zeros(0, dtype=np.uint32)
    found = np.zeros(len(targets), dtype=bool)
    for hashes in iter_shingle_hashes(text):
        mh.update_batch(hashes.tolist())
        if len(targets):
            h = hashes.astype(np.uint32)
            at = np.minimum(np.searchsorted(targets, h), len(targets) - 1)
            found[at[targets[at] == h]] = True
    signature = mh.hashvalues.astype(np.uint64)
    if minima is None:
        return signature, np.zeros(len(stored))
    return signature, found[np.searchsorted(targets, minima)].mean(axis=1)


@lru_cache(maxsize=1)
def _inverse_permutations() -> tuple[np.ndarray, np.ndarray] | None:
    mh = _minhash()
    if getattr(mh, "scheme", None) != "affine32":  # datasketch < 2 hashes modulo a prime: not invertible
        return None
    a, b = (np.asarray(p, dtype=np.uint32) for p in mh.permutations)
    inv_a = np.array([pow(int(x), -1, 2**32) for x in a], dtype=np.uint32)
    return inv_a, b


def minima_shingles(signatures: np.ndarray) -> np.ndarray | None:
    """The 5-gram hash behind each minimum of each signature (rows × NUM_PERM), or None if not recoverable.

    datasketch (affine32) maps a 5-gram hash h to fmix32(h) · a + b (mod 2^32), a odd:
    both steps are bijections, so each minimum has exactly one 5-gram hash behind it.
    """
    inverse = _inverse_permutations()
    if inverse is None:
        return None
    inv_a, b = inverse
    with np.errstate(over="ignore"):
        h = (signatures.astype(np.uint32) - b) * inv_a
        # MurmurHash3's fmix32, undone step by step.
        h ^= h >> np.uint32(16)
        h *= np.uint32(pow(0xC2B2AE35, -1, 2**32))
        h ^= (h >> np.uint32(13)) ^ (h >> np.uint32(26))
        h *= np.uint32(pow(0x85EBCA6B, -1, 2**32))
        h ^= h >> np.uint32(16)
    return h


def passage_hashes(blocks: list[Block]) -> list[tuple[int, int]]:
    """(hash, characters) of every passage long enough to matter."""
    out = []
    for block in blocks:
        text = block.text if block.kind != "speech" else f"{block.speaker}\n{block.text}"
        if len(text) < MIN_PASSAGE_CHARS:
            continue
        out.append((int.from_bytes(_passage_digest(text), "big", signed=True), len(text)))
    return out


def _passage_digest(text: str) -> bytes:
    """blake2b of the passage's words, folded and joined by single spaces, chunk by chunk (a file may be one passage)."""
    digest = hashlib.blake2b(digest_size=8)
    separator = ""
    for chunk in _chunks(text):
        words = _WORD.findall(chunk.casefold())
        if words:
            digest.update((separator + " ".join(words)).encode())
            separator = " "
    return digest.digest()


def refused_signatures(conn: sqlite3.Connection) -> tuple[list[str], np.ndarray]:
    """Ids and signatures of the stored works whose consent is not ``train`` (and long enough to be contained):
    the works a new one is checked against for containment, as copying them would bypass a refusal."""
    ids, sigs = [], []
    for work_id, minhash in passage_store.refused_minhashes(conn, CONTAINED_MIN_CHARS):
        ids.append(work_id)
        sigs.append(np.frombuffer(minhash, dtype=np.uint64))
    return ids, np.vstack(sigs) if sigs else np.zeros((0, NUM_PERM), dtype=np.uint64)


def find_near_duplicates(
    conn: sqlite3.Connection, signature: np.ndarray, passages: list[tuple[int, int]], chars: int,
    contained: dict[str, float] | None = None,
) -> list[NearDuplicate]:  # fmt: skip
    """Compare a new work (not yet stored) with every stored work.

    ``contained`` maps stored works to the MinHash estimate of their share found in the new work.
    """
    contained = dict(contained or {})
    found: list[NearDuplicate] = []
    ids, sigs = [], []
    for work_id, minhash in passage_store.minhashes(conn):
        ids.append(work_id)
        sigs.append(np.frombuffer(minhash, dtype=np.uint64))
    if sigs:
        jaccard = (np.vstack(sigs) == signature).mean(axis=1)
        for idx in np.flatnonzero(jaccard >= JACCARD_THRESHOLD):
            found.append(NearDuplicate(ids[idx], "minhash-jaccard", round(float(jaccard[idx]), 3)))

    if passages and chars:
        own = defaultdict(int)
        for h, n in passages:
            own[h] += n
        # Passages that occur more than once in the work itself.
        seen: set[int] = set()
        repeated = 0
        for h, n in passages:
            if h in seen:
                repeated += n
            seen.add(h)
        if repeated / chars >= REPEATED_THRESHOLD:
            found.append(NearDuplicate("", "repeated-passages", round(repeated / chars, 3)))
        shared_by_work: dict[str, set[int]] = defaultdict(set)
        theirs: dict[str, int] = defaultdict(int)  # characters of the stored work's passages found in the new one
        for work_id, h, n in passage_store.passages_with(conn, list(own)):
            shared_by_work[work_id].add(h)
            theirs[work_id] += n
        already = {d.other_id for d in found}
        for work_id, shared in shared_by_work.items():
            share = sum(own[h] for h in shared) / chars
            if share >= SHARED_THRESHOLD and work_id not in already:
                found.append(NearDuplicate(work_id, "shared-passages", round(share, 3)))
        for work_id, size in passage_store.work_sizes(conn, list(theirs)):
            if size >= CONTAINED_MIN_CHARS:
                contained[work_id] = max(contained.get(work_id, 0.0), min(1.0, theirs[work_id] / size))
    already = {d.other_id for d in found if d.measure == "minhash-jaccard"}
    for work_id, share in contained.items():
        if share >= CONTAINED_THRESHOLD and work_id not in already:
            found.append(NearDuplicate(work_id, "contains", round(float(share), 3)))
    titles = {d.other_id: work_store.title_and_author(conn, d.other_id) for d in found if d.other_id}
    return [
        NearDuplicate(d.other_id, d.measure, d.similarity, *titles.get(d.other_id, (None, None)))
        for d in sorted(found, key=lambda d: -d.similarity)
    ]
