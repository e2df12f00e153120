"""`ouvroir export MODEL --format gguf DIR`: one GGUF file that llama.cpp, Ollama and LM Studio run, signed like any export.

Tiny models built here (ouvroir's own GPT, Llama and Qwen3 bases from configs, see test_finetune): the file reads
back through gguf's own reader with every tensor equal to the source (Llama's query and key rows permuted for
llama.cpp, and back), the hyperparameters and the tokenizer as llama.cpp reads them. Scaled rotary embeddings
(Llama 3.x's "llama3", "linear") give llama.cpp the frequencies transformers itself computes for the config.
Where llama-cpp-python is installed, its greedy continuation equals the studio's, token for token.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
import torch
from tests.test_finetune import _stored, bases, build_base, no_network, poem, poems  # noqa: F401 (fixtures)

from ouvroir.errors import ModelNotFound
from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn import finetune_base as fb
from ouvroir.learn.export_gguf import (LLAMA3_SPLIT, QWEN2_SPLIT, check_convertible, export_gguf, llama_permute,
                                       llama_unpermute, pre_tokenizer_name)
from ouvroir.learn.export_hf import export_hf
from ouvroir.learn.generate import generate, load
from ouvroir.learn.model import GPT, ModelConfig
from ouvroir.learn.tokenizer import train_tokenizer
from ouvroir.workshop import training

gguf = pytest.importorskip("gguf")
transformers = pytest.importorskip("transformers")

TEXT = "Demain, dès l'aube, à l'heure où blanchit la campagne, je partirai. Vois-tu, je sais que tu m'attends. " * 10
PROMPT = "Demain, dès l'aube"


def _own_model(folder, **overrides):
    """One of the studio's own GPTs in its folder, with weights spread out enough that greedy choices are clear."""
    tok = train_tokenizer([TEXT], vocab_size=320)
    torch.manual_seed(0)
    gpt = GPT(ModelConfig(vocab_size=tok.vocab_size, context=64, n_layer=2, d_model=32, n_head=2, hidden_act="silu",
                          **overrides))  # fmt: skip
    with torch.no_grad():
        for p in gpt.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    ckpt.save_model(folder, gpt, tok)
    return tok


def _fields(reader) -> dict:
    return {name: field.contents() for name, field in reader.fields.items()}


def _source(hf_dir) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return {k: v.astype(np.float32) for k, v in load_file(hf_dir / "model.safetensors").items()}


def _hf_name(gguf_name: str, n_layers: int, kind: str) -> str:
    """transformers' name of a GGUF tensor, through the same TensorNameMap (inverted)."""
    arch = {"llama": gguf.MODEL_ARCH.LLAMA, "qwen3": gguf.MODEL_ARCH.QWEN3}[kind]
    names = gguf.get_tensor_name_map(arch, n_layers)
    candidates = ["model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"] + [
        f"model.layers.{i}.{part}.weight" for i in range(n_layers)
        for part in ("input_layernorm", "post_attention_layernorm", "self_attn.q_proj", "self_attn.k_proj",
                     "self_attn.v_proj", "self_attn.o_proj", "self_attn.q_norm", "self_attn.k_norm", "mlp.gate_proj",
                     "mlp.up_proj", "mlp.down_proj")]  # fmt: skip
    return next(c for c in candidates if names.get_name(c, try_suffixes=(".weight",)) == gguf_name)


def _assert_tensors_equal(path, hf_dir, dtype: str) -> set[str]:
    """Every tensor of the file equals its source (cast to f16 for an f16 file), Llama's q/k permutation undone."""
    config = json.loads((hf_dir / "config.json").read_text())
    kind, n_layers = config["model_type"], config["num_hidden_layers"]
    source = _source(hf_dir)
    reader = gguf.GGUFReader(path)
    seen = set()
    for tensor in reader.tensors:
        if tensor.name == "rope_freqs.weight":
            continue  # computed from the config, not a weight of the folder: see the scaled-rotary tests
        name = _hf_name(tensor.name, n_layers, kind)
        data = np.array(tensor.data).reshape(source[name].shape)
        if kind == "llama" and name.endswith(("q_proj.weight", "k_proj.weight")):
            heads = config["num_attention_heads"] if "q_proj" in name else config["num_key_value_heads"]
            data = llama_unpermute(data, heads)
        matrix = source[name].ndim > 1
        expected = source[name].astype(np.float16) if dtype == "f16" and matrix else source[name]
        assert data.dtype == (np.float16 if dtype == "f16" and matrix else np.float32), tensor.name
        assert np.array_equal(data, expected), tensor.name
        seen.add(name)
    assert seen == set(source)  # every weight, nothing else
    return {t.name for t in reader.tensors}


