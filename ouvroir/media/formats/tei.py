"""TEI P5 XML (.xml, .tei): plays, poems and prose as scholarly editions encode them.

The header's titleStmt gives title and author. In the body, ``div`` heads
become headings (acts level 1, scenes level 2), ``sp`` a speech (speaker from
``speaker``, one line per ``l``, one per ``p``, stage directions inside a speech
as "(...)" lines), ``stage`` a stage block, ``lg`` a stanza, ``p`` a paragraph.
Editorial apparatus is left out: notes, page and line numbers (fw, pb),
deletions; of a ``choice`` the correction/regularisation/expansion is kept.
Front and back matter (title pages, cast lists, indexes) are not read.

>>> work = read(b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><sp><speaker>JULIE</speaker>'
...             b'<l>Le jour se l\\xc3\\xa8ve.</l></sp></body></text></TEI>', "p.xml")
>>> work.form, work.blocks[0]
('theatre', Block(kind='speech', text='Le jour se lève.', speaker='JULIE', level=0))
"""

from __future__ import annotations

from lxml import etree

from ...errors import IngestError
from ..document import Block, Form, ParsedWork, normalize_text
from ..plain import blocks_from_plain_text
from ..safexml import local_name, parse_xml
from ._shared import collapse_spaces

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_EXCLUDED = {"note", "fw", "pb", "cb", "milestone", "del", "teiHeader", "figDesc", "gap", "interpGrp", "index", "bibl"}
_PREFERRED_READING = ("corr", "reg", "expan", "lem")
_DIV = {"div", "div1", "div2", "div3", "div4", "div5", "div6", "div7"}
_ACT_TYPES = {"act", "acte", "part", "book", "chapter", "volume"}
_SCENE_TYPES = {"scene", "scène", "section", "subsection"}


def read(data: bytes, name: str) -> ParsedWork:
    root = parse_xml(data, "the XML file")
    if local_name(root) not in ("TEI", "teiCorpus") or _namespace(root) not in (TEI_NS, ""):
        raise IngestError(f"not a TEI document (root element is <{local_name(root)}>)")
    title, author = _title_statement(root)
    builder = _BodyBuilder()
    for body in (el for el in root.iter() if local_name(el) == "body"):
        if not any(local_name(a) == "body" for a in body.iterancestors()):  # nested bodies are walked by their parent
            builder.container(body, depth=0)
    builder.flush_verse()
    blocks = builder.blocks
    metadata: dict[str, str] = {}
    language = next((el.get(XML_LANG) for el in root.iter() if local_name(el) == "text" and el.get(XML_LANG)), None)
    language = language or next(
        (el.get("ident") for el in root.iter() if local_name(el) == "language" and el.get("ident")), None
    )
    if language:
        metadata["language"] = language
    return ParsedWork(blocks=blocks, form=_form(blocks), title=title, author=author, metadata=metadata)


def _namespace(element: etree._Element) -> str:
    return etree.QName(element).namespace or ""


def _title_statement(root: etree._Element) -> tuple[str | None, str | None]:
    statement = next((el for el in root.iter() if local_name(el) == "titleStmt"), None)
    if statement is None:
        return None, None
    titles = [el for el in statement if local_name(el) == "title"]
    main = [el for el in titles if el.get("type") in (None, "main")] or titles
    title = " ".join(
        t for t in (inline_text(el) for el in main[:1] + [el for el in titles if el.get("type") == "sub"]) if t
    )
    authors = [inline_text(el) for el in statement if local_name(el) == "author"]
    return title or None, ", ".join(a for a in authors if a) or None


def inline_text(element: etree._Element) -> str:
    """The element's text with apparatus left out and XML whitespace collapsed (``lb`` is a space)."""
    pieces: list[str] = []
    _append_text(element, pieces)
    return collapse_spaces("".join(pieces)).strip()


def _append_text(element: etree._Element, pieces: list[str]) -> None:
    if element.text:
        pieces.append(element.text)
    for child in element:
        name = local_name(child)
        if name == "choice":
            options = {local_name(option): option for option in child if local_name(option)}
            chosen = next((options[n] for n in _PREFERRED_READING if n in options), next(iter(options.values()), None))
            if chosen is not None:
                _append_text(chosen, pieces)
        elif name == "app":
            lemma = next((r for r in child if local_name(r) == "lem"), None) or next(
                (r for r in child if local_name(r) == "rdg"), None
            )
            if lemma is not None:
                _append_text(lemma, pieces)
        elif name == "lb":
            pieces.append(" ")
        elif name and name not in _EXCLUDED:
            _append_text(child, pieces)
        if child.tail:
            pieces.append(child.tail)


