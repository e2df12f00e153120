"""The web studio in a real browser (Debian's chromium driven by Playwright): a person uploads two
works, gives them consent, trains a tiny model, writes a paragraph with it — keeping one suggestion
and editing another — exports the document, and the export's ledger and signature verify."""

from __future__ import annotations

import json
import random
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from ouvroir.cocreate.documents import create_document, get_document, list_documents
from ouvroir.corpus.ingest import AddOptions
from ouvroir.provenance.manifest import COMPOSITE, sidecar_path
from ouvroir.provenance.verify import verify
from ouvroir.workshop.studio import Studio
from tests.conftest import WebStudio

playwright = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip install -e '.[test]')")
expect = playwright.expect
expect.set_options(timeout=30_000)  # as the page's own timeout: the suite runs two workers on two cores
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's `chromium` (CI installs it; a user's clone may lack it)")

# The flags Chromium needs on a machine with no network and no display.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
WORDS = ("la lune le vent une barque sur l'eau grise chante doucement vers le port où dort la ville "
         "et les arbres du quai tremblent sous la pluie d'été").split()


def poem(seed: int, stanzas: int = 40) -> str:
    rng = random.Random(seed)
    return "\n\n".join("\n".join(" ".join(rng.choice(WORDS) for _ in range(7)) for _ in range(4)) for _ in range(stanzas))


def accept_a_suggestion(page) -> str:
    """Ask for three variations at the cursor, keep the first one long enough to edit inside; return its text.

    The texts are taken from the studio's answer, not from the page, so they are exact (a tiny model may
    also answer with nothing, which the page offers but the studio will not insert).
    """
    with page.expect_response(lambda r: r.url.endswith("/suggest")) as answer:
        page.click("#suggest")
    texts = [s["text"] for s in answer.value.json()["suggestions"]]
    choice = next(i for i, text in enumerate(texts) if len(text.strip()) >= 5)
    editor = page.locator("#editor")
    expected = editor.input_value() + texts[choice]  # the caret is at the end: the suggestion goes there
    with page.expect_response(lambda r: r.url.endswith("/ops")):
        page.locator(".suggestion button.accept").nth(choice).click()
    expect(page.locator(".suggestion")).to_have_count(0)
    for _ in range(50):  # the page adopts the studio's answer just after it arrives
        if editor.input_value() == expected:
            break
        page.wait_for_timeout(100)
    assert editor.input_value() == expected
    return texts[choice]


@pytest.fixture
def browser_page(tmp_path: Path):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR", accept_downloads=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.problems = []  # console errors (a CSP violation among them) and uncaught script errors
        page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.set_default_timeout(30_000)
        yield page
        browser.close()


