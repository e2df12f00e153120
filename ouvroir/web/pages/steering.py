"""What the Generate form and the Write page share about steering: a model's controls as the page offers
them, the controls and constraint a request asks for, and refusals said in the page's language."""

from __future__ import annotations

import re
from contextlib import contextmanager

from fastapi import Request

from ...errors import OuvroirError
from ...workshop import ConstraintError, ConstraintUnmet, ModelRecord, RewriteRefused, Studio
from ..shared import said, translator

CONTROL_NAMES = ("author", "form", "key", "meter", "voices")
_WORDS = re.compile(r"[\s,;]+")


def model_steering(studio: Studio, model: ModelRecord) -> dict:
    """{"controls": {name: [values]}, "infill": bool, "fim_rate": rate or None}: what the page may offer."""
    infill = studio.models.can_infill(model)
    return {"controls": studio.models.controls(model), "infill": infill,
            "fim_rate": model.config.get("train", {}).get("fim_rate") if infill else None}  # fmt: skip


def _values(raw: object, name: str) -> list[str]:
    values = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else None
    if values is None or not all(isinstance(v, str) for v in values):
        raise OuvroirError(f"the control {name!r} takes a value or a list of values, not {raw!r}")
    return [v.strip() for v in values if v.strip()]


def controls_from(raw: object) -> dict[str, list[str]] | None:
    """``{"author": ["Ada", "Zoé"], "form": "poem"}`` from a JSON body, as the workshop takes it."""
    if raw in (None, {}):
        return None
    if not isinstance(raw, dict) or not set(raw) <= set(CONTROL_NAMES):
        raise OuvroirError(f"controls are an object with the keys {', '.join(CONTROL_NAMES)}, not {raw!r}")
    found = {name: _values(value, name) for name, value in raw.items()}
    return {name: values for name, values in found.items() if values} or None


def controls_from_form(form) -> dict[str, list[str]] | None:
    """The same from a posted form, where a multiple choice comes as repeated fields."""
    return controls_from({name: form.getlist(name) for name in CONTROL_NAMES if form.getlist(name)})


def _words(raw: object, what: str) -> tuple[str, ...]:
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        return tuple(w for w in _WORDS.split(raw) if w)
    if isinstance(raw, list) and all(isinstance(w, str) for w in raw):
        return tuple(w.strip() for w in raw if w.strip())
    raise OuvroirError(f"{what} takes words, not {raw!r}")


def constraint_from(raw: object):
    """A ``Constraint`` from ``{"lipogram": "e", "forbid": [...], "require": [...], "max_line": 40}``, or None."""
    from ...workshop import Constraint

    if raw in (None, {}):
        return None
    if not isinstance(raw, dict):
        raise OuvroirError(f"a constraint is an object, not {raw!r}")
    lipogram = raw.get("lipogram") or ""
    max_line = raw.get("max_line")
    if not isinstance(lipogram, str) or (max_line is not None and (isinstance(max_line, bool) or not isinstance(max_line, int))):
        raise OuvroirError(f"a constraint's lipogram is letters and its max_line a whole number, not {raw!r}")
    constraint = Constraint(lipogram="".join(lipogram.split()), forbid=_words(raw.get("forbid"), "forbid"),
                            require=_words(raw.get("require"), "require"), max_line=max_line)  # fmt: skip
    return constraint if constraint.active or max_line is not None else None


@contextmanager
def in_page_language(request: Request):
    """Refusals the library names by key (a selection, a constraint) said in the page's language."""
    try:
        yield
    except (RewriteRefused, ConstraintError, ConstraintUnmet) as exc:
        error = said(OuvroirError(exc.text(translator(request).lang)))
        error.http_status = getattr(exc, "http_status", 400)
        raise error from None
