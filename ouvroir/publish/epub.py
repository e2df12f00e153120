"""The published ebook: EPUB 3 written with ebooklib.

Spine: a title page with the QR code, the text, the colophon. The title page and the colophon are
``linear="no"`` (reading systems show them, readers reach them from the table of contents), so a
reader of the text alone, ouvroir's included, reads the document's text and nothing else.

Package metadata: title, language, the IPTC digital source type, the QR payload, the key id, and
the W3C TDMRep reservation (``tdm:reservation`` 1) unless the artist chose otherwise. Inside the
archive, ``EPUB/text.xhtml.provenance.json`` is the chapter's own signed sidecar: unzipped,
``ouvroir verify EPUB/text.xhtml`` checks it; the sidecar beside the .epub covers the whole file.
"""

from __future__ import annotations

import html
import uuid
from pathlib import Path

from . import qr
from .score import standalone
from .item import Item, Stamp, colophon_lines, label_sentence, ledger_rows, paragraphs, tr

TEXT_NAME = "text.xhtml"
SCORE_IMAGE = "score.svg"
PICTURE = "picture.png"
TDMREP = "http://www.w3.org/ns/tdmrep#"
CSS = b"""body{font-family:serif;line-height:1.5}h1{text-align:center;margin-top:3em}
.qr{text-align:center;margin-top:2em}.figure img{width:100%}.figure img[src$=".png"]{image-rendering:pixelated}.qr svg{width:10em;height:10em}.small{font-size:.85em}"""


def _page(title: str, lang: str, body: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="{lang}" xml:lang="{lang}">
<head><meta charset="utf-8"/><title>{html.escape(title)}</title><link rel="stylesheet" href="style.css" type="text/css"/></head>
<body>
{body}
</body>
</html>
""".encode("utf-8")


def text_page(item: Item) -> bytes:
    """The text alone: a paragraph per blank-line block, a ``<br/>`` per line break inside it."""
    e = html.escape
    body = "\n".join("<p>" + "<br/>\n".join(e(line) for line in lines) + "</p>" for lines in paragraphs(item.text))
    return _page(item.title, item.lang, body)


def _title_page(item: Item, stamp: Stamp) -> bytes:
    e, t = html.escape, tr(item)
    code = qr.svg(stamp.payload, t("qr_alt")).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    body = (f"<h1>{e(item.title)}</h1>\n<p class=\"small\">{e(label_sentence(item))}</p>\n"
            f"<div class=\"qr\">{code}<p class=\"small\">{e(t('qr_caption'))}</p></div>")  # fmt: skip
    return _page(item.title, item.lang, body)


def _colophon_page(item: Item, stamp: Stamp, file_name: str) -> bytes:
    e, t = html.escape, tr(item)
    rows = "".join(f"<li>{e(line)}</li>" for _, line in ledger_rows(item))
    lines = "".join(f"<p class=\"small\">{e(line)}</p>" for line in colophon_lines(item, stamp, file_name))
    body = f"<h2>{e(t('colophon'))}</h2>\n<h3>{e(t('authorship'))}</h3>\n<ul>{rows}</ul>\n{lines}"
    return _page(t("colophon"), item.lang, body)


def _image_page(item: Item, file: str, title: str, alt: str) -> bytes:
    """A page holding one image and no text (what a reader reads is the text chapter)."""
    return _page(title, item.lang, f'<div class="figure"><img src="{file}" alt="{html.escape(alt)}"/></div>')


def write(item: Item, stamp: Stamp, path: Path, inner_sidecar: bytes) -> None:
    """Write the book to ``path``; ``inner_sidecar`` is the signed manifest of ``text_page(item)``."""
    from ebooklib import epub

    t = tr(item)
    book = epub.EpubBook()
    book.set_identifier(f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'ouvroir:' + item.id + ':' + stamp.payload)}")
    book.set_title(item.title)
    book.set_language(item.lang)
    book.add_prefix("tdm", TDMREP)
    meta = {"ouvroir:digital-source-type": item.source_type or "none", "ouvroir:qr": stamp.payload,
            "ouvroir:key-id": stamp.key_id, "ouvroir:kind": item.kind}  # fmt: skip
    for name, value in meta.items():
        book.add_metadata(None, "meta", "", {"name": name, "content": value})
    book.add_metadata("DC", "description", label_sentence(item))
    if stamp.tdm_reservation:
        book.add_metadata(None, "meta", "1", {"property": "tdm:reservation"})
    style = epub.EpubItem(uid="style", file_name="style.css", media_type="text/css", content=CSS)
    title = epub.EpubItem(uid="title", file_name="title.xhtml", media_type="application/xhtml+xml",
                          content=_title_page(item, stamp))  # fmt: skip
    title.properties = ["svg"]
    text = epub.EpubItem(uid="text", file_name=TEXT_NAME, media_type="application/xhtml+xml", content=text_page(item))
    colophon = epub.EpubItem(uid="colophon", file_name="colophon.xhtml", media_type="application/xhtml+xml",
                             content=_colophon_page(item, stamp, path.name))  # fmt: skip
    sidecar = epub.EpubItem(uid="provenance", file_name=TEXT_NAME + ".provenance.json", media_type="application/json",
                            content=inner_sidecar)  # fmt: skip
    parts, spine, toc = [style, title, text, colophon, sidecar], ["text"], [epub.Link(TEXT_NAME, t("text"), "toc-text")]
    if item.score_svg is not None:  # a music sample: its engraved score first, an image (no text to read)
        parts += [epub.EpubItem(uid="score-image", file_name=SCORE_IMAGE, media_type="image/svg+xml",
                                content=standalone(item.score_svg)),
                  epub.EpubItem(uid="score", file_name="score.xhtml", media_type="application/xhtml+xml",
                                content=_image_page(item, SCORE_IMAGE, t("score"), t("score_alt", sample=item.id)))]  # fmt: skip
        spine.insert(0, "score")
        toc.insert(0, epub.Link("score.xhtml", t("score"), "toc-score"))
    if item.picture is not None:  # an image sample: the picture first, then the line naming its bytes
        parts += [epub.EpubItem(uid="picture-image", file_name=PICTURE, media_type="image/png", content=item.picture),
                  epub.EpubItem(uid="picture", file_name="picture.xhtml", media_type="application/xhtml+xml",
                                content=_image_page(item, PICTURE, t("picture"), t("picture_alt", sample=item.id)))]
        spine.insert(0, "picture")
        toc.insert(0, epub.Link("picture.xhtml", t("picture"), "toc-picture"))
    for part in parts:
        book.add_item(part)
    book.toc = [epub.Link("title.xhtml", item.title, "toc-title"), *toc,
                epub.Link("colophon.xhtml", t("colophon"), "toc-colophon")]  # fmt: skip
    book.add_item(epub.EpubNav())
    book.add_item(epub.EpubNcx())  # the spine's toc="ncx" (ebooklib writes it) must name one: epubcheck OPF-049
    book.spine = [("title", "no"), *spine, ("colophon", "no")]
    epub.write_epub(str(path), book, {"epub2_guide": False, "epub3_landmark": False, "play_order": {"enabled": False}})
