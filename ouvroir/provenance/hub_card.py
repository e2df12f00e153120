"""The model card and the datasheet as an exported folder publishes them (the Hugging Face hub's way).

The hub reads a model's ``README.md`` and the YAML front matter at its top
(https://huggingface.co/docs/hub/model-cards): ``license``, ``language``,
``tags``, ``library_name``, ``pipeline_tag``. The card's body is the studio's
card, its links made to work inside the folder: the datasheet is ``datasheet.md``
beside it, and links into the studio (the audit report) become plain text.

There is no ``base_model`` key: a model trained from scratch has none, and the
hub reads that key as the id of a model on the hub, so any placeholder there
would name a model that does not exist; the tag ``trained-from-scratch`` says it.

>>> print(front_matter({"licenses": [{"license": "CC-BY-4.0", "works": 3}],
...                     "languages": [{"language": "French", "works": 3}]}, "text"))
---
license: cc-by-4.0
language:
- fr
library_name: transformers
pipeline_tag: text-generation
tags:
- ouvroir
- qwen3
- trained-from-scratch
- consented-training-data
- text
---
<BLANKLINE>
"""

from __future__ import annotations

import json
import re

from .card_markdown import render_datasheet, render_markdown

README = "README.md"
DATASHEET = "datasheet.md"

# The hub's licence identifiers (lowercase SPDX) for the licences a studio's works commonly carry.
_HUB_LICENSES = {"cc0-1.0", "cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-4.0", "cc-by-nc-sa-4.0", "cc-by-nd-4.0",
                 "cc-by-nc-nd-4.0", "cc-by-3.0", "cc-by-sa-3.0", "mit", "apache-2.0", "gpl-3.0"}  # fmt: skip
_LANGUAGE_NAMES = {"french": "fr", "english": "en", "german": "de", "spanish": "es", "italian": "it",
                   "portuguese": "pt", "dutch": "nl", "latin": "la", "français": "fr", "anglais": "en"}  # fmt: skip
_STUDIO_LINK = re.compile(r"\[([^\]]*)\]\(\.\./[^)]*\)")


def hub_license(licenses: list[dict]) -> dict:
    """One licence shared by every work becomes the model's; anything else is ``other``, pointing at the datasheet."""
    found = {(row["license"] or "").casefold() for row in licenses}
    if len(found) == 1 and (only := found.pop()) in _HUB_LICENSES:
        return {"license": only}
    return {"license": "other", "license_name": "training-works-licences", "license_link": DATASHEET}


def hub_languages(languages: list[dict]) -> list[str]:
    codes = []
    for row in languages:
        name = str(row["language"]).strip().casefold()
        code = name if re.fullmatch(r"[a-z]{2,3}", name) else _LANGUAGE_NAMES.get(name)
        if code and code not in codes:
            codes.append(code)
    return codes


def front_matter(sheet: dict, medium: str) -> str:
    """The YAML block the hub reads (every value is a plain word or a JSON string, which YAML reads as is)."""
    lines = ["---"] + [f"{k}: {json.dumps(v) if ':' in v else v}" for k, v in hub_license(sheet["licenses"]).items()]
    languages = hub_languages(sheet["languages"])
    if languages:
        lines += ["language:", *(f"- {code}" for code in languages)]
    lines += ["library_name: transformers", "pipeline_tag: text-generation", "tags:"]
    lines += [f"- {tag}" for tag in ("ouvroir", "qwen3", "trained-from-scratch", "consented-training-data", medium)]
    return "\n".join(lines + ["---", ""])


def publish_files(card: dict, lang: str) -> dict[str, str]:
    """``{"README.md": ..., "datasheet.md": ...}`` for an exported folder, from a card built by ``build_card``."""
    medium = card["snapshot"].get("medium") or "text"
    readme = render_markdown(card, lang).replace(f"datasheet.{lang}.md", DATASHEET)
    readme = _STUDIO_LINK.sub(r"\1", readme)  # the studio's reports are not in the folder
    return {README: front_matter(card["datasheet"], medium) + "\n" + readme, DATASHEET: render_datasheet(card, lang)}
