"""The printable PDF, written with fpdf2: French typography, the QR on the first page, the colophon, XMP.

Pages: the title page (title, AI label, QR code), the text from page 2, the colophon on a page of
its own. The outline has two entries, the text and the colophon, in that order: ``verify --qr``
reads the text from the pages between them and compares it with the hash the QR code signs.

The font is DejaVu Serif (DejaVu Sans where a character is missing from it), read from matplotlib's
own copy, a dependency already, or Debian's ``fonts-dejavu-core``: no font file is shipped with
ouvroir. A character neither has is named before anything is written.

XMP: ``dc:title``, ``dc:description`` (the AI label in words), ``xmp:CreatorTool``, the IPTC
``Iptc4xmpExt:DigitalSourceType`` (the marking the EU AI Act's Article 50(2) asks of generated
content) and the ledger's summary in ouvroir's own namespace.
"""

from __future__ import annotations

import html
import importlib.util
import io
import re
from datetime import datetime, timezone
from collections.abc import Iterator
from pathlib import Path

from ..errors import PublishError
from ..i18n import NBSP, NNBSP
from ..version import __version__
from . import qr
from .item import Item, Stamp, colophon_lines, label_sentence, ledger_rows, paragraphs, printable, tr

FONTS = ("DejaVuSerif.ttf", "DejaVuSans.ttf")
DEBIAN_FONTS = Path("/usr/share/fonts/truetype/dejavu")
OUVROIR_NS = "https://ouvroir.invalid/ns/publish/1.0/"  # a name, never fetched
_BEFORE = r"(?<=[\w»)\]\"'’.…])"  # what a French high punctuation mark follows


def french(text: str) -> str:
    """Non-breaking spaces where French typography wants them: narrow before ; ! ? and inside « », plain before :.

    >>> french("Quoi ? « oui » ; non: 10:30") == "Quoi\\u202f? «\\u202foui\\u202f»\\u202f; non\\u00a0: 10:30"
    True
    """
    text = re.sub(_BEFORE + r"[ \u00a0\u202f]?([;!?])", NNBSP + r"\1", text)
    text = re.sub(_BEFORE + r"[ \u00a0]?:(?=\s|$)", NBSP + ":", text)
    text = re.sub(r"«[ \u00a0\u202f]?(?=\S)", "«" + NNBSP, text)
    return re.sub(r"(?<=\S)[ \u00a0\u202f]?»", NNBSP + "»", text)


def font_paths() -> Iterator[Path]:
    spec = importlib.util.find_spec("matplotlib")  # finds the package without importing it
    folders = [Path(p) / "mpl-data" / "fonts" / "ttf" for p in (spec.submodule_search_locations or [])] if spec else []
    for name in FONTS:
        found = next((f / name for f in [*folders, DEBIAN_FONTS] if (f / name).is_file()), None)
        if found is None:
            raise PublishError(f"no {name} for the PDF: install matplotlib (a dependency of ouvroir) or Debian's "
                               "fonts-dejavu-core, or leave pdf out of --formats")  # fmt: skip
        yield found


def missing_characters(text: str, fonts: list[Path]) -> list[str]:
    from fontTools.ttLib import TTFont

    covered: set[int] = set()
    for path in fonts:
        with TTFont(str(path), lazy=True) as font:
            covered |= set(font.getBestCmap())
    return list(dict.fromkeys(c for c in text if not c.isspace() and ord(c) not in covered and ord(c) >= 0x20))


def check_font(item: Item) -> list[Path]:
    """The fonts to write ``item`` with; refuses, naming them, characters no font has."""
    fonts = list(font_paths())
    missing = missing_characters(item.title + item.text, fonts)
    if missing:
        named = ", ".join(f"{c!r} U+{ord(c):04X}" for c in missing[:12]) + (" …" if len(missing) > 12 else "")
        raise PublishError(f"the PDF's fonts (DejaVu Serif, DejaVu Sans) lack {len(missing)} character(s) of "
                           f"{item.title!r}: {named}; leave pdf out of --formats or replace them")  # fmt: skip
    return fonts


def xmp(item: Item, stamp: Stamp) -> str:
    e, summary = html.escape, item.summary
    source = f"<Iptc4xmpExt:DigitalSourceType>{e(item.source_type)}</Iptc4xmpExt:DigitalSourceType>" if item.source_type else ""
    shares = "".join(f"<ouvroir:{c}>{summary[c]}</ouvroir:{c}><ouvroir:{c}Share>{summary['shares'][c]}</ouvroir:{c}Share>"
                     for c in ("written", "generated", "edited"))  # fmt: skip
    return f"""<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
 xmlns:ouvroir="{OUVROIR_NS}">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{e(item.title)}</rdf:li></rdf:Alt></dc:title>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{e(label_sentence(item))}</rdf:li></rdf:Alt></dc:description>
<dc:language><rdf:Bag><rdf:li>{e(item.lang)}</rdf:li></rdf:Bag></dc:language>
<xmp:CreatorTool>ouvroir {e(__version__)}</xmp:CreatorTool>
<pdf:Producer>ouvroir {e(__version__)}</pdf:Producer>
{source}
<ouvroir:kind>{e(item.kind)}</ouvroir:kind><ouvroir:qr>{e(stamp.payload)}</ouvroir:qr><ouvroir:keyId>{e(stamp.key_id)}</ouvroir:keyId>
<ouvroir:chars>{summary['chars']}</ouvroir:chars>{shares}
<ouvroir:tdmReservation>{1 if stamp.tdm_reservation else 0}</ouvroir:tdmReservation>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>"""


