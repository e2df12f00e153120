"""Commands on models: train, models (and generate, export)."""

from __future__ import annotations

import json

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from ..store import models as model_store
from . import cli
from .corpus import err, open_studio, out


@cli.command()
@click.option("--size", type=click.Choice(["tiny", "small", "base"]), help="Model size (default: chosen from the corpus size and the time budget).")
@click.option("--minutes", type=float, help="Training time budget (default 5; evaluation time not counted).")
@click.option("--steps", type=int, help="Step budget instead of (or as well as) minutes.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same machine: same model).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--resume", metavar="MODEL", help="Continue an interrupted training run of MODEL.")
@click.pass_context
def train(ctx, size, minutes, steps, seed, device, resume) -> None:
    """Train a model on the works whose latest consent is 'train'.

    Takes a snapshot of the consenting works (whole works held out for
    validation), trains a byte-level BPE tokenizer on it, then a small GPT
    within the budget. Validation loss is in bits per byte; the best
    checkpoint is kept and training stops early when validation keeps getting
    worse (on a small corpus, overfitting is memorization). Checkpoints are
    written atomically: an interrupted run resumes with --resume.

    Example:

        ouvroir train --minutes 3
    """
    from .. import runs  # torch loads only for the commands that need it: `ouvroir --help` stays instant

    studio = open_studio(ctx)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"),
        console=err, transient=False, disable=not err.is_terminal,
    ) as progress:  # fmt: skip
        task = progress.add_task("training", total=1.0, status="")
        last_printed = [0.0]

        def on_stage(message: str) -> None:
            (progress.console if err.is_terminal else err).print(escape(message), soft_wrap=True)

        def on_progress(p) -> None:
            done = p.elapsed_s / max(p.elapsed_s + p.seconds_left, 1e-9)
            val = f"val {p.best_val_bpb:.3f} bits/byte" if p.best_val_bpb is not None else "val —"
            status = (f"step {p.step:,} · loss {p.train_loss:.3f} · {val} · {p.tokens_per_s:,.0f} tok/s · "
                      f"{p.seconds_left:,.0f} s left")  # fmt: skip
            progress.update(task, completed=done, status=status)
            if not err.is_terminal and (p.event != "log" or p.elapsed_s - last_printed[0] >= 30):
                last_printed[0] = p.elapsed_s
                err.print(status, soft_wrap=True)

        record = runs.train_model(studio, size=size, minutes=minutes, steps=steps, seed=seed, device=device,
                                  resume=resume, on_progress=on_progress, on_stage=on_stage)  # fmt: skip
    out.print(f"[green]Model {record.id} ready[/green]: {record.parameters:,} parameters, validation "
              f"{record.val_bpb:.3f} bits per byte after {record.steps:,} steps ({record.train_seconds:.0f} s of training).")  # fmt: skip
    out.print(f"Files in {runs.model_dir(studio, record.id)}; generate with: ouvroir generate {record.id}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models(ctx, as_json) -> None:
    """List the studio's models: snapshot, size, parameters, validation bits per byte, training time.

    Example:

        ouvroir models
    """
    studio = open_studio(ctx)
    items = model_store.list_models(studio.conn)
    if as_json:
        click.echo(json.dumps([m.as_dict() for m in items], indent=2))
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("id", "status", "snapshot", "works", "size", "parameters", "val bits/byte", "steps", "training", "created"):
        table.add_column(column)
    for m in items:
        works = studio.conn.execute("SELECT count(*) FROM snapshot_works WHERE snapshot_id = ?", (m.snapshot_id,)).fetchone()[0]
        table.add_row(m.id, m.status, m.snapshot_id, str(works), m.size, f"{m.parameters:,}" if m.parameters else "—",
                      f"{m.val_bpb:.3f}" if m.val_bpb else "—", f"{m.steps:,}" if m.steps else "—",
                      f"{m.train_seconds:.0f} s" if m.train_seconds else "—", m.created_at[:16].replace("T", " "))  # fmt: skip
    out.print(table)
    if not items:
        out.print("No model yet: `ouvroir train --minutes 3` trains one on the consenting works.")
