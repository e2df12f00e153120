"""Generating in the studio: every sample is stored with its model, prompt, parameters and seed.

A sample is written as a file in its medium's format (``samples/<id>.txt``, or
``.fountain`` when the model's corpus is screenplays) beside a JSON record of
how it was made, and registered in the store. The same model, prompt,
parameters and seed give the same text.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import __version__
from .store import models as model_store
from .store.blobs import atomic_write, sha256_bytes
from .store.db import now, transaction


@dataclass
class GenerationParams:
    max_tokens: int = 300
    temperature: float = 0.8
    top_p: float | None = 0.95
    top_k: int | None = None

    def as_dict(self) -> dict:
        return {"max_tokens": self.max_tokens, "temperature": self.temperature, "top_p": self.top_p, "top_k": self.top_k}


@lru_cache(maxsize=2)
def _load(model_dir: str, device: str):
    from .generate import load

    return load(model_dir, device=device)


def sample_suffix(studio, snapshot_id: str) -> str:
    """``.fountain`` when most of the training text is screenplays, else ``.txt``."""
    forms: Counter[str] = Counter()
    for form, chars in studio.conn.execute(
        "SELECT w.form, w.chars FROM snapshot_works s JOIN works w ON w.id = s.work_id WHERE s.snapshot_id = ?",
        (snapshot_id,),
    ):
        forms[form] += chars
    return ".fountain" if forms and forms.most_common(1)[0][0] == "screenplay" else ".txt"


def generate_samples(
    studio,
    model_ref: str | None = None,
    prompt: str = "",
    n: int = 1,
    params: GenerationParams | None = None,
    seed: int | None = None,
    device: str = "auto",
    on_text: Callable[[str], None] | None = None,
) -> list[model_store.SampleRecord]:
    """Generate ``n`` samples from a model (default: the latest) and store them; return their records."""
    from .generate import generate

    params = params or GenerationParams()
    record = model_store.resolve_model(studio.conn, model_ref)
    seed = secrets.randbelow(2**31) if seed is None else seed
    prompt = unicodedata.normalize("NFC", prompt)
    loaded = _load(str(studio.root / "models" / record.id), device)
    texts = generate(loaded, loaded.tokenizer, prompt, n=n, seed=seed, on_text=on_text if n == 1 else None,
                     **params.as_dict())  # fmt: skip
    suffix = sample_suffix(studio, record.snapshot_id)
    folder = studio.root / "samples"
    samples = []
    created = now()
    for index, text in enumerate(texts):
        sample_id = "g" + secrets.token_hex(5)
        full = prompt + text
        data = full.encode("utf-8")
        path = folder / f"{sample_id}{suffix}"
        atomic_write(path, data)
        info = {
            "sample": sample_id, "model": record.id, "model_weights_sha256": record.weights_sha256,
            "snapshot": record.snapshot_id, "prompt": prompt, "params": params.as_dict(), "seed": seed,
            "n": n, "index": index, "text_sha256": sha256_bytes(data), "created_at": created,
            "generator": f"ouvroir {__version__}",
        }  # fmt: skip
        atomic_write(path.with_suffix(".json"), json.dumps(info, ensure_ascii=False, indent=1).encode())
        samples.append(model_store.SampleRecord(sample_id, record.id, created, prompt,
                                                params.as_dict() | {"n": n, "index": index}, seed,
                                                info["text_sha256"], str(path.relative_to(studio.root)), full))  # fmt: skip
    with transaction(studio.conn):
        for sample in samples:
            model_store.insert_sample(studio.conn, sample)
    return samples


def export_model(studio, model_ref: str | None, out_dir: Path) -> Path:
    from .export_hf import export_hf

    record = model_store.resolve_model(studio.conn, model_ref)
    return export_hf(studio.root / "models" / record.id, out_dir)
