"""The web studio speaks French or English throughout: every page, in both languages, from one small studio
holding a tiny trained model, its samples, an audit, a document and a running job's stages.

Fails on a catalogue string missing in one language, a key a page uses that the catalogue lacks, English
words left on a French page (and French ones on an English page), a training or audit stage with no key
the page can translate, and a command-line instruction shown in the browser.
"""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ouvroir import Studio
from ouvroir.corpus.ingest import AddOptions
from ouvroir.i18n import LANGUAGES
from ouvroir.i18n.stages import STAGES, stage_text
from ouvroir.i18n.web import WEB
from ouvroir.web.app import create_app, wrap
from ouvroir.web.security import CSRF_COOKIE
from tests.test_withdrawal import poem

WEB_DIR = Path(__file__).resolve().parents[1] / "ouvroir" / "web"

# Words that must not be seen on a French page (whole words, any case): the English the studio used to leave there.
ENGLISH = ("ready", "training", "stop", "resume", "upload", "works", "work", "model", "models", "ctrl-c", "--resume",
           "running", "finished", "failed", "added", "refused", "already", "tiny", "samples", "sample", "seed", "job",
           "the", "and", "of", "with", "not", "is", "to", "train", "text", "music", "poetry", "prose", "user",
           "ingest", "owner", "warning", "snapshot", "checkpoint")  # fmt: skip
# And French that must not be seen on an English page.
FRENCH = ("entrée", "œuvre", "œuvres", "modèle", "entraîner", "prêt", "arrêter", "reprendre", "texte", "les", "des")
# What a command line says and a browser must not: the page has buttons for it.
CLI = re.compile(r"ouvroir (train|audit|add|edit)\b|--\w|Ctrl-C")

TITLES = {"poeme-0.txt": "Aube", "poeme-1.txt": "Midi", "poeme-2.txt": "Soir", "poeme-3.txt": "Nuit",
          "poeme-4.txt": "Pluie", "poeme-5.txt": "Neige"}  # fmt: skip


