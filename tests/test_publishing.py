"""`ouvroir publish`: a co-written document and a sample as HTML, EPUB and PDF, each signed, each with a QR code.

Real files out, read back by real readers: ouvroir's own EPUB reader, pypdf, pypdfium2 + zxing-cpp for the
QR code; a one-byte change in any output or sidecar fails verification and is named.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import torch

from ouvroir import Studio
from ouvroir.cocreate import documents as docs
from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import PublishError
from ouvroir.i18n.publish import PUBLISH
from ouvroir.media.formats import epub as epub_reader
from ouvroir.provenance.manifest import COMPOSITE, TRAINED
from ouvroir.publish import qr
from ouvroir.publish.check import verify_qr as check_qr
from ouvroir.publish.pdf import french, text_pages
from ouvroir.workshop import load_keyring, training, verify, verify_qr
from ouvroir.workshop.documents_api import suggest

WORDS = ("la", "lune", "le", "vent", "une", "barque", "sur", "l'eau", "grise", "chante", "doucement", "vers", "port")
PERSON_TEXT = "Au port, la nuit ; le vent chante : « doucement » !\nOù dort la ville ?\n\n"


def poem(seed: int) -> str:
    rng = random.Random(seed)
    return "\n\n".join("\n".join(" ".join(rng.choice(WORDS) for _ in range(6)) for _ in range(4)) for _ in range(20))


def cowritten(root: Path, person_text: str = PERSON_TEXT):
    """A studio in ``root`` with a tiny model (10 steps) and a French document: ``person_text``, then a kept
    suggestion; returns (studio, document, the kept sample's id)."""
    (root / "corpus").mkdir()
    for i in range(6):
        (root / "corpus" / f"poeme-{i}.txt").write_text(poem(i), "utf-8")
    studio = Studio.init(root / "studio")
    assert studio.add([root / "corpus"], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        record = training.train_model(studio, size="tiny", steps=10, seed=3)
    finally:
        torch.set_num_threads(threads)
    doc = docs.create_document(studio, "Le port, la nuit", lang="fr")
    doc = docs.apply(studio, doc.id, 1, [{"type": "edit", "at": 0, "insert": person_text}])
    found = suggest(studio, doc.id, len(doc.text), n=3, max_tokens=12, model_ref=record.id, seed=5)
    pick = max(found, key=lambda s: len(s.text.strip()))
    doc = docs.apply(studio, doc.id, doc.version, [{"type": "accept", "at": len(doc.text), "delete": 0,
                                                    "sample_id": pick.sample_id}])  # fmt: skip
    return studio, doc, pick.sample_id


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A tiny model (10 steps), a document mixing a person's text and a kept suggestion, and a sample."""
    root = tmp_path_factory.mktemp("publishing")
    studio, doc, sample_id = cowritten(root)
    doc = docs.apply(studio, doc.id, doc.version, [{"type": "edit", "at": len(doc.text), "insert": "\n\nFin."}])
    pub = root / "studio.pub"
    pub.write_text(studio.provenance.public_key()[0])
    yield studio, doc, sample_id, pub
    studio.close()


@pytest.fixture(scope="module")
def published(made, tmp_path_factory):
    studio, doc, _, _ = made
    return studio.publish([doc.id], "html,epub,pdf", tmp_path_factory.mktemp("pub") / "out")


def by_suffix(published, suffix: str) -> Path:
    return next(p for p in published.files if p.suffix == suffix)


def copy_pair(path: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    shutil.copy(path, folder / path.name)
    shutil.copy(path.with_name(path.name + ".provenance.json"), folder / (path.name + ".provenance.json"))
    return folder / path.name


def test_each_format_verifies_with_its_ledger_and_label(made, published):
    studio, doc, _, _ = made
    assert sorted(p.suffix for p in published.files) == [".epub", ".html", ".pdf"]
    assert sorted(p.name for p in published.folder.iterdir()) == sorted(
        [p.name for p in published.files] + [p.name + ".provenance.json" for p in published.files])  # fmt: skip
    for path in published.files:
        verdict = verify(path, studio)
        assert verdict.ok, verdict.problem
        assert verdict.kind == "co-creation" and verdict.digital_source_type == COMPOSITE
        assert {c.name for c in verdict.checks} >= {"signature", "key", "content", "ledger", "model", "snapshot"}
        manifest = json.loads(path.with_name(path.name + ".provenance.json").read_text("utf-8"))
        assert manifest["assertions"]["ouvroir.publication"]["format"] == path.suffix[1:]
        assert manifest["assertions"]["ouvroir.ledger"]["text"] == doc.text


@pytest.mark.parametrize("suffix", [".html", ".epub", ".pdf"])
def test_one_changed_byte_in_an_output_or_its_sidecar_is_caught_and_named(made, published, suffix, tmp_path):
    studio = made[0]
    path = copy_pair(by_suffix(published, suffix), tmp_path / "a")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    verdict = verify(path, studio)
    assert not verdict.ok and verdict.problem.startswith(f"content changed: {path.name}")
    path = copy_pair(by_suffix(published, suffix), tmp_path / "b")
    sidecar = path.with_name(path.name + ".provenance.json")
    raw = sidecar.read_bytes()
    at = raw.index(b'"title"') + 12
    sidecar.write_bytes(raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1:])
    verdict = verify(path, studio)
    assert not verdict.ok and "manifest" in verdict.problem


def test_the_epub_reads_back_as_the_text_with_its_tdm_reservation_honoured(made, published, tmp_path):
    studio, doc, _, _ = made
    book = by_suffix(published, ".epub")
    parsed = epub_reader.read(book.read_bytes(), book.name)
    assert parsed.text == doc.text
    assert parsed.title == doc.title and parsed.metadata["tdm-reservation"] == "1"
    with zipfile.ZipFile(book) as archive:
        names = archive.namelist()
        opf = archive.read(next(n for n in names if n.endswith(".opf"))).decode()
        archive.extractall(tmp_path / "unzipped")
    assert "compositeWithTrainedAlgorithmicMedia" in opf and 'property="tdm:reservation"' in opf
    inner = next((tmp_path / "unzipped").rglob("text.xhtml"))
    assert verify(inner, studio).ok  # the signed sidecar inside the archive
    reader = Studio.init(tmp_path / "reader")  # the book comes back in: its reservation says no training
    assert reader.add([book], AddOptions(author="Ada Martin", license="CC-BY-4.0")).ok
    (work,) = reader.works()
    assert work.consent == "no-train" and "TDMRep" in work.consent_reason
    reader.close()
    free = studio.publish([doc.id], "epub", tmp_path / "free", tdm_reservation=False)
    assert "tdm-reservation" not in epub_reader.read(free.files[0].read_bytes(), "x").metadata


def test_the_pdf_has_french_typography_xmp_and_its_text(made, published):
    doc = made[1]
    pdf = by_suffix(published, ".pdf")
    text = text_pages(pdf)
    assert re.sub(r"\s+", "", text) == re.sub(r"\s+", "", doc.text)  # equal up to layout
    assert "ville\u202f?" in text and "«\u202fdoucement\u202f»\u202f!" in text
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    xmp = reader.xmp_metadata.stream.get_data().decode("utf-8")
    assert f"<Iptc4xmpExt:DigitalSourceType>{COMPOSITE}</Iptc4xmpExt:DigitalSourceType>" in xmp
    summary = doc.summary
    assert f"<ouvroir:written>{summary['written']}</ouvroir:written>" in xmp
    assert f"<ouvroir:generated>{summary['generated']}</ouvroir:generated>" in xmp
    assert french("Quoi ? « oui » ; non: 10:30") == "Quoi\u202f? «\u202foui\u202f»\u202f; non\u00a0: 10:30"


def _change_one_text_byte(pdf: Path, out: Path) -> None:
    """One byte of the text drawn on page 2 (the text's first page) changed, the PDF otherwise as it was."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ContentStream, NameObject

    reader = PdfReader(str(pdf))
    writer = PdfWriter(clone_from=reader)
    page = writer.pages[1]
    data = bytearray(page.get_contents().get_data())
    start = data.index(b"Tj") if b"Tj" in data else data.index(b"TJ")
    at = data.rindex(b"(", 0, start) + 2  # inside the first string drawn: a glyph's low byte
    data[at] = data[at] + 1 if data[at] < 0x7E and data[at] not in (0x28, 0x29, 0x5B) else data[at] - 1
    stream = ContentStream(None, reader)
    stream.set_data(bytes(data))
    page[NameObject("/Contents")] = writer._add_object(stream)
    with out.open("wb") as fh:
        writer.write(fh)


def test_the_pdfs_qr_code_verifies_offline_and_a_changed_text_is_named(made, published, tmp_path):
    studio, doc, _, pub = made
    pdf = by_suffix(published, ".pdf")
    keys = load_keyring([pub])
    verdict = verify_qr(pdf, None, keys)  # away from the studio: the key file alone
    assert verdict.ok, verdict.problem
    assert [c.name for c in verdict.checks] == ["qr", "signature", "content"]
    payload = qr.parse(qr.decode_file(pdf))
    assert payload.kind == "co-creation" and payload.text_hash == qr.letters_sha256(doc.text)
    assert not verify_qr(pdf, None, []).ok and "signer unknown" in verify_qr(pdf, None, []).problem
    changed = tmp_path / pdf.name
    _change_one_text_byte(pdf, changed)
    assert re.sub(r"\s+", "", text_pages(changed)) != re.sub(r"\s+", "", doc.text)
    verdict = verify_qr(changed, None, keys)
    assert not verdict.ok and verdict.problem == f"content changed: the text of {pdf.name} does not match the hash its QR code signs"
    shutil.copy(pdf.with_name(pdf.name + ".provenance.json"), tmp_path)
    assert verify(changed, studio).problem.startswith(f"content changed: {pdf.name}")


def test_the_code_reads_back_from_png_svg_html_and_epub(made, published, tmp_path):
    studio, _, _, pub = made
    keys = [k.public_bytes for k in load_keyring([pub])]
    payload = qr.decode_file(by_suffix(published, ".pdf"))
    (tmp_path / "code.png").write_bytes(qr.png(payload))
    import segno

    segno.make(payload, error="m").save(str(tmp_path / "code.svg"), scale=2)
    for path in (tmp_path / "code.png", tmp_path / "code.svg"):
        verdict = check_qr(path, keys)
        assert verdict.ok and verdict.checks[-1].ok is None  # an image of the code: the text is not there to compare
    for suffix in (".html", ".epub"):
        verdict = check_qr(by_suffix(published, suffix), keys)
        assert verdict.ok and verdict.checks[-1].ok is True, verdict.problem
    forged = payload.replace(";k=co-creation;", ";k=sample;")
    (tmp_path / "forged.png").write_bytes(qr.png(forged))
    assert "forged" in check_qr(tmp_path / "forged.png", keys).problem
    (tmp_path / "other.png").write_bytes(qr.png("hello"))
    assert check_qr(tmp_path / "other.png", keys).problem == "no ouvroir provenance QR code found in other.png"


def test_a_sample_is_labelled_trained_algorithmic_media(made, tmp_path):
    studio, _, sample_id, _ = made
    result = studio.publish([sample_id], "pdf,html", tmp_path / "sample", lang="en", url="https://example.org/poems")
    pdf = next(p for p in result.files if p.suffix == ".pdf")
    verdict = verify(pdf, studio)
    assert verdict.ok and verdict.kind == "sample" and verdict.digital_source_type == TRAINED
    from pypdf import PdfReader

    assert TRAINED in PdfReader(str(pdf)).xmp_metadata.stream.get_data().decode("utf-8")
    payload = qr.parse(qr.decode_file(pdf))
    assert payload.kind == "sample" and payload.url == f"https://example.org/poems/{pdf.stem}"
    page = next(p for p in result.files if p.suffix == ".html").read_text("utf-8")
    assert "This text was generated by a trained model" in page and 'name="tdm-reservation" content="1"' in page


def test_bad_input_is_refused_and_nothing_is_left_half_written(made, tmp_path):
    studio, doc, _, _ = made
    out = tmp_path / "out"
    with pytest.raises(PublishError, match="nothing to publish matches 'nulle-part'"):
        studio.publish(["nulle-part"], "html", out)
    empty = docs.create_document(studio, "Vide", lang="fr")
    with pytest.raises(PublishError, match=f"co-creation {empty.id} .'Vide'. is empty"):
        studio.publish([empty.id], "html", out)
    with pytest.raises(PublishError, match="unknown format 'mp3': choose among html, epub, pdf, audio"):
        studio.publish([doc.id], "html,mp3", out)
    out.mkdir()
    (out / "mine.txt").write_text("à garder")
    with pytest.raises(PublishError, match="already exists: choose another --out, or give --force"):
        studio.publish([doc.id], "html", out)
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    glyphs = docs.create_document(studio, "Glyphes", lang="fr")
    docs.apply(studio, glyphs.id, 1, [{"type": "edit", "at": 0, "insert": "Un signe \U0001d11e et \U000131b1."}])
    with pytest.raises(PublishError, match=r"lack 2 character\(s\) of 'Glyphes': '𝄞' U\+1D11E, '.' U\+131B1"):
        studio.publish([doc.id, glyphs.id], "html,pdf", out, force=True)  # the first item's files were written
    assert [p.name for p in tmp_path.iterdir()] == ["out"] and [p.name for p in out.iterdir()] == ["mine.txt"]
    result = studio.publish([doc.id], "html", out, force=True)
    assert sorted(p.name for p in out.iterdir()) == sorted([result.files[0].name, result.files[0].name + ".provenance.json"])
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_cli_publishes_and_verifies_the_qr_code_with_the_exported_key(made, run_cli, tmp_path):
    studio, doc, _, _ = made
    result = run_cli("--studio", studio.root, "publish", doc.title, "--formats", "pdf,epub", "--out", tmp_path / "p")
    assert result.exit_code == 0, result.output
    assert "Published 2 file(s)" in result.output
    key = run_cli("--studio", studio.root, "key", "export")
    (tmp_path / "studio.pub").write_text(key.stdout)
    pdf = next((tmp_path / "p").glob("*.pdf"))
    result = run_cli("verify", "--no-studio", "--qr", "--key", tmp_path / "studio.pub", pdf)
    assert result.exit_code == 0, result.output
    assert "the text of le-port-la-nuit.pdf matches the hash its QR code signs" in result.output
    result = run_cli("--studio", studio.root, "verify", tmp_path / "p")
    assert result.exit_code == 0 and result.output.count("verified") == 2, result.output
    again = run_cli("--studio", studio.root, "publish", doc.id, "--out", tmp_path / "p")
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_every_publish_string_has_both_languages_with_the_same_fields():
    fields = lambda s: sorted(re.findall(r"{(\w*)", s))  # noqa: E731
    assert set(PUBLISH["fr"]) == set(PUBLISH["en"])
    assert all(PUBLISH["fr"][k].strip() and PUBLISH["en"][k].strip() for k in PUBLISH["fr"])
    assert [k for k in PUBLISH["fr"] if fields(PUBLISH["fr"][k]) != fields(PUBLISH["en"][k])] == []
    assert "\u202f?" not in PUBLISH["en"]["check"] and PUBLISH["fr"]["prompt"].startswith("Amorce\u00a0:")


def test_control_characters_a_model_emits_are_left_out_of_every_page_and_of_the_hash(made, tmp_path):
    studio, _, _, pub = made
    doc = docs.create_document(studio, "Contrôle", lang="fr")
    docs.apply(studio, doc.id, 1, [{"type": "edit", "at": 0, "insert": "Un\x12 deux\x06 trois"}])
    result = studio.publish([doc.id], "html,epub,pdf", tmp_path / "c")  # XHTML refuses \x12: the EPUB would not parse
    keys = [k.public_bytes for k in load_keyring([pub])]
    for path in result.files:
        verdict = check_qr(path, keys)
        assert verdict.ok and verdict.checks[-1].ok is True, (path.name, verdict.problem)
    assert epub_reader.read(result.files[1].read_bytes(), "x").text == "Un deux trois"


def test_an_item_from_a_model_that_learned_a_withdrawn_work_is_refused_unless_allowed(tmp_path, run_cli):
    """Consent follows a model's output out of the studio: publishing is refused as generating and exporting are."""
    (tmp_path / "studio-root").mkdir()
    studio, doc, sample_id = cowritten(tmp_path / "studio-root")
    withdrawn = studio.works()[0]
    studio.set_consent([withdrawn.id], "no-train", "the author asked")
    for ref in (sample_id, doc.id):
        result = run_cli("--studio", studio.root, "publish", ref, "--formats", "html", "--out", tmp_path / ref)
        assert result.exit_code != 0 and "consent is withdrawn" in result.output and "--allow-withdrawn" in result.output
        assert not (tmp_path / ref).exists()
    result = run_cli("--studio", studio.root, "publish", sample_id, "--formats", "html", "--out", tmp_path / "anyway",
                     "--allow-withdrawn")  # fmt: skip
    assert result.exit_code == 0, result.output
    sidecar = next((tmp_path / "anyway").glob("*.provenance.json"))
    publication = json.loads(sidecar.read_text())["assertions"]["ouvroir.publication"]
    assert publication["consent_withdrawn_works"] == [withdrawn.id] and publication["item"] == "sample"
    assert verify(next((tmp_path / "anyway").glob("*.html")), studio).ok
    studio.close()
