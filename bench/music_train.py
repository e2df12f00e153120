"""Music training quality per minute: the Bach chorales, whole chorales held out, on this machine's CPU.

For each budget: a fresh studio of the chorales (from the installed music21 package), `train --medium
music --minutes M`, then validation loss per event (bits per event word of the held-out chorales'
event text, and per note), and for 32 generated pieces the share of notes that are in key (in the
bar's key signature, or the raised leading tone of its relative minor) and in range (within the
lowest and highest pitch the corpus gives that voice). The same shares for the held-out chorales
are the human reference.

Training pieces are augmented with their transpositions (corpus/augment.py); ``--plain`` adds, for each
budget, a run without them on the same held-out chorales, side by side. ``--steps N`` gives every run the same
step budget instead of minutes, so a busy machine changes the time a run takes, not what it learns.

Usage: .venv/bin/python bench/music_train.py [--minutes 2 5 10] [--steps N] [--size S] [--plain] [--chorales 371]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from ouvroir import Studio
from ouvroir.media.music import transpose
from ouvroir.workshop import training
from ouvroir.corpus.ingest import AddOptions
from ouvroir.corpus.snapshot import load_snapshot, snapshot_texts
from ouvroir.demo_music import chorale_files
from ouvroir.media.music.encoding import decode
from ouvroir.workshop.generation import GenerationParams, generate_samples

MAJOR = (0, 2, 4, 5, 7, 9, 11)


def key_pitch_classes(sharps: int) -> set[int]:
    tonic = (7 * sharps) % 12  # each sharp moves the major tonic a fifth up
    scale = {(tonic + step) % 12 for step in MAJOR}
    return scale | {(tonic + 8) % 12}  # the relative minor's raised leading tone (G# in A minor)


def shares(texts: list[str], ranges: dict[int, tuple[int, int]]) -> tuple[float, float, int]:
    notes = in_key = in_range = 0
    for text in texts:
        piece = decode(text)
        for e in piece.events:
            notes += 1
            in_key += e.pitch % 12 in key_pitch_classes(piece.bars[e.bar].key)
            low, high = ranges.get(e.voice, (0, 127))
            in_range += low <= e.pitch <= high
    return (in_key / notes if notes else 0.0, in_range / notes if notes else 0.0, notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, nargs="+", default=[2, 5, 10])
    parser.add_argument("--chorales", type=int, default=371)
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--steps", type=int, help="a step budget for every run instead of --minutes")
    parser.add_argument("--plain", action="store_true", help="also train without transposed copies, side by side")
    parser.add_argument("--size", choices=["tiny", "small", "base"], help="model size (default: the planner's choice)")
    parser.add_argument("--no-augmented", action="store_true", help="only the run without transposed copies")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ouvroir-bench-music-"))
    try:
        inbox = root / "chorales"
        inbox.mkdir()
        for path in chorale_files()[: args.chorales]:
            shutil.copy(path, inbox / path.name)
        budgets = [(None, args.steps)] if args.steps else [(minutes, None) for minutes in args.minutes]
        kinds = (False,) if args.no_augmented else (True, False) if args.plain else (True,)
        arms = [(b, augment) for b in budgets for augment in kinds]
        for (minutes, steps), augment in arms:
            studio = Studio.init(root / f"studio-{minutes or steps:g}-{augment}")
            started = time.perf_counter()
            report = studio.add([inbox], AddOptions(author="J. S. Bach", license="public-domain", consent="train"))
            ingest_s = time.perf_counter() - started
            transpose.TRAIN_ON_TRANSPOSITIONS = augment
            trained = time.perf_counter()
            record = training.train_model(studio, size=args.size, minutes=minutes, steps=steps, seed=1, medium="music")
            train_s = time.perf_counter() - trained
            snapshot = load_snapshot(studio, record.snapshot_id)
            train, val = snapshot_texts(studio, snapshot)
            ranges: dict[int, tuple[int, int]] = {}
            for text in train:
                for e in decode(text).events:
                    low, high = ranges.get(e.voice, (e.pitch, e.pitch))
                    ranges[e.voice] = (min(low, e.pitch), max(high, e.pitch))
            val_bytes = sum(len(t.encode()) for t in val)
            val_words = sum(len(t.split()) for t in val)
            val_notes = sum(t.count(" n") for t in val)
            bits = record.val_bpb * val_bytes
            made = generate_samples(studio, record.id, "", args.samples, GenerationParams(max_tokens=400, temperature=1.0), seed=1)
            key_share, range_share, notes = shares([s.text for s in made], ranges)
            human_key, human_range, _ = shares(val, ranges)
            print(json.dumps({
                "bench": "music_train", "minutes": minutes, "budget_steps": steps, "augmented": augment,
                "works": report.count("added"), "ingest_s": round(ingest_s, 1), "train_s": round(train_s, 1),
                "loadavg_1m": round(os.getloadavg()[0], 2),
                "size": record.size, "parameters": record.parameters, "steps": record.steps,
                "val_works": len(snapshot.val_works), "val_bits_per_byte": round(record.val_bpb, 4),
                "val_bits_per_event": round(bits / val_words, 4), "val_bits_per_note": round(bits / val_notes, 3),
                "generated_notes": notes, "in_key": round(key_share, 4), "in_range": round(range_share, 4),
                "held_out_in_key": round(human_key, 4), "held_out_in_range": round(human_range, 4),
            }), flush=True)  # fmt: skip
            studio.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
