"""Ingest: real files in, normalized text out; bad files refused one by one; nothing half-written."""

from __future__ import annotations

import errno
import importlib
import importlib.util
import os
import random
import re
import sqlite3
import unicodedata
from pathlib import Path

import pytest

from ouvroir.corpus import files as files_module
from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import IngestError
from ouvroir.media.formats import txt as txt_reader
from ouvroir.store import works as store
from ouvroir.store.blobs import sha256_bytes
from ouvroir.workshop.studio import Studio
from tests.conftest import SHARED, needs_shared


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes(path, text.encode(encoding))


def add_one(studio: Studio, path: Path, **options) -> store.Work:
    report = studio.add([path], AddOptions(**options))
    outcome = report.outcomes[0]
    assert outcome.status == "added", outcome.message
    return outcome.work


def store_is_consistent(studio: Studio) -> None:
    """`check` passes, and no blob file exists that no row references (check itself cannot see those)."""
    report = studio.check()
    assert report.ok, report.problems
    on_disk = studio.blobs.all_hashes()
    rows = {r[0] for r in studio.conn.execute("SELECT sha256 FROM blobs")}
    assert on_disk == rows == store.referenced_blobs(studio.conn)


# -- Acceptance 3: the same French texts in the encodings they are found in -----------------

FRENCH = {
    "baudelaire": "poetry/baudelaire/les_fleurs_du_mal.txt",  # only Latin-1 characters
    "hugo": "poetry/hugo/les_orientales.txt",  # has œ, — and …: cp1252 but not Latin-1
    "flaubert": "prose/flaubert/herodias_1877.txt",  # prose, œ and non-breaking spaces
}

# (text, Python codec used to write the copy, label ouvroir must report)
ENCODED_COPIES = [
    ("baudelaire", "latin-1", "latin-1"),
    # Les Fleurs du mal has no character of cp1252's 0x80-0x9F range, so its cp1252 bytes are
    # exactly its Latin-1 bytes and "latin-1" is the honest answer.
    ("baudelaire", "cp1252", "latin-1"),
    ("baudelaire", "utf-16", "UTF-16 LE"),  # Python's utf-16 writes a BOM, little-endian here
    ("baudelaire", "utf-16-be-bom", "UTF-16 BE"),
    ("baudelaire", "utf-8-sig", "UTF-8 with BOM"),
    # Hugo and Flaubert use œ (and Hugo — and …), which exist in cp1252 (0x9C, 0x97, 0x85) but not in
    # Latin-1: their cp1252 copy must be detected as cp1252, and they have no Latin-1 copy at all
    # (see test_latin1_cannot_hold_oe).
    ("hugo", "cp1252", "cp1252"),
    ("hugo", "utf-16", "UTF-16 LE"),
    ("hugo", "utf-8-sig", "UTF-8 with BOM"),
    ("flaubert", "cp1252", "cp1252"),
    ("flaubert", "utf-16", "UTF-16 LE"),
    ("flaubert", "utf-8-sig", "UTF-8 with BOM"),
]


def encode(text: str, codec: str) -> bytes:
    if codec == "utf-16-be-bom":
        return b"\xfe\xff" + text.encode("utf-16-be")
    return text.encode(codec)


