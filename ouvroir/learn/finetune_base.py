"""A pre-trained causal language model on disk, checked before anything is loaded, and LoRA on it.

Public API::

    inspect_base(path, method="lora", device="cpu") -> BaseInfo   # one-line BaseModelError when unusable
    check_rank(info, rank) -> None       # a LoRA rank that does not fit, refused before anything loads
    load_base(info, device) -> (model, tokenizer)
    base_provenance(info) -> dict        # folder, path, config and weights hashes, licence, datasets
    prepare(model, method, rank=None, seed=0) -> (model, {"method", "rank", "alpha", "targets", "trainable_parameters"})
    load_finetuned(model_dir, config, device) -> (model, tokenizer)   # a LoRA model's base checked first
    check_base(model_id, base) -> None   # one-line BaseModelChanged when the base folder is not as fine-tuned on
    hf_generate(model, tokenizer, prompt, n, seed, max_tokens, temperature, top_p, top_k) -> list[str]

Nothing is ever downloaded: every ``from_pretrained`` is ``local_files_only`` and runs with
``HF_HUB_OFFLINE=1``. Weights are read from safetensors only (a pickle can run code).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ouvroir.errors import BaseModelChanged, BaseModelError
from ouvroir.fileio import sha256_file
from ouvroir.i18n.stages import Stage
from ouvroir.learn.base_weights import base_change, file_states

FULL_FACTOR, LORA_FACTOR = 4.0, 1.2  # weights, gradients and AdamW's two moments; LoRA: weights and a little
DEFAULT_RANK = 8
# Attention and MLP projections; peft's own defaults for these families take the attention only.
GPT2_TARGETS = ["c_attn", "c_proj", "c_fc"]
PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "fc1", "fc2", "dense"]


@dataclass
class BaseInfo:
    path: Path
    config: object  # a transformers PretrainedConfig
    parameters: int
    weight_files: list[Path] = field(default_factory=list)


@contextlib.contextmanager
def offline():
    """HF_HUB_OFFLINE=1 for the call (``local_files_only`` is what guarantees it; this covers the rest)."""
    before = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"  # before transformers is first imported: huggingface_hub reads it then
    try:
        from transformers.utils import logging

        logging.disable_progress_bar()  # the studio shows its own progress
        yield
    finally:
        if before is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = before


def _local_name(name: str) -> str:
    return Path(name.rstrip("/")).name or "base"


def fetch_hint(name: str) -> str:
    local = _local_name(name)
    return (f"{name!r} is not a folder on this computer, and ouvroir never downloads models: fetch it yourself, "
            f"e.g. `huggingface-cli download {name} --local-dir models/{local}` (or `git clone "
            f"https://huggingface.co/{name} models/{local}`), then `ouvroir train --from models/{local}`")  # fmt: skip


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def inspect_base(path: str | os.PathLike, method: str = "lora", device: str | torch.device = "cpu") -> BaseInfo:
    """Check the folder is a usable causal LM and that fine-tuning it fits in memory, without loading it."""
    with offline():
        import transformers
        from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

    path = Path(path).expanduser()
    if not path.is_dir():
        raise BaseModelError(Stage("base_not_a_folder", fetch_hint(str(path)), name=str(path), local=_local_name(str(path))))
    if not (path / "config.json").is_file():
        raise BaseModelError(Stage("base_no_config", f"{path} is not a transformers model folder: it has no config.json",
                                   path=str(path)))  # fmt: skip
    try:
        raw = json.loads((path / "config.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BaseModelError(Stage("base_config_unreadable", f"{path}/config.json cannot be read ({_first_line(exc)})",
                                   path=str(path), detail=_first_line(exc))) from None  # fmt: skip
    try:
        with offline():
            config = transformers.AutoConfig.from_pretrained(path, local_files_only=True)
    except Exception as exc:  # transformers raises ValueError, KeyError or OSError for an unknown model_type
        raise BaseModelError(Stage("base_unknown_architecture", f"{path}: transformers {transformers.__version__} does not "
                                   f"know this architecture (model_type {raw.get('model_type')!r}): {_first_line(exc)}",
                                   path=str(path), version=transformers.__version__, model_type=repr(raw.get("model_type")),
                                   detail=_first_line(exc))) from None  # fmt: skip
    if type(config) not in MODEL_FOR_CAUSAL_LM_MAPPING:
        raise BaseModelError(Stage("base_not_causal", f"{path}: a {config.model_type!r} model is not a causal language model "
                                   "(AutoModelForCausalLM cannot load it)", path=str(path),
                                   model_type=repr(config.model_type)))  # fmt: skip
    weights = weight_files(path)
    if not any((path / name).is_file() for name in ("tokenizer.json", "tokenizer.model", "vocab.json", "tokenizer_config.json")):
        raise BaseModelError(Stage("base_no_tokenizer", f"{path} has no tokenizer (no tokenizer.json, tokenizer.model or "
                                   "vocab.json): copy the model's tokenizer files into the folder", path=str(path)))  # fmt: skip
    check_shape(path, config, weights)  # before building even an empty model: a crafted config can ask for 10^9 layers
    parameters = count_parameters(config)
    check_memory(path, parameters, method, torch.device(device))
    return BaseInfo(path.resolve(), config, parameters, weights)


def weight_files(path: Path) -> list[Path]:
    """The folder's safetensors files, each header read and its size checked against it."""
    from safetensors import safe_open

    index = path / "model.safetensors.index.json"
    if index.is_file():
        try:
            names = sorted(set(json.loads(index.read_text("utf-8"))["weight_map"].values()))
        except (OSError, ValueError, KeyError) as exc:
            raise BaseModelError(Stage("base_index_corrupt", f"{index} is corrupt ({_first_line(exc)})", index=str(index),
                                       detail=_first_line(exc))) from None  # fmt: skip
        files = [path / n for n in names]
        if missing := [f.name for f in files if not f.is_file()]:
            raise BaseModelError(Stage("base_partial", f"{path} is partial: {', '.join(missing)} named by its index is "
                                       "missing", path=str(path), missing=", ".join(missing)))  # fmt: skip
    else:
        files = sorted(path.glob("*.safetensors"))
    if not files:
        other = "pytorch_model.bin (a pickle, which ouvroir does not load)" if (path / "pytorch_model.bin").exists() else "none"
        raise BaseModelError(Stage("base_no_weights" + ("_pickle" if other != "none" else ""),
                                   f"{path} has no .safetensors weights (found: {other})", path=str(path)))  # fmt: skip
    for file in files:
        try:
            with safe_open(str(file), framework="pt") as handle:
                handle.keys()
        except Exception as exc:  # safetensors' own error type: a bad header, a file cut short
            raise BaseModelError(Stage("base_corrupt_weights", f"{file} is corrupt or partial ({_first_line(exc)}): fetch it "
                                       "again", file=str(file), detail=_first_line(exc))) from None  # fmt: skip
    return files