@pytest.mark.parametrize("dtype", ["f16", "f32"])
@pytest.mark.parametrize("overrides", [{}, {"n_kv_head": 1, "tie_embeddings": True}])
def test_an_own_model_reads_back_with_every_tensor_equal_and_its_tokenizer(tmp_path, dtype, overrides):
    tok = _own_model(tmp_path / "model", **overrides)
    hf = export_hf(tmp_path / "model", tmp_path / "hf")
    path = export_gguf(hf, tmp_path / "m.gguf", dtype, {"name": "Mon modèle", "license": "cc-by-4.0"})
    names = _assert_tensors_equal(path, hf, dtype)
    assert ("output.weight" in names) == (not overrides.get("tie_embeddings"))  # tied: llama.cpp reuses token_embd

    fields = _fields(gguf.GGUFReader(path))
    assert fields["general.architecture"] == "qwen3" and fields["general.name"] == "Mon modèle"
    assert fields["general.license"] == "cc-by-4.0"
    assert fields["general.file_type"] == (1 if dtype == "f16" else 0)
    expected = {"context_length": 64, "embedding_length": 32, "block_count": 2, "feed_forward_length": 96,
                "attention.head_count": 2, "attention.head_count_kv": overrides.get("n_kv_head", 2),
                "attention.key_length": 16, "attention.value_length": 16, "rope.freq_base": 10000.0}  # fmt: skip
    assert {k: fields[f"qwen3.{k}"] for k in expected} == expected
    assert fields["qwen3.attention.layer_norm_rms_epsilon"] == pytest.approx(1e-6)
    # the tokenizer as llama.cpp reads it: GPT-2's byte-level BPE, every token in id order, the merges in rank order
    data = json.loads((hf / "tokenizer.json").read_text())
    vocab = sorted(data["model"]["vocab"].items(), key=lambda kv: kv[1])
    assert fields["tokenizer.ggml.model"] == "gpt2" and fields["tokenizer.ggml.pre"] == "gpt-2"
    assert fields["tokenizer.ggml.tokens"] == [t for t, _ in vocab] and len(vocab) == tok.vocab_size
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
    assert fields["tokenizer.ggml.merges"] == merges and merges
    types = fields["tokenizer.ggml.token_type"]
    # <|endoftext|> and the infilling sentinels are control tokens: llama.cpp never reads them out of a prompt's text
    assert {i for i, t in enumerate(types) if t == gguf.TokenType.CONTROL} == set(tok.special_ids.values())
    assert tok.eot_id in tok.special_ids.values() and set(types) == {gguf.TokenType.NORMAL, gguf.TokenType.CONTROL}
    # a work starts after <|endoftext|>, and ends at the next one
    assert fields["tokenizer.ggml.bos_token_id"] == fields["tokenizer.ggml.eos_token_id"] == tok.eot_id
    assert fields["tokenizer.ggml.add_bos_token"] is True and "tokenizer.chat_template" not in fields


@pytest.mark.parametrize("kind", ["llama", "qwen3"])
def test_a_pretrained_base_reads_back_equal_its_llama_rows_permuted_as_llama_cpp_rotates_them(tmp_path, kind):
    base = build_base(kind, tmp_path / kind)
    path = export_gguf(base, tmp_path / "b.gguf", "f32", {"base_models": ["Qwen3-0.6B"]})
    _assert_tensors_equal(path, base, "f32")
    fields = _fields(gguf.GGUFReader(path))
    assert fields["general.architecture"] == kind and fields["general.base_model.0.name"] == "Qwen3-0.6B"
    config = json.loads((base / "config.json").read_text())
    assert fields[f"{kind}.attention.head_count_kv"] == 1 and fields[f"{kind}.attention.key_length"] == 16
    fast = transformers.AutoTokenizer.from_pretrained(base)
    assert fields["tokenizer.ggml.tokens"] == [fast.convert_ids_to_tokens(i) for i in range(config["vocab_size"])]
    assert fields["tokenizer.ggml.bos_token_id"] == fast.bos_token_id and fields["tokenizer.ggml.add_bos_token"] is True
    if kind == "llama":
        q = _source(base)["model.layers.0.self_attn.q_proj.weight"]
        assert not np.array_equal(llama_permute(q, 2), q)  # the permutation did move rows