def test_upload_consent_train_write_export_and_verify(studio_dir: Path, tmp_path: Path, browser_page):
    Studio.init(studio_dir).close()
    files = []
    for seed, name in ((1, "Marines.txt"), (2, "Pluies d’été.txt")):
        path = tmp_path / name
        path.write_text(poem(seed), "utf-8")
        files.append(path)
    page = browser_page
    with WebStudio(studio_dir, "--port", "0") as server:
        base = server.url
        # 1. Upload two works at once; each gets its outcome.
        page.goto(f"{base}/corpus")
        page.set_input_files("#files", [str(f) for f in files])
        page.click("#upload-button")
        page.wait_for_selector("#upload-result .notice")
        assert page.locator("#upload-result .badge.added").count() == 2, page.inner_text("#upload-result")
        # 2. Without an owner, their consent is unknown; give both "train", with a reason.
        page.click("#refresh")
        assert page.locator("#works .badge.unknown").count() == 2
        page.check("#check-all")
        page.select_option("#consent-form select[name=consent]", "train")
        page.fill("#consent-form input[name=reason]", "mes propres poèmes")
        page.click("#consent-form button[type=submit]")
        page.locator("#works .badge.train").nth(1).wait_for()
        # 3. Train a tiny model for a few seconds and watch it finish.
        page.goto(f"{base}/train")
        page.select_option("#train-form select[name=size]", "tiny")
        page.fill("#train-form input[name=minutes]", "0.1")
        page.click("#start")
        page.wait_for_selector("#job[data-state=finished]", timeout=180_000)
        # 4. Write with it: type, keep one suggestion, then take another and edit inside it.
        page.click("#go-write")
        page.fill("#new-document input[name=title]", "Marine <b>du soir</b>")
        page.click("#new-document button")
        editor = page.locator("#editor")
        page.wait_for_selector("#writer[data-ready=true]")  # typed before, it would not reach the editor
        editor.click()
        page.keyboard.type("Au bout du quai, la mer ", delay=2)
        kept = accept_a_suggestion(page)
        page.keyboard.type(" et le vent ", delay=2)
        other = accept_a_suggestion(page)
        assert editor.input_value().endswith(other)
        for _ in range(3):
            page.keyboard.press("ArrowLeft")
        page.keyboard.type("ZZ", delay=2)
        expect(page.locator("#save-state")).to_have_text("Enregistré")
        shares = {c: page.locator(f"#ledger [data-category={c}] .share").inner_text() for c in ("written", "generated", "edited")}
        assert all(re.fullmatch(r"[1-9]\d*\u202f%", value) for value in shares.values()), shares
        assert page.locator("#backdrop mark.generated").count() >= 1 and page.locator("#backdrop mark.edited").count() >= 1
        # 5. Export as Markdown: a zip with the file and its signed provenance.
        with page.expect_download() as download:
            page.click("#export-md")
        archive = tmp_path / "export.zip"
        download.value.save_as(archive)
        assert not page.problems, page.problems
        assert "Traceback" not in server.output, server.output

    out = tmp_path / "export"
    zipfile.ZipFile(archive).extractall(out)
    exported = next(p for p in out.iterdir() if p.suffix == ".md")
    with Studio.open(studio_dir) as studio:
        verdict = verify(exported, studio)
        assert verdict.ok, verdict.as_dict()
        assert verdict.digital_source_type == COMPOSITE
        doc = list_documents(studio)[0]
        manifest = json.loads(sidecar_path(exported).read_text("utf-8"))
        ledger = manifest["assertions"]["ouvroir.ledger"]
        assert ledger["text"] == doc.text and exported.read_text("utf-8").startswith(doc.text)
        assert ledger["summary"] == doc.summary
        counts = doc.summary
        assert counts["written"] and counts["generated"] and counts["edited"]
        assert counts["written"] + counts["generated"] + counts["edited"] == len(doc.text)
        # What was typed is in the ledger as written; the kept suggestion is in the text as the model wrote
        # it; the edit sits inside the other one.
        assert doc.text.startswith("Au bout du quai, la mer " + kept + " et le vent "), doc.text
        assert ledger["spans"][0]["category"] == "written" and ledger["spans"][0]["start"] == 0
        assert doc.text[:ledger["spans"][0]["end"]] == "Au bout du quai, la mer "
        edited = [s for s in ledger["spans"] if s["category"] == "edited" and s["origin"] == "person"]
        assert [doc.text[s["start"]:s["end"]] for s in edited] == ["ZZ"]
        assert ledger["title"] == "Marine <b>du soir</b>"
        # Tampering with the export is noticed (and the tampering does change it: "Au bout" is there).
        tampered = exported.read_text("utf-8").replace("Au bout", "Au fond", 1)
        assert tampered != exported.read_text("utf-8")
        exported.write_text(tampered, "utf-8")
        assert not verify(exported, studio).ok


