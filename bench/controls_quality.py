"""Do the controls do what they claim, on corpora they were not tuned on? (issue 22, "Performance and quality").

Three sections, each on a fresh studio, CPU only:

* ``author``: the French poetry (seven poets, ``../shared/corpora/french/poetry``), one work per poem
  with its author, consent ``train``; one model (``--size``, ``--steps``); ``--samples`` samples per
  requested author (``--as``) and as many without any control; each sample's nearest author by
  Burrows' Delta (``audit.style.burrows_delta``, the audit's own instrument, as is) against each
  author's training works. Prints the confusion matrix, the share where the nearest is the
  requested one (target >= 80%) and, as the baseline, where uncontrolled samples land.
* ``infill``: on the same studio, a second model trained with the same seed, size and steps but
  ``fim_rate`` 0 (the studio's FIM_RATE patched to 0), so the two arms differ only in infilling:
  held-out left-to-right bits per byte of both (target: infilling within +0.02), then held-out
  middles cut as training cuts them, scored on the infilling model two ways over the very same
  tokens (the middle's own tokens; the end token that closes an infilled middle has no
  counterpart left to right, so it is reported apart): after ``<|fim_prefix|> prefix
  <|fim_suffix|> suffix <|fim_middle|>``, and after the prefix alone (target: at least 0.1 lower).
* ``music``: the Bach chorales shipped with music21, one model, then for a fixed-seed draw of
  (key, meter) pairs the corpus has, ``--music-samples`` samples each; each sample's key by
  music21's ``analyze('key')`` and its meter from its first bar (targets: 90% key, 100% meter).

Usage: nice -n 5 .venv/bin/python bench/controls_quality.py [--only author infill music]
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
POETRY = ROOT.parent / "shared" / "corpora" / "french" / "poetry"
POETS = {"baudelaire": "Charles Baudelaire", "hugo": "Victor Hugo", "laforgue": "Jules Laforgue",
         "mallarme": "Stéphane Mallarmé", "nerval": "Gérard de Nerval", "rimbaud": "Arthur Rimbaud",
         "verlaine": "Paul Verlaine"}  # fmt: skip
MIN_POEM_CHARS = 200


def say(*parts) -> None:
    print(*parts, flush=True)


def poem_folders(inbox: Path) -> dict[str, Path]:
    """One file per poem (two blank lines part poems in the collections; the title block first is left out)."""
    folders = {}
    for folder in sorted(POETRY.iterdir()):
        out = inbox / folder.name
        out.mkdir(parents=True)
        for path in sorted(folder.glob("*.txt")):
            for i, poem in enumerate(path.read_text("utf-8").split("\n\n\n")[1:], 1):
                if len(poem.strip()) >= MIN_POEM_CHARS:
                    (out / f"{path.stem}_{i:03d}.txt").write_text(poem.strip("\n") + "\n", "utf-8")
        folders[POETS[folder.name]] = out
    return folders


def poetry_studio(root: Path):
    from ouvroir import Studio
    from ouvroir.corpus.ingest import AddOptions

    studio = Studio.init(root / "studio")
    t0 = time.perf_counter()
    for author, folder in poem_folders(root / "poems").items():
        report = studio.add([folder], AddOptions(author=author, license="public-domain", consent="train"))
        assert report.ok, [o.message for o in report.outcomes if o.status == "failed"]
    say(f"poetry: {len(studio.works())} poems added in {time.perf_counter() - t0:.0f} s")
    return studio


def train(studio, size: str, steps: int, fim: bool, medium: str | None = None):
    from ouvroir.workshop import training

    saved = training.FIM_RATE
    training.FIM_RATE = saved if fim else 0.0
    try:
        t0 = time.perf_counter()
        record = training.train_model(studio, size=size, steps=steps, seed=1, device="cpu", medium=medium)
    finally:
        training.FIM_RATE = saved
    say(f"model {record.id} ({record.size}, {record.parameters:,} parameters, fim_rate "
        f"{record.config['train']['fim_rate']}): {record.steps} steps in {time.perf_counter() - t0:.0f} s, "
        f"held-out {record.val_bpb:.4f} bits per byte")  # fmt: skip
    return record


def works_by_author(studio, record, held_out: bool = False) -> dict[str, list[str]]:
    """The snapshot's training texts (or its held-out ones) by the author control of each."""
    from ouvroir.corpus.snapshot import load_snapshot, snapshot_controls, snapshot_texts

    snapshot = load_snapshot(studio, record.snapshot_id)
    side = 1 if held_out else 0
    texts, controls = snapshot_texts(studio, snapshot)[side], snapshot_controls(snapshot)[side]
    by_author: dict[str, list[str]] = {}
    for text, c in zip(texts, controls, strict=True):
        by_author.setdefault(c["author"], []).append(text)
    return by_author


