"""Model cards and corpus datasheets: every number true to the studio, the consent canary, withdrawal, the CLI.

The number check reads the store itself (SQL, the audit's JSON), formats each figure the
way each language writes it, and requires every number in the Markdown to be one of them:
an invented, stale or mistyped number fails, and a test proves the check catches one.
"""

from __future__ import annotations

import copy
import json
import random
import re
import shutil
from pathlib import Path

import pytest

from ouvroir import Studio
from ouvroir.workshop import training
from ouvroir.audit.run import AuditOptions
from ouvroir.workshop.auditing import audit_model
from ouvroir.corpus.ingest import AddOptions
from ouvroir.provenance.card import build_card, render_datasheet, render_markdown, write_card
from ouvroir.i18n import decimal, integer, percent

AUTHORS = {  # author -> (license, vocabulary)
    "Ada Martin": ("CC-BY-4.0", ["lanterne", "verger", "écluse", "faïence", "houblon", "tilleul", "grève", "ardoise"]),
    "Basile Roy": ("CC0-1.0", ["crépuscule", "falaise", "quenouille", "sarment", "vitrail", "marelle", "pressoir"]),
    "Colette Vian": ("public-domain", ["cerceau", "ferronnerie", "grenade", "lavoir", "mansarde", "orée", "rouet"]),
}
TITLES = ["aube", "brume", "crue", "dune"]
GLUE = ["le", "la", "les", "un", "une", "et", "sous", "dans", "vers", "sur"]
CANARY = "Quillevert-Ozanbrique garde trois cent neuf lanternes safran sous le pont de Morlaix."
CANARY_TITLE = "Carnet interdit"
UNKNOWN_TITLE = "Brouillon perdu"
NUMBER = re.compile(r"(?<![\w.,\-])\d(?:[\d\u202f,.]*\d)?(?![\w\-])")
DATE = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")


def poem(words: list[str], seed: int, stanzas: int = 8) -> str:
    rng = random.Random(seed)
    vocabulary = words + GLUE
    return "\n\n".join("\n".join(" ".join(rng.choice(vocabulary) for _ in range(rng.randint(5, 8))) for _ in range(4))
                       for _ in range(stanzas))  # fmt: skip


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    """Three authors' works with consent, a refused work holding the canary, an unknown one; a model and its audit."""
    root = tmp_path_factory.mktemp("card")
    corpus = root / "corpus"
    for a, (author, (_, words)) in enumerate(AUTHORS.items()):
        for i, title in enumerate(TITLES):
            write(corpus / author / f"{author.split()[0].lower()}_{title}.txt", poem(words, 10 * a + i))
    write(corpus / "refused" / "carnet_interdit.txt", poem(AUTHORS["Ada Martin"][1], 98) + "\n\n" + CANARY)
    write(corpus / "unknown" / "brouillon_perdu.txt", poem(AUTHORS["Basile Roy"][1], 99))
    studio = Studio.init(root / "studio")
    for author, (license_, _) in AUTHORS.items():
        assert studio.add([corpus / author], AddOptions(author=author, license=license_, consent="train")).ok
    assert studio.add([corpus / "refused"], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="no-train")).ok
    assert studio.add([corpus / "unknown"], AddOptions(author="Basile Roy", license="CC-BY-4.0")).ok
    record = training.train_model(studio, size="tiny", steps=30, seed=1)
    audit_model(studio, record.id, AuditOptions(samples=2, temperatures=(1.0,), max_tokens=24))
    yield studio, record
    studio.close()


@pytest.fixture(scope="module")
def withdrawn(workshop, tmp_path_factory):
    """A copy of the studio where one trained work's consent is withdrawn, and the model retrained without it."""
    studio, record = workshop
    studio.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root = tmp_path_factory.mktemp("withdrawn") / "studio"
    shutil.copytree(studio.root, root)
    other = Studio.open(root)
    work = other.work("Basile brume")
    other.set_consent([work.id], "no-train", "the author asked")
    new = training.retrain_model(other, record.id)
    yield other, record, new, work
    other.close()


# -- the figures, read from the store -----------------------------------------------------------


