"""A model card and a corpus datasheet in plain words, in French or in English, from the card's figures.

Everything said is derived from the card's data at rendering time (never from
prose stored in it), so a card rendered in either language says the same
numbers, each written that language's way: ``1 017 216 paramètres``,
``1,017,216 parameters``.

>>> card = {"model": {"id": "m1", "parameters": 1017216}}
>>> _t("parameters", "fr", n=_int(card["model"]["parameters"], "fr")) == "1\\u202f017\\u202f216 paramètres"
True
"""

from __future__ import annotations

import re

from ..i18n import NNBSP, decimal, integer, percent
from ..i18n.card import CARD
from ..i18n.report import ReportTranslator
from .card_steering import steering_lines


def _t(key: str, lang: str, **values: object) -> str:
    text = CARD[lang].get(key, key.partition("_")[2])  # an unknown size or form keeps its own name
    return text.format(**values) if values else text


def _int(n: int, lang: str) -> str:
    return integer(n, lang)


def _count(key: str, n: int, lang: str) -> str:
    """``_count("works", 3, "fr")`` -> ``3 œuvres`` (the report's plural forms)."""
    return ReportTranslator(lang).count(key, n)


def _seconds(value: float, lang: str) -> str:
    return decimal(value, lang, 1) if value < 10 else integer(round(value), lang)


def _date(timestamp: str | None) -> str:
    return (timestamp or "—")[:10]


def _quote(title: str, lang: str) -> str:
    """A work's title quoted in a sentence, escaped (see ``_md``)."""
    title = _md(title)
    return f"«{NNBSP}{title}{NNBSP}»" if lang == "fr" else f"“{title}”"


# What a title or a name could use to become markup: links and images ([ ] ( ) !), emphasis,
# code, raw HTML and entities (< > &), table cells (|), and the escape itself. Each is
# backslash-escaped (CommonMark: any ASCII punctuation may be), so it shows as typed.
_MARKUP = re.compile(r"([\\`*_{}\[\]()!<>&|~#])")
_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")


def _md(text: object) -> str:
    """User metadata as Markdown text that renders as typed, on one line: never a link, an image, HTML or a new row.

    >>> _md("[x](http://evil) <b>|</b>")
    '\\\\[x\\\\]\\\\(http://evil\\\\) \\\\<b\\\\>\\\\|\\\\</b\\\\>'
    """
    return _MARKUP.sub(r"\\\1", _BREAKS.sub(" ", str(text)))


def _author(name: str | None, lang: str) -> str:
    return name or _t("unknown_author", lang)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows])  # every cell escaped


def _titles(titles: list[str], lang: str) -> str:
    quoted = [_quote(t, lang) for t in titles]
    return ", ".join(quoted[:-1]) + _t("and", lang) + quoted[-1] if len(quoted) > 1 else "".join(quoted)


# -- prose shared by the JSON and the Markdown --------------------------------------------------------


def consent_sentence(card: dict, lang: str) -> str:
    withdrawn = card["consent"]["withdrawn"]
    if not withdrawn:
        return _t("consent_ok", lang)
    return _t("consent_withdrawn", lang, works=_count("works", len(withdrawn), lang), id=card["model"]["id"])


def _withdrawn_items(card: dict, lang: str) -> list[str]:
    return [_t("withdrawn_item", lang, title=_quote(w["title"], lang), state=_t(f"state_{w['consent']}", lang),
               date=_date(w["at"])) + (f" ({_md(w['reason'])})" if w["reason"] else "")
            for w in card["consent"]["withdrawn"]]  # fmt: skip


def intended_uses(card: dict, lang: str) -> list[str]:
    return [_t(key, lang) for key in ("use_drafting", "use_style", "use_study")]


