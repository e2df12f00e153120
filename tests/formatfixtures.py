"""Real files in every format ouvroir reads, built in code (no committed binaries, no third-party text).

Each ``write_*`` function writes one file at ``path`` and returns ``path``.
Text arguments may hold French typography: accents, ligatures (œ, ﬁ), « »,
’, non-breaking spaces. In paragraph lists, a ``"\\n"`` inside a string is a
line break within the paragraph (verse), an empty string is an empty
paragraph (how poets separate stanzas in a word processor), and a tuple
``("heading", text)`` is a level-1 heading.

    from tests.formatfixtures import write_docx
    write_docx(tmp_path / "poeme.docx", "Aube", "Zoé Lefèvre", ["Vers un,", "vers deux.", "", "Fin."])

Every builder also works with the path alone (sensible French defaults), so a
test can loop over builders: ``builder(folder / name)``.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

Paragraphs = Sequence["str | tuple[str, str]"]

DEFAULT_TITLE = "Le Jardin d’hiver"
DEFAULT_AUTHOR = "Zoé Lefèvre"
DEFAULT_POEM: list[str | tuple[str, str]] = [
    ("heading", "Décembre"),
    "Sous le givre « léger » la bêche s’endort,",
    "l’œuf du merle attend\u00a0; la ﬁn n’est pas proche.",
    "",
    "Et le jardinier, lui, compte ses graines\u202f!",
    "  Une à une, dans la paume.",
]
DEFAULT_CHAPTERS = [("Chapitre premier", ["Le givre tient les allées jusqu’à midi.", "Vers un,\nvers deux."]),
                    ("Chapitre second", ["La neige « enfin » est venue."])]  # fmt: skip

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/arial.ttf",
]

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _zip(path: Path, members: Sequence[tuple[str, str | bytes]]) -> Path:
    """Members in order; ``mimetype`` first and stored, as EPUB and ODF require."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            data = content.encode("utf-8") if isinstance(content, str) else content
            compression = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data, compress_type=compression)
    return path


# --- DOCX ---------------------------------------------------------------------------------------------------------


def write_docx(
    path: Path,
    title: str = DEFAULT_TITLE,
    author: str = DEFAULT_AUTHOR,
    paragraphs: Paragraphs = DEFAULT_POEM,
    footnote: str | None = None,
) -> Path:
    """A Word document; ``footnote`` adds a footnote to the first paragraph (its text must not be ingested)."""
    body = []
    for i, paragraph in enumerate(paragraphs):
        style, text = paragraph if isinstance(paragraph, tuple) else ("", paragraph)
        props = f'<w:pPr><w:pStyle w:val="{"Titre1" if style == "heading" else style}"/></w:pPr>' if style else ""
        runs = _docx_runs(text)
        if footnote and i == 0:
            runs += '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="1"/></w:r>'
        body.append(f"<w:p>{props}{runs}</w:p>")
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{_W}"><w:body>'
        f"{''.join(body)}<w:sectPr/></w:body></w:document>"
    )
    styles = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:styles xmlns:w="{_W}">'
        '<w:style w:type="paragraph" w:styleId="Titre1"><w:name w:val="heading 1"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="Titre2"><w:name w:val="heading 2"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="Titre"><w:name w:val="Title"/></w:style></w:styles>'
    )
    members: list[tuple[str, str]] = [
        ("[Content_Types].xml", _CONTENT_TYPES),
        ("_rels/.rels", _ROOT_RELS),
        ("word/document.xml", document),
        ("word/styles.xml", styles),
        ("docProps/core.xml", _core_xml(title, author)),
    ]
    if footnote:
        members.append(
            (
                "word/footnotes.xml",
                f'<w:footnotes xmlns:w="{_W}"><w:footnote w:id="1"><w:p><w:r><w:t>{escape(footnote)}</w:t></w:r>'
                + "</w:p></w:footnote></w:footnotes>",
            )
        )
    return _zip(path, members)


