"""`ouvroir publish --site DIR`: a static gallery of the published items, read offline from its folder.

Real files out: every page's links and images resolve inside the folder (nothing is fetched from
elsewhere), every page declares a strict Content-Security-Policy, the QR code files verify offline
with the studio's key, the formats verify with their sidecars, the words come in French and English.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ouvroir.errors import PublishError
from ouvroir.publish.check import verify_qr as check_qr
from ouvroir.publish.site import CSP
from ouvroir.workshop import load_keyring, verify
from tests.test_publishing import made  # noqa: F401 (fixture: a tiny model, a co-written document and a sample)


class Links(HTMLParser):
    """Every href and src of a page, and its CSP."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.csp: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [attrs[a] for a in ("href", "src") if attrs.get(a)]
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = attrs["content"]


def links(page: Path) -> Links:
    parser = Links()
    parser.feed(page.read_text("utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(made, tmp_path_factory):  # noqa: F811
    studio, doc, sample_id, _ = made
    return studio.publish_site([doc.id, sample_id], "html,epub,pdf", tmp_path_factory.mktemp("site") / "galerie")


def test_each_item_has_a_page_with_every_format_its_qr_code_and_its_provenance(made, site):  # noqa: F811
    studio, doc, sample_id, pub = made
    folder = site.folder
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["index.html", "site.css", "qr", "files"] + [f"{name}.html" for _, name, _ in site.entries])  # fmt: skip
    assert [item.id for item, _, _ in site.entries] == [doc.id, sample_id]
    keys = [k.public_bytes for k in load_keyring([pub])]
    for item, name, stamp in site.entries:
        page = folder / f"{name}.html"
        found = links(page)
        assert found.csp == CSP and "default-src 'none'" in found.csp
        for suffix in (".html", ".epub", ".pdf"):
            assert f"files/{name}{suffix}" in found.urls and f"files/{name}{suffix}.provenance.json" in found.urls
            verdict = verify(folder / "files" / f"{name}{suffix}", studio)
            assert verdict.ok, verdict.problem
        assert f"qr/{name}.svg" in found.urls
        verdict = check_qr(folder / "qr" / f"{name}.svg", keys)  # the code on the page proves the text offline
        assert verdict.ok, verdict.problem
        text = page.read_text("utf-8")
        assert item.title in text and stamp.key_id in text
        assert "Qui a écrit quoi" in text and "Vérifier le code\u00a0: ouvroir verify --qr" in text
    assert "mêle une écriture humaine" in (folder / f"{site.entries[0][1]}.html").read_text("utf-8")
    assert "généré par un modèle entraîné" in (folder / f"{site.entries[1][1]}.html").read_text("utf-8")
    index = links(folder / "index.html")
    assert index.csp == CSP
    assert [u for u in index.urls if u.endswith(".html")] == [f"{name}.html" for _, name, _ in site.entries]


def test_nothing_on_any_page_points_outside_the_folder(site):
    pages = [site.folder / "index.html", *(site.folder / f"{name}.html" for _, name, _ in site.entries)]
    for page in pages:
        for url in links(page).urls:
            assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//|^/", url, re.I), f"{page.name}: {url}"
            target = (site.folder / url).resolve()
            assert target.is_file() and site.folder.resolve() in target.parents, f"{page.name}: {url}"
    css = (site.folder / "site.css").read_text("utf-8")
    assert "url(" not in css and "@import" not in css


def test_english_words_and_the_refusals(made, tmp_path):  # noqa: F811
    studio, doc, sample_id, _ = made
    folder = tmp_path / "gallery"
    made_site = studio.publish_site([sample_id], "pdf", folder, lang="en")
    index = (folder / "index.html").read_text("utf-8")
    assert '<html lang="en">' in index and "Gallery" in index and "1 item(s)" in index and "Generated text" in index
    page = (folder / f"{made_site.entries[0][1]}.html").read_text("utf-8")
    assert "Printable PDF" in page and "Check the code: ouvroir verify --qr" in page and "← The whole gallery" in page
    mine = folder / "index.html"
    mine.write_text("à garder")
    with pytest.raises(PublishError, match="already exists: choose another --site folder, or give --force"):
        studio.publish_site([doc.id], "html", folder)
    assert mine.read_text() == "à garder"
    with pytest.raises(PublishError, match="nothing to publish matches 'nulle-part'"):
        studio.publish_site([doc.id, "nulle-part"], "html", folder, force=True)
    assert mine.read_text() == "à garder" and [p.name for p in tmp_path.iterdir()] == ["gallery"]
    studio.publish_site([doc.id], "html", folder, force=True)
    assert "Galerie" in mine.read_text("utf-8") and [p.name for p in tmp_path.iterdir()] == ["gallery"]


def test_cli_writes_the_gallery(made, run_cli, tmp_path):  # noqa: F811
    studio, doc, sample_id, _ = made
    result = run_cli("--studio", studio.root, "publish", "--site", tmp_path / "g", doc.title, sample_id)
    assert result.exit_code == 0, result.output
    assert "Gallery of 2 item(s)" in result.output and (tmp_path / "g" / "index.html").is_file()
    result = run_cli("--studio", studio.root, "verify", tmp_path / "g" / "files")
    assert result.exit_code == 0 and result.output.count("verified") == 6, result.output
    again = run_cli("--studio", studio.root, "publish", "--site", tmp_path / "g", doc.id)
    assert again.exit_code == 1 and "already exists" in again.stderr
