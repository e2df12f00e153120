"""Convert a transformers folder (Llama or Qwen3) into one GGUF file, the format llama.cpp, Ollama and LM Studio run.

Public API::

    export_gguf(hf_dir, out_file, dtype="f16", metadata=None) -> Path
    check_convertible(hf_dir) -> dict            # the config, or one line saying why the folder cannot be converted
    llama3_rope_factors(config) -> np.ndarray    # rope_freqs.weight for a Llama 3.x config
    GGUF_TYPES = ("f16", "f32")

The folder is one the studio wrote: ``export_hf`` (a model trained here) or ``export_merged`` (a
fine-tune, its LoRA merged into the base). The file is written through the ``gguf`` package, which
llama.cpp maintains, the way llama.cpp's own converter writes these two architectures:

* hyperparameters under the architecture's keys (``qwen3.context_length``, ``qwen3.block_count``...);
* tensor names from gguf's ``TensorNameMap`` (``model.layers.0.self_attn.q_proj.weight`` becomes
  ``blk.0.attn_q.weight``); Llama's query and key rows are permuted for llama.cpp's rotary layout
  (``llama_permute``), Qwen3's are not (llama.cpp rotates Qwen3 in the transformers layout);
  tied embeddings have no ``output.weight``: llama.cpp reuses ``token_embd.weight``;
* scaled rotary embeddings as llama.cpp reads them: Llama 3.1-3.3's "llama3" scaling as the ``rope_freqs.weight``
  vector (``llama3_rope_factors``: what llama.cpp divides each base frequency by, so that it turns queries and
  keys by the frequencies transformers computes), "linear" scaling as ``{arch}.rope.scaling.type`` and
  ``.factor``; other scalings (yarn, dynamic, longrope...) are refused, as llama.cpp would need more;
* matrices in ``dtype`` (f16 halves the file), vectors (norms, rope factors) always in f32, as llama.cpp expects;
* the tokenizer as a byte-level BPE (``tokenizer.ggml.model`` "gpt2"): every token, its type and the merges,
  with the pre-tokenizer llama.cpp knows by name (``PRE_TOKENIZERS``: the splitting regex must be the same,
  else llama.cpp cuts a prompt elsewhere and reads other tokens than the studio does).

A work starts after its start token in the studio (BOS, else EOS: see ``finetune_base.start_end_ids``), so the
file names that token BOS and asks for it (``tokenizer.ggml.add_bos_token``): llama.cpp then reads a prompt as
the studio does. No chat template is carried: these models continue text.

>>> export_gguf("abc-hf", "abc.gguf", metadata={"name": "abc"})     # doctest: +SKIP
PosixPath('abc.gguf')
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ouvroir.errors import ModelNotFound

GGUF_TYPES = ("f16", "f32")
ARCHITECTURES = ("llama", "qwen3")
# The pre-tokenizers llama.cpp knows by name, each recognized by what the tokenizer.json says it does.
# ouvroir's own tokenizer (``tokenizer.train_tokenizer``) is GPT-2's: ByteLevel with its regex, no other split.
GPT2_SPLIT = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
QWEN2_SPLIT = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
               "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")  # fmt: skip
LLAMA3_SPLIT = QWEN2_SPLIT.replace("|\\p{N}|", "|\\p{N}{1,3}|")
PRE_TOKENIZERS = {"gpt2": "gpt-2", QWEN2_SPLIT: "qwen2", LLAMA3_SPLIT: "llama-bpe", "digits+gpt2": "smollm"}


def _refuse(who: str, why: str) -> ModelNotFound:
    return ModelNotFound(f"{who} cannot be exported as GGUF: {why}")


# The rotary scalings each architecture carries to llama.cpp. llama.cpp's llama graph reads "llama3" as a
# per-frequency divisor tensor (rope_freqs); "linear" is a key every llama.cpp graph honours. Its YaRN, dynamic
# and longrope need keys and tensors whose agreement with transformers this export does not check: refused.
SCALINGS = {"llama": ("default", "linear", "llama3"), "qwen3": ("default", "linear")}
LLAMA3_KEYS = ("factor", "low_freq_factor", "high_freq_factor")


def rope_parameters(config: dict) -> dict:
    """The rotary settings, where transformers 5 keeps them (``rope_parameters``) or older configs did
    (``rope_scaling``, as Llama 3.2's own config.json has them)."""
    return config.get("rope_parameters") or config.get("rope_scaling") or {}


def rope_type(config: dict) -> str:
    rope = rope_parameters(config)
    return rope.get("rope_type") or rope.get("type") or "default"


def rope_theta(config: dict) -> float:
    return float((config.get("rope_parameters") or {}).get("rope_theta") or config.get("rope_theta") or 10000.0)


def head_dim(config: dict) -> int:
    return config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]


