"""Commands on the corpus: init, add, works, show, edit, consent, remove, check."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.markup import escape
from rich.table import Table

from ..workshop import AddOptions, FileOutcome, Studio
from . import cli

def _console(stderr: bool = False) -> Console:
    # Piped into a file or another program, tables are not cut at 80 columns.
    probe = Console(stderr=stderr)
    return Console(stderr=stderr, highlight=False, width=None if probe.is_terminal else 160)


out = _console()
err = _console(stderr=True)

CONSENT_RULE = """Consent rule: a work is trained on only if its latest consent event says
"train". A work added without --consent has consent "unknown" and is not
trainable. In a studio created with --owner NAME, works whose author is NAME
default to "train" (your own works); everything else needs an explicit
--consent train. A file that reserves its text-and-data-mining rights (TDMRep)
is stored as "no-train"; an explicit --consent train overrides it, and the
override is recorded."""


def open_studio(ctx: click.Context) -> Studio:
    return Studio.open(ctx.obj)


@cli.command()
@click.option("--owner", metavar="NAME", help="Your name as an author: your own works then default to consent 'train'.")
@click.pass_context
def init(ctx: click.Context, owner: str | None) -> None:
    """Create a studio: a folder with a SQLite store and the original files.

    Example:

        ouvroir --studio ~/atelier init --owner "Ada Martin"
    """
    studio = Studio.init(ctx.obj, owner=owner)
    out.print(f"Studio ready at [bold]{studio.root}[/bold]" + (f" (owner: {owner})" if owner else ""))
    if owner:
        out.print(f"Works whose author is {owner!r} will default to consent 'train'.")
    out.print("Next: ouvroir add FILES_OR_FOLDERS --consent train")


@cli.command(epilog=CONSENT_RULE)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--author", help="Author of every file added (overrides the files' own metadata).")
@click.option("--title", help="Title (for a single file).")
@click.option("--license", "license_", metavar="ID", help="SPDX id (CC-BY-4.0, CC0-1.0...), public-domain or all-rights-reserved.")
@click.option("--consent", type=click.Choice(["train", "no-train"]), help="Consent to training, recorded with the date.")
@click.option("--reason", help="Why this consent (kept in the history).")
@click.option("--source", metavar="URL", help="Where the works come from.")
@click.option("--author-from-dir", is_flag=True, help="Take each file's author from its parent folder's name.")
@click.option("--manifest", type=click.Path(path_type=Path, dir_okay=False), help="CSV with columns path,author,title,license,consent,source.")
@click.pass_context
def add(ctx, paths, author, title, license_, consent, reason, source, author_from_dir, manifest) -> None:
    """Add works from files and folders (recursively).

    Reads .txt and .md (UTF-8, UTF-16, latin-1, cp1252: detected), .docx, .odt,
    .epub, .pdf with a text layer, .html, .fountain screenplays and TEI XML.
    A file that cannot be read gets one line saying why; the others are added.
    The same text is never stored twice; near-duplicates are reported.

    Example:

        ouvroir add corpus/ --author-from-dir --license public-domain --consent train
    """
    if not paths and manifest is None:
        raise click.UsageError("give files or folders to add, or --manifest FILE.csv")
    studio = open_studio(ctx)
    options = AddOptions(author=author, title=title, license=license_, consent=consent, source=source,
                         reason=reason, author_from_dir=author_from_dir)  # fmt: skip
    show_bar = err.is_terminal
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True, disable=not show_bar) as progress:  # fmt: skip
        task = progress.add_task("Adding", total=None)

        def on_file(outcome: FileOutcome, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)
            _print_outcome(progress.console if show_bar else out, outcome)

        report = studio.add(paths, options, manifest=manifest, on_file=on_file)
    failed = report.count("failed")
    style = "red" if failed else "green"
    out.print(f"[{style}]{report.summary()}[/{style}]")
    not_trainable = [o.work for o in report.outcomes if o.status == "added" and o.work and not o.work.trainable]
    if not_trainable:
        out.print(f"{len(not_trainable)} of the added works are not trainable (consent is not 'train'); "
                  "see `ouvroir consent --help`.")  # fmt: skip
    if failed:
        sys.exit(1)


def _print_outcome(console: Console, outcome: FileOutcome) -> None:
    mark = {"added": "[green]✓[/green]", "duplicate": "[yellow]=[/yellow]", "failed": "[red]✗[/red]"}[outcome.status]
    console.print(f"{mark} {escape(str(outcome.path))}: {escape(outcome.message)}", soft_wrap=True)
    if outcome.work and outcome.status == "added":
        w = outcome.work
        console.print(escape(f"    author: {w.author or 'unknown'} · licence: {w.license} · consent: {w.consent}"), soft_wrap=True)
    for note in outcome.notes:
        console.print(escape(f"    · {note}"), soft_wrap=True)
    for near in outcome.near_duplicates:
        console.print(f"    [yellow]! {escape(near.describe())}[/yellow]", soft_wrap=True)


PAGE_SIZE = 50
RICH_ROWS = 200  # beyond this, a listing is printed without rich (see _plain_table)
WORK_COLUMNS = ("id", "author", "title", "format", "chars", "licence", "consent")
CONSENT_COLOURS = {"train": "green", "no-train": "red"}
UNLICENSED_MARK = "(!)"  # beside an unknown licence in `works`, and before the line that counts them


@cli.command()
@click.option("--author", help="Only this author's works.")
@click.option("--consent", type=click.Choice(["train", "no-train", "unknown"]), help="Only works with this consent.")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True, help="Which page of the list.")
@click.option("--per-page", type=click.IntRange(min=1), metavar="N",
              help=f"Works per page (default {PAGE_SIZE}; with --json, every work unless --page or --per-page).")
@click.option("--all", "show_all", is_flag=True, help="Every work, on one page.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per work).")
@click.pass_context
def works(ctx, author, consent, page, per_page, show_all, as_json) -> None:
    """List the works in the studio, a page at a time, and say how many are not trainable and why.

    Example:

        ouvroir works --author Verlaine --consent train --page 2
    """
    studio = open_studio(ctx)
    counts = studio.consent_counts(author=author, consent=consent)
    total = sum(counts.values())
    # A program reading --json expects the whole list unless it asks for a page.
    paged = not show_all and not (as_json and per_page is None and page == 1)
    size = per_page or PAGE_SIZE
    if paged and page > 1 and (page - 1) * size >= total:
        pages = max(1, -(-total // size))
        raise click.UsageError(f"page {page} is past the end: {total:,} works make {pages} page(s) of {size}")
    items = studio.works(author=author, consent=consent, limit=size if paged else None, offset=(page - 1) * size)
    if as_json:
        click.echo(studio.as_json(items))
        return
    if len(items) > RICH_ROWS:
        _plain_table(items)
    else:
        table = Table(show_edge=False, pad_edge=False)
        for column in WORK_COLUMNS:
            table.add_column(column, justify="right" if column == "chars" else "left", overflow="fold")
        for w in items:
            colour = CONSENT_COLOURS.get(w.consent, "yellow")
            table.add_row(w.id, escape(w.author or "—"), escape(w.title), w.format, _size(w), escape(_licence(w)),
                          f"[{colour}]{w.consent}[/{colour}]")  # fmt: skip
        out.print(table)
    if paged and len(items) < total:
        first = (page - 1) * size + 1
        line = f"showing {first:,}–{first + len(items) - 1:,} of {total:,}"
        if first + len(items) - 1 < total:
            line += f"; --page {page + 1} for more, --all for every work"
        out.print(line)
    out.print(_trainable_summary(counts))
    if unlicensed := studio.unlicensed_count(author=author, consent=consent):
        out.print(f"{UNLICENSED_MARK} {unlicensed:,} of these works have no known licence (unknown): "
                  "`ouvroir edit WORK --license ...` gives one; `ouvroir train --require-license` refuses them")  # fmt: skip


def _plain_table(items) -> None:
    """The same columns as rich's table, aligned by hand: rich measures every cell (about 0.5 ms a row,
    5 s for 10,000 works), this takes milliseconds. Long titles are not folded to the terminal's width."""
    rows = [(w.id, w.author or "—", w.title, w.format, _size(w), _licence(w), w.consent) for w in items]
    widths = [max(len(column), *(len(r[i]) for r in rows)) for i, column in enumerate(WORK_COLUMNS)]
    colour = out.is_terminal and not out.no_color

    def line(values, bar: str = " │ ") -> str:
        cells = [v.rjust(n) if i == 4 else v.ljust(n) for i, (v, n) in enumerate(zip(values, widths, strict=True))]
        if colour and values is not WORK_COLUMNS:
            cells[-1] = click.style(cells[-1], fg=CONSENT_COLOURS.get(values[-1], "yellow"))
        return bar.join(cells).rstrip()

    text = [line(WORK_COLUMNS, " ┃ "), "━╇━".join("━" * n for n in widths)] + [line(r) for r in rows]
    click.echo("\n".join(text))


