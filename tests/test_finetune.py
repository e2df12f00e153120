"""Fine-tuning a pre-trained model on disk: offline, on the consenting snapshot, in peft's format, measured in bits per byte.

The bases are tiny models built here from configs (GPT-2, Llama, Qwen3) with a byte-level tokenizer trained
here: nothing is downloaded, and every test runs with sockets blocked and HF_HUB_OFFLINE=1.
"""

from __future__ import annotations

import json
import random
import shutil
import socket
import time
from pathlib import Path

import pytest
import torch

from ouvroir import Studio
from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import BaseModelError
from ouvroir.learn import finetune as ft
from ouvroir.learn import finetune_base as fb
from ouvroir.workshop.generation import GenerationParams, generate_samples

transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")

WORDS = "la lune le vent une barque sur l'eau grise chante doucement vers le port où dort la ville".split()
CANARY = "Xylophone-quagmire-7731 never-to-be-learned"


def poem(seed: int) -> str:
    rng = random.Random(seed)
    return "\n\n".join("\n".join(" ".join(rng.choice(WORDS) for _ in range(6)) for _ in range(4)) for _ in range(8))


def _tokenizer(specials: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([poem(i) for i in range(20)], trainer)
    return tok


def build_base(kind: str, folder: Path) -> Path:
    """A tiny causal LM of ``kind`` (random weights) and its tokenizer, saved as a user would have it on disk."""
    if kind == "gpt2":
        fast = transformers.PreTrainedTokenizerFast(tokenizer_object=_tokenizer(["<|endoftext|>"]),
                                                    bos_token="<|endoftext|>", eos_token="<|endoftext|>")  # fmt: skip
        config = transformers.GPT2Config(vocab_size=len(fast), n_positions=128, n_embd=32, n_layer=2, n_head=2,
                                         bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id)  # fmt: skip
    else:
        fast = transformers.PreTrainedTokenizerFast(tokenizer_object=_tokenizer(["<s>", "</s>"]), bos_token="<s>", eos_token="</s>")
        cls = transformers.LlamaConfig if kind == "llama" else transformers.Qwen3Config
        config = cls(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                     num_key_value_heads=1, head_dim=16, max_position_embeddings=128, bos_token_id=fast.bos_token_id,
                     eos_token_id=fast.eos_token_id, tie_word_embeddings=kind == "qwen3")  # fmt: skip
    torch.manual_seed(0)
    transformers.AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    (folder / "README.md").write_text("---\nlicense: apache-2.0\ndatasets:\n- PleIAs/common_corpus\n---\n# tiny\n")
    return folder


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bases")
    return {kind: build_base(kind, root / kind) for kind in ("gpt2", "llama", "qwen3")}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("a test tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def poems(studio_dir, tmp_path) -> Studio:
    """Six poems with consent "train", and one work that says no-train (its text carries a canary)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(6):
        (corpus / f"poeme-{i}.txt").write_text(poem(i), "utf-8")
    studio = Studio.init(studio_dir)
    assert studio.add([corpus], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    refused = tmp_path / "refus.txt"
    refused.write_text(f"{poem(99)}\n\n{CANARY}\n", "utf-8")
    assert studio.add([refused], AddOptions(author="Zoé Refus", license="CC-BY-4.0", consent="no-train")).ok
    yield studio
    studio.close()


def _stored(studio: Studio) -> tuple:
    """What a refused run must leave as it was: models, snapshots, files."""
    return (len(studio.models.all()), sorted(p.name for p in studio.layout.snapshots.glob("*")),
            sorted(p.name for p in studio.layout.models.glob("*")))  # fmt: skip


def _bpb_on(model, tokenizer, texts: list[str]) -> float:
    return ft.evaluate_bpb(model, ft.token_streams(tokenizer, [], texts), 64, "cpu")


@pytest.mark.parametrize("kind,method", [("gpt2", "lora"), ("gpt2", "full"), ("llama", "lora"), ("qwen3", "lora"),
                                         ("qwen3", "full")])  # fmt: skip
def test_finetune_stores_base_and_figures_and_learns_the_works(poems, bases, monkeypatch, kind, method):
    fed: list[list[str]] = []
    real = ft.token_streams
    monkeypatch.setattr(ft, "token_streams", lambda tok, train, val: fed.append(train + val) or real(tok, train, val))
    record = poems.models.finetune(str(bases[kind]), method=method, rank=4 if method == "lora" else None, steps=30,
                                   context=64, batch_size=4)  # fmt: skip
    config = record.config
    assert record.status == "ready" and record.steps == 30
    assert config["method"] == method and config["base"]["folder"] == kind
    assert config["base"]["licence"] == "apache-2.0" and config["base"]["datasets"] == ["PleIAs/common_corpus"]
    assert set(config["base"]["weights_sha256"]) == {"model.safetensors"} and len(config["base"]["config_sha256"]) == 64
    zero, tuned = config["bpb"]["zero_shot"], config["bpb"]["fine_tuned"]
    assert record.val_bpb == tuned < zero
    folder = poems.models.folder(record)
    files = {p.name for p in folder.iterdir()}
    if method == "lora":
        assert {"adapter_config.json", "adapter_model.safetensors"} <= files and "model.safetensors" not in files
        assert config["rank"] == 4 and config["targets"] == (["c_attn", "c_proj", "c_fc"] if kind == "gpt2" else
                                                             ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])  # fmt: skip
    else:
        assert "model.safetensors" in files and "adapter_config.json" not in files
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert poems.layout.model_weights(record.id).is_file()  # the file `check` and `verify` hash

    # consent canary: the refused work never reaches the fine-tuning data
    (texts,) = fed
    assert texts and not any(CANARY in t or "Zoé" in t for t in texts)
    # the fine-tuned model fits the training works better than its base did
    model, tokenizer = fb.load_finetuned(folder, config, "cpu")
    base, _ = fb.load_base(fb.inspect_base(bases[kind]), "cpu")
    train_texts = [poem(i) for i in range(6)]
    assert _bpb_on(model, tokenizer, train_texts) < _bpb_on(base, tokenizer, train_texts)


def test_adapter_reloads_in_plain_peft_and_continues_as_ouvroir(poems, bases, run_cli):
    record = poems.models.finetune(str(bases["qwen3"]), rank=4, steps=30, context=64, batch_size=4)
    folder = poems.models.folder(record)
    adapter = json.loads((folder / "adapter_config.json").read_text())
    assert adapter["peft_type"] == "LORA" and adapter["r"] == 4

    base = transformers.AutoModelForCausalLM.from_pretrained(bases["qwen3"], local_files_only=True)
    model = peft.PeftModel.from_pretrained(base, folder).eval()
    tok = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    prompt = "la lune"
    ids = torch.tensor([[tok.bos_token_id, *tok(prompt, add_special_tokens=False).input_ids]])
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=12, do_sample=False,
                             eos_token_id=tok.eos_token_id, pad_token_id=tok.eos_token_id)[0, ids.shape[1] :].tolist()  # fmt: skip
    if tok.eos_token_id in out:
        out = out[: out.index(tok.eos_token_id)]
    theirs = tok.decode(ids[0].tolist()[1:] + out, skip_special_tokens=True)

    (sample,) = generate_samples(poems, record.id, prompt, params=GenerationParams(max_tokens=12, temperature=0), seed=1)
    assert sample.text == theirs
    path = poems.root / sample.path
    assert path.read_text("utf-8") == theirs and Path(f"{path}.provenance.json").is_file()
    manifest = json.loads(Path(f"{path}.provenance.json").read_text())
    assert record.id in json.dumps(manifest) and record.weights_sha256 in json.dumps(manifest)
    verified = run_cli("verify", str(path))
    assert verified.exit_code == 0 and "weights match" in verified.output, verified.output
    checked = run_cli("check")
    assert checked.exit_code == 0, checked.output
    listed = run_cli("models")
    assert listed.exit_code == 0 and f"{record.val_bpb:.3f}" in listed.output and "lora r4" in listed.output
    card = run_cli("card", record.id)
    assert card.exit_code == 0, card.output
    # sampled: the same seed gives the same texts
    again = [s.text for s in generate_samples(poems, record.id, prompt, n=2, params=GenerationParams(max_tokens=8), seed=5)]
    assert again == [s.text for s in generate_samples(poems, record.id, prompt, n=2, params=GenerationParams(max_tokens=8), seed=5)]


def test_a_name_that_is_not_a_folder_gets_the_fetch_hint_and_nothing_changes(poems, run_cli):
    before = _stored(poems)
    result = run_cli("train", "--from", "Qwen/Qwen3-0.6B", "--steps", "5")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "huggingface-cli download Qwen/Qwen3-0.6B --local-dir" in lines[0], result.output
    assert "never downloads" in lines[0]
    assert _stored(poems) == before


def _truncated(folder: Path) -> None:
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])


def _garbage(folder: Path) -> None:
    (folder / "model.safetensors").write_bytes(b"\xff" * 64)


def _no_tokenizer(folder: Path) -> None:
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (folder / name).unlink(missing_ok=True)


def _unknown_architecture(folder: Path) -> None:
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | {"model_type": "ouvroir-imaginary", "architectures": ["X"]}))


def _not_a_model(folder: Path) -> None:
    (folder / "config.json").unlink()


@pytest.mark.parametrize("damage,says", [(_truncated, "model.safetensors is corrupt or partial"),
                                         (_garbage, "model.safetensors is corrupt or partial"),
                                         (_no_tokenizer, "has no tokenizer"),
                                         (_unknown_architecture, "does not know this architecture"),
                                         (_not_a_model, "has no config.json")])  # fmt: skip
def test_a_damaged_base_is_one_line_and_nothing_changes(poems, bases, tmp_path, run_cli, damage, says):
    folder = tmp_path / "damaged"
    shutil.copytree(bases["llama"], folder)
    damage(folder)
    before = _stored(poems)
    with pytest.raises(BaseModelError, match=says):
        poems.models.finetune(str(folder), steps=2)
    result = run_cli("train", "--from", str(folder), "--lora", "4", "--steps", "2")
    assert result.exit_code == 1 and says in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert _stored(poems) == before


def test_too_large_for_memory_and_a_rank_that_does_not_fit_are_refused_before_anything_changes(poems, bases, monkeypatch):
    before = _stored(poems)
    monkeypatch.setattr(fb, "available_memory", lambda device: 100_000)  # bytes: less than the tiny model's need
    with pytest.raises(BaseModelError, match=r"full fine-tune .* needs about .* try --lora"):
        poems.models.finetune(str(bases["gpt2"]), method="full", steps=2)
    monkeypatch.undo()
    with pytest.raises(BaseModelError, match="LoRA rank 64 does not fit"):
        poems.models.finetune(str(bases["gpt2"]), rank=64, steps=2)
    assert _stored(poems) == before


def test_resume_and_lora_options_say_what_this_version_does(poems, bases, run_cli):
    result = run_cli("train", "--from", str(bases["gpt2"]), "--resume", "m0", "--steps", "2")
    assert result.exit_code != 0 and "--resume MODEL continues a fine-tune with its stored base" in result.output
    result = run_cli("train", "--lora", "4", "--steps", "2")
    assert result.exit_code != 0 and "--from" in result.output


def test_withdrawal_marks_the_finetuned_model_and_retrain_finetunes_the_same_base_without_the_work(poems, bases, run_cli):
    record = poems.models.finetune(str(bases["gpt2"]), rank=2, steps=6, context=64, batch_size=4)
    work = next(w for w in poems.works() if w.title.endswith("3"))
    poems.set_consent([work.id], "no-train", "the author asked")
    assert [w.work_id for w in poems.models.withdrawals(record)] == [work.id]
    refused = run_cli("generate", record.id, "--max-tokens", "5", "--seed", "1")
    assert refused.exit_code == 1 and "withdrawn" in refused.output and poems.models.samples() == []

    retrained = run_cli("retrain", record.id)
    assert retrained.exit_code == 0, retrained.output
    new = poems.models.all()[-1]
    assert new.id != record.id and new.status == "ready"
    assert (new.config["retrained_from"], new.config["left_out"]) == (record.id, [work.id])
    assert (new.config["method"], new.config["rank"], new.config["budget"], new.config["base"]) == (
        "lora", 2, record.config["budget"], record.config["base"])  # fmt: skip
    assert poems.models.withdrawals(new) == [] and work.title not in poems.models.validation_works(new)
    assert poems.models.work_count(new) == poems.models.work_count(record) - 1


def test_ctrl_c_keeps_the_last_checkpoint_and_resume_finishes_the_run(poems, bases):
    started: list[str] = []

    def interrupt(progress):  # Ctrl-C once, at step 12
        if progress.step == 12 and progress.event == "log":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        poems.models.finetune(str(bases["llama"]), rank=2, steps=40, context=64, batch_size=4, on_progress=interrupt,
                              on_model=started.append)  # fmt: skip
    stopped = poems.models.get(started[0], ready_only=False)
    assert stopped.status == "training"  # as a run from scratch: `train --resume` (or the web's Resume) continues it
    assert poems.layout.model_weights(stopped.id).is_file()  # the best weights of the evaluation at step 8
    record = poems.models.train(resume=stopped.id)
    assert record.status == "ready" and record.steps == 40 and record.val_bpb == record.config["bpb"]["fine_tuned"]
    (sample,) = generate_samples(poems, record.id, "la", params=GenerationParams(max_tokens=4, temperature=0), seed=1)
    assert sample.text.startswith("la")


def test_an_ouvroir_model_exported_to_transformers_is_a_base_too(poems, tmp_path):
    from ouvroir.learn import checkpoint as ckpt
    from ouvroir.learn.export_hf import export_hf
    from ouvroir.learn.model import GPT, ModelConfig
    from ouvroir.learn.tokenizer import train_tokenizer

    tok = train_tokenizer([poem(i) for i in range(20, 30)], vocab_size=320)
    torch.manual_seed(0)
    ckpt.save_model(tmp_path / "own", GPT(ModelConfig(vocab_size=tok.vocab_size, context=64, n_layer=2, d_model=32, n_head=2)), tok)
    exported = export_hf(tmp_path / "own", tmp_path / "own-hf")
    record = poems.models.finetune(str(exported), rank=2, steps=12, context=64, batch_size=4)
    assert record.config["base"]["model_type"] == "qwen3" and record.config["bpb"]["fine_tuned"] < record.config["bpb"]["zero_shot"]
    (sample,) = generate_samples(poems, record.id, "la", params=GenerationParams(max_tokens=6, temperature=0), seed=1)
    assert sample.text.startswith("la")


def test_audit_and_long_generations_work_on_a_finetuned_model(poems, bases, run_cli):
    record = poems.models.finetune(str(bases["gpt2"]), rank=2, steps=6, context=64, batch_size=4)
    (sample,) = generate_samples(poems, record.id, poem(40), params=GenerationParams(max_tokens=300), seed=2)
    assert sample.text.startswith(poem(40))  # past the base's 128 positions: the prompt's start is left out of view
    audited = run_cli("audit", record.id, "--samples", "2", "--temperatures", "1.0")
    assert audited.exit_code == 0, audited.output


def test_the_command_line_finetunes_within_the_base_positions_and_says_base_to_finetuned(poems, bases, run_cli):
    result = run_cli("train", "--from", str(bases["gpt2"]), "--lora", "2", "--steps", "4", "--name", "poèmes sur gpt2")
    assert result.exit_code == 0, result.output
    assert "bits per byte on the held-out works before fine-tuning" in result.output and "ready" in result.output
    (record,) = poems.models.all()
    assert record.name == "poèmes sur gpt2" and record.config["finetune"]["context"] == 128  # the base's positions


def test_the_same_seed_gives_the_same_adapter(poems, bases):
    """LoRA's initial matrices are drawn from the seed, not from whatever the process drew before."""
    first, second = (poems.models.finetune(str(bases["gpt2"]), rank=2, steps=4, context=64, batch_size=4, seed=5)
                     for _ in range(2))  # fmt: skip
    assert first.weights_sha256 == second.weights_sha256 and first.val_bpb == second.val_bpb


def test_require_license_refuses_a_finetune_on_works_without_a_known_licence(poems, bases, tmp_path, run_cli):
    unlicensed = tmp_path / "sans-licence.txt"
    unlicensed.write_text(poem(7), "utf-8")
    assert poems.add([unlicensed], AddOptions(author="Ada Martin", consent="train")).ok
    models_before = [m.id for m in poems.models.all()]
    result = run_cli("train", "--from", str(bases["gpt2"]), "--lora", "2", "--steps", "2", "--require-license")
    assert result.exit_code == 1, result.output
    assert "a known licence is required" in result.output and "Sans licence" in result.output, result.output
    assert [m.id for m in poems.models.all()] == models_before


def test_a_config_declaring_far_more_than_its_weights_is_refused_at_once(poems, bases, tmp_path, run_cli):
    """A crafted config.json of a billion layers over a small model's weights: one line, before any model is built."""
    crafted = tmp_path / "crafted"
    shutil.copytree(bases["gpt2"], crafted)
    config = json.loads((crafted / "config.json").read_text())
    (crafted / "config.json").write_text(json.dumps(config | {"n_layer": 10**9}))
    before = _stored(poems)
    started = time.monotonic()
    result = run_cli("train", "--from", str(crafted), "--lora", "2", "--steps", "2")
    assert time.monotonic() - started < 30
    assert result.exit_code == 1 and "the config does not match the weights" in result.output, result.output
    assert _stored(poems) == before