SHAPE_SLACK = 4  # the rough count below can overshoot a real model (narrow MLPs, grouped key/value heads)


def check_shape(path: Path, config, files: list[Path]) -> None:
    """Refuse a config that declares far more parameters than its safetensors files hold.

    A real model's weights match its config; a config declaring a billion layers over a few kilobytes
    of weights would make transformers build them all (with random values) before any memory check.
    The declared count is the rough 12·layers·width² of a transformer's blocks, read from the config.
    """
    from safetensors import safe_open

    layers, width = getattr(config, "num_hidden_layers", None), getattr(config, "hidden_size", None)
    if not isinstance(layers, int) or not isinstance(width, int):
        return
    declared = 12 * layers * width * width
    stored = 0
    for file in files:
        with safe_open(str(file), framework="pt") as handle:
            stored += sum(math.prod(handle.get_slice(k).get_shape()) for k in handle.keys())
    if declared > SHAPE_SLACK * stored:
        raise BaseModelError(Stage("base_shape_mismatch", f"{path}: its config.json describes a model of about {declared:,} "
                                   f"parameters and its weights hold {stored:,}: the config does not match the weights",
                                   path=str(path), declared=f"{declared:,}", stored=f"{stored:,}"))  # fmt: skip


def count_parameters(config) -> int:
    """The model's parameter count, from its config alone (built on the meta device: no memory used)."""
    import transformers

    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters())


