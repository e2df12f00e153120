"""The audit report: one HTML file that opens offline, says what each figure means, and marks copied passages."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ouvroir.report.build import highlight, render_html, write_report
from ouvroir.i18n.report import ReportTranslator as Translator

POEM = ("Le soir tombe sur la ville. Mon cœur est une rivière lente qui porte les feuilles mortes "
        "vers la mer grise et froide, sans un mot.")
HOSTILE = "Avant <script>alert('x')</script> & après : « Les sanglots longs des violons » fin."
HOSTILE_SPAN = (HOSTILE.index("<script>"), HOSTILE.index(" & après"))
VIOLONS = (HOSTILE.index("Les sanglots"), HOSTILE.index(" » fin"))


def example_audit() -> dict:
    """The lead's example audit (format ouvroir-audit/1), plus a second text full of markup to escape."""
    ratios = [("distinct_1", 0.52, 0.61, 0.85, True), ("distinct_2", 0.83, 0.93, 0.89, True),
              ("distinct_3", 0.91, 0.98, 0.93, True), ("distinct_4", 0.94, 0.99, 0.95, True),
              ("compression_ratio", 2.9, 2.5, 0.86, False), ("rouge_l_homogenization", 0.19, 0.14, 0.74, False),
              ("vendi_char5", 9.1, 11.2, 0.81, True), ("rare_vocabulary_coverage", 0.02, 0.05, 0.4, True)]
    group = {"texts": 4, "mean_copied_share": 0.21, "median_copied_share": 0.18, "p90_copied_share": 0.38,
             "max_copied_share": 0.38, "texts_with_copy": 2, "longest_copy": 87}
    return {
        "format": "ouvroir-audit/1", "id": "a3f9c2d1e0b4", "created": "2026-11-26T11:00:00Z",
        "ouvroir_version": "0.1.0", "lang": "fr",
        "subject": {"kind": "model", "model_id": "m7c1d2e3f4a5", "snapshot_id": "s1a2b3c4d5e6", "paths": []},
        "corpus": {"works": 3, "authors": 2, "chars": 182340, "index_id": "9f8e7d6c5b4a"},
        "settings": {"min_copy": 50, "temperatures": [0.7, 1.0, 1.3], "samples_per_temperature": 4,
                     "max_tokens": 200, "seed": 0, "reconstruct_words": [5, 6, 7, 8, 10, 12]},
        "texts": [
            {"id": "t1", "label": "T=0.7 · #1", "group": "T=0.7", "temperature": 0.7, "prompt": "Le soir",
             "text": POEM, "chars": len(POEM), "copied_share": 0.38, "longest_copy": 50,
             "spans": [{"start": 28, "end": 78, "work_id": "w1a2b3c4d5e6", "title": "Poèmes saturniens",
                        "author": "Paul Verlaine", "work_start": 10234, "occurrences": 1}],
             "reconstructibility": {"5": 0.52, "6": 0.44, "7": 0.40, "8": 0.38, "10": 0.38, "12": 0.0},
             "creativity_index": 0.65,
             "credit": [{"author": "Paul Verlaine", "work_id": "w1a2b3c4d5e6", "title": "Poèmes saturniens",
                         "share": 0.71},
                        {"author": "Arthur Rimbaud", "work_id": "w9f8e7d6c5b4", "title": "Poésies", "share": 0.29}]},
            {"id": "t2", "label": "T=1.0 · #1", "group": "T=1.0", "temperature": 1.0, "prompt": "<b>Automne</b>",
             "text": HOSTILE, "chars": len(HOSTILE), "copied_share": 0.12, "longest_copy": 28,
             "spans": [{"start": HOSTILE_SPAN[0], "end": HOSTILE_SPAN[1], "work_id": "w0", "title": "<i>Titre</i>",
                        "author": "<img src=x onerror=alert(1)>", "work_start": 7, "occurrences": 2},
                       {"start": VIOLONS[0], "end": VIOLONS[1], "work_id": "w1a2b3c4d5e6", "title": "Poèmes saturniens",
                        "author": "Paul Verlaine", "work_start": 2048, "occurrences": 1}],
             "reconstructibility": {}, "creativity_index": 0.8, "credit": []},
        ],
        "credit_coverage": 0.64,
        "copying": {
            "by_group": {"T=0.7": group, "T=1.0": {**group, "mean_copied_share": 0.05, "max_copied_share": 0.12},
                         "T=1.3": {**group, "mean_copied_share": 0.0, "max_copied_share": 0.0, "texts_with_copy": 0}},
            "baseline": {"texts": 12, "mean_copied_share": 0.01, "median_copied_share": 0.0, "p90_copied_share": 0.0,
                         "max_copied_share": 0.09, "texts_with_copy": 1, "longest_copy": 61,
                         "source": "held-out works"},
            "reconstructibility": {"samples": {"5": 0.41, "6": 0.33, "7": 0.27, "8": 0.22, "10": 0.15, "12": 0.09},
                                   "baseline": {"5": 0.12, "6": 0.06, "7": 0.03, "8": 0.02, "10": 0.01, "12": 0.0}},
            "creativity_index": {"samples": 0.68, "baseline": 0.96},
        },
        "credit": [
            {"author": "Paul Verlaine", "share": 0.62,
             "works": [{"work_id": "w1a2b3c4d5e6", "title": "Poèmes saturniens", "share": 0.40},
                       {"work_id": "w2b3c4d5e6f7", "title": "Fêtes galantes", "share": 0.22}]},
            {"author": "Arthur Rimbaud", "share": 0.30,
             "works": [{"work_id": "w9f8e7d6c5b4", "title": "Poésies", "share": 0.30}]},
            {"author": None, "share": 0.08, "works": []},
        ],
        "uniformization": {
            "n_texts": 12,
            "groups": {
                "all samples": {"n_texts": 12,
                                "measures": [{"name": n, "samples": s, "corpus": c, "ratio": r, "higher_is_diverse": h}
                                             for n, s, c, r, h in ratios],
                                "form": {"line_chars_mean": [34.1, 38.0], "line_chars_sd": [8.0, 11.5],
                                         "stanza_lines_mean": [4.0, 4.4], "dialogue_share": [0.0, 0.0]}},
                "same prompt": {"n_texts": 4, "measures": [], "form": {}},
                "different prompts": {"n_texts": 4, "measures": [], "form": {}},
            },
            "summary_ratio": 0.80,
        },
        "sweep": [{"temperature": 0.7, "mean_copied_share": 0.21, "diversity_ratio": 0.71, "creativity_index": 0.55},
                  {"temperature": 1.0, "mean_copied_share": 0.05, "diversity_ratio": 0.86, "creativity_index": 0.70},
                  {"temperature": 1.3, "mean_copied_share": 0.0, "diversity_ratio": 1.02, "creativity_index": 0.81}],
        "style": {"mfw": 150,
                  "samples_to_authors": [{"author": "Paul Verlaine", "delta": 0.92},
                                         {"author": "Arthur Rimbaud", "delta": 1.21}],
                  "between_authors": [{"a": "Paul Verlaine", "b": "Arthur Rimbaud", "delta": 1.10}],
                  "nearest_author": "Paul Verlaine"},
        "warnings": ["The corpus has 2 authors: the style scale is coarse."],
    }


