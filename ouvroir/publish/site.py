"""``ouvroir publish --site``: a small static gallery, read offline from its folder, asking nothing of the network.

Layout of the folder::

    index.html          every item, its kind and how much of it was generated
    NAME.html           one page per item: its formats, its QR code, its provenance
    site.css            the only style sheet (a strict CSP forbids inline styles and every other origin)
    qr/NAME.svg         each item's provenance QR code, a file ``ouvroir verify --qr`` reads
    files/NAME.*        the formats, each with its signed sidecar (what ``ouvroir publish --out`` writes)

Every page declares ``default-src 'none'``: no script, no font, no frame, no request out; only the
folder's own images and style sheet load. The folder is built beside ``DIR`` and renamed into place.
"""

from __future__ import annotations

import html
import secrets
import shutil
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..errors import PublishError
from ..fileio import atomic_write, fsync_dir
from ..i18n import Translator
from ..i18n.publish import PUBLISH
from ..version import __version__
from . import bundle, qr
from .item import Item, Stamp, label_sentence, ledger_rows, tr

FILES, CODES = "files", "qr"
CSP = "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'"
CSS = """body{font:17px/1.6 Georgia,serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222;background:#fdfcf8}
h1,h2,nav,.meta,.formats,.provenance{font-family:system-ui,sans-serif}
nav{font-size:.9rem;margin-bottom:1.5rem}
a{color:#1d4f91}
.items{list-style:none;padding:0}.items li{border-top:1px solid #ddd;padding:.8rem 0}
.meta{color:#555;font-size:.9rem}
.qr{float:right;margin:0 0 1rem 1.5rem;text-align:center;font:12px/1.3 system-ui,sans-serif;max-width:10rem}
.qr img{width:9rem;height:9rem;image-rendering:pixelated}
.formats li,.provenance li{margin:.3rem 0}
code{font-size:.85rem;background:#f0eee6;padding:0 .2rem}
footer{clear:both;margin-top:3rem;font:13px system-ui,sans-serif;color:#666}
"""


def _page(lang: str, title: str, body: str) -> bytes:
    e = html.escape
    return f"""<!DOCTYPE html>
<html lang="{e(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="ouvroir {e(__version__)}">
<title>{e(title)}</title>
<link rel="stylesheet" href="site.css">
</head>
<body>
{body}
<footer>ouvroir {e(__version__)}</footer>
</body>
</html>
""".encode("utf-8")


def _generated_share(item: Item) -> float:
    shares = item.summary["shares"]
    return shares["generated"] + shares["edited"]


def kind_key(item: Item) -> str:
    return "site_kind_" + (item.medium if item.medium != "text" else item.kind)


def item_page(item: Item, name: str, stamp: Stamp, formats: list[str], site_lang: str) -> bytes:
    e, t, site = html.escape, tr(item), Translator(site_lang, PUBLISH)
    links = []
    for fmt in formats:
        file = f"{FILES}/{name}{bundle.SUFFIXES[fmt]}"
        links.append(f'<li><a href="{e(file)}">{e(t("site_format_" + fmt + ("_music" if fmt == "audio" and item.medium == "music" else "")))}</a> '
                     f'(<a href="{e(file)}.provenance.json">{e(t("site_sidecar"))}</a>)</li>')  # fmt: skip
    rows = "".join(f'<li class="{e(c)}">{e(line)}</li>' for c, line in ledger_rows(item))
    first = f"{FILES}/{name}{bundle.SUFFIXES[formats[0]]}"
    checks = [t("site_key", key_id=stamp.key_id, date=stamp.created[:10]),
              t("tdm_reserved" if stamp.tdm_reservation else "tdm_open")]  # fmt: skip
    commands = [t("site_verify", file=first), t("site_verify_qr", file=f"{CODES}/{name}.svg")]
    body = f"""<nav><a href="index.html">{e(site("site_back"))}</a></nav>
<main lang="{e(item.lang)}">
<figure class="qr"><img src="{CODES}/{e(name)}.svg" alt="{e(t('qr_alt'))}">
<figcaption>{e(t('qr_caption'))}</figcaption></figure>
<h1>{e(item.title)}</h1>
<p class="meta">{e(t(kind_key(item)))} · {e(item.id)}</p>
<p>{e(label_sentence(item))}</p>
<h2>{e(t('site_formats'))}</h2>
<ul class="formats">{''.join(links)}</ul>
<h2>{e(t('site_provenance'))}</h2>
<section class="provenance">
<h3>{e(t('authorship'))}</h3>
<ul>{rows}</ul>
<ul>{''.join(f'<li>{e(line)}</li>' for line in checks)}</ul>
<ul>{''.join(f'<li><code>{e(line)}</code></li>' for line in commands)}</ul>
</section>
</main>"""
    return _page(item.lang, item.title, body)


def index_page(entries: list[tuple[Item, str, Stamp]], lang: str) -> bytes:
    e, t = html.escape, Translator(lang, PUBLISH)
    items = []
    for item, name, _ in entries:
        share = t("site_generated_share", share=t.percent(_generated_share(item)))
        items.append(f'<li lang="{e(item.lang)}"><a href="{e(name)}.html">{e(item.title)}</a>'
                     f'<div class="meta">{e(tr(item)(kind_key(item)))} · {e(share)}</div></li>')  # fmt: skip
    body = f"""<main>
<h1>{e(t('site_title'))}</h1>
<p>{e(t('site_intro'))}</p>
<p class="meta">{e(t('site_count', count=t.integer(len(entries))))}</p>
<ul class="items">{''.join(items)}</ul>
</main>"""
    return _page(lang, t("site_title"), body)


def write(items: list[Item], formats: list[str], out: Path, key: Ed25519PrivateKey, created: str,
          lang: str | None = None, tdm_reservation: bool = True, url: str | None = None,
          force: bool = False, voice: bundle.Voice | None = None) -> bundle.Published:  # fmt: skip
    """The gallery of ``items`` in ``out`` (refused if it exists, unless ``force``); all or nothing."""
    out = Path(out)
    if out.exists() and not force:
        raise PublishError(f"{out} already exists: choose another --site folder, or give --force to replace it")
    if out.exists() and not out.is_dir():
        raise PublishError(f"{out} exists and is not a folder: choose another --site folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.parent / f".{out.name}.site-{secrets.token_hex(4)}"
    temporary.mkdir()
    try:
        files_url = url.rstrip("/") + "/" + FILES if url else None
        made = bundle.publish(items, formats, temporary / FILES, key, created, tdm_reservation, files_url,
                              voice=voice)  # fmt: skip
        (temporary / CODES).mkdir()
        for item, name, stamp in made.entries:
            atomic_write(temporary / CODES / f"{name}.svg", qr.svg_file(stamp.payload, tr(item)("qr_alt")))
            mine = [f for f in made.formats if (temporary / FILES / (name + bundle.SUFFIXES[f])).is_file()]
            atomic_write(temporary / f"{name}.html", item_page(item, name, stamp, mine, lang or item.lang))
        atomic_write(temporary / "site.css", CSS.encode("utf-8"))
        atomic_write(temporary / "index.html", index_page(made.entries, lang or items[0].lang))
        fsync_dir(temporary)
        bundle.swap(temporary, out)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    files = [out / FILES / p.name for p in made.files]
    return bundle.Published(out, [out / "index.html", *files], made.entries, made.warnings, made.formats)
