"""What the audit searches and measures, per medium.

Text is searched with its typography folded: curly and straight apostrophes
and quotes, guillemets and the dashes count as the same, and every run of
whitespace (spaces, tabs, line breaks, blank lines, indentation) is one space.
A chatbot that quotes an indented poem with straight apostrophes on one line, or
with its stanza breaks moved, is still quoting it. ``fold`` keeps the offset of
every folded character in the text as written, so spans still point there. Music is audited on its **interval text** (each
voice's melody as intervals and durations: see
``ouvroir.media.music.encoding``), so a melody quoted in another key is found,
and each span is located to its voice and bar; its diversity gets the music
measures (pitch classes, intervals, rhythm, range) beside the generic ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np

from .diversity import Measure, _ratio


# One character for one: offsets in the folded text are offsets in the text.
TYPOGRAPHY = str.maketrans({
    **dict.fromkeys("\u2019\u2018\u02bc\u2032\u201b`", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u00ab\u00bb\u2033\u201f", '"'),
    **dict.fromkeys("\u2013\u2014\u2012\u2015\u2212", "-"),
    **dict.fromkeys("\u00a0\u202f\u2009\u2007\u2002\u2003", " "),
})  # fmt: skip


def fold(text: str) -> tuple[str, np.ndarray]:
    """(folded text, offset in ``text`` of each folded character, then ``len(text)``).

    Typography folded one character for one, then each run of whitespace kept as
    its first character, made a space: the map is where each kept character was.

    >>> folded, origin = fold("Mon cœur\\n\\n  d’une   langueur")
    >>> folded, origin[folded.index("d'")].item()
    ("Mon cœur d'une langueur", 12)
    """
    translated = text.translate(TYPOGRAPHY)
    codes = np.frombuffer(translated.encode("utf-32-le"), dtype=np.uint32)
    if not codes.size:
        return translated, np.zeros(1, dtype=np.int64)
    alphabet = np.unique(codes)
    spaces = alphabet[[chr(c).isspace() for c in alphabet.tolist()]]
    blank = np.isin(codes, spaces)
    keep = ~(blank & np.r_[False, blank[:-1]])
    kept = codes[keep].copy()
    kept[blank[keep]] = 0x20
    origin = np.r_[np.flatnonzero(keep), len(text)].astype(np.int64)
    return kept.tobytes().decode("utf-32-le"), origin


class TextMedium:
    name = "text"
    word_pattern = r"\w+"
    keeps_offsets = True  # spans found in the folded text are mapped back into the text itself (``fold``)

    def searchable(self, text: str) -> str:
        """The string the copy index holds and the spans are found in.

        >>> TextMedium().searchable("L’heure : « oui » — non,\\n   dit-il")
        'L\\'heure : " oui " - non, dit-il'
        """
        return fold(text)[0]

    def locate(self, source_text: str, offset: int) -> dict:
        """Extra facts about a span's position in its source work (none for text)."""
        return {}

    def extra_measures(self, samples: Sequence[str], excerpts: Sequence[str]) -> list[Measure]:
        return []

    def add_passages(self, records: Sequence[dict], originals: Mapping[str, str]) -> None:
        """Give copied spans what the report shows beside them (nothing for text: the marked text says it)."""

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


    def add_passages(self, records: Sequence[dict], originals: Mapping[str, str]) -> None:
        """The first :data:`PASSAGES_SHOWN` copied spans get ``passage``: the bars they cover in the audited
        piece and in the source work, as event texts (``sample``, ``source``) the report engraves side by side."""
        from ..media.music.excerpt import passage

        budget = PASSAGES_SHOWN
        for record in records:
            events = record.get("events")
            for span in record["spans"]:
                source = originals.get(span["work_id"])
                if budget <= 0:
                    return
                if not events or not source:
                    continue
                mine = passage(events, span["start"], span["end"])
                theirs = passage(source, span["work_start"], span["work_start"] + span["end"] - span["start"])
                span["passage"] = {"sample": mine.events, "sample_voice": mine.voice,
                                   "sample_bars": [mine.first_measure, mine.last_measure],
                                   "source": theirs.events, "source_voice": theirs.voice,
                                   "source_bars": [theirs.first_measure, theirs.last_measure]}  # fmt: skip
                budget -= 1


# Copied passages of one audit shown as scores in its report: each costs ~0.1 s to engrave and ~30 KB of page.
PASSAGES_SHOWN = 12


@lru_cache(maxsize=64)
def _intervals(events: str):
    """Decoded once per work: several spans of one audit often come from the same chorale."""
    from ..media.music.encoding import decode, interval_text

    return interval_text(decode(events))


def medium_for(name: str) -> TextMedium:
    return MusicMedium() if name == "music" else TextMedium()