def store_figures(studio, model_id: str) -> dict:
    """Every figure a card may show, straight from SQL and the audit's JSON (never from the card)."""
    conn = studio.conn
    m = conn.execute("SELECT * FROM models WHERE id = ?", (model_id,)).fetchone()
    config = json.loads(m["config"])
    shape = config["train"]["model"]
    snap = conn.execute("SELECT * FROM snapshots WHERE id = ?", (m["snapshot_id"],)).fetchone()
    works = conn.execute(
        """SELECT sw.work_id, sw.split, w.title, w.author, w.license, w.form, w.chars, e.at AS consent_at
           FROM snapshot_works sw JOIN works w ON w.id = sw.work_id JOIN consent_events e ON e.id = sw.consent_event_id
           WHERE sw.snapshot_id = ?""",
        (m["snapshot_id"],),
    ).fetchall()
    withdrawals = conn.execute(
        """SELECT c.work_id, c.at, c.reason FROM snapshot_works sw JOIN work_consent c ON c.work_id = sw.work_id
           WHERE sw.snapshot_id = ? AND c.consent != 'train'""",
        (m["snapshot_id"],),
    ).fetchall()
    audit = conn.execute(
        "SELECT * FROM audits WHERE model_id = ? ORDER BY created_at DESC LIMIT 1", (model_id,)
    ).fetchone()
    by_author: dict = {}
    for w in works:
        by_author.setdefault(w["author"], []).append(w["chars"])
    ints = [m["parameters"], m["steps"], shape["n_layer"], shape["d_model"], shape["n_head"], shape["context"],
            shape["vocab_size"], config["seed"], snap["train_chars"], snap["val_chars"], len(works),
            sum(w["chars"] for w in works), len(by_author), len(withdrawals)]  # fmt: skip
    ints += [w["chars"] for w in works] + [len(c) for c in by_author.values()] + [sum(c) for c in by_author.values()]
    for column in ("license", "form"):
        ints += [sum(1 for w in works if w[column] == value) for value in {w[column] for w in works}]
    figures = {"ints": ints, "seconds": m["train_seconds"], "bpb": m["val_bpb"], "shares": [], "ratios": [],
               "dates": {m["created_at"][:10], snap["created_at"][:10], *(w["consent_at"][:10] for w in works),
                         *(w["at"][:10] for w in withdrawals)},
               "texts": [m["device"], *(w["title"] for w in works), *(w["author"] or "" for w in works),
                         *(w["reason"] or "" for w in withdrawals)],
               "model": m, "snapshot": snap, "works": works, "withdrawals": withdrawals, "audit": audit}  # fmt: skip
    if audit is not None:
        summary = json.loads(audit["summary"])
        settings = json.loads((studio.root / audit["path"] / "audit.json").read_text("utf-8"))["settings"]
        figures["ints"] += [summary["texts"], summary["texts_with_copy"], summary["longest_copy"], settings["min_copy"]]
        figures["shares"] = [summary[k] for k in ("mean_copied_share", "baseline_copied_share", "top_author_share")]
        figures["ratios"] = [summary[k] for k in ("creativity_index", "baseline_creativity_index", "diversity_ratio")]
        figures["dates"].add(audit["created_at"][:10])
        figures["texts"] += [summary["nearest_author"] or "", summary["top_author"] or ""]
    if config["train"].get("fim_rate"):  # the share of training windows in infilling form ("How to steer it")
        figures["shares"].append(config["train"]["fim_rate"])
    return figures


def allowed_numbers(figures: dict, lang: str) -> set[str]:
    """Each figure written the way ``lang`` writes it, plus the two constants the card explains (8 bits, 256 values)."""
    allowed = {integer(n, lang) for n in figures["ints"]} | {"8", "256"}
    allowed |= {decimal(figures["seconds"], lang, 1), integer(round(figures["seconds"]), lang)}
    allowed.add(decimal(figures["bpb"], lang, 3))
    allowed |= {decimal(v, lang, 2) for v in figures["ratios"] if v is not None}
    for share in figures["shares"]:
        if share is not None:
            allowed.update(NUMBER.findall(percent(share, lang)))
    for text in figures["texts"]:  # a number inside a title or a reason is the studio's own
        allowed.update(NUMBER.findall(text))
    return allowed


def stray_numbers(markdown: str, figures: dict, lang: str) -> list[str]:
    """Numbers and dates in ``markdown`` that no figure of the studio accounts for."""
    stray = [d for d in DATE.findall(markdown) if d not in figures["dates"]]
    allowed = allowed_numbers(figures, lang)
    return stray + [n for n in NUMBER.findall(DATE.sub(" ", markdown)) if n not in allowed]


def files_text(studio, model_id: str) -> dict[str, str]:
    folder = studio.root / "models" / model_id
    return {p.name: p.read_text("utf-8") for p in folder.iterdir() if p.name.startswith(("card", "datasheet"))}


