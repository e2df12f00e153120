"""The image demo (`make demo-images`): a studio of small pictures every machine has, through the whole workshop.

The corpus is scikit-learn's bundled handwritten digits (8 × 8 grey scans, part of
the installed package: nothing is downloaded, no picture lives in this project),
written out as PNG files, ink dark on white paper. The demo adds them with consent,
adds one more digit whose file refuses data mining (an IPTC/PLUS field in its XMP)
so the studio keeps it out of training by itself, trains an image model for a few
minutes, generates a contact sheet of samples, audits the model, then audits the
samples with one planted copy among them — a training digit re-encoded as JPEG —
to show the audit catching it and naming the work it copies.

It runs the commands a user types, printing each before its output, as `make demo` does.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import time
from pathlib import Path

import numpy as np

from .demo import fresh_studio, run

AUTHOR = "Demo User"  # the digits were written by many people in the 1990s; the demo owns its copies' choices
OPTED_OUT = "refuses-mining.png"
# What an IPTC/PLUS-aware tool writes into a file whose maker prohibits AI/ML training (XMP packet, PNG iTXt chunk).
PLUS_PROHIBITED = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
                   '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
                   'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" '
                   'plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"/>'
                   '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>')  # fmt: skip


def digit_pictures(count: int) -> list[tuple[str, np.ndarray]]:
    """``count`` of scikit-learn's digits, as many of each of the ten as can be, ink dark on white: (name, uint8 8×8)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    per_class = -(-count // 10)
    chosen = [i for d in range(10) for i in np.flatnonzero(digits.target == d)[:per_class]][:count]
    chosen.sort()
    return [(f"digit-{digits.target[i]}-{i:04d}.png", (255 - digits.images[i] * 255 / 16).round().astype(np.uint8))
            for i in chosen]  # fmt: skip


def png(pixels: np.ndarray, xmp: str | None = None) -> bytes:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = None
    if xmp:
        info = PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg_copy(png_file: Path, target: Path) -> Path:
    """The picture in ``png_file`` re-encoded as a JPEG (quality 85), enlarged 4×: another file, the same digit."""
    from PIL import Image

    with Image.open(png_file) as image:
        image.convert("RGB").resize((image.width * 4, image.height * 4), Image.Resampling.BICUBIC).save(
            target, "JPEG", quality=85)  # fmt: skip
    return target


def write_corpus(folder: Path, count: int) -> tuple[Path, Path]:
    """The digits as PNG files in ``folder``/digits, and one refusing file beside it: (digits folder, refusing file)."""
    digits = folder / "digits"
    digits.mkdir(parents=True)
    pictures = digit_pictures(count + 1)
    for name, pixels in pictures[:-1]:
        (digits / name).write_bytes(png(pixels))
    refusing = folder / OPTED_OUT
    refusing.write_bytes(png(pictures[-1][1], PLUS_PROHIBITED))
    return digits, refusing


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--studio", default="demo-studio-images", help="where to build the studio (replaced if present)")
    parser.add_argument("--minutes", type=float, default=3.0, help="training budget")
    parser.add_argument("--steps", type=int, default=int(os.environ.get("OUVROIR_DEMO_STEPS", 0)) or None,
                        help="a step budget as well (tests; also OUVROIR_DEMO_STEPS)")  # fmt: skip
    parser.add_argument("--images", type=int, default=500, help="how many digits to add (of 1,797)")
    parser.add_argument("--samples", type=int, default=32, help="how many pictures to generate for the sheet")
    args = parser.parse_args(argv)
    studio = fresh_studio(args.studio)
    started = time.monotonic()
    inbox = studio.parent / f"{studio.name}-digits"
    shutil.rmtree(inbox, ignore_errors=True)
    digits, refusing = write_corpus(inbox, args.images)

    print(f"ouvroir image demo: {args.images} handwritten digits (scikit-learn's, written here as PNG files), "
          "trained on, generated, audited.")  # fmt: skip
    run("init", "--owner", AUTHOR)
    run("add", str(digits), "--author", AUTHOR, "--license", "CC0-1.0", "--consent", "train",
        "--reason", "the image demo's training set")  # fmt: skip
    print("\nOne more digit whose file says, in its IPTC/PLUS metadata, that it may not be used to train AI:"
          " the studio keeps it, marked 'no-train' with that reason, and never trains on it.")  # fmt: skip
    run("add", str(refusing), "--author", AUTHOR, "--license", "CC0-1.0")
    run("works", "--consent", "no-train")
    budget = ["--minutes", f"{args.minutes:g}"] + (["--steps", str(args.steps)] if args.steps else [])
    print("\nTraining reads only a snapshot of the images whose latest consent is 'train'.")
    run("train", "--medium", "image", "--resolution", "16", *budget, "--seed", "1")
    run("generate", "-n", str(args.samples), "--seed", "1")
    print("\nThe audit of those samples: the training digits each is nearest, whether nearer than the held-out"
          " digits ever come (a copy), and how diverse they are.")  # fmt: skip
    run("audit", "--reuse", "--lang", "en", "--seed", "1")
    examples = studio / "examples"
    examples.mkdir(parents=True, exist_ok=True)
    planted = jpeg_copy(sorted(digits.iterdir())[0], examples / "copied-digit.jpg")
    sheet_samples = sample_pictures(studio)
    print("\nAny pictures can be audited against the studio, with no model: the samples, and among them one"
          " training digit re-encoded as a JPEG. The audit flags it and names the work it copies.")  # fmt: skip
    run("audit", "--images", *map(str, sheet_samples), str(planted), "--lang", "en")
    shutil.rmtree(inbox, ignore_errors=True)
    sheet, report = outputs(studio)
    print(f"\nImage demo finished in {time.monotonic() - started:.0f} s.")
    print(f"Contact sheet of the samples: {sheet}")
    print(f"Audit report with the planted copy: {report}")
    print(f"Or in your browser (gallery, training, samples, audits): ouvroir --studio {studio} studio --open")


def sample_pictures(studio: Path) -> list[Path]:
    """The generated PNG samples of the studio (their sheets left out), oldest first."""
    from .layout import StudioLayout

    folder = StudioLayout(studio.resolve()).samples
    return sorted((p for p in folder.glob("*.png") if "sheet" not in p.name), key=lambda p: p.name)


def outputs(studio: Path) -> tuple[Path | None, Path | None]:
    """The latest contact sheet and the latest audit report of the studio."""
    from .layout import StudioLayout

    layout = StudioLayout(studio.resolve())
    sheets = sorted(layout.samples.glob("*sheet*.png"), key=lambda p: p.stat().st_mtime)
    reports = sorted(layout.reports.glob("*/report.html"), key=lambda p: p.stat().st_mtime)
    return (sheets[-1] if sheets else None), (reports[-1] if reports else None)


if __name__ == "__main__":
    main()
