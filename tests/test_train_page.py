"""The Train page counts the works of the medium a run trains on, and lists recent runs as data the page polls."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ouvroir import Studio
from ouvroir.corpus.ingest import AddOptions
from ouvroir.web.app import create_app, wrap

WORDS = "le soir tombe sur la ville et les arbres chantent doucement sous une pluie claire".split()


@pytest.fixture
def client(studio_dir: Path, tmp_path: Path):
    corpus = pytest.importorskip("music21.corpus")
    rng = random.Random(0)
    (tmp_path / "poems").mkdir()
    for i in range(3):
        (tmp_path / "poems" / f"poeme_{i}.txt").write_text("\n".join(" ".join(rng.choice(WORDS) for _ in range(7))
                                                                     for _ in range(20)), "utf-8")  # fmt: skip
    (tmp_path / "chorales").mkdir()
    for name in ("bwv26.6", "bwv40.8"):
        shutil.copy(corpus.getWork(f"bach/{name}"), tmp_path / "chorales" / f"{name}.mxl")
    with Studio.init(studio_dir) as studio:
        for folder in ("poems", "chorales"):
            options = AddOptions(author="Anon", license="public-domain", consent="train")
            assert studio.add([tmp_path / folder], options).ok
    app = create_app(studio_dir)
    client = TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    client.jobs = app.state.jobs
    yield client
    app.state.jobs.shutdown()


def test_the_train_page_counts_the_works_of_each_medium_not_all_works(client):
    page = client.get("/train").text
    assert "(3 works)" in page and "5 works" not in page  # the lede: text, what a run trains on by default
    assert "text (3 works)</option>" in page and "music (2 works)</option>" in page


def test_the_jobs_list_the_page_polls_says_each_run_and_its_state(client):
    page = client.get("/train").text
    assert 'id="recent-jobs" data-kind="train" hidden' in page  # there to be filled in when a run starts
    assert client.get("/jobs?kind=train").json() == {"jobs": []}
    job = client.jobs.start("train", {"resume": "m-no-such-model"})  # a run that fails at once
    deadline = time.monotonic() + 60
    while (jobs := client.get("/jobs?kind=train").json()["jobs"])[0]["state"] == "running":
        assert time.monotonic() < deadline, jobs
        time.sleep(0.2)
    assert [(j["id"], j["kind"], j["state"]) for j in jobs] == [(job.id, "train", "failed")]
    assert client.get("/jobs?kind=audit").json() == {"jobs": []}
