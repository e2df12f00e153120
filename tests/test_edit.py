"""Correcting what was added: `ouvroir edit` and the work page's form change a work's title, author, licence
or date as a dated event; the text, its hash, its consent and the models trained on it stay as they were,
and a model's datasheet keeps the metadata of the snapshot it was trained on."""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from ouvroir import Studio
from ouvroir.cli import cli
from ouvroir.corpus.ingest import AddOptions
from ouvroir.web.app import create_app, wrap

WORDS = "le soir tombe sur la ville et les arbres chantent doucement sous une pluie claire".split()


def _poems(folder, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    folder.mkdir()
    for i in range(n):
        lines = (" ".join(rng.choice(WORDS) for _ in range(7)) for _ in range(60))
        (folder / f"madame_bovary_{i}.txt").write_text("\n".join(lines), encoding="utf-8")


def _cli(studio, *args):
    return CliRunner().invoke(cli, ["--studio", str(studio.root), *map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Six poems and a tiny model trained on them before any edit."""
    root = tmp_path_factory.mktemp("edits")
    _poems(root / "poems", 6)
    studio = Studio.init(root / "studio")
    assert studio.add([root / "poems"], AddOptions(author="Anon", license="public-domain", consent="train")).ok
    result = _cli(studio, "train", "--size", "tiny", "--steps", "2")
    assert result.exit_code == 0, result.output
    yield studio
    studio.close()


def _sheet_entry(studio, model_id: str, work_id: str) -> dict:
    works = studio.models.card(model_id, "en")["datasheet"]["works"]
    return next(w for w in works if w["work_id"] == work_id)


def test_cli_edit_changes_the_metadata_never_the_text_nor_the_models(trained):
    studio = trained
    (before,) = studio.models.all()
    work = sorted(studio.works(), key=lambda w: w.id)[0]
    old_title, text = work.title, studio.text(work)
    result = _cli(studio, "edit", work.id[:6], "--title", "Madame Bovary", "--author", "Gustave Flaubert",
                  "--license", "cc0-1.0", "--date", "1857")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Madame Bovary" in result.output and old_title in result.output
    edited = studio.work(work.id)
    assert (edited.title, edited.author, edited.license) == ("Madame Bovary", "Gustave Flaubert", "CC0-1.0")
    assert edited.metadata["date"] == "1857"
    assert edited.text_sha256 == work.text_sha256 and studio.text(edited) == text
    assert edited.consent == "train" and edited.consent_event_id == work.consent_event_id
    listed = _cli(studio, "works")
    assert "Madame Bovary" in listed.output and old_title not in listed.output
    (row,) = [w for w in json.loads(_cli(studio, "works", "--json").output) if w["id"] == work.id]
    assert row["title"] == "Madame Bovary" and row["license"] == "CC0-1.0"
    # an edit is not a withdrawal: the model trained before is not marked, and its datasheet is as trained
    assert studio.models.withdrawals(before) == []
    entry = _sheet_entry(studio, before.id, work.id)
    assert (entry["title"], entry["author"], entry["license"]) == (old_title, "Anon", "public-domain")
    # the history says what changed and when
    shown = " ".join(_cli(studio, "show", work.id).output.split())
    assert "Metadata edits" in shown
    (edit,) = studio.edit_history(work.id)
    assert edit.changes["title"] == (old_title, "Madame Bovary") and edit.changes["date"] == (None, "1857")
    assert f"{edit.at[:10]}" in shown and f"title: {old_title!r} → 'Madame Bovary'" in shown


def test_a_model_trained_after_an_edit_has_the_new_metadata_and_the_one_before_keeps_its_own(trained):
    studio = trained
    first = studio.models.all()[0]
    work = sorted(studio.works(), key=lambda w: w.id)[1]
    old_title = work.title
    studio.edit(work.id, title="L'Éducation sentimentale", license="CC-BY-4.0")
    result = _cli(studio, "train", "--size", "tiny", "--steps", "2")
    assert result.exit_code == 0, result.output
    after = max(studio.models.all(), key=lambda m: m.created_at)
    assert after.id != first.id and after.snapshot_id != first.snapshot_id
    new = _sheet_entry(studio, after.id, work.id)
    assert (new["title"], new["license"]) == ("L'Éducation sentimentale", "CC-BY-4.0")
    old = _sheet_entry(studio, first.id, work.id)
    assert (old["title"], old["license"]) == (old_title, "public-domain")
    assert studio.models.withdrawals(first) == [] and studio.models.withdrawals(after) == []
    report = studio.check()
    assert report.ok, report.problems


def test_edits_are_validated_and_an_unknown_work_is_named(studio, tmp_path):
    poem = tmp_path / "bwv145_a.txt"
    poem.write_text("Deux vers pour rien,\nsinon pour l’exemple.", encoding="utf-8")
    assert studio.add([poem], AddOptions(license="public-domain")).ok
    (work,) = studio.works()
    for args, phrase in ((("--title", "  "), "title cannot be empty"),
                         (("--license", "CC-BY-FAKE-9"), "unknown licence 'CC-BY-FAKE-9'"),
                         (("--date", "hier"), "'hier'")):  # fmt: skip
        result = CliRunner().invoke(cli, ["--studio", str(studio.root), "edit", work.id, *args])
        assert result.exit_code == 1 and result.stderr.startswith("Error: "), result.output
        assert phrase in result.stderr and work.id in result.stderr, result.stderr
    assert studio.work(work.id).title == work.title and studio.edit_history(work.id) == []
    missing = CliRunner().invoke(cli, ["--studio", str(studio.root), "edit", "deadbeef42", "--title", "X"])
    assert missing.exit_code == 1 and "no work matches 'deadbeef42'" in missing.stderr
    nothing = CliRunner().invoke(cli, ["--studio", str(studio.root), "edit", work.id])
    assert nothing.exit_code == 2 and "--title" in nothing.output
    for date in ("1857", "1857-04", "1857-04-12"):
        assert studio.edit(work.id, date=date).metadata["date"] == date


def test_the_work_page_edits_with_a_csrf_token_and_shows_the_history(studio, tmp_path):
    from ouvroir.web.security import CSRF_COOKIE

    poem = tmp_path / "madame_bovary_1857.txt"
    poem.write_text("Nous étions à l’Étude,\nquand le Proviseur entra.", encoding="utf-8")
    assert studio.add([poem], AddOptions(license="public-domain", consent="train")).ok
    (work,) = studio.works()
    client = TestClient(wrap(create_app(studio.root), None), base_url="http://127.0.0.1",
                        headers={"Accept-Language": "fr"})  # fmt: skip
    page = client.get(f"/corpus/{work.id}")
    assert 'id="edit-form"' in page.text and "Corriger les informations" in page.text
    form = {"title": "Madame Bovary", "author": "Gustave Flaubert", "license": "public-domain", "date": "1857"}
    refused = client.post(f"/corpus/{work.id}/edit", data=form, follow_redirects=False)
    assert refused.status_code == 403 and studio.work(work.id).title == work.title
    token = client.cookies[CSRF_COOKIE]
    done = client.post(f"/corpus/{work.id}/edit", data=form | {"csrf": token}, follow_redirects=False)  # as the form
    assert done.status_code == 303, done.text
    edited = studio.work(work.id)
    assert (edited.title, edited.author, edited.metadata.get("date")) == ("Madame Bovary", "Gustave Flaubert", "1857")
    assert edited.text_sha256 == work.text_sha256
    (edit,) = studio.edit_history(work.id)
    assert "license" not in edit.changes  # unchanged fields are not recorded as changed
    page = client.get(f"/corpus/{work.id}").text
    history = page[page.index('id="edit-history"'):]
    assert edit.at[:19].replace("T", " ") in history and "Madame Bovary" in history and work.title in history
    english = client.get(f"/corpus/{work.id}", headers={"Accept-Language": "en"}).text
    assert "Correct the details" in english and "Metadata edits" in english
    empty = client.post(f"/corpus/{work.id}/edit", data=form | {"title": " ", "csrf": token},
                        headers={"X-CSRF-Token": token, "Accept": "application/json"})  # fmt: skip
    assert empty.status_code == 400 and "title" in empty.json()["error"]


def test_the_edit_history_is_append_only_and_goes_with_its_work(studio, tmp_path):
    import sqlite3

    poem = tmp_path / "sans_titre.txt"
    poem.write_text("Un vers tout seul,\net son écho.", encoding="utf-8")
    assert studio.add([poem], AddOptions(license="public-domain")).ok
    (work,) = studio.works()
    studio.edit(work.id, title="L'Écho")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        studio.conn.execute("UPDATE work_edits SET at = 'never'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        studio.conn.execute("DELETE FROM work_edits")
    studio.remove(work.id)
    assert studio.add([poem], AddOptions(license="public-domain")).ok  # the same text, added again
    assert studio.work(work.id).title != "L'Écho" and studio.edit_history(work.id) == []
