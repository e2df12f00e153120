"""Every word ouvroir shows a person, in French and in English, and numbers written each language's way.

One lookup for all: a :class:`Catalogue` holds ``key -> (French, English)`` strings, a
:class:`Translator` reads one language of it. The catalogues live beside this module: :mod:`.report`
(the audit report and the audit's notes), :mod:`.card` (the model card and datasheet), :mod:`.web`
(the web studio), :mod:`.export` (a co-written document's exported appendix). The CLI speaks English only.

French strings are written with plain spaces before ``: ; ? !`` and inside « »;
:func:`french_spacing` turns them into the non-breaking spaces French typography wants, once,
when a catalogue is made, so the tables stay readable and the output stays correct.

>>> words = Catalogue("example", {"works_one": ("{n} œuvre", "{n} work"), "works_other": ("{n} œuvres", "{n} works"),
...                               "corpus": ("Corpus : {works}", "Corpus: {works}")})
>>> tr = Translator("fr", words)
>>> tr("corpus", works=tr.count("works", 1200)) == "Corpus\\u00a0: 1\\u202f200 œuvres"
True
>>> Translator("en", words).count("works", 1)
'1 work'
"""

from __future__ import annotations

import re

LANGUAGES = ("fr", "en")

NBSP = "\u00a0"  # before a colon, and between a number and its unit
NNBSP = "\u202f"  # narrow: before ; ? ! and inside guillemets, and between thousands


def french_spacing(text: str) -> str:
    """Non-breaking spaces where French typography puts them.

    >>> french_spacing("Corpus : « vers » ; fini ?") == "Corpus\\u00a0: «\\u202fvers\\u202f»\\u202f; fini\\u202f?"
    True
    """
    text = re.sub(r" ([;?!»])", NNBSP + r"\1", text)
    text = re.sub(r"« ", "«" + NNBSP, text)
    return re.sub(r" :(?=\s|$)", NBSP + ":", text)


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"the report speaks {' and '.join(LANGUAGES)}, not {lang!r}")
    return lang


def decimal(value: float, lang: str, digits: int = 2) -> str:
    """``0.8`` -> ``0,80`` in French, ``0.80`` in English."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def integer(value: int, lang: str) -> str:
    """``182340`` -> ``182 340`` (narrow spaces) in French, ``182,340`` in English."""
    text = f"{int(value):,}"
    return text.replace(",", NNBSP) if lang == "fr" else text


def percent(share: float, lang: str) -> str:
    """A share of 1 as a percentage: whole points, a decimal below 1 %, never a rounded-away copy.

    >>> percent(0.38, "en"), percent(0.004, "en"), percent(0.0, "en"), percent(0.38, "fr") == "38\\u00a0%"
    ('38%', '0.4%', '0%', True)
    """
    points = share * 100
    digits = 1 if 0 < abs(points) < 1 else 0
    if 0 < abs(points) < 0.05:
        return ("<\u00a00,1\u00a0%" if lang == "fr" else "<0.1%")
    number = decimal(points, lang, digits)
    return f"{number}{NBSP}%" if lang == "fr" else f"{number}%"


class Catalogue:
    """``key -> (French, English)`` strings, added table by table; a key added twice is a programming error.

    ``typography=False`` keeps the French exactly as written (texts already stored or exported with
    plain spaces, which must read the same as before).
    """

    def __init__(self, name: str, table: dict[str, tuple[str, str]] | None = None, typography: bool = True) -> None:
        self.name, self.typography = name, typography
        self.strings: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
        if table:
            self.add(table)

    def add(self, table: dict[str, tuple[str, str]]) -> None:
        for key, (fr, en) in table.items():
            if key in self.strings["fr"]:
                raise KeyError(f"{self.name} string {key!r} registered twice")
            self.strings["fr"][key] = french_spacing(fr) if self.typography else fr
            self.strings["en"][key] = en

    def __getitem__(self, lang: str) -> dict[str, str]:
        return self.strings[lang]


class Translator:
    """``tr("works", n=3)``: the string for ``key`` in one language of ``catalogue``, with its fields filled in."""

    def __init__(self, lang: str, catalogue: Catalogue) -> None:
        self.lang = check_lang(lang)
        self._strings = catalogue[lang]

    def __call__(self, key: str, **values: object) -> str:
        text = self._strings[key]
        return text.format(**values) if values else text

    def count(self, key: str, n: int) -> str:
        """``count("works", 3)`` -> ``3 œuvres``; French keeps 0 and 1 singular."""
        return self.plural(key, n, n=integer(n, self.lang))

    def plural(self, key: str, count: int, /, **values: object) -> str:
        """``key_one`` or ``key_other`` as ``count`` asks in this language, filled with ``values``."""
        one = count <= 1 if self.lang == "fr" else count == 1
        return self(f"{key}_{'one' if one else 'other'}", **values)

    def decimal(self, value: float, digits: int = 2) -> str:
        return decimal(value, self.lang, digits)

    def percent(self, share: float) -> str:
        return percent(share, self.lang)

    def integer(self, value: int) -> str:
        return integer(value, self.lang)
