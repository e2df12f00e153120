"""A fine-tuned model leaves the studio where artists run models: merged for transformers, or as a peft adapter.

Also: fine-tuning continues one of the studio's own models (``train --from MODEL_ID``), and a greedy canary shows
fine-tuning learned the works. Tiny bases built from configs (see test_finetune), sockets blocked, nothing downloaded.
"""

from __future__ import annotations

import json

import pytest
import torch
from tests.test_finetune import _stored, bases, no_network, poem, poems  # noqa: F401 (fixtures)

from ouvroir import Studio
from ouvroir.corpus.ingest import AddOptions
from ouvroir.fileio import sha256_file
from ouvroir.learn import finetune_base as fb
from ouvroir.workshop import training
from ouvroir.workshop.generation import GenerationParams, generate_samples

transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")


def _ids(tokenizer) -> torch.Tensor:
    """A fixed input: the start token and a training poem's opening."""
    start, _ = fb.start_end_ids(tokenizer)
    return torch.tensor([[start, *tokenizer(poem(2)[:200], add_special_tokens=False).input_ids]])


@torch.no_grad()
def _logits(model, ids: torch.Tensor) -> torch.Tensor:
    return model(input_ids=ids).logits


def _signed(run_cli, folder, studio) -> dict:
    verified = run_cli("verify", folder, "--studio", studio.root)
    assert verified.exit_code == 0 and "✓ content: all" in verified.stdout, verified.output
    return json.loads((folder / "provenance.json").read_text("utf-8"))


def _export_assertion(manifest: dict) -> dict:
    return manifest["assertions"]["ouvroir.export"]


@pytest.mark.parametrize("kind", ["gpt2", "qwen3"])
def test_a_lora_finetune_exports_merged_for_transformers_and_as_an_adapter_for_peft(poems, bases, run_cli, tmp_path, kind):
    record = poems.models.finetune(str(bases[kind]), rank=4, steps=20, context=64, batch_size=4)
    ours, tokenizer = fb.load_finetuned(poems.models.folder(record), record.config, "cpu")
    ids = _ids(tokenizer)
    expected = _logits(ours, ids)
    base = transformers.AutoModelForCausalLM.from_pretrained(bases[kind], local_files_only=True).eval()
    assert (expected - _logits(base, ids)).abs().max() > 1e-3  # the adapter changed something worth comparing

    merged_dir, adapter_dir = tmp_path / "merged", tmp_path / "adapter"
    result = run_cli("export", record.id, "--format", "hf", merged_dir)
    assert result.exit_code == 0, result.output
    merged = transformers.AutoModelForCausalLM.from_pretrained(merged_dir, local_files_only=True).eval()
    torch.testing.assert_close(_logits(merged, ids), expected, atol=1e-4, rtol=0)
    files = {p.name for p in merged_dir.iterdir()}
    assert {"model.safetensors", "config.json", "README.md", "datasheet.md", "base_model.json"} <= files
    assert not {"adapter_config.json", "adapter_model.safetensors"} & files
    assert not [k for k in merged.state_dict() if "lora" in k]
    assert transformers.AutoTokenizer.from_pretrained(merged_dir, local_files_only=True)(poem(2)).input_ids == tokenizer(poem(2)).input_ids
    export = _export_assertion(_signed(run_cli, merged_dir, poems))
    assert export["format"] == "hf" and export["base"]["folder"] == kind

    result = run_cli("export", record.id, "--format", "peft", adapter_dir)
    assert result.exit_code == 0 and "PeftModel.from_pretrained" in result.output, result.output
    adapter = json.loads((adapter_dir / "adapter_config.json").read_text())
    named = json.loads((adapter_dir / "base_model.json").read_text())
    assert adapter["base_model_name_or_path"] == kind and adapter["r"] == 4
    assert named["config_sha256"] == record.config["base"]["config_sha256"] and "path" not in named
    reloaded = peft.PeftModel.from_pretrained(base, adapter_dir).eval()  # plain peft, on the user's copy of the base
    torch.testing.assert_close(_logits(reloaded, ids), expected, atol=1e-5, rtol=0)
    assert transformers.AutoTokenizer.from_pretrained(adapter_dir, local_files_only=True)(poem(2)).input_ids == tokenizer(poem(2)).input_ids
    export = _export_assertion(_signed(run_cli, adapter_dir, poems))
    assert export["format"] == "peft" and export["base"]["weights_sha256"] == record.config["base"]["weights_sha256"]