def _size(work) -> str:
    """Characters for a text or a score; width × height in pixels for an image."""
    if work.medium == "image":
        return f"{work.metadata.get('width', '?')}×{work.metadata.get('height', '?')} px"
    return f"{work.chars:,}"


def _licence(work) -> str:
    """The licence, marked when it is unknown: a work an institution cannot publish a model of."""
    return f"{work.license} {UNLICENSED_MARK}" if work.license == "unknown" else work.license


def _trainable_summary(counts: dict[str, int]) -> str:
    total, unknown, refused = sum(counts.values()), counts["unknown"], counts["no-train"]
    text = f"{total:,} works, {counts['train']:,} trainable"
    reasons = []
    if unknown:
        reasons.append(f"{unknown:,} without consent (unknown: add it with `ouvroir consent WORK train --reason ...`)")
    if refused:
        reasons.append(f"{refused:,} with consent withdrawn or refused (no-train)")
    return text + (f"; not trainable: {'; '.join(reasons)}" if reasons else "")


@cli.command()
@click.argument("work")
@click.option("--chars", default=800, show_default=True, help="How much of the text to print.")
@click.pass_context
def show(ctx, work, chars) -> None:
    """Show one work: metadata, consent history, near-duplicates, and the start of its text.

    WORK is an id, a unique id prefix, or the exact title.

    Example:

        ouvroir show "Les fleurs du mal"
    """
    studio = open_studio(ctx)
    w = studio.work(work)
    rows = [("id", w.id), ("title", w.title), ("author", w.author or "unknown"), ("form", w.form),
            ("format", f"{w.format} ({w.original_name})"), ("encoding", w.encoding or "—"),
            ("size" if w.medium == "image" else "characters", _size(w)), ("licence", w.license), ("date", w.metadata.get("date") or "—"),
            ("source", w.source or "—"),
            ("consent", f"{w.consent} — {'trainable' if w.trainable else 'not trainable'}"), ("added", w.added_at),
            ("text sha256", w.text_sha256)]  # fmt: skip
    if w.medium == "image":  # what the file says of itself, and the hash its near duplicates are found by
        rows += [(key, w.metadata[key]) for key in ("original-size", "rights", "description", "phash") if w.metadata.get(key)]
    for key, value in rows:
        out.print(f"[bold]{key:>12}[/bold]  {escape(str(value))}", soft_wrap=True)
    for note in w.notes:
        out.print(escape(f"{'':>12}  · {note}"), soft_wrap=True)
    out.print("\n[bold]Consent history[/bold]")
    for event in studio.consent_history(w):
        line = f"  {event.at[:19].replace('T', ' ')}  {event.consent:<8}  {event.reason} ({event.origin})"
        out.print(escape(line), soft_wrap=True)
    edits = studio.edit_history(w)
    if edits:
        out.print("\n[bold]Metadata edits[/bold]")
        for edit in edits:
            out.print(escape(f"  {edit.at[:19].replace('T', ' ')}  {_changes(edit.changes)}"), soft_wrap=True)
    near = studio.near_duplicates(w)
    if near:
        out.print("\n[bold]Shared text[/bold]")
        for n in near:
            label = "repeated inside the work" if n["other_id"] == w.id else f"{n['other_id']} {n['title']!r}"
            out.print(escape(f"  {n['similarity']:.2f} {n['measure']}: {label}"), soft_wrap=True)
    if w.medium == "image":  # its normalized stream is a PNG, not text to print
        return
    out.print("\n[bold]Text[/bold]")
    text = studio.text(w)
    click.echo(text[:chars] + ("\n[…]" if len(text) > chars else ""))


