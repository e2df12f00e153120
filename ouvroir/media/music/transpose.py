"""Transposition augmentation: more training pieces for a small music corpus, each still singable.

A chorale transposed a tone up is still a chorale: the voice leading, the
rhythm and the harmony are the same, only the key moves. A small corpus
(a few hundred pieces) gives a model few examples of each key; transposed
copies give it every progression in more keys.

Rules (applied at snapshot time, to the *training* pieces only; held-out
pieces are never augmented, so validation figures stay comparable):

* Intervals are taken from :data:`INTERVALS`, the semitones from a fourth
  down to a fourth up, except 0 (the original is kept as it is).
* A piece is transposed by an interval only if every note of every voice
  stays within that voice's range **in the training corpus** (lowest to
  highest pitch that voice has in any training piece): a soprano line is
  never pushed above the highest note the sopranos of the corpus sing.
* The key signature moves with the notes, written with the fewest
  accidentals (a tone above F major, one flat, is G major, one sharp).

>>> piece = "B3/4 K0 V0 P0 n60 d12 n64 d12 V1 P0 n48 d24"
>>> ranges = voice_ranges([piece, "B3/4 K0 V0 P0 n67 d12 V1 P0 n50 d12"])
>>> ranges
{0: (60, 67), 1: (48, 50)}
>>> [interval for interval, _ in transpositions(piece, ranges)]
[1, 2]
>>> transpose_text(piece, 2)
'B3/4 K2 V0 P0 n62 d12 n66 d12 V1 P0 n50 d24'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

INTERVALS = (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5)
# Off until a budget is found where it helps: on the chorales, tiny, 300 steps, seed 1, side by side, held-out
# bits per event were 1.165 with the transposed copies against 1.129 without (bench/music_train.py --steps 300
# --size tiny --plain). corpus/augment.py and the token files' key follow this switch.
TRAIN_ON_TRANSPOSITIONS = False
AUGMENTATION = "transpose/1"  # recorded with the token files: what this module did to the training pieces

_VOICE = re.compile(r"V(\d+)")
_NOTE = re.compile(r"n(\d+)")
_KEY = re.compile(r"K(-?\d+)")


def _voice_pitches(text: str) -> Iterable[tuple[int, int]]:
    """(voice, pitch) of every note word, in order; each bar starts at voice 0."""
    for line in text.splitlines():
        voice = 0
        for word in line.split():
            if (m := _VOICE.fullmatch(word)) is not None:
                voice = int(m.group(1))
            elif (m := _NOTE.fullmatch(word)) is not None:
                yield voice, int(m.group(1))


def voice_ranges(texts: Iterable[str]) -> dict[int, tuple[int, int]]:
    """The lowest and highest pitch of each voice over ``texts``."""
    ranges: dict[int, tuple[int, int]] = {}
    for text in texts:
        for voice, pitch in _voice_pitches(text):
            low, high = ranges.get(voice, (pitch, pitch))
            ranges[voice] = (min(low, pitch), max(high, pitch))
    return dict(sorted(ranges.items()))


def moved_key(sharps: int, semitones: int) -> int:
    """The key signature of a key ``sharps`` moved by ``semitones``, with the fewest accidentals.

    Each sharp moves the major tonic a fifth (7 semitones) up, and 7 × 7 ≡ 1 (mod 12), so the
    signature of a tonic ``t`` is ``7t`` modulo 12; of the two spellings of six accidentals
    (F♯/G♭), flats are written.

    >>> moved_key(-1, 2), moved_key(0, -1), moved_key(2, 4), moved_key(0, 6)
    (1, 5, -6, -6)
    """
    tonic = (7 * sharps + semitones) % 12
    signature = (7 * tonic) % 12
    return signature - 12 if signature >= 6 else signature


def transpose_text(text: str, semitones: int) -> str:
    """The event text moved by ``semitones`` (notes and key signatures; nothing else changes)."""

    def word(w: str) -> str:
        if (m := _NOTE.fullmatch(w)) is not None:
            return f"n{int(m.group(1)) + semitones}"
        if (m := _KEY.fullmatch(w)) is not None:
            return f"K{moved_key(int(m.group(1)), semitones)}"
        return w

    return "\n".join(" ".join(word(w) for w in line.split(" ")) for line in text.split("\n"))


def transpositions(text: str, ranges: dict[int, tuple[int, int]],
                   intervals: Iterable[int] = INTERVALS) -> list[tuple[int, str]]:
    """(interval, transposed text) for each interval of ``intervals`` that keeps ``text`` in ``ranges``."""
    own = voice_ranges([text])
    if not own:
        return []
    out = []
    for semitones in intervals:
        if semitones == 0:
            continue
        if all(ranges.get(v, (0, 127))[0] <= low + semitones and high + semitones <= ranges.get(v, (0, 127))[1]
               for v, (low, high) in own.items()):
            out.append((semitones, transpose_text(text, semitones)))
    return out


def augment(train_texts: list[str]) -> list[str]:
    """The training pieces followed by every transposition that keeps each voice in the corpus's range."""
    ranges = voice_ranges(train_texts)
    return train_texts + [moved for text in train_texts for _, moved in transpositions(text, ranges)]
