"""Commands on models: train, models (and generate, export)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from . import cli
from .corpus import err, open_studio, out


@cli.command()
@click.option("--size", type=click.Choice(["tiny", "small", "base"]), help="Model size (default: chosen from the corpus size and the time budget).")
@click.option("--minutes", type=float, help="Time budget for the whole run, from the snapshot to the saved model (default 5).")
@click.option("--steps", type=int, help="Step budget instead of (or as well as) minutes.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same machine: same model).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--resume", metavar="MODEL", help="Continue MODEL's run with its stored size, configuration and seed; "
              "with --steps N (or --minutes M), a finished MODEL trains on to N steps (M minutes) in total.")
@click.option("--medium", type=click.Choice(["text", "music", "image"]), help="What to train on when the studio holds several (default: text if any, else music, else images).")
@click.option("--resolution", type=click.Choice(["16", "32", "64"]), help="Images: the side in pixels the model trains and generates at (default 32).")
@click.option("--name", help="A name for the new model, usable wherever a model id is (`ouvroir rename` changes it).")
@click.option("--require-license", is_flag=True, help="Refuse to train when a work to train on has no known licence.")
@click.option("--from", "source", metavar="PATH|MODEL", help="Fine-tune the pre-trained model in this folder (transformers "
              "format), or continue one of the studio's models (its id or name), instead of training from scratch; "
              "nothing is downloaded.")
@click.option("--lora", type=int, metavar="RANK", help="With --from: LoRA adapters of this rank (the default, rank 8).")
@click.option("--full", is_flag=True, help="With --from: fine-tune every weight instead of LoRA adapters.")
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), default="auto", show_default=True,
              help="bf16: matrix products in bfloat16 (weights and optimizer stay fp32); auto: the faster of the two at "
              "the planned size, as measured on this machine (bf16 only where the CPU has AMX or AVX-512-bf16, or on a GPU).")
@click.option("--reprobe", is_flag=True, help="Measure this machine's training speed again before planning "
              "(the figures are kept per machine and torch version in ~/.cache/ouvroir).")
@click.pass_context
def train(ctx, size, minutes, steps, seed, device, resume, medium, resolution, name, require_license, source, lora, full,
          precision, reprobe) -> None:  # fmt: skip
    """Train a model on the works whose latest consent is 'train'.

    Takes a snapshot of the consenting works (whole works held out for
    validation), trains a byte-level BPE tokenizer on it, then a small GPT
    within the budget. Validation loss is in bits per byte; the best
    checkpoint is kept and training stops early when validation keeps getting
    worse (on a small corpus, overfitting is memorization). Checkpoints are
    written atomically: an interrupted run (a fine-tune too, on the very base
    it started from) resumes with --resume, exactly where it stopped. A run is
    never resumed on works whose consent was withdrawn since: `ouvroir retrain
    MODEL` trains it again without them.

    Example:

        ouvroir train --minutes 3 --name "poems, first try"
        ouvroir train --resume m1a2b3c4d5 --steps 2000
        ouvroir train --from models/Qwen3-0.6B --lora 8 --minutes 10
        ouvroir train --from m1a2b3c4d5 --lora 8 --minutes 5
        ouvroir train --minutes 10 --precision bf16 --reprobe

    Images (--medium image) train a small diffusion transformer by rectified
    flow at --resolution pixels; its validation figure is the flow's mean
    squared error on the held-out images:

        ouvroir train --medium image --resolution 16 --minutes 10
    """
    started = time.perf_counter()
    if (source or lora is not None or full) and (precision != "auto" or reprobe):
        raise click.UsageError("--precision and --reprobe are for training from scratch (a fine-tune keeps its base's "
                               "precision)")  # fmt: skip
    if source or lora is not None or full:
        return _finetune(ctx, source, lora, full, minutes, steps, seed, device, resume, size, name, require_license)
    studio = open_studio(ctx)
    record = _with_progress(lambda on_progress, on_stage: studio.models.train(
        size=size, minutes=minutes, steps=steps, seed=seed, device=device, resume=resume,
        on_progress=on_progress, on_stage=on_stage, medium=medium, name=name,
        require_license=require_license, precision=precision, reprobe=reprobe,
        **({"resolution": int(resolution)} if resolution else {})))  # fmt: skip
    if "bpb" in record.config:  # a resumed fine-tune
        _report_base(record)
    _report_trained(studio, record, time.perf_counter() - started)


def _finetune(ctx, source, lora, full, minutes, steps, seed, device, resume, size, name, require_license=False) -> None:
    """``train --from PATH``: fine-tune a pre-trained model on the consenting works (LoRA, or --full)."""
    if not source:
        raise click.UsageError("--lora and --full fine-tune a pre-trained model: give its folder with --from PATH")
    if resume or size or (lora is not None and full):
        raise click.UsageError("--resume MODEL continues a fine-tune with its stored base and method: leave out --from, "
                               "--lora and --full" if resume else
                               "--size is for training from scratch" if size else "choose --lora RANK or --full")  # fmt: skip
    studio = open_studio(ctx)
    record = _with_progress(lambda on_progress, on_stage: studio.models.finetune(
        source, method="full" if full else "lora", rank=lora, minutes=minutes, steps=steps, seed=seed, device=device,
        name=name, on_progress=on_progress, on_stage=on_stage, require_license=require_license))  # fmt: skip
    _report_base(record)
    _report_trained(studio, record)


def _report_base(record) -> None:
    bpb = record.config["bpb"]
    out.print(f"Base {escape(record.config['base']['folder'])}: {bpb['zero_shot']:.3f} bits per byte on the held-out works "
              f"before fine-tuning, {bpb['fine_tuned']:.3f} after.")  # fmt: skip


@cli.command()
@click.argument("model")
@click.argument("name")
@click.pass_context
def rename(ctx, model, name) -> None:
    """Name MODEL (an id, an id prefix or its current name); the name then works wherever an id does.

    Names are unique in the studio; the model's id never changes.

    Example:

        ouvroir rename m1a2b3c4d5 "poems, evening"
    """
    record = open_studio(ctx).models.rename(model, name)
    out.print(f"Model {record.id} is now named {escape(repr(record.name))}.")


def _with_progress(run):
    """Run ``run(on_progress, on_stage)`` under a progress bar (plain lines when not a terminal)."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"),
        console=err, transient=False, disable=not err.is_terminal,
    ) as progress:  # fmt: skip
        task = progress.add_task("training", total=1.0, status="")
        last_printed = [0.0]
        last_speed = [0.0]  # evaluation events carry no speed: show the last measured one

        def on_stage(message: str) -> None:
            (progress.console if err.is_terminal else err).print(escape(message), soft_wrap=True)

        def on_progress(p) -> None:
            done = p.elapsed_s / max(p.elapsed_s + p.seconds_left, 1e-9)
            if hasattr(p, "images_per_s"):  # an image model: the flow's squared error, images per second
                last_speed[0] = p.images_per_s or last_speed[0]
                val = f"val {p.best_val_loss:.4f}" if p.best_val_loss is not None else "val —"
                status = (f"step {p.step:,} · train {p.train_loss:.4f} · {val} (squared error) · "
                          f"{last_speed[0]:,.0f} images/s · {p.seconds_left:,.0f} s left")  # fmt: skip
                progress.update(task, completed=done, status=status)
                if not err.is_terminal and (p.event != "log" or p.elapsed_s - last_printed[0] >= 30):
                    last_printed[0] = p.elapsed_s
                    err.print(status, soft_wrap=True)
                return
            last_speed[0] = p.tokens_per_s or last_speed[0]
            val = f"val {p.best_val_bpb:.3f}" if p.best_val_bpb is not None else "val —"
            # the train loss in the validation's unit, so the two compare (nats per token only when bytes are unknown)
            bpb = getattr(p, "train_bpb", None)
            train = f"train {bpb:.3f} ·" if bpb is not None else f"train {p.train_loss:.3f} nats/token ·"
            status = (f"step {p.step:,} · {train} {val} bits/byte · {last_speed[0]:,.0f} tok/s · "
                      f"{p.seconds_left:,.0f} s left")  # fmt: skip
            progress.update(task, completed=done, status=status)
            if not err.is_terminal and (p.event != "log" or p.elapsed_s - last_printed[0] >= 30):
                last_printed[0] = p.elapsed_s
                err.print(status, soft_wrap=True)

        return run(on_progress, on_stage)