def llama3_rope_factors(config: dict) -> np.ndarray:
    """``rope_freqs.weight`` for Llama 3.1's "llama3" scaling: what llama.cpp divides each base frequency by.

    transformers scales each inverse frequency f (``rope_theta ** (-2i / head_dim)``) by its wavelength 2π/f
    against the pre-training context L (``original_max_position_embeddings``): wavelengths under
    L / high_freq_factor are kept, those over L / low_freq_factor divided by ``factor``, those between
    blended smoothly. llama.cpp keeps the base frequencies and divides them by this vector, one value per pair
    of dimensions, so that it turns queries and keys as transformers does.
    """
    rope = rope_parameters(config)
    factor, low, high = (float(rope[key]) for key in LLAMA3_KEYS)
    # transformers' own precedence: the top-level key (Phi-3 style), then the rotary settings, then the context
    context = float(config.get("original_max_position_embeddings") or rope.get("original_max_position_embeddings")
                    or config["max_position_embeddings"])  # fmt: skip
    dim = head_dim(config)
    wavelength = 2 * np.pi / rope_theta(config) ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)
    smooth = (context / wavelength - low) / (high - low)
    with np.errstate(divide="ignore"):  # the blend is only kept between the two wavelengths, where it is finite
        blended = 1.0 / ((1 - smooth) / factor + smooth)
    kept_or_divided = np.where(wavelength > context / low, factor, 1.0)
    medium = (wavelength >= context / high) & (wavelength <= context / low)
    return np.where(medium, blended, kept_or_divided).astype(np.float32)


