"""Issue #22's acceptance 3 for music, in a real browser (Debian's chromium driven by Playwright): a music
sample's page shows its engraved score, its sound plays, the bar being played is highlighted as it sounds,
and no script fails or logs an error (a style or a font the page's CSP refused would be one).

A screenshot of the page, the second bar lit, goes to $OUVROIR_SCORE_SHOTS when set, else to the test's folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import WebStudio
from tests.test_music_scores import chorales, sample  # noqa: F401 (fixtures: a tiny music model and its piece)
from tests.test_web_e2e import CHROMIUM, browser_page, expect  # noqa: F401 (browser_page is a fixture)

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="needs Debian's `chromium` (CI installs it; a user's clone may lack it)")


def test_a_music_sample_page_shows_its_score_and_follows_the_sound(chorales, sample, browser_page,  # noqa: F811
                                                                    tmp_path):
    record, made = sample
    page = browser_page
    with WebStudio(chorales.root, "--port", "0") as server:
        page.goto(f"{server.url}/models/{record.id}")
        with page.expect_response(lambda r: r.url.endswith(".wav")) as sound:  # preloaded with the page
            page.locator(f'a[href="/models/{record.id}/samples/{made.id}"]').click()
        assert sound.value.ok and sound.value.header_value("content-type") == "audio/wav"
        expect(page.locator("h1")).to_contain_text(made.id)
        score = page.locator("#score svg.engraving")
        expect(score).to_be_visible()
        assert page.locator("#score g.note").count() >= 12  # the opening's three bars at least
        box = score.bounding_box()
        assert box and box["width"] > 400 and box["height"] > 100  # drawn at a size one reads, not collapsed
        played = page.evaluate("""async () => {
            const audio = document.getElementById("sample-audio");
            audio.muted = true;  // a muted play needs no click, and no sound card
            await audio.play();
            for (let i = 0; i < 100 && audio.currentTime < 2.8; i++) await new Promise((r) => setTimeout(r, 100));
            audio.pause();
            const lit = document.querySelector("#score g.measure.playing");
            const bars = Array.from(document.querySelectorAll("#score g.measure"));
            return { time: audio.currentTime, error: audio.error && audio.error.code, bar: bars.indexOf(lit),
                     sounding: document.querySelectorAll("#score g.note.sounding").length };
        }""")
        assert played["error"] is None and played["time"] > 2.4, played  # it plays: the time moved on
        assert played["bar"] == 1, played  # at 100 quarter notes a minute, a 4/4 bar lasts 2.4 s: the second is lit
        assert played["sounding"] >= 1, played
        shots = Path(os.environ.get("OUVROIR_SCORE_SHOTS") or tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "music-sample.png"), full_page=True)
        # A click on the first bar plays from there.
        first = page.locator("#score g.measure").first.bounding_box()
        page.mouse.click(first["x"] + first["width"] / 2, first["y"] + first["height"] / 2)  # blank paper in the bar
        page.wait_for_function("document.getElementById('sample-audio').currentTime < 2.4 && "
                               "!document.getElementById('sample-audio').paused")
        page.evaluate("document.getElementById('sample-audio').pause()")
        assert page.problems == [], page.problems
        assert "Traceback" not in server.output, server.output
