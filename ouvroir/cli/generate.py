"""`ouvroir generate`: samples from a model, steered by controls, between two passages, or under constraints."""

from __future__ import annotations

from pathlib import Path

import click

from . import cli
from .constraint_options import constraint_from, constraint_options
from .corpus import err, open_studio, out


@cli.command()
@click.argument("model", required=False)
@click.option("--prompt", default="", help="Text to continue (default: start a new work).")
@click.option("--prompt-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Read the prompt from a file.")
@click.option("-n", "count", type=click.IntRange(1, 256), default=1, show_default=True, help="How many samples (batched).")
@click.option("--max-tokens", type=click.IntRange(1, 100_000), default=300, show_default=True)
@click.option("--temperature", type=click.FloatRange(0), default=0.8, show_default=True, help="0 = greedy.")
@click.option("--top-p", type=click.FloatRange(0, 1, min_open=True), default=0.95, show_default=True)
@click.option("--top-k", type=click.IntRange(1), default=None)
@click.option("--seed", type=int, help="Random seed (default: a new one, recorded with the sample).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), default="auto", show_default=True,
              help="bf16: every step in PyTorch under bf16 autocast; auto: fp32 (on CPU the compiled decoder, "
              "about 10x faster than PyTorch in bf16 for these small models).")
@click.option("--allow-withdrawn", is_flag=True, help="Generate even though the model was trained on works whose consent is withdrawn.")
@click.option("--render-audio/--no-audio", default=True, show_default=True,
              help="Music: write a WAV (built-in synthesizer) beside the MIDI and MusicXML; --no-audio leaves it out.")
@click.option("--medium", type=click.Choice(["text", "music", "image"]), help="Without MODEL: use the latest model of this medium.")
@click.option("--steps", "image_steps", type=click.IntRange(1, 1000), help="Images: the sampler's integration steps (default 24).")
@click.option("--as", "authors", multiple=True, metavar="AUTHOR",
              help="Text: write as this author of the corpus (a surname is enough); repeat it to mix several.")