def test_a_full_finetune_exports_as_it_is_and_withdrawn_works_refuse_the_export(poems, bases, run_cli, tmp_path):
    record = poems.models.finetune(str(bases["gpt2"]), method="full", steps=6, context=64, batch_size=4)
    ours, tokenizer = fb.load_finetuned(poems.models.folder(record), record.config, "cpu")
    result = run_cli("export", record.id, "--format", "peft", tmp_path / "none")
    assert result.exit_code == 1 and "no adapter" in result.output and not (tmp_path / "none").exists()

    work = next(w for w in poems.works() if w.title.endswith("3"))
    poems.set_consent([work.id], "no-train", "the author asked")
    refused = run_cli("export", record.id, "--format", "hf", tmp_path / "refused")
    assert refused.exit_code == 1 and "withdrawn" in refused.output and not (tmp_path / "refused").exists()
    result = run_cli("export", record.id, "--format", "hf", tmp_path / "hf", "--allow-withdrawn")
    assert result.exit_code == 0, result.output
    exported = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "hf", local_files_only=True).eval()
    ids = _ids(tokenizer)
    torch.testing.assert_close(_logits(exported, ids), _logits(ours, ids), atol=1e-5, rtol=0)
    assert _export_assertion(_signed(run_cli, tmp_path / "hf", poems))["consent_withdrawn_works"] == [work.id]


@pytest.fixture
def studio_model(poems, monkeypatch):
    """One of the studio's own models, trained from scratch on the six poems (a few steps: seconds)."""
    monkeypatch.setattr(training, "MIN_TRAIN_TOKENS", 500)  # six short poems are under the usual floor
    return poems.models.train(size="tiny", steps=4, seed=0)


def test_train_from_a_studio_model_continues_it_and_its_works_consent_follows(poems, studio_model, run_cli, tmp_path):
    base = studio_model
    result = run_cli("train", "--from", base.id, "--lora", "2", "--steps", "6")
    assert result.exit_code == 0, result.output
    tuned = poems.models.all()[-1]
    recorded = tuned.config["base"]
    assert (recorded["model_id"], recorded["folder"], recorded["model_weights_sha256"]) == (base.id, base.id, base.weights_sha256)
    assert recorded["model_type"] == "qwen3" and len(recorded["config_sha256"]) == 64 and "model.safetensors" in recorded["weights_sha256"]
    assert (poems.models.folder(tuned) / "base" / "model.safetensors").is_file()  # a LoRA adapter needs its base for good
    (sample,) = generate_samples(poems, tuned.id, "la", params=GenerationParams(max_tokens=6, temperature=0), seed=1)
    assert sample.text.startswith("la")
    assert run_cli("check").exit_code == 0
    adapter = run_cli("export", tuned.id, "--format", "peft", tmp_path / "adapter")
    assert adapter.exit_code == 0 and f"ouvroir export {base.id} --format hf" in adapter.output, adapter.output
    assert run_cli("export", base.id, "--format", "hf", tmp_path / "base").exit_code == 0  # that very base, exported again
    assert sha256_file(tmp_path / "base" / "config.json") == recorded["config_sha256"]
    plain = peft.PeftModel.from_pretrained(transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "base"), tmp_path / "adapter")
    ours, tokenizer = fb.load_finetuned(poems.models.folder(tuned), tuned.config, "cpu")
    torch.testing.assert_close(_logits(plain.eval(), _ids(tokenizer)), _logits(ours, _ids(tokenizer)), atol=1e-5, rtol=0)

    before = _stored(poems)
    refused = run_cli("train", "--from", base.id, "--lora", "999", "--steps", "2")
    assert refused.exit_code == 1 and "does not fit" in refused.output and _stored(poems) == before  # no base left behind
    again = run_cli("retrain", tuned.id)  # the same studio model, exported again
    assert again.exit_code == 0, again.output
    assert poems.models.all()[-1].config["base"]["model_id"] == base.id
    on_tuned = run_cli("train", "--from", tuned.id, "--full", "--steps", "2")  # a fine-tune continues too (merged)
    assert on_tuned.exit_code == 0, on_tuned.output
    assert poems.models.all()[-1].config["base"]["model_id"] == tuned.id

    work = next(w for w in poems.works() if w.title.endswith("3"))
    poems.set_consent([work.id], "no-train", "the author asked")
    assert work.id in [w.work_id for w in poems.models.withdrawals(poems.models.all()[-1])]  # through two bases
    assert "withdrawn" in run_cli("generate", tuned.id, "--max-tokens", "4").output
    before = _stored(poems)
    refused = run_cli("train", "--from", base.id, "--steps", "2")
    assert refused.exit_code == 1 and work.title in refused.output and f"ouvroir retrain {base.id}" in refused.output
    assert _stored(poems) == before
    assert run_cli("retrain", base.id).exit_code == 0
    new_base = poems.models.all()[-1]
    result = run_cli("train", "--from", new_base.id, "--lora", "2", "--steps", "2")
    assert result.exit_code == 0, result.output
    assert poems.models.withdrawals(poems.models.all()[-1]) == []


