"""The normalized form of a text work: a list of blocks and its plain-text rendering.

Every reader (txt, docx, epub, Fountain, TEI...) produces a :class:`ParsedWork`.
The rendering (:func:`render`) is the normalized stream that training and the
audit read; the blocks keep the structure (stanzas, speaker turns, scene
headings) so the audit can measure form and renderers can write files back.

Rendering rules, chosen so that a plain-text poem round-trips exactly:
blocks are separated by one blank line; a ``break`` block adds one more
(two blank lines: between poems, chapters, scenes). A ``speech`` block is its
speaker cue on a line of its own, then its lines (this is also Fountain's
dialogue syntax, so screenplays render as valid Fountain).

>>> render([Block("stanza", "Je suis\\nle ténébreux"), Block("break"), Block("paragraph", "Fin.")])
'Je suis\\nle ténébreux\\n\\n\\nFin.'
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal[
    "title",  # the work's own title line(s)
    "heading",  # act, scene, chapter, section (level: 1 = act/part/chapter, 2 = scene/section)
    "paragraph",  # prose paragraph
    "stanza",  # verse lines, one per line, no blank line inside
    "speech",  # theatre or screenplay turn: speaker cue + lines (parentheticals kept as "(...)" lines)
    "stage",  # stage direction (theatre)
    "scene_heading",  # screenplay slugline: INT. HOUSE - NIGHT
    "action",  # screenplay action
    "transition",  # screenplay transition: CUT TO:
    "centered",  # screenplay centered text, rendered "> text <"
    "break",  # an extra blank line: separates poems, chapters, scenes
]

Form = Literal["poetry", "prose", "theatre", "screenplay", "score"]  # score: a music event text (ouvroir.media.music)


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str = ""
    speaker: str | None = None
    level: int = 0


@dataclass
class ParsedWork:
    """What a reader extracted from one file."""

    blocks: list[Block]
    form: Form
    title: str | None = None
    author: str | None = None
    encoding: str | None = None  # for byte-level text formats: the detected encoding
    notes: list[str] = field(default_factory=list)  # reported to the user, e.g. "Project Gutenberg header stripped"
    metadata: dict[str, str] = field(default_factory=dict)  # other metadata found in the file (language, date, rights...)
    byline: str | None = None  # the line under the title that ``author`` was read from, when it was (media.byline)

    @property
    def text(self) -> str:
        return render(self.blocks)


def render_block(block: Block) -> str:
    if block.kind == "speech":
        if not block.speaker:
            return block.text
        return f"{block.speaker}\n{block.text}" if block.text else block.speaker
    if block.kind == "stage":
        text = block.text
        return text if text.startswith(("(", "[")) else f"({text})"
    if block.kind == "centered":
        return f"> {block.text} <"
    return block.text


def render(blocks: list[Block]) -> str:
    parts: list[str] = []
    pending_break = False
    for block in blocks:
        if block.kind == "break":
            pending_break = bool(parts)
            continue
        piece = render_block(block)
        if not piece:
            continue
        if parts:
            parts.append("\n\n\n" if pending_break else "\n\n")
        parts.append(piece)
        pending_break = False
    return "".join(parts)


# Control characters carry no text (\r and form feeds are turned into line breaks first);
# the BOM and zero-width space are invisible and split words for the tokenizer.
_DROPPED = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufeff\u200b]")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0\u202f]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{4,}")


def normalize_text(text: str) -> str:
    """NFC, Unix line ends, no trailing spaces, at most two blank lines in a row.

    Accents, ligatures (œ, ﬁ), typographic quotes and non-breaking spaces are
    kept as they are: NFC composes, it never folds compatibility characters.

    >>> normalize_text("Cafe\\u0301 \\r\\n\\r\\n\\r\\n\\r\\n\\u201cfin\\u201d")
    'Café\\n\\n\\n“fin”'
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for separator, replacement in (("\u2028", "\n"), ("\u2029", "\n\n"), ("\x0c", "\n\n")):
        if separator in text:
            text = text.replace(separator, replacement)
    text = _DROPPED.sub("", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = _TRAILING_SPACE.sub("", text)
    text = _BLANK_RUNS.sub("\n\n\n", text)
    return text.strip("\n")


# What makes a title or an author break a line, or hide and reorder what a listing shows: line and paragraph
# separators, other control characters (Cc), and format characters (Cf: bidi overrides such as U+202E, soft
# hyphens, zero-width spaces, the BOM). ZWNJ and ZWJ stay: Persian, Indic scripts and emoji need them to spell.
_LABEL_SPACES = re.compile("[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]")
_KEPT_FORMAT = frozenset("\u200c\u200d")


def clean_label(text: str | None) -> str:
    """A title or an author as one line of visible text, NFC; '' when nothing visible is left.

    Non-breaking spaces (French puts them before « : ; ! ? ») stay as they are.

    >>> clean_label("L\\u2019Aube\\u202e.exe\\n\\u202fAda\\u00a0!  \\x00")
    'L’Aube.exe \\u202fAda\\xa0!'
    """
    text = _LABEL_SPACES.sub(" ", unicodedata.normalize("NFC", text or ""))
    if not text.isprintable():  # only then look at each character
        text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf") or c in _KEPT_FORMAT)
    return re.sub(" {2,}", " ", text).strip(" ")


def blocks_to_json(blocks: list[Block]) -> str:
    items = []
    for b in blocks:
        item = {"kind": b.kind}
        if b.text:
            item["text"] = b.text
        if b.speaker is not None:
            item["speaker"] = b.speaker
        if b.level:
            item["level"] = b.level
        items.append(item)
    return json.dumps(items, ensure_ascii=False)


def blocks_from_json(data: str) -> list[Block]:
    return [Block(**item) for item in json.loads(data)]