def limits(card: dict, lang: str) -> list[str]:
    model, audit = card["model"], card["audit"]
    chars = _count("chars", card["snapshot"]["train_chars"], lang)
    if model.get("finetune"):
        items = [_t("limit_finetuned", lang, chars=chars, base=_code(model["finetune"]["base"]["folder"])),
                 _t("limit_base_data", lang)]  # fmt: skip
    else:
        items = [_t("limit_small", lang, chars=chars)]
    if memorized := _memorized(model, lang):
        items.insert(0, memorized)
    summary = audit["summary"] if audit else {}
    if summary.get("longest_copy"):
        items.append(_t("limit_copy", lang, copy=percent(summary["mean_copied_share"], lang),
                        longest=_count("chars", summary["longest_copy"], lang)))  # fmt: skip
    elif summary.get("mean_copied_share") is not None:
        items.append(_t("limit_no_copy", lang, min=_least(audit, lang)))
    else:
        items.append(_t("limit_copy_unknown", lang, id=model["id"]))
    items.append(_t("limit_authorship", lang))
    withdrawn = card["consent"]["withdrawn"]
    if withdrawn:
        items.append(_t("limit_withdrawn", lang, works=_count("works", len(withdrawn), lang)))
    else:
        items.append(_t("limit_withdrawal_rule", lang))
    return items


def _memorized(model: dict, lang: str) -> str | None:
    """The warning a model that memorized its corpus carries, with the figures training measured (``fit``)."""
    fit = model.get("fit") or {}
    if not fit.get("memorized"):
        return None
    unit = "\u00a0Ko" if lang == "fr" else " KB"
    size = decimal(fit["train_bytes"] / 1000, lang, 1) + unit if fit.get("train_bytes") else "—"
    return _t("limit_memorized", lang, train=decimal(fit["train_bpb"], lang, 2), val=decimal(fit["val_bpb"], lang, 2),
              size=size, passes=_int(round(fit["passes"]), lang))  # fmt: skip


# -- the model card --------------------------------------------------------------------------------


def render_markdown(card: dict, lang: str = "fr") -> str:
    """The model card as Markdown a person reads: at a glance, then one plain-words section per question."""
    model, sheet, audit = card["model"], card["datasheet"], card["audit"]
    totals = sheet["totals"]
    works, authors = _count("works", totals["works"], lang), _count("authors", totals["authors"], lang)
    params = _t("parameters", lang, n=_int(model["parameters"], lang))
    bpb = decimal(model["val_bpb"], lang, 3) if model["val_bpb"] is not None else "—"
    # an image model's validation figure is the flow's squared error, not bits per byte
    image_error = (model.get("fit") or {}).get("val_loss") if card["snapshot"].get("medium") == "image" else None
    summary = audit["summary"] if audit else {}
    named = f"{model['id']} ({_md(model['name'])})" if model.get("name") else model["id"]  # the person's name too
    out = [f"# {_t('card_title', lang, id=named)}", "", _t("card_lead", lang, datasheet=f"datasheet.{lang}.md")]
    out += ["", f"## {_t('glance', lang)}", ""]
    size = _t(f"size_{model['size']}", lang)
    medium = _t(f"medium_{card['snapshot'].get('medium') or 'text'}", lang)
    tuned = model.get("finetune")
    if tuned:
        out.append("- " + _t("glance_what_finetuned", lang, medium=medium, base=_code(tuned["base"]["folder"]),
                             method=_method(tuned, lang), params=params, date=_date(model["created"])))  # fmt: skip
        out.append("- " + _t("glance_base", lang))
    else:
        out.append("- " + _t("glance_what", lang, medium=medium, size=size, params=params, date=_date(model["created"])))
    out.append("- " + _t("glance_corpus_finetuned" if tuned else "glance_corpus", lang, works=works, authors=authors,
                         chars=_count("chars", totals["chars"], lang)))  # fmt: skip
    if zero_shot := _zero_shot(model, lang):
        out.append("- " + _t("glance_bpb_finetuned", lang, zero=zero_shot, bpb=bpb))
    elif image_error is not None:
        out.append("- " + _t("glance_image_error", lang, error=decimal(image_error, lang, 4)))
    else:
        out.append("- " + _t("glance_bpb", lang, bpb=bpb))
    if summary.get("mean_copied_share") is not None:
        baseline = summary.get("baseline_copied_share")
        out.append("- " + _t("glance_audit", lang, copy=percent(summary["mean_copied_share"], lang),
                             baseline=percent(baseline, lang) if baseline is not None else "—"))  # fmt: skip
    else:
        out.append("- " + _t("no_audit", lang, id=model["id"]))
    if memorized := _memorized(model, lang):
        out.append("- " + memorized)
    if card["consent"]["withdrawn"]:
        out.append("- " + _t("glance_withdrawn", lang, works=_count("works", len(card["consent"]["withdrawn"]), lang)))
    if unlicensed := sum(1 for w in sheet["works"] if (w["license"] or "unknown") == "unknown"):
        out.append("- " + _t("glance_unlicensed", lang, works=_count("works", unlicensed, lang)))
    out += ["", f"## {_t('what', lang)}", "", _what(model, lang), ""]
    if model["weights_sha256"]:
        weights = f"weights_{tuned['method']}" if tuned else "weights"
        out += [_t(weights, lang, sha=model["weights_sha256"]), ""]
    if tuned:
        out += [f"## {_t('base_title', lang)}", "", *_base_lines(tuned, lang)]
    if model["loss_curve"]:
        out += [f"![{_t('loss_curve', lang)}]({model['loss_curve']})", ""]
    out += steering_lines(card, lang, _md)
    out += [f"## {_t('corpus', lang)}", "", _corpus_text(card, lang), ""]
    out += [_authors_table(sheet, lang), ""]
    if sheet["licenses"]:
        items = ", ".join(_t("license_item", lang, license=_md(row["license"]), works=_count("works", row["works"], lang))
                          for row in sheet["licenses"])  # fmt: skip
        out += [_t("licenses_line", lang, items=items), ""]
    out += [f"## {_t('consent', lang)}", "", _consent_block(card, lang), ""]
    quality = _t("quality_image", lang, error=decimal(image_error, lang, 4)) if image_error is not None else \
        _t("quality_text", lang, bpb=bpb)  # fmt: skip
    if zero_shot:
        quality += " " + _t("quality_finetuned", lang, zero=zero_shot, bpb=bpb)
    out += [f"## {_t('quality', lang)}", "", quality, ""]
    out += [f"## {_t('audit', lang)}", "", *_audit_lines(card, lang)]
    out += [f"## {_t('uses', lang)}", "", *(f"- {u}" for u in intended_uses(card, lang)), ""]
    out += [f"## {_t('limits', lang)}", "", *(f"- {item}" for item in limits(card, lang)), ""]
    return "\n".join(out)


