"""The music demo (`make demo-music`): Bach's 371 chorales, as music21 ships them, through the whole workshop.

It copies the chorales out of the installed music21 package (nothing is downloaded), adds them
with consent, trains a model on their event text for a few minutes (whole chorales held out),
writes three pieces as MIDI, MusicXML and WAV, audits the model, and audits a pastiche that
quotes a chorale a fifth higher.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from .demo import fresh_studio, run
from .layout import StudioLayout


def chorale_files() -> list[Path]:
    """The 371 chorales in Riemenschneider order (a few share one file)."""
    from music21 import corpus
    from music21.corpus import chorales

    listing = chorales.ChoraleListRKBWV().byRiemenschneider
    files = []
    for number in sorted(listing):
        found = corpus.getWork(f"bach/bwv{listing[number]['bwv']}")
        path = Path(found[0] if isinstance(found, list) else found)
        if path not in files:
            files.append(path)
    return files


def pastiche(studio: Path, chorale: Path) -> Path:
    """A piece that opens with a melody of ``chorale`` transposed up a fifth: the audit should find it."""
    from .media.formats import reader_for
    from .media.music.encoding import decode, encode
    from .media.music.events import Event, Piece
    from .media.music.render import to_midi

    piece = decode(reader_for(chorale.suffix)(chorale.read_bytes(), chorale.name).text)
    bars = range(1, 5)
    quoted = Piece([piece.bars[b] for b in bars],
                   [Event(0, e.bar - bars[0], e.position, e.pitch + 7, e.duration) for e in piece.events
                    if e.bar in bars and e.voice == 0])  # fmt: skip
    path = studio / "examples" / "pastiche.mid"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_midi(encode(quoted)))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--studio", default="demo-studio-music", help="where to build the studio (replaced if present)")
    parser.add_argument("--minutes", type=float, default=3.0, help="training budget")
    parser.add_argument("--chorales", type=int, default=371, help="how many chorales to add")
    args = parser.parse_args()
    studio = fresh_studio(args.studio)
    started = time.monotonic()
    inbox = studio.parent / f"{studio.name}-chorales"
    shutil.rmtree(inbox, ignore_errors=True)
    inbox.mkdir(parents=True)
    files = chorale_files()[: args.chorales]
    for path in files:
        shutil.copy(path, inbox / path.name)

    print(f"ouvroir music demo: {len(files)} files of Bach chorales (from the music21 package), trained on, generated, audited.")
    run("init", "--owner", "Demo User")
    run("add", str(inbox), "--author", "Johann Sebastian Bach", "--license", "public-domain", "--consent", "train",
        "--reason", "public domain; the music demo's training set")  # fmt: skip
    run("train", "--medium", "music", "--minutes", f"{args.minutes:g}", "--seed", "1")
    run("generate", "-n", "3", "--max-tokens", "400", "--temperature", "0.9", "--seed", "1", "--render-audio")
    run("audit", "--samples", "6", "--max-tokens", "300", "--lang", "en", "--seed", "1")
    print("\nA pastiche quoting a chorale's melody a fifth higher: the audit finds it, in its chorale and bar.")
    run("audit", "--texts", str(pastiche(studio, files[0])), "--lang", "en")
    shutil.rmtree(inbox, ignore_errors=True)
    print(f"\nMusic demo finished in {time.monotonic() - started:.0f} s. Listen: {StudioLayout(studio.resolve()).samples}/*.wav")


if __name__ == "__main__":
    main()
