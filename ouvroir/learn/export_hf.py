"""Export a trained model as a Hugging Face ``transformers`` directory (Qwen3).

Public API::

    export_hf(model_dir, out_dir) -> Path

ouvroir's GPT is layer for layer a Qwen3 (see ``model.py``), so the export
renames weights (``model.`` prefix) and writes a ``Qwen3Config``; the
exported model computes the same logits and continues text exactly as
ouvroir does. The directory loads offline::

    from transformers import AutoModelForCausalLM, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(DIR)
    model = AutoModelForCausalLM.from_pretrained(DIR)
    ids = tok("ROMEO:", return_tensors="pt").input_ids   # starts with <|endoftext|>
    out = model.generate(ids, max_new_tokens=50, do_sample=False)

Like ouvroir, the exported tokenizer puts ``<|endoftext|>`` (a new work)
before the text, and generation stops at the next one; like ouvroir, it never
writes the infilling and control tokens (``suppress_tokens``).

>>> export_hf("studio/models/abc", "abc-hf")     # doctest: +SKIP
PosixPath('abc-hf')
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ouvroir.learn import checkpoint as ckpt
from ouvroir.errors import ModelNotFound
from ouvroir.learn.tokenizer import EOT


def qwen3_config_dict(meta: dict, eot_id: int) -> dict:
    m = meta["model"]
    return {
        "architectures": ["Qwen3ForCausalLM"],
        "model_type": "qwen3",
        "vocab_size": m["vocab_size"],
        "hidden_size": m["d_model"],
        "intermediate_size": m["d_ff"],
        "num_hidden_layers": m["n_layer"],
        "num_attention_heads": m["n_head"],
        "num_key_value_heads": m["n_kv_head"],
        "head_dim": m["head_dim"],
        "hidden_act": m["hidden_act"],
        "max_position_embeddings": m["context"],
        "rms_norm_eps": m["norm_eps"],
        "rope_parameters": {"rope_type": "default", "rope_theta": m["rope_theta"]},
        "rope_theta": m["rope_theta"],  # older transformers read this key
        "tie_word_embeddings": m["tie_embeddings"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "use_sliding_window": False,
        "bos_token_id": eot_id,
        "eos_token_id": eot_id,
        "pad_token_id": eot_id,
        "torch_dtype": "float32",
        "dtype": "float32",
        "use_cache": True,
    }


def export_hf(model_dir: str | os.PathLike, out_dir: str | os.PathLike) -> Path:
    """Write config.json, model.safetensors, tokenizer files and generation_config.json."""
    model_dir, out = Path(model_dir), Path(out_dir)
    meta = ckpt.read_json(model_dir / ckpt.CONFIG)
    weights, _ = ckpt.load_weights(model_dir / ckpt.WEIGHTS)
    tok_path = model_dir / ckpt.TOKENIZER
    if not tok_path.exists():
        raise ModelNotFound(f"{model_dir} has no tokenizer.json: copy the snapshot's tokenizer into it first")
    tokenizer_json = json.loads(tok_path.read_text())
    eot_id = next((t["id"] for t in tokenizer_json.get("added_tokens", []) if t["content"] == EOT), None)
    if eot_id is None:
        raise ModelNotFound(f"{tok_path} has no {EOT} token: it is not an ouvroir tokenizer")
    out.mkdir(parents=True, exist_ok=True)

    hf_weights = {(k if k.startswith("lm_head.") else f"model.{k}"): v for k, v in weights.items()}
    if meta["model"]["tie_embeddings"]:
        hf_weights.pop("lm_head.weight", None)
    ckpt.save_weights(out / "model.safetensors", hf_weights, {"format": "pt"})
    ckpt.atomic_write_json(out / "config.json", qwen3_config_dict(meta, eot_id))
    # The infilling sentinels and control tokens only steer: the studio never writes them, nor should transformers.
    steering = sorted(t["id"] for t in tokenizer_json.get("added_tokens", []) if t.get("special") and t["id"] != eot_id)
    ckpt.atomic_write_json(
        out / "generation_config.json",
        {
            "bos_token_id": eot_id,
            "eos_token_id": eot_id,
            "pad_token_id": eot_id,
            "do_sample": False,
        } | ({"suppress_tokens": steering} if steering else {}),
    )
    # A work starts after <|endoftext|>: the HF tokenizer adds it like a BOS token.
    tokenizer_json["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": EOT, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [
            {"SpecialToken": {"id": EOT, "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}},
            {"Sequence": {"id": "B", "type_id": 0}},
        ],
        "special_tokens": {EOT: {"id": EOT, "ids": [eot_id], "tokens": [EOT]}},
    }
    ckpt.atomic_write_json(out / "tokenizer.json", tokenizer_json)
    ckpt.atomic_write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": EOT,
            "eos_token": EOT,
            "pad_token": EOT,
            "unk_token": None,
            "add_bos_token": True,
            "model_max_length": meta["model"]["context"],
            "clean_up_tokenization_spaces": False,
        },
    )
    ckpt.atomic_write_json(out / "special_tokens_map.json", {"bos_token": EOT, "eos_token": EOT, "pad_token": EOT})
    return out
