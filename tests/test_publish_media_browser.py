"""A published music sample and image sample open in a real browser (Debian's chromium driven by Playwright)
from their folder: no console error (a CSP refusal would be one), no request out of the page itself, the
sound playable from inside the page, the score drawn with its staff lines, the picture shown."""

from __future__ import annotations

import pytest

from tests.test_publish_image import picture  # noqa: F401 (fixture: a tiny image model's sample)
from tests.test_publish_music import music  # noqa: F401 (fixture: a tiny music model's sample)
from tests.test_web_e2e import CHROMIUM, browser_page, expect  # noqa: F401 (browser_page is a fixture)

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="needs Debian's `chromium` (CI installs it; a user's clone may lack it)")


def opened(page, path) -> list[str]:
    """Open ``path``; the URLs of requests other than the page itself (aborted)."""
    url, outside = path.resolve().as_uri(), []

    def guard(route):
        if route.request.url == url or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(url)
    return outside


def test_the_music_page_plays_its_sound_and_draws_its_score(music, browser_page, tmp_path):  # noqa: F811
    studio, sample = music
    (page_file,) = studio.publish([sample.id], "html", tmp_path / "out", lang="en").files
    page = browser_page
    outside = opened(page, page_file)
    expect(page.locator("figure.score svg.engraving")).to_be_visible()
    staff_line = "getComputedStyle(document.querySelector('figure.score g.staff > path')).stroke"
    assert page.evaluate(staff_line) == "rgb(0, 0, 0)"  # verovio's lines drawn (an SVG path has no stroke by default)
    assert page.evaluate("[...document.querySelectorAll('figure.score g.placeholder')]"
                         ".every(g => getComputedStyle(g).visibility === 'hidden')")  # verovio's markers, unseen
    page.evaluate("document.querySelector('figure.score audio').load()")
    page.wait_for_function("document.querySelector('figure.score audio').readyState >= 1", timeout=10_000)
    assert page.evaluate("document.querySelector('figure.score audio').duration") > 0.5
    assert page.problems == [], page.problems
    assert outside == [], outside


def test_the_image_page_shows_its_picture(picture, browser_page, tmp_path):  # noqa: F811
    studio, sample = picture
    (page_file,) = studio.publish([sample.id], "html", tmp_path / "out", lang="en").files
    page = browser_page
    outside = opened(page, page_file)
    expect(page.locator("figure.picture img")).to_be_visible()
    page.wait_for_function("document.querySelector('figure.picture img').complete")
    assert page.evaluate("document.querySelector('figure.picture img').naturalWidth") == 16
    assert page.problems == [], page.problems
    assert outside == [], outside
