"""Project Gutenberg boilerplate: find it, strip it, and say so.

Gutenberg files wrap the work in a header (title, author, release date, and a
"*** START OF THE PROJECT GUTENBERG EBOOK ... ***" line) and a long licence
after "*** END OF ...". Neither is the author's text, and the licence alone is
~18 KB repeated in every file: left in, a model learns it verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_START = re.compile(
    r"^\s*\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG E-?(?:BOOK|TEXT).*$"
    r"|^\s*\*END\*THE SMALL PRINT!.*$",
    re.IGNORECASE | re.MULTILINE,
)
_END = re.compile(
    r"^\s*\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG E-?(?:BOOK|TEXT).*$"
    r"|^\s*End of (?:the )?Project Gutenberg'?s? .*$"
    r"|^\s*End of this Project Gutenberg.*$"
    r"|^\s*Fin (?:de|du) (?:ce )?(?:livre|projet) .*Gutenberg.*$",
    re.IGNORECASE | re.MULTILINE,
)
_FIELD = re.compile(r"^(Title|Author|Language|Titre|Auteur)\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_PRODUCED_BY = re.compile(r"\A\s*(?:Produced|Prepared|E-text prepared|Transcribed) by[^\n]*(?:\n[^\n]+)*\n\s*\n", re.IGNORECASE)


@dataclass
class GutenbergStrip:
    text: str
    notes: list[str]
    title: str | None = None
    author: str | None = None
    language: str | None = None


def strip_gutenberg(text: str) -> GutenbergStrip:
    """Remove the Gutenberg header and licence if present (text is returned unchanged otherwise).

    >>> r = strip_gutenberg("Title: Odes\\nAuthor: Hugo\\n*** START OF THE PROJECT GUTENBERG EBOOK ODES ***\\nLe vers.\\n*** END OF THE PROJECT GUTENBERG EBOOK ODES ***\\nlicence")
    >>> r.text.strip(), r.title, r.author
    ('Le vers.', 'Odes', 'Hugo')
    """
    start = _START.search(text)
    end = _END.search(text, start.end() if start else 0)
    if not start and not end:
        return GutenbergStrip(text, [])
    notes: list[str] = []
    fields: dict[str, str] = {}
    body = text
    if end:
        body = body[: end.start()]
        notes.append(f"Project Gutenberg licence footer stripped ({len(text) - end.start():,} characters)")
    if start:
        header = body[: start.start()]
        for match in _FIELD.finditer(header):
            fields.setdefault(match.group(1).lower(), match.group(2).strip())
        body = body[start.end() :]
        body = _PRODUCED_BY.sub("", body, count=1)
        notes.insert(0, f"Project Gutenberg header stripped ({start.end():,} characters)")
    return GutenbergStrip(
        body,
        notes,
        title=fields.get("title") or fields.get("titre"),
        author=fields.get("author") or fields.get("auteur"),
        language=fields.get("language"),
    )
