"""Word tokens shared by the audit's instruments (distinct-n, ROUGE-L, rare vocabulary, Delta).

One tokenizer for every measure, so that a "word" means the same thing in the
diversity ratios and in the stylometric distances. Rules, chosen for French first:

* lowercase (``str.casefold``) after NFC, so "É" typed as E + combining accent is one letter;
* French elision is split and the apostrophe kept on the clitic: ``l'homme`` → ``l'``, ``homme``;
  ``qu'il`` → ``qu'``, ``il``. Clitics are kept because function words are what Burrows' Delta
  feeds on (``l'`` and ``d'`` are among the most frequent French tokens);
* the typographic apostrophe (’) and the modifier letter (ʼ) count as ``'``;
* other apostrophes stay inside the word (``aujourd'hui``, ``presqu'île``, English ``don't``);
* hyphenated words stay whole (``peut-être``, ``Jean-Foutre``);
* digits are kept, punctuation and underscores are dropped.
"""

from __future__ import annotations

import re
import unicodedata

# Only these clitics elide in French; the longer ones first so they win the alternation.
_ELIDED = "jusqu|lorsqu|puisqu|quoiqu|quelqu|qu|l|d|j|m|n|s|t|c|ç"
_LETTER = r"[^\W_]"  # \w without the underscore: Unicode letters and digits
_TOKEN = re.compile(rf"(?<!{_LETTER})(?:{_ELIDED})'(?={_LETTER})|{_LETTER}+(?:['-]{_LETTER}+)*")
_FOLD = str.maketrans({"’": "'", "ʼ": "'", "\u2010": "-", "\u2011": "-"})


def normalize(text: str) -> str:
    """NFC, casefolded, with typographic apostrophes and hyphens made ASCII.

    >>> normalize("L’Île")
    "l'île"
    """
    return unicodedata.normalize("NFC", text).casefold().translate(_FOLD)


def words(text: str) -> list[str]:
    """The word tokens of ``text``.

    >>> words("L’homme qu'il voit, aujourd'hui : peut-être 1871 !")
    ["l'", 'homme', "qu'", 'il', 'voit', "aujourd'hui", 'peut-être', '1871']
    """
    return _TOKEN.findall(normalize(text))
