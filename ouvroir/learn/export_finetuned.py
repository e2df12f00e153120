"""Export a fine-tuned model (see ``finetune``) where other tools load it: peft's adapter folder, or merged weights.

Public API::

    export_peft(model_dir, config, out_dir) -> Path     # LoRA only: the adapter, its base named, the tokenizer
    export_merged(model_dir, config, out_dir) -> Path   # a transformers folder: LoRA merged into its base, or full weights

``config`` is the fine-tuned model's configuration as the studio stores it (``finetune.json``):
its ``base`` (folder name, config and weights hashes, licence, datasets), method and rank.

The adapter folder loads in plain peft on the same base, which the user has on disk::

    base = AutoModelForCausalLM.from_pretrained("models/Qwen3-0.6B")
    model = PeftModel.from_pretrained(base, "my-adapter")

Its ``adapter_config.json`` names the base by its folder name (never the path on this computer);
``base_model.json`` beside it gives the base's config and weights hashes, so a person can check
they load the very model the adapter was trained on. The merged folder needs no base: LoRA's
product is added into the base's weights (``merge_and_unload``) and saved as safetensors.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ouvroir.errors import ModelNotFound
from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn.finetune_base import load_finetuned, offline

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
BASE_FILE = "base_model.json"
# The base's provenance as it leaves the studio: "path" would tell where the person keeps files on their computer.
BASE_KEYS = ("folder", "model_id", "model_type", "parameters", "config_sha256", "weights_sha256", "licence", "datasets")


def base_record(config: dict) -> dict:
    """What an export says of the base: its folder name, hashes, licence and declared data, not its path."""
    return {k: config["base"][k] for k in BASE_KEYS if k in config["base"]}


def _save_tokenizer(model_dir: Path, out: Path) -> None:
    import transformers

    with offline():
        tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    tokenizer.save_pretrained(out)


def export_peft(model_dir: str | os.PathLike, config: dict, out_dir: str | os.PathLike) -> Path:
    """The LoRA adapter in peft's format, its base named by folder, with the tokenizer and ``base_model.json``."""
    model_dir, out = Path(model_dir), Path(out_dir)
    if config.get("method") != "lora":
        raise ModelNotFound(f"{model_dir.name} fine-tuned every weight of its base: it has no adapter to export "
                            "as peft (export it with --format hf)")  # fmt: skip
    if missing := [name for name in ADAPTER_FILES if not (model_dir / name).is_file()]:
        raise ModelNotFound(f"{model_dir} lacks {', '.join(missing)}: the adapter is incomplete")
    out.mkdir(parents=True, exist_ok=True)
    adapter = json.loads((model_dir / "adapter_config.json").read_text("utf-8"))
    adapter["base_model_name_or_path"] = config["base"]["folder"]  # peft's own field; never the path on this computer
    ckpt.atomic_write_json(out / "adapter_config.json", adapter)
    shutil.copyfile(model_dir / "adapter_model.safetensors", out / "adapter_model.safetensors")
    _save_tokenizer(model_dir, out)
    ckpt.atomic_write_json(out / BASE_FILE, base_record(config))
    return out


def export_merged(model_dir: str | os.PathLike, config: dict, out_dir: str | os.PathLike) -> Path:
    """A transformers folder that needs no base: LoRA merged into the base's weights, or the full fine-tune as it is."""
    model_dir, out = Path(model_dir), Path(out_dir)
    model, tokenizer = load_finetuned(model_dir, config, "cpu")  # a LoRA adapter's base is checked by its config hash
    if config.get("method") != "full":
        model = model.merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True, max_shard_size="1000GB")
    tokenizer.save_pretrained(out)
    (out / "README.md").unlink(missing_ok=True)  # the studio writes its own card there
    ckpt.atomic_write_json(out / BASE_FILE, base_record(config))
    return out
