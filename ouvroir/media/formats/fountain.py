"""Fountain screenplays (.fountain, .spmd), parsed after the spec at https://fountain.io/syntax.

Blocks: ``scene_heading``, ``action``, ``speech`` (speaker = the cue with its
extension, text = parentheticals and dialogue lines in order), ``transition``,
``centered``; form "screenplay". The title page fills title, author and
metadata and is not part of the blocks.

Decisions (Fountain leaves them to the tool):

* Sections (``#``) and synopses (``=``) are dropped, like notes (``[[ ]]``) and
  the boneyard (``/* */``): they outline the story for the writer and are never
  printed. Page breaks (``===``), scene numbers (``#12#``) and the dual-dialogue
  caret (``^``) are layout, also dropped. ``notes`` says what was removed.
* Emphasis markers (``*``, ``**``, ``***``, ``_``) are markup, removed; unlike the
  spec, emphasis may span the lines of one element, as writers use it so.
* Force markers (``.``, ``!``, ``@``, ``>``, ``~``) are kept in the text: they
  are what makes the element what it is, so :func:`~ouvroir.media.document.render`
  of the blocks is valid Fountain that parses back to the same blocks. An action
  that would read back as something else (an all-caps first line, "CUT TO:"
  written with trailing spaces) gets a ``!``.
* A blank line inside dialogue (the spec's two-space line) is dropped: a
  rendered blank line would end the speech.

>>> work = parse_fountain("Title: Nuit\\n\\nINT. CAFÉ - NUIT\\n\\nLÉA\\n(bas)\\nEncore un *café*\\u202f?\\n\\nCUT TO:")
>>> work.title
'Nuit'
>>> [(b.kind, b.speaker, b.text) for b in work.blocks]  # doctest: +NORMALIZE_WHITESPACE
[('scene_heading', None, 'INT. CAFÉ - NUIT'), ('speech', 'LÉA', '(bas)\\nEncore un café\\u202f?'),
 ('transition', None, 'CUT TO:')]
"""

from __future__ import annotations

import re

from ..document import Block, ParsedWork, normalize_text
from ..encoding import decode_text

_TITLE_PAGE_FIRST_KEY = re.compile(
    r"^(title|credit|author|authors|source|draft date|date|contact|copyright|notes|revision)\s*:", re.IGNORECASE
)
_TITLE_PAGE_KEY = re.compile(r"^([A-Za-z][A-Za-z ]*?)\s*:(.*)$")
_BONEYARD_LINES = re.compile(r"^[ \t]*/\*(?:(?!\*/)[\s\S])*\*/[ \t]*(?:\n|\Z)", re.MULTILINE)
_BONEYARD = re.compile(r" ?/\*(?:(?!\*/)[\s\S])*\*/")
_NOTE_LINES = re.compile(r"^[ \t]*\[\[(?:(?!\]\])[\s\S])*\]\][ \t]*(?:\n|\Z)", re.MULTILINE)
_NOTE = re.compile(r" ?\[\[(?:(?!\]\])[\s\S])*\]\]")
_SCENE_HEADING = re.compile(r"^(?:int|ext|est|int\.?/ext|i/e|i\./e)[. ]", re.IGNORECASE)
_FORCED_SCENE_HEADING = re.compile(r"^\.(?![.\s])")
_SCENE_NUMBER = re.compile(r"\s*#[\w.\-]+#\s*$")
_CENTERED = re.compile(r"^\s*>\s*(.*?)\s*<\s*$")
_PAGE_BREAK = re.compile(r"^\s*={3,}\s*$")
_SYNOPSIS = re.compile(r"^\s*=(?!==)")
_EXTENSION = re.compile(r"\([^)]*\)")
_EMPHASIS = [
    re.compile(r"(\*{3})(?=\S)(.+?)(?<=\S)\*{3}", re.DOTALL),
    re.compile(r"(\*{2})(?=\S)(.+?)(?<=\S)\*{2}", re.DOTALL),
    re.compile(r"(\*)(?=[^\s*])(.+?)(?<=[^\s*])\*", re.DOTALL),
    re.compile(r"(?<!\w)(_)(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)", re.DOTALL),
]
_SINGULAR = {"notes": "note", "boneyard passages": "boneyard passage", "sections": "section", "synopses": "synopsis"}
_ESCAPED = re.compile(r"\\([*_\\])")


def read(data: bytes, name: str) -> ParsedWork:
    text, encoding = decode_text(data)
    work = parse_fountain(text)
    work.encoding = encoding
    return work


def parse_fountain(text: str) -> ParsedWork:
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    removed = {"notes": len(_NOTE.findall(text)), "boneyard passages": len(_BONEYARD.findall(text))}
    text = _NOTE.sub("", _NOTE_LINES.sub("", _BONEYARD.sub("", _BONEYARD_LINES.sub("", text))))
    lines = text.split("\n")
    title_page, start = _title_page(lines)
    counts: dict[str, int] = {"sections": 0, "synopses": 0}
    blocks = _parse_body(lines[start:], counts)
    blocks = [_forced_if_ambiguous(block, first=i == 0) for i, block in enumerate(blocks)]
    removed.update(counts)
    notes = []
    if any(removed.values()):
        listed = ", ".join(f"{n} {what if n > 1 else _SINGULAR[what]}" for what, n in removed.items() if n)
        notes.append(f"Fountain markup removed ({listed}): the writer's notes and outline, not script text")
    title = " — ".join(title_page.pop("title", [])) or None
    authors = title_page.pop("author", []) + title_page.pop("authors", [])
    metadata = {key.replace(" ", "-"): "; ".join(values) for key, values in title_page.items() if values}
    return ParsedWork(blocks=blocks, form="screenplay", title=title, author=", ".join(authors) or None,
                      notes=notes, metadata=metadata)  # fmt: skip


