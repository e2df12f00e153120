"""PDF (.pdf) through pypdf: the text layer line by line, paragraphs where the page leaves a vertical gap.

Conservative on purpose. Lines stay as pypdf lays them out (so verse lines
survive); hyphenated line ends are not joined and wrapped prose is not
reflowed, because either guess would damage poems. A blank line is put where
the vertical gap between two lines is clearly larger than the page's usual
line spacing: that is how a PDF shows paragraphs and stanzas. Each page ends a
paragraph, and a line holding only a page number at the top or bottom of a page
is dropped. Known limit: pypdf reads U+00A0 (no-break space) as a plain space.

Scans without a text layer and password-protected files are refused with the fix.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
import statistics

from ...errors import IngestError
from ..document import Block, ParsedWork, normalize_text
from ..plain import blocks_from_plain_text, guess_form

_PAGE_NUMBER = re.compile(r"^[\s\-–—]*\d{1,4}[\s\-–—]*$")
_INNER_SPACES = re.compile(r"(?<=\S) {2,}(?=\S)")
# a gap this many times the usual line spacing starts a new paragraph
_PARAGRAPH_GAP = 1.5
# lines at least this share of the usual width are "full"; narrower texts (verse) are never called prose
_FULL_LINE = 0.75
_MIN_PROSE_MEASURE = 55


def read(data: bytes, name: str) -> ParsedWork:
    import pypdf  # imported here: only PDF ingestion pays for it
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns loudly about harmless damage
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            _decrypt(reader)
        pages = [_page_text(page) for page in reader.pages]
    except IngestError:
        raise
    except DependencyError as exc:
        raise IngestError(
            "encrypted PDF: reading it needs the 'cryptography' package (pip install cryptography)"
        ) from exc
    except FileNotDecryptedError as exc:
        raise IngestError("encrypted PDF: remove the password first") from exc
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        AssertionError,
        OSError,
        ZeroDivisionError,
    ) as exc:
        # pypdf raises all of these on damaged files
        raise IngestError(f"corrupt PDF: {exc}".split("\n")[0][:200]) from exc
    if not pages:
        raise IngestError("corrupt PDF: it has no pages")
    text = normalize_text("\n\n".join(page for page in pages if page))
    if not text.strip():
        raise IngestError("PDF has no text layer (a scan?): run OCR first")
    blocks = _wrapped_prose_as_paragraphs([b for b in blocks_from_plain_text(text) if b.kind != "break"])
    title, author = _info(reader)
    notes = (
        [] if all(pages) else [f"{sum(1 for p in pages if not p)} of {len(pages)} pages have no text (images only?)"]
    )
    return ParsedWork(blocks=blocks, form=guess_form(blocks), title=title, author=author, notes=notes)


def _decrypt(reader) -> None:
    """Owner-password-only PDFs (printing or copying restricted) open with an empty user password."""
    from pypdf import PasswordType

    if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise IngestError("encrypted PDF: remove the password first")


def _page_text(page) -> str:
    """pypdf's lines for one page, with a blank line at each paragraph-sized vertical gap."""
    lines: list[tuple[float | None, float, str]] = []  # (baseline y, font size, text)
    current: list[str] = []
    current_y: list[float | None] = [None]
    sizes: list[float] = []

    def visit(text: str, cm, tm, font_dict, font_size) -> None:
        pieces = text.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                lines.append((current_y[0], _median(sizes), "".join(current)))
                current.clear()
                current_y[0] = None
                sizes.clear()
            if piece.strip() and current_y[0] is None:
                current_y[0] = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                sizes.append(abs(font_size * (tm[3] or 1) * (cm[3] or 1)))
            current.append(piece)

    page.extract_text(visitor_text=visit)
    lines.append((current_y[0], _median(sizes), "".join(current)))
    return _with_paragraph_gaps(_drop_page_numbers([line for line in lines if line[2].strip()]))


def _drop_page_numbers(lines: list[tuple[float | None, float, str]]) -> list[tuple[float | None, float, str]]:
    if lines and _PAGE_NUMBER.match(lines[-1][2]):
        lines = lines[:-1]
    if lines and _PAGE_NUMBER.match(lines[0][2]):
        lines = lines[1:]
    return lines


def _with_paragraph_gaps(lines: list[tuple[float | None, float, str]]) -> str:
    ys = [y for y, _, _ in lines]
    gaps = [a - b for a, b in itertools.pairwise(ys) if a is not None and b is not None and a - b > 0]
    font = _median([size for _, size, _ in lines if size > 0])
    usual = min(statistics.median(gaps), 2 * font) if gaps and font else (statistics.median(gaps) if gaps else 0)
    out: list[str] = []
    for i, (y, _, text) in enumerate(lines):
        previous_y = lines[i - 1][0] if i else None
        if out and usual and y is not None and previous_y is not None:
            gap = previous_y - y
            if gap > _PARAGRAPH_GAP * usual or gap < -usual:  # a big gap, or a jump up to a new column
                out.append("")
        # justified lines come out with runs of spaces between words: layout, not text
        out.append(_INNER_SPACES.sub(" ", text.rstrip()))
    return "\n".join(out)


def _wrapped_prose_as_paragraphs(blocks: list[Block]) -> list[Block]:
    """A block whose lines all run to the text's full width (but the last) is wrapped prose, not verse.

    Only the kind changes, never the text: the lines stay as they are.
    """
    lengths = sorted(len(line) for b in blocks for line in b.text.split("\n"))
    if not lengths:
        return blocks
    measure = lengths[int(0.9 * (len(lengths) - 1))]  # the usual full-line width, in characters
    if measure < _MIN_PROSE_MEASURE:
        return blocks
    out = []
    for block in blocks:
        lines = block.text.split("\n")
        if block.kind == "stanza" and all(len(line) >= _FULL_LINE * measure for line in lines[:-1]):
            block = Block("paragraph", block.text)
        out.append(block)
    return out


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _info(reader) -> tuple[str | None, str | None]:
    try:
        info = reader.metadata
    except Exception:  # noqa: BLE001 - a damaged info dictionary must not cost the text
        return None, None
    if not info:
        return None, None

    def clean(value) -> str | None:
        text = normalize_text(str(value)).strip() if value else ""
        return text or None

    return clean(info.get("/Title")), clean(info.get("/Author"))