def _display(item: Item, text: str) -> str:
    text = printable(text)
    return french(text) if item.lang == "fr" else text


def render(item: Item, stamp: Stamp, file_name: str, fonts: list[Path]) -> bytes:
    from fpdf import FPDF

    t = tr(item)
    pdf = FPDF(format=(148, 210), unit="mm")  # A5
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_margins(16, 16, 16)
    pdf.add_font("serif", "", str(fonts[0]))
    pdf.add_font("sans", "", str(fonts[1]))
    pdf.set_fallback_fonts(["sans"])
    pdf.set_title(item.title)
    pdf.set_lang(item.lang)
    pdf.set_creator(f"ouvroir {__version__}")
    pdf.set_producer(f"ouvroir {__version__}")
    pdf.set_subject(label_sentence(item))
    pdf.set_creation_date(datetime.fromisoformat(stamp.created.replace("Z", "+00:00")).astimezone(timezone.utc))
    pdf.set_xmp_metadata(xmp(item, stamp))
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.add_page()  # the title page
    pdf.set_font("serif", size=20)
    pdf.ln(20)
    pdf.multi_cell(width, 10, _display(item, item.title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("sans", size=8.5)
    pdf.multi_cell(width, 4.5, _display(item, label_sentence(item)), align="C", new_x="LMARGIN", new_y="NEXT")
    side = 44
    pdf.image(io.BytesIO(qr.png(stamp.payload)), x=(pdf.w - side) / 2, y=pdf.get_y() + 8, w=side, h=side)
    pdf.set_y(pdf.get_y() + side + 10)
    pdf.multi_cell(width, 4.5, _display(item, t("qr_caption")), align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()  # the text (a music sample: its score, then the events it is engraved from)
    pdf.start_section(t("text"))
    if item.score_svg is not None:
        _score(pdf, item, width)
    elif item.picture is not None:
        _picture(pdf, item, width)
    else:
        pdf.set_font("serif", size=11)
        for lines in paragraphs(item.text):
            pdf.multi_cell(width, 5.6, _display(item, "\n".join(lines)), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)

    pdf.add_page()  # the colophon
    pdf.start_section(t("colophon"))
    pdf.set_font("serif", size=14)
    pdf.multi_cell(width, 8, t("colophon"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sans", size=8.5)
    pdf.multi_cell(width, 5, _display(item, t("authorship")), new_x="LMARGIN", new_y="NEXT")
    for _, line in ledger_rows(item):
        pdf.multi_cell(width, 4.5, _display(item, line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for line in colophon_lines(item, stamp, file_name):
        pdf.multi_cell(width, 4.5, _display(item, line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    return bytes(pdf.output())


def _score(pdf, item: Item, width: float) -> None:
    """The engraved score as vectors, then the event text in small print: what ``verify --qr`` reads back
    (the score's drawing holds no text)."""
    from .score import place

    place(pdf, item.score_svg, width)
    pdf.set_font("sans", size=7)  # no heading: every letter of this section is compared with the code's hash
    for lines in paragraphs(item.text):
        pdf.multi_cell(width, 3.2, printable("\n".join(lines)), new_x="LMARGIN", new_y="NEXT")


def _picture(pdf, item: Item, width: float) -> None:
    """The picture as wide as the text, its pixels kept sharp, then the line naming its bytes (what the code signs)."""
    from PIL import Image

    with Image.open(io.BytesIO(item.picture)) as image:
        w, h = image.size
        # a 16-pixel image drawn 10 cm wide: enlarged here by whole pixels, so no reader smooths it into a blur
        factor = max(1, 512 // max(w, h))
        big = image.convert("RGB").resize((w * factor, h * factor), Image.NEAREST)
    side = min(width, (pdf.h - pdf.t_margin - pdf.b_margin - 20) * w / h)
    pdf.image(big, x=pdf.l_margin + (width - side) / 2, y=pdf.get_y(), w=side, h=side * h / w)
    pdf.set_y(pdf.get_y() + side * h / w + 4)
    pdf.set_font("sans", size=7)
    pdf.multi_cell(width, 3.5, printable(item.text), align="C", new_x="LMARGIN", new_y="NEXT")


def text_pages(path: Path) -> str:
    """The text the PDF prints, read back: the pages from the outline's first entry up to its second."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        outline = [reader.get_destination_page_number(entry) for entry in reader.outline if not isinstance(entry, list)]
        if len(outline) < 2:
            raise PublishError(f"{path.name} has no ouvroir outline (text, colophon): not a PDF ouvroir published")
        return "\n".join(reader.pages[i].extract_text() for i in range(outline[0], outline[1]))
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise PublishError(f"{path.name} cannot be read as a PDF ({exc})") from exc