def _changes(changes: dict) -> str:
    return "; ".join(f"{field}: {before!r} → {after!r}" for field, (before, after) in changes.items())


@cli.command()
@click.argument("work")
@click.option("--title", help="The work's title.")
@click.option("--author", help="The work's author ('' for unknown).")
@click.option("--license", "license_", metavar="ID", help="SPDX id (CC-BY-4.0, CC0-1.0...), public-domain or all-rights-reserved.")
@click.option("--date", metavar="DATE", help="When the work was written: 1857, 1857-04 or 1857-04-12 ('' to clear).")
@click.pass_context
def edit(ctx, work, title, author, license_, date) -> None:
    """Correct a work's title, author, licence or date.

    WORK is an id, a unique id prefix, or the exact title. The correction
    is recorded with its date (`ouvroir show WORK` lists them). The text,
    its hash and its consent never change, so no model is marked
    withdrawn; the datasheet of a model keeps the metadata it was trained
    with, and a model trained afterwards gets the corrected one.

    Example:

        ouvroir edit "Madame bovary 1857" --title "Madame Bovary" --author "Gustave Flaubert" --date 1857
    """
    if all(v is None for v in (title, author, license_, date)):
        raise click.UsageError("give what to correct: --title, --author, --license or --date")
    studio = open_studio(ctx)
    before = studio.edit_history(work)
    w = studio.edit(work, title=title, author=author, license=license_, date=date)
    after = studio.edit_history(w)
    if len(after) == len(before):
        out.print(escape(f"{w.id} {w.title!r}: nothing to change (the values given are the current ones)."))
        return
    out.print(escape(f"{w.id}: {_changes(after[-1].changes)} (recorded at {after[-1].at[:19].replace('T', ' ')})"),
              soft_wrap=True)