def test_llama_permutation_keeps_attention_scores_under_llama_cpp_rotary():
    """transformers rotates halves (i, i + d/2), llama.cpp's llama adjacent pairs (2i, 2i + 1): after the
    permutation, rotated query-key products are the same, so attention is."""
    rng = np.random.default_rng(0)
    heads, d, width = 2, 8, 16
    wq, wk, x = rng.normal(size=(heads * d, width)), rng.normal(size=(heads * d, width)), rng.normal(size=(5, width))
    theta = 10000.0 ** (-np.arange(0, d, 2) / d)

    def halves(v, pos):  # transformers' rotate_half
        a, b = v[..., : d // 2], v[..., d // 2 :]
        c, s = np.cos(pos * theta), np.sin(pos * theta)
        return np.concatenate([a * c - b * s, b * c + a * s], -1)

    def pairs(v, pos):  # llama.cpp's normal rotary
        a, b = v[..., 0::2], v[..., 1::2]
        c, s = np.cos(pos * theta), np.sin(pos * theta)
        return np.stack([a * c - b * s, b * c + a * s], -1).reshape(v.shape)

    def scores(rotate, q_w, k_w):
        q = (x @ q_w.T).reshape(5, heads, d)
        k = (x @ k_w.T).reshape(5, heads, d)
        return np.einsum("ihd,jhd->hij", np.stack([rotate(q[i], i) for i in range(5)]),
                         np.stack([rotate(k[j], j) for j in range(5)]))  # fmt: skip

    assert np.allclose(scores(halves, wq, wk), scores(pairs, llama_permute(wq, heads), llama_permute(wk, heads)))
    assert np.array_equal(llama_unpermute(llama_permute(wq, heads), heads), wq)


LLAMA_32_ROPE = {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                 "original_max_position_embeddings": 8192}  # Llama 3.2 1B's own settings  # fmt: skip


def _scaled_base(kind: str, folder, rope: dict, theta: float = 500000.0, legacy: bool = False):
    """The tiny base of ``kind`` with the rotary settings ``rope``, in config.json as transformers 5 writes them
    (``rope_parameters``) or, ``legacy``, as Llama 3.2's own file has them (``rope_scaling``, ``rope_theta`` apart)."""
    build_base(kind, folder)
    config = json.loads((folder / "config.json").read_text())
    for key in ("rope_parameters", "rope_scaling", "rope_theta"):
        config.pop(key, None)
    if legacy:
        config.update(rope_scaling=rope, rope_theta=theta)
    else:
        config["rope_parameters"] = {**rope, "rope_theta": theta}
    config["max_position_embeddings"] = 131072
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return folder


def _base_frequencies(fields: dict, arch: str) -> np.ndarray:
    """The frequencies llama.cpp starts from, from the file's own keys: freq_base ** (-2i / rope dimensions)."""
    d = fields[f"{arch}.rope.dimension_count"]
    return float(fields[f"{arch}.rope.freq_base"]) ** (-np.arange(0, d, 2, dtype=np.float64) / d)


def _transformers_frequencies(folder) -> np.ndarray:
    """The inverse frequencies transformers turns queries and keys by, for the folder as it loads it."""
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    model = transformers.AutoModelForCausalLM.from_pretrained(folder)
    buffer = model.model.rotary_emb.inv_freq.double().numpy()
    init, attention_factor = ROPE_INIT_FUNCTIONS[model.config.rope_parameters["rope_type"]](model.config)
    assert np.array_equal(buffer, init.double().numpy()) and attention_factor == 1.0
    return buffer


@pytest.mark.parametrize("legacy", [False, True])
def test_a_llama_3_base_gives_llama_cpp_the_rotary_frequencies_transformers_computes(tmp_path, legacy):
    base = _scaled_base("llama", tmp_path / "llama32", LLAMA_32_ROPE, legacy=legacy)
    path = export_gguf(base, tmp_path / "b.gguf", "f16")
    names = _assert_tensors_equal(path, base, "f16")  # every weight as before, f16 matrices
    reader = gguf.GGUFReader(path)
    assert "rope_freqs.weight" in names
    factors = np.array(next(t for t in reader.tensors if t.name == "rope_freqs.weight").data)
    assert factors.dtype == np.float32 and factors.shape == (8,)  # f32 whatever the dtype, one per pair of dims
    fields = _fields(reader)
    assert fields["llama.rope.freq_base"] == 500000.0 and fields["llama.context_length"] == 131072
    assert "llama.rope.scaling.type" not in fields  # llama.cpp reads llama3 scaling from the tensor alone
    # llama.cpp turns pair i by its base frequency divided by rope_freqs[i]: transformers' own frequencies
    ours = _base_frequencies(fields, "llama") / factors
    assert np.allclose(ours, _transformers_frequencies(base), rtol=1e-6, atol=0)
    # the three bands the config draws: short wavelengths kept, long ones divided by factor, one blended
    assert factors[0] == 1.0 and factors[-1] == 32.0 and ((factors > 1.0) & (factors < 32.0)).sum() == 1


@pytest.mark.parametrize("kind", ["llama", "qwen3"])
def test_linear_rotary_scaling_goes_to_llama_cpp_keys(tmp_path, kind):
    base = _scaled_base(kind, tmp_path / kind, {"rope_type": "linear", "factor": 4.0}, theta=10000.0)
    path = export_gguf(base, tmp_path / "b.gguf", "f32")
    names = _assert_tensors_equal(path, base, "f32")
    fields = _fields(gguf.GGUFReader(path))
    assert fields[f"{kind}.rope.scaling.type"] == "linear" and fields[f"{kind}.rope.scaling.factor"] == 4.0
    assert "rope_freqs.weight" not in names
    # llama.cpp multiplies every base frequency by 1 / factor
    ours = _base_frequencies(fields, kind) / fields[f"{kind}.rope.scaling.factor"]
    assert np.allclose(ours, _transformers_frequencies(base), rtol=1e-6, atol=0)


@pytest.mark.parametrize("kind,rope", [
    ("llama", {"rope_type": "dynamic", "factor": 2.0}),
    ("llama", {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}),
    ("qwen3", {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}),
    ("qwen3", LLAMA_32_ROPE),  # llama.cpp's qwen3 graph has no rope_freqs
    ("llama", {"rope_type": "longrope", "short_factor": [1.0] * 8, "long_factor": [2.0] * 8}),
])  # fmt: skip
def test_rotary_scalings_llama_cpp_would_compute_otherwise_are_refused_in_one_line(tmp_path, kind, rope):
    base = _scaled_base(kind, tmp_path / kind, rope, legacy=kind == "llama")
    why = rf"^{kind} cannot be exported as GGUF: its rotary embeddings are scaled \('{rope['rope_type']}'\)[^\n]*$"
    with pytest.raises(ModelNotFound, match=why):
        check_convertible(base)
    with pytest.raises(ModelNotFound, match=why):
        export_gguf(base, tmp_path / "x.gguf")
    assert not list(tmp_path.glob("*.gguf*"))


def test_rotary_settings_the_file_cannot_say_are_refused_in_one_line(tmp_path):
    base = _scaled_base("llama", tmp_path / "llama", {**LLAMA_32_ROPE, "high_freq_factor": 1.0})
    why = r"^llama cannot be exported as GGUF: its llama3 rotary scaling needs[^\n]*$"
    with pytest.raises(ModelNotFound, match=why):
        check_convertible(base)
    partial = _scaled_base("qwen3", tmp_path / "qwen3", {"rope_type": "default", "partial_rotary_factor": 0.5})
    with pytest.raises(ModelNotFound, match=r"^qwen3 cannot be exported as GGUF: its rotary embeddings turn only "
                                            r"part of each head[^\n]*$"):  # fmt: skip
        check_convertible(partial)


TRICKY = "L'aube, 12345 vers\n\n\tVois-tu ? « Non » — n'est-ce pas ?  Œuvre 2026…\r\n  fin  "


def _split_base(folder, split: str | None, kind: str = "qwen3"):
    """A tiny base whose tokenizer splits text as Qwen2's or Llama 3's do (``split``), or with digits apart (None)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(split), behavior="isolated", invert=False),
         pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)] if split else
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)])  # fmt: skip
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())  # fmt: skip
    tok.train_from_iterator([poem(i) + TRICKY for i in range(20)], trainer)
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>")
    config = transformers.Qwen3Config(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                      num_attention_heads=2, num_key_value_heads=1, head_dim=16,
                                      max_position_embeddings=128, eos_token_id=fast.eos_token_id)  # fmt: skip
    transformers.AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return fast


@pytest.mark.parametrize("split,pre", [(QWEN2_SPLIT, "qwen2"), (LLAMA3_SPLIT, "llama-bpe"), (None, "smollm")])
def test_a_base_tokenizer_gets_the_pre_tokenizer_llama_cpp_splits_alike(tmp_path, split, pre):
    fast = _split_base(tmp_path / "base", split)
    path = export_gguf(tmp_path / "base", tmp_path / "b.gguf", "f32")
    fields = _fields(gguf.GGUFReader(path))
    assert fields["tokenizer.ggml.pre"] == pre
    # no BOS: a work starts after EOS, as the studio fine-tunes it
    assert fields["tokenizer.ggml.bos_token_id"] == fast.eos_token_id and fields["tokenizer.ggml.add_bos_token"] is True
    if importlib.util.find_spec("llama_cpp"):  # llama.cpp itself cuts the text where the tokenizer does
        tokens = _llama(path).tokenize(TRICKY.encode(), add_bos=False, special=False)
        assert tokens == fast(TRICKY, add_special_tokens=False).input_ids


def test_a_tokenizer_llama_cpp_does_not_know_is_refused():
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False}
    assert pre_tokenizer_name({"pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated", "invert": False}, byte_level]}}) == "qwen2"
    with pytest.raises(ModelNotFound, match="does not know by name"):
        pre_tokenizer_name({"pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Isolated", "invert": False}, byte_level]}})
    with pytest.raises(ModelNotFound, match="does not know by name"):
        pre_tokenizer_name({"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": True, "use_regex": True}})


def test_what_llama_cpp_would_compute_otherwise_is_refused_in_one_line(tmp_path):
    relu = tmp_path / "relu"
    tok = train_tokenizer([TEXT], vocab_size=300)
    ckpt.save_model(relu, GPT(ModelConfig(vocab_size=tok.vocab_size, context=16, n_layer=1, d_model=16,
                                                     n_head=2)), tok)  # fmt: skip
    hf = export_hf(relu, tmp_path / "hf")
    with pytest.raises(ModelNotFound, match=r"^hf cannot be exported as GGUF: its MLP activation is 'relu2'[^\n]*$"):
        export_gguf(hf, tmp_path / "x.gguf")
    gpt2 = build_base("gpt2", tmp_path / "gpt2")
    with pytest.raises(ModelNotFound, match="architecture is 'gpt2'"):
        check_convertible(gpt2)
    assert not list(tmp_path.glob("*.gguf*"))


@pytest.fixture
def tuned(poems, bases):
    """A LoRA fine-tune of the tiny Qwen3 base on the six consenting poems (a few steps: seconds)."""
    return poems.models.finetune(str(bases["qwen3"]), rank=4, steps=6, context=64, batch_size=4)


def test_a_finetune_exports_as_gguf_merged_signed_and_ready_for_ollama(poems, tuned, run_cli, tmp_path):
    merged, out = tmp_path / "merged", tmp_path / "gguf"
    assert run_cli("export", tuned.id, "--format", "hf", merged).exit_code == 0
    result = run_cli("export", tuned.id, "--format", "gguf", out)
    assert result.exit_code == 0 and "ollama create" in result.output, result.output
    path = out / f"{tuned.id}.gguf"
    _assert_tensors_equal(path, merged, "f16")  # the LoRA merged, within f16 rounding
    assert {p.name for p in out.iterdir()} >= {path.name, "Modelfile", "README.md", "datasheet.md", "provenance.json"}
    assert (out / "Modelfile").read_text().startswith(f"FROM ./{path.name}\n")
    fields = _fields(gguf.GGUFReader(path))
    assert fields["general.base_model.0.name"] == "qwen3" and tuned.id in fields["general.description"]
    assert fields["general.license"] == "cc-by-4.0"  # the works' licence, as the card's front matter says
    front = (out / "README.md").read_text().split("---")[1]
    assert "base_model: qwen3" in front and "library_name: gguf" in front and "- fine-tuned" in front
    assert "trained-from-scratch" not in front
    verified = run_cli("verify", out, "--studio", poems.root)
    assert verified.exit_code == 0 and "✓ content: all" in verified.stdout, verified.output
    export = json.loads((out / "provenance.json").read_text())["assertions"]["ouvroir.export"]
    assert export["format"] == "gguf" and export["base"]["folder"] == "qwen3"
    front = (merged / "README.md").read_text().split("---")[1]  # the transformers folder names its base too
    assert "base_model: qwen3" in front and "library_name: transformers" in front

    f32 = run_cli("export", tuned.id, "--format", "gguf", "--dtype", "f32", tmp_path / "f32")
    assert f32.exit_code == 0, f32.output
    _assert_tensors_equal(tmp_path / "f32" / path.name, merged, "f32")
    wrong = run_cli("export", tuned.id, "--format", "hf", "--dtype", "f32", tmp_path / "none")
    assert wrong.exit_code == 2 and "--dtype is for --format gguf" in wrong.output


def test_a_finetune_of_a_llama_3_base_exports_as_gguf_with_its_rotary_frequencies(poems, run_cli, tmp_path):
    base = _scaled_base("llama", tmp_path / "Llama-3.2-tiny", LLAMA_32_ROPE, legacy=True)  # as Llama 3.2 ships
    tuned = poems.models.finetune(str(base), rank=4, steps=2, context=64, batch_size=4)
    merged, out = tmp_path / "merged", tmp_path / "gguf"
    assert run_cli("export", tuned.id, "--format", "hf", merged).exit_code == 0
    result = run_cli("export", tuned.id, "--format", "gguf", "--dtype", "f32", out)
    assert result.exit_code == 0 and "ollama create" in result.output, result.output
    path = out / f"{tuned.id}.gguf"
    assert "rope_freqs.weight" in _assert_tensors_equal(path, merged, "f32")  # the LoRA merged
    reader = gguf.GGUFReader(path)
    factors = np.array(next(t for t in reader.tensors if t.name == "rope_freqs.weight").data)
    ours = _base_frequencies(_fields(reader), "llama") / factors
    assert np.allclose(ours, _transformers_frequencies(merged), rtol=1e-6, atol=0)


def test_withdrawn_works_refuse_the_gguf_export_unless_allowed(poems, tuned, run_cli, tmp_path):
    work = next(w for w in poems.works() if w.title.endswith("3"))
    poems.set_consent([work.id], "no-train", "the author asked")
    refused = run_cli("export", tuned.id, "--format", "gguf", tmp_path / "refused")
    assert refused.exit_code == 1 and "withdrawn" in refused.output and not (tmp_path / "refused").exists()
    allowed = run_cli("export", tuned.id, "--format", "gguf", tmp_path / "anyway", "--allow-withdrawn")
    assert allowed.exit_code == 0, allowed.output
    export = json.loads((tmp_path / "anyway" / "provenance.json").read_text())["assertions"]["ouvroir.export"]
    assert export["consent_withdrawn_works"] == [work.id]


def test_a_model_trained_in_the_studio_exports_as_gguf_and_reads_back_equal(poems, run_cli, tmp_path, monkeypatch):
    monkeypatch.setattr(training, "MIN_TRAIN_TOKENS", 500)  # six short poems are under the usual floor
    own = poems.models.train(size="tiny", steps=2, seed=0)  # SiLU MLPs, the planner's choice: what llama.cpp computes
    assert json.loads(poems.models.folder(own).joinpath("config.json").read_text())["model"]["hidden_act"] == "silu"
    assert run_cli("export", own.id, "--format", "hf", tmp_path / "hf").exit_code == 0
    result = run_cli("export", own.id, "--format", "gguf", "--dtype", "f32", tmp_path / "gguf")
    assert result.exit_code == 0 and "ollama create" in result.output, result.output
    _assert_tensors_equal(tmp_path / "gguf" / f"{own.id}.gguf", tmp_path / "hf", "f32")
    verified = run_cli("verify", tmp_path / "gguf", "--studio", poems.root)
    assert verified.exit_code == 0 and "✓ content: all" in verified.stdout, verified.output


def test_models_gguf_cannot_carry_are_refused_before_anything_is_written(poems, bases, run_cli, tmp_path, monkeypatch):
    monkeypatch.setattr(training, "MIN_TRAIN_TOKENS", 500)  # six short poems are under the usual floor
    own = poems.models.train(size="tiny", steps=2, seed=0)
    gpt2 = poems.models.finetune(str(bases["gpt2"]), rank=4, steps=2, context=64, batch_size=4)
    result = run_cli("export", gpt2.id, "--format", "gguf", tmp_path / "gpt2")
    assert result.exit_code == 1 and "'gpt2' model" in result.output and not (tmp_path / "gpt2").exists()
    monkeypatch.setattr("ouvroir.store.models.snapshot_medium", lambda conn, snapshot: "music")
    result = run_cli("export", own.id, "--format", "gguf", tmp_path / "music")
    assert result.exit_code == 1 and "writes music" in result.output and not (tmp_path / "music").exists()


# -- llama.cpp itself, where llama-cpp-python is installed ----------------------------------------------------


def _llama(path):
    """llama.cpp on the file, its attention cache in f32 like the studio's (its default, f16, rounds keys and values)."""
    llama_cpp = pytest.importorskip("llama_cpp")
    f32 = llama_cpp.GGML_TYPE_F32
    return llama_cpp.Llama(model_path=str(path), n_ctx=128, n_threads=1, verbose=False, seed=0, type_k=f32, type_v=f32)


def _llama_cpp_greedy(llm, prompt_ids: list[int], n: int, end: int | None) -> list[int]:
    out = []
    for token in llm.generate(prompt_ids, top_k=1, top_p=1.0, temp=0.0, repeat_penalty=1.0):
        if token == end or len(out) == n:
            break
        out.append(token)
    return out


@pytest.mark.parametrize("overrides", [{"n_kv_head": 1}, {"tie_embeddings": True}])
def test_llama_cpp_continues_an_own_model_as_the_studio_does(tmp_path, overrides):
    pytest.importorskip("llama_cpp")
    tok = _own_model(tmp_path / "model", **overrides)
    llm = _llama(export_gguf(export_hf(tmp_path / "model", tmp_path / "hf"), tmp_path / "m.gguf", "f32"))
    ids = [tok.eot_id, *tok.encode(PROMPT)]
    assert llm.tokenize(PROMPT.encode(), add_bos=True, special=False) == ids  # llama.cpp reads the prompt as we do
    assert llm.tokenize("Vois-tu ? Non.\n\n  2026".encode(), add_bos=False, special=False) == tok.encode("Vois-tu ? Non.\n\n  2026")
    (text,) = generate(load(tmp_path / "model", device="cpu"), None, PROMPT, max_tokens=30, temperature=0)
    theirs = _llama_cpp_greedy(llm, ids, 30, tok.eot_id)
    assert tok.decode(theirs) == text and len(theirs) == 30  # token for token: the text is made of the same bytes
    assert llm.detokenize(theirs).decode("utf-8", errors="replace") == text


@pytest.mark.parametrize("kind,rope", [("llama", None), ("qwen3", None), ("llama", LLAMA_32_ROPE),
                                       ("qwen3", {"rope_type": "linear", "factor": 4.0})])  # fmt: skip
def test_llama_cpp_continues_a_base_as_the_studio_does(tmp_path, kind, rope):
    pytest.importorskip("llama_cpp")
    folder = _scaled_base(kind, tmp_path / kind, rope) if rope else build_base(kind, tmp_path / kind)
    model = transformers.AutoModelForCausalLM.from_pretrained(folder)
    with torch.no_grad():
        torch.manual_seed(1)
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)  # clear greedy choices, as a trained model has
    model.save_pretrained(folder)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    llm = _llama(export_gguf(folder, tmp_path / "b.gguf", "f32"))
    prompt = poem(1)[:40]
    (text,) = fb.hf_generate(model.eval(), tokenizer, prompt, max_tokens=30, temperature=0)
    start, end = fb.start_end_ids(tokenizer)
    prompt_ids = [start, *tokenizer(prompt, add_special_tokens=False).input_ids]
    assert llm.tokenize(prompt.encode(), add_bos=True, special=False) == prompt_ids
    theirs = _llama_cpp_greedy(llm, prompt_ids, 30, end)
    assert tokenizer.decode(theirs) == text and theirs
