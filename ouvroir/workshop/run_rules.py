"""What a training run and a fine-tune share: their budget in words, and the licence rule.

``training`` imports ``finetuning`` (a resume or a retrain of a fine-tune goes there), so what both
need lives here, below them, rather than in either.
"""

from __future__ import annotations

from ..corpus.snapshot import Snapshot
from ..errors import TrainingError
from ..i18n.stages import word
from ..learn.sizing import Budget


def budget_text(budget: Budget, whole_run: bool = True) -> str:
    """The budget for the terminal: a training run's minutes cover the whole run, a fine-tune's its steps only."""
    parts = []
    if budget.minutes:
        parts.append(f"{budget.minutes:g} min in all" if whole_run else f"{budget.minutes:g} min")
    if budget.steps:
        parts.append(f"{budget.steps:,} steps")
    return " or ".join(parts)


def budget_word(budget: Budget) -> dict:
    """The budget as the web studio words it, in the page's language (see ``ouvroir.i18n.stages``)."""
    if budget.minutes and budget.steps:
        return word("budget_both") | {"values": {"minutes": budget.minutes, "steps": budget.steps}}
    if budget.steps:
        return word("budget_steps") | {"values": {"steps": budget.steps}}
    return word("budget_minutes") | {"values": {"minutes": budget.minutes}}


def refuse_unlicensed(studio, snapshot: Snapshot, shown: int = 5) -> None:
    """A TrainingError naming the snapshot's works whose licence (as it stands now) is ``unknown``."""
    licences = {w.id: w for w in studio.works(medium=snapshot.medium)}
    missing = [licences[w.work_id] for w in snapshot.works if w.work_id in licences
               and licences[w.work_id].license == "unknown"]  # fmt: skip
    if missing:
        named = ", ".join(f"{w.id} {w.title!r}" for w in missing[:shown])
        more = f" and {len(missing) - shown:,} more" if len(missing) > shown else ""
        raise TrainingError(
            f"a known licence is required, and {len(missing):,} of the {len(snapshot.works):,} works to train on "
            f"have none (unknown): {named}{more}; give each its licence (`ouvroir edit WORK --license ...`) "
            "or train without --require-license"
        )
