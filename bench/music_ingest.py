"""Music ingest speed: the 371 Bach chorales (Riemenschneider numbering) read from their bytes through ouvroir's reader.

Each chorale file from music21's bundled corpus (368 .mxl, 3 .krn; a few
chorales share a file) goes through ``ouvroir.media.formats.music.read_many``,
which parses it with music21 from memory, quantizes it and writes its event
text. Per chorale: seconds, events, bars, event-text and interval-text sizes,
and whether the text decodes back to itself. Then the split between music21's
parse and ouvroir's own work (quantize + encode) on the first ``--baseline``
chorales, and music21's own ``converter.parse(path, forceSource=True)`` on the
same files, without its pickle cache, for the reference (~50 chorales in 6.4 s
was measured earlier on this machine).

Usage: .venv/bin/python bench/music_ingest.py [--limit N] [--baseline N] [--quiet]
Prints one JSON line per chorale (unless --quiet), then a JSON summary and a sentence.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from music21 import converter, corpus
from music21.corpus import chorales

from ouvroir.media.formats.music import read_many
from ouvroir.media.music.encoding import decode, encode, interval_text
from ouvroir.media.music.read import parse
from ouvroir.media.music.score import from_score


def chorale_files() -> list[tuple[int, Path]]:
    """(Riemenschneider number, file) for all 371 chorales, as music21's chorale iterator finds them."""
    listing = chorales.ChoraleListRKBWV().byRiemenschneider
    out = []
    for number in sorted(listing):
        found = corpus.getWork(f"bach/bwv{listing[number]['bwv']}")
        out.append((number, Path(found[0] if isinstance(found, list) else found)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="only the first N chorales")
    parser.add_argument(
        "--baseline", type=int, default=50, help="chorales for the parse/encode split and music21 baseline"
    )
    parser.add_argument("--quiet", action="store_true", help="no per-chorale lines")
    args = parser.parse_args()
    files = chorale_files()[: args.limit]
    rows = []
    start = time.perf_counter()
    for number, path in files:
        data = path.read_bytes()
        t0 = time.perf_counter()
        works = read_many(data, path.name)
        seconds = time.perf_counter() - t0
        text = works[0].text
        piece = decode(text)
        row = {"bench": "music_ingest", "riemenschneider": number, "file": path.name, "bytes": len(data),
               "seconds": round(seconds, 4), "events": len(piece.events), "bars": len(piece.bars),
               "text_chars": len(text), "interval_chars": len(interval_text(piece).text),
               "text_round_trip": encode(piece) == text and piece.skipped == 0}  # fmt: skip
        rows.append(row)
        if not args.quiet:
            print(json.dumps(row))
    total = time.perf_counter() - start
    per = [r["seconds"] for r in rows]

    split = files[: args.baseline]
    parse_s = encode_s = 0.0
    for _, path in split:
        data = path.read_bytes()
        t0 = time.perf_counter()
        tunes, _ = parse(data, "mxl" if path.suffix == ".mxl" else "humdrum")
        t1 = time.perf_counter()
        encode(from_score(tunes[0].score))
        parse_s, encode_s = parse_s + t1 - t0, encode_s + time.perf_counter() - t1
    t0 = time.perf_counter()
    for _, path in split:
        converter.parse(path, forceSource=True)  # music21 from the file, its pickle cache bypassed
    music21_s = time.perf_counter() - t0

    summary = {
        "bench": "music_ingest_summary", "chorales": len(rows), "distinct_files": len({r["file"] for r in rows}),
        "reader_seconds_total": round(sum(per), 2), "loop_seconds_total": round(total, 2),
        "per_chorale_mean_s": round(statistics.mean(per), 4), "per_chorale_median_s": round(statistics.median(per), 4),
        "per_chorale_max_s": round(max(per), 4), "events_total": sum(r["events"] for r in rows),
        "bars_total": sum(r["bars"] for r in rows), "text_chars_total": sum(r["text_chars"] for r in rows),
        "chars_per_event": round(sum(r["text_chars"] for r in rows) / max(1, sum(r["events"] for r in rows)), 2),
        "interval_chars_total": sum(r["interval_chars"] for r in rows),
        "text_round_trips": sum(r["text_round_trip"] for r in rows),
        f"first_{len(split)}_music21_parse_from_bytes_s": round(parse_s, 2),
        f"first_{len(split)}_ouvroir_quantize_encode_s": round(encode_s, 2),
        f"first_{len(split)}_music21_converter_parse_no_cache_s": round(music21_s, 2),
        "cpus": os.cpu_count(),
    }  # fmt: skip
    print(json.dumps(summary))
    print(f"music ingest: {len(rows)} chorales in {sum(per):.1f} s through the reader "
          f"({statistics.mean(per) * 1000:.0f} ms each, max {max(per) * 1000:.0f} ms); "
          f"{summary['events_total']:,} events, {summary['text_chars_total'] / 1e6:.2f} M characters of event text; "
          f"first {len(split)}: music21 parse {parse_s:.2f} s + ouvroir quantize/encode {encode_s:.2f} s, "
          f"vs music21 converter.parse without cache {music21_s:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
