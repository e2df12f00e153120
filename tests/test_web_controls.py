"""The web studio exposes a model's controls and infilling: the model page lists them and its Generate form
steers by them (several authors mixed); the Write page rewrites a selection with N candidates written between
the text before and after it, the chosen one replacing the span and the ledger keeping what it replaced; a
selection outside the document, a model trained before infilling, or a candidate whose surroundings changed
is refused in the page's language with nothing stored changed. `ouvroir models` and the card say the same."""

from __future__ import annotations

import json
import random
from urllib.parse import urlencode
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ouvroir import Studio
from ouvroir.cocreate.documents import document_events
from ouvroir.cocreate.ledger import Accept, Edit, Ledger, RewriteRefused
from ouvroir.corpus.ingest import AddOptions
from ouvroir.learn.tokenizer import train_tokenizer
from ouvroir.web.app import create_app, wrap
from ouvroir.web.security import CSRF_COOKIE
from ouvroir.workshop import training

WORDS = {"Alba Martin": "la lune le vent une barque sur l'eau grise".split(),
         "Zoé Roy": "this quiet city sleeps under rain tonight".split()}  # fmt: skip
TEXT = "Le vent chante sur l'eau.\nUNE LIGNE À RÉÉCRIRE\nLa lune dort."
SPAN = "UNE LIGNE À RÉÉCRIRE"


def verses(words: list[str], rng: random.Random) -> str:
    return "\n\n".join("\n".join(" ".join(rng.choice(words) for _ in range(6)) for _ in range(4)) for _ in range(30))


def prose(words: list[str], rng: random.Random) -> str:
    return "\n\n".join(" ".join(rng.choice(words) for _ in range(60)) + "." for _ in range(12))


@pytest.fixture(scope="module")
def studio_models(tmp_path_factory):
    """A studio with two authors, a model that knows them (and fills in), and one made to look trained before."""
    root = tmp_path_factory.mktemp("web-controls")
    rng = random.Random(3)
    with Studio.init(root / "studio", owner="Alba Martin") as studio:
        for author, words in WORDS.items():
            folder = root / author.split()[0]
            folder.mkdir()
            for i in range(3):
                text = verses(words, rng) if author == "Alba Martin" else prose(words, rng)  # poetry is no form control
                (folder / f"work-{i}.txt").write_text(text, "utf-8")
            assert studio.add([folder], AddOptions(author=author, license="CC-BY-4.0", consent="train")).ok
        steered = training.train_model(studio, size="tiny", steps=2, seed=1)
        old = training.train_model(studio, size="tiny", steps=1, seed=2)
        train_tokenizer(["ab ab"] * 5, vocab_size=260, fim=False).save(studio.layout.model(old.id) / "tokenizer.json")
    return root / "studio", steered.id, old.id


@pytest.fixture
def web(studio_models):
    studio_dir, steered, old = studio_models
    app = create_app(studio_dir)
    client = TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    client.get("/corpus")  # the CSRF cookie
    client.headers["X-CSRF-Token"] = client.cookies[CSRF_COOKIE]
    client.headers["Accept"] = "application/json"
    yield client, studio_dir, steered, old
    app.state.jobs.shutdown()


def page(client: TestClient, url: str, lang: str = "en") -> str:
    answer = client.get(url, headers={"Accept": "text/html", "Accept-Language": lang})
    assert answer.status_code == 200, answer.text
    return answer.text


def new_document(studio_dir: Path) -> tuple[str, int]:
    with Studio.open(studio_dir) as studio:
        doc = studio.documents.create("Essai", lang="fr")
        doc = studio.documents.apply(doc.id, doc.version, [{"type": "edit", "at": 0, "delete": 0, "insert": TEXT}])
        return doc.id, doc.version


def stored(studio_dir: Path) -> tuple[int, str]:
    """How many samples the studio holds, and every document's state: what a refusal must leave as it was."""
    with Studio.open(studio_dir) as studio:
        return len(studio.models.samples()), json.dumps([d.as_dict() for d in studio.documents.all()])


