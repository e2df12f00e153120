"""The model card and the datasheet as an exported folder publishes them (the Hugging Face hub's way).

The hub reads a model's ``README.md`` and the YAML front matter at its top
(https://huggingface.co/docs/hub/model-cards): ``license``, ``language``,
``tags``, ``library_name``, ``pipeline_tag``. The card's body is the studio's
card, its links made to work inside the folder: the datasheet is ``datasheet.md``
beside it, and links into the studio (the audit report) become plain text.

A model trained from scratch has no ``base_model`` key (the hub reads that key as
the id of a model on the hub, so any placeholder there would name a model that
does not exist); the tag ``trained-from-scratch`` says it. A fine-tune names its
base as the studio knows it, by folder name (a studio model's folder is its id),
with the tag ``fine-tuned`` and its base's architecture. ``library_name`` says what
loads the folder: ``transformers``, ``peft`` for an adapter, ``gguf`` for a GGUF file.

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


LIBRARIES = {"hf": "transformers", "peft": "peft", "gguf": "gguf"}


def _word(value: str) -> str:
    """A YAML scalar: the word as is, or a JSON string when YAML would read it otherwise."""
    return value if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", value) else json.dumps(value)


def front_matter(sheet: dict, medium: str, base: dict | None = None, fmt: str = "hf") -> str:
    """The YAML block the hub reads (every value is a plain word or a JSON string, which YAML reads as is).

    ``base``: a fine-tune's base as the card gives it (``folder``, ``model_type``); ``fmt``: the export's format.

    >>> print(front_matter({"licenses": [], "languages": []}, "text", {"folder": "Qwen3-0.6B", "model_type": "qwen3"},
    ...                    "peft"))  # doctest: +ELLIPSIS
    ---
    license: other
    ...
    base_model: Qwen3-0.6B
    library_name: peft
    pipeline_tag: text-generation
    tags:
    - ouvroir
    - qwen3
    - fine-tuned
    ...
    """
    lines = ["---"] + [f"{k}: {json.dumps(v) if ':' in v else v}" for k, v in hub_license(sheet["licenses"]).items()]
    languages = hub_languages(sheet["languages"])
    if languages:
        lines += ["language:", *(f"- {code}" for code in languages)]
    if base:
        lines.append(f"base_model: {_word(str(base['folder']))}")
    lines += [f"library_name: {LIBRARIES.get(fmt, 'transformers')}", "pipeline_tag: text-generation", "tags:"]
    origin = (_word(str(base.get("model_type") or "transformers")), "fine-tuned") if base else ("qwen3", "trained-from-scratch")
    tags = ("ouvroir", *origin, "consented-training-data", medium) + (("gguf",) if fmt == "gguf" else ())
    lines += [f"- {tag}" for tag in tags]
    return "\n".join(lines + ["---", ""])


def publish_files(card: dict, lang: str, fmt: str = "hf") -> dict[str, str]:
    """``{"README.md": ..., "datasheet.md": ...}`` for a folder exported as ``fmt``, from a card built by ``build_card``."""
    medium = card["snapshot"].get("medium") or "text"
    readme = render_markdown(card, lang).replace(f"datasheet.{lang}.md", DATASHEET)
    readme = _STUDIO_LINK.sub(r"\1", readme)  # the studio's reports are not in the folder
    base = (card["model"].get("finetune") or {}).get("base")
    return {README: front_matter(card["datasheet"], medium, base, fmt) + "\n" + readme,
            DATASHEET: render_datasheet(card, lang)}  # fmt: skip
