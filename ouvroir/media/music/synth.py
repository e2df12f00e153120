"""A WAV of a piece with a small built-in additive synthesizer: no sound font, nothing to download.

Each note is a sum of four harmonics (amplitudes 1, 1/2, 1/4, 1/8, those above
the Nyquist frequency dropped) under an envelope: 10 ms attack, an exponential
decay towards a sustain of 40 %, and a 30 ms release that ends with the note,
so notes never click and the file lasts exactly as long as the piece. The mix
is scaled to a peak of 80 % of full scale. Mono, 16-bit, 22,050 Hz. Every
generated piece gets its WAV, and a model may write 64/1 bars and notes held
16 of them: the sound stops at :data:`MAX_SECONDS` (a 300-token sample lasts
well under a minute) rather than filling memory with an hour of it.

>>> import io, wave
>>> data = to_wav("B4/4 K0 V0 P0 n69 d48", qpm=120)  # one bar of 4/4 at 120 = 2 seconds
>>> with wave.open(io.BytesIO(data)) as w:
...     w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes() / w.getframerate()
(1, 2, 22050, 2.0)
"""

from __future__ import annotations

import io
import math
import wave

import numpy as np

from .encoding import as_piece
from .events import DEFAULT_TEMPO, TICKS_PER_QUARTER, Piece

SAMPLE_RATE = 22_050
HARMONICS = (1.0, 0.5, 0.25, 0.125)
ATTACK_S, RELEASE_S, DECAY_PER_S, SUSTAIN = 0.010, 0.030, 3.0, 0.4
PEAK = 0.8
MAX_SECONDS = 300


def seconds(piece: Piece, qpm: float = DEFAULT_TEMPO) -> float:
    """How long the piece lasts, to the end of its last bar or last note: ``piece.end`` ticks at ``qpm``."""
    return piece.end / TICKS_PER_QUARTER * 60.0 / qpm


def to_wav(music: Piece | str, qpm: float = DEFAULT_TEMPO, sample_rate: int = SAMPLE_RATE) -> bytes:
    """WAV bytes of a piece or event text, at ``qpm`` quarter notes per minute."""
    piece = as_piece(music)
    audio = synthesize(piece, qpm, sample_rate)
    pcm = np.round(audio * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm)
    return buffer.getvalue()


def synthesize(piece: Piece, qpm: float = DEFAULT_TEMPO, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The mix as float samples in [-PEAK, PEAK]."""
    samples_per_tick = sample_rate * 60.0 / qpm / TICKS_PER_QUARTER
    length = min(math.ceil(piece.end * samples_per_tick - 1e-9), MAX_SECONDS * sample_rate)
    mix = np.zeros(length, dtype=np.float64)
    starts = piece.bar_starts()
    for e in piece.events:
        first = round(max(0, piece.origin(e.bar, starts) + e.position) * samples_per_tick)
        count = min(round(e.duration * samples_per_tick), len(mix) - first)
        if count > 0:
            mix[first : first + count] += _tone(e.pitch, count, sample_rate)
    peak = float(np.abs(mix).max()) if len(mix) else 0.0
    return mix * (PEAK / peak) if peak > 0 else mix


def _tone(pitch: int, count: int, sample_rate: int) -> np.ndarray:
    """One note: harmonics under the attack-decay-sustain-release envelope."""
    t = np.arange(count) / sample_rate
    frequency = 440.0 * 2.0 ** ((pitch - 69) / 12)
    wave_ = np.zeros(count)
    for number, amplitude in enumerate(HARMONICS, start=1):
        if frequency * number < sample_rate / 2:  # above Nyquist a harmonic folds back as a false tone
            wave_ += amplitude * np.sin(2 * np.pi * frequency * number * t)
    envelope = SUSTAIN + (1 - SUSTAIN) * np.exp(-DECAY_PER_S * t)
    envelope *= np.minimum(1.0, t / ATTACK_S)
    envelope *= np.clip((count / sample_rate - t) / RELEASE_S, 0.0, 1.0)
    return wave_ * envelope