def _title_page(lines: list[str]) -> tuple[dict[str, list[str]], int]:
    """``Key: value`` lines at the very top, values possibly on indented lines below; ends at a blank line."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or not _TITLE_PAGE_FIRST_KEY.match(lines[i]):
        return {}, 0
    fields: dict[str, list[str]] = {}
    key = None
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        match = None if line[:1].isspace() else _TITLE_PAGE_KEY.match(line)
        if match:
            key = match.group(1).strip().lower()
            fields.setdefault(key, [])
            line = match.group(2)
        if key is not None and line.strip():
            fields[key].append(_strip_emphasis(line.strip()))
        i += 1
    return fields, i


def _parse_body(lines: list[str], counts: dict[str, int]) -> list[Block]:
    blocks: list[Block] = []

    def blank(j: int) -> bool:
        return j < 0 or j >= len(lines) or not lines[j].strip()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or _PAGE_BREAK.match(line):
            i += 1
            continue
        kind = _line_kind(line, blank(i - 1), blank(i + 1))
        if kind == "speech":
            i = _speech(lines, i, blocks)
            continue
        if kind == "action":
            end = i
            while end < len(lines) and lines[end].strip() and not _PAGE_BREAK.match(lines[end]):
                end += 1
            _add(blocks, Block("action", _strip_emphasis("\n".join(lines[i:end]))))
            i = end
            continue
        if kind in counts:
            counts[kind] += 1
        elif kind == "centered":
            _add(blocks, Block("centered", _strip_emphasis(_CENTERED.match(line).group(1))))  # type: ignore[union-attr]
        elif kind == "scene_heading":
            _add(blocks, Block("scene_heading", _strip_emphasis(_SCENE_NUMBER.sub("", stripped))))
        else:
            _add(blocks, Block("transition", _strip_emphasis(stripped)))
        i += 1
    return blocks


def _line_kind(line: str, blank_before: bool, blank_after: bool) -> str:
    """What element a non-blank line starts, given whether blank lines surround it."""
    stripped = line.strip()
    isolated = blank_before and blank_after
    if stripped.startswith("!"):
        return "action"
    if stripped.startswith("#"):
        return "sections"
    if _SYNOPSIS.match(line):
        return "synopses"
    if _CENTERED.match(line):
        return "centered"
    if stripped.startswith(">"):
        return "transition"  # forced
    scene_like = bool(_SCENE_HEADING.match(stripped) or _FORCED_SCENE_HEADING.match(stripped))
    if isolated and scene_like:
        return "scene_heading"
    if isolated and _is_transition(line):
        return "transition"
    if blank_before and not blank_after and not scene_like and _is_character(stripped):
        return "speech"
    return "action"


def _speech(lines: list[str], i: int, blocks: list[Block]) -> int:
    """Parse the cue at ``lines[i]`` and its parentheticals and dialogue; return the index after them."""
    speaker = lines[i].strip()
    speaker = speaker[:-1].rstrip() if speaker.endswith("^") else speaker  # dual dialogue: layout only
    body: list[str] = []
    j = i + 1
    while j < len(lines):
        if not lines[j].strip():
            if lines[j] == "  " and j + 1 < len(lines) and lines[j + 1].strip():
                j += 1  # the spec's blank line inside dialogue
                continue
            break
        body.append(lines[j].strip())
        j += 1
    _add(blocks, Block("speech", _strip_emphasis("\n".join(body)), speaker=_strip_emphasis(speaker)))
    return j


def _is_character(line: str) -> bool:
    """An all-caps line (the extension in parentheses may be lower case) with a letter in it, or a forced ``@`` cue."""
    if line.startswith("@"):
        return len(line) > 1
    if line.startswith(("!", "~", "[", ".", ">", "=", "#")):
        return False
    name = _EXTENSION.sub("", line.rstrip("^")).strip()
    return any(ch.isalpha() for ch in name) and name == name.upper()


def _is_transition(line: str) -> bool:
    text = line.lstrip()  # trailing spaces are not stripped: "CUT TO:  " is action by the spec
    return text.endswith("TO:") and text == text.upper()


def _strip_emphasis(text: str) -> str:
    escaped: list[str] = []

    def protect(match: re.Match[str]) -> str:
        escaped.append(match.group(1))
        return f"\ue000{len(escaped) - 1}\ue001"

    text = _ESCAPED.sub(protect, text)
    for pattern in _EMPHASIS:
        previous = None
        while previous != text:
            previous, text = text, pattern.sub(r"\2", text)
    return re.sub("\ue000(\\d+)\ue001", lambda m: escaped[int(m.group(1))], text)


def _add(blocks: list[Block], block: Block) -> None:
    text = normalize_text(block.text)
    speaker = normalize_text(block.speaker) if block.speaker else None
    if text or speaker:
        blocks.append(Block(block.kind, text, speaker, block.level))


def _forced_if_ambiguous(block: Block, first: bool) -> Block:
    """Give an action the ``!`` it needs to read back as action from the rendered text."""
    if block.kind != "action" or block.text.startswith("!"):
        return block
    reparsed = _parse_body(block.text.split("\n"), {"sections": 0, "synopses": 0})
    if reparsed == [block] and not (first and _TITLE_PAGE_FIRST_KEY.match(block.text)):
        return block
    return Block("action", "!" + block.text)
