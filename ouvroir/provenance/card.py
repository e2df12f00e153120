"""Model cards and corpus datasheets: what a model is, what it learned from, with whose consent, how good it is.

Every figure is read from the studio (the ``models``, ``snapshots``, ``snapshot_works``,
``consent_events`` and ``audits`` tables, the snapshot's manifest), never typed by
hand, so a card regenerated after a withdrawal or an audit tells the truth of that
moment. The JSON (``card.json``, ``datasheet.json``) holds the figures; the
Markdown (``card.fr.md``, ``datasheet.fr.md``...) puts them in plain words,
rendered by :mod:`ouvroir.provenance.card_markdown`.

Only works the model's snapshot froze appear: a work that never had consent to
training is never named, not even in the datasheet (the consent canary).

>>> import tempfile, pathlib
>>> from ouvroir.workshop.studio import Studio
>>> s = Studio.init(pathlib.Path(tempfile.mkdtemp()) / "atelier")
>>> build_card(s, None, "en")
Traceback (most recent call last):
...
ouvroir.errors.ModelNotFound: the studio has no trained model yet: train one with `ouvroir train`
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from ..version import __version__
from ..corpus.snapshot import SPLIT_BY_WORK, load_snapshot, tail_split
from ..errors import StudioError
from ..fileio import atomic_write
from ..i18n import check_lang
from ..store import audits as audit_store
from ..store import edits as edit_store
from ..store import models as model_store
from ..store import snapshots as snapshot_store
from ..store import works as work_store
from ..store.db import now
from .card_markdown import consent_sentence, intended_uses, limits, render_datasheet, render_markdown
from .card_steering import steering_data

__all__ = ["CardFiles", "build_card", "datasheet_json", "render_datasheet", "render_markdown", "write_card"]

CARD_FORMAT = "ouvroir-model-card/1"
DATASHEET_FORMAT = "ouvroir-datasheet/1"


@dataclass(frozen=True)
class CardFiles:
    card_md: Path
    card_json: Path
    datasheet_md: Path
    datasheet_json: Path


def build_card(studio, model_ref: str | None, lang: str = "fr") -> dict:
    """The card of a ready model (default: the latest) as JSON-ready data; prose in ``lang``.

    Keys: format, lang, generated, ouvroir_version, owner, model, snapshot,
    datasheet, consent, audit (None before the first audit), intended_uses, limits.
    """
    lang = check_lang(lang)
    record = model_store.resolve_model(studio.conn, model_ref)
    try:
        snapshot = load_snapshot(studio, record.snapshot_id)
    except (OSError, ValueError, KeyError) as exc:
        raise StudioError(f"model {record.id}: its snapshot {record.snapshot_id} is gone or unreadable ({exc}); "
                          "`ouvroir check` verifies the studio") from exc  # fmt: skip
    withdrawn = model_store.withdrawals(studio.conn, record.id)
    works = _works(studio, snapshot, {w.work_id for w in withdrawn})
    card = {
        "format": CARD_FORMAT,
        "lang": lang,
        "generated": now(),
        "ouvroir_version": __version__,
        "owner": studio.owner,
        "model": _model(studio, record),
        "snapshot": _snapshot(studio, snapshot, works),
        "datasheet": _datasheet(works),
        "consent": {"withdrawn": [asdict(w) for w in withdrawn]},
        "audit": _audit(studio, record.id),
    }
    card["consent"]["status"] = "withdrawn" if withdrawn else "consented"
    card["consent"]["sentence"] = consent_sentence(card, lang)
    card["intended_uses"] = intended_uses(card, lang)
    card["limits"] = limits(card, lang)
    return card


def datasheet_json(card: dict) -> dict:
    """The corpus datasheet as its own document: the snapshot, its works, and consent today."""
    return {"format": DATASHEET_FORMAT, "generated": card["generated"], "ouvroir_version": card["ouvroir_version"],
            "model_id": card["model"]["id"], "snapshot": card["snapshot"], **card["datasheet"],
            "consent": card["consent"]}  # fmt: skip


def write_card(studio, model_ref: str | None, lang: str = "fr") -> CardFiles:
    """Write ``card.<lang>.md``, ``card.json``, ``datasheet.<lang>.md`` and ``datasheet.json`` in the model's folder."""
    card = build_card(studio, model_ref, lang)
    folder = studio.layout.model(card["model"]["id"])
    files = CardFiles(folder / f"card.{lang}.md", folder / "card.json", folder / f"datasheet.{lang}.md",
                      folder / "datasheet.json")  # fmt: skip
    # Rendered before anything is written: an error leaves the previous card whole.
    texts = {files.card_md: render_markdown(card, lang), files.datasheet_md: render_datasheet(card, lang),
             files.card_json: _json(card), files.datasheet_json: _json(datasheet_json(card))}  # fmt: skip
    for path, text in texts.items():
        atomic_write(path, text.encode("utf-8"))
    return files


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _model(studio, record: model_store.ModelRecord) -> dict:
    shape = record.config.get("train", {}).get("model", {})
    plot = studio.layout.model_plot(record.id)
    left_out = record.config.get("left_out") or []
    return {
        "id": record.id,
        "name": record.name,
        "created": record.created_at,
        "size": record.size,
        "parameters": record.parameters,
        "config": {"layers": shape.get("n_layer"), "width": shape.get("d_model"), "heads": shape.get("n_head"),
                   "context": shape.get("context"), "vocab": shape.get("vocab_size")}
        | ({"resolution": shape.get("resolution"), "patch": shape.get("patch")} if "patch" in shape else {}),  # images
        "device": record.device,
        "seed": record.config.get("seed"),
        "budget": record.config.get("budget"),
        "steps": record.steps,
        "train_seconds": record.train_seconds,
        "val_bpb": record.val_bpb,
        "fit": record.config.get("fit"),  # train vs validation bits per byte, passes planned, memorized or not
        "weights_sha256": record.weights_sha256,
        "loss_curve": plot.name if plot.exists() else None,
        "retrained_from": record.config.get("retrained_from"),
        "left_out": [{"work_id": w, "title": _title(studio, w)} for w in left_out],
        "finetune": _finetune(record.config),
        "steering": steering_data(studio.layout.model(record.id), record.config),  # controls known, infilling
    }  # fmt: skip