def texts_audit() -> dict:
    """An audit of given texts: no temperatures, no sweep, no style, nothing copied."""
    return {
        "format": "ouvroir-audit/1", "id": "b0", "created": "2026-11-26T12:00:00Z", "ouvroir_version": "0.1.0",
        "subject": {"kind": "texts", "paths": ["mes-textes/a.txt"]},
        "corpus": {"works": 1, "authors": 0, "chars": 900},
        "settings": {"min_copy": 50},
        "texts": [{"id": "a", "label": "a.txt", "group": "texts", "text": "Rien de copié ici.\nDeux lignes.",
                   "spans": [], "copied_share": 0.0, "longest_copy": 0, "credit": []}],
        "copying": {"by_group": {"texts": {"texts": 1, "mean_copied_share": 0.0}}, "baseline": None},
        "credit": [], "uniformization": None, "sweep": [], "style": None,
        "warnings": ["Style not measured: the corpus has no authors."],
    }


@pytest.fixture(scope="module")
def reports() -> dict[str, str]:
    audit = example_audit()
    return {lang: render_html(audit, lang) for lang in ("fr", "en")}


# Phrases of each figure's explanation, in each language: the page says what it shows, in the reader's words.
EXPLAINED = {
    "fr": ["la référence humaine", "moins divers que votre corpus", "le compromis que vous choisissez",
           "ce qui compte est l’écart entre les deux courbes", "plus les styles se ressemblent",
           "pas de source identifiable"],
    "en": ["the human baseline", "less diverse than your corpus", "the trade-off you choose",
           "what matters is the gap between the two curves", "the more alike the styles", "has no identifiable source"],
}
AXIS_LABELS = {"fr": ["part recopiée", "N (mots consécutifs)", "température", "ratio de diversité"],
               "en": ["share copied", "N (words in a row)", "temperature", "diversity ratio"]}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_report_is_self_contained_with_its_plots_explained_in_its_language(reports, lang):
    html = reports[lang]
    other = "en" if lang == "fr" else "fr"
    assert f'<html lang="{lang}">' in html
    # Nothing to fetch: every src/href stays in the page, no script, no stylesheet link, no web font.
    links = read(html).links
    assert links and [link for link in links if not link.startswith(("#", "data:"))] == []
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert re.findall(r"url\((?!#)", html) == []
    for figure in ("copying", "reconstructibility", "uniformization", "sweep", "style"):
        assert re.search(rf'<svg role="img" aria-labelledby="{figure}-caption"', html), figure
        assert f'id="{figure}-caption"' in html
    # Each figure's ids are its own: two inline SVGs never share one.
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    for phrase in EXPLAINED[lang] + [f">{label}<" for label in AXIS_LABELS[lang]]:
        assert phrase in html, phrase
    for phrase in EXPLAINED[other]:
        assert phrase not in html, phrase