def nearest_authors(texts: list[str], by_author: dict[str, list[str]]) -> list[str | None]:
    from ouvroir.audit.style import burrows_delta

    return [burrows_delta([t], by_author).nearest_author if t.strip() else None for t in texts]


def author_section(studio, record, samples: int, max_tokens: int, extra: dict | None = None) -> None:
    from ouvroir.workshop.generation import GenerationParams, generate_samples

    by_author = works_by_author(studio, record)
    authors = sorted(by_author)
    params = GenerationParams(max_tokens=max_tokens)  # the studio's defaults otherwise (temperature 0.8, top-p 0.95)
    rows: dict[str, Counter] = {}
    t0 = time.perf_counter()
    for requested in [*authors, None]:
        made = generate_samples(studio, record.id, "", samples, params, seed=7, render_audio=False,
                                controls={"author": [requested], **(extra or {})} if requested else extra)  # fmt: skip
        rows[requested or "(no control)"] = Counter(nearest_authors([s.text for s in made], by_author))
    say(f"author{' with ' + str(extra) if extra else ''}: {samples} samples of {max_tokens} tokens per row, nearest by Burrows' Delta against each author's "
        f"training poems ({time.perf_counter() - t0:.0f} s)")  # fmt: skip
    short = {a: a.split()[-1][:9] for a in authors}
    lengths = sorted(len(s.text) for s in made)
    held = works_by_author(studio, record, held_out=True)
    ceiling = {a: Counter(nearest_authors([t[: lengths[len(lengths) // 2]] for t in held.get(a, [])[:samples]], by_author))
               for a in authors}  # fmt: skip
    known = sum(len(held.get(a, [])[:samples]) for a in authors)
    say(f"the instrument on held-out poems cut to the samples' median length ({lengths[len(lengths) // 2]} characters): "
        f"nearest is the true author in {sum(ceiling[a][a] for a in authors)}/{known}; per author: "
        + ", ".join(f"{short[a]} {ceiling[a][a]}/{len(held.get(a, [])[:samples])}" for a in authors))  # fmt: skip
    say(f"{'requested / nearest':<22}" + "".join(f"{short[a]:>10}" for a in authors) + f"{'hit':>8}")
    hits = 0
    for name, row in rows.items():
        hit = row[name] / samples if name in by_author else None
        hits += row[name] if name in by_author else 0
        say(f"{name[:22]:<22}" + "".join(f"{row[a]:>10}" for a in authors) + (f"{hit:>8.0%}" if hit is not None else ""))
    uncontrolled = rows["(no control)"]
    say(f"author control: nearest is the requested author in {hits}/{samples * len(authors)} samples = "
        f"{hits / (samples * len(authors)):.1%} (target >= 80%); without control the same author is nearest in "
        f"{sum(uncontrolled[a] for a in authors) / len(authors) / samples:.1%} on average (1/{len(authors)} by construction), "
        f"per author: " + ", ".join(f"{short[a]} {uncontrolled[a] / samples:.0%}" for a in authors))  # fmt: skip


def middle_bits(gpt, tokenizer, window: np.ndarray, i: int, j: int) -> tuple[float, float, float, int]:
    """Bits of ``window[i:j]`` after the prefix alone, the same after prefix and suffix, the infill's end token; bytes."""
    pre, suf, mid = tokenizer.fim_ids
    middle = window[i:j]

    def bits(seq: list[int], first: int, count: int) -> np.ndarray:  # bits of seq[first:first + count]
        x = torch.tensor([seq[:-1]])
        with torch.no_grad():
            logp = torch.log_softmax(gpt(x)[0].float(), -1)
        targets = torch.tensor(seq[first : first + count])
        return (-logp[torch.arange(first - 1, first - 1 + count), targets] / math.log(2)).numpy()

    left = [*window[:i], *middle]
    alone = bits(left, len(left) - len(middle), len(middle)).sum()
    fim = [pre, *window[:i], suf, *window[j:], mid, *middle, tokenizer.eot_id]
    both = bits(fim, len(fim) - len(middle) - 1, len(middle) + 1)
    return float(alone), float(both[:-1].sum()), float(both[-1]), len(tokenizer.decode(list(middle)).encode())


def infill_section(studio, fim_record, plain_record, windows: int) -> None:
    from ouvroir.learn.data import FIM_EXTRA
    from ouvroir.learn.generate import load
    from ouvroir.workshop.training import tokenize_snapshot
    from ouvroir.corpus.snapshot import load_snapshot

    delta = fim_record.val_bpb - plain_record.val_bpb
    say(f"infill (a): held-out left-to-right bits per byte {fim_record.val_bpb:.4f} with fim_rate "
        f"{fim_record.config['train']['fim_rate']}, {plain_record.val_bpb:.4f} with 0, same seed, size and "
        f"{fim_record.steps} steps: {delta:+.4f} (target <= +0.02)")  # fmt: skip
    loaded = load(studio.layout.model(fim_record.id), device="cpu")
    tok, gpt = loaded.tokenizer, loaded.model.eval()
    val = np.asarray(tokenize_snapshot(studio, load_snapshot(studio, fim_record.snapshot_id)).data.val_ids, np.int64)
    special = np.asarray(sorted(tok.special_ids.values()))
    length = loaded.config.context + 1 - FIM_EXTRA  # the windows training cuts, cut where training cuts them
    rng = np.random.default_rng(11)
    totals = np.zeros(4)
    by_length: dict[str, np.ndarray] = {}
    drawn = 0
    while drawn < windows:
        start = int(rng.integers(0, len(val) - length))
        window = val[start : start + length]
        i, j = sorted(int(c) for c in rng.integers(0, length + 1, size=2))
        if i < 1 or j - i < 4 or np.isin(window[i:j], special).any():
            continue  # a middle of a few tokens says little; one across a work's end is never trained
        drawn += 1
        scores = np.array(middle_bits(gpt, tok, window, i, j))
        totals += scores
        bucket = "4-31" if j - i < 32 else "32-95" if j - i < 96 else "96+"
        by_length[bucket] = by_length.get(bucket, np.zeros(5)) + np.r_[scores, 1]
    alone, both, end, size = totals
    say(f"infill (b): {windows} held-out middles (cut as training cuts them, after a prefix of a token or more, 4 tokens or more), the middle's own tokens "
        f"scored both ways on the infilling model: {alone / size:.4f} bits per byte after the prefix alone, "
        f"{both / size:.4f} with the suffix too: {both / size - alone / size:+.4f} (target <= -0.1); the end token "
        f"that closes an infilled middle adds {end / size:.4f}")  # fmt: skip
    for bucket in ("4-31", "32-95", "96+"):
        if bucket in by_length:
            a, b, e, s, n = by_length[bucket]
            say(f"  middles of {bucket} tokens ({n:.0f}): prefix alone {a / s:.4f}, with the suffix {b / s:.4f} "
                f"({b / s - a / s:+.4f}), end token {e / s:.4f}")  # fmt: skip


def music_section(root: Path, size: str, steps: int, samples: int, pairs: int, max_tokens: int,
                  diagnose: bool = False) -> None:
    from music21 import converter  # noqa: F401  (music21 is a dependency: its corpus is the data)

    from ouvroir import Studio
    from ouvroir.corpus.ingest import AddOptions
    from ouvroir.corpus.snapshot import load_snapshot
    from ouvroir.demo_music import chorale_files
    from ouvroir.media.music.encoding import decode
    from ouvroir.media.music.score import to_score
    from ouvroir.workshop.generation import GenerationParams, generate_samples

    inbox = root / "chorales"
    inbox.mkdir()
    for path in chorale_files():
        shutil.copy(path, inbox / path.name)
    studio = Studio.init(root / "music-studio")
    report = studio.add([inbox], AddOptions(author="J. S. Bach", license="public-domain", consent="train"))
    say(f"music: {report.count('added')} chorales added")
    record = train(studio, size, steps, fim=True, medium="music")
    snapshot = load_snapshot(studio, record.snapshot_id)
    seen = Counter((w.controls["key"], w.controls["meter"]) for w in snapshot.train_works if w.controls)
    choices = sorted(seen)
    drawn = [choices[k] for k in random.Random(3).sample(range(len(choices)), min(pairs, len(choices)))]
    params = GenerationParams(max_tokens=max_tokens)
    key_hits = meter_hits = total = 0
    t0 = time.perf_counter()
    runs = [(k, m, {}) for k, m in drawn] + ([(k, m, {"voices": ["4"]}) for k, m in drawn] if diagnose else [])
    for key, meter, extra in runs:
        made = generate_samples(studio, record.id, "", samples, params, seed=5, render_audio=False,
                                controls={"key": [key], "meter": [meter], **extra})  # fmt: skip
        keys, meters = Counter(), Counter()
        for s in made:
            piece = decode(s.text)
            if not piece.events:
                keys["(no notes)"] += 1
                meters["(no notes)"] += 1
                continue
            found = to_score(piece).analyze("key")
            keys[f"{found.tonic.name.replace('-', 'b')} {found.mode}"] += 1
            first = piece.bars[0]
            meters[f"{first.numerator}/{first.denominator}"] += 1
        k_hit, m_hit = sum(n for k, n in keys.items() if _same_key(k, key)), meters[meter]
        key_hits, meter_hits, total = key_hits + k_hit, meter_hits + m_hit, total + samples
        say(f"  requested {key}, {meter}{' with 4 voices' if extra else ''} ({seen[(key, meter)]} training chorales): key {k_hit}/{samples}, "
            f"meter {m_hit}/{samples}; keys found {dict(keys.most_common(4))}")  # fmt: skip
    say(f"music control: requested key in {key_hits}/{total} = {key_hits / total:.1%} (target >= 90%), requested "
        f"meter in {meter_hits}/{total} = {meter_hits / total:.1%} (target 100%), {time.perf_counter() - t0:.0f} s")  # fmt: skip
    studio.close()


def _same_key(found: str, requested: str) -> bool:
    from ouvroir.corpus.controls import _key_class

    return _key_class(found) == _key_class(requested)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=("author", "infill", "music"), default=["author", "infill", "music"])
    parser.add_argument("--size", default="tiny")
    parser.add_argument("--steps", type=int, default=400, help="training steps of each poetry model")
    parser.add_argument("--samples", type=int, default=30, help="samples per requested author")
    parser.add_argument("--max-tokens", type=int, default=300)
    parser.add_argument("--middles", type=int, default=300, help="held-out middles scored")
    parser.add_argument("--music-steps", type=int, default=400)
    parser.add_argument("--music-samples", type=int, default=10, help="samples per requested (key, meter)")
    parser.add_argument("--music-pairs", type=int, default=8, help="(key, meter) pairs drawn from the corpus")
    parser.add_argument("--diagnose", action="store_true", help="also request every control the works had")
    args = parser.parse_args()
    torch.manual_seed(0)
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="ouvroir-bench-controls-"))
    try:
        if {"author", "infill"} & set(args.only):
            studio = poetry_studio(root)
            fim = train(studio, args.size, args.steps, fim=True)
            if "author" in args.only:
                author_section(studio, fim, args.samples, args.max_tokens)
                if args.diagnose:
                    forms = list(studio.models.controls(fim.id).get("form", []))
                    author_section(studio, fim, args.samples, args.max_tokens, {"form": forms})
            if "infill" in args.only:
                plain = train(studio, args.size, args.steps, fim=False)
                infill_section(studio, fim, plain, args.middles)
            studio.close()
        if "music" in args.only:
            music_section(root, args.size, args.music_steps, args.music_samples, args.music_pairs, args.max_tokens,
                          args.diagnose)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    say(f"bench/controls_quality.py: {time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
