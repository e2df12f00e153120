"""The author named by a byline right under a text's title: "Gérard de Nerval, 1854", "par Victor Hugo".

Conservative on purpose: a wrong author is worse than none, since the owner rule and the datasheet
read it. A byline is the line that ends the title's block (or stands alone just after it) and is
shaped like a name: two to five capitalized words, particles ("de", "von") between them, with a
"par"/"by" before it or a year after it; a bare name must end its block. A line of verse has
lowercase words or stops at a comma with no year, so it is never shaped like that.

>>> byline_author("Chimères\\nGérard de Nerval, 1854\\n\\n\\nEL DESDICHADO\\n\\nJe suis le ténébreux")
('Gérard de Nerval', 'Gérard de Nerval, 1854')
>>> byline_author("Nuit\\n\\npar Victor Hugo\\n\\nLa lune est sur les toits.")[0]
'Victor Hugo'
>>> byline_author("Chanson d'automne\\nLes sanglots longs\\nDes violons")
"""

from __future__ import annotations

import re

_YEARS = r"(?:1[0-9]|20)\d\d(?:\s*[-–]\s*\d{2,4})?"
_PREFIXED = re.compile(r"(?i:par|by)\s+(?P<name>.+?)(?:\s*(?:,\s*|\(\s*)" + _YEARS + r"\)?)?\.?")
_DATED = re.compile(r"(?P<name>.+?)\s*(?:,\s*" + _YEARS + r"|\(\s*" + _YEARS + r"\s*\))\.?")
# between the names: "Gérard de Nerval", "Ludwig van Beethoven", "Jean de La Fontaine"
_PARTICLES = {"de", "du", "des", "d'", "d’", "la", "le", "von", "van", "der", "den", "di", "da", "del", "della",
              "dos", "das", "ten", "ter", "zu", "y"}  # fmt: skip
# first words of lines that are shaped like names but are not: headings, places, addresses, articles
_NOT_FIRST = {
    "à", "a", "au", "aux", "le", "la", "les", "l'", "un", "une", "des", "du", "de", "pour", "sur", "sous", "dans",
    "en", "et", "ou", "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses", "notre", "votre", "ô", "o", "oh",
    "the", "an", "to", "for", "in", "on", "of", "and", "my", "your", "his", "her", "our", "their", "dear", "new",
    "saint", "sainte", "san", "santa", "los", "las", "el", "mount", "lake", "fort", "port", "cape", "chant", "canto",
}  # fmt: skip
_HEADINGS = {
    "acte", "act", "scène", "scene", "chapitre", "chapter", "partie", "part", "livre", "book", "tome", "volume",
    "prologue", "épilogue", "epilogue", "préface", "preface", "introduction", "avant-propos", "table", "première",
    "premier", "deuxième", "second", "seconde", "troisième", "first", "third", "sonnet", "ode", "ballade", "chanson",
    "song", "poème", "poem", "poèmes", "poems", "dédicace", "dedication", "épigraphe", "envoi", "fin", "end",
}  # fmt: skip
_INITIAL = re.compile(r"(?:[^\W\d_]\.-?)+")


def byline_author(text: str) -> tuple[str, str] | None:
    """(author, the byline as written) when the line under the first line is a byline, else None."""
    lines = text.lstrip("\n").split("\n", 4)
    title = lines[0].strip()
    # a title: a short line that starts with a capital or a digit and does not end a sentence or a clause
    # "[SANS TITRE]": an editor's brackets; "« LA CLASSE »": quotes, in a title in capitals only (prose quotes too)
    first = title.lstrip("[(«\"“ " if title.isupper() else "[(")[:1]
    if not first or len(title) > 100 or not (first.isupper() or first.isdigit()) or title[-1] in ",;:":
        return None
    if title[-1] == "." and not (title.isupper() or re.search(r"\b\w\.$", title)):  # "À MADAME MARIE M." is a title
        return None
    if len(lines) < 2:
        return None
    index = 1 if lines[1].strip() else 2
    if index >= len(lines) or not lines[index].strip():
        return None
    if index + 1 < len(lines) and lines[index + 1].strip():
        return None  # a byline ends its block: a line followed by more lines is verse or prose
    line = " ".join(lines[index].split())
    for pattern, bare in ((_PREFIXED, False), (_DATED, False), (None, True)):
        match = pattern.fullmatch(line) if pattern else None
        name = match["name"].strip() if match else line if bare else None
        if name and _is_name(name, allow_caps=not bare):
            return (name.title() if name.isupper() else name), line
    return None


def _is_name(name: str, allow_caps: bool) -> bool:
    """Two to five words, each a capitalized name, an initial or a particle between names."""
    if len(name) > 60 or (name.isupper() and not allow_caps):
        return False
    words = name.title().split() if name.isupper() else name.split()
    if not 2 <= len(words) <= 5 or words[0].casefold() in _NOT_FIRST:
        return False
    if any(w.casefold().strip(".") in _HEADINGS for w in words):
        return False
    for position, word in enumerate(words):
        if word.casefold() in _PARTICLES and 0 < position < len(words) - 1:
            continue
        if _INITIAL.fullmatch(word) and position < len(words) - 1:
            continue
        if not _capitalized(word):
            return False
    return True


def _capitalized(word: str) -> bool:
    """``Nerval``, ``Saint-Exupéry``, ``d'Alembert``, ``O'Neill``, ``McCarthy``: a capital, then lowercase letters."""
    core = re.sub(r"^(?:d|l)['’]", "", word)
    if not core or not core[0].isupper() or not any(c.islower() for c in core):
        return False
    return all(c.isalpha() or c in "-'’" for c in core) and not core.endswith(("-", "'", "’"))
