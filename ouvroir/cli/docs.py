"""Commands on co-written documents (written in the web studio's "Write" page): list, export."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from . import cli
from .corpus import open_studio, out

SHARES_NOTE = """Shares are of all characters, spaces and line breaks included: "written" by
you, "generated" by a model and kept as it came, "edited" when you changed a
suggestion (every character of it then counts as edited, yours and the model's)."""


@cli.group()
def docs() -> None:
    """Documents co-written with a model, each with the authorship of every character.

    Example:

        ouvroir docs list
    """


@docs.command("list", epilog=SHARES_NOTE)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (id, title, version, summary per document).")
@click.pass_context
def docs_list(ctx, as_json) -> None:
    """List the documents: id, title, characters, and the shares written, generated and edited.

    Example:

        ouvroir docs list
    """
    items = open_studio(ctx).documents.all()
    if as_json:
        rows = [{"id": d.id, "title": d.title, "lang": d.lang, "version": d.version, "updated_at": d.updated_at,
                 "summary": d.summary} for d in items]  # fmt: skip
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not items:
        out.print("No document yet: write one in the web studio's Write page.")
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("id", "title", "chars", "written", "generated", "edited", "changed"):
        table.add_column(column, justify="left" if column in ("id", "title", "changed") else "right", overflow="fold")
    for d in items:
        shares = d.summary["shares"]
        table.add_row(d.id, escape(d.title), f"{d.summary['chars']:,}",
                      *(f"{shares[c] * 100:.0f}%" for c in ("written", "generated", "edited")),
                      d.updated_at[:16].replace("T", " "))  # fmt: skip
    out.print(table)


@docs.command("export", epilog=SHARES_NOTE)
@click.argument("doc")
@click.option("--format", "fmt", type=click.Choice(["txt", "md", "html"]), default="txt", show_default=True,
              help="txt: the text alone; md: the text and an authorship appendix; html: a page with the "
                   "generated passages highlighted.")  # fmt: skip
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder to write into (created if needed).")  # fmt: skip
@click.option("--lang", type=click.Choice(["fr", "en"]), help="Language of the appendix (default: the document's).")
@click.pass_context
def docs_export(ctx, doc, fmt, out_dir, lang) -> None:
    """Export a document with its signed provenance (<file>.provenance.json beside it).

    DOC is an id, a unique id prefix, or the exact title. The manifest holds the
    authorship ledger (who wrote each span, from which model and sample) and the
    AI label; `ouvroir verify FILE` checks both.

    Example:

        ouvroir docs export d1a2b3c4d5 --format html --out exports/ --lang en
    """
    studio = open_studio(ctx)
    path = studio.documents.export(doc, fmt, out_dir, lang)
    out.print(f"Wrote [bold]{escape(str(path))}[/bold] and its provenance {escape(studio.documents.sidecar(path).name)}",
              soft_wrap=True)  # fmt: skip