def available_memory(device: torch.device) -> int:
    """Bytes free for training: the GPU's free memory on CUDA, else the system's available memory."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        text = Path("/proc/meminfo").read_text()
        return int(re.search(r"MemAvailable:\s+(\d+) kB", text).group(1)) * 1024


def check_memory(path: Path, parameters: int, method: str, device: torch.device) -> None:
    need = parameters * 4 * (FULL_FACTOR if method == "full" else LORA_FACTOR)
    free = available_memory(device)
    if need > free:
        what = "a full fine-tune" if method == "full" else "LoRA"
        line = (f"{path}: {what} of its {parameters / 1e6:,.0f} M parameters needs about {need / 2**30:,.1f} GB of memory "
                f"and {free / 2**30:,.1f} GB is free" + (": try --lora" if method == "full" else ": choose a smaller model"))
        raise BaseModelError(Stage(f"base_memory_{method}", line, path=str(path), millions=round(parameters / 1e6),
                                   need=round(need / 2**30, 1), free=round(free / 2**30, 1)))  # fmt: skip


def load_base(info: BaseInfo, device) -> tuple:
    """(model in float32 on ``device``, tokenizer); any failure is one line naming the folder."""
    import transformers

    try:
        with offline():
            tokenizer = transformers.AutoTokenizer.from_pretrained(info.path, local_files_only=True)
    except Exception as exc:
        raise BaseModelError(Stage("base_tokenizer_unloadable", f"{info.path}: its tokenizer cannot be loaded "
                                   f"({_first_line(exc)})", path=str(info.path), detail=_first_line(exc))) from None  # fmt: skip
    try:
        with offline():
            model = transformers.AutoModelForCausalLM.from_pretrained(info.path, local_files_only=True,
                                                                      dtype=torch.float32, use_safetensors=True)  # fmt: skip
    except Exception as exc:
        raise BaseModelError(Stage("base_weights_unloadable", f"{info.path}: its weights cannot be loaded "
                                   f"({_first_line(exc)})", path=str(info.path), detail=_first_line(exc))) from None  # fmt: skip
    return model.to(device), tokenizer


def front_matter(readme: Path) -> dict:
    """The licence and datasets a model card's YAML front matter declares (simple keys and lists only)."""
    try:
        text = readme.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    match = re.match(r"---\s*\n(.*?)\n---", text, re.S)
    if not match:
        return {}
    found: dict[str, object] = {}
    key = None
    for line in match.group(1).splitlines():
        if m := re.match(r"([A-Za-z_]+):\s*(.*)$", line):
            key, value = m.group(1), m.group(2).strip().strip("'\"")
            if key in ("license", "license_name", "datasets"):
                found[key] = value or []
        elif key in ("license", "license_name", "datasets") and (m := re.match(r"\s*-\s*(.+)$", line)):
            found[key] = [*(found[key] if isinstance(found[key], list) else []), m.group(1).strip().strip("'\"")]
    return {("licence" if k.startswith("license") else k): v for k, v in found.items() if v}


def base_provenance(info: BaseInfo) -> dict:
    """What the base model is, by hashes: it lives outside the studio and its training data outside the consent ledger."""
    return {"folder": info.path.name, "path": str(info.path), "model_type": info.config.model_type,
            "parameters": info.parameters, "config_sha256": sha256_file(info.path / "config.json"),
            "weights_state": file_states(info.weight_files),  # first: a write while hashing shows as a change
            "weights_sha256": {f.name: sha256_file(f) for f in info.weight_files}} | front_matter(info.path / "README.md")  # fmt: skip


def shape(config) -> dict:
    """The base's layers, width, heads, context and vocabulary, in the names ouvroir's own models use."""
    get = lambda *names: next((getattr(config, n) for n in names if getattr(config, n, None) is not None), None)  # noqa: E731
    return {"n_layer": get("num_hidden_layers"), "d_model": get("hidden_size"), "n_head": get("num_attention_heads"),
            "context": get("max_position_embeddings", "n_positions"), "vocab_size": get("vocab_size")}  # fmt: skip


def lora_targets(model) -> list[str]:
    """Attention and MLP projection names: GPT-2's Conv1D layers, the usual ``*_proj``, else every linear layer."""
    if model.config.model_type == "gpt2":
        return list(GPT2_TARGETS)
    output = model.get_output_embeddings()
    names = {name.rsplit(".", 1)[-1] for name, module in model.named_modules()
             if isinstance(module, torch.nn.Linear) and module is not output}  # fmt: skip
    return [n for n in PROJECTIONS if n in names] or sorted(names)


def fitting_targets(model, rank: int) -> list[str]:
    """The layers LoRA adapts, once ``rank`` is known to fit the narrowest of them (a one-line refusal if not)."""
    targets = lora_targets(model)
    widths = [min(m.weight.shape) for name, m in model.named_modules()
              if name.rsplit(".", 1)[-1] in targets and hasattr(m, "weight")]  # fmt: skip
    if rank < 1 or (widths and rank > min(widths)):
        most = min(widths or [1])
        raise BaseModelError(Stage("base_rank", f"LoRA rank {rank} does not fit this model: give a rank from 1 to {most} "
                                   f"(the narrowest of its {', '.join(targets)} layers)", rank=rank, most=most,
                                   targets=", ".join(targets)))  # fmt: skip
    return targets


