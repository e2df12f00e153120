"""In a real browser (Debian's chromium driven by Playwright), the Write page offers the model's controls and
constraints, and "rewrite the selection" replaces a selected span with the candidate the person chooses: the
editor shows the new text as generated, the ledger lists what was replaced and by which sample, and no script
fails nor logs an error. Screenshots go to $OUVROIR_WRITE_SHOTS (else the test's own folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import WebStudio
from tests.test_web_controls import SPAN, TEXT, new_document, studio_models  # noqa: F401 (a fixture)
from tests.test_web_e2e import CHROMIUM, browser_page, expect  # noqa: F401 (browser_page is a fixture)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's `chromium` (CI installs it; a user's clone may lack it)")


def test_rewrite_the_selection_replaces_the_span_with_the_chosen_candidate(studio_models, browser_page, tmp_path):
    studio_dir, steered, _old = studio_models
    shots = Path(os.environ.get("OUVROIR_WRITE_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    doc_id, _ = new_document(studio_dir)
    page = browser_page
    with WebStudio(studio_dir, "--port", "0") as server:
        page.goto(f"{server.url}/write/{doc_id}?model={steered}")
        page.wait_for_selector("#writer[data-ready=true]")
        authors = page.locator("#control-author option")
        expect(authors).to_have_count(2)
        page.select_option("#control-author", ["Alba Martin", "Zoé Roy"])  # two voices, mixed
        expect(page.locator("#control-form option[value=prose]")).to_have_count(1)
        page.click("#constraints summary")
        page.fill("#c-lipogram", "e")
        page.fill("#c-max-line", "40")
        start = TEXT.index(SPAN)  # the text is ASCII up to the span: code points and UTF-16 agree
        page.evaluate("([a, b]) => { const e = document.getElementById('editor'); e.focus(); e.setSelectionRange(a, b); }",
                      [start, start + len(SPAN)])  # fmt: skip
        page.screenshot(path=str(shots / "write-controls.png"), full_page=True)

        page.fill("#c-lipogram", "")  # a rewrite takes no constraint: leave none set
        page.fill("#c-max-line", "")
        page.select_option("#variations", "3")
        with page.expect_response(lambda r: r.url.endswith("/rewrite")) as answer:
            page.click("#rewrite")
        assert answer.value.status == 200, answer.value.text()
        candidates = answer.value.json()["candidates"]
        cards = page.locator(".suggestion.candidate")
        expect(cards).to_have_count(3)
        expect(page.locator(".replacing")).to_contain_text(SPAN)
        page.screenshot(path=str(shots / "write-rewrite-candidates.png"), full_page=True)

        choice = next(i for i, c in enumerate(candidates) if c["text"].strip())
        chosen = candidates[choice]
        with page.expect_response(lambda r: r.url.endswith("/ops")):
            cards.nth(choice).locator("button.accept").click()
        expected = TEXT[:start] + chosen["text"] + TEXT[start + len(SPAN):]
        expect(page.locator("#editor")).to_have_value(expected)
        entry = page.locator(f"#rewrites li[data-sample='{chosen['sample_id']}']")
        expect(entry).to_contain_text(SPAN)
        expect(entry).to_contain_text(chosen["sample_id"])
        expect(page.locator("#backdrop mark.generated")).to_have_count(1)
        page.screenshot(path=str(shots / "write-rewritten.png"), full_page=True)
        assert not page.problems, page.problems
