"""The web studio's pages do what a person clicks them for: training that stops and resumes,
audits of pasted text, model cards and exports, both languages. (The browser flow is in
test_web_e2e.py; the refusals in test_web_security.py.)"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ouvroir import Studio
from ouvroir.corpus.ingest import AddOptions
from ouvroir.store import models as model_store
from ouvroir.web.app import create_app, wrap
from ouvroir.web.security import CSRF_COOKIE
from tests.test_withdrawal import poem

JOB_TIMEOUT_S = 180


@pytest.fixture
def web(studio_dir: Path, tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(6):
        (corpus / f"poeme-{i}.txt").write_text(poem(i), "utf-8")
    with Studio.init(studio_dir, owner="Ada Martin") as studio:
        assert studio.add([corpus], AddOptions(author="Ada Martin", consent="train")).ok
    app = create_app(studio_dir)
    client = TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    client.get("/corpus")  # the CSRF cookie
    client.headers["X-CSRF-Token"] = client.cookies[CSRF_COOKIE]
    client.headers["Accept"] = "application/json"
    yield client, app, studio_dir
    app.state.jobs.shutdown()


def wait_for(client: TestClient, job_id: str, until) -> dict:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        answer = client.get(f"/jobs/{job_id}").json()
        if until(answer):
            return answer
        if answer["job"]["state"] != "running":  # ended without getting there: no point waiting on
            break
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not get there in {JOB_TIMEOUT_S} s: {answer}")


def test_training_shows_progress_stops_and_resumes_to_a_ready_model(web):
    client, app, studio_dir = web
    started = client.post("/train/start", json={"size": "tiny", "minutes": 0.5, "seed": 1})
    assert started.status_code == 200, started.text
    job_id = started.json()["job"]["id"]
    # A second training while one runs is refused with a reason, not queued behind the first.
    busy = client.post("/train/start", json={"size": "tiny", "minutes": 0.25})
    assert busy.status_code == 409 and "already running" in busy.json()["error"]
    # Live progress: steps, loss and validation reach the page while it trains.
    answer = wait_for(client, job_id, lambda a: any(e["event"] == "progress" and e["kind"] == "eval" for e in a["events"]))
    progress = [e for e in answer["events"] if e["event"] == "progress"]
    assert progress[-1]["step"] > 0 and progress[-1]["val_bpb"] > 0
    model_id = answer["job"]["result"]["model_id"]
    assert client.post(f"/jobs/{job_id}/stop").status_code == 200
    stopped = wait_for(client, job_id, lambda a: a["job"]["state"] != "running")
    assert stopped["job"]["state"] == "stopped"
    with Studio.open(studio_dir) as studio:
        assert model_store.resolve_model(studio.conn, model_id, ready_only=False).status == "training"
    page = client.get("/train", headers={"Accept": "text/html"}).text
    assert f"/train/resume/{model_id}" in page
    resumed = client.post(f"/train/resume/{model_id}").json()["job"]["id"]
    done = wait_for(client, resumed, lambda a: a["job"]["state"] != "running")
    assert done["job"]["state"] == "finished", done
    assert done["job"]["result"]["model_id"] == model_id
    with Studio.open(studio_dir) as studio:
        record = model_store.resolve_model(studio.conn, model_id)
        assert record.status == "ready" and record.val_bpb > 0
    # Generating from the model page stores signed samples, served by their own names only.
    generated = client.post(f"/models/{model_id}/generate", data={"prompt": "la lune", "n": "2", "max_tokens": "20"})
    assert generated.status_code == 200, generated.text
    samples = generated.json()["samples"]
    assert len(samples) == 2 and all(s["text"].startswith("la lune") for s in samples)
    first = samples[0]["files"][0]
    assert first["provenance"] and client.get(f"/samples/{first['name']}").text == samples[0]["text"]
    assert client.get(f"/samples/{first['provenance']}").json()["kind"] == "sample"
    assert client.get("/samples/..%2Fouvroir.sqlite").status_code == 404
    # The model page shows its card, and the export is a zip holding a signed Hugging Face folder.
    html = client.get(f"/models/{model_id}", headers={"Accept": "text/html"}).text
    assert "Model card" in html and f"/models/{model_id}/loss.png" in html
    assert client.get(f"/models/{model_id}/loss.png").headers["content-type"] == "image/png"
    exported = client.post(f"/models/{model_id}/export")
    names = zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    assert f"ouvroir-{model_id}/provenance.json" in names and f"ouvroir-{model_id}/model.safetensors" in names
    # Consent withdrawn from one of its works: the model is flagged, generation refused, retraining offered.
    with Studio.open(studio_dir) as studio:
        work = studio.works()[0]
    client.post("/corpus/consent", data={"work": work.id, "consent": "no-train", "reason": "the author asked"})
    flagged = client.get(f"/models/{model_id}", headers={"Accept": "text/html"}).text
    assert 'id="withdrawn"' in flagged and work.title in flagged and f"/models/{model_id}/retrain" in flagged
    assert "consent withdrawn" in client.get("/models", headers={"Accept": "text/html"}).text
    refused = client.post(f"/models/{model_id}/generate", data={"n": "1", "max_tokens": "5"})
    assert refused.status_code == 400 and "withdrawn" in refused.json()["error"]


def test_pasted_text_is_audited_against_the_corpus(web):
    client, _, studio_dir = web
    with Studio.open(studio_dir) as studio:
        source = studio.text(studio.works()[0])
    pasted = "Une réponse qui cite : " + source[:400] + " Et une fin à moi."
    job = client.post("/audit/text", json={"title": "Réponse d'un agent", "text": pasted}).json()["job"]
    done = wait_for(client, job["id"], lambda a: a["job"]["state"] != "running")
    assert done["job"]["state"] == "finished", done
    audit_id = done["job"]["result"]["audit_id"]
    figures = client.get(f"/audit/{audit_id}/audit.json").json()
    assert figures["copying"]["all"]["mean_copied_share"] > 0.5
    report = client.get(f"/audit/{audit_id}/report.html")
    assert report.status_code == 200 and "'unsafe-inline'" in report.headers["content-security-policy"]
    assert "script-src" not in report.headers["content-security-policy"]  # the report runs no script
    listing = client.get("/audit", headers={"Accept": "text/html"}).text
    assert f"/audit/{audit_id}" in listing
    empty = client.post("/audit/text", json={"title": "x", "text": "   "})
    assert empty.status_code == 400 and "empty" in empty.json()["error"]


def test_language_follows_the_browser_and_the_switch(web):
    client, _, _ = web
    html = {"Accept": "text/html"}
    assert "<h1>Your corpus</h1>" in client.get("/corpus", headers=html).text
    assert "<h1>Votre corpus</h1>" in client.get("/corpus", headers=html | {"Accept-Language": "fr-FR,fr;q=0.9"}).text
    switched = client.get("/lang/fr?next=/train", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/train"
    assert "Entraîner un modèle" in client.get("/train", headers=html).text  # the cookie wins over the browser


def test_the_write_api_refuses_a_stale_version_and_keeps_the_text(web):
    client, _, _ = web
    created = client.post("/write/new", data={"title": "Essai"}, follow_redirects=False)
    doc_id = created.headers["location"].split("/")[-1]
    version = client.get(f"/write/{doc_id}/state").json()["version"]
    first = client.post(f"/write/{doc_id}/ops", json={"version": version, "ops": [{"type": "edit", "at": 0, "delete": 0, "insert": "Le vent"}]})
    assert first.status_code == 200, first.text
    stale = client.post(f"/write/{doc_id}/ops", json={"version": version, "ops": [{"type": "edit", "at": 0, "delete": 2, "insert": ""}]})
    assert stale.status_code == 409
    state = client.get(f"/write/{doc_id}/state").json()
    assert state["text"] == "Le vent" and state["summary"]["written"] == 7
    bad = client.post(f"/write/{doc_id}/ops", json={"version": state["version"], "ops": [{"type": "accept", "at": 0, "delete": 0, "sample_id": "gnope"}]})
    assert bad.status_code in (400, 404) and "gnope" in json.dumps(bad.json())


def test_a_work_is_removed_only_when_the_box_is_checked(web):
    client, _, studio_dir = web
    with Studio.open(studio_dir) as studio:
        work = studio.works()[0]
    unconfirmed = client.post(f"/corpus/{work.id}/remove", data={})
    assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.json()["error"]
    assert client.post(f"/corpus/{work.id}/remove", data={"confirm": "yes"}).json() == {"removed": work.id}
    with Studio.open(studio_dir) as studio:
        assert work.id not in {w.id for w in studio.works()} and studio.check().ok
    assert client.get(f"/corpus/{work.id}").status_code == 404


def test_two_starts_at_the_same_moment_start_one_job(web):
    from concurrent.futures import ThreadPoolExecutor

    from ouvroir.web.jobs import JobError

    _, app, studio_dir = web
    jobs = app.state.jobs
    missing = str(studio_dir / "no-such-text.txt")

    def start(_):
        try:
            return jobs.start("audit-texts", {"paths": [missing], "lang": "en"})
        except JobError as exc:
            return exc

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(start, range(4)))
    started = [o for o in outcomes if not isinstance(o, JobError)]
    assert len(started) == 1, outcomes
    assert all("already running" in str(o) for o in outcomes if isinstance(o, JobError))
    finished = jobs.wait(started[0].id, timeout=60)
    assert finished.state == "failed" and "no-such-text.txt" in finished.result["message"]


def test_a_job_started_by_another_server_on_the_studio_is_seen_and_can_be_stopped(web):
    from ouvroir.web.jobs import JobError, JobRunner

    client, app, studio_dir = web
    job = client.post("/train/start", json={"size": "tiny", "minutes": 5}).json()["job"]
    wait_for(client, job["id"], lambda a: any(e["event"] == "model" for e in a["events"]))
    other = JobRunner(studio_dir)  # a second `ouvroir studio` on the same folder
    assert other.get(job["id"]).state == "running"
    with pytest.raises(JobError, match="already running"):
        other.start("train", {"size": "tiny", "minutes": 1})
    other.stop(job["id"])
    assert app.state.jobs.wait(job["id"], timeout=60).state == "stopped"
