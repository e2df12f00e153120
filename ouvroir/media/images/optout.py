"""An image file's own refusal of training, honoured like a text's TDMRep reservation.

Two ways a file says it:

* an embedded C2PA manifest whose training-and-data-mining assertion
  (``c2pa.training-mining``, ``cawg.training-mining`` since CAWG took it over)
  gives ``notAllowed`` — or ``constrained``, whose constraints ouvroir cannot
  check — for AI training, generative AI training or data mining. The refusal
  is honoured whatever the signature's state: a refusal costs nothing to honour.
* the IPTC/PLUS ``plus:DataMining`` field in XMP with a ``DMI-PROHIBITED…`` value.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

TRAINING_LABELS = ("c2pa.training-mining", "cawg.training-mining")
TRAINING_USES = ("ai_generative_training", "ai_training", "data_mining")  # inference alone does not train
REFUSING = ("notAllowed", "constrained")
PLUS_ALLOWED = ("DMI-UNSPECIFIED", "DMI-ALLOWED")
# Bytes every embedded C2PA manifest store holds (its JUMBF box and label): no manifest, no c2pa call.
_C2PA_MARKS = (b"jumb", b"c2pa")


@dataclass(frozen=True)
class OptOut:
    reason: str
    origin: str  # the consent event's origin: c2pa-training-mining | plus-data-mining


def find(data: bytes, mime: str, plus_data_mining: str | None) -> OptOut | None:
    """The file's refusal of training, or None."""
    found = c2pa_refusal(data, mime)
    if found:
        return found
    if plus_data_mining:
        value = plus_data_mining.rsplit("/", 1)[-1].strip()
        if value and value.upper() not in PLUS_ALLOWED and "PROHIBITED" in value.upper():
            return OptOut(f"the file's IPTC/PLUS data-mining field prohibits it (plus:DataMining {value})",
                          "plus-data-mining")  # fmt: skip
    return None


def c2pa_refusal(data: bytes, mime: str) -> OptOut | None:
    if not all(mark in data for mark in _C2PA_MARKS):
        return None
    import c2pa

    try:
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data))
        if reader is None:
            return None
        with reader:
            report = json.loads(reader.json())
    except (c2pa.C2paError, ValueError):  # an unreadable manifest states nothing ouvroir can honour
        return None
    active = (report.get("manifests") or {}).get(report.get("active_manifest")) or {}
    for assertion in active.get("assertions") or []:
        if not isinstance(assertion, dict) or not str(assertion.get("label", "")).startswith(TRAINING_LABELS):
            continue
        entries = (assertion.get("data") or {}).get("entries") or {}
        refused = [f"{key} {entry.get('use')}" for key, entry in sorted(entries.items())
                   if isinstance(entry, dict) and key.split(".")[-1] in TRAINING_USES and entry.get("use") in REFUSING]
        if refused:
            return OptOut(f"the file's C2PA manifest refuses training ({assertion['label']}: {', '.join(refused)})",
                          "c2pa-training-mining")  # fmt: skip
    return None
