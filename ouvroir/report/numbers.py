"""How the report writes a figure: a dash for what is missing, never ``nan`` or ``inf`` on the page."""

from __future__ import annotations

import math

from ..i18n.report import ReportTranslator as Translator


def number(value: object) -> float | None:
    """A finite number, or None for what is missing, not a number, or infinite.

    >>> number(3), number("3"), number(float("nan")), number(True)
    (3.0, None, None, None)
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def percent(tr: Translator, value: object) -> str:
    figure = number(value)
    return "—" if figure is None else tr.percent(figure)


def decimal(tr: Translator, value: object, digits: int = 2) -> str:
    figure = number(value)
    if figure is None:
        return "—"
    return tr.integer(round(figure)) if abs(figure) >= 100 else tr.decimal(figure, digits)


def chars(tr: Translator, value: object) -> str:
    figure = number(value)
    return "—" if figure is None else tr.count("chars", int(figure))