def _docx_runs(text: str) -> str:
    runs = []
    for i, line in enumerate(text.split("\n")):
        if i:
            runs.append("<w:r><w:br/></w:r>")
        for j, piece in enumerate(line.split("\t")):
            if j:
                runs.append("<w:r><w:tab/></w:r>")
            if piece:
                runs.append(f'<w:r><w:t xml:space="preserve">{escape(piece)}</w:t></w:r>')
    return "".join(runs)


def _core_xml(title: str, author: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>{escape(author)}</dc:creator></cp:coreProperties>"
    )


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)


def write_truncated_docx(path: Path) -> Path:
    """A Word document cut in half, as an interrupted download leaves it."""
    whole = io.BytesIO()
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "word/document.xml",
            f'<w:document xmlns:w="{_W}"><w:body><w:p><w:r><w:t>{"mot " * 500}</w:t></w:r></w:p></w:body></w:document>',
        )
        archive.writestr("docProps/core.xml", _core_xml("Tronqué", "Anonyme"))
    data = whole.getvalue()
    path.write_bytes(data[: len(data) // 2])
    return path


def write_zip_bomb_docx(path: Path, megabytes: int = 300, honest_header: bool = True) -> Path:
    """A ~300 KB .docx whose word/document.xml inflates to ``megabytes`` MB of zeros.

    Built without compressing 300 MB: one fully flushed deflate block of 1 MB of
    zeros decompresses on its own, so the member is that block repeated. With
    ``honest_header=False`` the headers claim 1 KB, as a hostile file would.
    """
    chunk = 1 << 20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b"\0" * chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    deflated = block * megabytes + b"\x03\x00"  # an empty final block ends the stream
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(b"\0" * chunk, crc)
    size = megabytes * chunk if honest_header else 1024
    name = b"word/document.xml"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(deflated), size, len(name), 0)
    central = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(deflated), size, len(name), 0, 0, 0, 0, 0, 0
    )
    directory = central + name
    offset = len(local) + len(name) + len(deflated)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(directory), offset, 0)
    path.write_bytes(local + name + deflated + directory + end)
    return path


write_zip_bomb = write_zip_bomb_docx  # the name the ingest zoo test looks for


# --- ODT ----------------------------------------------------------------------------------------------------------

_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
)


def write_odt(
    path: Path,
    title: str = DEFAULT_TITLE,
    author: str = DEFAULT_AUTHOR,
    paragraphs: Paragraphs = DEFAULT_POEM,
    footnote: str | None = None,
) -> Path:
    """A LibreOffice text document; runs of spaces become ``text:s``, as LibreOffice writes them."""
    body = []
    for i, paragraph in enumerate(paragraphs):
        style, text = paragraph if isinstance(paragraph, tuple) else ("", paragraph)
        inline = _odt_inline(text)
        if footnote and i == 0:
            inline += (
                '<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation>'
                f"<text:note-body><text:p>{escape(footnote)}</text:p></text:note-body></text:note>"
            )
        if style == "heading":
            body.append(f'<text:h text:outline-level="1">{inline}</text:h>')
        else:
            body.append(f"<text:p>{inline}</text:p>")
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS}><office:body><office:text>'
        f"\n  {''.join(body)}\n</office:text></office:body></office:document-content>"
    )
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {_ODF_NS}><office:meta>'
        f"<dc:title>{escape(title)}</dc:title><meta:initial-creator>{escape(author)}</meta:initial-creator>"
        "<dc:creator>Dernier relecteur</dc:creator><dc:language>fr-FR</dc:language>"
        "</office:meta></office:document-meta>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        "</manifest:manifest>"
    )
    return _zip(path, [("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", content),
                       ("meta.xml", meta), ("META-INF/manifest.xml", manifest)])  # fmt: skip


