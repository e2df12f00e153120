"""Helpers shared by the XML-based readers (docx, odt, epub, tei): whitespace and paragraph grouping.

Not a reader itself: no suffix maps to this module. The safe XML parser they
all use is :mod:`ouvroir.media.safexml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..document import Block, normalize_text
from ..plain import blocks_from_plain_text

# Same line-length bound as plain.py's stanza rule, so every format agrees on what a verse line is.
MAX_VERSE_LINE = 90

_XML_WHITESPACE = re.compile(r"[ \t\r\n\f]+")


def collapse_spaces(text: str) -> str:
    """XML/HTML whitespace runs become one space; non-breaking spaces are text and stay.

    >>> collapse_spaces("  Le\\n   vent\\u00a0:  ")
    ' Le vent\\xa0: '
    """
    return _XML_WHITESPACE.sub(" ", text)


@dataclass
class Paragraph:
    """One paragraph of a word-processor document, before grouping into blocks."""

    text: str
    kind: str = "paragraph"  # "paragraph", "heading" or "title"
    level: int = 0


def blocks_from_paragraphs(paragraphs: list[Paragraph]) -> list[Block]:
    """Turn word-processor paragraphs into blocks.

    Poets in Word or LibreOffice usually type one verse per paragraph and an
    empty paragraph between stanzas. When a document uses empty paragraphs as
    separators, a run of short consecutive paragraphs is one stanza; two empty
    paragraphs in a row are a ``break``. Otherwise each paragraph is its own block.

    >>> ps = [Paragraph("Vers un,"), Paragraph("vers deux."), Paragraph(""), Paragraph("Fin.")]
    >>> [(b.kind, b.text) for b in blocks_from_paragraphs(ps)]
    [('stanza', 'Vers un,\\nvers deux.'), ('paragraph', 'Fin.')]
    """
    paragraphs = [Paragraph(normalize_text(p.text), p.kind, p.level) for p in paragraphs]
    blocks: list[Block] = []
    if not _uses_empty_separators(paragraphs):
        for paragraph in paragraphs:
            blocks.extend(_paragraph_blocks([paragraph], grouped=False))
        return blocks
    run: list[Paragraph] = []
    empty_run = 0
    for paragraph in paragraphs:
        if not paragraph.text:
            blocks.extend(_paragraph_blocks(run, grouped=True))
            run = []
            empty_run += 1
            if empty_run == 2 and blocks and blocks[-1].kind != "break":
                blocks.append(Block("break"))
            continue
        empty_run = 0
        if paragraph.kind != "paragraph":
            blocks.extend(_paragraph_blocks(run, grouped=True))
            run = []
            blocks.extend(_paragraph_blocks([paragraph], grouped=False))
        else:
            run.append(paragraph)
    blocks.extend(_paragraph_blocks(run, grouped=True))
    while blocks and blocks[-1].kind == "break":
        blocks.pop()
    return blocks


def _uses_empty_separators(paragraphs: list[Paragraph]) -> bool:
    seen_text = False
    pending_empty = False
    for paragraph in paragraphs:
        if not paragraph.text:
            pending_empty = seen_text
        elif pending_empty:
            return True
        else:
            seen_text = True
    return False


def _paragraph_blocks(run: list[Paragraph], grouped: bool) -> list[Block]:
    if not run:
        return []
    if len(run) == 1 and run[0].kind in ("heading", "title"):
        text = " ".join(line.strip() for line in run[0].text.split("\n") if line.strip())
        return [Block(run[0].kind, text, level=run[0].level)] if text else []  # type: ignore[arg-type]
    lines = [line for p in run for line in p.text.split("\n")]
    if grouped and len(run) >= 2 and max(len(line) for line in lines) <= MAX_VERSE_LINE:
        return [Block("stanza", "\n".join(p.text for p in run))]
    return [block for p in run for block in blocks_from_plain_text(p.text) if block.kind != "break"]
