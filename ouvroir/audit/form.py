"""Form features of a set of texts: line and stanza lengths (poetry), share of dialogue (theatre, screenplays).

A model can keep the words of a corpus and still flatten its form: every poem in
quatrains, every line the same length, no dialogue left in a play. These are set
level numbers, compared between samples and matched corpus excerpts like the
other uniformization measures, but reported as values rather than ratios (a
longer line is not "more diverse").

Dialogue is found two ways, because the corpora mix both conventions:

* a speaker cue on its own line — ALL CAPS as in Fountain and printed plays
  (``HAMLET``, ``ROSINE, à part.``), or a short capitalised name ending with a
  colon (``First Citizen:``) — makes the following lines, up to a blank line,
  dialogue;
* a line opening with a dash or a quote (— – « " “, or ``--``/``-`` then a space in ASCII
  transcriptions), as in French prose and theatre.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_DIALOGUE_START = re.compile(r"^\s*(?:[—–«\"“]|--?\s)")  # "-- " and "- " for the dash in ASCII transcriptions
# An ALL-CAPS name, then nothing, an extension "(V.O.)", or a stage note ending the line: "ROSINE, à part."
_CAPS_CUE = re.compile(r"@?(?P<name>[^\W\d_]+(?:[ '’-]+[^\W\d_]+)*)\s*(?:\(.*\)\s*\^?|[,.:][^\d]*[.:]|[.:])?")
_COLON_CUE = re.compile(r"[A-ZÀ-Ý][\w'’-]*(?: [A-ZÀ-Ý][\w'’-]*){0,3}:")
_MAX_CUE_CHARS = 40


def _is_cue(line: str) -> bool:
    """A speaker cue: short, with a name in capitals ("HAMLET", "ROSINE, à part.") or "Name:" alone.

    >>> [_is_cue(s) for s in ["HAMLET", "First Citizen:", "ROSINE, à part.", "BOB, 40, a man,", "Le ciel", "I"]]
    [True, True, True, False, False, False]
    """
    stripped = line.strip()
    if len(stripped) > _MAX_CUE_CHARS or sum(c.isalpha() for c in stripped) < 2:
        return False
    caps = _CAPS_CUE.fullmatch(stripped)
    return bool(caps and caps["name"].isupper()) or bool(_COLON_CUE.fullmatch(stripped))


def _dialogue_chars(text: str) -> tuple[int, int]:
    """(characters in dialogue lines, characters in all non-blank lines) of one text.

    A cue counts only after a blank line (as in Fountain), so a shouted "NON." inside a
    speech stays dialogue.
    """
    dialogue = total = 0
    in_speech = False
    after_blank = True
    for line in text.splitlines():
        size = len(line.strip())
        if not size:
            in_speech, after_blank = False, True
            continue
        total += size
        if after_blank and _is_cue(line):
            in_speech = True  # the cue itself counts in the total, not as dialogue
        elif in_speech or _DIALOGUE_START.match(line):
            dialogue += size
        after_blank = False
    return dialogue, total


def form_profile(texts: Sequence[str]) -> dict[str, float]:
    """Line and stanza lengths and the share of dialogue over a set of texts.

    Lines are the non-blank lines (characters, stripped); stanzas are blocks of
    non-blank lines separated by blank lines; ``dialogue_share`` is the share of
    non-blank characters that are dialogue. Empty input gives zeros.

    >>> form_profile(["Un deux\\ntrois\\n\\nquatre", "HAMLET\\nTo be"])
    {'line_chars_mean': 5.8, 'line_chars_sd': 0.748331, 'stanza_lines_mean': 1.666667, 'dialogue_share': 0.172414}
    """
    lines: list[int] = []
    stanzas: list[int] = []
    dialogue = total = 0
    for text in texts:
        run = 0
        for line in text.splitlines():
            size = len(line.strip())
            if size:
                lines.append(size)
                run += 1
            elif run:
                stanzas.append(run)
                run = 0
        if run:
            stanzas.append(run)
        d, t = _dialogue_chars(text)
        dialogue += d
        total += t
    arr = np.asarray(lines, dtype=float)
    return {
        "line_chars_mean": round(float(arr.mean()), 6) if arr.size else 0.0,
        "line_chars_sd": round(float(arr.std()), 6) if arr.size else 0.0,
        "stanza_lines_mean": round(float(np.mean(stanzas)), 6) if stanzas else 0.0,
        "dialogue_share": round(dialogue / total, 6) if total else 0.0,
    }


def compare_form(samples: Sequence[str], excerpts: Sequence[str]) -> dict[str, list[float]]:
    """Each form feature as ``[samples value, corpus value]``.

    >>> compare_form(["a\\nb"], ["— Oui ?"])["dialogue_share"]
    [0.0, 1.0]
    """
    s, c = form_profile(samples), form_profile(excerpts)
    return {name: [s[name], c[name]] for name in s}