def _odt_inline(text: str) -> str:
    import re

    out = []
    for i, line in enumerate(text.split("\n")):
        if i:
            out.append("<text:line-break/>")
        for j, piece in enumerate(line.split("\t")):
            if j:
                out.append("<text:tab/>")
            # the first space of a run is text, the rest text:s (a run at the start is all text:s)
            out.append(
                re.sub(
                    r"(^ +| {2,})",
                    lambda m: (
                        (" " if m.start() else "") + f'<text:s text:c="{len(m.group(0)) - (1 if m.start() else 0)}"/>'
                    ),
                    escape(piece),
                )
            )
    return "".join(out)


# --- EPUB ---------------------------------------------------------------------------------------------------------


def write_epub(path: Path, title: str = DEFAULT_TITLE, author: str = DEFAULT_AUTHOR,
               chapters: Sequence[tuple[str, Sequence[str]]] = DEFAULT_CHAPTERS, tdm_reservation: bool = False,
               language: str = "fr") -> Path:  # fmt: skip
    """An EPUB 3: ``chapters`` are (heading, paragraphs); spine order is the list order.

    Each chapter file also holds a script and a footnote reference, which must not be ingested; a nav
    document (the table of contents) is in the spine and must be skipped.
    """
    tdm = '<meta property="tdm:reservation">1</meta>' if tdm_reservation else ""
    items, refs, members = [], [], []
    for i, (heading, paragraphs) in enumerate(chapters, 1):
        paras = "".join(f"<p>{'<br/>'.join(escape(line) for line in p.split(chr(10)))}</p>" for p in paragraphs)
        xhtml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
            f"<head><title>{escape(heading)}</title><script>var secret = 'ne pas lire';</script></head>"
            f'<body><h1>{escape(heading)}</h1>{paras}<p><a epub:type="noteref" href="#n{i}">{i}</a></p></body></html>'
        )
        # files named in reverse so that archive order differs from spine order
        name = f"text/ch{len(chapters) - i:02d}.xhtml"
        members.append((f"OEBPS/{name}", xhtml))
        items.append(f'<item id="c{i}" href="{name}" media-type="application/xhtml+xml"/>')
        refs.append(f'<itemref idref="c{i}"/>')
    nav = (
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><nav><ol><li>Sommaire</li></ol></nav>'
        "<p>Table des matières</p></body></html>"
    )
    opf = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id" '
        'prefix="tdm: http://www.w3.org/ns/tdmrep#">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:identifier id="id">urn:uuid:0</dc:identifier><dc:title>{escape(title)}</dc:title>'
        f"<dc:creator>{escape(author)}</dc:creator><dc:language>{language}</dc:language>{tdm}</metadata>"
        '<manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
        f"{''.join(items)}</manifest>"
        f'<spine><itemref idref="nav"/>{"".join(refs)}</spine></package>'
    )
    return _zip(path, [("mimetype", "application/epub+zip"), ("META-INF/container.xml", _CONTAINER),
                       ("OEBPS/content.opf", opf), ("OEBPS/nav.xhtml", nav), *members])  # fmt: skip


_CONTAINER = (
    '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
    '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
    "</rootfiles></container>"
)


def write_epub_with_parent_member(path: Path) -> Path:
    """An EPUB whose archive holds a member named ``../evil.xhtml`` (a path-traversal attempt)."""
    opf = (
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:title>Piège</dc:title></metadata><manifest>"
        '<item id="x" href="../evil.xhtml" media-type="application/xhtml+xml"/></manifest>'
        '<spine><itemref idref="x"/></spine></package>'
    )
    return _zip(path, [("mimetype", "application/epub+zip"), ("META-INF/container.xml", _CONTAINER),
                       ("OEBPS/content.opf", opf),
                       ("../evil.xhtml", "<html><body><p>Ailleurs.</p></body></html>")])  # fmt: skip


# --- PDF ----------------------------------------------------------------------------------------------------------


def unicode_font() -> str | None:
    return next((f for f in FONT_CANDIDATES if Path(f).exists()), None)


