"""Image audit speed: 1,000 samples against 10,000 training images at 32 px (target: ≤ 5 s on 2 cores, issue 24).

The images are procedural drawings (ouvroir.audit.drawings, drawn before the clock starts): 10,000
training images, ``--held`` held-out ones for the human baseline, and 1,000 samples of which 100 are
planted copies (JPEG q75, shifted a pixel, noised, resized) and 900 new drawings, so the figures
printed beside the times show the audit working: planted copies flagged and named, new drawings not.

Timed: ``search_copies`` whole (blur, centre and normalize every image, pHash every image, the exact
nearest search of samples and baseline, aligned distances, calibration, k-means cells and the
three-sample test). Prints one JSON line per repeat, then the medians: wall seconds, and CPU seconds of
the process (all threads): on a shared machine the CPU seconds over the threads bound what an idle one
takes.

    python bench/image_audit.py
    python bench/image_audit.py --held 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from ouvroir.audit import image_copies, image_diversity  # noqa: E402
from ouvroir.audit.drawings import as_jpeg, drawings, noised, resized, shifted  # noqa: E402

TARGET_S = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=1_000)
    parser.add_argument("--held", type=int, default=500, help="held-out images of the baseline (default: 5%% of training)")
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    r = args.resolution
    train = drawings(range(args.train), r)
    held = drawings(range(10**6, 10**6 + args.held), r)
    planted = [0, 1, 2, 3, 4] * 20
    sources = np.arange(len(planted)) * (args.train // len(planted))
    disguise = [as_jpeg, lambda im: shifted(im, 1), lambda im: noised(im, 8.0), lambda im: resized(resized(im, r + 13), r),
                lambda im: shifted(im, -1, 1)]  # fmt: skip
    copies = np.stack([disguise[d](train[s]) for d, s in zip(planted, sources)])
    samples = np.concatenate([copies, drawings(range(2 * 10**6, 2 * 10**6 + args.samples - len(copies)), r)])
    times, cpus = [], []
    for _ in range(args.repeat):
        start, cpu = time.perf_counter(), time.process_time()
        search = image_copies.search_copies(samples, train, held)
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
        flagged = search.flagged
        named = [search.source(i) for i in range(len(copies))]
        print(json.dumps({"seconds": round(times[-1], 3), "cpu_seconds": round(cpus[-1], 3), "train": len(train), "samples": len(samples), "held": len(held),
                          "resolution": r, "copies_flagged": int(flagged[: len(copies)].sum()),
                          "copies_named": int(np.sum(np.array(named) == sources)), "copies": len(copies),
                          "new_flagged": int(flagged[len(copies):].sum()), "c_t": search.test.c_t,
                          "threshold": round(search.threshold.pixels, 4)}), flush=True)  # fmt: skip
    start = time.perf_counter()
    diversity = image_diversity.compare(image_copies.unit_vectors(samples[len(copies):][:256]),
                                        image_copies.unit_vectors(train[:256]), image_copies.unit_vectors(held), 0.25)  # fmt: skip
    diversity_s = time.perf_counter() - start
    median = statistics.median(times)
    print(json.dumps({"median_s": round(median, 3), "median_cpu_s": round(statistics.median(cpus), 3), "target_s": TARGET_S, "within": median <= TARGET_S,
                      "threads": args.threads, "cpus": os.cpu_count(), "load": os.getloadavg()[0],
                      "diversity_256_s": round(diversity_s, 3),
                      "vendi_ratio": diversity["measures"][0]["ratio"]}))  # fmt: skip


if __name__ == "__main__":
    main()
