"""The command line: parses arguments, calls the public API, turns typed errors into a message and an exit code.

Every command's help ends with an example (tests/test_docs.py checks it).
"""

from __future__ import annotations

import sqlite3
import sys

import click

from ..version import __version__
from ..errors import OuvroirError, environment_failure
from ..layout import STUDIO_ENV, studio_path


class OuvroirGroup(click.Group):
    """Turns library errors into one clear line on stderr and a non-zero exit, in one place."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OuvroirError as exc:
            click.secho(f"Error: {exc}", err=True, fg="red")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.secho("Interrupted.", err=True, fg="yellow")
            sys.exit(130)
        except (OSError, MemoryError, sqlite3.OperationalError) as exc:
            # A full disk or no memory left is the machine's state, not a bug: one line, not a traceback.
            failure = environment_failure(exc) if not isinstance(exc, BrokenPipeError) else None
            if failure is None:  # another SQLite error, a broken pipe: not the machine's state
                raise
            click.secho(f"Error: {failure}", err=True, fg="red")
            sys.exit(failure.exit_code)


@click.group(cls=OuvroirGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--studio",
    "studio",
    metavar="PATH",
    help=f"Studio folder (default: ${STUDIO_ENV}, else ./studio).",
)
@click.version_option(__version__, prog_name="ouvroir")
@click.pass_context
def cli(ctx: click.Context, studio: str | None) -> None:
    """ouvroir — a workshop to train, co-create with and audit a small generative model on your own corpus.

    Your works stay on your machine, in a studio folder, each with its rights and
    its consent record. Only works whose latest consent says "train" are ever
    trained on.

    Example:

        ouvroir init --owner "Ada Martin" && ouvroir add poemes/ --consent train
    """
    ctx.obj = studio_path(studio)


def main() -> None:
    cli(prog_name="ouvroir")


from . import audit, card, corpus, docs, generate, models, provenance, publish, web  # noqa: E402,F401  (registers the commands)
