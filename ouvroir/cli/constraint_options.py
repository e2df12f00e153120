"""`ouvroir generate`'s writing constraints (the Oulipo's): the options, and the constraint they make."""

from __future__ import annotations

import click

OPTIONS = [
    click.option("--lipogram", metavar="LETTERS", default="",
                 help="Letters no sample may hold (--lipogram e: not one e, nor é è ê ë É œ unless --no-fold-accents)."),
    click.option("--fold-accents/--no-fold-accents", "fold", default=True, show_default=True,
                 help="Compare letters by their base letter (e covers é è ê ë and œ), or keep accented letters apart."),
    click.option("--alphabet", metavar="LETTERS", default=None,
                 help="The only letters a sample may use (spaces, digits and punctuation stay free)."),
    click.option("--forbid", "forbid", multiple=True, metavar="WORD", help="A whole word no sample may write (repeatable)."),
    click.option("--require", "require", multiple=True, metavar="WORD",
                 help="A whole word every sample must write before it ends (repeatable); a sample that cannot "
                      "within --max-tokens is reported and not stored."),
    click.option("--max-line", type=int, default=None, metavar="N", help="Lines of at most N characters."),
]  # fmt: skip


def constraint_options(command):
    """Adds the constraint options to a command (they reach it as keyword arguments)."""
    for option in reversed(OPTIONS):
        command = option(command)
    return command


def constraint_from(lipogram: str, fold: bool, alphabet: str | None, forbid: tuple[str, ...], require: tuple[str, ...],
                    max_line: int | None):  # fmt: skip
    """The Constraint the options ask for, or None when they ask for none."""
    from ..workshop import Constraint

    constraint = Constraint(lipogram=lipogram, alphabet=alphabet, forbid=forbid, require=require, max_line=max_line,
                            fold=fold)  # fmt: skip
    return constraint if constraint.active or max_line is not None else None