def _report_trained(studio, record, run_s: float | None = None) -> None:
    named = f" ({escape(record.name)})" if record.name else ""
    whole = f", {run_s:.0f} s in all" if run_s is not None else ""
    if record.config.get("medium") == "image":
        fit = record.config.get("fit", {})
        out.print(f"[green]Image model {record.id}{named} ready[/green]: {record.parameters:,} parameters, "
                  f"{record.config['resolution']} px, validation squared error {fit.get('val_loss', float('nan')):.4f} "
                  f"after {record.steps:,} steps ({record.train_seconds:.0f} s of training{whole}).")  # fmt: skip
        out.print(f"Files in {studio.layout.model(record.id)}; generate with: ouvroir generate {record.id} -n 16")
        return
    out.print(f"[green]Model {record.id}{named} ready[/green]: {record.parameters:,} parameters, validation "
              f"{record.val_bpb:.3f} bits per byte after {record.steps:,} steps ({record.train_seconds:.0f} s of training{whole}).")  # fmt: skip
    out.print(f"Files in {studio.layout.model(record.id)}; generate with: ouvroir generate {record.id}")


@cli.command()
@click.argument("model")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.pass_context
def retrain(ctx, model, device) -> None:
    """Train MODEL's configuration again on a fresh snapshot: works whose consent was withdrawn are left out.

    Same size, budget and seed as MODEL; the new snapshot holds exactly the works
    whose latest consent is 'train' now. The new model records which model it
    replaces. MODEL itself is kept (it stays marked as trained on withdrawn works).

    Example:

        ouvroir retrain m1a2b3c4d5
    """
    studio = open_studio(ctx)
    record = _with_progress(lambda on_progress, on_stage: studio.models.retrain(
        model, device=device, on_progress=on_progress, on_stage=on_stage))  # fmt: skip
    _report_trained(studio, record)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models(ctx, as_json) -> None:
    """List the studio's models: name, medium, the works each was validated on, bits per byte, size, time.

    Bits per byte compare between models only on the same validation works.
    Below the table, each ready model's controls (the values `generate --as`,
    --form, --key, --meter and --voices take) and whether it fills in a
    middle (the share of its training windows in prefix-suffix-middle form).

    Example:

        ouvroir models
    """
    studio = open_studio(ctx)
    items = studio.models.all()
    if as_json:
        click.echo(json.dumps([m.as_dict() | {"medium": studio.models.medium(m),
                                              "validation_works": studio.models.validation_works(m),
                                              "withdrawn": [vars(w) for w in studio.models.withdrawals(m)],
                                              "controls": studio.models.controls(m),
                                              "infill": _infill(studio, m)}
                               for m in items], indent=2, ensure_ascii=False))  # fmt: skip
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("id", "name", "medium", "status", "validated on", "held-out score", "works", "size", "parameters",
                   "steps", "training", "created", "consent"):  # fmt: skip
        table.add_column(column)
    marked = []
    for m in items:
        works = studio.models.work_count(m)
        withdrawn = studio.models.withdrawals(m)
        if withdrawn:
            marked.append((m, withdrawn))
        table.add_row(m.id, escape(m.name or "—"), studio.models.medium(m) or "—", m.status,
                      escape(_validated_on(studio.models.validation_works(m))),
                      _held_out_score(m), str(works), m.size,
                      f"{m.parameters:,}" if m.parameters else "—", f"{m.steps:,}" if m.steps else "—",
                      f"{m.train_seconds:.0f} s" if m.train_seconds else "—", m.created_at[:16].replace("T", " "),
                      f"[red]WITHDRAWN ({len(withdrawn)})[/red]" if withdrawn else "ok")  # fmt: skip
    out.print(table)
    for m in items:  # a fine-tune: where it started from, and what fine-tuning changed on the same held-out works
        if "base" in m.config and m.config.get("bpb"):
            how = f"LoRA rank {m.config['rank']}" if m.config.get("method") == "lora" else "every weight"
            out.print(f"{m.id} is fine-tuned from base {escape(m.config['base']['folder'])} ({how}): "
                      f"{m.config['bpb']['zero_shot']:.3f} → {m.config['bpb']['fine_tuned']:.3f} bits per byte on its "
                      "held-out works (zero-shot → fine-tuned).", soft_wrap=True)  # fmt: skip
    for m in items:
        if m.status == "ready":
            out.print(_steering_line(studio, m), soft_wrap=True)
    for m, withdrawn in marked:
        names = ", ".join(f"{escape(w.title)} ({w.consent})" for w in withdrawn)
        out.print(f"[red]{m.id}[/red] was trained on works whose consent is withdrawn: {names}. "
                  f"`ouvroir retrain {m.id}` trains it again without them.", soft_wrap=True)  # fmt: skip
    if items:
        out.print("Bits per byte compare between models only on the same validation works.")
    else:
        out.print("No model yet: `ouvroir train --minutes 3` trains one on the consenting works.")


