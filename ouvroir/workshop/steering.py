"""Steering a model: the controls a person asks for, and infilling, checked against what the model learned.

A model trained from scratch since controls existed knows the control values of its
training works (``corpus/controls.py``), one special token each in its tokenizer, and
can fill in a middle (``learn/data.py``). ``resolve`` turns what a person typed
(``--as verlaine --form poem``) into the exact values and the token ids to place before
the prompt, refusing in one line, before anything is generated or stored:

* a model trained before controls and infilling (its tokenizer has none of their tokens);
* a model fine-tuned from a pre-trained base (its tokenizer is the base's);
* a control of the other medium (``--as`` on a music model, ``--key`` on a text model);
* a value the model does not know (the line lists those it knows).

Several values of one control are mixed (``learn.generate``); several controls
combine, each alternative holding one value of each.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache

from ..corpus.controls import MUSIC_CONTROLS, TEXT_CONTROLS, UnknownControl, match_value
from ..errors import OuvroirError
from ..store import models as model_store

MAX_ALTERNATIVES = 16  # rows per sample when values are mixed: each costs a full decode row
OPTION = {"author": "--as", "form": "--form", "key": "--key", "meter": "--meter", "voices": "--voices"}


class NotSteerable(OuvroirError):
    """The model cannot take controls or fill in a middle (trained before them, or fine-tuned from a base)."""


@dataclass
class Steering:
    """Resolved controls: the exact values asked for (recorded with each sample) and the token id alternatives."""

    values: dict[str, list[str]] = field(default_factory=dict)
    alternatives: list[list[int]] | None = None

    def record(self) -> dict:
        return {"controls": self.values} if self.values else {}


@lru_cache(maxsize=8)
def _tokenizer(path: str, mtime: float):
    from ..learn.tokenizer import Tokenizer

    return Tokenizer.load(path)


def model_tokenizer(studio, record: model_store.ModelRecord):
    """The tokenizer of a model trained from scratch (None for a fine-tune, or a model without one)."""
    if "base" in record.config:
        return None
    path = studio.layout.model(record.id) / "tokenizer.json"
    return _tokenizer(str(path), path.stat().st_mtime) if path.is_file() else None


def known_controls(studio, record: model_store.ModelRecord) -> dict[str, list[str]]:
    """The control values a model knows, by control name (empty for a model without controls)."""
    tokenizer = model_tokenizer(studio, record)
    return {name: list(values) for name, values in tokenizer.controls.items()} if tokenizer else {}


def can_infill(studio, record: model_store.ModelRecord) -> bool:
    tokenizer = model_tokenizer(studio, record)
    return bool(tokenizer and tokenizer.has_fim and record.config.get("train", {}).get("fim_rate"))


def refuse_unsteerable(studio, record: model_store.ModelRecord, what: str) -> None:
    """One line when ``record`` cannot take controls or infill (``what`` names the request, for the message)."""
    if "base" in record.config:
        raise NotSteerable(f"model {record.id} is fine-tuned from a pre-trained base, whose tokenizer has no control "
                           f"or infilling tokens: {what} needs a model trained from scratch (`ouvroir train`)")  # fmt: skip
    tokenizer = model_tokenizer(studio, record)
    if tokenizer is None or not tokenizer.has_fim:
        raise NotSteerable(f"model {record.id} was trained before controls/infilling: retrain it "
                           f"(`ouvroir retrain {record.id}`)")  # fmt: skip


def resolve(studio, record: model_store.ModelRecord, requested: dict[str, list[str]] | None, medium: str) -> Steering:
    """The exact values and token alternatives for ``requested`` ({"author": ["verlaine"], ...}), or one clear line."""
    requested = {name: list(values) for name, values in (requested or {}).items() if values}
    if not requested:
        return Steering()
    options = " ".join(OPTION.get(name, name) for name in requested)
    refuse_unsteerable(studio, record, options)
    own, other = (MUSIC_CONTROLS, TEXT_CONTROLS) if medium == "music" else (TEXT_CONTROLS, MUSIC_CONTROLS)
    for name in requested:
        if name not in own:
            kind = "music" if medium == "music" else "text"
            raise UnknownControl(f"model {record.id} is a {kind} model: {OPTION.get(name, name)} is for "
                                 f"{'text' if name in other and medium == 'music' else 'music'} models; its controls "
                                 f"are {', '.join(OPTION[n] for n in own)}")  # fmt: skip
    tokenizer = model_tokenizer(studio, record)
    known = tokenizer.controls
    values = {name: list(dict.fromkeys(match_value(name, v, list(known.get(name, {}))) for v in wanted))
              for name, wanted in requested.items()}  # fmt: skip
    combos = list(itertools.product(*(values[name] for name in values)))
    if len(combos) > MAX_ALTERNATIVES:
        raise UnknownControl(f"{len(combos)} combinations of control values are too many to mix "
                             f"(at most {MAX_ALTERNATIVES}): ask for fewer values")  # fmt: skip
    names = list(values)
    alternatives = [tokenizer.control_ids(dict(zip(names, combo))) for combo in combos]
    return Steering(values, alternatives)


INFILL_MARKER = "[…]"  # where the middle goes in ``generate --infill FILE`` (U+2026, the editor's ellipsis)


def split_marker(text: str, source: str, marker: str = INFILL_MARKER) -> tuple[str, str]:
    """(before, after) of a text holding ``marker`` exactly once (``--infill FILE``)."""
    count = text.count(marker)
    if count != 1:
        raise OuvroirError(f"{source} must hold the marker {marker!r} exactly once, where the middle goes "
                           f"(it holds it {count} times)")  # fmt: skip
    before, after = text.split(marker)
    return before, after


__all__ = ["INFILL_MARKER", "NotSteerable", "Steering", "can_infill", "known_controls", "refuse_unsteerable", "resolve", "split_marker"]