# -- tests ---------------------------------------------------------------------------------------


def test_card_json_matches_the_store(workshop):
    studio, record = workshop
    card = build_card(studio, record.id, "en")
    f = store_figures(studio, record.id)
    m, snap = f["model"], f["snapshot"]
    assert card["format"] == "ouvroir-model-card/1"
    model = card["model"]
    assert (model["id"], model["parameters"], model["steps"], model["train_seconds"], model["val_bpb"]) == (
        m["id"], m["parameters"], m["steps"], m["train_seconds"], m["val_bpb"])
    assert model["weights_sha256"] == m["weights_sha256"] and model["created"] == m["created_at"]
    shape = json.loads(m["config"])["train"]["model"]
    assert model["config"] == {"layers": shape["n_layer"], "width": shape["d_model"], "heads": shape["n_head"],
                               "context": shape["context"], "vocab": shape["vocab_size"]}  # fmt: skip
    assert (card["snapshot"]["id"], card["snapshot"]["split_rule"]) == (snap["id"], snap["split_rule"])
    assert (card["snapshot"]["train_chars"], card["snapshot"]["val_chars"]) == (snap["train_chars"], snap["val_chars"])
    keys = ("title", "author", "license", "chars", "consent_at", "split")
    expected = {w["work_id"]: tuple(w[k] for k in keys) for w in f["works"]}
    got = {w["work_id"]: tuple(w[k] for k in keys) for w in card["datasheet"]["works"]}
    assert got == expected and len(got) == 12
    assert {a["author"]: (a["works"], a["chars"]) for a in card["datasheet"]["authors"]} == {
        author: (4, sum(w["chars"] for w in f["works"] if w["author"] == author)) for author in AUTHORS}
    licenses = {row["license"]: row["works"] for row in card["datasheet"]["licenses"]}
    assert licenses == {license_: 4 for license_, _ in AUTHORS.values()}
    assert card["datasheet"]["totals"] == {"works": 12, "authors": 3, "chars": sum(w["chars"] for w in f["works"])}
    assert card["audit"]["id"] == f["audit"]["id"] and card["audit"]["summary"] == json.loads(f["audit"]["summary"])
    assert card["consent"] == card["consent"] | {"withdrawn": [], "status": "consented"}
    assert card["intended_uses"] and card["limits"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_number_in_the_card_and_datasheet_is_true(workshop, lang):
    studio, record = workshop
    files = write_card(studio, record.id, lang)
    f = store_figures(studio, record.id)
    card_md, sheet_md = files.card_md.read_text("utf-8"), files.datasheet_md.read_text("utf-8")
    assert stray_numbers(card_md, f, lang) == []
    assert stray_numbers(sheet_md, f, lang) == []
    m, summary = f["model"], json.loads(f["audit"]["summary"])
    # The headline figures are there, written the language's way, not merely absent.
    for figure in (integer(m["parameters"], lang), decimal(m["val_bpb"], lang, 3), integer(m["steps"], lang),
                   integer(f["snapshot"]["train_chars"], lang), percent(summary["mean_copied_share"], lang),
                   integer(summary["longest_copy"], lang), decimal(summary["creativity_index"], lang)):  # fmt: skip
        assert figure in card_md, figure
    for w in f["works"]:
        assert w["title"] in sheet_md and integer(w["chars"], lang) in sheet_md and w["consent_at"][:10] in sheet_md
    assert (integer(1017216, lang) == "1\u202f017\u202f216") == (lang == "fr")
    assert ("paramètres" in card_md and "bits par octet" in card_md) == (lang == "fr")
    assert ("parameters" in card_md and "bits per byte" in card_md) == (lang == "en")


@pytest.mark.parametrize("path, change", [
    (("model", "parameters"), lambda v: v + 1),
    (("model", "val_bpb"), lambda v: v + 0.01),
    (("model", "steps"), lambda v: v * 10),
    (("snapshot", "train_chars"), lambda v: v - 1),
    (("audit", "summary", "longest_copy"), lambda v: v + 7),
])  # fmt: skip
def test_the_number_check_catches_an_invented_figure(workshop, path, change):
    studio, record = workshop
    card = copy.deepcopy(build_card(studio, record.id, "fr"))
    f = store_figures(studio, record.id)
    assert stray_numbers(render_markdown(card, "fr"), f, "fr") == []
    holder = card
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = change(holder[path[-1]])
    assert stray_numbers(render_markdown(card, "fr") + render_datasheet(card, "fr"), f, "fr") != []


def test_an_audit_that_found_copies_is_cited_in_the_limits(workshop):
    studio, record = workshop
    card = copy.deepcopy(build_card(studio, record.id, "en"))
    card["audit"]["summary"] |= {"mean_copied_share": 0.0625, "texts_with_copy": 3, "longest_copy": 1234}
    en, fr = render_markdown(card, "en"), render_markdown(card, "fr")
    assert "**Copying**: 6% of the generated text is copied verbatim from the corpus, in passages of at least 50" in en
    assert f"3 of {card['audit']['summary']['texts']} hold such a passage, the longest 1,234 characters long" in en
    assert "in its audit, 6% of the generated text was copied verbatim, the longest passage 1,234 characters long" in en
    assert "6\u00a0% du texte généré était recopié mot pour mot, le plus long passage faisant 1\u202f234 car" in fr


def test_consent_canary_never_reaches_the_card(workshop):
    studio, record = workshop
    write_card(studio, record.id, "fr")
    write_card(studio, record.id, "en")
    texts = files_text(studio, record.id)
    assert set(texts) == {f"{doc}.{ext}" for doc in ("card", "datasheet") for ext in ("fr.md", "en.md", "json")}
    refused, unknown = studio.work(CANARY_TITLE), studio.work(UNKNOWN_TITLE)
    for name, text in texts.items():
        for secret in (CANARY, "Quillevert", CANARY_TITLE, UNKNOWN_TITLE, refused.id, unknown.id):
            assert secret not in text, f"{secret!r} leaked into {name}"
    # Positive control: a consenting work's title is there, so the absence above means something.
    assert "Basile brume" in texts["datasheet.en.md"] and "Basile brume" in texts["datasheet.json"]


def test_withdrawal_marks_the_card(withdrawn):
    studio, old, _, work = withdrawn
    card = build_card(studio, old.id, "en")
    assert card["consent"]["status"] == "withdrawn"
    marks = [(w["work_id"], w["consent"], w["reason"]) for w in card["consent"]["withdrawn"]]
    assert marks == [(work.id, "no-train", "the author asked")]
    assert next(w for w in card["datasheet"]["works"] if w["work_id"] == work.id)["withdrawn"] is True
    files = write_card(studio, old.id, "en")
    text = files.card_md.read_text("utf-8")
    assert "trained on works whose consent has since been withdrawn" in text and f"“{work.title}”" in text
    assert "the author asked" in text and f"ouvroir retrain {old.id}" in text
    assert "withdrawn since" in files.datasheet_md.read_text("utf-8")
    fr = write_card(studio, old.id, "fr").card_md.read_text("utf-8")
    assert "entraîné sur des œuvres dont le consentement a été retiré" in fr and work.title in fr
    assert stray_numbers(text, store_figures(studio, old.id), "en") == []


def test_retrained_card_says_the_work_was_left_out(withdrawn):
    studio, old, new, work = withdrawn
    card = build_card(studio, new.id, "en")
    assert work.id not in {w["work_id"] for w in card["datasheet"]["works"]}
    assert card["datasheet"]["totals"]["works"] == 11
    assert card["model"]["retrained_from"] == old.id
    assert card["model"]["left_out"] == [{"work_id": work.id, "title": work.title}]
    assert card["consent"] == card["consent"] | {"withdrawn": [], "status": "consented"}
    text = write_card(studio, new.id, "en").card_md.read_text("utf-8")
    assert f"This model replaces {old.id}: it was retrained without “{work.title}”" in text
    sheet = (studio.root / "models" / new.id / "datasheet.en.md").read_text("utf-8")
    # The datasheet lists the work no more, and says why.
    assert f"| {work.title} |" not in sheet and "| Basile aube |" in sheet
    assert f"retrained without “{work.title}”, whose consent had been withdrawn" in sheet
    for lang in ("fr", "en"):
        files = write_card(studio, new.id, lang)
        f = store_figures(studio, new.id)
        assert stray_numbers(files.card_md.read_text("utf-8") + files.datasheet_md.read_text("utf-8"), f, lang) == []


def test_a_model_without_an_audit_says_so(withdrawn):
    studio, old, new, _ = withdrawn
    assert build_card(studio, old.id, "en")["audit"] is not None  # the copy kept the first model's audit
    card = build_card(studio, new.id, "en")
    assert card["audit"] is None
    assert any(f"ouvroir audit {new.id}" in item for item in card["limits"])
    en, fr = render_markdown(card, "en"), render_markdown(card, "fr")
    assert f"No audit yet: run `ouvroir audit {new.id}`" in en and "Copying" not in en
    assert "Pas encore d'audit\u00a0: lancez" in fr


def test_cli_writes_the_card_in_either_language(workshop, run_cli):
    studio, record = workshop
    folder = studio.root / "models" / record.id
    for name in ("card.fr.md", "datasheet.fr.md", "card.en.md"):
        (folder / name).unlink(missing_ok=True)
    result = run_cli("--studio", studio.root, "card", record.id)
    assert result.exit_code == 0, result.output
    assert str(folder / "card.fr.md") in result.output and str(folder / "datasheet.fr.md") in result.output
    assert (folder / "card.fr.md").read_text("utf-8").startswith(f"# Fiche du modèle {record.id}")
    assert not (folder / "card.en.md").exists()
    english = run_cli("--studio", studio.root, "card", "--lang", "en")  # no MODEL: the latest
    assert english.exit_code == 0, english.output
    assert (folder / "card.en.md").read_text("utf-8").startswith(f"# Model card: {record.id}")
    as_json = run_cli("--studio", studio.root, "card", record.id, "--json")
    assert json.loads(as_json.stdout)["model"]["id"] == record.id
    missing = run_cli("--studio", studio.root, "card", "mnothere")
    assert missing.exit_code == 1 and "no model matches 'mnothere'" in missing.stderr
    assert "Traceback" not in missing.output


# -- titles and names are text, never markup -----------------------------------------------------

HOSTILE = "[x](http://evil) ![p](http://t/p.png) <script>alert(1)</script> | col"


def test_titles_and_names_show_as_typed_never_as_links_images_html_or_cells(tmp_path):
    """A title, an author, a license and a withdrawal reason that try to be markup, through the web studio's renderer."""
    from starlette.testclient import TestClient

    from ouvroir.web.app import create_app, wrap
    from ouvroir.web.pages.models import _markdown

    write(tmp_path / "corpus" / "a.txt", poem(AUTHORS["Ada Martin"][1], 1, stanzas=30))
    write(tmp_path / "corpus" / "b.txt", poem(AUTHORS["Basile Roy"][1], 2, stanzas=30))
    studio = Studio.init(tmp_path / "studio")
    try:
        for name, author in (("a.txt", "*Ada* `Martin` & <b>co</b>"), ("b.txt", "Basile Roy")):
            assert studio.add([tmp_path / "corpus" / name], AddOptions(
                author=author, title=HOSTILE if name == "a.txt" else "Brume", license="CC0-1.0", consent="train")).ok  # fmt: skip
        record = training.train_model(studio, size="tiny", steps=2, seed=1)
        studio.set_consent([studio.work(HOSTILE).id], "no-train", "see [here](http://evil) <img src=x>")
        for lang in ("fr", "en"):
            files = write_card(studio, record.id, lang)
            for path in (files.card_md, files.datasheet_md):
                page = _markdown.render(path.read_text("utf-8"))
                hostile = ('href="http', 'src="http', "<script", "<b>", "<em>Ada", "<code>Martin", "<img src=x")
                assert not any(tag in page for tag in hostile), page
                assert "[x](http://evil) ![p](http://t/p.png) &lt;script&gt;alert(1)&lt;/script&gt; | col" in page
                assert "*Ada* `Martin` &amp; &lt;b&gt;co&lt;/b&gt;" in page
            datasheet = _markdown.render(files.datasheet_md.read_text("utf-8"))
            (works, *_) = re.findall(r"<table>(.*?)</table>", datasheet, re.S)
            rows = re.findall(r"<tr>(.*?)</tr>", works, re.S)
            assert len(rows) == 3 and all(row.count("<td") + row.count("<th") == 6 for row in rows), works
            assert f"<td>{HOSTILE.replace('<', '&lt;').replace('>', '&gt;')}</td>" in works  # one cell, "| col" in it
            assert "see [here](http://evil) &lt;img src=x&gt;" in _markdown.render(files.card_md.read_text("utf-8"))
        client = TestClient(wrap(create_app(studio.root), None), base_url="http://127.0.0.1",
                            headers={"Accept-Language": "en"})  # fmt: skip
        page = client.get(f"/models/{record.id}").text
        assert "http://evil" in page and 'href="http://evil"' not in page and 'src="http://t/p.png"' not in page
        assert "<script>alert(1)" not in page
    finally:
        studio.close()
