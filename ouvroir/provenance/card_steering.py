"""The card's "How to steer it": the controls a model knows and whether it can fill in a passage.

Read from the model's own tokenizer (one special token per control value, three for infilling) and
its training configuration (``fim_rate``), so the card says what the weights were trained to take,
not what the corpus holds today.
"""

from __future__ import annotations

from ..i18n import percent
from ..i18n.card import CARD

CONTROL_ORDER = ("author", "form", "key", "meter", "voices")


def steering_data(folder, config: dict) -> dict:
    """{"controls": {name: [values]}, "infill": bool, "fim_rate": rate or None, "none_because": None,
    "finetuned" or "before"} for the model whose files are in ``folder``."""
    from ..learn.tokenizer import Tokenizer

    rate = config.get("train", {}).get("fim_rate")
    if "base" in config:
        return {"controls": {}, "infill": False, "fim_rate": None, "none_because": "finetuned"}
    path = folder / "tokenizer.json"
    tokenizer = Tokenizer.load(path) if path.is_file() else None
    known = tokenizer.controls if tokenizer else {}
    controls = {name: sorted(known[name], key=str.casefold) for name in CONTROL_ORDER if known.get(name)}
    infill = bool(tokenizer and tokenizer.has_fim and rate)
    none = None if controls or infill else "before"
    return {"controls": controls, "infill": infill, "fim_rate": rate if infill else None, "none_because": none}


def steering_lines(card: dict, lang: str, md) -> list[str]:
    """The section's Markdown lines (``md`` escapes the corpus's values, which a person typed)."""
    steering = card["model"].get("steering")
    if not steering:
        return []
    out = [f"## {_t('steering', lang)}", ""]
    if steering["none_because"]:
        out += [_t(f"steering_none_{steering['none_because']}", lang), ""]
        return out
    controls = steering["controls"]
    if controls:
        out += [_t("steering_lead", lang), ""]
        out += ["- " + _t("control_line", lang, name=_t(f"control_{name}", lang),
                          values=", ".join(md(v) for v in controls[name])) for name in controls]  # fmt: skip
        out.append("")
    if steering["infill"]:
        out += [_t("steering_infill", lang, rate=percent(steering["fim_rate"], lang)), ""]
    else:
        out += [_t("steering_no_infill", lang), ""]
    return out


def _t(key: str, lang: str, **values: object) -> str:
    text = CARD[lang][key]
    return text.format(**values) if values else text
