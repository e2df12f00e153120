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
    chunks: list[str | None] = []  # None marks a break
    pos = 0
    for match in _BLANK_RUN.finditer(text):
        chunks.append(text[pos : match.start()])
        if len(match.group(1)) >= 2:
            chunks.append(None)
        pos = match.end()
    chunks.append(text[pos:])
    width = wrap_width(chunk for chunk in chunks if chunk)
    blocks: list[Block] = []
    for chunk in chunks:
        if chunk is None:
            blocks.append(Block("break"))
        elif chunk:
            blocks.append(Block("stanza" if _is_verse(chunk, width) else "paragraph", chunk))
    return blocks


def wrap_width(chunks) -> int | None:
    """The column at which a hard-wrapped prose text breaks its lines, or None when it is not wrapped.

    Project Gutenberg texts wrap prose near 70 columns; verse lines end
    wherever the verse ends. When most multi-line lines end within a few
    columns of the same width, the text is wrapped at that width.
    """
    lengths = [len(line) for chunk in chunks for line in chunk.split("\n")[:-1] if "\n" in chunk]
    if len(lengths) < 20:
        return None
    width = sorted(lengths)[int(len(lengths) * 0.9)]
    near = sum(1 for n in lengths if n >= 0.75 * width)
    return width if width >= 55 and near / len(lengths) >= 0.7 else None


def _is_verse(chunk: str, width: int | None) -> bool:
    lines = chunk.split("\n")
    if len(lines) < 2 or max(len(line) for line in lines) > 90:
        return False
    # A wrapped prose paragraph: every line but the last runs to the wrap width.
    return not (width and all(len(line) >= 0.75 * width for line in lines[:-1]))


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