class _BodyBuilder:
    """Walks the body's divisions and turns each structural element into blocks, in document order."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.verse: list[str] = []  # l elements that sit directly in a div, outside any lg

    def container(self, element: etree._Element, depth: int) -> None:
        for child in element:
            name = local_name(child)
            if name != "l":
                self.flush_verse()
            if not name or name in _EXCLUDED or name in ("front", "back"):
                continue
            if name in _DIV:
                self.container(child, depth + 1)
            elif name == "head":
                self.add(Block("heading", inline_text(child), level=_heading_level(element, depth)))
            elif name == "sp":
                self.speech(child)
            elif name == "stage":
                self.add(Block("stage", inline_text(child)))
            elif name == "lg":
                self.line_group(child, depth)
            elif name == "l":
                self.verse.append(inline_text(child))
            elif name in ("p", "ab", "quote", "trailer", "byline", "dateline", "salute", "signed", "opener", "closer"):
                if any(local_name(c) in ("lg", "l", "p", "sp") for c in child):
                    self.container(child, depth)
                else:
                    self.add(Block("paragraph", inline_text(child)))
            elif name in ("speaker", "castList", "listPerson", "figure"):
                continue
            else:  # floatingText, group, text, sp groups (spGrp), epigraph, lg wrappers...
                self.container(child, depth)

    def speech(self, sp: etree._Element) -> None:
        speaker_el = next((c for c in sp if local_name(c) == "speaker"), None)
        speaker = (
            inline_text(speaker_el) if speaker_el is not None else (sp.get("who") or "").lstrip("#").split(" #")[0]
        )
        lines: list[str] = []
        for child in sp:
            name = local_name(child)
            if name in ("l", "p", "ab"):
                lines.append(inline_text(child))
            elif name == "lg":
                lines.extend(inline_text(l) for l in child.iter() if local_name(l) == "l")
            elif name == "stage":
                direction = inline_text(child)
                lines.append(direction if direction.startswith(("(", "[")) else f"({direction})")
        text = normalize_text("\n".join(line for line in lines if line))
        speaker = normalize_text(speaker)
        if speaker:
            self.blocks.append(Block("speech", text, speaker=speaker))
        elif text:  # a speech nobody is named for: keep the words, not an empty cue
            self.blocks.extend(b for b in blocks_from_plain_text(text) if b.kind != "break")

    def line_group(self, lg: etree._Element, depth: int) -> None:
        if any(local_name(c) == "lg" for c in lg):  # a poem made of stanzas: its head, then each stanza
            for child in lg:
                name = local_name(child)
                if name == "head":
                    self.add(Block("heading", inline_text(child), level=2))
                elif name == "lg":
                    self.line_group(child, depth)
                elif name == "l":
                    self.add(Block("stanza", inline_text(child)))
            return
        head = next((c for c in lg if local_name(c) == "head"), None)
        if head is not None:
            self.add(Block("heading", inline_text(head), level=2))
        self.add(Block("stanza", "\n".join(inline_text(l) for l in lg if local_name(l) == "l")))

    def flush_verse(self) -> None:
        if self.verse:
            self.add(Block("stanza", "\n".join(self.verse)))
            self.verse = []

    def add(self, block: Block) -> None:
        text = normalize_text(block.text)
        if text:
            self.blocks.append(Block(block.kind, text, block.speaker, block.level))


def _heading_level(div: etree._Element, depth: int) -> int:
    kind = (div.get("type") or "").lower()
    if kind in _ACT_TYPES:
        return 1
    if kind in _SCENE_TYPES:
        return 2
    return 1 if depth <= 1 else 2


def _form(blocks: list[Block]) -> Form:
    if any(b.kind == "speech" for b in blocks):
        return "theatre"
    verse = sum(len(b.text) for b in blocks if b.kind == "stanza")
    prose = sum(len(b.text) for b in blocks if b.kind == "paragraph")
    return "poetry" if verse > prose else "prose"
