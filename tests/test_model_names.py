"""Knowing which model is which: a name (train --name, rename), the medium and the validation works, everywhere."""

from __future__ import annotations

import json
import random

import pytest
from starlette.testclient import TestClient

from ouvroir import Studio
from ouvroir.corpus.ingest import AddOptions
from ouvroir.web.app import create_app, wrap

WORDS = "le soir tombe sur la ville et les arbres chantent doucement sous une pluie claire".split()


@pytest.fixture(scope="module")
def named(tmp_path_factory):
    """A studio of eight poems and a tiny text model trained through the CLI with --name."""
    from click.testing import CliRunner

    from ouvroir.cli import cli

    root = tmp_path_factory.mktemp("names")
    rng = random.Random(0)
    (root / "poems").mkdir()
    for i in range(8):
        lines = (" ".join(rng.choice(WORDS) for _ in range(7)) for _ in range(60))
        (root / "poems" / f"poeme_{i}.txt").write_text("\n".join(lines), encoding="utf-8")
    studio = Studio.init(root / "studio")
    assert studio.add([root / "poems"], AddOptions(author="Anon", license="public-domain", consent="train")).ok
    result = CliRunner().invoke(cli, ["--studio", str(studio.root), "train", "--size", "tiny", "--steps", "2",
                                      "--name", "premier essai"])  # fmt: skip
    assert result.exit_code == 0, result.output
    yield studio
    studio.close()


def _cli(studio, run_cli, *args):
    return run_cli("--studio", str(studio.root), *args)


def test_train_name_rename_list_and_generate_by_name(named, run_cli):
    studio = named
    (model,) = studio.models.all()
    assert model.name == "premier essai"
    result = _cli(studio, run_cli, "rename", model.id[:6], "poèmes du soir")
    assert result.exit_code == 0, result.output
    assert "poèmes du soir" in result.output
    assert studio.models.get("poèmes du soir").id == model.id  # a name is accepted wherever an id is
    listed = _cli(studio, run_cli, "models")
    assert listed.exit_code == 0, listed.output
    text = " ".join(listed.output.split())
    assert "poèmes du soir" in text and "text" in text
    assert "held out" in text and "only on the same validation works" in text
    (row,) = json.loads(_cli(studio, run_cli, "models", "--json").output)
    assert row["name"] == "poèmes du soir" and row["medium"] == "text"
    val = studio.models.validation_works(model)
    assert val and row["validation_works"] == val and all(t.startswith("Poeme") for t in val)
    generated = _cli(studio, run_cli, "generate", "poèmes du soir", "--max-tokens", "4", "--seed", "1")
    assert generated.exit_code == 0, generated.output
    assert [s.model_id for s in studio.models.samples()] == [model.id]
    card = studio.models.card(model.id, "en")
    assert card["model"]["name"] == "poèmes du soir"
    assert "poèmes du soir" in studio.models.card_markdown(card, "en")[0].splitlines()[0]


def test_names_are_unique_and_an_unknown_name_is_a_clear_error(named, run_cli):
    studio = named
    (model,) = studio.models.all()
    clash = _cli(studio, run_cli, "rename", model.id, "  ")
    assert clash.exit_code != 0 and "name" in clash.output
    missing = _cli(studio, run_cli, "generate", "no such model", "--max-tokens", "2")
    assert missing.exit_code != 0 and "no such model" in missing.output


def test_the_web_models_page_shows_name_medium_and_validation(named):
    studio = named
    (model,) = studio.models.all()
    studio.models.rename(model.id, "poèmes du soir")
    client = TestClient(wrap(create_app(studio.root), None), base_url="http://127.0.0.1")
    for lang, medium, note in (("en", "text", "same validation works"), ("fr", "texte", "mêmes œuvres de validation")):
        page = client.get("/models", headers={"Accept-Language": lang})
        assert page.status_code == 200
        assert "poèmes du soir" in page.text and f">{medium}<" in page.text and note in page.text
        assert studio.models.validation_works(model)[0] in page.text


def test_resume_with_a_name_names_the_model_it_continues(named, run_cli):
    studio = named
    (model,) = studio.models.all()
    result = _cli(studio, run_cli, "train", "--resume", model.id, "--steps", "3", "--name", "suite du soir")
    assert result.exit_code == 0, result.output
    assert studio.models.get(model.id).name == "suite du soir"
    assert studio.models.get("suite du soir").steps == 3


def test_the_model_page_renames_and_shows_the_name(named):
    from ouvroir.web.security import CSRF_COOKIE

    studio = named
    (model,) = studio.models.all()
    client = TestClient(wrap(create_app(studio.root), None), base_url="http://127.0.0.1",
                        headers={"Accept-Language": "fr"})  # fmt: skip
    page = client.get(f"/models/{model.id}")
    assert 'id="rename-form"' in page.text and "Renommer" in page.text
    refused = client.post(f"/models/{model.id}/rename", data={"name": "sans jeton"}, follow_redirects=False)
    assert refused.status_code == 403 and studio.models.get(model.id).name != "sans jeton"
    token = client.cookies[CSRF_COOKIE]
    done = client.post(f"/models/{model.id}/rename", data={"name": "  nocturnes  ", "csrf_token": token},
                       headers={"X-CSRF-Token": token}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303, done.text
    assert studio.models.get(model.id).name == "nocturnes"
    page = client.get(f"/models/{model.id}")
    assert "« nocturnes »" in page.text and "<title>Modèle nocturnes" in page.text


def test_the_model_page_lists_the_first_works_of_a_long_datasheet_and_links_the_whole(named, monkeypatch):
    from ouvroir.web.pages import models as models_page

    studio = named
    (model,) = studio.models.all()
    titles = [w["title"] for w in studio.models.card(model.id, "en")["datasheet"]["works"]]
    assert len(titles) == 8
    monkeypatch.setattr(models_page, "DATASHEET_ROWS", 3)
    client = TestClient(wrap(create_app(studio.root), None), base_url="http://127.0.0.1",
                        headers={"Accept-Language": "en"})  # fmt: skip
    page = client.get(f"/models/{model.id}").text
    sheet = page[page.index('id="datasheet"'):]
    table = sheet[: sheet.index("</table>")]
    assert [t for t in titles if f"<td>{t}</td>" in table] == titles[:3]
    assert "The first 3 works only; 5 more follow" in sheet and f"/models/{model.id}/datasheet.md" in sheet
    whole = client.get(f"/models/{model.id}/datasheet.md")
    assert whole.status_code == 200 and all(t in whole.text for t in titles)
