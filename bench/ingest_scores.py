"""Crafted scores at ingest: time and peak memory for a 44-byte MIDI holding one note for 2^28 ticks and the ABC c99999999.

Before the duration bounds of ouvroir.media.music.bounds these took 167 s and
11.8 GB (the MIDI, killing the whole ``add`` batch) and 67 s and 3.4 GB (the
ABC); now each is refused from its raw bytes. Each case runs ``read_many`` in a
fresh Python process, so the peak memory (ru_maxrss) is that file's alone; the
baseline is the same process reading a one-bar tune (music21's import). With
``--worst``, also the slowest score the limits let through: one note held for
just under MAX_MIDI_BARS bars, which music21 still lays out bar by bar.

Usage: .venv/bin/python bench/ingest_scores.py [--worst]
Prints one JSON line per case.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from ouvroir.media.formats.music import read_many
data, name = bytes.fromhex(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
try:
    works = read_many(data, name)
    outcome = f"read: {len(works[0].text.splitlines())} bars"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
print(json.dumps({"seconds": round(time.perf_counter() - start, 4), "outcome": outcome,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def held_note_midi(ticks: int, division: int = 480) -> bytes:
    vlq = [ticks & 0x7F]
    while ticks := ticks >> 7:
        vlq.append(0x80 | (ticks & 0x7F))
    track = b"\x00\xff\x51\x03\x07\xa1\x20\x00\x90\x3c\x40" + bytes(reversed(vlq)) + b"\x80\x3c\x00\x00\xff\x2f\x00"
    header = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01" + division.to_bytes(2, "big")
    return header + b"MTrk" + len(track).to_bytes(4, "big") + track


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worst", action="store_true", help="also the longest held note under the limit (~9 s)")
    args = parser.parse_args()
    from ouvroir.media.music.bounds import MAX_MIDI_BARS

    cases = [
        ("baseline: a one-bar ABC tune", b"X:1\nM:4/4\nL:1/4\nK:C\nCDEF|]\n", "air.abc"),
        ("MIDI, one note for 2^28 ticks", held_note_midi(2**28 - 1), "long.mid"),
        ("ABC c99999999", b"X:1\nM:4/4\nL:1/8\nK:C\nc99999999|]\n", "long.abc"),
    ]
    if args.worst:
        cases.append((f"MIDI, one note for {MAX_MIDI_BARS - 1:,} bars", held_note_midi((MAX_MIDI_BARS - 1) * 4 * 480),
                      "held.mid"))  # fmt: skip
    for label, data, name in cases:
        result = subprocess.run([sys.executable, "-c", CHILD, data.hex(), name], capture_output=True, text=True,
                                check=True)  # fmt: skip
        row = {"bench": "ingest_scores", "case": label, "bytes": len(data), **json.loads(result.stdout)}
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
