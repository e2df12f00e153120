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
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ..media.document import Block

NUM_PERM = 128
SHINGLE_WORDS = 5
MIN_PASSAGE_CHARS = 60
JACCARD_THRESHOLD = 0.5
SHARED_THRESHOLD = 0.10
REPEATED_THRESHOLD = 0.05

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class NearDuplicate:
    other_id: str
    measure: str  # minhash-jaccard | shared-passages | repeated-passages
    similarity: float
    title: str | None = None
    author: str | None = None

    def describe(self) -> str:
        if self.measure == "repeated-passages":
            return f"{self.similarity:.0%} of its text repeats passages found elsewhere in the same work"
        what = f"{self.other_id} {self.title!r}" + (f" by {self.author}" if self.author else "")
        if self.measure == "minhash-jaccard":
            return f"near-duplicate of {what} (similarity {self.similarity:.2f}, MinHash Jaccard of word 5-grams)"
        return f"{self.similarity:.0%} of its text also appears in {what}"


def shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes of the word 5-grams of ``text``, stable across runs and machines.

    Each distinct word is hashed once (blake2b); 5-grams combine word hashes
    with a polynomial in numpy — ~20× faster than hashing every 5-gram string,
    which dominated ingest time.
    """
    words = _WORD.findall(text.casefold())
    if not words:
        return np.zeros(1, dtype=np.uint64)
    vocab: dict[str, int] = {}
    ids = np.fromiter((vocab.setdefault(w, len(vocab)) for w in words), dtype=np.int64, count=len(words))
    word_hash = np.fromiter(
        (int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little") for w in vocab),
        dtype=np.uint64,
        count=len(vocab),
    )[ids]
    n = max(1, len(words) - SHINGLE_WORDS + 1)
    combined = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(min(SHINGLE_WORDS, len(words))):
            combined = combined * np.uint64(1_000_003) + word_hash[k : k + n]
    return (combined ^ (combined >> np.uint64(32))) & np.uint64(0xFFFFFFFF)


def minhash_signature(text: str) -> np.ndarray:
    from datasketch import MinHash  # its package import takes ~0.7 s: pay it only when ingesting

    mh = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=int)
    mh.update_batch(shingle_hashes(text).tolist())
    return mh.hashvalues.astype(np.uint64)


def passage_hashes(blocks: list[Block]) -> list[tuple[int, int]]:
    """(hash, characters) of every passage long enough to matter."""
    out = []
    for block in blocks:
        text = block.text if block.kind != "speech" else f"{block.speaker}\n{block.text}"
        if len(text) < MIN_PASSAGE_CHARS:
            continue
        folded = " ".join(_WORD.findall(text.casefold()))
        digest = hashlib.blake2b(folded.encode(), digest_size=8).digest()
        out.append((int.from_bytes(digest, "big", signed=True), len(text)))
    return out


def find_near_duplicates(
    conn: sqlite3.Connection, signature: np.ndarray, passages: list[tuple[int, int]], chars: int
) -> list[NearDuplicate]:
    """Compare a new work (not yet stored) with every stored work."""
    found: list[NearDuplicate] = []
    ids, sigs = [], []
    for row in conn.execute("SELECT id, minhash FROM works WHERE minhash IS NOT NULL"):
        ids.append(row[0])
        sigs.append(np.frombuffer(row[1], dtype=np.uint64))
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
        hashes = list(own)
        for start in range(0, len(hashes), 900):
            chunk = hashes[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for work_id, h in conn.execute(f"SELECT work_id, hash FROM passages WHERE hash IN ({marks})", chunk):
                shared_by_work[work_id].add(h)
        already = {d.other_id for d in found}
        for work_id, shared in shared_by_work.items():
            share = sum(own[h] for h in shared) / chars
            if share >= SHARED_THRESHOLD and work_id not in already:
                found.append(NearDuplicate(work_id, "shared-passages", round(share, 3)))
    titles = {}
    for d in found:
        if d.other_id:
            row = conn.execute("SELECT title, author FROM works WHERE id = ?", (d.other_id,)).fetchone()
            titles[d.other_id] = (row[0], row[1]) if row else (None, None)
    return [
        NearDuplicate(d.other_id, d.measure, d.similarity, *titles.get(d.other_id, (None, None)))
        for d in sorted(found, key=lambda d: -d.similarity)
    ]