def test_headline_states_copy_diversity_and_style_in_words(reports):
    fr, en = reports["fr"], reports["en"]
    # (0.21 + 0.05 + 0.0) / 3 groups of 4 texts = 8.7 % of the generated text; held-out works: 1 %.
    assert '<p class="big">9\u00a0%</p>' in fr and '<p class="big">9%</p>' in en
    assert "partagent 1\u00a0% avec le reste du corpus" in fr
    assert "ratio de diversité\u00a0: les textes sont 20\u00a0% moins divers que votre corpus." in fr
    assert "diversity ratio: the texts are 20% less diverse than your corpus." in en
    assert '<p class="big">Paul Verlaine</p>' in en and "nearest style" in en
    assert "Corpus\u00a0: 3 œuvres, 2 auteurs, 182\u202f340 caractères." in fr
    assert "Corpus: 3 works, 2 authors, 182,340 characters." in en


class _Reader(HTMLParser):
    """Collects links, each <mark>'s text and source per text article, and the rows of the credit table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []  # every src and href of every element, SVG included
        self.marks: dict[str, list[tuple[str, str]]] = {}
        self.bodies: dict[str, str] = {}  # each text as the page shows it, footnote numbers left out
        self._in_body = self._in_sup = False
        self.credit_rows: list[list[str]] = []
        self._article: str | None = None
        self._mark: list | None = None
        self._table: str | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.links += [value or "" for name, value in attrs if name in ("src", "href", "xlink:href", "srcset")]
        attrs = dict(attrs)
        if tag == "article":
            self._article = attrs["id"]
            self.marks[self._article] = []
        elif tag == "mark":
            self._mark = [attrs["data-source"], ""]
        elif tag == "div" and attrs.get("class") == "body":
            self._in_body = True
            self.bodies[self._article] = ""
        elif tag == "sup":
            self._in_sup = True
        elif tag == "table":
            self._table = attrs.get("class")
        elif tag == "tr" and self._table == "credit":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag):
        if tag == "div":
            self._in_body = False
        elif tag == "sup":
            self._in_sup = False
        elif tag == "mark":
            self.marks[self._article].append((self._mark[1], self._mark[0]))
            self._mark = None
        elif tag == "tr" and self._row is not None:
            self.credit_rows.append([cell.strip() for cell in self._row])
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._in_body and not self._in_sup:
            self.bodies[self._article] += data
        if self._mark is not None:
            self._mark[1] += data
        if self._row:
            self._row[-1] += data


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    return reader


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_each_copied_span_is_marked_exactly_with_its_source(reports, lang):
    page = read(reports[lang])
    marks = page.marks
    audit = example_audit()
    assert list(marks) == ["text0", "text1"]
    assert list(page.bodies.values()) == [text["text"] for text in audit["texts"]]  # whole, nothing added
    for (article, found), text in zip(marks.items(), audit["texts"]):
        expected = [text["text"][span["start"]:span["end"]] for span in text["spans"]]
        assert [passage for passage, _ in found] == expected, article
    thousands = "\u202f" if lang == "fr" else ","
    assert marks["text0"][0][1] == f"Paul Verlaine, Poèmes saturniens, position 10{thousands}234"
    sources = [source for _, source in marks["text1"]]
    assert sources[1] == f"Paul Verlaine, Poèmes saturniens, position 2{thousands}048"
    assert sources[0].startswith("<img src=x onerror=alert(1)>, <i>Titre</i>, position 7 (2 ")


def test_credit_table_lists_authors_then_their_works(reports):
    rows = read(reports["fr"]).credit_rows
    assert [(row[0], row[-1]) for row in rows[1:]] == [
        ("Paul Verlaine", "62\u00a0%"), ("Poèmes saturniens", "40\u00a0%"), ("Fêtes galantes", "22\u00a0%"),
        ("Arthur Rimbaud", "30\u00a0%"), ("Poésies", "30\u00a0%"), ("(auteur inconnu)", "8\u00a0%")]
    assert 'class="bar" style="width: 62.0%"' in reports["fr"]


def test_user_text_is_escaped_everywhere(reports):
    for html in reports.values():
        assert "<script>alert('x')</script>" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert "<img src=x" not in html and "<b>Automne</b>" not in html and "<i>Titre</i>" not in html


def test_overlapping_spans_are_split_and_each_piece_names_its_sources():
    spans = [{"start": 0, "end": 6, "author": "A", "title": "T", "work_start": 0},
             {"start": 3, "end": 9, "author": "B", "title": "U", "work_start": 5},
             {"start": 5, "end": 99, "author": "C", "title": "beyond the text: ignored", "work_start": 0}]
    body, sources = highlight("abcdefghij", spans, Translator("en"), "t")
    assert sources == [(1, "A, T, position 0"), (2, "B, U, position 5")]
    assert re.findall(r'<mark data-source="([^"]*)">([^<]*)</mark>', str(body)) == [
        ("A, T, position 0", "abc"), ("A, T, position 0 · B, U, position 5", "def"), ("B, U, position 5", "ghi")]
    assert str(body).endswith("</sup>j")


def test_a_texts_audit_says_what_was_not_measured_and_why():
    html = render_html(texts_audit(), "fr")
    assert "Audit de textes" in html
    assert "il n’y a pas de température à comparer" in html
    style = html.split('id="style-title"', 1)[1].split("</section>", 1)[0]
    assert "Cet instrument n’a pas été utilisé pour cet audit." in style
    assert "Style not measured: the corpus has no authors." in style
    assert "<mark" not in html and "Aucun passage recopié." in html
    assert "Rien à créditer" in html  # an empty credit list is a finding, not a missing instrument
    assert "Rien de copié ici.\nDeux lignes." in html  # line breaks kept: the body is pre-wrapped


@pytest.mark.parametrize("audit", [{}, {"texts": None, "copying": None, "warnings": None, "credit": None},
                                   {"style": {"samples_to_authors": []}, "sweep": [{"temperature": 1.0}]}])
def test_an_audit_with_sections_missing_still_renders(audit):
    html = render_html(audit, "en")
    assert html.count("This instrument was not run for this audit.") >= 4
    assert "<svg" not in html


def test_many_authors_prompt_groups_and_texts_stay_readable():
    audit = example_audit()
    groups = audit["uniformization"]["groups"]
    groups["same prompt"]["measures"] = [dict(m, ratio=m["ratio"] * 0.9) for m in groups["all samples"]["measures"]]
    authors = ["Verlaine", "Rimbaud", "Baudelaire", "Desbordes-Valmore", "Noailles"]
    audit["style"] = {"mfw": 100, "nearest_author": "Verlaine",
                      "samples_to_authors": [{"author": a, "delta": 0.8 + 0.1 * i} for i, a in enumerate(authors)],
                      "between_authors": [{"a": a, "b": b, "delta": 1.0 + 0.01 * (i + j)}
                                          for i, a in enumerate(authors) for j, b in enumerate(authors) if i < j]}
    audit["texts"] = [dict(audit["texts"][0], label=f"#{k}") for k in range(13)]
    html = render_html(audit, "en")
    uniformization = html.split('aria-labelledby="uniformization-caption"', 1)[1].split("</svg>", 1)[0]
    assert ">all texts<" in uniformization and ">same prompt<" in uniformization  # a legend names each group
    assert "different prompts (4 texts): not measured." in html
    # Ten author pairs are a grey band in the figure, and a table beside it.
    pairs = html.split('<table class="pairs">', 1)[1].split("</table>", 1)[0]
    assert pairs.count("<tr>") == 1 + 10 and "Verlaine ↔ Rimbaud" in pairs
    # Thirteen texts in one group start folded; the page still holds all of them.
    assert '<details class="group-texts">' in html and html.count('<article class="text"') == 13


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="fr and en"):
        render_html(example_audit(), "de")


def test_write_report_writes_the_page_and_the_figures_whole(reports, tmp_path: Path):
    audit = example_audit()
    files = write_report(audit, tmp_path / "audits" / "a3f9", "en")
    assert files.html == tmp_path / "audits" / "a3f9" / "report.html"
    assert json.loads(files.json.read_text(encoding="utf-8")) == audit
    assert files.html.read_text(encoding="utf-8") == reports["en"]  # the same audit draws the same page
    assert sorted(p.name for p in files.html.parent.iterdir()) == ["audit.json", "report.html"]


# -- in a real browser ---------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's `chromium` (CI installs it; a user's clone may lack it)")
# With --enable-logging=stderr, every console message (a script error, a blocked load) is a CONSOLE line.
CONSOLE = re.compile(r"^.*(?::CONSOLE(?:\(\d+\))?[:\]]|Uncaught ).*$", re.MULTILINE)


def screenshot(page: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """Open ``page`` in headless Chromium; return its screenshot and the console messages it logged."""
    png = tmp_path / f"{page.stem}.png"
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_CACHE_HOME": str(home / ".cache")}
    run = subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--enable-logging=stderr", "--v=0", f"--user-data-dir={home / 'profile'}", "--virtual-time-budget=3000",
         f"--screenshot={png}", "--window-size=1200,2400", page.as_uri()],
        capture_output=True, text=True, timeout=120, env=env, check=False)
    assert png.is_file(), run.stderr[-3000:]
    return png, CONSOLE.findall(run.stderr)


def colour_pixels(png: Path, hex_colour: str) -> int:
    from matplotlib.image import imread

    pixels = imread(png)[..., :3]
    target = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    return int((abs(pixels - target) < 4 / 255).all(axis=-1).sum())


@needs_chromium
def test_the_console_check_catches_a_script_error(tmp_path: Path):
    # Guards the check below: were Chromium's log format to change, that test would pass vacuously.
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><html lang=en><title>t</title><p>x</p><script>notDefined()</script></html>")
    _, console = screenshot(page, tmp_path)
    assert any("notDefined" in line for line in console), console


@needs_chromium
def test_the_report_opens_in_chromium_without_console_errors_and_shows_its_plots(reports, tmp_path: Path):
    page = tmp_path / "report.html"
    page.write_text(reports["fr"], encoding="utf-8")
    png, console = screenshot(page, tmp_path)
    assert console == []
    from matplotlib.image import imread

    pixels = imread(png)
    assert pixels.shape[:2] == (2400, 1200)
    assert len({tuple(p) for p in pixels[::7, ::7, :3].reshape(-1, 3).tolist()}) > 50  # not a blank page
    # The copying and reconstructibility figures are drawn: the samples' vermilion and the baseline's blue
    # (colours the page's own CSS never uses) cover a good part of the first screen.
    assert colour_pixels(png, "#D55E00") > 5000
    assert colour_pixels(png, "#0072B2") > 1200


@needs_chromium
def test_a_blocked_external_resource_shows_up_as_a_console_error(tmp_path: Path):
    # The report's Content-Security-Policy forbids any load: an external image slipped into it is reported.
    html = render_html(texts_audit(), "en").replace("</main>", '<img src="https://example.org/x.png"></main>')
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    _, console = screenshot(page, tmp_path)
    assert any("Content Security Policy" in line for line in console), console



def test_a_long_tail_of_works_is_folded_into_one_line():
    audit = example_audit()
    works = [{"work_id": f"w{i}", "title": f"Recueil {i}", "share": round(0.62 / 2**(i + 1), 4)} for i in range(12)]
    audit["credit"][0]["works"] = works
    rows = read(render_html(audit, "fr")).credit_rows
    titles = [row[0] for row in rows]
    assert [f"Recueil {i}" for i in range(8)] == [t for t in titles if t.startswith("Recueil")]
    tail = next(row for row in rows if row[0] == "4 autres œuvres")
    assert tail[-1] == Translator("fr").percent(sum(w["share"] for w in works[8:])) == "0,2\u00a0%"


def _visible_text(html: str) -> str:
    """What a reader sees: the page without its style sheet and tags."""
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_a_text_s_credit_line_names_each_work_and_its_author_once():
    audit = example_audit()
    audit["texts"][0]["credit"] = [
        {"author": "Paul Verlaine", "work_id": "w1", "title": "Poèmes saturniens", "share": 0.5},
        {"author": "Paul Verlaine", "work_id": "w2", "title": "Fêtes galantes", "share": 0.21},
        {"author": "Arthur Rimbaud", "work_id": "w9", "title": "Poésies", "share": 0.29}]
    (line,) = re.findall(r'<p class="credit-line">(.*?)</p>', render_html(audit, "en"))
    assert line == ("Credit: Paul Verlaine — Poèmes saturniens (50%), Fêtes galantes (21%) · "
                    "Arthur Rimbaud — Poésies (29%)")


def test_a_model_audit_header_counts_the_texts_its_tables_count():
    """Samples from one prompt and from several: 8 texts a temperature in the tables, so 8 in the header."""
    audit = example_audit()
    for group in audit["copying"]["by_group"].values():
        group["texts"] = 8
    html = render_html(audit, "en")
    assert "8 texts generated per temperature" in html and "4 texts generated" not in html
    audit["copying"]["by_group"]["T=1.3"]["texts"] = 5  # empty samples left out at one temperature
    assert "21 texts generated (0.7, 1.0, 1.3)" in render_html(audit, "en")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_audit_of_texts_never_speaks_of_the_model(lang):
    audit = example_audit()
    audit["subject"] = {"kind": "texts", "model_id": None, "snapshot_id": None, "paths": ["a.txt"]}
    audit["settings"]["temperatures"] = []
    audit["sweep"] = []
    audit["texts"] = [{**t, "group": "texts", "temperature": None} for t in audit["texts"]]
    text = _visible_text(render_html(audit, lang))
    assert "Poèmes saturniens" in text and "Delta" in text  # the sections are there
    assert re.findall(r"(?i)\b(?:the model|le modèle|du modèle)\b", text) == []  # "not a model" may be said