def check_rank(info: BaseInfo, rank: int | None) -> None:
    """``prepare``'s rank refusal before anything loads: the model built from its config on the meta device."""
    import transformers

    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(info.config)
    fitting_targets(model, DEFAULT_RANK if rank is None else rank)


def prepare(model, method: str, rank: int | None = None, seed: int = 0) -> tuple:
    """LoRA adapters on the projections (the base frozen), or every weight trainable; return (model, what).

    The adapters' initial weights are drawn from ``seed``: the same seed, the same fine-tune.
    """
    total = sum(p.numel() for p in model.parameters())
    if method == "full":
        model.requires_grad_(True)
        return model, {"method": "full", "rank": None, "targets": None, "trainable_parameters": total, "parameters": total}
    from peft import LoraConfig, get_peft_model

    rank = DEFAULT_RANK if rank is None else rank
    targets = fitting_targets(model, rank)
    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules=targets, bias="none",
                        fan_in_fan_out=model.config.model_type == "gpt2", task_type="CAUSAL_LM")  # fmt: skip
    torch.manual_seed(seed)
    model = get_peft_model(model, config)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return model, {"method": "lora", "rank": rank, "alpha": 2 * rank, "targets": targets,
                   "trainable_parameters": trainable, "parameters": total + trainable}  # fmt: skip


def load_finetuned(model_dir: str | os.PathLike, config: dict, device) -> tuple:
    """A studio's fine-tuned model: its base with the adapter (LoRA), or its own full weights."""
    import transformers

    model_dir = Path(model_dir)
    with offline():
        tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        if config.get("method") == "full":
            model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True, dtype=torch.float32)
        else:
            from peft import PeftModel

            base = config["base"]
            path = Path(base["path"])
            check_base(model_dir.name, base)
            model = transformers.AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=torch.float32)
            model = PeftModel.from_pretrained(model, model_dir)
    return model.to(device).eval(), tokenizer


def check_base(model: str, base: dict) -> None:
    """A LoRA model's base folder as it was at fine-tuning, else one line naming the folder and what changed."""
    if change := base_change(base):
        raise BaseModelChanged(f"model {model} is a LoRA adapter on its base model, and {change}: put the base it was "
                               f"fine-tuned on back in {base['path']}, or fine-tune afresh with "
                               f"`ouvroir train --from {base['path']}`")  # fmt: skip


def start_end_ids(tokenizer) -> tuple[int | None, int | None]:
    """The token a work starts after (BOS, else EOS) and the one that ends it (EOS)."""
    start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    return start, tokenizer.eos_token_id


@torch.no_grad()
def hf_generate(model, tokenizer, prompt: str, n: int = 1, seed: int = 0, max_tokens: int = 300,
                temperature: float = 0.8, top_p: float | None = 0.95, top_k: int | None = None) -> list[str]:  # fmt: skip
    """``n`` continuations of ``prompt`` (a new work: after the start token); the parameters are the whole story."""
    from transformers import GenerationConfig

    start, end = start_end_ids(tokenizer)
    prompt_ids = ([start] if start is not None else []) + tokenizer(prompt, add_special_tokens=False)["input_ids"]
    if not prompt_ids:
        raise BaseModelError("this model's tokenizer has no start token: give a prompt")
    if limit := getattr(model.config, "max_position_embeddings", None):  # learned positions end there (GPT-2)
        keep = max(1, limit - min(max_tokens, limit // 2))
        prompt_ids = prompt_ids[-keep:]  # a long prompt's start falls out of view, as in a sliding window
        max_tokens = max(1, min(max_tokens, limit - len(prompt_ids)))
    device = next(model.parameters()).device
    ids = torch.tensor([prompt_ids] * n, device=device)
    sample = temperature > 0
    config = GenerationConfig(max_new_tokens=max_tokens, do_sample=sample, temperature=temperature if sample else None,
                              top_p=top_p if sample else None, top_k=(top_k or 0) if sample else None,
                              eos_token_id=end, pad_token_id=end if end is not None else 0)  # fmt: skip
    torch.manual_seed(seed)
    out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=config)
    head = tokenizer.decode(prompt_ids, skip_special_tokens=True)
    texts = []
    for row in out[:, len(prompt_ids) :].tolist():
        if end is not None and end in row:
            row = row[: row.index(end)]
        whole = tokenizer.decode(prompt_ids + row, skip_special_tokens=True)
        texts.append(whole[len(head) :] if whole.startswith(head) else tokenizer.decode(row, skip_special_tokens=True))
    return texts
