"""The card command: a model card and a corpus datasheet, in Markdown and JSON, next to the model."""

from __future__ import annotations

import json

import click
from rich.markup import escape

from . import cli
from .corpus import open_studio, out


@cli.command()
@click.argument("model", required=False)
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True, help="Language of the prose.")
@click.option("--json", "as_json", is_flag=True, help="Print the card's JSON instead of where the files are.")
@click.pass_context
def card(ctx, model, lang, as_json) -> None:
    """Write a model card and a corpus datasheet for MODEL (default: the latest).

    The card says in plain words what the model is, what it was trained on and
    with whose consent, how good it is (bits per byte), what its latest audit
    found, what it is meant for and its limits. The datasheet lists every work
    it learned from: author, license, date of consent, characters. Every figure
    is read from the studio; a work that never had consent is never named.

    Writes models/<id>/card.<lang>.md, card.json, datasheet.<lang>.md and
    datasheet.json. Run it again after an audit or a withdrawal: the card
    follows the studio.

    Example:

        ouvroir card --lang en
    """
    studio = open_studio(ctx)
    files = studio.models.write_card(model, lang)
    data = json.loads(files.card_json.read_text("utf-8"))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    out.print(f"Model card: {escape(str(files.card_md))}", soft_wrap=True)
    out.print(f"Corpus datasheet: {escape(str(files.datasheet_md))}", soft_wrap=True)
    out.print(f"[dim]JSON: {escape(str(files.card_json))}, {escape(str(files.datasheet_json))}[/dim]", soft_wrap=True)
    withdrawn = data["consent"]["withdrawn"]
    if withdrawn:
        out.print(f"[yellow]Consent withdrawn for {len(withdrawn)} work(s) since training:[/yellow] the card says so; "
                  f"`ouvroir retrain {data['model']['id']}` trains a model without them.", soft_wrap=True)  # fmt: skip
    if data["audit"] is None:
        out.print(f"No audit yet: `ouvroir audit {data['model']['id']}` measures what it copies; "
                  "run `ouvroir card` again after it.", soft_wrap=True)  # fmt: skip
