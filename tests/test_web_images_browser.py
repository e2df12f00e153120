"""Issue #24's acceptance 5, in a real browser (Debian's chromium driven by Playwright): images uploaded on the corpus
page, the gallery showing their thumbnails (decoded, at their size), an image model trained and its samples generated
from the pages, and the image audit report showing its copy pairs and distance histograms; no script fails or logs an
error, and no request leaves the studio.

Screenshots go to $OUVROIR_IMAGE_SHOTS when set (as images-*.png), else to the test's folder.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ouvroir import Studio
from tests.conftest import WebStudio
from tests.test_web_e2e import CHROMIUM, browser_page, expect  # noqa: F401 (browser_page is a fixture)
from tests.test_web_images import drawing, encoded

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="needs Debian's `chromium` (CI installs it; a user's clone may lack it)")
TRAIN_STEPS = 12


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("OUVROIR_IMAGE_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def local_only(page, base: str) -> list[str]:
    """Every request the page makes that is not to the studio itself is refused and listed."""
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return outside


def pictures(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"dessin-{i:02d}.png"
        path.write_bytes(encoded(drawing(100 + i, size=32)))
        paths.append(path)
    return paths


def test_upload_gallery_train_generate_and_the_image_audit_report(studio_dir, browser_page, tmp_path):  # noqa: F811
    Studio.init(studio_dir, owner="Ada Martin").close()
    page, out = browser_page, shots(tmp_path)
    files = pictures(tmp_path / "dessins", 12)

    def loaded(selector: str) -> None:
        page.wait_for_function("(s) => Array.from(document.querySelectorAll(s)).every(i => i.complete && i.naturalWidth > 0)",
                               arg=selector)  # a function, not a string: the page's CSP forbids eval

    with WebStudio(studio_dir, "--port", "0") as server:
        outside = local_only(page, server.url)
        page.goto(f"{server.url}/corpus")
        page.fill('input[name="author"]', "Ada Martin")
        page.select_option('#upload-form select[name="consent"]', "train")
        page.set_input_files("#files", [str(p) for p in files])
        page.click("#upload-button")
        expect(page.locator("#upload-result")).to_contain_text("12", timeout=60_000)
        page.screenshot(path=str(out / "images-upload.png"), full_page=True)

        page.goto(f"{server.url}/gallery")
        tiles = page.locator("#gallery li.tile")
        expect(tiles).to_have_count(12)
        loaded("#gallery img")
        sizes = page.evaluate("Array.from(document.querySelectorAll('#gallery img')).map(i => [i.naturalWidth, i.naturalHeight])")
        assert all(w == h == 160 for w, h in sizes), sizes  # 32 px drawings enlarged 5× by whole pixels
        page.screenshot(path=str(out / "images-gallery.png"), full_page=True)

        page.locator("#gallery li.tile a.picture").first.click()
        expect(page.locator("#picture img")).to_be_visible()
        loaded("#picture img, #near img")
        assert page.evaluate("document.querySelector('#picture img').naturalWidth") == 320
        page.screenshot(path=str(out / "images-work.png"), full_page=True)

        model_id = train_from_the_page(page, server.url, out)
        page.goto(f"{server.url}/models/{model_id}")
        page.fill('#generate-form input[name="n"]', "8")
        page.fill('#generate-form input[name="seed"]', "3")
        page.fill('#generate-form input[name="steps"]', "4")
        page.click('#generate-form button[type="submit"]')
        expect(page.locator("#samples-gallery img")).to_have_count(8, timeout=120_000)
        loaded("#samples-gallery img, #contact-sheet img")
        assert page.evaluate("document.querySelector('#contact-sheet img').naturalWidth") >= 8 * 64
        page.screenshot(path=str(out / "images-model.png"), full_page=True)

        # The model's audit, of the eight images the page shows: the distance histogram, samples against held-out.
        page.click('#image-audit-form button[type="submit"]')
        report = open_report(page, server.url)
        expect(page.locator("#copies svg")).to_have_count(1)
        page.screenshot(path=str(out / "images-report-model.png"), full_page=True)

        # Any pictures against the studio: one of them a drawing of the corpus re-encoded as JPEG, shown beside it.
        copy = tmp_path / "sortie-copiee.jpg"
        copy.write_bytes(encoded(drawing(103, size=32), "JPEG", quality=80))
        other = tmp_path / "sortie-neuve.png"
        other.write_bytes(encoded(drawing(4242, size=32)))
        page.goto(f"{server.url}/audit")
        page.set_input_files("#audit-images", [str(copy), str(other)])
        page.click('#audit-images-form button[type="submit"]')
        report = open_report(page, server.url)
        pairs = page.locator("#copies .pair")
        expect(pairs).to_have_count(1)
        expect(pairs.first).to_contain_text("Dessin 03")
        expect(page.locator("#copies svg")).to_have_count(1)
        assert page.evaluate("Array.from(document.querySelectorAll('#copies .pair img')).every(i => i.naturalWidth > 0)")
        page.screenshot(path=str(out / "images-report-copy.png"), full_page=True)
        assert report.endswith("/report.html")
        assert page.problems == [], page.problems
        assert outside == [], outside
        assert "Traceback" not in server.output, server.output


def open_report(page, base: str) -> str:
    """Wait on the Audit page for the job's report button, then open the report itself (the page frames it)."""
    page.locator("#go-report").click(timeout=240_000)
    expect(page.locator("iframe.report")).to_be_visible()
    page.goto(page.url.rstrip("/") + "/report.html")
    expect(page.locator("#copies")).to_be_visible()
    return page.url


def train_from_the_page(page, base: str, out: Path) -> str:
    """Start an image training on the Train page (a tiny step budget through its API) and wait for the model."""
    page.goto(f"{base}/train")
    expect(page.locator("#resolution")).to_be_visible()
    started = page.evaluate("""async (steps) => {
        const csrf = document.querySelector('meta[name="csrf-token"]').content;
        const r = await fetch('/train/start', {method: 'POST', headers: {'content-type': 'application/json',
            accept: 'application/json', 'x-csrf-token': csrf},
            body: JSON.stringify({medium: 'image', resolution: '16', minutes: 2, steps, seed: 1})});
        return r.json();
    }""", TRAIN_STEPS)
    assert "job" in started, started
    page.goto(f"{base}/train")
    expect(page.locator("#go-generate")).to_be_visible(timeout=240_000)
    page.screenshot(path=str(out / "images-train.png"), full_page=True)
    return page.locator("#go-model").inner_text()
