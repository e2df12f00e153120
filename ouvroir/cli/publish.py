"""``ouvroir publish``: documents and samples (text and music) as HTML, EPUB and PDF, each signed, each with a provenance QR code."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from . import cli
from .corpus import open_studio, out


@cli.command()
@click.argument("items", nargs=-1, required=True)
@click.option("--formats", default="html,epub,pdf", show_default=True, metavar="LIST",
              help="Comma-separated: html, epub, pdf, audio (the text read aloud, a WAV; needs espeak-ng; "
                   "a music sample's own sound).")  # fmt: skip
@click.option("--out", "out_dir", default="published", show_default=True, type=click.Path(path_type=Path),
              help="The folder to write (refused if it exists, unless --force).")  # fmt: skip
@click.option("--title", help="The title printed (one item only; default: the document's title).")
@click.option("--lang", type=click.Choice(["fr", "en"]), help="Language of the colophon and typography "
              "(default: the document's; fr for a sample).")  # fmt: skip
@click.option("--tdm-reservation/--no-tdm-reservation", default=True, show_default=True,
              help="Reserve text and data mining rights (W3C TDMRep) in the EPUB, the page and the PDF's metadata.")
@click.option("--url", metavar="BASE", help="Where the items will be online: BASE/<name> goes in each QR code.")
@click.option("--site", "site_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Write a static gallery instead: an index, a page per item with its formats, QR code and "
                   "provenance, readable offline (refused if DIR exists, unless --force).")  # fmt: skip
@click.option("--voice-command", envvar="OUVROIR_VOICE_COMMAND", metavar="CMD",
              help="Another local voice engine for audio: a command line reading the text on stdin, where {lang} "
                   "becomes fr or en and {out} the WAV to write (default: espeak-ng -v {lang} -w {out}; also "
                   "OUVROIR_VOICE_COMMAND).")  # fmt: skip
@click.option("--force", is_flag=True, help="Replace the --out (or --site) folder if it exists (once the new one is "
              "complete).")  # fmt: skip
@click.option("--allow-withdrawn", is_flag=True, help="Publish even though a model behind an item was trained on works "
              "whose consent is withdrawn (each file's provenance then lists them).")  # fmt: skip
@click.pass_context
def publish(ctx, items, formats, out_dir, title, lang, tdm_reservation, url, site_dir, voice_command, force,
            allow_withdrawn) -> None:  # fmt: skip
    """Publish documents, samples and your own works as a web page, an ebook, a PDF, audio.

    ITEM is a document (id, id prefix or title: `ouvroir docs list`) or a
    sample id. A music sample is published with its engraved score (in the
    page, the EPUB and the PDF), its sound in the page, and its own WAV as
    audio; the events it is engraved from are what its QR code signs. An
    image sample shows its picture (no audio: a line says so). A work (id,
    id prefix or title: `ouvroir works`) is published only when its author
    is the studio's owner (`ouvroir init --owner NAME`), with its rights
    record in every file's provenance. Every file gets its signed sidecar (FILE.provenance.json), so
    `ouvroir verify` checks it; every format carries the co-creation ledger as
    a colophon and a QR code that `ouvroir verify --qr FILE --key studio.pub`
    checks offline. The EPUB reserves text and data mining rights (TDMRep)
    unless --no-tdm-reservation. Nothing is left half-written: the folder
    appears complete, or not at all.

    audio reads the text aloud in its language (fr or en) with espeak-ng
    (apt install espeak-ng) into a WAV that carries a C2PA manifest inside, so
    it verifies even without its sidecar. Without the engine, the other
    formats are made and a warning names the package.

    With --site DIR, the same files go into DIR/files and DIR gets a small
    gallery around them: index.html, one page per item with its formats, its
    QR code and its provenance, under a strict Content-Security-Policy (no
    script, no request out): open DIR/index.html, or copy DIR to any server.

    Example:

        ouvroir publish "Le port, la nuit" --formats html,epub,pdf --out publie

        ouvroir publish --site galerie "Le port, la nuit" g0001

        ouvroir publish g0001 --formats audio --voice-command "espeak-ng -v {lang}+f3 -s 150 -w {out}"
    """
    studio = open_studio(ctx)
    if site_dir is not None:
        if title is not None:
            raise click.UsageError("--title is for one item's files; a --site takes each item's own title")
        made = studio.publish_site(list(items), formats, site_dir, lang=lang, tdm_reservation=tdm_reservation,
                                   url=url, force=force, voice_command=voice_command,
                                   allow_withdrawn=allow_withdrawn)  # fmt: skip
        _warn(made.warnings)
        out.print(f"[green]Gallery of {len(made.entries)} item(s)[/green] in {escape(str(made.folder))}: "
                  f"open {escape(str(made.folder / 'index.html'))}")  # fmt: skip
        out.print(f"Check its files with: ouvroir verify {escape(str(made.folder / 'files'))}")
        return
    published = studio.publish(list(items), formats, out_dir, title=title, lang=lang, tdm_reservation=tdm_reservation,
                               url=url, force=force, voice_command=voice_command,
                               allow_withdrawn=allow_withdrawn)  # fmt: skip
    _warn(published.warnings)
    out.print(f"[green]Published {len(published.files)} file(s)[/green] in {escape(str(published.folder))}, "
              "each with its signed sidecar:")  # fmt: skip
    for path in published.files:
        out.print(f"  {escape(path.name)}", soft_wrap=True)
    out.print(f"Check them with: ouvroir verify {escape(str(published.folder))}")


def _warn(warnings: list[str]) -> None:
    for line in warnings:
        out.print(f"[yellow]Warning:[/yellow] {escape(line)}", soft_wrap=True)