@click.option("--form", "forms", multiple=True, help="Text: poem, prose, play or screenplay (repeatable: mixed).")
@click.option("--key", "keys", multiple=True, help='Music: the key, e.g. "G major", "F# minor" (repeatable: mixed).')
@click.option("--meter", "meters", multiple=True, help="Music: the meter, e.g. 3/4 (repeatable: mixed).")
@click.option("--voices", "voices", multiple=True, help="Music: the number of voices, e.g. 4 (repeatable: mixed).")
@click.option("--before", "before_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Infill: the passage before the middle to write (with --after).")
@click.option("--after", "after_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Infill: the passage after the middle to write (with --before).")
@click.option("--infill", "infill_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Infill: one file holding the marker […] once, where the middle goes.")
@constraint_options
@click.pass_context
def generate(ctx, model, prompt, prompt_file, count, max_tokens, temperature, top_p, top_k, seed, device, allow_withdrawn,
             render_audio, medium, authors, forms, keys, meters, voices, before_file, after_file,
             infill_file, precision, image_steps, **constraining) -> None:  # fmt: skip
    """Generate text, music or images with a model (default: the latest of the request's medium) and store every sample.

    Without MODEL, the medium is --medium's, else the prompt's (a prompt in
    music event text, starting with a bar such as "B4/4", means music; any
    other prompt means text), and the latest model of that medium is used.
    With no prompt and no --medium, the latest model is used if the studio
    has models of one medium only; otherwise the command stops and lists the
    latest model of each medium (id, medium, created).

    A single sample streams to the terminal; every sample is stored in the
    studio with its model, prompt, parameters and seed, and written as a file
    (plain text, or Fountain when the model learned screenplays). The same
    seed gives the same output.

    Example:

        ouvroir generate --prompt "Le soir tombe" -n 3 --temperature 0.9 --seed 7

    A model trained on scores writes each sample as event text, MIDI, MusicXML
    and WAV (--no-audio leaves the WAV out).

    A model trained on images writes PNG files (-n of them, --steps of its
    sampler, the same seed giving the same pixels), each with an embedded
    C2PA manifest and a signed sidecar that `ouvroir verify` checks, and a
    contact sheet of the batch:

        ouvroir generate --medium image -n 16 --seed 3 --steps 24

    Controls (models trained since controls exist; `ouvroir models` lists
    those a model knows): --as AUTHOR and --form FORM for text, --key, --meter
    and --voices for music. Several values of one control are mixed:

        ouvroir generate --as Verlaine --as Rimbaud --form poem

    Infilling: --before FILE --after FILE writes the middle between the two
    passages; --infill FILE does the same with one file holding the marker
    […] where the middle goes. Each sample is stored whole (before,
    middle, after), its manifest saying where the middle lies.

    Writing under constraints, kept on every token: --lipogram LETTERS,
    --alphabet LETTERS, --forbid WORD, --require WORD (repeatable),
    --max-line N; accents fold into their letter unless --no-fold-accents.
    A sample that cannot meet its constraint (no token keeps it, or the
    budget ends before a required word) is reported and not stored:

        ouvroir generate --lipogram e --require lune -n 5 --max-tokens 200
    """
    from ..workshop import GenerationParams, decode_text

    studio = open_studio(ctx)
    if prompt_file:
        prompt, _ = decode_text(prompt_file.read_bytes())
    after = None
    if infill_file or before_file or after_file:
        prompt, after = _infill_sides(prompt, prompt_file, before_file, after_file, infill_file)
    controls = {"author": list(authors), "form": list(forms), "key": list(keys), "meter": list(meters),
                "voices": list(voices)}
    if not model:
        model = studio.models.default_for(medium=medium, prompt=prompt).id
    if studio.models.medium(model) == "image":
        return _images(studio, model, count, seed, device, allow_withdrawn, image_steps)
    if image_steps is not None:
        raise click.UsageError("--steps is for image models (text and music take --max-tokens)")
    params = GenerationParams(max_tokens=max_tokens, temperature=temperature, top_p=top_p, top_k=top_k)
    constraint = constraint_from(**constraining)
    stream = count == 1 and out.is_terminal and not (constraint and constraint.require)
    if stream:
        click.secho(prompt, nl=False, dim=True)
    samples = studio.models.generate(model, prompt, count, params, seed, device,
                                     on_text=(lambda text: click.echo(text, nl=False)) if stream else None,
                                     allow_withdrawn=allow_withdrawn, render_audio=render_audio,
                                     controls=controls, after=after, constraint=constraint,
                                     precision=precision)  # fmt: skip
    if stream:
        if after:
            click.secho(after, nl=False, dim=True)
        click.echo()
    for i, sample in enumerate(samples, 1):
        if not stream:
            out.rule(f"sample {i}/{len(samples)} · {sample.id}")
            click.echo(sample.text)
    for line in samples.unmet_lines() if constraint else ():
        err.print(line, soft_wrap=True, markup=False)
    seeds = samples[0].seed
    out.print(f"[dim]{len(samples)} sample(s) stored in {studio.layout.samples} (seed {seeds}; "
              f"{', '.join(Path(s.path).name for s in samples)})[/dim]", soft_wrap=True)  # fmt: skip
    rendered = [p.name for s in samples for p in sorted((studio.root / s.path).parent.glob(Path(s.path).stem + ".*"))
                if p.suffix in (".mid", ".musicxml", ".wav")]  # fmt: skip
    if rendered:
        out.print(f"Scores and sound: {', '.join(rendered)}", soft_wrap=True)


def _images(studio, model, count, seed, device, allow_withdrawn, steps) -> None:
    """An image model's samples: PNG files with their provenance, and a contact sheet of the batch."""
    samples = studio.models.generate(model, "", count, None, seed, device, allow_withdrawn=allow_withdrawn, steps=steps)
    first = studio.root / samples[0].path
    out.print(f"{len(samples)} image(s) stored in {studio.layout.samples} (seed {samples[0].seed}; "
              f"{', '.join(Path(s.path).name for s in samples)}), each with its embedded C2PA manifest and signed "
              f"sidecar; contact sheet: {first.with_suffix('.sheet.png').name}", soft_wrap=True, markup=False)  # fmt: skip


def _infill_sides(prompt: str, prompt_file, before_file: Path | None, after_file: Path | None,
                  infill_file: Path | None) -> tuple[str, str]:  # fmt: skip
    """(before, after) from --infill FILE, or --before FILE and --after FILE; one line when they do not go together."""
    from ..workshop import decode_text, split_marker

    def read_side(path: Path) -> str:
        return decode_text(path.read_bytes())[0]

    if prompt or prompt_file:
        raise click.UsageError("--prompt/--prompt-file and infilling (--before/--after/--infill) exclude each other")
    if infill_file:
        if before_file or after_file:
            raise click.UsageError("--infill FILE holds both sides: leave out --before and --after")
        return split_marker(read_side(infill_file), str(infill_file))
    if not (before_file and after_file):
        raise click.UsageError("infilling needs both --before FILE and --after FILE (or --infill FILE)")
    return read_side(before_file), read_side(after_file)
