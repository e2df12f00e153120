"""What is published: one text with its authorship, and the colophon every format prints from it.

The workshop builds an :class:`Item` from a co-written document or a sample (it knows the store);
the formats (:mod:`.html`, :mod:`.epub`, :mod:`.pdf`) only render it, and :mod:`.bundle` signs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..i18n import Translator
from ..i18n.publish import PUBLISH
from ..provenance.manifest import COMPOSITE, TRAINED
from ..version import __version__

GENERATED_CATEGORIES = ("generated", "edited")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # a model may emit them; XHTML forbids them, no page shows them


@dataclass(frozen=True)
class Item:
    kind: str  # "co-creation" (a co-written document), "sample" (a model's) or "work" (the studio owner's own)
    id: str
    title: str
    lang: str  # "fr" or "en": the language of the colophon and of the typography
    text: str
    spans: list[dict]  # the ledger's spans (start, end, category, origin, model_id, sample_id)
    summary: dict  # chars, written, generated, edited, shares
    pieces: list[dict]  # the suggestions used: sample_id, model_id
    source_type: str | None  # the IPTC digital source type, None when a person wrote it all
    assertions: dict = field(default_factory=dict)  # what each signed sidecar carries (ledger, model chain...)
    prompt: str | None = None  # a sample's prompt
    # A music sample: ``text`` is its event text (what the model wrote, what the QR code's hash covers),
    # shown beside its engraved score (verovio's SVG, see ``media.music.engrave``) and its sound.
    score_svg: str | None = None
    wav: bytes | None = None  # the sample's WAV as generated (with its C2PA manifest), when it has one
    # An image sample: its PNG as generated (with its C2PA manifest); ``text`` is the line naming its bytes
    # (their sha256), printed under the picture, which the QR code signs.
    picture: bytes | None = None
    rights: dict | None = None  # a work of the studio's owner: author, licence, consent, as the studio records them

    @property
    def medium(self) -> str:
        return "image" if self.picture is not None else "music" if self.score_svg is not None else "text"


@dataclass(frozen=True)
class Stamp:
    """What every format of one publication shares: the QR payload, the key, the choices made."""

    payload: str
    key_id: str
    created: str
    tdm_reservation: bool
    url: str | None


def tr(item: Item) -> Translator:
    return Translator(item.lang, PUBLISH)


def label_sentence(item: Item) -> str:
    t = tr(item)
    if item.medium in ("music", "image"):
        return t("label_" + item.medium)
    return t({COMPOSITE: "label_composite", TRAINED: "label_trained"}.get(item.source_type or "", "label_none"))


def ledger_rows(item: Item) -> list[tuple[str, str]]:
    """(category, "label: count (share)") for each of written / generated and kept / generated then edited."""
    t, summary = tr(item), item.summary
    if item.medium == "image":  # no letters to count: the label says it is all generated
        return []
    rows = [("chars", t("chars_row", count=t.integer(summary["chars"])))]
    for category in ("written", "generated", "edited"):
        rows.append((category, t("row", label=t(category).capitalize(), count=t.integer(summary[category]),
                                 share=t.percent(summary["shares"][category]))))  # fmt: skip
    return rows


def colophon_lines(item: Item, stamp: Stamp, file_name: str) -> list[str]:
    """The colophon after the ledger rows, in the item's language: label, suggestions, rights, signature, check."""
    t = tr(item)
    lines = [label_sentence(item)]
    if item.rights:
        lines.append(t("rights", **{k: item.rights.get(k) or "—" for k in ("author", "license", "consent")}))
    if item.prompt is not None:
        lines.append(t("prompt", prompt=item.prompt.strip()))
    lines.append(t("samples"))
    lines += [f"– {t('sample_line', sample=p['sample_id'], model=p['model_id'])}" for p in item.pieces] or [
        f"– {t('no_samples')}"]  # fmt: skip
    lines.append(t("tdm_reserved" if stamp.tdm_reservation else "tdm_open"))
    lines.append(t("signed", file=file_name + ".provenance.json", key_id=stamp.key_id))
    lines.append(t("check", file=file_name))
    if stamp.url:
        lines.append(t("url", url=stamp.url))
    lines.append(t("made_with", version=__version__, date=stamp.created[:10]))
    return lines


def paragraphs(text: str) -> list[list[str]]:
    """The text's paragraphs (split at blank lines), each a list of its lines."""
    blocks = printable(text.replace("\r\n", "\n")).split("\n\n")
    return [block.strip("\n").split("\n") for block in blocks if block.strip()]


def printable(text: str) -> str:
    """``text`` without control characters (line breaks and tabs stay)."""
    return _CONTROL.sub("", text)
