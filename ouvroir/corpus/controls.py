"""Controls: what the artist can steer a model by, read from the stored metadata of the works it trains on.

Each snapshot work gets its controls when the snapshot is taken (``SnapshotWork.controls``),
from the works the snapshot holds, which are the consenting ones only:

* text: ``author`` (the work's stored author, when there is one) and ``form``
  (poem, prose, play, screenplay: ``works.form``);
* music: ``key`` (``estimate_key``: the Krumhansl–Schmuckler method with the
  Aarden–Essen profiles that music21's ``analyze('key')`` uses, on the
  duration-weighted pitch-class histogram of the event text), ``meter`` (the
  first bar's time signature, ``B3/4`` → ``3/4``) and ``voices`` (how many
  voices the piece uses). The event text carries no tempo, and no stored
  metadata holds one, so tempo is not a control.

The tokenizer turns each value into one special token (``learn.tokenizer.control_token``), placed
after the end-of-document token before each training work; generation places the requested
ones there. ``match_value`` turns what a person typed into one of the values a model knows.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from ..errors import OuvroirError

TEXT_CONTROLS = ("author", "form")
MUSIC_CONTROLS = ("key", "meter", "voices")
TEXT_FORMS = ("poem", "prose", "play", "screenplay")
# What ingest stores (``media.document.Form``) as the control names it, and what a person may type for each form.
STORED_FORMS = {"poetry": "poem", "theatre": "play"}
FORM_WORDS = {"poetry": "poem", "poeme": "poem", "poemes": "poem", "poesie": "poem", "verse": "poem", "vers": "poem",
              "theatre": "play", "drama": "play", "piece": "play", "scenario": "screenplay", "script": "screenplay"}  # fmt: skip

# music21's default key profiles (analysis.discrete.AardenEssen), tonic first.
_MAJOR = np.array([17.7661, 0.145624, 14.9265, 0.160186, 19.8049, 11.3587, 0.291248, 22.062, 0.145624, 8.15494,
                   0.232998, 4.95122])  # fmt: skip
_MINOR = np.array([18.2648, 0.737619, 14.0499, 16.8599, 0.702494, 14.4362, 0.702494, 18.6161, 4.56621, 1.93186,
                   7.37619, 1.75623])  # fmt: skip
# Each tonic spelled as the key signature with fewer accidentals spells it.
_MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINOR_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
_NOTE = re.compile(r"\bn(\d+) d(\d+)\b")
_METER = re.compile(r"^B(\d+/\d+)", re.MULTILINE)
_VOICE = re.compile(r"\bV(\d+)\b")


class UnknownControl(OuvroirError, ValueError):
    """A control value the model was not trained with, or a control of the other medium."""


def work_controls(medium: str, author: str | None, form: str | None, text: str) -> dict[str, str]:
    """The controls of one work: ``{"author": ..., "form": ...}`` or ``{"key": ..., "meter": ..., "voices": ...}``.

    >>> work_controls("text", "Paul Verlaine", "poetry", "Les sanglots longs")
    {'author': 'Paul Verlaine', 'form': 'poem'}
    >>> work_controls("music", None, "score", "B3/4 K1 V0 P0 n67 d12 n69 d12 n71 d12\\nB3/4 K1 V0 P0 n72 d12 n74 d12 n66 d12 "
    ...               "V1 P0 n55 d36")
    {'key': 'G major', 'meter': '3/4', 'voices': '2'}
    """
    if medium == "music":
        controls = {}
        if (key := estimate_key(text)) is not None:
            controls["key"] = key
        if meter := _METER.search(text):
            controls["meter"] = meter[1]
        voices = {m[1] for m in _VOICE.finditer(text)}
        if voices:
            controls["voices"] = str(len(voices))
        return controls
    controls = {}
    if author and author.strip():
        controls["author"] = " ".join(author.split())
    if (named := STORED_FORMS.get(form or "", form)) in TEXT_FORMS:
        controls["form"] = named
    return controls


def estimate_key(events: str) -> str | None:
    """The most likely key of an event text (``"G major"``, ``"F# minor"``), None without notes.

    Pearson correlation of the duration-weighted pitch-class histogram with the 24 rotated
    profiles, as music21's ``KeyWeightKeyAnalysis`` does.
    """
    histogram = np.zeros(12)
    for pitch, duration in _NOTE.findall(events):
        histogram[int(pitch) % 12] += int(duration)
    if not histogram.any():
        return None
    best, name = -2.0, None
    for profile, names, mode in ((_MAJOR, _MAJOR_NAMES, "major"), (_MINOR, _MINOR_NAMES, "minor")):
        for tonic in range(12):
            r = np.corrcoef(np.roll(profile, tonic), histogram)[0, 1]
            if np.isfinite(r) and r > best:
                best, name = r, f"{names[tonic]} {mode}"
    return name


def _fold(text: str) -> str:
    """Lower case, accents and punctuation dropped, spaces collapsed: what matching compares."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w#/]+", " ", text).split())


