"""Issue #20's acceptance walk, in French, in a real browser (Debian's chromium driven by Playwright).

A person uploads a folder of poems sorted by author, gives them consent to train, adds three chorales,
corrects a title, is told (in French) that four poems are too few to train on and adds a notebook per
author, trains a text model and a music model from the Train page, renames one, generates text and
music and plays the music. On every page the browser shows, no English sentence of the
catalogues may appear, and no script may fail or log an error. A screenshot of each step goes to
$OUVROIR_WALKTHROUGH_SHOTS when set (so a person can look at the walk), else to the test's folder.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from ouvroir.i18n.card import CARD
from ouvroir.i18n.export import EXPORT
from ouvroir.i18n.report import AUDIT_NOTES, REPORT
from ouvroir.i18n.stages import STAGES
from ouvroir.i18n.web import WEB
from ouvroir.workshop.studio import Studio
from tests.conftest import WebStudio
from tests.test_web_e2e import CHROMIUM, browser_page, expect, poem  # noqa: F401 (browser_page is a fixture)

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="needs Debian's `chromium` (CI installs it; a user's clone may lack it)")
CATALOGUES = (WEB, CARD, STAGES, REPORT, AUDIT_NOTES, EXPORT)
TRAIN_MINUTES = "0.15"  # 9 s from the snapshot to the saved model: enough for a tiny model to be ready

# Poems written for this test, filed by author as a person's folders are.
POEMS = {
    "Anne Martin/La marée.txt": """La marée
La mer revient sans bruit sur le sable mouillé,
elle efface nos pas et les noms qu’on y grave ;
le phare, à l’horizon, compte les bateaux lents
et les mouettes crient au-dessus de l’épave.

Ô marée, tu reprends ce que l’été nous prête,
les châteaux, les cerfs-volants, les rires d’enfants ;
mais tu laisses au matin des coquillages neufs
et l’odeur du varech sur les rochers brillants.
""",
    "Anne Martin/Hiver à Brest.txt": """Hiver à Brest
Il pleut sur les quais gris depuis le mois de novembre,
les grues du port dorment sous leurs bâches d’acier ;
dans la rue de Siam un café garde ses lampes
pour les marins qui n’ont personne à qui parler.

Je traverse le pont à l’heure où la ville s’éteint,
l’eau noire du Penfeld porte un reflet de lune ;
j’entends sonner, très loin, la cloche d’un navire
et je rentre en comptant les pavés, un à un.
""",
    "Paul Roux/Le verger.txt": """Le verger
Au fond du jardin de ma grand-mère il y avait
quatre pommiers tordus et un cerisier très vieux ;
l’été, nous grimpions jusqu’aux plus hautes branches
pour voir passer les trains, les nuages et les dieux.

Les guêpes bourdonnaient autour des fruits tombés,
l’herbe sentait le foin, la terre et le soleil ;
aujourd’hui le verger est devenu parking,
mais je garde en mémoire un goût de miel vermeil.
""",
    "Paul Roux/Nuit d’août.txt": """Nuit d’août
Les étoiles filantes tombent sur la colline,
on les compte à voix basse, allongés dans les blés ;
un chien aboie au loin, une fenêtre s’allume,
la chaleur de la journée monte encore des prés.