@cli.command(epilog=CONSENT_RULE)
@click.argument("works", nargs=-1, required=True)
@click.argument("consent", type=click.Choice(["train", "no-train"]))
@click.option("--reason", required=True, help="Why (kept in the history with the date).")
@click.option("--yes", is_flag=True, help="Confirm without asking when several works include refusals to reverse.")
@click.pass_context
def consent(ctx, works, consent, reason, yes) -> None:
    """Record a consent decision for one or more works (the history is never rewritten).

    Giving "train" to several works at once when some of them refused
    (latest consent "no-train") names those works and asks again; --yes
    confirms without asking. Without a terminal and without --yes, nothing
    is changed.

    Example:

        ouvroir consent 8c3b7228 "Les Complaintes" train --reason "public domain, agreed by the library"
    """
    studio = open_studio(ctx)
    refusing = studio.refusals_reversed(works, consent)
    if refusing:
        err.print(f"[yellow]{len(refusing)} of these {len(set(works))} works refused training "
                  "(latest consent no-train); 'train' would reverse:[/yellow]")  # fmt: skip
        for w in refusing:
            since = (w.consent_at or "")[:10]
            err.print(escape(f"  {w.id} {w.title!r} by {w.author or 'unknown'} — no-train since {since}: "
                             f"{w.consent_reason}"), soft_wrap=True)  # fmt: skip
        if not yes:
            if not _interactive():
                raise click.ClickException(
                    f"not reversing {len(refusing)} refusal(s) without confirmation: nothing changed. "
                    "Run again with --yes to confirm, or leave these works out")  # fmt: skip
            click.confirm(f"Reverse these {len(refusing)} refusal(s)?", abort=True, err=True)
    events = studio.set_consent(works, consent, reason, reverse_refusals=[w.id for w in refusing])
    for event in events:
        out.print(f"{event.work_id}: consent {event.consent} recorded at {event.at[:19].replace('T', ' ')}")


def _interactive() -> bool:
    """Whether a person can answer a question (a script or a pipe cannot: it must say --yes)."""
    return sys.stdin.isatty()


@cli.command()
@click.argument("work")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def remove(ctx, work, yes) -> None:
    """Remove a work from the studio (its files go unless something else still uses them).

    Example:

        ouvroir remove 8c3b7228 --yes
    """
    studio = open_studio(ctx)
    w = studio.work(work)
    if not yes and sys.stdin.isatty():
        click.confirm(f"Remove {w.id} {w.title!r} by {w.author or 'unknown'}?", abort=True)
    studio.remove(w.id)
    out.print(f"Removed {w.id} {w.title!r}.")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--repair", is_flag=True,
              help="Remove the leftovers of interrupted commands (only them; never a work, sample, model or report "
                   "something references). Run it while no other ouvroir command works on the studio.")
@click.pass_context
def check(ctx, as_json, repair) -> None:
    """Verify the studio: the database, every stored file against its hash or signature, and leftovers.

    Works' files, samples and their signed provenance, models' weights, snapshots and their token
    files, audit reports and documents; leftovers are what a killed command leaves behind
    (temporary files, unfinished indexes, samples with no record).

    Example:

        ouvroir check --repair
    """
    studio = open_studio(ctx)
    report = studio.check(repair=repair)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        if not report.ok:
            sys.exit(1)
        return
    for problem in report.problems:
        err.print(f"[red]✗[/red] {escape(problem)}", soft_wrap=True)
    removed = set(report.removed)
    for left in report.leftovers:
        if left.path not in removed:
            err.print(f"[yellow]leftover[/yellow] {escape(left.path)}: {escape(left.what)}", soft_wrap=True)
    for path in report.removed:
        out.print(f"Removed {escape(path)}", soft_wrap=True)
    for kept in report.kept:
        err.print(f"Kept {escape(kept)}", soft_wrap=True)
    if report.ok:
        out.print(f"[green]Studio OK[/green]: {report.works} works, {report.files} files verified.")
        return
    remaining = len(report.leftovers) - len(removed)
    if report.problems:
        err.print(f"[red]{len(report.problems)} problem(s) found.[/red]")
    if remaining:
        hint = " (`ouvroir check --repair` removes them)" if not repair else ""
        err.print(f"[yellow]{remaining} leftover(s) of interrupted commands{hint}.[/yellow]")
    sys.exit(1)
