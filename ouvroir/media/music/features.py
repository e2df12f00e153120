"""Music measures for the uniformization audit, each on a set of event texts and against the corpus's own value.

A model can keep a corpus's notes and still flatten its music: every melody in
steps, every note a quarter, the same five pitches. Like the generic measures
of :mod:`ouvroir.audit.diversity`, each of these is taken on the samples and on
matched corpus excerpts of the same count; **higher means more diverse** for
all of them (:data:`HIGHER_IS_DIVERSE`). Texts are decoded leniently, so
excerpts cut mid-bar are fine. Melodic measures follow each voice's top line.

* ``pitch_class_entropy``: Shannon entropy (bits) of pitch classes over all notes; at most log2 12 ≈ 3.58;
* ``interval_entropy``: entropy (bits) of the melodic intervals in semitones;
* ``duration_entropy``: entropy (bits) of note durations (rhythmic variety);
* ``distinct_durations``: how many different durations the set uses (rhythmic variety, plainly);
* ``pitch_range``: mean over texts of highest minus lowest pitch, in semitones;
* ``distinct_interval_4grams``: distinct 4-grams of melodic intervals / all of them (0 when there are none).

>>> scale = "B4/4 K0 V0 P0 n60 d12 P12 n62 d12 P24 n64 d12 P36 n65 d12"
>>> profile = music_profile([scale, "B4/4 K0 V0 P0 n60 d24 P24 n60 d24"])
>>> {k: round(v, 3) for k, v in profile.items()}  # doctest: +NORMALIZE_WHITESPACE
{'pitch_class_entropy': 1.792, 'interval_entropy': 1.5, 'duration_entropy': 0.918, 'distinct_durations': 2.0,
 'pitch_range': 2.5, 'distinct_interval_4grams': 0.0}
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from .encoding import decode, melody
from .events import Piece

NGRAM = 4


def _entropy(counts: Counter) -> float:
    total = sum(counts.values())
    return -sum(c / total * math.log2(c / total) for c in counts.values()) if total else 0.0


def _pieces(texts: Iterable[str | Piece]) -> list[Piece]:
    """Texts decoded; pieces (already decoded, see :func:`music_profile`) passed through."""
    return [decode(t) if isinstance(t, str) else t for t in texts]


def _intervals(piece: Piece) -> list[list[int]]:
    """Melodic intervals of each voice's top line."""
    lines = []
    for voice in sorted({e.voice for e in piece.events}):
        pitches = [e.pitch for e in melody(piece, voice)]
        lines.append([b - a for a, b in itertools.pairwise(pitches)])
    return lines


def pitch_class_entropy(texts: Sequence[str | Piece]) -> float:
    return _entropy(Counter(e.pitch % 12 for p in _pieces(texts) for e in p.events))


def interval_entropy(texts: Sequence[str | Piece]) -> float:
    return _entropy(Counter(i for p in _pieces(texts) for line in _intervals(p) for i in line))


def duration_entropy(texts: Sequence[str | Piece]) -> float:
    return _entropy(Counter(e.duration for p in _pieces(texts) for e in p.events))


def distinct_durations(texts: Sequence[str | Piece]) -> float:
    return float(len({e.duration for p in _pieces(texts) for e in p.events}))


def pitch_range(texts: Sequence[str | Piece]) -> float:
    ranges = [max(e.pitch for e in p.events) - min(e.pitch for e in p.events) for p in _pieces(texts) if p.events]
    return sum(ranges) / len(ranges) if ranges else 0.0


def distinct_interval_ngrams(texts: Sequence[str | Piece], n: int = NGRAM) -> float:
    grams = [tuple(line[i : i + n]) for p in _pieces(texts) for line in _intervals(p) for i in range(len(line) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


MEASURES: dict[str, Callable[[Sequence[str | Piece]], float]] = {
    "pitch_class_entropy": pitch_class_entropy,
    "interval_entropy": interval_entropy,
    "duration_entropy": duration_entropy,
    "distinct_durations": distinct_durations,
    "pitch_range": pitch_range,
    f"distinct_interval_{NGRAM}grams": distinct_interval_ngrams,
}
HIGHER_IS_DIVERSE = {name: True for name in MEASURES}


def music_profile(texts: Sequence[str]) -> dict[str, float]:
    """Every measure of :data:`MEASURES` on one set of event texts, each text decoded once."""
    pieces = _pieces(texts)
    return {name: measure(pieces) for name, measure in MEASURES.items()}
