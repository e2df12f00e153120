"""Writing under constraints (the Oulipo's way), enforced exactly on the model's byte-level tokens.

Public API::

    Constraint(lipogram="e", alphabet=None, forbid=(), require=(), max_line=None, fold=True)
        .check() -> raises ConstraintError          .violation(text, before="", final=True) -> str | None
        .as_dict() / Constraint.from_dict(d)        .describe(lang) -> str
    Unmet(reason, step, missing).text(lang, budget)  (why a sample stopped short: "stuck" or "missing")

The token side (the decode loop's ``generate(..., constraint=)``) is ``constraint_guard.Guard``.

The rules, decided once:

* **Characters.** Letters compare case-insensitively. With ``fold`` (the default) a character is
  compared by its base letters: forbidding ``e`` forbids é è ê ë É … and the ligatures holding
  an e (œ); without it, é is a letter of its own. A *lipogram* forbids the characters given; an
  *alphabet* lists the letters a sample may use (spaces, digits and punctuation stay free).
* **Words** are runs of letters, digits and combining marks; anything else (space, apostrophe,
  hyphen, newline) ends one. ``forbid`` and ``require`` take whole words, compared with the same
  case and accent rule. A word is judged when it ends in the generated text, so a word the
  prompt began and the sample finished counts, and words wholly in the prompt do not.
* **Lines** end at ``\\n``; every other character counts one toward ``max_line``.
* A token is allowed only if every character it adds keeps the constraint. A token may end
  inside a multi-byte character: its bytes wait in the row's state, and the token is allowed only
  if some character that begins with them would be. Constrained samples are always valid UTF-8.
* ``<|endoftext|>`` (the end of a sample) is allowed only when nothing is pending, the last word
  is not forbidden and every required word has appeared; at the last token of the budget the
  same holds for every candidate. When no token is allowed the row stops and ``unmet`` says why:
  nothing that breaks the constraint is ever returned as a sample.

Why fast: what a token does from a clean start (whole characters so far) is computed once per
tokenizer and constraint into numpy arrays, so a step is a few vector operations; the state a
row carries (its current word, its line length, the words found) costs a few dictionary lookups
per forbidden or required word. Only a row waiting on a split character loops, over the tokens
that begin with a continuation byte.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ouvroir.errors import OuvroirError
from ouvroir.i18n import Translator
from ouvroir.i18n.constraints import CONSTRAINTS

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ĳ": "ij"})


class ConstraintError(OuvroirError, ValueError):
    """A constraint that cannot be written or cannot be met by this model; ``key`` and ``values`` name it in i18n."""

    def __init__(self, key: str, **values: object) -> None:
        self.key, self.values = key, values
        super().__init__(Translator("en", CONSTRAINTS)(key, **values))

    def text(self, lang: str) -> str:
        return Translator(lang, CONSTRAINTS)(self.key, **self.values)


@dataclass(frozen=True)
class Unmet:
    """Why a sample stopped without meeting its constraint: ``reason`` "stuck" or "missing"."""

    reason: str
    step: int
    missing: tuple[str, ...] = ()

    def text(self, lang: str = "en", budget: int = 0) -> str:
        tr = Translator(lang, CONSTRAINTS)
        if self.reason == "missing":
            return tr("unmet_missing", budget=budget, words=", ".join(f"'{w}'" for w in self.missing))
        return tr("unmet_stuck", step=self.step + 1)


def is_word_char(c: str) -> bool:
    return unicodedata.category(c)[0] in "LMN"


def key(text: str, fold: bool) -> str:
    """What a character or word compares as: case folded, and with ``fold`` its accents and ligatures too."""
    text = text.casefold()
    if fold:
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        text = text.translate(_LIGATURES)
    return text


@dataclass(frozen=True)
class Constraint:
    lipogram: str = ""  # forbidden characters
    alphabet: str | None = None  # the only letters allowed (None: any)
    forbid: tuple[str, ...] = ()
    require: tuple[str, ...] = ()
    max_line: int | None = None
    fold: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "forbid", tuple(self.forbid))
        object.__setattr__(self, "require", tuple(self.require))
        # not fields: derived once, for char_ok (a character's key against these)
        object.__setattr__(self, "_forbidden_keys", frozenset(key(c, self.fold) for c in self.lipogram if not c.isspace()))
        alphabet = None if self.alphabet is None else frozenset(key(c, self.fold) for c in self.alphabet)
        object.__setattr__(self, "_alphabet_keys", alphabet)

    @property
    def active(self) -> bool:
        return bool(self.lipogram or self.alphabet is not None or self.forbid or self.require or self.max_line)

    def as_dict(self) -> dict:
        return {"lipogram": self.lipogram, "alphabet": self.alphabet, "forbid": list(self.forbid),
                "require": list(self.require), "max_line": self.max_line, "fold": self.fold}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> Constraint:
        return cls(**{k: data[k] for k in ("lipogram", "alphabet", "forbid", "require", "max_line", "fold") if k in data})

    def describe(self, lang: str = "en") -> str:
        tr, parts = Translator(lang, CONSTRAINTS), []
        if self.lipogram:
            parts.append(tr("describe_lipogram", letters=" ".join(self.lipogram)))
        if self.alphabet is not None:
            parts.append(tr("describe_alphabet", letters=self.alphabet))
        if self.forbid:
            parts.append(tr("describe_forbid", words=", ".join(self.forbid)))
        if self.require:
            parts.append(tr("describe_require", words=", ".join(self.require)))
        if self.max_line:
            parts.append(tr("describe_max_line", n=self.max_line))
        if self.lipogram or self.alphabet is not None or self.forbid or self.require:
            parts.append(tr("describe_folded" if self.fold else "describe_unfolded"))
        return "; ".join(parts)

    # -- the rules, on whole text: the reference the token-level guard must agree with --------------
    def char_ok(self, c: str) -> bool:
        return _char_ok(self, c)

    def check(self) -> None:
        """Refuse a constraint that cannot be written, in one line (``ConstraintError``)."""
        if self.alphabet is not None and not self.alphabet.strip():
            raise ConstraintError("empty_alphabet")
        if self.max_line is not None and self.max_line < 1:
            raise ConstraintError("max_line_low", value=self.max_line)
        for option, words in (("--forbid", self.forbid), ("--require", self.require)):
            for word in words:
                if not word or not all(is_word_char(c) for c in word):
                    raise ConstraintError("not_a_word", word=word, option=option)
        forbidden = {key(w, self.fold) for w in self.forbid}
        for word in self.require:
            if bad := next((c for c in word if not self.char_ok(c)), None):
                raise ConstraintError("required_letter", word=word, char=bad)
            if key(word, self.fold) in forbidden:
                raise ConstraintError("required_forbidden", word=word)
            if self.max_line and len(word) > self.max_line:
                raise ConstraintError("required_long", word=word, length=len(word), max_line=self.max_line)

    def violation(self, text: str, before: str = "", final: bool = True) -> str | None:
        """What in ``text`` (written after ``before``) breaks the constraint, or None. ``final``: the text ends here."""
        if bad := next((c for c in text if not self.char_ok(c)), None):
            return f"character {bad!r}"
        if self.max_line:
            lines = (before.rsplit("\n", 1)[-1] + text).split("\n")
            first_new = len(lines[0]) > len(before.rsplit("\n", 1)[-1])
            for i, line in enumerate(lines):
                if len(line) > self.max_line and (i > 0 or first_new):
                    return f"line of {len(line)} characters"
        start = len(before)
        while start > 0 and is_word_char(before[start - 1]):
            start -= 1
        joined, cut = before[start:] + text, len(before) - start
        forbidden, found = {key(w, self.fold) for w in self.forbid}, set()
        word_start = None
        for i, c in enumerate(joined + ("\n" if final else "")):
            if i < len(joined) and is_word_char(c):
                word_start = i if word_start is None else word_start
                continue
            if word_start is not None and i >= cut:  # a word ends in the generated text
                word = key(joined[word_start:i], self.fold)
                if word in forbidden:
                    return f"forbidden word {joined[word_start:i]!r}"
                found.add(word)
            word_start = None
        if final and (missing := [w for w in self.require if key(w, self.fold) not in found]):
            return f"missing {', '.join(missing)}"
        return None


@lru_cache(maxsize=65536)
def _char_ok(constraint: Constraint, c: str) -> bool:
    k = key(c, constraint.fold)
    forbidden = constraint._forbidden_keys
    if forbidden and (k in forbidden or any(x in forbidden for x in k)):
        return False
    allowed = constraint._alphabet_keys
    if allowed is not None and unicodedata.category(c)[0] == "L":
        return k in allowed or (bool(k) and all(x in allowed for x in k))
    return True


def split_utf8(data: bytes) -> tuple[str, bytes] | None:
    """Whole characters and the incomplete tail of ``data``; None when it is not valid UTF-8 (so far)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        text = decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return None
    return text, decoder.getstate()[0]