def _code(text: object) -> str:
    """A name shown as code (a folder, a file): backticks inside it cannot end the span."""
    return "`" + _BREAKS.sub(" ", str(text)).replace("`", "'") + "`"


def _method(tuned: dict, lang: str) -> str:
    if tuned["method"] == "full":
        return _t("method_full", lang)
    return _t("method_lora", lang, rank=tuned["rank"])


def _zero_shot(model: dict, lang: str) -> str | None:
    """The base's bits per byte on the held-out works before fine-tuning, written for ``lang``."""
    zero = ((model.get("finetune") or {}).get("bpb") or {}).get("zero_shot")
    return decimal(zero, lang, 3) if zero is not None else None


def _base_lines(tuned: dict, lang: str) -> list[str]:
    """The base model by name and hashes, what its own card declares, and what the studio cannot vouch for."""
    base = tuned["base"]
    params = _t("parameters", lang, n=_int(base["parameters"], lang)) if base.get("parameters") else "—"
    lines = [_t("base_named", lang, folder=_code(base["folder"]), type=_md(base.get("model_type") or "—"), params=params,
                config=base["config_sha256"]), ""]  # fmt: skip
    lines += ["- " + _t("base_weight_file", lang, file=_code(name), sha=sha)
              for name, sha in sorted((base.get("weights_sha256") or {}).items())] + [""]  # fmt: skip
    licence = ", ".join(_code(x) for x in base.get("licence") or [])
    datasets = _titles_plain([_code(x) for x in base.get("datasets") or []], lang)
    declared = ("base_declares_both" if licence and datasets else "base_declares_licence" if licence
                else "base_declares_data" if datasets else "base_declares_nothing")  # fmt: skip
    lines += [_t(declared, lang, licence=licence, datasets=datasets), ""]
    lines += [_t("base_outside", lang), "", _t("base_choice", lang), ""]
    return lines