_PITCH = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


def _key_class(value: str) -> tuple[int, str] | None:
    """(tonic pitch class, mode) of a key as a person may write it: "G major", "f# minor", "B-flat major", "Bb"."""
    text = value.strip().replace("♭", "b").replace("♯", "#")
    m = re.fullmatch(r"([A-Ga-g])\s*(#|b|-|sharp|flat|-sharp|-flat|\s+sharp|\s+flat)?\s*(major|minor|maj|min|m)?",
                     text, re.IGNORECASE)  # fmt: skip
    if not m:
        return None
    alter = {"#": 1, "b": -1, "-": -1}.get((m[2] or "").strip().lower(), 0)
    if m[2] and "sharp" in m[2].lower():
        alter = 1
    elif m[2] and "flat" in m[2].lower():
        alter = -1
    mode = (m[3] or ("minor" if m[1].islower() else "major")).lower()
    return (_PITCH[m[1].lower()] + alter) % 12, "minor" if mode in ("minor", "min", "m") else "major"


def match_value(name: str, wanted: str, known: list[str]) -> str:
    """The known value of control ``name`` that ``wanted`` designates, exactly as the model knows it.

    Forgiving of case, accents and spacing; an author may be named by a unique prefix or
    surname ("Verlaine"); a key by any spelling of the same tonic and mode ("Gb major" for
    "F# major"). None found, or several: :class:`UnknownControl` listing the known values.

    >>> match_value("author", "verlaine", ["Paul Verlaine", "Arthur Rimbaud"])
    'Paul Verlaine'
    >>> match_value("key", "G", ["G major", "E minor"])
    'G major'
    >>> match_value("form", "poésie", ["poem", "prose"])
    'poem'
    """
    folded = _fold(wanted)
    if name == "form":
        folded = FORM_WORDS.get(folded, folded)
    exact = [v for v in known if _fold(v) == folded]
    if not exact and name == "key" and (target := _key_class(wanted)) is not None:
        exact = [v for v in known if _key_class(v) == target]
    if not exact and name == "author" and folded:
        exact = [v for v in known if _fold(v).startswith(folded)]
        exact = exact or [v for v in known if folded in _fold(v).split() or _fold(v).endswith(" " + folded)]
    if len(exact) == 1:
        return exact[0]
    listing = ", ".join(known) if known else "none"
    if len(exact) > 1:
        raise UnknownControl(f"--{_option(name)} {wanted!r} could mean {', '.join(exact)}: give more of it")
    raise UnknownControl(f"this model knows no {name} {wanted!r}; the {name} values it knows: {listing}")


def _option(name: str) -> str:
    return "as" if name == "author" else name


__all__ = ["MUSIC_CONTROLS", "TEXT_CONTROLS", "UnknownControl", "estimate_key", "match_value", "work_controls"]