@lru_cache(maxsize=4096)
def tail_kinds(constraint: Constraint, tail: bytes) -> tuple[bool, bool]:
    """Whether an allowed character that begins with ``tail`` exists that is a word character, and one that is not."""
    has_word, has_other = _kinds(tail)
    word, other = not has_word, not has_other  # a kind no character has needs no search
    for c in _completions(tail):
        is_word = is_word_char(c)  # cheap: the constraint is asked only about a kind not yet found
        if (word if is_word else other) or not constraint.char_ok(c):
            continue
        word, other = word or is_word, other or not is_word
        if word and other:
            break
    return word and has_word, other and has_other


@lru_cache(maxsize=4096)
def _kinds(tail: bytes) -> tuple[bool, bool]:
    """Whether some character that begins with ``tail`` is a word character, and some is not (any constraint)."""
    word = other = False
    for c in _completions(tail):
        word, other = word or is_word_char(c), other or not is_word_char(c)
        if word and other:
            break
    return word, other


def _completions(tail: bytes):
    """The characters whose UTF-8 begins with ``tail``, in order."""
    size = 2 if tail[0] < 0xE0 else 3 if tail[0] < 0xF0 else 4
    low, high = (_bits(tail + bytes([fill]) * (size - len(tail))) for fill in (0x80, 0xBF))
    floor, ceiling = {2: (0x80, 0x7FF), 3: (0x800, 0xFFFF), 4: (0x10000, 0x10FFFF)}[size]
    for point in range(max(low, floor), min(high, ceiling) + 1):
        if not 0xD800 <= point < 0xE000:  # surrogates are not characters
            yield chr(point)


def _bits(sequence: bytes) -> int:
    """The code point a UTF-8 sequence's bits spell (overlong or not)."""
    point = sequence[0] & (0x7F >> len(sequence))
    for byte in sequence[1:]:
        point = point << 6 | byte & 0x3F
    return point


@dataclass(frozen=True)
class RowState:
    """What one sample carries between tokens."""

    pending: bytes = b""  # the first bytes of a character still to complete
    word: str = ""  # the key of the word being written
    line: int = 0  # characters in the current line
    found: frozenset[str] = frozenset()  # keys of the required words that have appeared
