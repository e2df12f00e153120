"""Publishing speed: a 10-page co-written document into HTML, EPUB and PDF (target: at most 2 s on 2 cores), and
with the audio too (the text read aloud by espeak-ng into a WAV with its C2PA manifest; target: at most 10 s).

Usage: .venv/bin/python bench/publish.py [--pages 10] [--repeat 5]

Builds, in a temporary folder, a studio with a tiny model (10 training steps, not timed) and a French
document alternating a person's paragraphs and accepted suggestions until it holds ``pages`` × 1,800
characters (a printed page). Then times ``studio.publish`` (the three formats, each signed, with its QR
code), the first run in a fresh process (imports of fpdf2, ebooklib, segno included) and the median
of the next ``repeat``; then the four formats (HTML, EPUB, PDF and audio), ``repeat`` times, their median,
the WAV's duration and size (skipped, and said, without espeak-ng). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import torch

from ouvroir import Studio
from ouvroir.cocreate import documents as docs
from ouvroir.corpus.ingest import AddOptions
from ouvroir.workshop import training
from ouvroir.workshop.documents_api import suggest

WORDS = ("la", "lune", "le", "vent", "une", "barque", "sur", "l'eau", "grise", "chante", "doucement", "vers", "port", "où",
         "dort", "ville", "et", "sous", "les", "toits")
PAGE_CHARS = 1_800


def poem(rng: random.Random, lines: int = 4) -> str:
    return "\n".join(" ".join(rng.choice(WORDS) for _ in range(7)).capitalize() + rng.choice([",", ";", " :", " ?", "."])
                     for _ in range(lines))  # fmt: skip


def build(root: Path, pages: int) -> tuple[Studio, str, int]:
    rng = random.Random(0)
    (root / "corpus").mkdir()
    for i in range(6):
        (root / "corpus" / f"poeme-{i}.txt").write_text("\n\n".join(poem(rng) for _ in range(20)), "utf-8")
    studio = Studio.init(root / "studio")
    studio.add([root / "corpus"], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train"))
    torch.set_num_threads(2)
    model = training.train_model(studio, size="tiny", steps=10, seed=3)
    doc = docs.create_document(studio, "Le port, la nuit", lang="fr")
    seed = 0
    while len(doc.text) < pages * PAGE_CHARS:
        doc = docs.apply(studio, doc.id, doc.version, [{"type": "edit", "at": len(doc.text), "insert": poem(rng) + "\n\n"}])
        seed += 1
        found = suggest(studio, doc.id, len(doc.text), n=4, max_tokens=120, model_ref=model.id, seed=seed)
        latin = [s for s in found if all(ord(c) < 0x250 for c in s.text)]  # a 10-step model emits stray scripts
        if not latin:
            continue
        doc = docs.apply(studio, doc.id, doc.version, [{"type": "accept", "at": len(doc.text), "delete": 0,
                                                        "sample_id": latin[0].sample_id}])  # fmt: skip
        doc = docs.apply(studio, doc.id, doc.version, [{"type": "edit", "at": len(doc.text), "insert": "\n\n"}])
    return studio, doc.id, len(doc.text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        studio, doc_id, chars = build(root, args.pages)
        times = []
        for _ in range(args.repeat + 1):
            start = time.perf_counter()
            result = studio.publish([doc_id], "html,epub,pdf", root / "out", force=True)
            times.append(time.perf_counter() - start)
        audio = _audio(studio, doc_id, root, args.repeat)
        from pypdf import PdfReader

        pdf = next(p for p in result.files if p.suffix == ".pdf")
        summary = studio.documents.get(doc_id).summary
        print(json.dumps({"chars": chars, "pdf_pages": len(PdfReader(str(pdf)).pages),
                          "shares": summary["shares"], "first_s": round(times[0], 3),
                          "median_s": round(statistics.median(times[1:]), 3),
                          "bytes": {p.suffix[1:]: p.stat().st_size for p in result.files}, "with_audio": audio}))  # fmt: skip
        studio.close()


def _audio(studio: Studio, doc_id: str, root: Path, repeat: int) -> dict:
    import shutil
    import wave

    if shutil.which("espeak-ng") is None:
        return {"skipped": "espeak-ng is not installed (apt install espeak-ng)"}
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = studio.publish([doc_id], "html,epub,pdf,audio", root / "out-audio", force=True)
        times.append(time.perf_counter() - start)
    wav = next(p for p in result.files if p.suffix == ".wav")
    with wave.open(str(wav), "rb") as w:
        duration = w.getnframes() / w.getframerate()
    return {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3),
            "wav_seconds": round(duration, 1), "wav_bytes": wav.stat().st_size}  # fmt: skip


if __name__ == "__main__":
    main()