CONTROL_OPTIONS = {"author": "--as", "form": "--form", "key": "--key", "meter": "--meter", "voices": "--voices"}


def _infill(studio, m) -> dict:
    """Whether ``m`` fills in a middle, and the share of its training windows in prefix-suffix-middle form."""
    able = studio.models.can_infill(m)
    return {"available": able, "fim_rate": m.config.get("train", {}).get("fim_rate") if able else None}


def _steering_line(studio, m) -> str:
    """'m1: controls --as Ada, Zoé · --form poem; infilling (50% of windows)', or why it has none."""
    controls = studio.models.controls(m)
    known = " · ".join(f"{CONTROL_OPTIONS.get(name, name)} {', '.join(values)}" for name, values in controls.items())
    infill = _infill(studio, m)
    if not controls and not infill["available"]:
        why = ("fine-tuned from a pre-trained base, whose tokenizer has none of their tokens" if "base" in m.config
               else f"trained before them; `ouvroir retrain {m.id}` trains one that knows them")  # fmt: skip
        return f"{m.id}: no controls, no infilling ({why})."
    fills = (f"infilling: yes ({infill['fim_rate']:.0%} of training windows in prefix-suffix-middle form; "
             "generate --before/--after)" if infill["available"] else "infilling: no")  # fmt: skip
    return f"{m.id}: controls {escape(known) if known else 'none'}; {fills}."


