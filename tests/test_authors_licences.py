"""Authors in web uploads (from the folder, per file, from a byline) and works without a known licence.

A byline under a title ("Gérard de Nerval, 1854") gives the author, and the outcome says so; a line of verse
never does (checked on poems and prose drawn from ../shared/corpora). A work whose licence is ``unknown`` is
flagged in ``works``, on the Train page and in the model card, and ``--require-license`` refuses to train on it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ouvroir import Studio
from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import TrainingError
from ouvroir.media.formats.markdown import parse_markdown
from ouvroir.media.formats.txt import parse_text
from ouvroir.provenance.card import build_card, render_markdown
from ouvroir.web.app import create_app, wrap
from ouvroir.web.security import CSRF_COOKIE
from tests.conftest import SHARED, needs_shared

JSON = {"Accept": "application/json"}
WORDS = "le soir tombe sur la ville et les arbres chantent doucement sous une pluie claire".split()
POEM = "Je suis le ténébreux, le veuf, l'inconsolé,\nLe prince d'Aquitaine à la tour abolie :\n"
# (as written under the title, the author it names)
BYLINES = [("Gérard de Nerval, 1854", "Gérard de Nerval"), ("par Victor Hugo", "Victor Hugo"),
           ("by Jane Austen", "Jane Austen"), ("Arthur Rimbaud, 1870-1872", "Arthur Rimbaud"),
           ("Marceline Desbordes-Valmore", "Marceline Desbordes-Valmore"), ("Par Jean de La Fontaine", "Jean de La Fontaine"),
           ("J.-K. Huysmans (1884)", "J.-K. Huysmans"), ("BY MARY SHELLEY", "Mary Shelley")]  # fmt: skip


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def verses(rng: random.Random, lines: int = 40) -> str:
    return "\n".join(" ".join(rng.choice(WORDS) for _ in range(7)) for _ in range(lines))


# -- bylines -----------------------------------------------------------------------------------------


def test_a_byline_under_the_title_gives_the_author_and_the_outcome_says_so(studio, tmp_path):
    txt = write(tmp_path / "chimeres.txt", f"Les Chimères\nGérard de Nerval, 1854\n\n\nEL DESDICHADO\n\n{POEM}")
    md = write(tmp_path / "nuit.md", f"# Nuit\n\n*par Victor Hugo*\n\n{POEM}")
    report = studio.add([txt, md], AddOptions())
    by_name = {o.path.name: o for o in report.outcomes}
    assert [o.status for o in report.outcomes] == ["added", "added"]
    assert by_name["chimeres.txt"].work.author == "Gérard de Nerval"
    assert by_name["nuit.md"].work.author == "Victor Hugo"
    assert "author taken from the byline: Gérard de Nerval ('Gérard de Nerval, 1854')" in by_name["chimeres.txt"].notes
    assert any(n.startswith("author taken from the byline: Victor Hugo") for n in by_name["nuit.md"].notes)
    # the note stays with the work (its page shows the notes), and the text keeps its byline line
    assert any("byline" in n for n in studio.work(by_name["chimeres.txt"].work.id).notes)
    assert studio.text(by_name["chimeres.txt"].work).startswith("Les Chimères\nGérard de Nerval, 1854\n")
    # and what is not a byline is not taken for one
    for text in ("Chanson d'automne\nLes sanglots longs\nDes violons\n", "ACTE I\n\nScène Première\n\nLe rideau.",
                 "Lettre\nNew York, 1920\n\nCher ami,", "Nuit\n\nÀ Paul Bourget\n\nLa lune.",
                 "Ce siècle avait deux ans ! Rome remplaçait Sparte,\nDéjà Napoléon perçait sous Bonaparte,"):  # fmt: skip
        assert parse_text(text, "utf-8", "x.txt").author is None, text
    assert parse_markdown("# Nuit\n\nLa lune est sur les toits,\nVictor Hugo", "utf-8").author is None


def test_an_explicit_author_wins_over_the_byline_and_the_owner_rule_ignores_a_byline(owner_studio, tmp_path):
    given = write(tmp_path / "a" / "chimeres.txt", f"Les Chimères\nGérard de Nerval, 1854\n\n\n{POEM}")
    report = owner_studio.add([given], AddOptions(author="Ada Martin"))
    (outcome,) = report.outcomes
    assert outcome.work.author == "Ada Martin"
    assert not any("byline" in n for n in outcome.notes)
    assert outcome.work.consent == "train"  # the owner rule: the author the person gave is the owner
    # a file that names the owner in its byline does not get consent by it
    claimed = write(tmp_path / "b" / "aube.txt", f"L'Aube\npar Ada Martin\n\n{POEM}Et puis encore un vers.\n")
    (outcome,) = owner_studio.add([claimed], AddOptions()).outcomes
    assert outcome.work.author == "Ada Martin" and outcome.work.consent == "unknown"


def _poems(text: str) -> list[str]:
    """The poems of a collection file: separated by two blank lines, each from its title on."""
    return [p.strip("\n") for p in text.split("\n\n\n")[1:] if p.strip()]


@needs_shared
def test_no_false_byline_on_real_poems_and_prose_and_constructed_bylines_are_found():
    rng = random.Random(20)
    poetry = sorted((SHARED / "french" / "poetry").rglob("*.txt"))
    prose = sorted((SHARED / "french" / "prose").rglob("*.txt"))
    poems = [p for f in poetry for p in _poems(f.read_text("utf-8"))]
    drawn = rng.sample(poems, 300)
    # prose: a file's text from a drawn paragraph on, as if a file began there
    for f in rng.sample(prose, 8):
        paragraphs = f.read_text("utf-8").split("\n\n")
        for start in rng.sample(range(len(paragraphs) - 3), 20):
            drawn.append("\n\n".join(paragraphs[start : start + 4]))
    false = [(text[:80], found.author) for text in drawn if (found := parse_text(text, "utf-8", "x.txt")).author]
    assert false == [], f"{len(false)} of {len(drawn)} real openings taken for bylines: {false[:5]}"
    titled = [p for p in poems if p.split("\n", 1)[0].isupper()]  # the corpus's titles are in capitals
    for text in rng.sample(titled, 40):
        line, author = rng.choice(BYLINES)
        title, _, rest = text.partition("\n")
        for shaped in (f"{title}\n{line}\n\n\n{rest}", f"{title}\n\n{line}\n\n{rest}"):
            work = parse_text(shaped, "utf-8", "x.txt")
            assert (work.author, work.byline) == (author, line), shaped[:120]
    # each collection file of the corpus opens with its title and "Poet, year": the poet is its folder's
    expected = {"baudelaire": "Charles Baudelaire", "hugo": "Victor Hugo", "verlaine": "Paul Verlaine",
                "rimbaud": "Arthur Rimbaud", "nerval": "Gérard de Nerval", "mallarme": "Stéphane Mallarmé",
                "laforgue": "Jules Laforgue"}  # fmt: skip
    for f in poetry:
        assert parse_text(f.read_text("utf-8"), "utf-8", f.name).author == expected[f.parent.name], f

# -- web uploads: author from folder, per-file author ------------------------------------------------


@pytest.fixture
def client(studio_dir: Path):
    Studio.init(studio_dir).close()
    with TestClient(wrap(create_app(studio_dir), None), base_url="http://127.0.0.1",
                    headers={"Accept-Language": "en"}) as c:  # fmt: skip
        c.get("/corpus")
        yield c


def test_web_upload_takes_authors_from_folders_and_per_file(client, studio_dir):
    rng = random.Random(1)
    files = [("nuit.txt", "victor_hugo/nuit.txt", ""), ("aube.txt", "Poètes/Marceline Desbordes-Valmore/aube.txt", ""),
             ("soir.txt", "victor_hugo/soir.txt", "Ada Martin"), ("seul.txt", "seul.txt", ""),
             ("ruse.txt", "../../etc/ruse.txt", "")]  # fmt: skip
    parts = [("files", (name, verses(rng).encode(), "text/plain")) for name, _, _ in files]
    data = {"csrf": client.cookies[CSRF_COOKIE], "author_from_folder": "1",
            "paths": [p for _, p, _ in files], "file_authors": [a for _, _, a in files]}  # fmt: skip
    answer = client.post("/corpus/upload", files=parts, data=data, headers=JSON).json()
    assert answer["counts"] == {"added": 5, "duplicate": 0, "failed": 0}, answer
    with Studio.open(studio_dir) as studio:
        authors = {w.original_name: w.author for w in studio.works()}
    assert authors == {"nuit.txt": "Victor Hugo", "aube.txt": "Marceline Desbordes-Valmore", "soir.txt": "Ada Martin",
                       "seul.txt": None, "ruse.txt": "Etc"}  # fmt: skip
    # without the box, a folder is not an author; a per-file author still is
    more = [("files", (n, verses(rng).encode(), "text/plain")) for n in ("pluie.txt", "vent.txt")]
    data = {"csrf": client.cookies[CSRF_COOKIE], "paths": ["victor_hugo/pluie.txt", "victor_hugo/vent.txt"],
            "file_authors": ["", "Basile Roy"]}  # fmt: skip
    assert client.post("/corpus/upload", files=more, data=data, headers=JSON).json()["counts"]["added"] == 2
    with Studio.open(studio_dir) as studio:
        authors = {w.original_name: w.author for w in studio.works()}
    assert authors["pluie.txt"] is None and authors["vent.txt"] == "Basile Roy"


def test_the_corpus_page_offers_author_from_folder_a_folder_picker_and_per_file_authors(client):
    page = client.get("/corpus").text
    assert 'name="author_from_folder"' in page and "webkitdirectory" in page and 'id="file-list"' in page
    script = client.get("/static/corpus.js").text
    for needed in ("webkitGetAsEntry", "webkitRelativePath", '"paths"', '"file_authors"'):
        assert needed in script
    french = client.get("/corpus", headers={"Accept-Language": "fr"}).text
    assert "Auteur·ice d’après le dossier" in french


# -- works without a known licence -------------------------------------------------------------------


def _studio_with_unlicensed(studio: Studio, tmp_path: Path, unlicensed: int = 7, licensed: int = 3) -> None:
    rng = random.Random(2)
    for i in range(licensed):
        write(tmp_path / "libre" / f"libre_{i}.txt", verses(rng, 60))
    for i in range(unlicensed):
        write(tmp_path / "flou" / f"flou_{i}.txt", verses(rng, 60))
    assert studio.add([tmp_path / "libre"], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    assert studio.add([tmp_path / "flou"], AddOptions(author="Basile Roy", consent="train")).ok


def test_works_flags_unknown_licences(studio, tmp_path, run_cli):
    _studio_with_unlicensed(studio, tmp_path, unlicensed=2, licensed=1)
    out = run_cli("works").stdout
    rows = [line for line in out.splitlines() if "Flou" in line or "Libre" in line]
    assert len(rows) == 3 and all(("unknown (!)" in r) == ("Flou" in r) for r in rows), out
    assert "(!) 2 of these works have no known licence (unknown)" in out
    assert "no known licence" not in run_cli("works", "--author", "Ada Martin").stdout


def test_require_license_refuses_training_and_names_the_works(studio, tmp_path, run_cli):
    _studio_with_unlicensed(studio, tmp_path)
    with pytest.raises(TrainingError) as refused:
        studio.models.train(size="tiny", steps=1, require_license=True)
    message = str(refused.value)
    assert "7 of the 10 works to train on have none (unknown)" in message
    assert message.count("'Flou ") == 5 and "and 2 more" in message and "Libre" not in message
    assert studio.models.all() == []
    result = run_cli("train", "--size", "tiny", "--steps", "1", "--require-license")
    assert result.exit_code != 0 and "7 of the 10 works to train on have none" in result.output
    assert studio.models.all() == []


def test_the_train_page_counts_unlicensed_works_and_its_checkbox_refuses_them(client, studio_dir, tmp_path):
    with Studio.open(studio_dir) as studio:
        _studio_with_unlicensed(studio, tmp_path, unlicensed=2, licensed=1)
    page = client.get("/train").text
    assert "2 works have no known licence" in page and 'name="require_license"' in page
    assert "2 œuvres n’ont pas de licence connue" in client.get("/train", headers={"Accept-Language": "fr"}).text
    form = {"csrf": client.cookies[CSRF_COOKIE], "minutes": "0.1", "require_license": "1"}
    response = client.post("/train/start", data=form, headers=JSON)
    assert response.status_code >= 400
    assert "A known licence is required, and 2 of the 3 works to train on have none: Flou 0, Flou 1" in response.json()["error"]
    assert "job" not in response.json()


def test_the_worker_passes_require_license_to_training(studio, tmp_path):
    from ouvroir.web import worker

    _studio_with_unlicensed(studio, tmp_path, unlicensed=1, licensed=2)
    with pytest.raises(TrainingError, match="1 of the 3 works to train on have none"):
        worker.run(studio, "train", {"size": "tiny", "steps": 1, "require_license": True}, events=_Events())


class _Events:
    def progress(self, p) -> None: ...

    def stage(self, message: str) -> None: ...

    def emit(self, kind: str, **data) -> None: ...


def test_the_model_card_flags_works_without_a_known_licence(studio, tmp_path):
    _studio_with_unlicensed(studio, tmp_path, unlicensed=2, licensed=6)
    record = studio.models.train(size="tiny", steps=2)
    card = build_card(studio, record.id)
    assert "**Unknown licence** (`unknown`) for 2 works of the corpus" in render_markdown(card, "en")
    assert "**Licence inconnue** (`unknown`) pour 2 œuvres du corpus" in render_markdown(card, "fr")