@pytest.fixture(scope="module")
def studio_web(tmp_path_factory):
    """Six poems (one refusing training), a tiny model with a sample, an audit of it, a document, and an
    audit job run by the web studio's own worker (its stages are what the audit page follows)."""
    from ouvroir.workshop import AuditOptions, GenerationParams

    root = tmp_path_factory.mktemp("translations")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, title in TITLES.items():
        (corpus / name).write_text(f"{title}\n\n{poem(int(name[6]))}", "utf-8")
    refusing = root / "refus"
    refusing.mkdir()
    (refusing / "refus.txt").write_text("Refus\n\n" + poem(9), "utf-8")
    stages: list = []
    studio = Studio.init(root / "studio", owner="Ada Martin")
    assert studio.add([corpus], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    assert studio.add([refusing], AddOptions(author="Ada Martin", consent="no-train", reason="refus de l'autrice")).ok
    model = studio.models.train(size="tiny", steps=2, seed=1, on_stage=stages.append)
    studio.models.generate(model.id, "la lune", 1, GenerationParams(max_tokens=12))
    audit = studio.audits.model(model.id, AuditOptions(samples=2, temperatures=(1.0,), max_tokens=16), stages.append)
    document = studio.documents.create("Brouillon", lang="fr")
    studio.close()
    app = create_app(root / "studio")
    pasted = root / "collé.txt"
    pasted.write_text(poem(3)[:300], "utf-8")
    job = app.state.jobs.start("audit-texts", {"paths": [str(pasted)], "lang": "fr"})
    assert app.state.jobs.wait(job.id, timeout=120).state == "finished"
    client = TestClient(wrap(app, None), base_url="http://127.0.0.1")
    client.get("/corpus")  # the CSRF cookie
    client.headers["X-CSRF-Token"] = client.cookies[CSRF_COOKIE]
    with Studio.open(root / "studio") as opened:
        works = opened.works()
    yield {"client": client, "model": model, "audit": audit, "document": document, "works": works, "job": job,
           "stages": stages, "root": root}  # fmt: skip
    app.state.jobs.shutdown()


class Visible(HTMLParser):
    """The text a person sees (and the words in placeholders, labels and tooltips), minus user data in <pre>,
    the model card and datasheet (documents with their own tests), and a line marked as in another language
    (the library's English detail under a French error)."""

    SKIP = {"script", "style", "pre", "iframe", "textarea"}

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.parts: list[str] = []
        self.skipping = 0
        self.stack: list[bool] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        skip = tag in self.SKIP or "markdown" in (found.get("class") or "") or found.get("lang", self.lang) != self.lang
        if tag not in ("br", "input", "img", "meta", "link", "hr"):
            self.stack.append(skip)
        if skip:
            self.skipping += 1
        if skip and tag in ("br", "input", "img", "meta", "link", "hr"):
            self.skipping -= 1
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag not in ("br", "input", "img", "meta", "link", "hr") and self.stack and self.stack.pop():
            self.skipping = max(0, self.skipping - 1)

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible(html: str, user_data: list[str], lang: str) -> str:
    parser = Visible(lang)
    parser.feed(html)
    text = " ".join(parser.parts)
    for datum in sorted(user_data, key=len, reverse=True):  # titles, names, paths: the person's, not the studio's
        text = text.replace(datum, " ")
    return re.sub(r"[\w-]+\.(md|json|safetensors|txt|png|zip|mid|musicxml|wav)\b", " ", text)  # file names


def words_found(text: str, words) -> list[str]:
    return sorted({w for w in words if re.search(rf"(?<![\w.-]){re.escape(w)}(?![\w-])", text, re.IGNORECASE)})


def pages(s) -> dict[str, str]:
    work = next(w for w in s["works"] if w.consent == "train")
    return {"corpus": "/corpus", "corpus, no match": "/corpus?q=zzzz", "a work": f"/corpus/{work.id}",
            "train": "/train", "models": "/models", "a model": f"/models/{s['model'].id}", "audit": "/audit",
            "a report": f"/audit/{s['audit'].id}", "write list": "/write", "a document": f"/write/{s['document'].id}",
            "error page": "/no-such-page", "a missing work": "/corpus/nosuchwork"}  # fmt: skip


def user_data(s) -> list[str]:
    data = [str(s["root"]), "Ada Martin", "Brouillon", "CC-BY-4.0", "refus de l'autrice", s["model"].id,
            s["audit"].id, s["document"].id, s["job"].id, "collé"]  # fmt: skip
    for w in s["works"]:
        # A reason is the person's own words (the command line's default reasons are English: stored history).
        data += [w.title, w.id, w.original_name, w.consent_reason or w.title]
    return data


def render(client, path: str, lang: str, method: str = "get", **kwargs):
    return getattr(client, method)(path, headers={"Accept": "text/html", "Accept-Language": lang}, **kwargs)


def check_page(name: str, html: str, lang: str, data: list[str]) -> list[str]:
    text = visible(html, data, lang)
    problems = []
    if found := words_found(text, ENGLISH if lang == "fr" else FRENCH):
        problems.append(f"{name} ({lang}): {found} in: {' '.join(text.split())[:3000]}")
    if CLI.search(text):
        problems.append(f"{name} ({lang}): a command-line instruction: {CLI.search(text)[0]!r}")
    return problems


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_speaks_one_language(studio_web, lang):
    client, data = studio_web["client"], user_data(studio_web)
    problems = []
    for name, path in pages(studio_web).items():
        answer = render(client, path, lang)
        assert answer.status_code in (200, 404), (name, answer.status_code, answer.text[:500])
        assert f'<html lang="{lang}">' in answer.text, name
        problems += check_page(name, answer.text, lang, data)
    # Pages that answer a form: an upload (added, already present, refused), a consent change asking for
    # confirmation, a refused start.
    files = [("files", ("nouveau.txt", f"Nouveau\n\n{poem(7)}".encode(), "text/plain")),
             ("files", ("Aube.txt", f"Aube\n\n{poem(0)}".encode(), "text/plain")),
             ("files", ("programme.exe", b"MZ", "application/octet-stream"))]  # fmt: skip
    uploaded = render(client, "/corpus/upload", lang, "post", files=files, data={"consent": "train"})
    assert uploaded.status_code == 200, uploaded.text[:500]
    problems += check_page("upload outcomes", uploaded.text, lang, data + ["nouveau.txt", "Aube.txt", "programme.exe",
                                                                         "Nouveau", ".exe"])  # fmt: skip
    refusing = next(w for w in studio_web["works"] if w.title == "Refus")
    other = next(w for w in studio_web["works"] if w.consent == "train")
    confirm = render(client, "/corpus/consent", lang, "post",
                     data={"work": [refusing.id, other.id], "consent": "train", "reason": "oui"})  # fmt: skip
    assert confirm.status_code == 200 and 'id="reversal"' in confirm.text
    problems += check_page("consent confirmation", confirm.text, lang, data + ["oui"])
    bad = render(client, "/train/start", lang, "post", data={"size": "huge", "minutes": "1"})
    assert bad.status_code == 400
    problems += check_page("a refused start", bad.text, lang, data + ["huge"])
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_training_and_audit_stages_are_keyed_and_shown_in_the_page_language(studio_web, lang):
    stages = studio_web["stages"]
    keys = {getattr(s, "key", None) for s in stages}
    assert {"snapshot_taking", "snapshot_taken", "training_start", "audit_indexing", "audit_generating",
            "audit_checking", "audit_measuring"} <= keys, [str(s) for s in stages]  # fmt: skip
    assert None not in keys, [str(s) for s in stages if not hasattr(s, "key")]
    data = user_data(studio_web)
    problems = []
    for s in stages:
        problems += check_page(f"stage {s.key}", stage_text(lang, s.key, s.values, "(untranslated)"), lang, data)
    # The worker's events carry the key; the page's poll gets each stage in the page's language.
    answer = studio_web["client"].get(f"/jobs/{studio_web['job'].id}", headers={"Accept-Language": lang}).json()
    shown = [e["text"] for e in answer["events"] if e["event"] == "stage"]
    assert shown and all(e.get("key") for e in answer["events"] if e["event"] == "stage"), answer["events"]
    for text in shown:
        problems += check_page("job stage", text, lang, data)
    assert not problems, "\n".join(problems)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("catalogue", [WEB, STAGES], ids=["web", "stages"])
def test_every_string_has_both_languages_with_the_same_fields(catalogue):
    missing = [k for k in catalogue["fr"] if not catalogue["fr"][k].strip() or not catalogue["en"].get(k, "").strip()]
    assert not missing, f"untranslated {catalogue.name} strings: {missing}"
    assert set(catalogue["fr"]) == set(catalogue["en"])
    fields = [k for k in catalogue["fr"] if _fields(catalogue["fr"][k]) != _fields(catalogue["en"][k])]
    assert not fields, f"{catalogue.name} strings whose French and English fill different fields: {fields}"


# Keys built in a template from a value (``t("job_" ~ state)``): every value each prefix may meet.
DYNAMIC = {"nav_": ("corpus", "gallery", "train", "write", "audit", "models"),
           "consent_": ("train", "no-train", "unknown"), "medium_": ("text", "music", "image"), "outcome_": ("added", "duplicate", "failed"),
           "job_": ("running", "finished", "failed", "stopped", "interrupted"),
           "model_status_": ("training", "ready", "failed"), "size_": ("tiny", "small", "base"),
           "job_kind_": ("train", "audit-model", "audit-texts", "audit-images"),
           "form_": ("poetry", "prose", "theatre", "screenplay", "score"),
           "origin_": ("user", "owner-default", "ingest", "tdm-reservation", "manifest", "copy-hold"),
           "control_": ("author", "form", "key", "meter", "voices"), "near_measure_": ("phash",)}  # fmt: skip


def used_keys() -> tuple[set[str], set[str]]:
    """(keys, dynamic prefixes) the templates, the pages and the security layer look up."""
    keys, prefixes = set(), set()
    sources = [*WEB_DIR.glob("templates/*.html"), *WEB_DIR.glob("pages/*.py"), *WEB_DIR.glob("*.py")]
    for path in sources:
        text = path.read_text("utf-8")
        keys |= set(re.findall(r"""\bt\(\s*["'](\w+)["']\s*[,)]""", text))
        keys |= {f"{k}_{n}" for k in re.findall(r"""\bt\.count\(\s*["'](\w+)["']""", text) for n in ("one", "other")}
        for args in re.findall(r"""\bt\.strings\(([^)]*)\)""", text):
            keys |= set(re.findall(r"""["'](\w+)["']""", args))
        prefixes |= set(re.findall(r"""\bt\(\s*["'](\w+_)["']\s*~""", text))
        prefixes |= set(re.findall(r"""\bt\.word\(\s*["'](\w+_)["']""", text))
        keys |= set(re.findall(r"""SecurityError\(\s*["'](\w+)["']""", text))
    return keys, prefixes


def test_every_key_a_page_uses_is_in_the_catalogue():
    keys, prefixes = used_keys()
    assert len(keys) > 100, "the scan found too few keys: has the templates' syntax changed?"
    unknown = sorted(prefixes - set(DYNAMIC))
    assert not unknown, f"keys built from a value this test does not know the values of: {unknown}"
    keys |= {prefix + value for prefix in prefixes for value in DYNAMIC[prefix]}
    missing = sorted(k for k in keys if k not in WEB["fr"])
    assert not missing, f"keys used by the web studio but missing in ouvroir/i18n/web.py: {missing}"


def test_the_cli_audit_summary_prints_its_notes_in_english_whatever_the_report_language(tmp_path, run_cli):
    """The summary is English; a French report's notes used to come out in French inside it."""
    studio_dir = tmp_path / "studio"
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "seul.txt").write_text(poem(1), "utf-8")
    with Studio.init(studio_dir) as studio:
        assert studio.add([tmp_path / "one"], AddOptions(author="Ada Martin", consent="train")).ok
    (tmp_path / "answer.txt").write_text(poem(1)[:400] + "\nEt une fin à moi.", "utf-8")
    result = run_cli("--studio", studio_dir, "audit", "--texts", tmp_path / "answer.txt", "--lang", "fr")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stdout.splitlines() if "Note:" in line]
    assert notes and any("one work" in line for line in notes), result.stdout
    assert not words_found(" ".join(notes), ("œuvre", "corpus ne compte", "qu'une")), notes
