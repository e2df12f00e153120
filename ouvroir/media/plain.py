"""Structure of plain text: blank-line blocks, and a guess at the form (poetry, prose, theatre)."""

from __future__ import annotations

import re
import statistics

from .document import Block, Form, normalize_text

_BLANK_RUN = re.compile(r"\n(\n+)")


def blocks_from_plain_text(text: str) -> list[Block]:
    """Split normalized text into blocks so that ``render`` gives the text back exactly.

    One blank line separates blocks; two blank lines add a ``break``. A block of
    several short lines is a stanza, anything else a paragraph.

    >>> from .document import render
    >>> t = "Titre\\n\\n\\n  Vers un,\\n  vers deux.\\n\\nProse."
    >>> [b.kind for b in blocks_from_plain_text(t)]
    ['paragraph', 'break', 'stanza', 'paragraph']
    >>> render(blocks_from_plain_text(t)) == t
    True
    """
    text = normalize_text(text)
    if not text:
        return []
    blocks: list[Block] = []
    pos = 0
    for match in _BLANK_RUN.finditer(text):
        _append_chunk(blocks, text[pos : match.start()])
        if len(match.group(1)) >= 2:
            blocks.append(Block("break"))
        pos = match.end()
    _append_chunk(blocks, text[pos:])
    return blocks


def _append_chunk(blocks: list[Block], chunk: str) -> None:
    if not chunk:
        return
    lines = chunk.split("\n")
    if len(lines) >= 2 and max(len(line) for line in lines) <= 90:
        blocks.append(Block("stanza", chunk))
    else:
        blocks.append(Block("paragraph", chunk))


def guess_form(blocks: list[Block]) -> Form:
    """Theatre when speaker turns dominate, poetry when most text sits in short lines, else prose."""
    kinds = [b.kind for b in blocks if b.kind != "break"]
    if not kinds:
        return "prose"
    if any(k in ("scene_heading", "transition") for k in kinds):
        return "screenplay"
    if kinds.count("speech") >= max(3, len(kinds) // 4):
        return "theatre"
    lines = [line for b in blocks if b.kind in ("stanza", "paragraph") for line in b.text.split("\n") if line.strip()]
    if not lines:
        return "prose"
    verse_chars = sum(len(b.text) for b in blocks if b.kind == "stanza")
    prose_chars = sum(len(b.text) for b in blocks if b.kind == "paragraph")
    if verse_chars > prose_chars and statistics.median(len(line) for line in lines) <= 70:
        return "poetry"
    return "prose"
