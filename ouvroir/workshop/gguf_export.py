"""A studio model as one GGUF file, for llama.cpp, Ollama and LM Studio (``ouvroir export MODEL --format gguf DIR``).

The model is first written as a transformers folder in a temporary directory (``export_hf`` for a model
trained here, ``export_merged`` for a fine-tune: its LoRA merged into the base), then converted by
``learn.export_gguf``. The folder ``DIR`` receives ``<model id>.gguf`` and a ``Modelfile`` for Ollama
(``ollama create NAME -f DIR/Modelfile``); ``export_model`` adds the card, the datasheet and the signed
provenance beside them, as for every export.

Refused in one line, before anything is written: a music model (its tokens are score events, which a
text runtime would not turn back into music), a fine-tune of a base that is neither Llama nor Qwen3, and
a model whose layers llama.cpp would compute otherwise than it was trained (see ``check_convertible``).
A fine-tune of Llama 3.1-3.3 exports: their scaled rotary embeddings ("llama3") go into the file as the
per-frequency factors llama.cpp reads (``rope_freqs.weight``); YaRN and other scalings are refused.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..errors import OuvroirError
from ..store import models as model_store
from ..store.blobs import atomic_write

# Ollama wraps a prompt in a template; these models continue text, so the prompt goes in as it is.
MODELFILE = 'FROM ./{file}\nTEMPLATE """{{{{ .Prompt }}}}"""\n'


def gguf_name(record: model_store.ModelRecord) -> str:
    return f"{record.id}.gguf"


def metadata(studio, record: model_store.ModelRecord, license_id: str | None) -> dict:
    """``general.*`` of the file: the model's name, where it comes from, its licence, its base."""
    base = record.config.get("base")
    made = f"fine-tuned from the base model {base['folder']} " if base else "trained from scratch "
    description = (f"ouvroir model {record.id}, {made}on consenting works in a local ouvroir studio; "
                   "its signed provenance (works, consent, hashes) is provenance.json beside this file")  # fmt: skip
    return {"name": record.name or record.id, "description": description, "license": license_id,
            "author": studio.owner, "base_models": [base["folder"]] if base else []}  # fmt: skip


def refuse_unconvertible(studio, record: model_store.ModelRecord) -> None:
    """The refusals that need no export first: a music model, a fine-tune of another architecture."""
    from ..learn.export_gguf import ARCHITECTURES

    if model_store.snapshot_medium(studio.conn, record.snapshot_id) == "music":
        raise OuvroirError(f"model {record.id} writes music (score events): GGUF export is for text models "
                           "(export it with --format hf)")  # fmt: skip
    base = record.config.get("base")
    if base and base.get("model_type") not in ARCHITECTURES:
        raise OuvroirError(f"model {record.id} is fine-tuned from {base['folder']}, a {base.get('model_type')!r} "
                           f"model: GGUF export covers {' and '.join(ARCHITECTURES)} (export it with --format hf)")  # fmt: skip


def export_gguf_folder(studio, record: model_store.ModelRecord, out_dir: Path, dtype: str, license_id: str | None) -> Path:
    """Write ``out_dir/<id>.gguf`` and ``out_dir/Modelfile``; return ``out_dir``."""
    from ..learn.export_gguf import check_convertible, export_gguf

    refuse_unconvertible(studio, record)
    folder = studio.layout.model(record.id)
    with tempfile.TemporaryDirectory(prefix="ouvroir-gguf-") as tmp:
        hf = Path(tmp) / "hf"
        if "base" in record.config:
            from ..learn.export_finetuned import export_merged

            export_merged(folder, record.config, hf)
        else:
            from ..learn.export_hf import export_hf

            export_hf(folder, hf)
        check_convertible(hf, f"model {record.id}")  # before out_dir exists: a refused export leaves nothing behind
        out_dir.mkdir(parents=True, exist_ok=True)
        export_gguf(hf, out_dir / gguf_name(record), dtype, metadata(studio, record, license_id), f"model {record.id}")
    atomic_write(out_dir / "Modelfile", MODELFILE.format(file=gguf_name(record)).encode("utf-8"))
    return out_dir
