"""One of the studio's own models as the base of a fine-tune: ``ouvroir train --from MODEL_ID``.

The model is exported to transformers (``learn.export_hf``, or a fine-tune's merged weights) and
that folder is fine-tuned like any base on disk. A LoRA adapter needs its base for good, so the
export is kept in the new model's folder (``models/<id>/base/``); a full fine-tune needs it only
while training (a temporary folder). The base is recorded as the studio model it is: its id and
weights hash beside the exported folder's config and weights hashes.

Consent follows the weights: a base trained on works whose consent is withdrawn is refused
(``store.models.withdrawals`` marks a fine-tune of it too), and retraining the base comes first.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
from pathlib import Path

from ..errors import ConsentError, ModelNotFound, TrainingError
from ..store import models as model_store

BASE_FOLDER = "base"  # in a LoRA model's folder: the studio model it adapts, exported to transformers


def resolve(studio, source: str) -> model_store.ModelRecord | None:
    """The studio model ``source`` names (id, name or id prefix) when it is not a folder on disk, else None."""
    if Path(source).expanduser().is_dir():
        return None
    try:
        return model_store.resolve_model(studio.conn, source, ready_only=False)
    except ModelNotFound:
        return None


def check_usable(studio, record: model_store.ModelRecord) -> None:
    """A ready text model trained on works that all still consent, else one line saying what to do."""
    if record.status != "ready":
        raise TrainingError(f"model {record.id} is not ready (status: {record.status}): only a finished model can be "
                            "fine-tuned")  # fmt: skip
    medium = model_store.snapshot_medium(studio.conn, record.snapshot_id)
    if medium != "text":
        raise TrainingError(f"model {record.id} learned {medium or 'an unknown medium'}: fine-tuning continues a text model")
    if withdrawn := model_store.withdrawals(studio.conn, record.id):
        works = "; ".join(f"{w.title!r} ({w.consent})" for w in withdrawn[:5])
        more = f" and {len(withdrawn) - 5} more" if len(withdrawn) > 5 else ""
        raise ConsentError(f"model {record.id} was trained on works whose consent is withdrawn: {works}{more}. "
                           f"`ouvroir retrain {record.id}` trains it again without them; fine-tune the new model "
                           "with `ouvroir train --from NEW_ID`")  # fmt: skip


def export_to(studio, record: model_store.ModelRecord, folder: Path) -> Path:
    """The studio model as a transformers folder (a fine-tune's LoRA merged into its own base)."""
    source = studio.layout.model(record.id)
    if "base" in record.config:
        from ..learn.export_finetuned import export_merged

        return export_merged(source, record.config, folder)
    from ..learn.export_hf import export_hf

    return export_hf(source, folder)


def provenance(record: model_store.ModelRecord) -> dict:
    """What a fine-tune records of a studio base, beside the exported folder's hashes."""
    return {"folder": record.id, "model_id": record.id, "model_weights_sha256": record.weights_sha256}


def finetune_from_model(studio, record: model_store.ModelRecord, finetune, method: str = "lora", **settings):
    """``finetune(studio, folder, method=..., model_id=..., studio_base=..., **settings)`` on ``record`` exported.

    Nothing stays behind when the run is refused before the new model is registered.
    """
    check_usable(studio, record)
    model_id = "m" + secrets.token_hex(5)
    with contextlib.ExitStack() as stack:
        if method == "lora":
            folder = studio.layout.model(model_id) / BASE_FOLDER
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ouvroir-base-"))) / record.id
        try:
            export_to(studio, record, folder)
            return finetune(studio, str(folder), method=method, model_id=model_id, studio_base=provenance(record),
                            **settings)  # fmt: skip
        except BaseException:
            if not _registered(studio, model_id):
                shutil.rmtree(studio.layout.model(model_id), ignore_errors=True)
            raise


def _registered(studio, model_id: str) -> bool:
    try:
        return model_store.resolve_model(studio.conn, model_id, ready_only=False).id == model_id
    except ModelNotFound:
        return False


def base_model_of(studio, old: model_store.ModelRecord) -> model_store.ModelRecord:
    """The studio model ``old`` was fine-tuned from, with the weights it had then, for ``retrain``."""
    base = old.config["base"]
    try:
        record = model_store.resolve_model(studio.conn, base["model_id"], ready_only=False)
    except ModelNotFound:
        raise TrainingError(f"model {old.id} was fine-tuned from the studio's model {base['model_id']}, which is gone: "
                            "fine-tune another with `ouvroir train --from MODEL_ID`") from None  # fmt: skip
    if record.weights_sha256 != base.get("model_weights_sha256"):
        raise TrainingError(f"model {record.id} has trained on since model {old.id} was fine-tuned from it: "
                            f"`ouvroir train --from {record.id}` fine-tunes it afresh")  # fmt: skip
    return record