def check_convertible(hf_dir: str | os.PathLike, name: str | None = None) -> dict:
    """The folder's config.json, or a ModelNotFound saying in one line why llama.cpp could not run it as it is.

    ``name``: what the line calls the model (default: the folder's name).
    """
    folder = Path(hf_dir)
    who = name or folder.name
    try:
        config = json.loads((folder / "config.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise _refuse(who, f"its config.json is missing or unreadable ({exc})") from None
    kind = config.get("model_type")
    if kind not in ARCHITECTURES:
        raise _refuse(who, f"its architecture is {kind!r}; GGUF export covers {' and '.join(ARCHITECTURES)} "
                           "(export it with --format hf)")  # fmt: skip
    if (act := config.get("hidden_act", "silu")) != "silu":
        # llama.cpp's llama and qwen3 graphs compute SiLU whatever the file says: the model would write nonsense
        raise _refuse(who, f"its MLP activation is {act!r} and llama.cpp's {kind} computes only 'silu': the file "
                           "would run and write nonsense (export it with --format hf: transformers runs it as trained)")  # fmt: skip
    if config.get("attention_bias") or config.get("mlp_bias"):
        raise _refuse(who, "it has attention or MLP biases, which this export does not carry (export it with --format hf)")
    if config.get("use_sliding_window"):
        raise _refuse(who, "it uses sliding-window attention, which this export does not carry (export it with --format hf)")
    _check_rope(config, kind, who)
    _tokenizer_json(folder, who)
    return config


def _check_rope(config: dict, kind: str, who: str) -> None:
    rope = rope_parameters(config)
    if (scaling := rope_type(config)) not in SCALINGS[kind]:
        raise _refuse(who, f"its rotary embeddings are scaled ({scaling!r}), which this export does not carry for "
                           f"{kind} (export it with --format hf)")  # fmt: skip
    if float(rope.get("partial_rotary_factor") or config.get("partial_rotary_factor") or 1.0) != 1.0:
        raise _refuse(who, "its rotary embeddings turn only part of each head, which this export does not carry "
                           "(export it with --format hf)")  # fmt: skip
    if scaling == "linear" and not rope.get("factor"):
        raise _refuse(who, "its linear rotary scaling has no factor")
    if scaling == "llama3" and (any(rope.get(key) is None for key in LLAMA3_KEYS)
                                or rope["low_freq_factor"] == rope["high_freq_factor"]):  # fmt: skip
        raise _refuse(who, "its llama3 rotary scaling needs a factor and two different low_freq_factor and "
                           "high_freq_factor")  # fmt: skip


# -- weights ------------------------------------------------------------------------------------


def llama_permute(weight: np.ndarray, n_head: int) -> np.ndarray:
    """Rows of a Llama query or key projection from transformers' rotary layout (halves) to llama.cpp's (pairs).

    The same reshaping as llama.cpp's converter; ``llama_unpermute`` undoes it.
    """
    return weight.reshape(n_head, 2, weight.shape[0] // n_head // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def llama_unpermute(weight: np.ndarray, n_head: int) -> np.ndarray:
    return weight.reshape(n_head, weight.shape[0] // n_head // 2, 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def load_weights(folder: Path, who: str = "this model") -> dict[str, np.ndarray]:
    """Every tensor of the folder's safetensors files, as float32 numpy arrays (bf16 included)."""
    import torch
    from safetensors import safe_open

    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise _refuse(who, "it has no .safetensors weights")
    weights = {}
    for path in files:
        with safe_open(str(path), framework="pt") as handle:
            for name in handle.keys():
                weights[name] = handle.get_tensor(name).to(torch.float32).numpy()
    return weights


def gguf_tensors(folder: Path, config: dict, who: str = "this model") -> dict[str, np.ndarray]:
    """The folder's weights under llama.cpp's names, Llama's query and key rows permuted, in float32."""
    import gguf

    kind = config["model_type"]
    names = gguf.get_tensor_name_map(_arch(kind), config["num_hidden_layers"])
    n_head, n_kv = config["num_attention_heads"], config.get("num_key_value_heads") or config["num_attention_heads"]
    tied = bool(config.get("tie_word_embeddings"))
    out = {}
    for name, array in load_weights(folder, who).items():
        if tied and name == "lm_head.weight":
            continue  # llama.cpp reads the embedding matrix back when output.weight is absent
        new = names.get_name(name, try_suffixes=(".weight", ".bias"))
        if new is None:
            raise _refuse(who, f"its weight {name} has no place in llama.cpp's {kind}")
        if kind == "llama" and name.endswith("q_proj.weight"):
            array = llama_permute(array, n_head)
        elif kind == "llama" and name.endswith("k_proj.weight"):
            array = llama_permute(array, n_kv)
        out[new] = array
    if not tied and "output.weight" not in out:
        raise _refuse(who, "its lm_head.weight is missing and its embeddings are not tied")
    return out


def _arch(kind: str):
    import gguf

    return {"llama": gguf.MODEL_ARCH.LLAMA, "qwen3": gguf.MODEL_ARCH.QWEN3}[kind]


# -- tokenizer ----------------------------------------------------------------------------------


def _tokenizer_json(folder: Path, who: str) -> dict:
    try:
        data = json.loads((folder / "tokenizer.json").read_text("utf-8"))
    except (OSError, ValueError):
        raise _refuse(who, "it has no readable tokenizer.json (a fast, byte-level BPE tokenizer is needed)") from None
    model = data.get("model") or {}
    if model.get("type") != "BPE" or model.get("byte_fallback") or (data.get("decoder") or {}).get("type") != "ByteLevel":
        raise _refuse(who, "its tokenizer is not a byte-level BPE (a SentencePiece-style vocabulary needs "
                           "llama.cpp's own converter)")  # fmt: skip
    pre_tokenizer_name(data, who)
    return data


def _split_of(pre: dict | None) -> str | None:
    """What a tokenizer.json pre-tokenizer does, as a key of ``PRE_TOKENIZERS`` (None: something else)."""
    if not pre:
        return None
    if pre.get("type") == "ByteLevel":
        return "gpt2" if pre.get("use_regex", True) and not pre.get("add_prefix_space") else None
    steps = pre.get("pretokenizers") or [] if pre.get("type") == "Sequence" else []
    if len(steps) == 2 and steps[1].get("type") == "ByteLevel" and not steps[1].get("add_prefix_space"):
        first, regex = steps[0], steps[1].get("use_regex", True)
        if first.get("type") == "Digits" and first.get("individual_digits") and regex:
            return "digits+gpt2"
        if first.get("type") == "Split" and not regex and first.get("behavior") == "Isolated" and not first.get("invert"):
            return (first.get("pattern") or {}).get("Regex")
    return None


def pre_tokenizer_name(data: dict, who: str = "this model") -> str:
    """The ``tokenizer.ggml.pre`` value whose splitting llama.cpp does as this tokenizer (a tokenizer.json) does.

    >>> pre_tokenizer_name({"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True}})
    'gpt-2'
    """
    split = _split_of(data.get("pre_tokenizer"))
    if split not in PRE_TOKENIZERS:
        raise _refuse(who, "its tokenizer splits text in a way llama.cpp does not know by name (its pre-tokenizer "
                           "is none of GPT-2's, Qwen2's, Llama 3's, SmolLM's)")  # fmt: skip
    return PRE_TOKENIZERS[split]


def vocabulary(data: dict, n_vocab: int) -> tuple[list[str], list[int]]:
    """Every token (its byte-level spelling) and its llama.cpp type, padded to the model's ``n_vocab`` rows."""
    import gguf

    tokens: list[str | None] = [None] * n_vocab
    types = [int(gguf.TokenType.UNUSED)] * n_vocab
    for token, i in data["model"]["vocab"].items():
        if i < n_vocab:
            tokens[i], types[i] = token, int(gguf.TokenType.NORMAL)
    for added in data.get("added_tokens", []):
        if added["id"] < n_vocab:
            kind = gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
            tokens[added["id"]], types[added["id"]] = added["content"], int(kind)
    return [t if t is not None else f"[PAD{i}]" for i, t in enumerate(tokens)], types


# -- the file -----------------------------------------------------------------------------------


def export_gguf(hf_dir: str | os.PathLike, out_file: str | os.PathLike, dtype: str = "f16",
                metadata: dict | None = None, name: str | None = None) -> Path:  # fmt: skip
    """Write ``out_file`` from the transformers folder ``hf_dir``; ``metadata`` fills ``general.*``.

    ``metadata`` keys (each optional): name, description, license, source_url, author, base_models (folder
    names). Nothing is written when the folder cannot be converted (``check_convertible``; ``name`` is what
    its one-line refusal calls the model, the folder's name by default).
    """
    import gguf

    if dtype not in GGUF_TYPES:
        raise ValueError(f"dtype must be one of {GGUF_TYPES}, got {dtype!r}")
    folder, out = Path(hf_dir), Path(out_file)
    who = name or folder.name
    config = check_convertible(folder, who)
    tensors = gguf_tensors(folder, config, who)
    data = _tokenizer_json(folder, who)
    kind, meta = config["model_type"], metadata or {}
    n_vocab = config["vocab_size"]
    dim = head_dim(config)

    partial = out.with_name(out.name + ".partial")
    writer = gguf.GGUFWriter(partial, gguf.MODEL_ARCH_NAMES[_arch(kind)])
    _general(writer, meta, dtype)
    writer.add_vocab_size(n_vocab)
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_head_count_kv(config.get("num_key_value_heads") or config["num_attention_heads"])
    writer.add_key_length(dim)
    writer.add_value_length(dim)
    writer.add_rope_dimension_count(dim)
    writer.add_rope_freq_base(rope_theta(config))
    tensors.update(_rope_scaling(writer, config))
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    _tokenizer(writer, folder, data, n_vocab, who)
    half = dtype == "f16"
    for name, array in tensors.items():
        writer.add_tensor(name, array.astype(np.float16 if half and array.ndim > 1 else np.float32))
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(partial, out)  # a file that is there is whole
    finally:
        partial.unlink(missing_ok=True)
    return out


def _rope_scaling(writer, config: dict) -> dict[str, np.ndarray]:
    """The keys a scaled rotary embedding needs, and the tensor that "llama3" scaling does (none otherwise)."""
    import gguf

    scaling = rope_type(config)
    if scaling == "linear":  # llama.cpp multiplies every frequency by 1 / factor, as transformers does
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(rope_parameters(config)["factor"]))
    elif scaling == "llama3":
        return {gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.ROPE_FREQS] + ".weight": llama3_rope_factors(config)}
    return {}


def _general(writer, meta: dict, dtype: str) -> None:
    import gguf

    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if dtype == "f16" else gguf.LlamaFileType.ALL_F32)
    for key, add in (("name", writer.add_name), ("description", writer.add_description),
                     ("license", writer.add_license), ("source_url", writer.add_source_url),
                     ("author", writer.add_author)):  # fmt: skip
        if meta.get(key):
            add(str(meta[key]))
    bases = meta.get("base_models") or []
    if bases:
        writer.add_base_model_count(len(bases))
        for i, base in enumerate(bases):
            writer.add_base_model_name(i, str(base))


def _tokenizer(writer, folder: Path, data: dict, n_vocab: int, who: str) -> None:
    """Tokens, types, merges and special ids; the start token (BOS, else EOS) is prepended as the studio does."""
    import gguf

    tokens, types = vocabulary(data, n_vocab)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre_tokenizer_name(data, who))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    special = gguf.SpecialVocab(folder, load_merges=True, n_vocab=n_vocab)
    if not special.merges:
        raise _refuse(who, "its tokenizer.json has no merges")
    ids = special.special_token_ids
    start = ids.get("bos", ids.get("eos"))
    if start is None:
        raise _refuse(who, "its tokenizer names neither a BOS nor an EOS token, so a work has no start")
    ids["bos"] = start
    ids.setdefault("eos", start)
    special.add_special_token = {"bos": True, "eos": False}
    special.chat_template = None
    special.add_to_gguf(writer, quiet=True)
