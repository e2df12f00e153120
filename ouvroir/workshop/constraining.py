"""Generating under a writing constraint (``learn.constraints``): which models may, and what is kept.

Decisions: a sample that could not meet its constraint (no token kept it, or the budget ran out
before a required word) is never stored nor returned as a sample; :class:`Samples` lists the
stored ones and, in ``unmet``, which of the ``n`` failed and why. When none met it, nothing is
stored and :class:`ConstraintUnmet` says why for each. A kept sample is checked once more on its
whole text (``Constraint.violation``) before it is written: nothing breaking the constraint is
ever stored. The constraint is recorded in the sample's parameters and its signed provenance.
Constraints work on text models trained in the studio (byte-level tokens the guard knows);
a music model or a fine-tuned one is refused in one line.
"""

from __future__ import annotations

from ..errors import OuvroirError
from ..i18n import Translator
from ..i18n.constraints import CONSTRAINTS
from ..learn.constraints import Constraint, ConstraintError, Unmet
from ..store import models as model_store


class ConstraintUnmet(OuvroirError):
    """No sample met the constraint; ``unmet`` lists (index, Unmet) for each, ``budget`` the token budget."""

    def __init__(self, unmet: list[tuple[int, Unmet]], n: int, budget: int) -> None:
        self.unmet, self.n, self.budget = unmet, n, budget
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        tr = Translator(lang, CONSTRAINTS)
        reasons = " ".join(unmet_line(i, self.n, u, self.budget, lang) for i, u in self.unmet)
        return tr("unmet_all", reasons=reasons)


class Samples(list):
    """The stored samples (``SampleRecord``), and ``unmet``: (index, Unmet) of those that were not stored."""

    def __init__(self, records=(), unmet: list[tuple[int, Unmet]] | None = None, n: int = 0, budget: int = 0) -> None:
        super().__init__(records)
        self.unmet, self.n, self.budget = unmet or [], n, budget

    def unmet_lines(self, lang: str = "en") -> list[str]:
        return [unmet_line(i, self.n, u, self.budget, lang) for i, u in self.unmet]


def unmet_line(index: int, n: int, unmet: Unmet, budget: int, lang: str = "en") -> str:
    """'sample 2/5 did not meet the constraint (why): it is not stored'."""
    return Translator(lang, CONSTRAINTS)("unmet_sample", index=index + 1, n=n, reason=unmet.text(lang, budget))


def refuse_unsuited(studio, record: model_store.ModelRecord, constraint: Constraint, infill: bool = False) -> None:
    """A constraint that cannot be written, or a model it cannot apply to: one clear line, before anything runs."""
    constraint.check()
    if infill:
        raise ConstraintError("infill_unsupported")
    if model_store.snapshot_medium(studio.conn, record.snapshot_id) == "music":
        raise ConstraintError("music_model", model=record.id)
    if "base" in record.config:
        raise ConstraintError("finetuned_model", model=record.id)


def sort_out(results: list, prompt: str, constraint: Constraint, budget: int) -> tuple[list[str], list[int], list]:
    """The texts that met the constraint, their indices among the ``n``, and (index, Unmet) for the others."""
    texts, indices, unmet = [], [], []
    for index, result in enumerate(results):
        if not result.met:
            unmet.append((index, result.unmet))
            continue
        if broken := constraint.violation(result.text, prompt):  # the guard's promise, checked on the whole text
            raise RuntimeError(f"sample {index + 1} breaks its constraint ({broken}): a defect, nothing is stored")
        texts.append(result.text)
        indices.append(index)
    if not texts:
        raise ConstraintUnmet(unmet, len(results), budget)
    return texts, indices, unmet
