"""Uniformization: how much less diverse a model's samples are than its corpus.

Every measure is taken twice — on the samples and on matched excerpts of the
corpus (same count, about the same length, drawn across works) — and reported
as a ratio oriented so that **below 1 means the samples are less diverse than
the corpus**. Several measures drift with the number of texts (distinct-n falls,
Vendi rises), so the two sets must have the same size; ``uniformization``
refuses otherwise.

Measures (word tokens from :mod:`ouvroir.audit.words`):

* ``distinct_1`` … ``distinct_4``: unique word n-grams / all word n-grams of the set;
* ``compression_ratio``: raw bytes / gzip bytes of the concatenation (Shaib et al. 2024);
  higher means more repetitive;
* ``rouge_l_homogenization``: mean ROUGE-L F1 over all unordered pairs of texts
  (Padmakumar & He 2023); 0 for texts with no word in common, 1 for identical texts
  (the ``diversity`` package turns a 0 into the maximum: not here);
* ``vendi_char5``: Vendi score (Friedman & Dieng 2023) with a cosine kernel on
  character 5-gram TF-IDF vectors; 1 for identical texts, N for texts sharing no 5-gram;
* ``rare_vocabulary_coverage``: share of the corpus's rare words (see ``rare_vocabulary``)
  that the set uses at least once.

ROUGE-L and Vendi are quadratic in the number of texts (all pairs; an N × N kernel):
about 1 s each for 1,000 texts of 500 characters on 2 cores, 8 MB of kernel.
Form (line, stanza, dialogue) lives in :mod:`ouvroir.audit.form`.
"""

from __future__ import annotations

import gzip
import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import LCSseq
from rapidfuzz.process import cdist

from .words import normalize, words

RARE_MIN_COUNT = 2  # words seen once are mostly typos, OCR noise and proper names: not "vocabulary"
RARE_MAX_COUNT = 5
VENDI_N = 5
LOWER_IS_DIVERSE = frozenset({"compression_ratio", "rouge_l_homogenization"})
# Each family weighs once in the headline: the four distinct-n ratios share one vote.
SUMMARY_FAMILIES = {
    "distinct": ("distinct_1", "distinct_2", "distinct_3", "distinct_4"),
    "compression": ("compression_ratio",),
    "homogenization": ("rouge_l_homogenization",),
    "vendi": ("vendi_char5",),
    "rare_vocabulary": ("rare_vocabulary_coverage",),
}
SUMMARY_CLIP = (0.01, 100.0)  # one zero (no rare word at all) must pull the headline down, not erase it

_DENSE_DF = 64  # n-grams in more texts than this go through one BLAS product; rarer ones through pair lists
_ROUGE_BLOCK = 256
_SPACE = re.compile(r"\s+")
_LONGEST_WORD = 40  # how far back an excerpt's start may move to reach a word start


@dataclass(frozen=True)
class Measure:
    name: str
    samples: float
    corpus: float
    ratio: float  # < 1: samples less diverse than the corpus, whatever the measure's direction
    higher_is_diverse: bool


def _tokenized(texts: Iterable[str]) -> list[list[str]]:
    return [words(t) for t in texts]


def _distinct(token_lists: Sequence[Sequence[str]], n: int) -> float:
    seen: set[tuple[str, ...]] = set()
    total = 0
    for tokens in token_lists:
        grams = list(zip(*(tokens[i:] for i in range(n))))
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else 0.0


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Unique word n-grams / word n-grams over the set (n-grams never cross two texts).

    >>> distinct_n(["le chat dort", "le chien dort"], 1)
    0.666667
    """
    return round(_distinct(_tokenized(texts), n), 6)


def compression_ratio(texts: Sequence[str]) -> float:
    """Raw UTF-8 bytes / gzip bytes (level 9) of the texts joined by newlines; higher = more repetitive.

    >>> compression_ratio(["la la la la la la la la la la la la"] * 10) > compression_ratio(["la"])
    True
    """
    raw = "\n".join(texts).encode()
    return len(raw) / len(gzip.compress(raw, compresslevel=9, mtime=0)) if raw else 0.0


def _word_strings(token_lists: Sequence[Sequence[str]]) -> list[str]:
    """Each text as a string with one code point per distinct word, for rapidfuzz's bit-parallel LCS."""
    vocab: dict[str, int] = {}
    out = []
    for tokens in token_lists:
        ids = [vocab.setdefault(t, len(vocab)) for t in tokens]
        # skip the surrogate block: those code points cannot live in a str passed to C
        out.append("".join(chr(i if i < 0xD800 else i + 0x800) for i in ids))
    return out