def _titles_plain(items: list[str], lang: str) -> str:
    return ", ".join(items[:-1]) + _t("and", lang) + items[-1] if len(items) > 1 else "".join(items)


def _what(model: dict, lang: str) -> str:
    shape = model["config"]
    if tuned := model.get("finetune"):
        how = (_t("how_full", lang) if tuned["method"] == "full" else
               _t("how_lora", lang, rank=tuned["rank"], targets=", ".join(_code(t) for t in tuned["targets"] or []),
                  trainable=_int(tuned["trainable_parameters"] or 0, lang)))  # fmt: skip
        return _t("what_finetuned", lang, id=model["id"], base=_code(tuned["base"]["folder"]), how=how,
                  layers=_int(shape["layers"], lang), width=_int(shape["width"], lang), heads=_int(shape["heads"], lang),
                  context=_int(shape["context"], lang), vocab=_int(shape["vocab"], lang),
                  steps=_int(model["steps"], lang), seconds=_seconds(model["train_seconds"], lang),
                  device=model["device"], seed=model["seed"])  # fmt: skip
    if "patch" in shape:  # an image model
        return _t("what_image", lang, id=model["id"], params=_t("parameters", lang, n=_int(model["parameters"], lang)),
                  layers=_int(shape["layers"], lang), width=_int(shape["width"], lang), heads=_int(shape["heads"], lang),
                  resolution=shape["resolution"], patch=shape["patch"], steps=_int(model["steps"], lang),
                  seconds=_seconds(model["train_seconds"], lang), device=model["device"], seed=model["seed"])  # fmt: skip
    return _t("what_text", lang, id=model["id"], params=_t("parameters", lang, n=_int(model["parameters"], lang)),
              layers=_int(shape["layers"], lang), width=_int(shape["width"], lang), heads=_int(shape["heads"], lang),
              context=_int(shape["context"], lang), vocab=_int(shape["vocab"], lang), steps=_int(model["steps"], lang),
              seconds=_seconds(model["train_seconds"], lang), device=model["device"], seed=model["seed"])  # fmt: skip


def _corpus_text(card: dict, lang: str) -> str:
    snapshot, totals = card["snapshot"], card["datasheet"]["totals"]
    return _t("corpus_text", lang, snapshot=snapshot["id"], date=_date(snapshot["created"]),
              works=_count("works", totals["works"], lang), authors=_count("authors", totals["authors"], lang),
              chars=_count("chars", totals["chars"], lang), train=_count("chars", snapshot["train_chars"], lang),
              val=_count("chars", snapshot["val_chars"], lang),
              split=_t(f"split_{snapshot['split']}", lang))  # fmt: skip


def _authors_table(sheet: dict, lang: str) -> str:
    rows = [[_author(a["author"], lang), _int(a["works"], lang), _int(a["chars"], lang)] for a in sheet["authors"]]
    return _table([_t("col_author", lang), _t("col_works", lang), _t("col_chars", lang)], rows)


def _consent_block(card: dict, lang: str) -> str:
    """Consent today, the works withdrawn since training, and the works a retrained model left out."""
    model = card["model"]
    lines = [consent_sentence(card, lang)]
    items = _withdrawn_items(card, lang)
    if items:
        lines.append("\n".join(f"- {item}" for item in items))
    if model.get("retrained_from"):
        titles = [w["title"] for w in model["left_out"]]
        lines.append(_t("retrained", lang, old=model["retrained_from"], titles=_titles(titles, lang)) if titles
                     else _t("retrained_plain", lang, old=model["retrained_from"]))  # fmt: skip
    return "\n\n".join(lines)


def _least(audit: dict, lang: str) -> str:
    """What counted as a copy (``, in passages of at least 50 characters``), when the audit says."""
    return _t("audit_min", lang, chars=_count("chars", audit["min_copy"], lang)) if audit.get("min_copy") else ""


