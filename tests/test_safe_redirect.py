"""One rule decides where the web studio may redirect after an action: a path on the studio itself,
never another site, whatever a link or a form's ``next`` field says (the language switch and the
consent form both follow it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ouvroir.web.app import create_app, wrap
from ouvroir.web.security import CSRF_COOKIE
from ouvroir.workshop.studio import Studio
from tests.test_cli_corpus import poems  # noqa: F401  (the fixture: three works, consent train)

# A browser reads a backslash as a slash and drops tabs and line breaks from an address:
# each of these would leave the studio.
HOSTILE = ("//evil.example/", "http://evil.example/", "https:evil.example", "javascript:alert(1)", "/\\evil.example",
           "\\\\evil.example", "/\\/evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
           " //evil.example", "corpus", "")  # fmt: skip
KEPT = ("/", "/corpus?q=%C3%A9mile&consent=no-train&page=2", "/corpus/w1a2b3c4d5", "/train#current")


def test_the_rule_keeps_paths_on_the_studio_and_nothing_else() -> None:
    from ouvroir.web.security import local_target

    for target in HOSTILE + (None, 7, b"/corpus"):
        assert local_target(target, "/fallback") == "/fallback", target
    for target in KEPT:
        assert local_target(target, "/fallback") == target


@pytest.fixture
def client(studio: Studio, studio_dir: Path) -> TestClient:
    with TestClient(wrap(create_app(studio_dir), None), base_url="http://127.0.0.1") as client:
        client.get("/corpus")
        yield client


def test_the_language_switch_and_the_consent_form_follow_the_same_rule(client: TestClient, poems) -> None:  # noqa: F811
    one = next(iter(poems.values()))
    for target in HOSTILE:
        switched = client.get("/lang/en", params={"next": target}, follow_redirects=False)
        assert (switched.status_code, switched.headers["location"]) == (303, "/"), target
        form = {"csrf": client.cookies[CSRF_COOKIE], "work": [one], "consent": "train", "reason": "kept", "next": target}
        changed = client.post("/corpus/consent", data=form, follow_redirects=False)
        assert (changed.status_code, changed.headers["location"]) == (303, "/corpus"), target
    for target in KEPT:
        assert client.get("/lang/fr", params={"next": target}, follow_redirects=False).headers["location"] == target
        form = {"csrf": client.cookies[CSRF_COOKIE], "work": [one], "consent": "train", "reason": "kept", "next": target}
        assert client.post("/corpus/consent", data=form, follow_redirects=False).headers["location"] == target
