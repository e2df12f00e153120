"""The corpus commands as a user runs them: init, add, works, show, consent, remove, check."""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path

import pytest

from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import StudioError
from ouvroir.workshop.studio import Studio
from tests.conftest import SHARED, SHARED_REASON, CliRun, needs_shared, run_ouvroir

REPO = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def works_json(run_cli, *args: str) -> list[dict]:
    result = run_cli("works", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- Acceptance 2: the French corpus, end to end with the real `ouvroir` program ---------------


@pytest.fixture(scope="module")
def french(tmp_path_factory: pytest.TempPathFactory):
    """`ouvroir add ../shared/corpora/french ...` typed from the repository root, then the same again.

    The first run is the real console script in a subprocess (entry point, exit code, output
    streams); the second runs in-process, which is quicker and goes through the same click code.
    """
    if not SHARED.is_dir():
        pytest.skip(SHARED_REASON)
    root = tmp_path_factory.mktemp("french") / "studio"
    Studio.init(root).close()
    folder = os.path.relpath(SHARED / "french", REPO)  # ../shared/corpora/french, as in the README
    args = ["add", folder, "--author-from-dir", "--license", "public-domain", "--consent", "train"]
    first = run_ouvroir("--studio", root, *args, cwd=REPO)
    cwd = Path.cwd()
    os.chdir(REPO)
    try:
        second = CliRun()("--studio", root, *args)
    finally:
        os.chdir(cwd)
    files = sorted((SHARED / "french").rglob("*.txt"))
    return root, first, second, files


@needs_shared
def test_french_corpus_is_added_with_titles_and_authors(french):
    root, first, _, files = french
    assert len(files) == 56
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert "56 added, 0 already present, 0 failed" in first.stdout
    with Studio.open(root) as studio:
        works = studio.works()
        assert len(works) == 56
        by_name = {w.original_name: w for w in works}
        assert set(by_name) == {f.name for f in files}
        for f in files:
            work = by_name[f.name]
            # --author-from-dir: the author is the parent folder's name, capitalized.
            assert work.author == f.parent.name.replace("_", " ").title(), f
            assert work.title.strip(), f
            assert (work.license, work.consent, work.trainable) == ("public-domain", "train", True)
            assert work.encoding == "utf-8"
        fleurs = by_name["les_fleurs_du_mal.txt"]
        assert (fleurs.title, fleurs.author, fleurs.form) == ("Les fleurs du mal", "Baudelaire", "poetry")
        # Accents come back from the file's first line when the file name spells the title without them.
        assert by_name["poemes_saturniens.txt"].title == "Poèmes saturniens"
        assert studio.check().ok


def first_stanza(text: str) -> str:
    """The first block of two or more lines (blocks are separated by blank lines)."""
    for block in re.split(r"\n\s*\n", text):
        if len(block.strip("\n").split("\n")) >= 2:
            return block.strip("\n")
    raise AssertionError("no stanza found")


@needs_shared
def test_show_by_title_prints_the_first_stanza_exactly(french):
    root = french[0]
    source = (SHARED / "french" / "poetry" / "baudelaire" / "les_fleurs_du_mal.txt").read_text(encoding="utf-8")
    stanza = first_stanza(source)
    lines = stanza.split("\n")
    # What "exactly" must cover here: several lines, leading spaces and accented letters.
    assert len(lines) >= 4 and all(line.startswith("  ") for line in lines)
    assert any(ord(ch) > 127 for ch in stanza)

    shown = CliRun()("--studio", root, "show", "Les fleurs du mal")
    assert shown.exit_code == 0, shown.output
    assert "\n" + stanza + "\n" in shown.stdout
    assert "Les fleurs du mal" in shown.stdout and "Baudelaire" in shown.stdout


@needs_shared
def test_adding_the_same_folder_again_adds_nothing(french):
    root, _, second, _ = french
    assert second.exit_code == 0, second.output[-2000:]
    assert "0 added, 56 already present, 0 failed" in second.stdout
    assert second.stdout.count("not stored twice") == 56
    with Studio.open(root) as studio:
        assert len(studio.works()) == 56


# -- Acceptance 5: consent ----------------------------------------------------------------------

POEMS = {
    "aube.txt": "Le jour se lève sur la ville grise\net les pigeons comptent les toits.",
    "soir.txt": "Le soir descend dans la cour des écoles\noù les craies dorment sous la pluie.",
    "nuit.txt": "La nuit plie les draps de la rivière\net range les barques une à une.",
}


@pytest.fixture
def poems(studio: Studio, tmp_path: Path) -> dict[str, str]:
    """Three works added with consent train; name -> work id."""
    paths = [write(tmp_path / "poems" / name, text) for name, text in POEMS.items()]
    report = studio.add(paths, AddOptions(consent="train", reason="my own poems", license="CC-BY-4.0"))
    assert report.ok
    return {o.path.name: o.work.id for o in report.outcomes}


def test_trainable_exactly_when_the_latest_event_says_train_api(studio: Studio, poems: dict[str, str]):
    aube, soir, nuit = poems["aube.txt"], poems["soir.txt"], poems["nuit.txt"]
    steps = [
        ([aube], "no-train", {soir, nuit}),
        ([aube, soir], "train", {aube, soir, nuit}),
        ([soir], "no-train", {aube, nuit}),
        ([aube, nuit], "no-train", set()),
        ([aube], "train", {aube}),
        ([aube], "no-train", set()),
    ]
    for number, (refs, consent, expected) in enumerate(steps):
        # Step 1 gives "train" to two works, one of which refused: confirmed here (the refusal tests are below).
        studio.set_consent(refs, consent, f"step {number}", reverse_refusals=number == 1)
        assert {w.id for w in studio.trainable_works()} == expected, number
        for work_id in poems.values():
            work = studio.work(work_id)
            latest = studio.consent_history(work)[-1]
            assert work.consent == latest.consent
            assert work.trainable == (work_id in expected) == (latest.consent == "train")
    history = studio.consent_history(aube)
    assert [e.consent for e in history] == ["train", "no-train", "train", "no-train", "train", "no-train"]
    assert [e.reason for e in history[1:]] == ["step 0", "step 1", "step 3", "step 4", "step 5"]
    assert all(a.at <= b.at for a, b in itertools.pairwise(history))


def test_trainable_exactly_when_the_latest_event_says_train_cli(run_cli, poems: dict[str, str]):
    aube, soir, nuit = poems["aube.txt"], poems["soir.txt"], poems["nuit.txt"]
    assert {w["id"] for w in works_json(run_cli, "--consent", "train")} == {aube, soir, nuit}
    for consent, expected in [("no-train", {soir, nuit}), ("train", {aube, soir, nuit}), ("no-train", {soir, nuit})]:
        result = run_cli("consent", aube, consent, "--reason", f"decided: {consent}")
        assert result.exit_code == 0, result.output
        assert f"{aube}: consent {consent} recorded" in result.output
        listed = works_json(run_cli, "--consent", "train")
        assert {w["id"] for w in listed} == expected
        assert all(w["trainable"] and w["consent"] == "train" for w in listed)
    refused = works_json(run_cli, "--consent", "no-train")
    assert [(w["id"], w["consent_reason"], w["trainable"]) for w in refused] == [(aube, "decided: no-train", False)]
    # Several works at once, by title and by id prefix.
    result = run_cli("consent", "Aube", soir[:6], "no-train", "--reason", "withdrawn")
    assert result.exit_code == 0, result.output
    assert {w["id"] for w in works_json(run_cli, "--consent", "train")} == {nuit}


def test_work_without_consent_is_unknown_and_works_says_why(run_cli, studio: Studio, tmp_path: Path):
    a = studio.add([write(tmp_path / "x" / "sans.txt", "Un poème venu sans accord\net sans refus non plus.")])
    b = studio.add([write(tmp_path / "x" / "oui.txt", "Un poème donné de bon cœur\npour que la machine apprenne.")],
                   AddOptions(consent="train"))  # fmt: skip
    c = studio.add([write(tmp_path / "x" / "non.txt", "Un poème qu’on garde pour soi\net pour personne d’autre.")],
                   AddOptions(consent="no-train"))  # fmt: skip
    unknown = a.outcomes[0].work
    assert (unknown.consent, unknown.trainable) == ("unknown", False)
    assert studio.consent_history(unknown)[0].origin == "ingest"
    assert [w.id for w in studio.trainable_works()] == [b.outcomes[0].work.id]
    assert c.outcomes[0].work.consent == "no-train"

    result = run_cli("works")
    assert result.exit_code == 0, result.output
    summary = " ".join(result.output.split())  # the summary line may wrap on a narrow terminal
    assert "3 works, 1 trainable; not trainable:" in summary
    assert "1 without consent (unknown" in summary and "ouvroir consent WORK train --reason" in summary
    assert "1 with consent withdrawn or refused (no-train)" in summary

    added = run_cli("add", write(tmp_path / "y" / "encore.txt", "Encore un poème\nsans consentement donné."))
    assert "1 of the added works are not trainable" in added.output


def test_owner_works_default_to_train_others_to_unknown(run_cli, studio_dir: Path, tmp_path: Path):
    result = run_cli("init", "--owner", "Ada Martin")
    assert result.exit_code == 0, result.output
    assert "Ada Martin" in result.output
    mine = write(tmp_path / "a" / "mien.txt", "Mes propres vers,\nécrits au crayon.")
    other = write(tmp_path / "b" / "autre.txt", "Les vers d’un autre,\nrecopiés un dimanche.")
    also_mine = write(
        tmp_path / "c" / "carnet.txt",
        "Title: Carnet\nAuthor: ADA  MARTIN\n*** START OF THE PROJECT GUTENBERG EBOOK CARNET ***\n"
        "Un carnet à moi,\nmême sous un en-tête.\n*** END OF THE PROJECT GUTENBERG EBOOK CARNET ***\n",
    )
    assert run_cli("add", mine, "--author", "  ada   MARTIN ").exit_code == 0
    assert run_cli("add", other, "--author", "Bruno Caillou").exit_code == 0
    assert run_cli("add", also_mine).exit_code == 0  # author read from the file itself: any file can claim it
    with Studio.open(studio_dir) as studio:
        assert studio.owner == "Ada Martin"
        by_name = {w.original_name: w for w in studio.works()}
        work = by_name["mien.txt"]
        assert (work.consent, work.trainable) == ("train", True)
        [event] = studio.consent_history(work)
        assert event.origin == "owner-default" and "Ada Martin" in event.reason
        assert by_name["carnet.txt"].author == "ADA MARTIN" and by_name["carnet.txt"].consent == "unknown"
        assert (by_name["autre.txt"].consent, by_name["autre.txt"].trainable) == ("unknown", False)
        assert studio.consent_history(by_name["autre.txt"])[0].origin == "ingest"


DOWNLOADED_HTML = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><meta name="author" content="ada MARTIN">
<title>Page téléchargée</title></head>
<body><p>Un texte trouvé sur la toile, signé d’un nom qui ne prouve rien : n’importe quel fichier peut le dire.</p></body></html>
"""

OWN_HTML = DOWNLOADED_HTML.replace("Un texte trouvé sur la toile", "Ma page à moi, que je range moi-même")


def test_the_owner_rule_needs_an_author_you_give_not_one_the_file_declares(run_cli, studio_dir: Path, tmp_path: Path):
    assert run_cli("init", "--owner", "Ada Martin").exit_code == 0
    page = write(tmp_path / "web" / "page.html", DOWNLOADED_HTML)
    result = run_cli("add", page)
    assert result.exit_code == 0, result.output
    assert ("consent unknown (author 'ada MARTIN' declared by the file; the owner rule needs an author you give"
            in result.output)  # fmt: skip
    owner_rule = "consent train (owner rule: the author you gave is the studio's owner, Ada Martin)"
    given = run_cli("add", write(tmp_path / "a" / "page.html", OWN_HTML), "--author", "Ada Martin")
    assert owner_rule in given.output
    write(tmp_path / "lot" / "ada_martin" / "vers.txt", "Mes vers,\nrangés dans mon dossier.")
    from_dir = run_cli("add", tmp_path / "lot", "--author-from-dir")
    assert owner_rule in from_dir.output
    write(tmp_path / "m" / "carnet.txt", "Un carnet,\ncatalogué par moi.")
    write(tmp_path / "m" / "catalogue.csv", "path,author\ncarnet.txt,ADA MARTIN\n")
    assert owner_rule in run_cli("add", "--manifest", tmp_path / "m" / "catalogue.csv").output
    with Studio.open(studio_dir) as studio:
        consents = sorted((w.original_name, w.consent) for w in studio.works())
    assert consents == [("carnet.txt", "train"), ("page.html", "train"), ("page.html", "unknown"), ("vers.txt", "train")]


TDM_HTML = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="tdm-reservation" content="1">
<title>Chronique du marché</title></head>
<body><h1>Chronique du marché</h1>
<p>Le marché du samedi ouvre avant l’aube ; les maraîchers déplient leurs tables sous les platanes.</p>
<p>À midi, tout est rangé, et il ne reste que l’odeur des fraises écrasées sur le trottoir.</p>
</body></html>
"""


def test_tdm_reserved_file_is_no_train_unless_overridden(run_cli, studio: Studio, tmp_path: Path):
    page = write(tmp_path / "a" / "chronique.html", TDM_HTML)
    result = run_cli("add", page, "--license", "all-rights-reserved")
    assert result.exit_code == 0, result.output
    work = studio.work("Chronique du marché")
    assert (work.consent, work.trainable) == ("no-train", False)
    [event] = studio.consent_history(work)
    assert event.origin == "tdm-reservation" and "tdm-reservation=1" in event.reason

    # The same reservation, explicitly overridden at ingest: both events are kept, the override last.
    studio.remove(work.id)
    result = run_cli("add", page, "--consent", "train", "--reason", "the publisher agreed in writing")
    assert result.exit_code == 0, result.output
    work = studio.work("Chronique du marché")
    assert (work.consent, work.trainable) == ("train", True)
    reserved, override = studio.consent_history(work)
    assert (reserved.consent, reserved.origin) == ("no-train", "tdm-reservation")
    assert (override.consent, override.origin) == ("train", "user")
    assert "override" in override.reason and "the publisher agreed in writing" in override.reason


def test_epub_reserving_tdm_rights_is_no_train_and_show_says_why(run_cli, studio: Studio, tmp_path: Path):
    """#5 acceptance 5: the reservation, read from the EPUB's metadata, is the recorded reason."""
    from tests.formatfixtures import write_epub

    book = write_epub(tmp_path / "livre.epub", "Les Heures", "Zoé Lefèvre", tdm_reservation=True)
    assert run_cli("add", book, "--license", "all-rights-reserved").exit_code == 0
    shown = run_cli("show", "Les Heures")
    assert shown.exit_code == 0, shown.output
    assert "no-train" in shown.output and "tdm-reservation" in shown.output
    assert not studio.work("Les Heures").trainable


def test_consent_without_a_reason_is_refused(run_cli, studio: Studio, poems: dict[str, str]):
    aube = poems["aube.txt"]
    before = studio.consent_history(aube)
    missing = run_cli("consent", aube, "no-train")
    assert missing.exit_code == 2 and "--reason" in missing.output
    blank = run_cli("consent", aube, "no-train", "--reason", "   ")
    assert blank.exit_code == 1 and "needs a reason" in blank.stderr
    with pytest.raises(StudioError, match="needs a reason"):
        studio.set_consent([aube], "no-train", "")
    assert studio.consent_history(aube) == before
    assert studio.work(aube).trainable


def test_consent_naming_one_unknown_work_changes_nothing(run_cli, studio: Studio, poems: dict[str, str]):
    histories = {w: studio.consent_history(w) for w in poems.values()}
    result = run_cli("consent", poems["aube.txt"], poems["soir.txt"], "ffff0000", "no-train", "--reason", "all of them")
    assert result.exit_code == 1
    assert "no work matches 'ffff0000'" in result.stderr
    assert "Traceback" not in result.output
    assert {w: studio.consent_history(w) for w in poems.values()} == histories
    assert len(studio.trainable_works()) == 3


def test_invalid_consent_value_is_refused(run_cli, poems: dict[str, str]):
    result = run_cli("consent", poems["aube.txt"], "maybe", "--reason", "unsure")
    assert result.exit_code == 2 and "maybe" in result.output


# -- remove and check through the CLI -----------------------------------------------------------


def test_remove_then_check_passes(run_cli, studio: Studio, poems: dict[str, str]):
    aube = studio.work(poems["aube.txt"])
    result = run_cli("remove", aube.id, "--yes")
    assert result.exit_code == 0, result.output
    assert f"Removed {aube.id}" in result.output
    assert {w.id for w in studio.works()} == {poems["soir.txt"], poems["nuit.txt"]}
    assert studio.consent_history(aube) == []
    assert not studio.blobs.path(aube.text_sha256).exists()
    check = run_cli("check")
    assert check.exit_code == 0 and "Studio OK: 2 works" in check.output
    again = run_cli("remove", aube.id, "--yes")
    assert again.exit_code == 1 and "no work matches" in again.stderr


def test_check_exits_1_and_names_the_problem(run_cli, studio: Studio, poems: dict[str, str]):
    assert run_cli("check").exit_code == 0
    soir = studio.work(poems["soir.txt"])
    path = studio.blobs.path(soir.text_sha256)
    data = bytearray(path.read_bytes())
    data[0] ^= 0x20
    path.write_bytes(bytes(data))
    nuit = studio.work(poems["nuit.txt"])
    studio.blobs.path(nuit.structure_sha256).unlink()

    result = run_cli("check")
    assert result.exit_code == 1
    assert f"blob {soir.text_sha256[:12]}…: content does not match its hash" in result.stderr
    assert f"blob {nuit.structure_sha256[:12]}…: missing" in result.stderr
    assert "2 problem(s) found." in result.stderr
    as_json = run_cli("check", "--json")
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False and len(report["problems"]) == 2


def test_commands_on_a_folder_without_a_studio_say_how_to_create_one(run_cli, studio_dir: Path):
    result = run_cli("works")
    assert result.exit_code == 1
    assert f"no studio at {studio_dir}" in result.stderr and f"ouvroir --studio {studio_dir} init" in result.stderr
    assert not studio_dir.exists()


def test_show_prints_metadata_history_and_text(run_cli, studio: Studio, poems: dict[str, str]):
    studio.set_consent([poems["nuit.txt"]], "no-train", "le poème est trop personnel")
    result = run_cli("show", "Nuit")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "not trainable" in out and "le poème est trop personnel" in out and "my own poems" in out
    assert out.rstrip("\n").endswith(POEMS["nuit.txt"])
