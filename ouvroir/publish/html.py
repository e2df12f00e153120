"""The published web page: one self-contained file (inline CSS and QR, no script, no request out).

Its ``<head>`` carries the provenance for machines: the IPTC digital source type, the QR payload, the
signing key's id, the TDMRep reservation (``tdm-reservation``, the HTML spelling ouvroir's own reader
honours) and a link to the signed sidecar beside it. The colophon shows who wrote what; a checkbox,
pure CSS, turns the highlighting of generated and edited passages on and off.
"""

from __future__ import annotations

import base64
import html

from ..cocreate.export import CSS as DOCUMENT_CSS
from ..version import __version__
from . import qr
from .item import Item, Stamp, colophon_lines, label_sentence, ledger_rows, printable, tr
from .score import page_css

CSS = DOCUMENT_CSS + """
.qr{float:right;margin:0 0 1rem 1rem;text-align:center;font:12px/1.3 system-ui,sans-serif;max-width:9rem}
.qr svg{width:8rem;height:8rem}
#hl{margin-right:.4rem}#hl:not(:checked)~.text mark{background:none;text-decoration:none}
.colophon{font:15px/1.5 system-ui,sans-serif;border-top:1px solid #ccc;margin-top:3rem}
.colophon ul{list-style:none;padding:0}
.score svg.engraving{display:block;width:100%;height:auto}.score audio{width:100%;margin:1rem 0}
details.events .text{font:12px/1.4 ui-monospace,monospace}
.picture img{display:block;width:min(100%,32rem);image-rendering:pixelated;margin:1rem auto}
.picture .text{font:12px/1.4 ui-monospace,monospace;text-align:center}""" + page_css(".score")


def _marked(item: Item) -> str:
    e, t, parts = html.escape, tr(item), []
    for span in item.spans:
        chunk = e(printable(item.text[span["start"]:span["end"]]))
        if span["category"] == "written":
            parts.append(chunk)
            continue
        tip = f"{t(span['category'])} — {t('sample_line', sample=span.get('sample_id'), model=span.get('model_id'))}"
        person = " person" if span.get("origin") == "person" else ""
        parts.append(f'<mark class="{e(span["category"])}{person}" title="{e(tip)}">{chunk}</mark>')
    return "".join(parts)


def _body(item: Item) -> str:
    """The text with its highlighting; for a music sample, its score and its sound, the events folded away."""
    e, t = html.escape, tr(item)
    text = f'<div class="text">{_marked(item)}</div>'
    if item.picture is not None:  # the text names the picture's bytes: it is what the QR code signs
        source = f"data:image/png;base64,{base64.b64encode(item.picture).decode('ascii')}"
        return (f'<figure class="picture"><img src="{source}" alt="{e(t("picture_alt", sample=item.id))}">'
                f'<figcaption>{text}</figcaption></figure>')  # fmt: skip
    if item.score_svg is None:
        return f'<input type="checkbox" id="hl" checked><label for="hl">{e(t("highlight"))}</label>\n{text}'
    sound = ""
    if item.wav:
        sound = (f'<audio controls preload="none" aria-label="{e(t("listen"))}" '
                 f'src="data:audio/wav;base64,{base64.b64encode(item.wav).decode("ascii")}"></audio>')  # fmt: skip
    figure = (f'<figure class="score" role="group" aria-label="{e(t("score_alt", sample=item.id))}">'
              f"{item.score_svg}{sound}</figure>")  # the studio's own SVG, checked when engraved or read back
    return f'{figure}\n<details class="events"><summary>{e(t("events"))}</summary>\n{text}</details>'


def render(item: Item, stamp: Stamp, file_name: str) -> bytes:
    e, t = html.escape, tr(item)
    sidecar = file_name + ".provenance.json"
    metas = {"generator": f"ouvroir {__version__}", "ouvroir:provenance": sidecar, "ouvroir:qr": stamp.payload,
             "ouvroir:key-id": stamp.key_id, "ouvroir:kind": item.kind,
             "digital-source-type": item.source_type or "none", "description": label_sentence(item)}  # fmt: skip
    if stamp.tdm_reservation:
        metas["tdm-reservation"] = "1"
    head = "\n".join(f'<meta name="{e(k)}" content="{e(v)}">' for k, v in metas.items())
    rows = "".join(f'<li class="{e(c)}">{e(line)}</li>' for c, line in ledger_rows(item))
    lines = "".join(f"<li>{e(line)}</li>" for line in colophon_lines(item, stamp, file_name))
    code = qr.svg(stamp.payload, t("qr_alt"))
    # the sound, the picture are inside the page: nothing is fetched
    media = "; media-src data:" if item.wav else "; img-src data:" if item.picture else ""
    page = f"""<!DOCTYPE html>
<html lang="{e(item.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'{media}">
{head}
<link rel="alternate" type="application/json" title="provenance" href="{e(sidecar)}">
<title>{e(item.title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<figure class="qr" role="img" aria-label="{e(t('qr_alt'))}">{code}<figcaption>{e(t('qr_caption'))}</figcaption></figure>
<h1>{e(item.title)}</h1>
{_body(item)}
<section class="colophon">
<h2>{e(t('colophon'))}</h2>
<h3>{e(t('authorship'))}</h3>
<ul>{rows}</ul>
<ul>{lines}</ul>
<p><a href="{e(sidecar)}">{e(sidecar)}</a></p>
</section>
</main>
</body>
</html>
"""
    return page.encode("utf-8")