def _rouge_l(token_lists: Sequence[Sequence[str]]) -> float:
    seqs = _word_strings(token_lists)
    n = len(seqs)
    if n < 2:
        return 0.0
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    total = 0.0
    # Row blocks against the columns to their right: the upper triangle only, in bounded memory.
    for lo in range(0, n - 1, _ROUGE_BLOCK):
        hi = min(n - 1, lo + _ROUGE_BLOCK)
        lcs = cdist(seqs[lo:hi], seqs[lo:], scorer=LCSseq.similarity, dtype=np.int32, workers=-1)
        denom = lengths[lo:hi, None] + lengths[None, lo:]
        f1 = np.divide(2.0 * lcs, denom, out=np.zeros(lcs.shape), where=denom > 0)
        upper = np.arange(hi - lo)[:, None] < np.arange(n - lo)[None, :]  # column index > row index
        total += float(f1[upper].sum())
    return total / (n * (n - 1) / 2)


def rouge_l_homogenization(texts: Sequence[str]) -> float:
    """Mean ROUGE-L F1 (2·LCS / (|a| + |b|) on words) over all unordered pairs; 0.0 with fewer than two texts.

    >>> rouge_l_homogenization(["le chat dort", "le chat dort", "un chien court"])
    0.333333
    """
    return round(_rouge_l(_tokenized(texts)), 6)