Fais un vœu, me dis-tu, avant qu’elle ne s’efface ;
je ferme les yeux fort et je ne dis plus rien.
Le ciel d’août est si grand qu’il contient nos silences,
et la nuit nous apprend à nous tenir la main.
""",
}
CHORALES = ("bwv26.6", "bwv40.8", "bwv57.8")  # music21 ships them in its PyPI package


def english_only_strings() -> dict[str, str]:
    """Every fixed piece of an English string of the catalogues that a French page must never show -> its key.

    A string with {placeholders} is cut into its fixed pieces; a piece is kept when it means something
    (eight characters: "Add works", "Time left", not "of the") and no French string holds it (technical
    words read the same in both).
    """
    french = [text for catalogue in CATALOGUES for text in catalogue["fr"].values()]
    pieces: dict[str, str] = {}
    for catalogue in CATALOGUES:
        for key, english in catalogue["en"].items():
            if english == catalogue["fr"][key]:
                continue
            for piece in re.split(r"\{[^{}]*\}", english):
                piece = re.sub(r"\s+", " ", piece).strip(" :;,.·—–()[]\"'“”‘’«»!?|/+-")
                if len(piece) >= 8 and not any(piece in text for text in french):
                    pieces.setdefault(piece, f"{catalogue.name}:{key}")
    return pieces


ENGLISH = english_only_strings()
# Whole words only ("training" is English, "entraining" is not), the longest piece first.
SHOWN_ENGLISH = re.compile("|".join(rf"(?<!\w){re.escape(piece)}(?!\w)"
                                    for piece in sorted(ENGLISH, key=len, reverse=True)))  # fmt: skip


class Walk:
    """The page a person looks at, step by step: checked for English and errors, then photographed."""

    def __init__(self, page, shots: Path) -> None:
        self.page, self.shots, self.step = page, shots, 0
        self.shots.mkdir(parents=True, exist_ok=True)

    def look(self, name: str) -> str:
        page = self.page
        page.wait_for_load_state("load")
        self.step += 1
        page.screenshot(path=self.shots / f"{self.step:02d}-{name}.png", full_page=True)
        shown = re.sub(r"\s+", " ", page.title() + " " + page.evaluate("document.body.innerText"))
        english = sorted({(found, ENGLISH[found]) for found in SHOWN_ENGLISH.findall(shown)})
        assert not english, f"step {self.step} ({name}, {page.url}) shows English: {english}"
        assert not page.problems, f"step {self.step} ({name}, {page.url}): {page.problems}"
        return shown

    def submit(self, form: str) -> None:
        """Send a form as a person does, and wait for the page it leads to."""
        with self.page.expect_navigation():
            self.page.click(f"{form} button[type=submit]")


def start_training(walk: Walk, medium: str, label: str | None = None) -> str:
    """Start a tiny model on one medium from the Train page and wait for the run's end; its state.
    With a label, the running job is photographed too."""
    page = walk.page
    page.click("nav >> text=Entraîner")
    page.select_option("#train-form select[name=size]", "tiny")
    page.select_option("#train-form select[name=medium]", medium)
    page.fill("#train-form input[name=minutes]", TRAIN_MINUTES)
    walk.submit("#train-form")
    if label:  # photographed at its first progress figures (or at its end, on a machine slower than the budget)
        page.wait_for_function("""() => document.querySelector("#job").dataset.state !== "running"
                                        || document.querySelectorAll("#job .stats b").length > 1""")
        walk.look(f"{label}-running")
    page.wait_for_selector("#job:not([data-state=running])", timeout=120_000)
    return page.get_attribute("#job", "data-state")


def train(walk: Walk, medium: str, label: str) -> str:
    """Train a tiny model on one medium from the Train page, watch it finish, and open its page; its id."""
    page = walk.page
    assert start_training(walk, medium, label) == "finished", walk.look(f"{label}-ended")
    # A text model is offered for writing; a music model is not (the writing page takes text models).
    expect(page.locator("#go-write")).to_have_count(1 if medium == "text" else 0)
    expect(page.locator("#recent-jobs .badge.finished").first).to_be_visible()
    walk.look(f"{label}-finished")
    model_id = page.inner_text("#go-model")
    page.click("#go-model")
    page.wait_for_selector("#generate-form")
    assert page.locator("main a[href^='/write?model=']").count() == (1 if medium == "text" else 0)
    return model_id


def test_a_french_speaker_walks_from_corpus_to_music_without_meeting_english(studio_dir: Path, tmp_path: Path,
                                                                             browser_page):  # fmt: skip
    Studio.init(studio_dir).close()
    poems = tmp_path / "poèmes"
    for relative, text in POEMS.items():
        (poems / relative).parent.mkdir(parents=True, exist_ok=True)
        (poems / relative).write_text(text, "utf-8")
    corpus = pytest.importorskip("music21.corpus")
    chorales = []
    for name in CHORALES:
        chorales.append(tmp_path / f"{name}.mxl")
        shutil.copy(corpus.getWork(f"bach/{name}"), chorales[-1])
    page = browser_page
    walk = Walk(page, Path(os.environ.get("OUVROIR_WALKTHROUGH_SHOTS") or tmp_path / "shots"))
    with WebStudio(studio_dir, "--port", "0") as server:
        # 1. A folder of poems, one sub-folder per author: each work takes its folder's name as author.
        page.goto(f"{server.url}/corpus")
        page.wait_for_selector("#folder-picker:not([hidden])")
        assert "50 Mo au plus par fichier" in walk.look("corpus-empty")
        page.set_input_files("#folder", str(poems))
        page.check("#author-from-folder")
        expect(page.locator("#file-list input.file-author")).to_have_count(4)
        walk.look("folder-chosen")
        page.click("#upload-button")
        page.wait_for_selector("#upload-result .notice")
        assert page.locator("#upload-result .badge.added").count() == 4, page.inner_text("#upload-result")
        walk.look("folder-added")
        page.click("#refresh")
        authors = dict(zip(page.locator("#works tbody td:nth-child(2)").all_inner_texts(),
                           page.locator("#works tbody td:nth-child(3)").all_inner_texts()))  # fmt: skip
        assert authors == {"La marée": "Anne Martin", "Hiver à Brest": "Anne Martin", "Le verger": "Paul Roux",
                           "Nuit d’août": "Paul Roux"}, authors  # fmt: skip
        # ... then consent to train them all, with a reason.
        page.check("#check-all")
        page.select_option("#consent-form select[name=consent]", "train")
        page.fill("#consent-form input[name=reason]", "nos poèmes, pour l’atelier d’écriture")
        walk.submit("#consent-form")
        assert page.locator("#works .badge.train").count() == 4
        walk.look("poems-consented")

        # 2. Three chorales, with their author, licence and consent chosen in the upload form.
        page.set_input_files("#files", [str(c) for c in chorales])
        page.fill("#upload-form input[name=author]", "Jean-Sébastien Bach")
        page.fill("#upload-form input[name=license]", "public-domain")
        page.select_option("#upload-form select[name=consent]", "train")
        page.click("#upload-button")
        page.wait_for_selector("#upload-result .notice")
        assert page.locator("#upload-result .badge.added").count() == 3, page.inner_text("#upload-result")
        walk.look("chorales-added")
        page.click("#refresh")
        page.select_option("form[role=search] select[name=medium]", "music")
        walk.submit("form[role=search]")
        assert page.locator("#works .badge.train").count() == 3
        assert set(page.locator("#works tbody td:nth-child(3)").all_inner_texts()) == {"Jean-Sébastien Bach"}
        walk.look("chorales-listed")

        # 3. A title corrected on the work's page.
        page.goto(f"{server.url}/corpus?medium=text")
        page.click("#works a:text-is('La marée')")
        page.fill("#edit-form input[name=title]", "La marée haute")
        walk.submit("#edit-form")
        expect(page.locator("h1")).to_have_text("La marée haute")
        assert "La marée haute" in page.inner_text("#edit-history")
        # The history says in French what the studio wrote when no consent was chosen at upload.
        expect(page.locator("#history tbody tr").last).to_contain_text("aucun consentement donné à l’ajout")
        walk.look("title-corrected")

        # 4. Four short poems are too few to learn from: the Train page says so, in French ...
        assert start_training(walk, "text") == "failed"
        expect(page.locator("#job-result .error")).to_contain_text("Le corpus à entraîner est trop petit")
        expect(page.locator("#recent-jobs .badge.failed")).to_have_count(1)
        expect(page.locator("#recent-jobs tbody")).to_contain_text("ajoutez des œuvres")
        walk.look("too-few-poems")
        # ... so each author adds a notebook, consenting to train when adding it.
        page.click("nav >> text=Corpus")
        notebooks = tmp_path / "carnets"
        for seed, author in enumerate(("Anne Martin", "Paul Roux")):
            (notebooks / author).mkdir(parents=True)
            (notebooks / author / f"Carnet de {author.split()[0]}.txt").write_text(poem(seed, 20), "utf-8")
        page.set_input_files("#folder", str(notebooks))
        page.check("#author-from-folder")
        page.select_option("#upload-form select[name=consent]", "train")
        page.click("#upload-button")
        page.wait_for_selector("#upload-result .notice")
        assert page.locator("#upload-result .badge.added").count() == 2, page.inner_text("#upload-result")
        walk.look("notebooks-added")

        # 5. A text model from the Train page, renamed on its own page.
        text_model = train(walk, "text", "text-model")
        page.fill("#rename-form input[name=name]", "Marées et vergers")
        walk.submit("#rename-form")
        expect(page.locator("h1").first).to_contain_text("« Marées et vergers »")
        walk.look("text-model-renamed")
        # ... which writes: three short texts after an opening.
        page.fill("#generate-form input[name=prompt]", "La mer ")
        page.fill("#generate-form input[name=max_tokens]", "60")
        walk.submit("#generate-form")
        expect(page.locator(".sample pre.text")).to_have_count(3)
        assert all(text.startswith("La mer") for text in page.locator(".sample pre.text").all_inner_texts())
        walk.look("text-generated")

        # 6. A music model the same way; one piece generated, and heard.
        music_model = train(walk, "music", "music-model")
        assert music_model != text_model
        page.fill("#generate-form input[name=max_tokens]", "120")
        walk.submit("#generate-form")
        audio = page.locator(".sample audio")
        expect(audio).to_have_count(1)
        with page.expect_response(lambda r: r.url.endswith(".wav")) as sound:
            played = page.evaluate("""async () => {
                const audio = document.querySelector(".sample audio");
                audio.muted = true;  // a muted play needs no click, and no sound card
                await audio.play();
                for (let i = 0; i < 50 && audio.currentTime === 0; i++) await new Promise((r) => setTimeout(r, 100));
                audio.pause();
                return { time: audio.currentTime, ready: audio.readyState, duration: audio.duration,
                         error: audio.error && audio.error.code };
            }""")
        assert sound.value.ok and sound.value.header_value("content-type") == "audio/wav"
        assert played["error"] is None and played["ready"] >= 2, played  # no decoding error, and data to play
        assert played["time"] > 0 and played["duration"] > 0, played
        walk.look("music-generated-and-played")

        # The lists a person passes through on the way.
        page.click("nav >> text=Modèles")
        expect(page.locator("#models tbody tr")).to_have_count(2)
        walk.look("models")
        page.click("nav >> text=Écrire")
        walk.look("write")
        page.click("nav >> text=Auditer")
        walk.look("audit")
        assert "Traceback" not in server.output, server.output
