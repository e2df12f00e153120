"""What the audit searches and measures, per medium.

Text is searched with its typography folded, one character for one (so every
offset still points into the text as written): curly and straight apostrophes
and quotes, guillemets, the dashes, non-breaking spaces and line breaks count as
the same. A chatbot that quotes a poem with straight apostrophes on one line is
still quoting it. Music is audited on its **interval text** (each
voice's melody as intervals and durations: see
``ouvroir.media.music.encoding``), so a melody quoted in another key is found,
and each span is located to its voice and bar; its diversity gets the music
measures (pitch classes, intervals, rhythm, range) beside the generic ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from .diversity import Measure, _ratio


# One character for one: offsets in the folded text are offsets in the text.
TYPOGRAPHY = str.maketrans({
    **dict.fromkeys("\u2019\u2018\u02bc\u2032\u201b`", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u00ab\u00bb\u2033\u201f", '"'),
    **dict.fromkeys("\u2013\u2014\u2012\u2015\u2212", "-"),
    **dict.fromkeys("\n\t\r\u00a0\u202f\u2009\u2007\u2002\u2003", " "),
})  # fmt: skip


class TextMedium:
    name = "text"
    word_pattern = r"\w+"
    keeps_offsets = True  # the searchable text is as long as the text: spans point into the text itself

    def searchable(self, text: str) -> str:
        """The string the copy index holds and the spans are found in.

        >>> TextMedium().searchable("L’heure : « oui » — non")
        'L\\'heure : " oui " - non'
        """
        return text.translate(TYPOGRAPHY)

    def locate(self, source_text: str, offset: int) -> dict:
        """Extra facts about a span's position in its source work (none for text)."""
        return {}

    def extra_measures(self, samples: Sequence[str], excerpts: Sequence[str]) -> list[Measure]:
        return []

    style = True


class MusicMedium(TextMedium):
    name = "music"
    keeps_offsets = False
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