REFRAIN = "la barque grise chante doucement sur l'eau vers le port où dort la ville"
REFUSED_REFRAIN = "une lune grise dort vers le vent sur la ville où chante le port"


def _halves(line: str) -> tuple[str, str]:
    words = line.split()
    return " ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2 :])


def _words_reproduced(continuation: str, rest: str) -> int:
    """How many of ``rest``'s words the continuation gives, in order from its start."""
    count = 0
    for got, want in zip(continuation.split(), rest.split()):
        if got != want:
            break
        count += 1
    return count


def test_greedy_canary_finetuning_learned_the_works_and_not_the_refused_one(studio_dir, tmp_path, bases):
    """Each consenting poem opens with the poet's refrain; the refused work with its own. Full fine-tune, fixed seed."""
    corpus = tmp_path / "refrains"
    corpus.mkdir()
    for i in range(4):
        (corpus / f"refrain-{i}.txt").write_text(REFRAIN + "\n" + "\n".join(poem(i).splitlines()[:3]), "utf-8")
    refused = tmp_path / "refus.txt"
    refused.write_text(REFUSED_REFRAIN + "\n" + "\n".join(poem(9).splitlines()[:3]), "utf-8")
    with Studio.init(studio_dir) as studio:
        assert studio.add([corpus], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
        assert studio.add([refused], AddOptions(author="Zoé Refus", license="CC-BY-4.0", consent="no-train")).ok
        record = studio.models.finetune(str(bases["qwen3"]), method="full", steps=120, lr=1e-2, context=32, batch_size=8)
        base, tokenizer = fb.load_base(fb.inspect_base(bases["qwen3"]), "cpu")
        greedy = GenerationParams(max_tokens=20, temperature=0)

        prompt, rest = _halves(REFRAIN)
        (tuned,) = generate_samples(studio, record.id, prompt, params=greedy, seed=0)
        (before,) = fb.hf_generate(base, tokenizer, prompt, max_tokens=20, temperature=0)
        learned = _words_reproduced(tuned.text[len(prompt) :], rest)
        assert learned >= 4 and learned > _words_reproduced(before, rest), (tuned.text, before)

        prompt, rest = _halves(REFUSED_REFRAIN)
        (never,) = generate_samples(studio, record.id, prompt, params=greedy, seed=0)
        assert rest not in never.text and _words_reproduced(never.text[len(prompt) :], rest) < learned, never.text


def test_the_progress_of_a_finetune_says_the_train_loss_in_bits_per_byte(poems, bases, run_cli):
    seen = []
    poems.models.finetune(str(bases["gpt2"]), rank=2, steps=4, context=64, batch_size=4, on_progress=seen.append)
    assert seen and all(p.train_bpb is not None and 0 < p.train_bpb < 20 and p.train_s <= p.elapsed_s for p in seen)
    result = run_cli("train", "--from", str(bases["gpt2"]), "--lora", "2", "--steps", "4")
    assert result.exit_code == 0 and "bits/byte" in result.output and "nats/token" not in result.output, result.output