def write_pdf(path: Path, text: str = "\n".join(p for p in DEFAULT_POEM if isinstance(p, str)),
              title: str | None = DEFAULT_TITLE, author: str | None = DEFAULT_AUTHOR) -> Path:  # fmt: skip
    """A text PDF (fpdf2): blank lines in ``text`` become vertical gaps. Without a Unicode TTF font on the
    machine, the core Helvetica font is used and characters outside latin-1 are replaced by '?'."""
    path.write_bytes(_pdf_bytes(text, title, author))
    return path


def _pdf_bytes(text: str, title: str | None = None, author: str | None = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    font = unicode_font()
    if font:
        pdf.add_font("Body", fname=font)
        pdf.set_font("Body", size=12)
    else:
        pdf.set_font("Helvetica", size=12)
        text = text.encode("latin-1", "replace").decode("latin-1")
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.multi_cell(0, 7, text, align="L")
    return bytes(pdf.output())


def write_encrypted_pdf(path: Path, user_password: str = "secret", owner_only: bool = False) -> Path:
    """A PDF locked with a user password (or, with ``owner_only``, only restricted: readable without one)."""
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(_pdf_bytes("Texte verrouillé."))))
    # RC4-128: pypdf decrypts it without the optional 'cryptography' package
    writer.encrypt(user_password="" if owner_only else user_password, owner_password="owner-" + user_password,
                   algorithm="RC4-128")  # fmt: skip
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())
    return path


def write_image_only_pdf(path: Path) -> Path:
    """A one-page PDF with a drawing and no text layer, like a scan before OCR."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    path.write_bytes(bytes(pdf.output()))
    return path


# --- HTML and TEI -------------------------------------------------------------------------------------------------


def write_html(
    path: Path, title: str = "Les Heures", author: str = "Zoé Lefèvre", tdm_reservation: bool = False
) -> Path:
    """A web page with a poem (lines separated by <br>), a prose paragraph, and navigation, script and
    footer text that must not be ingested."""
    tdm = '<meta name="tdm-reservation" content="1">' if tdm_reservation else ""
    page = f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta name="author" content="{escape(author)}">{tdm}<style>p {{ color: black; }}</style></head>
<body><nav><a href="/">Accueil</a></nav>
<h1>Première heure</h1>
<p>Le cœur à l’aube « déjà » s’éveille,<br>
   l’œil ouvert sur la fenêtre\u00a0;<br>
&nbsp;&nbsp;la ﬁn du jour n’est pas encore.</p>
<script>document.write("ne pas lire");</script>
<p>Une phrase de prose,   avec des espaces
en trop, qui tient sur une ligne.</p>
<footer>© le site</footer></body></html>"""
    path.write_text(page, encoding="utf-8")
    return path


def write_tei_play(path: Path) -> Path:
    """A short TEI P5 play in French: an act, a scene, a stage direction, two speeches (verse and prose),
    an editorial note and a cast list that must not be ingested."""
    tei = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader><fileDesc>
    <titleStmt><title>La Veillée</title><author>Zoé Lefèvre</author></titleStmt>
    <publicationStmt><p>Inédit.</p></publicationStmt><sourceDesc><p>Écrit pour les tests.</p></sourceDesc>
  </fileDesc></teiHeader>
  <text xml:lang="fr">
    <front><castList><castItem>JULIE, une veilleuse</castItem></castList></front>
    <body>
      <div type="act"><head>ACTE I</head>
        <div type="scene"><head>Scène 1</head>
          <stage>Une cuisine, la nuit.</stage>
          <sp who="#julie"><speaker>JULIE</speaker>
            <l>Le feu s’éteint<note>Note de l’éditrice.</note> dans l’âtre «&#160;noir&#160;»,</l>
            <l>et l’œuf attend le jour.</l>
            <stage>Elle s’assied.</stage>
          </sp>
          <sp who="#marc"><speaker>MARC</speaker>
            <p>Dors donc, il est tard ; la ﬁn viendra bien assez tôt.</p>
          </sp>
        </div>
      </div>
    </body>
  </text>
</TEI>
"""
    path.write_text(tei, encoding="utf-8")
    return path