def _held_out_score(m) -> str:
    """Bits per byte for a text or music model; an image model's flow loss on its held-out images (no bytes to count)."""
    if m.val_bpb:
        return f"{m.val_bpb:.3f} bits/byte"
    loss = (m.config.get("fit") or {}).get("val_loss") if m.config.get("medium") == "image" else None
    return f"{loss:.3f} flow loss" if loss is not None else "—"


def _validated_on(titles: list[str]) -> str:
    """'2 works held out: Hamlet, Macbeth', or the count alone when the titles would not fit a column."""
    named = ", ".join(titles)
    held = f"{len(titles)} work{'s' if len(titles) != 1 else ''} held out"
    return f"{held}: {named}" if titles and len(titles) <= 3 and len(named) <= 60 else held


@cli.command()
@click.argument("model")
@click.option("--format", "fmt", type=click.Choice(["hf", "peft", "gguf"]), default="hf", show_default=True,
              help="hf: a transformers folder (a fine-tune's LoRA merged into its base); peft: a LoRA fine-tune's "
                   "adapter alone; gguf: one .gguf file for llama.cpp, Ollama, LM Studio (Llama and Qwen3 models).")
@click.option("--dtype", type=click.Choice(["f16", "f32"]), default=None,
              help="GGUF only: the weights' precision, f16 (half the size; the default) or f32 (the studio's own).")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--allow-withdrawn", is_flag=True,
              help="Export even though the model was trained on works whose consent is withdrawn (the signed manifest names them).")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="en", show_default=True,
              help="Language of the model card (README.md) and datasheet written into the folder.")
@click.pass_context
def export(ctx, model, fmt, dtype, out_dir, allow_withdrawn, lang) -> None:
    """Export a model to a folder that other tools load (Hugging Face transformers, peft, or llama.cpp).

    transformers' AutoModelForCausalLM.from_pretrained(DIR) and
    AutoTokenizer.from_pretrained(DIR) load the folder offline, and greedy
    continuations equal ouvroir's: your model is never locked in. A model
    fine-tuned with LoRA is merged into its base (--format hf), or exported
    as the adapter alone (--format peft: peft's PeftModel.from_pretrained
    loads it on the same base, named in adapter_config.json and, with its
    hashes, in base_model.json). --format gguf writes one MODEL_ID.gguf
    file (a fine-tune merged first) that llama.cpp, Ollama and LM Studio
    run, and a Modelfile for `ollama create NAME -f DIR/Modelfile`; it
    covers Llama and Qwen3 models whose layers llama.cpp computes as they
    were trained (SiLU), and says why in one line when not. The folder is
    ready to publish: the model card is its README.md (with the front
    matter the Hugging Face hub reads), beside datasheet.md, all signed
    in provenance.json. A model trained on works whose consent was
    withdrawn since is refused unless --allow-withdrawn.

    Example:

        ouvroir export m1a2b3c4d5 --format hf mon-modele/
        ouvroir export m1a2b3c4d5 --format peft mon-adaptateur/
        ouvroir export m1a2b3c4d5 --format gguf mon-gguf/
    """
    if dtype and fmt != "gguf":
        raise click.UsageError("--dtype is for --format gguf (hf and peft keep the weights' own precision)")
    studio = open_studio(ctx)
    options = {"dtype": dtype or "f16"} if fmt == "gguf" else {}
    path = studio.models.export(model, out_dir, allow_withdrawn=allow_withdrawn, lang=lang, fmt=fmt, **options)
    if fmt == "gguf":
        gguf = path / f"{studio.models.get(model).id}.gguf"
        out.print(f"Exported to {gguf} (llama.cpp: llama-cli -m {str(gguf)!r}; Ollama: ollama create NAME -f "
                  f"{str(path / 'Modelfile')!r}; LM Studio: import the file)", soft_wrap=True)  # fmt: skip
    elif fmt == "peft":
        base = studio.models.get(model).config["base"]
        out.print(f"Exported to {path} (peft: PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(BASE), "
                  f"{str(path)!r}), BASE being your copy of {base['folder']!r}; base_model.json gives its hashes)")  # fmt: skip
        if "model_id" in base:  # one of the studio's models: exported the same way, it is that very base
            out.print(f"Its base is the studio's model {base['model_id']}: `ouvroir export {base['model_id']} --format hf "
                      "DIR` writes it.")  # fmt: skip
    else:
        out.print(f"Exported to {path} (transformers: AutoModelForCausalLM.from_pretrained({str(path)!r}))")