def _audit_lines(card: dict, lang: str) -> list[str]:
    audit = card["audit"]
    if audit is None:
        return [_t("no_audit", lang, id=card["model"]["id"]), ""]
    s = audit["summary"]
    texts = s.get("texts") or 0
    out = [_t("audit_text", lang, id=audit["id"], date=_date(audit["created"]), texts=_count("texts", texts, lang),
              report=f"../../{audit['report']}"), ""]  # fmt: skip
    if s.get("mean_copied_share") is not None:
        if s.get("texts_with_copy"):
            line = _t("audit_copy", lang, copy=percent(s["mean_copied_share"], lang), min=_least(audit, lang),
                      with_copy=_int(s["texts_with_copy"], lang), texts=_int(texts, lang),
                      longest=_count("chars", s.get("longest_copy") or 0, lang))  # fmt: skip
        else:
            line = _t("audit_no_copy", lang, texts=_count("texts", texts, lang), min=_least(audit, lang))
        if s.get("baseline_copied_share") is not None:
            line += " " + _t("audit_baseline", lang, share=percent(s["baseline_copied_share"], lang))
        out += [f"- {line}"]
    if s.get("creativity_index") is not None:
        human = s.get("baseline_creativity_index")
        out += ["- " + _t("audit_creativity", lang, value=decimal(s["creativity_index"], lang),
                          baseline=decimal(human, lang) if human is not None else "—")]  # fmt: skip
    if s.get("diversity_ratio") is not None:
        out += ["- " + _t("audit_diversity", lang, value=decimal(s["diversity_ratio"], lang))]
    if s.get("nearest_author"):
        out += ["- " + _t("audit_style", lang, author=_md(s["nearest_author"]))]
    if s.get("top_author_share") is not None:
        out += ["- " + _t("audit_credit", lang, author=_md(_author(s.get("top_author"), lang)),
                          share=percent(s["top_author_share"], lang))]  # fmt: skip
    return out + [""]


# -- the corpus datasheet --------------------------------------------------------------------------


def render_datasheet(card: dict, lang: str = "fr", works_shown: int | None = None) -> str:
    """The corpus datasheet as Markdown: every work the model learned from, its author, license and consent date.

    ``works_shown`` keeps a page readable at a real corpus's size: the first works, then how many more
    there are and where the whole list is (the datasheet's own file always has them all).
    """
    model, snapshot, sheet = card["model"], card["snapshot"], card["datasheet"]
    totals = sheet["totals"]
    out = [f"# {_t('ds_title', lang, snapshot=snapshot['id'])}", ""]
    out += [_t("ds_lead", lang, id=model["id"], snapshot=snapshot["id"], date=_date(snapshot["created"]),
               works=_count("works", totals["works"], lang), authors=_count("authors", totals["authors"], lang),
               chars=_count("chars", totals["chars"], lang)), ""]  # fmt: skip
    out += [f"## {_t('works', lang)}", ""]
    rows = []
    listed = sheet["works"] if works_shown is None else sheet["works"][:works_shown]
    for w in listed:
        consent = _date(w["consent_at"]) + (f" ({_t('withdrawn_since', lang)})" if w["withdrawn"] else "")
        rows.append([w["title"], _author(w["author"], lang), w["license"] or "—", consent, _int(w["chars"], lang),
                     _t(f"split_{w['split']}", lang)])  # fmt: skip
    header = [_t(k, lang) for k in ("col_title", "col_author", "col_license", "col_consent", "col_chars", "col_use")]
    out += [_table(header, rows), ""]
    if len(listed) < len(sheet["works"]):
        out += [_t("ds_more_works", lang, shown=_int(len(listed), lang), more=_int(len(sheet["works"]) - len(listed), lang)), ""]
    out += [f"## {_t('authors', lang)}", "", _authors_table(sheet, lang), ""]
    for key, column, field in (("licenses", "col_license", "license"), ("forms", "col_form", "form"),
                               ("languages", "col_language", "language")):  # fmt: skip
        if sheet[key]:
            shown = (lambda v: _t(f"form_{v}", lang)) if field == "form" else str
            table = _table([_t(column, lang), _t("col_works", lang)],
                           [[shown(row[field]), _int(row["works"], lang)] for row in sheet[key]])  # fmt: skip
            out += [f"## {_t(key, lang)}", "", table, ""]
    out += [f"## {_t('consent_today', lang)}", "", _consent_block(card, lang), ""]
    return "\n".join(out)
