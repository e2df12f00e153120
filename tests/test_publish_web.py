"""The web studio's Publish button: the Write page and each text sample on a model's page publish, in the
formats ticked, as one zip of the files and their signed sidecars (the workshop's `publish`, as the CLI)."""

from __future__ import annotations

import io
import zipfile

from starlette.testclient import TestClient

from ouvroir.web.app import create_app, wrap
from ouvroir.web.security import CSRF_COOKIE
from ouvroir.workshop import verify
from tests.test_publishing import made  # noqa: F401 (fixture: a tiny model, a co-written document and a sample)


def unzip(data: bytes, folder):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        archive.extractall(folder)
    return names


def test_the_write_page_and_a_sample_publish_a_zip_that_verifies(made, tmp_path):  # noqa: F811
    studio, doc, sample_id, _ = made
    client = TestClient(wrap(create_app(studio.root), None), base_url="http://127.0.0.1",
                        headers={"Accept-Language": "en"})  # fmt: skip
    page = client.get(f"/write/{doc.id}")
    assert f'action="/write/{doc.id}/publish"' in page.text and "Publish and download" in page.text
    assert page.text.count('name="formats"') == 3
    refused = client.post(f"/write/{doc.id}/publish", data={"formats": ["pdf"]})
    assert refused.status_code == 403  # no CSRF token: nothing is published
    token = client.cookies[CSRF_COOKIE]
    done = client.post(f"/write/{doc.id}/publish", data={"formats": ["html", "pdf"], "csrf": token})
    assert done.status_code == 200, done.text
    assert done.headers["content-type"] == "application/zip"
    assert done.headers["content-disposition"] == 'attachment; filename="le-port-la-nuit.zip"'
    names = unzip(done.content, tmp_path / "doc")
    assert names == ["le-port-la-nuit.html", "le-port-la-nuit.html.provenance.json", "le-port-la-nuit.pdf",
                     "le-port-la-nuit.pdf.provenance.json"]  # fmt: skip
    for name in ("le-port-la-nuit.html", "le-port-la-nuit.pdf"):
        verdict = verify(tmp_path / "doc" / name, studio)
        assert verdict.ok and verdict.kind == "co-creation", verdict.problem
    assert 'lang="en"' in (tmp_path / "doc" / "le-port-la-nuit.html").read_text("utf-8")  # the page's language

    model = next(s for s in studio.models.samples() if s.id == sample_id).model_id
    page = client.get(f"/models/{model}")
    assert f'action="/models/{model}/samples/{sample_id}/publish"' in page.text
    done = client.post(f"/models/{model}/samples/{sample_id}/publish", data={"formats": ["epub"], "csrf": token})
    assert done.status_code == 200, done.text
    names = unzip(done.content, tmp_path / "sample")
    assert len(names) == 2 and names[0].endswith(".epub")
    verdict = verify(tmp_path / "sample" / names[0], studio)
    assert verdict.ok and verdict.kind == "sample", verdict.problem

    none = client.post(f"/write/{doc.id}/publish", data={"csrf": token})
    assert none.status_code == 400 and "choose at least one format" in none.text
    elsewhere = client.post(f"/models/{model}/samples/g0000000000/publish", data={"formats": ["pdf"], "csrf": token})
    assert elsewhere.status_code == 404 and "has no sample" in elsewhere.text and "g0000000000" in elsewhere.text
