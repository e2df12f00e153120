"""A change to several works at once never reverses a refusal unasked: "train" given to works of which
some said "no-train" names them and asks again — in the API, the CLI and the web corpus page.
One work named alone stays an explicit decision, recorded at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

import ouvroir.cli.corpus as cli_corpus
from ouvroir.errors import ConsentReversal
from ouvroir.workshop.studio import Studio
from ouvroir.web.app import create_app, wrap
from ouvroir.web.security import CSRF_COOKIE
from tests.test_cli_corpus import poems  # noqa: F401  (the fixture: three works, consent train)


@pytest.fixture
def refused(studio: Studio, poems: dict[str, str]) -> tuple[list[str], str]:  # noqa: F811
    """The three poems' ids, and the one whose author then withdrew consent."""
    studio.set_consent([poems["aube.txt"]], "no-train", "the author withdrew it")
    return list(poems.values()), poems["aube.txt"]


def history(studio: Studio, work_id: str) -> list[str]:
    return [e.consent for e in studio.consent_history(work_id)]


def test_the_api_names_the_refusals_and_changes_nothing_until_they_are_confirmed(studio: Studio, refused):
    ids, aube = refused
    with pytest.raises(ConsentReversal, match=rf"1 of the 3 works refused training .*{aube} 'Aube'") as raised:
        studio.set_consent(ids, "train", "bulk")
    assert [w.id for w in raised.value.works] == [aube]
    assert history(studio, aube) == ["train", "no-train"]
    assert all(len(studio.consent_history(i)) == 1 for i in ids if i != aube)  # all or none
    with pytest.raises(ConsentReversal):  # confirming other works is not confirming this one
        studio.set_consent(ids, "train", "bulk", reverse_refusals=[i for i in ids if i != aube])
    assert studio.refusals_reversed(ids, "no-train") == [] and studio.refusals_reversed([aube], "train") == []
    studio.set_consent(ids, "train", "agreed again by letter", reverse_refusals=[aube])
    assert history(studio, aube) == ["train", "no-train", "train"]
    studio.set_consent([aube], "no-train", "withdrawn again")
    studio.set_consent([aube], "train", "one work, named alone: its own decision")
    assert history(studio, aube)[-1] == "train"


def test_the_cli_names_them_and_without_a_terminal_or_yes_refuses(run_cli, studio: Studio, refused, monkeypatch):
    ids, aube = refused
    result = run_cli("consent", *ids, "train", "--reason", "bulk")
    assert result.exit_code == 1
    assert "1 of these 3 works refused training" in result.stderr
    assert f"{aube} 'Aube' by unknown — no-train since" in result.stderr and "the author withdrew it" in result.stderr
    assert "not reversing 1 refusal(s) without confirmation: nothing changed. Run again with --yes" in result.stderr
    assert history(studio, aube) == ["train", "no-train"]

    monkeypatch.setattr(cli_corpus, "_interactive", lambda: True)  # a person at a terminal
    declined = run_cli("consent", *ids, "train", "--reason", "bulk", input="n\n")
    assert declined.exit_code == 1 and "Reverse these 1 refusal(s)?" in declined.stderr
    assert history(studio, aube) == ["train", "no-train"]
    accepted = run_cli("consent", *ids, "train", "--reason", "agreed again", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert f"{aube}: consent train recorded" in accepted.stdout
    assert history(studio, aube) == ["train", "no-train", "train"]

    monkeypatch.setattr(cli_corpus, "_interactive", lambda: False)
    run_cli("consent", aube, "no-train", "--reason", "withdrawn again")
    confirmed = run_cli("consent", *ids, "train", "--reason", "agreed by letter", "--yes")
    assert confirmed.exit_code == 0, confirmed.output
    assert history(studio, aube)[-1] == "train"
    # Withdrawing several at once, or naming one work alone, asks nothing.
    assert run_cli("consent", *ids, "no-train", "--reason", "all withdrawn").exit_code == 0
    assert run_cli("consent", aube, "train", "--reason", "this one, again").exit_code == 0
    assert history(studio, aube)[-2:] == ["no-train", "train"]


def test_the_web_page_asks_again_on_a_page_that_lists_the_refusals(studio: Studio, studio_dir: Path, refused):
    ids, aube = refused
    app = create_app(studio_dir)
    client = TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    try:
        client.get("/corpus")
        csrf = client.cookies[CSRF_COOKIE]
        form = {"csrf": csrf, "work": ids, "consent": "train", "reason": "check all, train", "next": "/corpus?page=1"}
        asked = client.post("/corpus/consent", data=form, follow_redirects=False)
        assert asked.status_code == 200
        assert "1 of the 3 checked works refused training" in asked.text
        assert f'<tr data-work="{aube}">' in asked.text and "the author withdrew it" in asked.text
        assert f'name="reverse" value="{aube}"' in asked.text and "Yes, reverse these 1 refusals" in asked.text
        assert history(studio, aube) == ["train", "no-train"]

        as_json = client.post("/corpus/consent", data=form,
                              headers={"Accept": "application/json", "X-CSRF-Token": csrf})  # fmt: skip
        assert as_json.status_code == 409
        assert [r["id"] for r in as_json.json()["refusals"]] == [aube]
        assert history(studio, aube) == ["train", "no-train"]

        french = client.post("/corpus/consent", data=form, headers={"Accept-Language": "fr"})
        assert "1 des 3 œuvres cochées ont refusé l’entraînement" in french.text

        done = client.post("/corpus/consent", data=form | {"reverse": [aube]}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/corpus?page=1"
        assert history(studio, aube) == ["train", "no-train", "train"]
    finally:
        app.state.jobs.shutdown()
