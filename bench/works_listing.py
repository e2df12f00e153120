"""Listing a large corpus: `ouvroir works` and the web corpus page at 10,000 works (target: `works` under 1 s).

The studio is built through the store API in one transaction (a text blob per work, a consent event per work:
a tenth refused, a tenth unknown), not through 10,000 `ouvroir add` calls, so it takes seconds. Then it times
the real console script (`ouvroir works`, its first page, as a person types it; and `--all`, every row) and
the web studio's corpus page, and reports the page's size in HTML.

Usage: .venv/bin/python bench/works_listing.py [--works N] [--repeat N] [--keep PATH]
Prints one JSON line per measure, then a summary line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ouvroir import Studio
from ouvroir.fileio import sha256_bytes
from ouvroir.store import works as store
from ouvroir.store.db import now, transaction

AUTHORS = ["Marceline Desbordes-Valmore", "Paul Verlaine", "Émile Nelligan", "Renée Vivien", "Jules Laforgue",
           "Anna de Noailles", "Gérard de Nerval", "Louise Ackermann", "Tristan Corbière", "Marie Krysinska"]


def build(root: Path, count: int) -> Studio:
    """A studio with ``count`` distinct works, built directly through the store (a few seconds for 10,000)."""
    studio = Studio.init(root)
    structure = b"[]"
    structure_sha, _ = studio.blobs.put(structure)
    rng = np.random.default_rng(0)
    stamp = now()
    with transaction(studio.conn):
        studio.conn.execute("INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, ?, ?)",
                            (structure_sha, len(structure), stamp))  # fmt: skip
        for number in range(count):
            author = AUTHORS[number % len(AUTHORS)]
            text = f"Poème {number} de {author}\nun vers pour la liste, un autre pour la mesure.\n".encode()
            sha = sha256_bytes(text)
            path = studio.blobs.path(sha)  # the bench's own files: no fsync per file, the timings are elsewhere
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text)
            studio.conn.execute("INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, ?, ?)",
                                (sha, len(text), stamp))  # fmt: skip
            work = store.Work(id=sha[:10], title=f"Poème {number:05d}", author=author, medium="text", form="poem",
                              format="txt", license="public-domain", source=None, original_name=f"poeme-{number}.txt",
                              original_sha256=sha, text_sha256=sha, structure_sha256=structure_sha, chars=len(text),
                              encoding="utf-8", added_at=stamp)  # fmt: skip
            store.insert_work(studio.conn, work, rng.integers(0, 2**32, 128, dtype=np.uint64).tobytes())
            consent = "no-train" if number % 10 == 0 else "unknown" if number % 10 == 1 else "train"
            store.append_consent(studio.conn, work.id, consent, "bench", "ingest")
    return studio


def ouvroir_command() -> list[str]:
    script = Path(sys.executable).parent / "ouvroir"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "ouvroir"]


def time_cli(root: Path, args: list[str], repeat: int) -> tuple[float, int]:
    best, size = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run([*ouvroir_command(), "--studio", str(root), *args], capture_output=True, check=True)
        best = min(best, time.perf_counter() - start)
        size = len(done.stdout)
    return best, size


def time_web(root: Path, repeat: int) -> tuple[float, int]:
    from starlette.testclient import TestClient

    from ouvroir.web.app import create_app, wrap

    app = create_app(root)
    client = TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    best, size = float("inf"), 0
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            page = client.get("/corpus")
            best = min(best, time.perf_counter() - start)
            assert page.status_code == 200, page.text[:300]
            size = len(page.content)
    finally:
        app.state.jobs.shutdown()
    return best, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Build the studio here and keep it (default: a temporary folder).")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ouvroir-bench-")) / "studio"
    try:
        start = time.perf_counter()
        build(folder, args.works).close()
        built = time.perf_counter() - start
        print(json.dumps({"bench": "works_listing", "measure": "build", "works": args.works,
                          "seconds": round(built, 2)}))  # fmt: skip
        results = {}
        for name in ("works", "works --all", "works --json"):
            cli_args = name.split()
            seconds, size = time_cli(folder, cli_args, args.repeat)
            results[name] = seconds
            print(json.dumps({"bench": "works_listing", "measure": f"ouvroir {name}", "works": args.works,
                              "seconds": round(seconds, 3), "output_bytes": size, "cpus": os.cpu_count()}))  # fmt: skip
        web_seconds, html = time_web(folder, args.repeat)
        print(json.dumps({"bench": "works_listing", "measure": "GET /corpus", "works": args.works,
                          "seconds": round(web_seconds, 3), "html_bytes": html, "cpus": os.cpu_count()}))  # fmt: skip
        best = results["works"]
        print(f"{args.works:,} works (built in {built:.1f} s): `ouvroir works` {best:.2f} s (best of {args.repeat}; "
              f"target < 1 s: {'met' if best < 1 else 'MISSED'}), `--all` {results['works --all']:.2f} s, "
              f"`--json` {results['works --json']:.2f} s; /corpus {web_seconds:.2f} s, "
              f"{html / 1e3:,.0f} kB of HTML")  # fmt: skip
    finally:
        if args.keep is None:
            shutil.rmtree(folder.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
