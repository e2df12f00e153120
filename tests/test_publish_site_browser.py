"""Issue #23's acceptance 4: the `--site` gallery opens in a real browser (Debian's chromium driven by
Playwright) straight from its folder (file://), with no console error (a CSP refusal would be one) and
no request for anything outside the folder: every request is routed, and any that is not a file of the
folder is aborted and counted.

A screenshot of an item page goes to $OUVROIR_SITE_SHOTS when set, else to the test's folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_publishing import made  # noqa: F401 (fixture: a tiny model, a co-written document and a sample)
from tests.test_web_e2e import CHROMIUM, browser_page, expect  # noqa: F401 (browser_page is a fixture)

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="needs Debian's `chromium` (CI installs it; a user's clone may lack it)")


def test_the_gallery_opens_offline_from_its_folder(made, browser_page, tmp_path):  # noqa: F811
    studio, doc, sample_id, _ = made
    site = studio.publish_site([doc.id, sample_id], "html,epub,pdf", tmp_path / "galerie")
    root = site.folder.resolve().as_uri() + "/"
    page = browser_page
    requested, refused = [], []

    def guard(route):
        url = route.request.url
        if url.startswith(root):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    page.route("**/*", guard)
    page.on("request", lambda r: requested.append(r.url))
    page.goto(root + "index.html")
    expect(page.locator("h1")).to_have_text("Galerie")
    expect(page.locator("ul.items li")).to_have_count(2)
    # The style sheet applied (the CSP lets the folder's own CSS in): the page's background is the gallery's.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(253, 252, 248)"
    page.locator("ul.items a").first.click()
    expect(page.locator("h1")).to_have_text(doc.title)
    qr_image = page.locator("figure.qr img")
    expect(qr_image).to_be_visible()
    page.wait_for_function("document.querySelector('figure.qr img').complete")
    assert page.evaluate("document.querySelector('figure.qr img').naturalWidth") > 50  # the SVG file loaded
    expect(page.locator("ul.formats a")).to_have_count(6)  # three formats, each with its signed sidecar
    expect(page.locator(".provenance")).to_contain_text("Qui a écrit quoi")
    shots = Path(os.environ.get("OUVROIR_SITE_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "site-item.png"), full_page=True)
    page.locator("nav a").click()
    expect(page.locator("h1")).to_have_text("Galerie")
    assert page.problems == [], page.problems
    assert refused == [], refused
    assert requested and all(url.startswith(root) for url in requested), requested
    assert any(url.endswith(".svg") for url in requested) and any(url.endswith("site.css") for url in requested)