def test_the_model_page_lists_the_controls_and_the_generate_form_mixes_authors(web):
    client, studio_dir, steered, old = web
    html = page(client, f"/models/{steered}")
    assert 'id="generate-controls"' in html and '<select name="author" multiple' in html
    assert all(f'<option value="{author}">' in html for author in WORDS)
    assert '<select name="form">' in html and '<option value="prose">' in html
    assert "Infilling: 50% of the training windows" in html
    assert "How to steer it" in html and "<strong>Infilling</strong>: available; 50%" in html  # the card
    form = [("author", "Alba Martin"), ("author", "Zoé Roy"), ("form", "prose"), ("n", "2"), ("max_tokens", "5")]
    answer = client.post(f"/models/{steered}/generate", content=urlencode(form),  # a multiple choice: repeated fields
                         headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert [s["params"]["controls"] for s in answer.json()["samples"]] == \
        [{"author": ["Alba Martin", "Zoé Roy"], "form": ["prose"]}] * 2  # fmt: skip
    answer = client.post(f"/models/{steered}/generate", json={"controls": {"author": "zoé"}, "max_tokens": 3})
    assert answer.json()["samples"][0]["params"]["controls"] == {"author": ["Zoé Roy"]}
    french = page(client, f"/models/{old}", "fr")
    assert 'id="generate-controls"' not in french and "Ce modèle ne connaît aucun contrôle" in french
    assert "ne sait pas remplir un passage" in french


def test_rewriting_a_selection_offers_candidates_and_the_ledger_keeps_what_was_replaced(web):
    client, studio_dir, steered, old = web
    doc_id, version = new_document(studio_dir)
    start = TEXT.index(SPAN)
    end = start + len(SPAN)
    answer = client.post(f"/write/{doc_id}/rewrite", json={"start": start, "end": end, "n": 3, "max_tokens": 8,
                                                           "model": steered, "version": version,
                                                           "controls": {"author": ["Alba"]}})  # fmt: skip
    assert answer.status_code == 200, answer.text
    candidates = answer.json()["candidates"]
    assert len(candidates) == 3 and all("complete" in c for c in candidates)
    with Studio.open(studio_dir) as studio:
        samples = {s.id: s for s in studio.models.samples(steered)}
    for c in candidates:  # each a signed sample: the whole passage, its middle where the manifest says
        sample = samples[c["sample_id"]]
        assert sample.params["controls"] == {"author": ["Alba Martin"]}
        full = (studio_dir / sample.path).read_text("utf-8")
        assert full == TEXT[:start] + full[start:start + len(c["text"])] + TEXT[end:]
        assert sample.params["infill"]["middle_chars"] == len(c["text"])
    chosen = next(c for c in candidates if c["text"])
    ops = [{"type": "accept", "at": start, "delete": end - start, "sample_id": chosen["sample_id"]}]
    doc = client.post(f"/write/{doc_id}/ops", json={"version": version, "ops": ops}).json()
    assert doc["text"] == TEXT[:start] + chosen["text"] + TEXT[end:]
    piece = doc["pieces"][-1]
    assert piece["sample_id"] == chosen["sample_id"] and piece["replaced"] == SPAN and piece["text"] == chosen["text"]
    generated = [s for s in doc["spans"] if s["sample_id"] == chosen["sample_id"]]
    assert generated[0]["start"] == start and generated[0]["category"] == "generated"
    with Studio.open(studio_dir) as studio:
        event = document_events(studio, doc_id)[-1]
    assert event["kind"] == "accept" and event["payload"]["ops"][0] | {"model_id": 0, "chars": 0} == {
        "type": "accept", "at": start, "delete": end - start, "sample_id": chosen["sample_id"], "model_id": 0,
        "chars": 0, "rewrite": True, "replaced": SPAN}  # fmt: skip
    undone = client.post(f"/write/{doc_id}/undo", json={"version": doc["version"]}).json()
    assert undone["text"] == TEXT  # the replaced text comes back, written by the person as before
    assert [s["category"] for s in undone["spans"]] == ["written"]


def test_a_selection_outside_the_document_or_a_model_without_infilling_is_refused_changing_nothing(web):
    client, studio_dir, steered, old = web
    doc_id, version = new_document(studio_dir)
    before = stored(studio_dir)
    cases = [({"start": 5, "end": len(TEXT) + 3, "model": steered}, "outside the document (0 to"),
             ({"start": 9, "end": 4, "model": steered}, "outside the document"),
             ({"start": "a", "end": 4, "model": steered}, "outside the document"),
             ({"start": 4, "end": 4, "model": steered}, "the selection is empty"),
             ({"start": 0, "end": 4, "model": old}, f"model {old} was trained before infilling")]  # fmt: skip
    for body, message in cases:
        answer = client.post(f"/write/{doc_id}/rewrite", json=body | {"version": version})
        assert answer.status_code == 400 and message in answer.json()["error"], (body, answer.text)
    french = client.post(f"/write/{doc_id}/rewrite", json={"start": 0, "end": 99, "model": steered},
                         headers={"Accept-Language": "fr"})  # fmt: skip
    assert "hors du document" in french.json()["error"]
    french = client.post(f"/write/{doc_id}/rewrite", json={"start": 0, "end": 4, "model": old},
                         headers={"Accept-Language": "fr"})  # fmt: skip
    assert "entraîné avant le remplissage" in french.json()["error"]
    assert stored(studio_dir) == before


def test_a_candidate_whose_surroundings_changed_is_refused(web):
    client, studio_dir, steered, old = web
    doc_id, version = new_document(studio_dir)
    start, end = TEXT.index(SPAN), TEXT.index(SPAN) + len(SPAN)
    candidates = client.post(f"/write/{doc_id}/rewrite", json={"start": start, "end": end, "n": 2, "max_tokens": 6,
                                                               "model": steered}).json()["candidates"]  # fmt: skip
    chosen = next(c for c in candidates if c["text"])
    edited = client.post(f"/write/{doc_id}/ops", json={"version": version, "ops": [
        {"type": "edit", "at": start - 2, "delete": 1, "insert": "!"}]}).json()  # fmt: skip
    before = stored(studio_dir)
    ops = [{"type": "accept", "at": start, "delete": end - start, "sample_id": chosen["sample_id"]}]
    answer = client.post(f"/write/{doc_id}/ops", json={"version": edited["version"], "ops": ops},
                         headers={"Accept-Language": "fr"})  # fmt: skip
    assert answer.status_code == 400 and "le texte a changé depuis" in answer.json()["error"]
    assert stored(studio_dir) == before


def test_suggestions_take_controls_and_constraints(web):
    client, studio_dir, steered, old = web
    doc_id, _ = new_document(studio_dir)
    answer = client.post(f"/write/{doc_id}/suggest", json={"cursor": len(TEXT), "n": 3, "max_tokens": 12,
                                                           "model": steered, "controls": {"author": ["Zoé Roy"]},
                                                           "constraint": {"lipogram": "e", "max_line": 30}})  # fmt: skip
    assert answer.status_code == 200, answer.text
    suggestions = answer.json()["suggestions"]
    assert len(suggestions) + answer.json()["unmet"] == 3
    assert all("e" not in s["text"].lower() and "é" not in s["text"] for s in suggestions)
    with Studio.open(studio_dir) as studio:
        sample = next(s for s in studio.models.samples(steered) if s.id == suggestions[0]["sample_id"])
    assert sample.params["controls"] == {"author": ["Zoé Roy"]} and sample.params["constraint"]["lipogram"] == "e"
    before = stored(studio_dir)
    answer = client.post(f"/write/{doc_id}/suggest", json={"cursor": 0, "model": steered,
                                                           "constraint": {"lipogram": "e", "require": "lune"}},
                         headers={"Accept-Language": "fr"})  # fmt: skip
    assert answer.status_code == 400 and "le mot exigé « lune » contient « e »" in answer.json()["error"].replace("\u202f", " ")
    assert stored(studio_dir) == before


def test_the_ledger_alone_records_the_replaced_text_and_refuses_a_moved_rewrite():
    ledger = Ledger()
    ledger.apply([Edit(0, 0, "avant MILIEU après")], "t0")
    step = ledger.apply([Accept(6, 6, "g1", text="neuf", model_id="m1", before="avant ", after=" après")], "t1")
    assert step.kind == "accept" and ledger.text == "avant neuf après"
    assert ledger.pieces[0].replaced == "MILIEU" and ledger.piece_states()[0]["replaced"] == "MILIEU"
    assert Ledger.from_json(json.loads(json.dumps(ledger.to_json()))).pieces[0].replaced == "MILIEU"
    with pytest.raises(RewriteRefused, match="changed since"):
        ledger.apply([Accept(0, 5, "g2", text="x", model_id="m1", before="", after=" autre")], "t2")
    assert ledger.text == "avant neuf après" and len(ledger.pieces) == 1


def test_models_and_the_card_say_the_controls_and_the_infill_rate(web, run_cli):
    client, studio_dir, steered, old = web
    result = run_cli("--studio", str(studio_dir), "models")
    assert result.exit_code == 0, result.output
    assert f"{steered}: controls --as Alba Martin, Zoé Roy · --form poem, prose; infilling: yes (50% of training windows" \
        in result.output, result.output[-800:]  # fmt: skip
    assert f"{old}: no controls, no infilling (trained before them; `ouvroir retrain {old}`" in result.output
    listed = {m["id"]: m for m in json.loads(run_cli("--studio", str(studio_dir), "models", "--json").output)}
    assert listed[steered]["controls"] == {"author": ["Alba Martin", "Zoé Roy"], "form": ["poem", "prose"]}  # some works are read as verse
    assert listed[steered]["infill"] == {"available": True, "fim_rate": 0.5}
    assert listed[old]["controls"] == {} and listed[old]["infill"]["available"] is False
    with Studio.open(studio_dir) as studio:
        card = studio.models.card(steered, "fr")
        markdown, _ = studio.models.card_markdown(card, "fr")
        assert card["model"]["steering"]["controls"]["author"] == ["Alba Martin", "Zoé Roy"]
        assert "## Ce qu'on peut lui demander" in markdown and "**Auteur·ice**\u00a0: Alba Martin, Zoé Roy" in markdown
        assert "**Remplissage**\u00a0: disponible ; 50\u00a0% des fenêtres" in markdown.replace("\u202f;", " ;")
        english, _ = studio.models.card_markdown(studio.models.card(old, "en"), "en")
        assert "trained before they existed; retraining it gives them" in english
