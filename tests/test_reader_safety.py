"""XML-based readers under attack: DTD entities are refused, deep nesting is said, titles and authors stay one visible line.

Files are built in code (tests/formatfixtures.py), then one member is altered the way an attacker would.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import IngestError
from ouvroir.media.formats import reader_for
from ouvroir.workshop.studio import Studio
from tests.formatfixtures import write_docx, write_epub, write_odt

LAUGHS = '<!ENTITY a "haha">' + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
REFUSED = "it declares a DTD with entities, which ouvroir never expands"
DEEP = 200_000


def altered(source: Path, target: Path, member: str, change) -> Path:
    """A copy of the archive ``source`` with ``member`` passed through ``change(text) -> text``."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info, change(data.decode("utf-8")).encode("utf-8") if info.filename == member else data)
    return target


def read(path: Path):
    return reader_for(path.suffix)(path.read_bytes(), path.name)


def test_an_epub_chapter_with_a_billion_laughs_dtd_is_refused_naming_the_chapter(tmp_path: Path):
    epub = altered(write_epub(tmp_path / "a.epub"), tmp_path / "rire.epub", "OEBPS/text/ch01.xhtml",
                   lambda s: s.replace("<!DOCTYPE html>", f"<!DOCTYPE html [{LAUGHS}]>").replace("Le givre", "&j; Le givre"))  # fmt: skip
    with pytest.raises(IngestError) as refused:
        read(epub)  # was stored as "]> Chapitre premier ... &j; Le givre..."
    assert str(refused.value) == f"refused the EPUB chapter OEBPS/text/ch01.xhtml: {REFUSED}"


def test_a_docx_with_an_external_entity_is_refused_instead_of_losing_text(tmp_path: Path):
    docx = altered(write_docx(tmp_path / "a.docx", paragraphs=["Avant la fin."]), tmp_path / "xxe.docx",
                   "word/document.xml", lambda s: s.replace('standalone="yes"?>', 'standalone="yes"?><!DOCTYPE w:document '
                   '[<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace("Avant la", "Avant &xxe; la"))  # fmt: skip
    with pytest.raises(IngestError, match=rf"^refused word/document\.xml: {REFUSED}$"):
        read(docx)  # was read as "Avant": the rest of the paragraph silently lost


def test_html_tei_musicxml_and_odt_declaring_entities_are_refused(tmp_path: Path):
    html = f'<!DOCTYPE html [{LAUGHS}]><html><body><p>&j; Le givre</p></body></html>'.encode()
    with pytest.raises(IngestError, match=rf"^refused the HTML file: {REFUSED}$"):
        reader_for(".html")(html, "rire.html")
    tei = b'<!DOCTYPE TEI [<!ENTITY n "Nuit">]><TEI><text><body><p>&n; noire</p></body></text></TEI>'
    with pytest.raises(IngestError, match=rf"^refused the XML file: {REFUSED}$"):
        reader_for(".tei")(tei, "nuit.tei")
    score = b'<!DOCTYPE score-partwise [<!ENTITY t "x">]><score-partwise><part-list/></score-partwise>'
    with pytest.raises(IngestError, match=rf"^refused the MusicXML file: {REFUSED}$"):
        reader_for(".musicxml")(score, "s.musicxml")
    odt = altered(write_odt(tmp_path / "a.odt"), tmp_path / "b.odt", "content.xml",
                  lambda s: s.replace("?>", '?><!DOCTYPE office:document-content [<!ENTITY e "x">]>', 1))  # fmt: skip
    with pytest.raises(IngestError, match=rf"^refused content\.xml: {REFUSED}$"):
        read(odt)


@pytest.mark.parametrize(
    ("name", "document"),
    [("deep.html", f"<html><body><p>Avant</p>{'<div>' * DEEP}Profond{'</div>' * DEEP}</body></html>"),
     ("deep.xhtml", f'<html xmlns="http://www.w3.org/1999/xhtml"><body>{"<div>" * DEEP}Profond{"</div>" * DEEP}</body></html>'),
     ("deep.tei", f'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>{"<div>" * DEEP}<p>x</p>{"</div>" * DEEP}</body></text></TEI>')],
)  # fmt: skip
def test_deep_nesting_is_said_not_read_as_no_text(name: str, document: str):
    what = "the XML file" if name.endswith(".tei") else "the HTML file"
    with pytest.raises(IngestError, match=rf"^refused {what}: nested too deeply \(elements over 256 levels down\)$"):
        reader_for(Path(name).suffix)(document.encode(), name)


def test_a_deep_docx_is_said_too(tmp_path: Path):
    docx = altered(write_docx(tmp_path / "a.docx"), tmp_path / "deep.docx", "word/document.xml",
                   lambda s: s.replace("<w:body>", "<w:body>" + "<w:sdt>" * 300).replace("<w:sectPr/>", "</w:sdt>" * 300 + "<w:sectPr/>"))  # fmt: skip
    with pytest.raises(IngestError, match=r"^refused word/document\.xml: nested too deeply"):
        read(docx)


def test_titles_and_authors_lose_line_breaks_and_bidi_overrides(studio: Studio, tmp_path: Path):
    page = tmp_path / "page.html"
    page.write_text('<html><head><title>Aube\u202e\ntxt.exe</title><meta name="author" content="Ada\u2028Martin\u200b">'
                    "</head><body><p>Le givre\u00a0!</p></body></html>", encoding="utf-8")  # fmt: skip
    named = tmp_path / "Le\u202e soir\ndu\u00a0jour.html"
    named.write_text("<p>Rien ne bouge.</p>", encoding="utf-8")
    report = studio.add([page, named], AddOptions())
    works = [o.work for o in report.outcomes]
    assert [(w.title, w.author) for w in works] == [("Aube txt.exe", "Ada Martin"), ("Le soir du\u00a0jour", None)]
    assert all("\n" not in o.message and "\u202e" not in o.message for o in report.outcomes)
