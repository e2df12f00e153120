"""A large corpus is listed a page at a time, in the CLI and on the web corpus page, with a bounded
number of SQL queries whatever the number of works (bench/works_listing.py times it at 10,000)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ouvroir.fileio import sha256_bytes
from ouvroir.store import works as store
from ouvroir.store.db import now, transaction
from ouvroir.workshop.studio import Studio
from ouvroir.web.app import create_app, wrap
from tests.test_cli_corpus import works_json

AUTHORS = ["Émile Nelligan", "Renée Vivien", "Paul Verlaine"]


def many_works(studio: Studio, count: int, start: int = 0) -> list[str]:
    """``count`` distinct works through the store (no parsing, no files): every third one refused, ids returned."""
    ids = []
    with transaction(studio.conn):
        for number in range(start, start + count):
            sha = sha256_bytes(f"poème {number}".encode())
            # Listing reads no file, so none is written: the row alone satisfies the works' references.
            studio.conn.execute("INSERT INTO blobs (sha256, size, created_at) VALUES (?, 10, ?)", (sha, now()))
            work = store.Work(id=sha[:10], title=f"Poème {number:04d}", author=AUTHORS[number % 3], medium="text",
                              form="poem", format="txt", license="public-domain", source=None,
                              original_name=f"{number}.txt", original_sha256=sha, text_sha256=sha,
                              structure_sha256=sha, chars=10, encoding="utf-8", added_at=now())  # fmt: skip
            store.insert_work(studio.conn, work, None)
            store.append_consent(studio.conn, work.id, "no-train" if number % 3 == 0 else "train", "test", "user")
            ids.append(work.id)
    return ids


def selects(studio: Studio, action) -> int:
    statements: list[str] = []
    studio.conn.set_trace_callback(statements.append)
    try:
        action()
    finally:
        studio.conn.set_trace_callback(None)
    return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))


def test_a_page_of_works_costs_the_same_few_queries_at_30_and_at_300_works(studio: Studio):
    many_works(studio, 30)

    def page() -> None:
        assert len(studio.works(limit=20, offset=10)) == 20
        assert sum(studio.consent_counts().values()) in (30, 300)

    small = selects(studio, page)
    many_works(studio, 270, start=30)
    assert selects(studio, page) == small <= 3
    counts = studio.consent_counts(author="émile nelligan")
    assert counts == {"train": 0, "no-train": 100, "unknown": 0}
    # The search folds case beyond ASCII: "ÉMILE" finds "Émile".
    assert {w.author for w in studio.works(q="ÉMILE", limit=5)} == {"Émile Nelligan"}
    everything = studio.works()
    assert [w.id for w in studio.works(limit=50, offset=250)] == [w.id for w in everything[250:]]


def test_works_prints_one_page_says_how_to_see_more_and_all_prints_every_row(run_cli, studio: Studio):
    many_works(studio, 120)
    first = run_cli("works")
    assert first.exit_code == 0, first.output
    rows = re.findall(r"^[0-9a-f]{10} ", first.stdout, re.M)
    assert len(rows) == 50
    text = " ".join(first.stdout.split())
    assert "showing 1–50 of 120; --page 2 for more" in text
    assert "120 works, 80 trainable; not trainable: 40 with consent withdrawn or refused (no-train)" in text

    last = run_cli("works", "--page", "3")
    assert len(re.findall(r"^[0-9a-f]{10} ", last.stdout, re.M)) == 20
    assert "showing 101–120 of 120" in last.stdout and "--page 4" not in last.stdout
    shown = [re.findall(r"^[0-9a-f]{10}", run_cli("works", "--page", str(n)).stdout, re.M) for n in (1, 2, 3)]
    everything = re.findall(r"^[0-9a-f]{10}", run_cli("works", "--all").stdout, re.M)
    assert sum(shown, []) == everything and len(set(everything)) == 120

    refused = run_cli("works", "--consent", "no-train", "--per-page", "15", "--page", "2")
    assert "showing 16–30 of 40" in refused.stdout
    past = run_cli("works", "--page", "4")
    assert past.exit_code == 2 and "page 4 is past the end: 120 works make 3 page(s) of 50" in past.output
    # A program reading JSON gets every work unless it asks for a page.
    assert len(json.loads(run_cli("works", "--json").stdout)) == 120
    assert len(json.loads(run_cli("works", "--json", "--page", "3").stdout)) == 20

    # Past a screenful, rows are aligned without rich (which took 5 s for 10,000): same rows, same order.
    many_works(studio, 130, start=120)
    listed = run_cli("works", "--all").stdout
    assert re.findall(r"^([0-9a-f]{10}) +│ ", listed, re.M) == [w["id"] for w in works_json(run_cli)]
    assert re.match(r"id +┃ author +┃ title +┃ format +┃ chars ┃ licence +┃ consent\n━+╇", listed)
    assert "250 works, 166 trainable" in listed


@pytest.fixture
def client(studio: Studio, studio_dir: Path):
    app = create_app(studio_dir)
    yield TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    app.state.jobs.shutdown()


def test_the_corpus_page_shows_a_hundred_works_with_links_that_keep_the_filters(client, studio: Studio):
    many_works(studio, 350)
    page = client.get("/corpus")
    assert page.status_code == 200
    assert page.text.count('<tr data-work="') == 100
    assert len(page.content) < 150_000  # 350 rows used to be all there, and 10,000 made 4.7 MB
    assert 'href="/corpus?page=2" rel="next"' in page.text and 'rel="prev"' not in page.text
    assert "Works 1–100 of 350 · page 1 of 4" in page.text

    last = client.get("/corpus?page=4")
    assert last.text.count('<tr data-work="') == 50
    assert 'href="/corpus?page=3" rel="prev"' in last.text and 'rel="next"' not in last.text
    pages = [re.findall(r'<tr data-work="(\w+)"', client.get(f"/corpus?page={n}").text) for n in (1, 2, 3, 4)]
    assert len(set(sum(pages, []))) == 350

    # Filters are kept from page to page, and the consent form comes back to the same page.
    refused = client.get("/corpus?consent=no-train&q=%C3%A9mile&page=2")
    assert refused.text.count('<tr data-work="') == 17  # 117 works by Émile Nelligan, all refused
    assert 'href="/corpus?q=%C3%A9mile&amp;consent=no-train" rel="prev"' in refused.text
    assert "117 works / 350" in refused.text
    assert 'name="next" value="/corpus?q=%C3%A9mile&amp;consent=no-train&amp;page=2"' in refused.text
    assert client.get("/corpus?page=99").text.count('<tr data-work="') == 50  # past the end: the last page