@pytest.fixture(scope="module")
def utf8_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The normalized text ouvroir stores for each UTF-8 original."""
    if not SHARED.is_dir():
        pytest.skip("needs ../shared/corpora (present in CI, absent in a user's clone)")
    studio = Studio.init(tmp_path_factory.mktemp("reference") / "studio")
    texts = {}
    for key, rel in FRENCH.items():
        work = add_one(studio, SHARED / "french" / rel)
        assert work.encoding == "utf-8"
        texts[key] = studio.text(work)
    studio.close()
    return texts


@needs_shared
@pytest.mark.parametrize(("key", "codec", "label"), ENCODED_COPIES, ids=[f"{k}-{c}" for k, c, _ in ENCODED_COPIES])
def test_encoded_copies_ingest_to_the_same_text(
    studio: Studio, tmp_path: Path, utf8_reference: dict[str, str], key: str, codec: str, label: str
):
    source = SHARED / "french" / FRENCH[key]
    original = source.read_text(encoding="utf-8")
    data = encode(original, codec)
    if label == "cp1252":
        # The copy really uses a character that only cp1252 has (œ is byte 0x9C there, absent from Latin-1).
        assert "œ" in original and b"\x9c" in data
    copy = write_bytes(tmp_path / codec / source.name, data)  # same file name: same title

    work = add_one(studio, copy)
    assert work.encoding == label
    assert studio.text(work) == utf8_reference[key]
    assert work.text_sha256 == sha256_bytes(utf8_reference[key].encode("utf-8"))
    assert work.original_sha256 == sha256_bytes(data)  # the original bytes are kept as they were
    assert studio.blobs.get(work.original_sha256) == data


@needs_shared
def test_latin1_cannot_hold_oe():
    """Why Hugo and Flaubert have no Latin-1 copy above: Latin-1 has no œ, so the copy would lose text."""
    for key in ("hugo", "flaubert"):
        text = (SHARED / "french" / FRENCH[key]).read_text(encoding="utf-8")
        assert "œ" in text
        with pytest.raises(UnicodeEncodeError):
            text.encode("latin-1")


@needs_shared
def test_copies_in_other_encodings_are_duplicates_of_the_original(studio: Studio, tmp_path: Path):
    source = SHARED / "french" / FRENCH["hugo"]
    original = add_one(studio, source)
    text = source.read_text(encoding="utf-8")
    paths = [
        write_bytes(tmp_path / "copies" / f"orientales-{codec}.txt", encode(text, codec))
        for codec in ("cp1252", "utf-16", "utf-8-sig")
    ]
    report = studio.add(paths)
    assert [o.status for o in report.outcomes] == ["duplicate"] * 3
    assert all(o.work.id == original.id for o in report.outcomes)
    assert [w.id for w in studio.works()] == [original.id]


# -- small texts we write ourselves ----------------------------------------------------------


def test_crlf_and_cr_line_ends_become_lf(studio: Studio, tmp_path: Path):
    lines = ["La pluie sur le toit", "compte les heures lentes,", "", "et la lampe veille."]
    expected = "\n".join(lines)
    work = add_one(studio, write(tmp_path / "pluie.txt", "\r\n".join(lines) + "\r\n"))
    assert studio.text(work) == expected
    other = add_one(studio, write(tmp_path / "mac.txt", "\r".join(lines).replace("pluie", "neige") + "\r"))
    assert studio.text(other) == expected.replace("pluie", "neige")


def test_nfd_input_is_stored_nfc(studio: Studio, tmp_path: Path):
    nfc = "Éloïse a vu l’été naître\nprès du cañon, à Noël."
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc  # the file really is decomposed (as macOS file systems and some editors write)
    work = add_one(studio, write(tmp_path / "eloise.txt", nfd), title=unicodedata.normalize("NFD", "Éloïse"))
    text = studio.text(work)
    assert text == nfc and unicodedata.is_normalized("NFC", text)
    assert work.title == "Éloïse"
    assert work.chars == len(nfc)


def test_ligatures_quotes_and_nonbreaking_spaces_are_kept(studio: Studio, tmp_path: Path):
    text = (
        "«\u00a0Le cœur a ses raisons\u00a0», dit l’Œdipe du quartier\u202f; puis\u00a0: “ﬁn”.\n"
        "Une ﬂeur — ou deux… — pour ‘elle’\u00a0?"
    )
    work = add_one(studio, write(tmp_path / "coeur.txt", text + "\n"))
    stored = studio.text(work)
    assert stored == text
    for char in ("œ", "Œ", "ﬁ", "ﬂ", "«", "»", "“", "”", "‘", "’", "—", "…", "\u00a0", "\u202f"):
        assert stored.count(char) == text.count(char) > 0, char


def test_trailing_spaces_and_long_blank_runs_are_normalized(studio: Studio, tmp_path: Path):
    work = add_one(studio, write(tmp_path / "vide.txt", "\n\nPremier vers   \n\n\n\n\n\nSecond vers\t\n\n"))
    assert studio.text(work) == "Premier vers\n\n\nSecond vers"


GUTENBERG_BODY = "PETITES ODES\n\n  Le vent du soir passe\n  sur les toits de zinc.\n\n  La ville se tait."
FAKE_GUTENBERG = (
    "The Project Gutenberg eBook of Petites Odes\r\n\r\n"
    "This ebook is for the use of anyone anywhere (a fake header written for ouvroir's tests).\r\n\r\n"
    "Title: Petites Odes\r\nAuthor: Jeanne Essai\r\nLanguage: French\r\n\r\n"
    "*** START OF THE PROJECT GUTENBERG EBOOK PETITES ODES ***\r\n\r\n"
    + GUTENBERG_BODY.replace("\n", "\r\n")
    + "\r\n\r\n*** END OF THE PROJECT GUTENBERG EBOOK PETITES ODES ***\r\n\r\n"
    "Section 1. General Terms of Use (fake licence text)\r\n" + "Redistribution terms, repeated.\r\n" * 40
)


def test_gutenberg_header_and_footer_are_stripped_and_reported(studio: Studio, tmp_path: Path):
    work = add_one(studio, write(tmp_path / "petites_odes.txt", FAKE_GUTENBERG))
    text = studio.text(work)
    assert text == GUTENBERG_BODY
    assert "Gutenberg" not in text and "Redistribution" not in text
    assert work.title == "Petites Odes" and work.author == "Jeanne Essai"
    assert any("Project Gutenberg header stripped" in n for n in work.notes), work.notes
    assert any("Project Gutenberg licence footer stripped" in n for n in work.notes), work.notes
    # The original file is kept whole: nothing is lost, only the training text is clean.
    assert studio.blobs.get(work.original_sha256) == FAKE_GUTENBERG.encode("utf-8")


def test_gutenberg_notes_are_shown_by_the_cli(run_cli, studio: Studio, tmp_path: Path):
    path = write(tmp_path / "petites_odes.txt", FAKE_GUTENBERG)
    result = run_cli("add", path)
    assert result.exit_code == 0, result.output
    assert "Project Gutenberg header stripped" in result.output
    assert "Project Gutenberg licence footer stripped" in result.output


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        # Random bytes hold NULs: a binary file renamed .txt.
        (random.Random(3).randbytes(4096), "binary data"),
        # Control characters without a NUL decode in every 8-bit codec: refused as binary too.
        (bytes(random.Random(4).choice([*range(1, 9), *range(14, 32), *range(65, 91)]) for _ in range(4096)), "binary"),
    ],
    ids=["with-nul-bytes", "control-characters"],
)
def test_binary_junk_named_txt_is_refused(studio: Studio, tmp_path: Path, data: bytes, reason: str):
    report = studio.add([write_bytes(tmp_path / "photo.txt", data)])
    [outcome] = report.outcomes
    assert outcome.status == "failed"
    assert reason in outcome.message and "undecodable text" in outcome.message
    assert studio.works() == [] and studio.blobs.all_hashes() == set()


def test_empty_and_blank_files_are_refused(studio: Studio, tmp_path: Path):
    report = studio.add([write(tmp_path / "a" / "vide.txt", ""), write(tmp_path / "a" / "blanc.txt", " \n\n\t\n")])
    messages = {o.path.name: (o.status, o.message) for o in report.outcomes}
    assert messages["vide.txt"] == ("failed", "empty file")
    assert messages["blanc.txt"] == ("failed", "no text found in the file")
    assert studio.works() == []


# -- Acceptance 4: the zoo -------------------------------------------------------------------

GOOD_TXT = "Sous le pont de pierre\nl’eau recopie la lune\net la rend au matin."
GOOD_MD = "# Carnet du jardin\n\nLes *groseilles* mûrissent trop tôt cette année ; la vigne, elle, attend."


def _formatfixtures():
    try:
        return importlib.import_module("tests.formatfixtures")
    except ModuleNotFoundError:
        return None


def _reader_exists(module: str) -> bool:
    return importlib.util.find_spec(f"ouvroir.media.formats.{module}") is not None


# Broken files written by tests/formatfixtures.py (the format readers' own fixtures):
# (file name, builder function, keyword arguments, reader module, what the error line must say)
BROKEN_FORMATS = [
    ("truncated.docx", "write_truncated_docx", {}, "docx", r"corrupt DOCX"),
    ("bomb.docx", "write_zip_bomb", {}, "docx", r"zip bomb"),
    # The hostile variant: its headers claim 1 KB. zipfile stops inflating at the claimed size, so it
    # is refused as damaged (CRC mismatch) after reading 1 KB; either reason is an honest refusal.
    ("lying-bomb.docx", "write_zip_bomb", {"honest_header": False}, "docx", r"zip bomb|corrupt DOCX"),
    ("escape.epub", "write_epub_with_parent_member", {}, "epub", r"unsafe archive member '\.\./"),
    ("locked.pdf", "write_encrypted_pdf", {}, "pdf", r"encrypted PDF"),
    ("scan.pdf", "write_image_only_pdf", {}, "pdf", r"no text layer"),
]
GOOD_FORMATS = [("good.docx", "write_docx", {}, "docx")]


def _builder(name: str, kwargs: dict | None = None):
    ff = _formatfixtures()
    function = getattr(ff, name, None) if ff else None
    if function is None:
        return None
    return lambda path: function(path, **(kwargs or {}))


@pytest.mark.parametrize("builder", sorted({b for _, b, *_ in BROKEN_FORMATS + GOOD_FORMATS}))
def test_zoo_format_builders_are_available(builder: str):
    """Makes a missing part of the zoo visible in the test report instead of silently smaller."""
    if _formatfixtures() is None:
        pytest.skip("tests/formatfixtures.py does not exist yet: the zoo runs without DOCX/EPUB/PDF files")
    if _builder(builder) is None:
        pytest.skip(f"tests/formatfixtures.py has no {builder}(): that file is left out of the zoo")


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def test_zoo_folder_bad_files_get_one_line_each_good_files_are_added(
    run_cli, studio: Studio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    zoo = tmp_path / "zoo"
    expected_added = {"good.txt": GOOD_TXT}
    write(zoo / "good.txt", GOOD_TXT + "\n")
    if _reader_exists("markdown"):
        write(zoo / "notes.md", GOOD_MD + "\n")
        expected_added["notes.md"] = None
    # name -> regex the error line must match after "name: "
    expected_failed = {
        "junk.txt": r"undecodable text: .*binary data",
        "empty.txt": r"empty file",
        "locked.txt": r"unreadable: permission denied",
        "loop.txt": r"symbolic link loop",
        "drawing.xyz": r"unknown format '\.xyz'",
    }
    write_bytes(zoo / "junk.txt", random.Random(5).randbytes(2048))
    write_bytes(zoo / "empty.txt", b"")
    write(zoo / "drawing.xyz", "some text in a format ouvroir does not read")
    locked = write(zoo / "locked.txt", "Un texte que personne ne peut lire.")
    os.symlink("loop.txt", zoo / "loop.txt")  # a symbolic link to itself
    (zoo / "sub").mkdir()
    os.symlink("..", zoo / "sub" / "parent")  # a folder linking back to its parent...
    os.symlink(".", zoo / "sub" / "itself")  # ...and to itself: the walk must end, not loop
    write(zoo / "sub" / "inner.txt", "Dans le sous-dossier,\nun poème tout seul\nqui compte ses pas.")
    expected_added["inner.txt"] = None

    for name, builder_name, kwargs, reader, reason in BROKEN_FORMATS:
        builder = _builder(builder_name, kwargs)
        if builder is not None and _reader_exists(reader):
            builder(zoo / name)
            expected_failed[name] = reason
    for name, builder_name, kwargs, reader in GOOD_FORMATS:
        builder = _builder(builder_name, kwargs)
        if builder is not None and _reader_exists(reader):
            builder(zoo / name)
            expected_added[name] = None

    if _is_root():
        # Tests run as root in CI, and root reads a chmod-000 file anyway. So the read itself is made
        # to fail the way the OS fails it for a user without permission (EACCES), for this one path,
        # in the module that opens files for ingest. The CLI runs in-process so the patch applies.
        real_open = open

        def open_refusing_locked(file, *args, **kwargs):
            if Path(file) == locked:
                raise PermissionError(errno.EACCES, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(files_module, "open", open_refusing_locked, raising=False)
    else:
        locked.chmod(0o000)
    try:
        result = run_cli("add", zoo)
    finally:
        locked.chmod(0o644)

    assert result.exit_code != 0, result.output
    lines = result.output.splitlines()
    for name, reason in expected_failed.items():
        matching = [line for line in lines if line.startswith("✗") and f"{os.sep}{name}: " in line]
        assert len(matching) == 1, f"{name}: expected one error line, got {matching}\n{result.output}"
        assert re.search(reason, matching[0].split(f"{name}: ", 1)[1]), matching[0]
    failed_lines = [line for line in lines if line.startswith("✗")]
    assert len(failed_lines) == len(expected_failed), result.output
    added_lines = [line for line in lines if line.startswith("✓")]
    assert len(added_lines) == len(expected_added), result.output
    summary = f"{len(expected_added)} added, 0 already present, {len(expected_failed)} failed"
    assert summary in lines, result.output
    assert "Traceback" not in result.output

    works = studio.works()
    assert sorted(w.original_name for w in works) == sorted(expected_added)
    assert studio.text(next(w for w in works if w.original_name == "good.txt")) == GOOD_TXT

    check = run_cli("check")
    assert check.exit_code == 0, check.output
    assert f"Studio OK: {len(expected_added)} works" in check.output
    store_is_consistent(studio)


# -- nothing half-written --------------------------------------------------------------------

THREE = {
    "a.txt": "Premier texte, première strophe,\r\nvenue du matin clair.",
    "b.txt": "Deuxième texte, celui qui échoue,\r\nau milieu de son enregistrement.",
    "c.txt": "Troisième texte, qui arrive après\r\nla panne et qui doit entrer.",
}


def _expected_blobs(path: Path) -> set[str]:
    from ouvroir.media.document import blocks_to_json

    data = path.read_bytes()
    parsed = txt_reader.read(data, path.name)
    return {
        sha256_bytes(data),
        sha256_bytes(parsed.text.encode("utf-8")),
        sha256_bytes(blocks_to_json(parsed.blocks).encode("utf-8")),
    }


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        # A crash inside the transaction (disk, SQLite): reported as an internal error for that file.
        (sqlite3.OperationalError("disk I/O error (simulated)"), "internal error, please report it: OperationalError"),
        (IngestError("simulated refusal"), "simulated refusal"),  # a refusal raised mid-insert
    ],
    ids=["crash", "refusal"],
)
def test_a_work_failing_mid_insert_leaves_no_row_and_no_blob(
    studio: Studio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Exception, message: str
):
    folder = tmp_path / "three"
    paths = {name: write(folder / name, text) for name, text in THREE.items()}
    b_text_sha = sha256_bytes(txt_reader.read(paths["b.txt"].read_bytes(), "b.txt").text.encode("utf-8"))
    b_id = b_text_sha[:10]
    b_blobs = _expected_blobs(paths["b.txt"])
    assert len(b_blobs) == 3

    real_append = store.append_consent
    reached = []

    def append_failing_on_b(conn, work_id, *args):
        if work_id == b_id:  # the 2nd work: its row and blobs are written, its consent event fails
            assert conn.execute("SELECT 1 FROM works WHERE id = ?", (work_id,)).fetchone()
            assert b_blobs <= studio.blobs.all_hashes()
            reached.append(work_id)
            raise failure
        return real_append(conn, work_id, *args)

    monkeypatch.setattr(store, "append_consent", append_failing_on_b)
    options = AddOptions(consent="train", license="CC-BY-4.0")
    report = studio.add([folder], options)
    assert reached == [b_id]
    assert [(o.path.name, o.status) for o in report.outcomes] == [
        ("a.txt", "added"), ("b.txt", "failed"), ("c.txt", "added")
    ]  # fmt: skip
    assert message in report.outcomes[1].message
    expected = {"a.txt", "c.txt"}

    works = studio.works()
    assert {w.original_name for w in works} == expected
    for work in works:  # the others are whole: text readable, consent recorded
        assert studio.text(work) == THREE[work.original_name].replace("\r\n", "\n")
        assert work.trainable and len(studio.consent_history(work)) == 1
    conn = studio.conn
    assert conn.execute("SELECT count(*) FROM works WHERE id = ?", (b_id,)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM consent_events WHERE work_id = ?", (b_id,)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM passages WHERE work_id = ?", (b_id,)).fetchone()[0] == 0
    assert not (b_blobs & studio.blobs.all_hashes()), "orphan blob left on disk"
    assert not (b_blobs & {r[0] for r in conn.execute("SELECT sha256 FROM blobs")})
    store_is_consistent(studio)

    # Once the cause is gone, the same command finishes the job.
    monkeypatch.setattr(store, "append_consent", real_append)
    again = studio.add([folder], options)
    assert again.ok
    assert {w.original_name for w in studio.works()} == set(THREE)
    store_is_consistent(studio)


# -- manifest ----------------------------------------------------------------------------------


def test_manifest_sets_metadata_per_file_and_reports_bad_rows(run_cli, studio: Studio, tmp_path: Path):
    folder = tmp_path / "catalogue"
    write(folder / "poemes" / "aube.txt", "L’aube a posé sa main\nsur l’épaule du fleuve.")
    write(folder / "poemes" / "midi.txt", "À midi le chemin\nse couche sous les pins.")
    write(folder / "prose" / "lettre.txt", "Chère amie, je vous écris depuis la gare, où rien n’arrive à l’heure.")
    (folder / "catalogue.csv").write_text(
        "path,author,title,license,consent,source\n"
        "poemes/aube.txt,Ada Martin,L'Aube,CC-BY-4.0,train,https://example.org/aube\n"
        "poemes/absent.txt,Ada Martin,Absent,CC0-1.0,train,\n"
        "poemes/midi.txt,Ada Martin,Midi,NOT-A-LICENCE,train,\n"
        "prose/lettre.txt,Bruno Caillou,Lettre de la gare,public-domain,,\n",
        encoding="utf-8",
    )
    result = run_cli("add", "--manifest", folder / "catalogue.csv")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("✗") and "absent.txt: no such file or folder" in line for line in lines), result.output
    assert any(line.startswith("✗") and "midi.txt: unknown licence 'NOT-A-LICENCE'" in line for line in lines), (
        result.output
    )
    assert "2 added, 0 already present, 2 failed" in lines  # the bad rows did not stop the batch

    aube = studio.work("L'Aube")
    assert (aube.author, aube.license, aube.consent, aube.source) == (
        "Ada Martin", "CC-BY-4.0", "train", "https://example.org/aube"
    )  # fmt: skip
    lettre = studio.work("Lettre de la gare")
    assert (lettre.author, lettre.license, lettre.consent) == ("Bruno Caillou", "public-domain", "unknown")
    assert len(studio.works()) == 2
    store_is_consistent(studio)


def test_manifest_row_overrides_command_line_metadata(studio: Studio, tmp_path: Path):
    write(tmp_path / "m" / "un.txt", "Un seul poème\npour deux lignes.")
    write(tmp_path / "m" / "deux.txt", "Un autre poème,\nsans ligne au catalogue.")
    (tmp_path / "m" / "list.csv").write_text("path;author;license\nun.txt;Clara Voix;CC0-1.0\n", encoding="utf-8")
    options = AddOptions(author="Quelqu'un", license="CC-BY-4.0", consent="no-train")
    report = studio.add([tmp_path / "m" / "deux.txt"], options, manifest=tmp_path / "m" / "list.csv")
    assert report.ok
    by_name = {w.original_name: w for w in studio.works()}
    assert (by_name["un.txt"].author, by_name["un.txt"].license) == ("Clara Voix", "CC0-1.0")
    assert (by_name["deux.txt"].author, by_name["deux.txt"].license) == ("Quelqu'un", "CC-BY-4.0")
    assert {w.consent for w in by_name.values()} == {"no-train"}