def _char_ngrams(texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(text index, n-gram id) of every character n-gram occurrence, n-grams exact (no hashing)."""
    # As scikit-learn's char analyzer: casefolded, runs of whitespace as one space.
    prepared = [_SPACE.sub(" ", normalize(t)).strip() for t in texts]
    prepared = [p.ljust(n, "\0") for p in prepared]  # a text shorter than n is one n-gram of its own
    codes = np.frombuffer("".join(prepared).encode("utf-32-le"), dtype=np.uint32)
    lengths = np.array([len(p) for p in prepared], dtype=np.int64)
    counts = lengths - n + 1
    starts = np.cumsum(lengths) - lengths
    first = np.cumsum(counts) - counts
    doc = np.repeat(np.arange(len(prepared)), counts)
    pos = np.arange(int(counts.sum())) - first[doc] + starts[doc]
    alphabet, dense = np.unique(codes, return_inverse=True)
    bits = max(1, (len(alphabet) - 1).bit_length())
    if bits * n <= 62:  # pack the n symbols into one int64: exact, and np.unique on ints is fast
        key = np.zeros(len(pos), dtype=np.int64)
        for k in range(n):
            key = (key << bits) | dense[pos + k].astype(np.int64)
        _, gram = np.unique(key, return_inverse=True)
    else:
        _, gram = np.unique(np.stack([dense[pos + k] for k in range(n)], axis=1), axis=0, return_inverse=True)
    return doc, gram.ravel()


def _cosine_kernel(doc: np.ndarray, gram: np.ndarray, n_docs: int) -> np.ndarray:
    """Cosine similarities of the TF-IDF vectors (smooth idf, as scikit-learn's default)."""
    n_grams = int(gram.max()) + 1
    key, tf = np.unique(doc * n_grams + gram, return_counts=True)
    d, g = key // n_grams, key % n_grams
    df = np.bincount(g, minlength=n_grams)
    w = tf * (np.log((1 + n_docs) / (1 + df)) + 1.0)[g]
    w /= np.sqrt(np.bincount(d, weights=w * w, minlength=n_docs))[d]
    kernel = np.zeros((n_docs, n_docs))
    # Common n-grams: a dense (texts × n-grams) block and one matrix product.
    common = df[g] > _DENSE_DF
    if common.any():
        cols, col = np.unique(g[common], return_inverse=True)
        for lo in range(0, len(cols), 4096):
            part = (col >= lo) & (col < lo + 4096)
            block = np.zeros((n_docs, min(4096, len(cols) - lo)))
            block[d[common][part], col[part] - lo] = w[common][part]
            kernel += block @ block.T
    # Rare n-grams: every pair of texts sharing one, grouped by how many texts share it.
    g, d, w = g[~common], d[~common], w[~common]
    order = np.argsort(g, kind="stable")
    g, d, w = g[order], d[order], w[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else np.zeros(0, dtype=np.int64)
    sizes = np.diff(np.r_[starts, len(g)])
    keys, values = [], []
    for size in np.unique(sizes):
        idx = starts[sizes == size][:, None] + np.arange(size)
        keys.append((d[idx][:, :, None] * n_docs + d[idx][:, None, :]).ravel())
        values.append((w[idx][:, :, None] * w[idx][:, None, :]).ravel())
    if keys:
        flat = np.bincount(np.concatenate(keys), weights=np.concatenate(values), minlength=n_docs * n_docs)
        kernel += flat.reshape(n_docs, n_docs)
    return kernel


def vendi_score(texts: Sequence[str], n: int = VENDI_N) -> float:
    """exp(entropy of the eigenvalues of K/N), K the cosine kernel of character n-gram TF-IDF vectors.

    The effective number of distinct texts: 1 when all are identical, N when no two share an n-gram.

    >>> vendi_score(["le chat dort"] * 3), vendi_score(["aaaaa", "bbbbb", "ccccc"])
    (1.0, 3.0)
    """
    if not texts:
        return 0.0
    kernel = _cosine_kernel(*_char_ngrams(texts, n), len(texts))
    eig = np.linalg.eigvalsh(kernel / len(texts))
    eig = eig[eig > 0]
    return round(float(np.exp(-np.sum(eig * np.log(eig)))), 6)


def rare_vocabulary(
    corpus_texts: Iterable[str], max_count: int = RARE_MAX_COUNT, min_count: int = RARE_MIN_COUNT
) -> frozenset[str]:
    """Words used ``min_count``..``max_count`` times in the whole corpus (default 2..5).

    Hapaxes are left out (typos, OCR errors, one-off names), and so are tokens with
    digits and elided clitics (``l'``), which are not vocabulary.

    >>> sorted(rare_vocabulary(["l'azur l'azur nuit nuit nuit nuit nuit nuit 1871 1871 frêle"]))
    ['azur']
    """
    counts = Counter(w for text in corpus_texts for w in words(text))
    return frozenset(
        w
        for w, c in counts.items()
        if min_count <= c <= max_count and not w.endswith("'") and not any(ch.isdigit() for ch in w)
    )


def _coverage(token_lists: Sequence[Sequence[str]], rare: frozenset[str]) -> float:
    if not rare:
        return 0.0
    used = set().union(*token_lists) if token_lists else set()
    return len(rare & used) / len(rare)


def rare_vocabulary_coverage(texts: Sequence[str], rare: frozenset[str]) -> float:
    """Share of the rare vocabulary used at least once in the texts.

    >>> rare_vocabulary_coverage(["L'azur pâle"], frozenset({"azur", "frêle"}))
    0.5
    """
    return round(_coverage(_tokenized(texts), rare), 6)


def diversity_profile(texts: Sequence[str], rare: frozenset[str]) -> dict[str, float]:
    """Every measure on one set of texts (tokenized once).

    >>> diversity_profile(["le chat dort"] * 2, frozenset({"chat"}))["rouge_l_homogenization"]
    1.0
    """
    tokens = _tokenized(texts)
    profile = {f"distinct_{n}": round(_distinct(tokens, n), 6) for n in range(1, 5)}
    profile["compression_ratio"] = round(compression_ratio(texts), 6)
    profile["rouge_l_homogenization"] = round(_rouge_l(tokens), 6)
    profile[f"vendi_char{VENDI_N}"] = vendi_score(texts, VENDI_N)
    profile["rare_vocabulary_coverage"] = round(_coverage(tokens, rare), 6)
    return profile


def _ratio(samples: float, corpus: float, higher_is_diverse: bool) -> float:
    num, den = (samples, corpus) if higher_is_diverse else (corpus, samples)
    if den == 0:
        return 1.0 if num == 0 else math.inf
    return num / den


def uniformization(samples: Sequence[str], excerpts: Sequence[str], rare: frozenset[str]) -> list[Measure]:
    """Each measure on the samples and on the matched corpus excerpts, with the oriented ratio.

    >>> [m.ratio for m in uniformization(["a b"] * 2, ["a b", "c d"], frozenset())][:2]
    [0.5, 0.5]
    """
    if len(samples) != len(excerpts):
        raise ValueError(
            f"{len(samples)} samples against {len(excerpts)} corpus excerpts: these measures drift with "
            "the number of texts, compare equal counts"
        )
    s, c = diversity_profile(samples, rare), diversity_profile(excerpts, rare)
    out = []
    for name in s:
        higher = name not in LOWER_IS_DIVERSE
        out.append(Measure(name, s[name], c[name], round(_ratio(s[name], c[name], higher), 6), higher))
    return out


def summary_ratio(measures: Sequence[Measure]) -> float:
    """Geometric mean over the families of ``SUMMARY_FAMILIES`` (distinct-n counts once, as the
    geometric mean of its four ratios); each ratio clipped to ``SUMMARY_CLIP``, missing or NaN skipped.

    >>> summary_ratio([Measure("vendi_char5", 5, 10, 0.5, True), Measure("compression_ratio", 4, 2, 0.5, False)])
    0.5
    """
    by_name = {m.name: m.ratio for m in measures}
    family_logs = []
    for names in SUMMARY_FAMILIES.values():
        logs = [math.log(min(max(by_name[n], SUMMARY_CLIP[0]), SUMMARY_CLIP[1])) for n in names
                if n in by_name and not math.isnan(by_name[n])]  # fmt: skip
        if logs:
            family_logs.append(sum(logs) / len(logs))
    return round(math.exp(sum(family_logs) / len(family_logs)), 6) if family_logs else math.nan


def _snap(text: str, offset: int, slack: int) -> int:
    """Move ``offset`` back to the start of its line if that is near, else to the start of its word."""
    line_start = text.rfind("\n", 0, offset) + 1
    if offset - line_start <= slack:
        return line_start
    start = offset
    while start > 0 and offset - start < _LONGEST_WORD and not text[start - 1].isspace():
        start -= 1
    return start if start == 0 or text[start - 1].isspace() else offset


def matched_excerpts(works: Sequence[tuple[str, str]], count: int, length: int, seed: int) -> list[str]:
    """``count`` excerpts of about ``length`` characters, round-robin over the works in a seeded order.

    Each excerpt starts at a random offset moved back to a line start (within a tenth of
    ``length``) or a word start, and ends at a word end; a work shorter than ``length``
    gives its whole text. Works are sorted by id first, so the draw depends on the seed
    and the corpus, not on the order the caller listed them in.

    >>> matched_excerpts([("w1", "Un chat dort.\\nLe chien court vite."), ("w2", "Bref.")], 3, 16, seed=1)
    ['Bref.', 'chien court vite', 'Bref.']
    """
    pool = sorted((wid, text) for wid, text in works if text.strip())
    if not pool or count <= 0:
        return []
    rng = random.Random(seed)
    rng.shuffle(pool)
    slack = max(1, length // 10)
    out = []
    for i in range(count):
        text = pool[i % len(pool)][1]
        if len(text) <= length:
            out.append(text)
            continue
        start = _snap(text, rng.randrange(len(text) - length + 1), slack)
        while start < len(text) and text[start].isspace():
            start += 1
        excerpt = text[start : start + length]
        if start + length < len(text) and not text[start + length].isspace():
            cut = max(excerpt.rfind(" "), excerpt.rfind("\n"))
            if cut >= length - slack:  # drop the cut word, unless that loses too much
                excerpt = excerpt[:cut]
        out.append(excerpt.rstrip())
    return out
