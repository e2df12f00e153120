"""The audit command: what a model (or any text) copies, whom it draws on, how much it flattens."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from ..i18n.report import AUDIT_NOTES
from . import cli
from .corpus import err, open_studio, out


def _temperatures(ctx, param, value: str) -> tuple[float, ...]:
    try:
        temperatures = tuple(float(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected numbers separated by commas, like 0.7,1.0,1.3") from None
    if not temperatures or any(t <= 0 for t in temperatures):
        raise click.BadParameter("give at least one temperature, each above 0")
    return temperatures


def _percent(value) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def print_summary(data: dict, html: Path) -> None:
    """A few lines a person reads in the terminal; the report holds the rest."""
    from ..workshop import audit_summary, headline_sentence, span

    s = audit_summary(data)
    kind = "samples" if data["subject"]["kind"] == "model" else "texts"
    out.print(f"[bold]Audit {data['id']}[/bold] — {s['texts']} {kind} against {data['corpus']['works']} works "
              f"({data['corpus']['chars']:,} characters)")  # fmt: skip
    baseline = s["baseline_copied_share"]
    out.print(f"  Copied verbatim (spans ≥ {data['settings']['min_copy']} characters): {_percent(s['mean_copied_share'])} "
              f"of the text on average{span(s.get('copied_share_interval'), '{:.1%}')}; {s['texts_with_copy']} of {s['texts']} {kind} hold a copy, the longest "
              f"{s['longest_copy']} characters."
              + (f" Your own works share {_percent(baseline)} with one another." if baseline is not None else ""))  # fmt: skip
    if s["creativity_index"] is not None:
        human = s["baseline_creativity_index"]
        out.print(f"  Creativity index (share not rebuilt from corpus n-grams): {s['creativity_index']:.2f}"
                  + span(s.get("creativity_interval")) + (f" (human baseline {human:.2f})" if human is not None else ""))  # fmt: skip
    if data["credit"]:
        top = ", ".join(f"{escape(row['author'] or '(unknown author)')} {_percent(row['share'])}" for row in data["credit"][:3])
        out.print(f"  Draws on: {top}")
    diversity = headline_sentence(s, kind)
    if diversity:
        out.print(f"  {diversity}")
    if s["nearest_author"]:
        out.print(f"  Nearest style (Burrows' Delta): {escape(s['nearest_author'])}")
    english = AUDIT_NOTES["en"]
    for warning in data.get("warnings", []):  # the note in the summary's language, whatever the report's
        out.print(f"  [yellow]Note:[/yellow] {escape(english.get(warning.get('code'), warning['message']))}")
    out.print(f"Report: {html}")


def print_image_summary(data: dict, html: Path) -> None:
    """An image audit in a few lines: the copies named, the three-sample test, the diversity ratios."""
    copies, corpus = data["copies"], data["corpus"]
    out.print(f"[bold]Audit {data['id']}[/bold] — {copies['images']} images against {corpus['images']} training images "
              f"of {corpus['works']} works at {corpus['resolution']} px")  # fmt: skip
    out.print(f"  Copies: {copies['flagged']} of {copies['images']} images (threshold {copies['threshold']['pixels']:.3f}, "
              f"from {copies['threshold']['baseline_images']} baseline images: {copies['threshold']['source']})")  # fmt: skip
    for record in data["images"]:
        if record["flagged"] and record["source"]:
            source = record["source"]
            out.print(f"    {escape(record['label'])} copies {escape(source.get('title') or '?')} "
                      f"({escape(source.get('author') or 'unknown author')}, work {source['work_id']})")  # fmt: skip
    test = copies["three_sample_test"]
    if test["c_t"] is not None:
        out.print(f"  Three-sample test: C_T = {test['c_t']:.2f}" + (" — the images copy the training set" if test["copying"] else ""))
    for space, result in data["diversity"].items():
        ratios = ", ".join(f"{m['name']} {m['ratio']:.2f}" for m in result["measures"] if m["ratio"] is not None)
        out.print(f"  Diversity against the corpus ({space}): {ratios}")
    out.print(f"Report: {html}")


def _audit_images(ctx, studio, paths: list[Path], options) -> None:
    def progress(message: str) -> None:
        err.print(f"[dim]{escape(message)}[/dim]", soft_wrap=True)

    outcome, skipped = studio.audits.images(paths, options, progress)
    for item in skipped:
        err.print(f"[red]{escape(str(item.path))}[/red]: {escape(item.reason)} — skipped", soft_wrap=True)
    print_image_summary(outcome.data, outcome.html)
    if skipped:
        ctx.exit(1)


@cli.command()
@click.argument("model", required=False)
@click.option("--texts", "texts", type=click.Path(path_type=Path), multiple=True, metavar="PATH",
              help="Audit these text files against the studio's works instead of a model (repeat, or give several after one --texts).")  # fmt: skip
@click.option("--reuse", is_flag=True, help="Audit the model's stored samples instead of generating new ones.")
@click.option("--samples", type=click.IntRange(2, 200), default=None,
              help="Samples per temperature and per group (one prompt; several prompts): 10 by default. "
                   "An image model: images generated, 64 by default.")  # fmt: skip
@click.option("--temperatures", default="0.7,1.0,1.3", show_default=True, callback=_temperatures, help="Temperatures to sweep.")
@click.option("--prompts", "prompts_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Prompts, one per line (default: openings of held-out lines).")
@click.option("--min-copy", type=click.IntRange(8), default=50, show_default=True, help="Shortest verbatim span reported, in characters.")
@click.option("--max-tokens", type=click.IntRange(8, 4096), default=200, show_default=True, help="Length of each sample.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True, help="Language of the report.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--medium", type=click.Choice(["text", "music"]), help="Without MODEL: audit the latest model of this medium.")
@click.option("--workers", type=click.IntRange(1), help="Processes searching the copy index's shards (default: all cores).")
@click.option("--cluster", metavar="ADDRESS",
              help="Search the shards on dask://HOST:PORT or ray://HOST:PORT (or 'dask', 'ray': a local one), "
                   "which must see the studio's folder; needs pip install 'ouvroir[dask]' or '[ray]'.")  # fmt: skip
@click.option("--images", "images", type=click.Path(path_type=Path), multiple=True, metavar="PATH",
              help="Audit these image files (a generator's outputs) against the studio's image works instead of a model.")  # fmt: skip
@click.option("--resolution", type=click.Choice(["16", "32", "64"]), default=None,
              help="Images: the side at which pictures are compared (default: the model's; 32 for --images).")  # fmt: skip
@click.option("--features", "features", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Images: your own feature extractor (TorchScript, (N,3,H,W) floats in [0,1] to (N,D)) for diversity.")  # fmt: skip
@click.argument("more_texts", nargs=-1, type=click.Path(path_type=Path), required=False)
@click.pass_context
def audit(ctx, model, texts, reuse, samples, temperatures, prompts_file, min_copy, max_tokens, lang, seed, device, medium,
          workers, cluster, more_texts, **image_args) -> None:  # fmt: skip
    """Measure what a model copies from the corpus and from whom, how much it flattens it, and whose style it has.

    With a MODEL (default: the latest of --medium; without --medium, the
    latest model if the studio has models of one medium only, else the
    command stops and lists the latest of each), generates samples at each temperature
    (or, with --reuse, takes the samples already stored for it)
    and checks them against the model's training text: verbatim spans of at
    least --min-copy characters with their source, the share of each sample
    rebuilt from corpus n-grams, credit per author, diversity against matched
    corpus excerpts, and stylometric distance to each author. The corpus's own
    held-out works give the human baseline.

    With --texts, audits any files (a chatbot's answer, a draft) against every
    work of the studio, whatever its consent: an audit reads and trains nothing.

    An image model, or --images with any pictures, is audited for copies (nearest
    works by pixels and perceptual hash, flagged beyond what your held-out images
    come to, named with work and author), memorization clusters and diversity.

    Writes reports/<id>/report.html (opens offline) and audit.json in the studio.

    Example:

        ouvroir audit --temperatures 0.8,1.2 --lang en

        ouvroir audit --texts chatbot-answer.txt

        ouvroir audit --images generator-output/*.png

        ouvroir audit --texts answers/*.txt --cluster dask://scheduler:8786
    """
    from ..workshop import AuditOptions, ImageAuditOptions, decode_text

    studio = open_studio(ctx)
    resolution = image_args.get("resolution")
    image_options = ImageAuditOptions(resolution=int(resolution) if resolution else None, seed=seed, lang=lang,
                                      features=image_args.get("features"), device=device)  # fmt: skip
    if samples is not None:
        image_options.samples = samples
    if image_args.get("images"):
        _audit_images(ctx, studio, list(image_args["images"]) + ([Path(model)] if model else []) + list(more_texts),
                      image_options)  # fmt: skip
        return
    paths = list(texts)
    if paths:
        paths += ([Path(model)] if model else []) + list(more_texts)
    elif more_texts:
        raise click.UsageError("give one MODEL, or text files after --texts")
    prompts = None
    if prompts_file:
        prompts = [line.strip() for line in decode_text(prompts_file.read_bytes())[0].splitlines() if line.strip()]
        if not prompts:
            raise click.BadParameter(f"{prompts_file}: no prompt in it", param_hint="--prompts")
    options = AuditOptions(samples=samples or AuditOptions.samples, temperatures=temperatures, prompts=prompts, min_copy=min_copy, lang=lang,
                           max_tokens=max_tokens, seed=seed, device=device, workers=workers, cluster=cluster)  # fmt: skip

    def progress(message: str) -> None:
        err.print(f"[dim]{escape(message)}[/dim]", soft_wrap=True)

    if paths:
        outcome, skipped = studio.audits.texts(paths, options, progress)
        for item in skipped:
            err.print(f"[red]{escape(str(item.path))}[/red]: {escape(item.reason)} — skipped", soft_wrap=True)
    else:
        ref = model or studio.models.default_for(medium=medium).id
        outcome = studio.audits.model(ref, options, progress, reuse=reuse, image_options=image_options)
        skipped = []
    if outcome.data.get("medium") == "image":
        print_image_summary(outcome.data, outcome.html)
        return
    print_summary(outcome.data, outcome.html)
    if skipped:
        ctx.exit(1)