BASE_KEYS = ("folder", "model_type", "parameters", "config_sha256", "weights_sha256", "licence", "datasets")


def _finetune(config: dict) -> dict | None:
    """A fine-tuned model's base (by folder name and hashes: its path on this computer stays here), method and
    bits per byte before and after; None for a model trained from scratch."""
    if "base" not in config:
        return None
    base = config["base"]
    listed = {k: [base[k]] if isinstance(base.get(k), str) else base.get(k) for k in ("licence", "datasets")}
    return {"base": {k: base.get(k) for k in BASE_KEYS} | listed,  # a card's front matter gives one or a list
            "method": config.get("method"), "rank": config.get("rank"), "targets": config.get("targets"),
            "trainable_parameters": config.get("trainable_parameters"),
            "weights_file": "model.safetensors" if config.get("method") == "full" else "adapter_model.safetensors",
            "bpb": config.get("bpb") or {}}  # fmt: skip


def _title(studio, work_id: str) -> str:
    """A work's title even after its removal (the removal record keeps it)."""
    return work_store.title_even_removed(studio.conn, work_id) or work_id


def _works(studio, snapshot, withdrawn: set[str]) -> list[dict]:
    """The snapshot's works as frozen (title, author, characters, split), with rights from the store.

    The consent date is that of the event the snapshot relied on, not the latest one; the licence and
    date are those after the latest metadata edit the snapshot froze (a later correction is not rewritten
    into the datasheet of a model already trained).
    """
    out = []
    for w in snapshot.works:
        row = snapshot_store.frozen_rights(studio.conn, snapshot.id, w.work_id)
        metadata = json.loads(row["metadata"]) if row and row["metadata"] else {}
        edits = edit_store.history(studio.conn, w.work_id) if row else []
        license = edit_store.value_as_of(edits, "license", w.edit_event_id, row["license"] if row else None)
        out.append({
            "work_id": w.work_id, "title": w.title, "author": w.author,
            "license": license, "form": row["form"] if row else None,
            "date": edit_store.value_as_of(edits, "date", w.edit_event_id, metadata.get("date")),
            "language": metadata.get("language"),
            "consent": (row["consent"] if row else None) or "train", "consent_at": row["at"] if row else None,
            "consent_reason": row["reason"] if row else None,
            "text_sha256": w.text_sha256, "chars": w.chars, "split": w.split, "withdrawn": w.work_id in withdrawn,
        })  # fmt: skip
    return sorted(out, key=lambda w: ((w["author"] or "").casefold(), w["title"].casefold(), w["work_id"]))


def _snapshot(studio, snapshot, works: list[dict]) -> dict:
    train_chars = sum(w["chars"] for w in works if w["split"] == "train")
    val_chars = sum(w["chars"] for w in works if w["split"] == "val")
    for w in works:
        if w["split"] == "both" and snapshot.medium == "image":  # an image is not cut: trained on and validated on
            train_chars, val_chars = train_chars + w["chars"], val_chars + w["chars"]
        elif w["split"] == "both":  # tail fallback: the cut is where training saw it
            head, tail = tail_split(studio.blobs.get(w["text_sha256"]).decode("utf-8"))
            train_chars, val_chars = train_chars + len(head), val_chars + len(tail)
    return {"id": snapshot.id, "created": snapshot.created_at, "medium": snapshot.medium,
            "split_rule": snapshot.split_rule, "split": "works" if snapshot.split_rule == SPLIT_BY_WORK else "tail",
            "works": len(works), "train_works": sum(w["split"] != "val" for w in works),
            "val_works": sum(w["split"] != "train" for w in works), "train_chars": train_chars,
            "val_chars": val_chars}  # fmt: skip


def _datasheet(works: list[dict]) -> dict:
    authors: dict[str | None, dict] = {}
    for w in works:
        entry = authors.setdefault(w["author"], {"author": w["author"], "works": 0, "chars": 0})
        entry["works"] += 1
        entry["chars"] += w["chars"]

    def counts(key: str) -> list[dict]:
        found = Counter(w[key] for w in works if w[key])
        return [{key: value, "works": n} for value, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))]

    return {
        "works": works,
        "authors": sorted(authors.values(), key=lambda a: (-a["chars"], (a["author"] or "").casefold())),
        "licenses": counts("license"),
        "forms": counts("form"),
        "languages": counts("language"),
        "totals": {"works": len(works), "authors": sum(1 for a in authors if a),
                   "chars": sum(w["chars"] for w in works)},
    }


def _audit(studio, model_id: str) -> dict | None:
    row = audit_store.latest_audit_of(studio.conn, model_id)
    if row is None:
        return None
    settings: dict = {}
    try:  # the settings say what "copied" meant; the summary stands without them
        settings = json.loads((studio.root / row["path"] / "audit.json").read_text("utf-8")).get("settings", {})
    except (OSError, ValueError):
        pass
    return {"id": row["id"], "created": row["created_at"], "lang": row["lang"], "summary": json.loads(row["summary"]),
            "min_copy": settings.get("min_copy"), "report": f"{row['path']}/report.html"}  # fmt: skip
