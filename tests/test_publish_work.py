"""`ouvroir publish WORK`: a work of the studio's owner is published with its rights record in the provenance;
a work by someone else is refused with the reason, and nothing is written."""

from __future__ import annotations

import json

import pytest

from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import PublishError
from ouvroir.media.formats import epub as reader
from ouvroir.workshop import verify, verify_qr
from tests.test_publishing import by_suffix, copy_pair

MINE = "La marée monte ; les barques dorment.\n\nQui veille au phare ? Personne, ce soir.\n"
THEIRS = "Un autre texte, écrit par une autre personne, que le studio a seulement appris.\n"


@pytest.fixture
def works(owner_studio, tmp_path):
    (tmp_path / "maree.txt").write_text(MINE, "utf-8")
    (tmp_path / "autre.txt").write_text(THEIRS, "utf-8")
    owner_studio.add([tmp_path / "maree.txt"], AddOptions(author="Ada Martin", license="CC-BY-4.0", title="La marée"))
    owner_studio.add([tmp_path / "autre.txt"], AddOptions(author="Jean Dupont", consent="train", title="Autre"))
    mine, theirs = (next(w for w in owner_studio.works() if w.title == t) for t in ("La marée", "Autre"))
    return owner_studio, mine, theirs


def test_the_owners_work_is_published_with_its_rights_record(works, tmp_path):
    studio, mine, _ = works
    made = studio.publish([mine.id], "html,epub,pdf", tmp_path / "out")
    assert sorted(p.suffix for p in made.files) == [".epub", ".html", ".pdf"]
    for path in made.files:
        verdict = verify(path, studio)
        assert verdict.ok and verdict.kind == "work" and verdict.digital_source_type is None, verdict.problem
        assert verify_qr(path, studio).ok, verify_qr(path, studio).problem
        rights = json.loads(path.with_name(path.name + ".provenance.json").read_text("utf-8"))["assertions"]["ouvroir.work"]
        assert rights["author"] == "Ada Martin" and rights["owner"] == "Ada Martin" and rights["license"] == "CC-BY-4.0"
        assert rights["consent"] == "train" and rights["consent_history"][0]["origin"] == "owner-default"
        assert rights["text_sha256"] == mine.text_sha256
    book = by_suffix(made, ".epub")
    assert reader.read(book.read_bytes(), book.name).text.strip() == MINE.strip()
    page = by_suffix(made, ".html").read_text("utf-8")
    assert "Ce texte a été écrit par une personne, sans texte généré." in page  # the work's language: French
    assert "Ada Martin" in page and "CC-BY-4.0" in page
    changed = copy_pair(by_suffix(made, ".pdf"), tmp_path / "changed")
    data = bytearray(changed.read_bytes())
    data[len(data) // 2] ^= 0x01
    changed.write_bytes(bytes(data))
    assert not verify(changed, studio).ok and changed.name in verify(changed, studio).problem


def test_a_work_by_someone_else_is_refused_with_the_reason(works, tmp_path):
    studio, mine, theirs = works
    with pytest.raises(PublishError, match=r"it is by Jean Dupont, not by the studio's owner, Ada Martin"):
        studio.publish([mine.id, theirs.id], "html", tmp_path / "out")
    assert not (tmp_path / "out").exists() and list(tmp_path.glob(".out*")) == []


def test_a_studio_without_an_owner_publishes_no_work(studio, tmp_path):
    (tmp_path / "t.txt").write_text(MINE, "utf-8")
    studio.add([tmp_path / "t.txt"], AddOptions(author="Ada Martin", title="Sans maître"))
    with pytest.raises(PublishError, match="this studio has no owner"):
        studio.publish(["Sans maître"], "html", tmp_path / "out")


def test_an_unknown_item_names_every_kind_it_could_be(studio, tmp_path):
    with pytest.raises(PublishError, match=r"nothing to publish matches 'nulle part'.*a work of yours"):
        studio.publish(["nulle part"], "html", tmp_path / "out")