def test_the_editor_takes_no_keystroke_until_its_document_is_loaded(studio_dir: Path, browser_page):
    """Keys typed while the page's script still loads were shown, then wiped when it set the editor's text
    (a document saved with 0 characters). The editor stays read-only until the script is ready; from then
    on every keystroke reaches the ledger."""
    with Studio.init(studio_dir) as studio:
        doc_id = create_document(studio, "Brouillon").id
    page = browser_page
    held = []
    page.route("**/static/write.js", lambda route: held.append(route))  # the script arrives when we say so
    with WebStudio(studio_dir, "--port", "0") as server:
        page.goto(f"{server.url}/write/{doc_id}", wait_until="commit")
        editor = page.locator("#editor")
        editor.wait_for()
        editor.click()
        page.keyboard.type("perdu ", delay=2)
        assert editor.input_value() == ""  # not shown, so nothing shown is lost
        for _ in range(100):
            if held:
                break
            page.wait_for_timeout(50)
        held[0].continue_()
        page.wait_for_selector("#writer[data-ready=true]")
        editor.click()
        page.keyboard.type("Il pleut", delay=2)
        expect(page.locator("#save-state")).to_have_text("Enregistré")
        assert editor.input_value() == "Il pleut"
        assert not page.problems, page.problems
    with Studio.open(studio_dir) as studio:
        stored = get_document(studio, doc_id)
        assert stored.text == "Il pleut" and stored.summary["written"] == len("Il pleut")


def test_files_dropped_on_the_page_are_added_each_with_its_outcome(studio_dir: Path, browser_page):
    Studio.init(studio_dir, owner="Ada Martin").close()
    page = browser_page
    with WebStudio(studio_dir, "--port", "0") as server:
        page.goto(f"{server.url}/corpus")
        # What the browser hands the page when a person drops two files from their desktop.
        drop = page.evaluate_handle("""([good, name]) => {
            const data = new DataTransfer();
            data.items.add(new File([good], name, {type: "text/plain"}));
            data.items.add(new File(["MZ"], "setup.exe"));
            return data;
        }""", [poem(3), "Nocturne.txt"])
        page.dispatch_event("#dropzone", "drop", {"dataTransfer": drop})
        expect(page.locator("#chosen")).to_have_text("Nocturne.txt, setup.exe")
        page.click("#upload-button")
        page.wait_for_selector("#upload-result .notice")
        assert page.locator("#upload-result .badge.added").count() == 1
        refused = page.locator("#upload-result li", has=page.locator(".badge.failed")).inner_text()
        assert "setup.exe" in refused and "format" in refused
        assert not page.problems, page.problems
    with Studio.open(studio_dir) as studio:
        assert [w.title for w in studio.works()] == ["Nocturne"]


def test_the_train_page_counts_down_the_whole_run_and_lists_it_when_it_ends(studio_dir, tmp_path, browser_page):
    """The countdown starts from the whole budget, not the steps' share; the recent runs fill in without a reload."""
    for seed in (1, 2):
        (tmp_path / f"poeme-{seed}.txt").write_text(poem(seed), "utf-8")
    with Studio.init(studio_dir, owner="Ada Martin") as studio:
        options = AddOptions(author="Ada Martin", consent="train")
        assert studio.add([tmp_path / "poeme-1.txt", tmp_path / "poeme-2.txt"], options).ok
    page = browser_page
    with WebStudio(studio_dir, "--port", "0") as server:
        page.goto(f"{server.url}/train")
        assert page.locator("#recent-jobs").is_hidden()
        page.select_option("#train-form select[name=size]", "tiny")
        page.fill("#train-form input[name=minutes]", "0.5")
        page.click("#start")
        page.wait_for_selector("#time-left")
        minutes, seconds = map(int, page.inner_text("#time-left").split(":"))
        assert 15 <= 60 * minutes + seconds <= 30, page.inner_text("#time-left")  # 30 s in all, counted from the start
        page.evaluate("window.notReloaded = true")
        page.wait_for_selector("#job[data-state=finished]", timeout=180_000)
        row = page.locator("#recent-jobs tbody tr").first
        expect(row.locator(".badge.finished")).to_have_count(1)
        assert page.evaluate("window.notReloaded === true")
        assert not page.problems, page.problems
