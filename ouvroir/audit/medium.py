"""What the audit searches and measures, per medium.

Text is audited as it is. Music is audited on its **interval text** (each
voice's melody as intervals and durations: see
``ouvroir.media.music.encoding``), so a melody quoted in another key is found,
and each span is located to its voice and bar; its diversity gets the music
measures (pitch classes, intervals, rhythm, range) beside the generic ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from .diversity import Measure, _ratio


class TextMedium:
    name = "text"
    word_pattern = r"\w+"

    def searchable(self, text: str) -> str:
        """The string the copy index holds and the spans are found in."""
        return text

    def locate(self, source_text: str, offset: int) -> dict:
        """Extra facts about a span's position in its source work (none for text)."""
        return {}

    def extra_measures(self, samples: Sequence[str], excerpts: Sequence[str]) -> list[Measure]:
        return []

    style = True


class MusicMedium(TextMedium):
    name = "music"
    word_pattern = r"\S+"  # one word per note: i+2:d6
    style = False  # Burrows' Delta is a measure of word use; for scores the music measures speak instead

    def searchable(self, text: str) -> str:
        return _intervals(text).text

    def locate(self, source_text: str, offset: int) -> dict:
        where = _intervals(source_text).locate(offset)
        return {"voice": where.voice, "bar": where.measure}

    def extra_measures(self, samples: Sequence[str], excerpts: Sequence[str]) -> list[Measure]:
        from ..media.music.features import HIGHER_IS_DIVERSE, music_profile

        s, c = music_profile(samples), music_profile(excerpts)
        return [Measure(name, round(s[name], 6), round(c[name], 6), round(_ratio(s[name], c[name], HIGHER_IS_DIVERSE[name]), 6),
                        HIGHER_IS_DIVERSE[name]) for name in s]  # fmt: skip


@lru_cache(maxsize=64)
def _intervals(events: str):
    """Decoded once per work: several spans of one audit often come from the same chorale."""
    from ..media.music.encoding import decode, interval_text

    return interval_text(decode(events))


def medium_for(name: str) -> TextMedium:
    return MusicMedium() if name == "music" else TextMedium()
