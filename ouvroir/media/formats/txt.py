"""Plain text (.txt) in any common encoding, with Project Gutenberg boilerplate stripped."""

from __future__ import annotations

import unicodedata
from pathlib import PurePath

from ..document import ParsedWork, normalize_text
from ..byline import byline_author
from ..encoding import decode_text
from ..gutenberg import strip_gutenberg
from ..plain import blocks_from_plain_text, guess_form


def read(data: bytes, name: str) -> ParsedWork:
    text, encoding = decode_text(data)
    return parse_text(text, encoding, name)


def parse_text(text: str, encoding: str | None, name: str = "") -> ParsedWork:
    stripped = strip_gutenberg(normalize_text(text))
    blocks = blocks_from_plain_text(stripped.text)
    metadata = {"language": stripped.language} if stripped.language else {}
    author, byline = stripped.author, None
    if not author and (found := byline_author(stripped.text)):
        author, byline = found
    return ParsedWork(
        blocks=blocks,
        form=guess_form(blocks),
        title=stripped.title or title_from_first_line(stripped.text, name),
        author=author,
        encoding=encoding,
        notes=stripped.notes,
        metadata=metadata,
        byline=byline,
    )


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


def title_from_first_line(text: str, name: str) -> str | None:
    """The file's first line, when it is the title that the file name spells without accents.

    File names are often an ASCII rendering of the title: ``les_chants_du_crepuscule.txt``
    for "Les Chants du Crépuscule". The first line gives the accents back.
    ALL-CAPS titles are put in sentence case.

    >>> title_from_first_line("POÈMES SATURNIENS\\nPaul Verlaine", "poemes_saturniens.txt")
    'Poèmes saturniens'
    >>> title_from_first_line("Il était une fois", "conte.txt") is None
    True
    """
    stem = _fold(PurePath(name).stem)
    first = text.lstrip("\n").split("\n", 1)[0].strip()
    folded = _fold(first)
    if not stem or not first or len(first) > 120 or len(stem) < 4:
        return None
    if not (folded == stem or (len(stem) >= 20 and folded.startswith(stem))):
        return None
    if first.upper() == first:
        first = first[0] + first[1:].lower()
    return first
