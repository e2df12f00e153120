"""The image medium in the web studio: images uploaded on the corpus page, the gallery of image works with their
thumbnails and consent, an image work's page (the picture, its facts, its consent history, its near duplicates).

Images are drawn in the test with Pillow; the in-process client drives the pages.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image
from starlette.testclient import TestClient

from ouvroir import Studio
from ouvroir.web.app import create_app, wrap
from ouvroir.web.security import CSRF_COOKIE


JSON = {"Accept": "application/json"}


def drawing(seed: int, size: int = 48) -> Image.Image:
    """A picture of its own: a few coloured rectangles and a disc on a tinted ground, different for each seed."""
    rng = np.random.default_rng(seed)
    pixels = np.full((size, size, 3), rng.integers(120, 255, 3), np.uint8)
    for _ in range(4):
        x0, y0 = rng.integers(0, size - 8, 2)
        w, h = rng.integers(6, size // 2, 2)
        pixels[y0 : y0 + h, x0 : x0 + w] = rng.integers(0, 255, 3)
    yy, xx = np.mgrid[:size, :size]
    cx, cy, r = *rng.integers(size // 4, 3 * size // 4, 2), rng.integers(4, size // 4)
    pixels[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.integers(0, 255, 3)
    return Image.fromarray(pixels)


def encoded(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@pytest.fixture
def web(studio_dir):
    Studio.init(studio_dir, owner="Ada Martin").close()
    app = create_app(studio_dir)
    client = TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    client.get("/corpus")  # the CSRF cookie
    client.headers["X-CSRF-Token"] = client.cookies[CSRF_COOKIE]
    yield client, studio_dir
    app.state.jobs.shutdown()


def upload(client: TestClient, files: list[tuple[str, bytes]], **fields) -> dict:
    answer = client.post("/corpus/upload", files=[("files", (name, data)) for name, data in files],
                         data={"author": "Ada Martin", "license": "CC-BY-4.0", **fields},
                         headers={"Accept": "application/json"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()


def html(client: TestClient, url: str, lang: str = "en") -> str:
    page = client.get(url, headers={"Accept": "text/html", "Accept-Language": lang})
    assert page.status_code == 200, page.text
    return page.text


def test_the_corpus_page_offers_images_and_says_each_uploaded_one_in_pixels(web):
    client, _ = web
    page = html(client, "/corpus")
    accept = re.search(r'<input type="file" name="files" id="files" multiple hidden accept="([^"]+)"', page).group(1)
    assert {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".txt", ".mid"} <= set(accept.split(","))
    assert "images" in page and 'id="upload-images-hint"' in page
    answer = upload(client, [("vague.png", encoded(drawing(1))), ("dune.jpg", encoded(drawing(2), "JPEG", quality=92)),
                             ("cassé.png", encoded(drawing(3))[:60]), ("notes.bmp", b"BM")], consent="train")  # fmt: skip
    assert answer["counts"] == {"added": 2, "duplicate": 0, "failed": 2}, answer
    said = {o["name"]: o["message"] for o in answer["outcomes"]}
    assert "48 × 48 pixels" in said["vague.png"] and "48 × 48 pixels" in said["dune.jpg"]
    assert ".bmp" in said["notes.bmp"] and ".png" in said["notes.bmp"]  # refused with the formats it reads
    assert "cassé.png" in said and said["cassé.png"]  # one line of its own; the others went on
    # The same pixels again, even re-encoded losslessly under another name, are the same work.
    again = upload(client, [("vague-copie.png", encoded(drawing(1), optimize=True))], consent="train")
    assert again["counts"]["duplicate"] == 1, again
    # The corpus lists them with a small picture and a way to the gallery; the medium filter knows images.
    listing = html(client, "/corpus?medium=image")
    assert listing.count('class="inline-thumb"') == 2 and 'href="/gallery"' in listing
    assert '<option value="image" selected>' in listing


def test_the_gallery_shows_thumbnails_with_their_consent_and_changes_it(web):
    client, studio_dir = web
    upload(client, [(f"dessin-{i}.png", encoded(drawing(10 + i, size=40 + 20 * i))) for i in range(3)], consent="train")
    upload(client, [("refus.png", encoded(drawing(20)))], consent="no-train", reason="pas pour un modèle")
    upload(client, [("poeme.txt", "Aube\n\nLa lune se lève sur la mer.\n".encode())], consent="train")
    page = html(client, "/gallery")
    tiles = re.findall(r'<li class="tile" data-work="([^"]+)"', page)
    assert len(tiles) == 4  # the images, not the poem
    assert page.count('picture.png?size=160"') == 4 and "4 images" in page
    assert 'class="badge no-train"' in page and page.count('class="badge train"') == 3
    # Each thumbnail is a PNG inside 160 × 160 with the picture's proportions, served from the studio's blobs.
    with Studio.open(studio_dir) as studio:
        works = {w.title: w for w in studio.works(medium="image")}
    for title, work in works.items():
        answer = client.get(f"/corpus/{work.id}/picture.png?size=160")
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png", title
        thumb = Image.open(io.BytesIO(answer.content))
        assert max(thumb.size) <= 160 and thumb.size[0] == thumb.size[1], (title, thumb.size)
        # a small picture is enlarged by whole pixels (crisp), a large one reduced to fit
        side = int(work.metadata["width"])
        assert thumb.size[0] == (160 // side) * side if side < 160 else 160
        whole = client.get(f"/corpus/{work.id}/picture.png")
        assert Image.open(io.BytesIO(whole.content)).size == (side, side)
        again = client.get(f"/corpus/{work.id}/picture.png?size=160", headers={"If-None-Match": answer.headers["etag"]})
        assert again.status_code == 304
    # A size no page uses, and a text work, have no picture.
    assert client.get(f"/corpus/{works['Dessin 0'].id}/picture.png?size=1000").status_code == 400
    with Studio.open(studio_dir) as studio:
        poem = studio.works(medium="text")[0]
    assert client.get(f"/corpus/{poem.id}/picture.png?size=160").status_code == 404
    # Consent is changed from the gallery as from the corpus page: a dated event with its reason.
    refused = works["Refus"]
    changed = client.post("/corpus/consent", data={"work": [works["Dessin 1"].id], "consent": "no-train",
                                                   "reason": "retirée de l'entraînement", "next": "/gallery"},
                          follow_redirects=False)  # fmt: skip
    assert changed.status_code == 303 and changed.headers["location"] == "/gallery"
    page = html(client, "/gallery?consent=no-train")
    assert set(re.findall(r'<li class="tile" data-work="([^"]+)"', page)) == {refused.id, works["Dessin 1"].id}
    assert "2 images / 4" in page
    # Reversing a refusal among several checked tiles asks first, as on the corpus page.
    reversal = client.post("/corpus/consent", data={"work": [refused.id, works["Dessin 0"].id], "consent": "train",
                                                    "reason": "oui", "next": "/gallery"})  # fmt: skip
    assert reversal.status_code == 200 and f'name="reverse" value="{refused.id}"' in reversal.text
    assert f'data-work="{refused.id}"' in html(client, "/gallery?consent=no-train")  # nothing changed meanwhile


def test_an_image_work_page_shows_the_picture_its_facts_history_and_near_duplicates(web):
    client, studio_dir = web
    original = drawing(30, size=96)
    upload(client, [("port.png", encoded(original))], consent="train")
    # The same picture, a little darker and saved as JPEG: other pixels, the same perceptual hash (near).
    darker = Image.fromarray((np.asarray(original) * 0.93).astype(np.uint8))
    upload(client, [("port-sombre.jpg", encoded(darker, "JPEG", quality=85))], consent="train")
    with Studio.open(studio_dir) as studio:
        works = {w.title: w for w in studio.works(medium="image")}
    port, darker_work = works["Port"], works["Port sombre"]
    client.post("/corpus/consent", data={"work": [port.id], "consent": "no-train", "reason": "exposée ailleurs",
                                         "next": f"/corpus/{port.id}"})  # fmt: skip
    page = html(client, f"/corpus/{port.id}")
    assert f'src="/corpus/{port.id}/picture.png?size=320"' in page and 'id="picture-facts"' in page
    assert "96 × 96 pixels" in page and port.metadata["phash"] in page
    assert "Beginning of the text" not in page  # no text excerpt for a picture
    history = page[page.index('id="history"'):]
    assert "exposée ailleurs" in history and history.index("no-train") < history.index("badge train")
    near = page[page.index('id="near"'):]
    assert f'href="/corpus/{darker_work.id}"' in near and "perceptual hash" in near and "similarity" in near
    # In French, every word of it.
    french = html(client, f"/corpus/{port.id}", lang="fr")
    assert "Images proches" in french and "Empreinte perceptuelle" in french and "96 × 96 pixels" in french
    assert "Near duplicates" not in french and "similarity" not in french


def test_the_gallery_speaks_french_and_english(web):
    client, _ = web
    upload(client, [("a.png", encoded(drawing(40)))], consent="train")
    french, english = html(client, "/gallery", "fr"), html(client, "/gallery", "en")
    assert "Galerie des images" in french and "1 image" in french and ">Galerie<" in french
    assert "Image gallery" in english and ">Gallery<" in english


def test_the_train_page_offers_the_image_medium_and_its_resolutions(web):
    client, _ = web
    upload(client, [(f"d{i}.png", encoded(drawing(50 + i))) for i in range(3)], consent="train")
    upload(client, [("poeme.txt", "Aube\n\nLa lune se lève sur la mer.\n".encode())], consent="train")
    page = html(client, "/train")  # it failed with a server error once the studio held an image
    assert '<option value="image">image (3 works)</option>' in page
    assert '<select name="resolution" id="resolution">' in page and '<option value="32">32 × 32 pixels</option>' in page
    refused = client.post("/train/start", json={"medium": "image", "resolution": "100", "minutes": 1}, headers=JSON)
    assert refused.status_code == 400 and "Resolution 100 refused" in refused.json()["error"]
    refused = client.post("/train/start", json={"medium": "video", "minutes": 1}, headers=JSON)
    assert refused.status_code == 400 and "text, music or image" in refused.json()["error"]
    french = html(client, "/train", "fr")
    assert "Résolution" in french and "32 × 32 pixels" in french


@pytest.fixture(scope="module")
def image_model(tmp_path_factory):
    """A studio of twelve drawings and a tiny image model trained on them for a few steps at 16 pixels."""
    root = tmp_path_factory.mktemp("image-model")
    folder = root / "dessins"
    folder.mkdir()
    for i in range(12):
        (folder / f"dessin-{i:02d}.png").write_bytes(encoded(drawing(200 + i, size=32)))
    from ouvroir.workshop import AddOptions

    with Studio.init(root / "studio", owner="Ada Martin") as studio:
        assert studio.add([folder], AddOptions(author="Ada Martin", consent="train")).ok
        record = studio.models.train(medium="image", resolution=16, steps=3, minutes=2, seed=1)
    return root / "studio", record


def test_an_image_model_page_generates_a_gallery_and_a_contact_sheet(image_model):
    studio_dir, record = image_model
    app = create_app(studio_dir)
    client = TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    client.get("/corpus")
    client.headers["X-CSRF-Token"] = client.cookies[CSRF_COOKIE]
    try:
        assert f'data-model="{record.id}"' in html(client, "/models")  # listed with the others (its bits per byte: —)
        page = html(client, f"/models/{record.id}")
        assert "16 × 16 pixels" in page and 'id="generate-form"' in page and 'name="steps"' in page
        assert 'name="prompt"' not in page and 'name="temperature"' not in page  # a text model's settings
        assert 'id="card"' in page and "diffusion transformer" in page  # its card, in its own terms
        assert client.get(f"/models/{record.id}/card.md").status_code == 200
        made = client.post(f"/models/{record.id}/generate", json={"n": 4, "seed": 7, "steps": 2}, headers=JSON)
        assert made.status_code == 200, made.text
        answer = made.json()
        assert len(answer["samples"]) == 4 and all(s["seed"] == 7 for s in answer["samples"])
        pictures = []
        for s in answer["samples"]:
            served = client.get(f"/samples/{s['file']}")
            assert served.status_code == 200 and served.headers["content-type"] == "image/png"
            pictures.append(np.asarray(Image.open(io.BytesIO(served.content)).convert("RGB")))
            assert pictures[-1].shape == (16, 16, 3)
            assert client.get(f"/samples/{s['file']}.provenance.json").status_code == 200
        sheet = client.get(f"/samples/{answer['sheet']}")
        assert sheet.status_code == 200 and Image.open(io.BytesIO(sheet.content)).width >= 4 * 64
        # The same seed gives the same pictures again (their files differ only in their signed manifests).
        again = client.post(f"/models/{record.id}/generate", json={"n": 4, "seed": 7, "steps": 2}, headers=JSON).json()
        repeated = [np.asarray(Image.open(io.BytesIO(client.get(f"/samples/{s['file']}").content)).convert("RGB"))
                    for s in again["samples"]]  # fmt: skip
        assert all(np.array_equal(a, b) for a, b in zip(pictures, repeated))
        page = html(client, f"/models/{record.id}")
        gallery = page[page.index('id="samples-gallery"'):]
        assert gallery.count("<img") == 8 and f'src="/samples/{answer["sheet"]}"' not in gallery
        assert f'class="sheet" src="/samples/{again["sheet"]}"' in page  # the latest batch's sheet
        assert "image_audits_none" not in page and 'id="image-audit-form"' in page
        french = html(client, f"/models/{record.id}", "fr")
        assert "Images générées" in french and "Planche contact" in french and "Pas d’échantillonnage" in french
        # An audit of the stored samples is listed on the page and opens its report.
        from ouvroir.workshop import AuditOptions

        with Studio.open(studio_dir) as studio:
            audit = studio.audits.model(record.id, AuditOptions(lang="en"), reuse=True)
        page = html(client, f"/models/{record.id}")
        assert f'href="/audit/{audit.id}"' in page[page.index('id="image-audit-list"'):]
        report = client.get(f"/audit/{audit.id}/report.html")
        assert report.status_code == 200 and 'id="copies"' in report.text
    finally:
        app.state.jobs.shutdown()


def test_pictures_uploaded_on_the_audit_page_are_audited_against_the_studio(image_model, tmp_path):
    """A generator's outputs, one of them a studio drawing re-encoded as JPEG: the report shows it beside its work."""
    studio_dir, _ = image_model
    app = create_app(studio_dir)
    client = TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    client.get("/corpus")
    client.headers["X-CSRF-Token"] = client.cookies[CSRF_COOKIE]
    try:
        page = html(client, "/audit")
        assert 'id="audit-images-form"' in page and 'accept=".jpeg,.jpg,.png' in page
        copy = encoded(drawing(205, size=32), "JPEG", quality=80)
        files = [("images", ("sortie-1.jpg", copy)), ("images", ("sortie-2.png", encoded(drawing(999, size=32))))]
        started = client.post("/audit/images", files=files, headers=JSON)
        assert started.status_code == 200, started.text
        job = app.state.jobs.wait(started.json()["job"]["id"], timeout=180)
        assert job.state == "finished", job
        audit_id = job.result["audit_id"]
        report = client.get(f"/audit/{audit_id}/report.html").text
        copies = report[report.index('id="copies"'):report.index('id="diversity"')]
        assert copies.count('class="pair"') == 1 and "Dessin 05" in copies and "<svg" in copies
        listing = html(client, "/audit")
        assert f'href="/audit/{audit_id}"' in listing and ">images<" in listing
        # Only pictures are taken here; nothing is started for a text file.
        refused = client.post("/audit/images", files=[("images", ("notes.txt", b"du texte"))], headers=JSON)
        assert refused.status_code == 400 and "notes.txt" in refused.json()["error"]
    finally:
        app.state.jobs.shutdown()


def test_an_image_training_job_is_followed_in_its_own_terms(image_model):
    """The Train page's panel for an image run names its curves by the flow's loss, never bits per byte."""
    studio_dir, _ = image_model
    app = create_app(studio_dir)
    client = TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    client.get("/corpus")
    client.headers["X-CSRF-Token"] = client.cookies[CSRF_COOKIE]
    try:
        started = client.post("/train/start", json={"medium": "image", "resolution": "16", "minutes": 1, "steps": 2},
                              headers=JSON)  # fmt: skip
        assert started.status_code == 200, started.text
        job = app.state.jobs.wait(started.json()["job"]["id"], timeout=180)
        assert job.state == "finished" and job.result["medium"] == "image" and job.result["val_loss"] > 0, job
        page = html(client, "/train")
        panel = page[page.index('id="job"'):page.index('id="recent-jobs"')]
        assert "Training loss (velocity)" in panel and "Loss on held-out images" in panel
        assert "bits" not in panel
    finally:
        app.state.jobs.shutdown()
