"""The speed probe and the precision: figures cached per machine, plans made from them, bf16 where it pays."""

from __future__ import annotations

import json
import random

import pytest
import torch

from ouvroir import Studio
from ouvroir.corpus.ingest import AddOptions
from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn import probe
from ouvroir.learn.cpu_parallel import ShardedStep
from ouvroir.learn.model import GPT, ModelConfig
from ouvroir.learn.sizing import Budget, TrainConfig, plan
from ouvroir.learn.train import train
from ouvroir.workshop.speed import measured_plan
from tests.test_train import data, tiny_config  # noqa: F401  (data is a fixture)

SHAPES = {"tiny": {"n_layer": 1, "d_model": 32, "n_head": 2, "context": 16}}
WITH_BF16 = {"avx2", "avx512f", "avx512_bf16"}
WITHOUT_BF16 = {"avx2", "avx512f"}


@pytest.fixture
def measuring(monkeypatch, tmp_path):
    """The probe measures (no fixed rates), its cache in a folder of the test's own."""
    monkeypatch.delenv(probe.RATES_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(probe, "cpu_model", lambda: "Test CPU 1")
    monkeypatch.setattr(probe, "cpu_flags", lambda: WITH_BF16)
    calls = []

    def fake(size, shape, batch, device, precisions):
        calls.append((size, precisions))
        return {p: 1000.0 * (2 if p == "bf16" else 1) for p in precisions}

    return calls, fake


def test_the_cache_holds_per_machine_and_torch_version_and_reprobe_measures_again(measuring, monkeypatch, tmp_path):
    calls, fake = measuring
    first = probe.rates("cpu", SHAPES, 4, measure=fake)
    assert first.source == "measured" and first.rates == {"fp32": {"tiny": 1000}, "bf16": {"tiny": 2000}}
    assert (tmp_path / "cache" / "ouvroir" / "probe.json").exists()
    again = probe.rates("cpu", SHAPES, 4, measure=fake)
    assert again.source == "cache" and again.rates == first.rates and len(calls) == 1
    monkeypatch.setattr(probe, "cpu_model", lambda: "Test CPU 2")
    assert probe.rates("cpu", SHAPES, 4, measure=fake).source == "measured" and len(calls) == 2
    monkeypatch.setattr(torch, "__version__", "99.0.0")
    assert probe.rates("cpu", SHAPES, 4, measure=fake).source == "measured" and len(calls) == 3
    assert probe.rates("cpu", SHAPES, 4, measure=fake).source == "cache" and len(calls) == 3
    assert probe.rates("cpu", SHAPES, 4, measure=fake, reprobe=True).source == "measured" and len(calls) == 4


def test_the_probe_times_real_steps_in_both_precisions_where_the_cpu_has_bf16(measuring):
    measured = probe.rates("cpu", SHAPES, 4)
    assert set(measured.rates) == {"fp32", "bf16"} and measured.bf16_units
    assert all(v > 0 for r in measured.rates.values() for v in r.values())
    assert 0 < measured.seconds < 30


@pytest.mark.parametrize("flags", [WITH_BF16, WITHOUT_BF16], ids=["bf16-units", "no-bf16-units"])
def test_auto_takes_bf16_only_where_the_cpu_has_units_and_it_measured_faster(measuring, monkeypatch, flags):
    calls, fake = measuring
    monkeypatch.setattr(probe, "cpu_flags", lambda: flags)
    monkeypatch.setattr(probe, "_tokens_per_s", fake)
    stages = []
    config, note = measured_plan(None, 400_000, Budget(minutes=1), torch.device("cpu"), 768, "auto", stage=stages.append)
    units = "avx512_bf16" in flags
    assert config.precision == ("bf16" if units else "fp32") and note["precision"] == config.precision
    assert ("bf16" in note["rates"]) == units  # without units bf16 is not even timed
    assert not any("no bf16 units" in s for s in stages)
    assert any(s.startswith("Plan: ") and f"in {config.precision}, " in s for s in stages)


@pytest.mark.parametrize("flags", [WITH_BF16, WITHOUT_BF16], ids=["bf16-units", "no-bf16-units"])
def test_asking_bf16_on_a_cpu_without_bf16_units_warns_that_it_will_be_slow(measuring, monkeypatch, flags):
    calls, fake = measuring
    monkeypatch.setattr(probe, "cpu_flags", lambda: flags)
    monkeypatch.setattr(probe, "_tokens_per_s", fake)
    stages = []
    config, _ = measured_plan("tiny", 400_000, Budget(steps=3), torch.device("cpu"), 768, "bf16", stage=stages.append)
    assert config.precision == "bf16"  # honoured, after the warning
    warned = [s for s in stages if "no bf16 units" in s]
    if "avx512_bf16" in flags:
        assert not warned
    else:
        assert len(warned) == 1 and "emulated" in warned[0] and "slower than fp32" in warned[0]
        assert warned[0].key == "bf16_emulated"


def test_the_planner_sizes_and_picks_the_precision_from_the_rates_it_is_given():
    tokens, budget = 1_000_000, Budget(minutes=10)
    slow = {"fp32": {"tiny": 500, "small": 250, "base": 100}}
    fast = {"fp32": {"tiny": 50_000, "small": 30_000, "base": 20_000}}
    assert plan(None, tokens, budget, rates=slow).size == "tiny"
    assert plan(None, tokens, budget, rates=fast).size == "base"
    both = {"fp32": {"tiny": 10_000, "small": 5_000, "base": 1_000}, "bf16": {"tiny": 9_000, "small": 6_000, "base": 12_000}}
    chosen = plan(None, tokens, budget, rates=both)
    assert (chosen.size, chosen.precision) == ("base", "bf16")  # bf16's speed makes the larger model affordable
    assert plan("tiny", tokens, budget, rates=both).precision == "fp32"  # at tiny, fp32 is the faster
    assert plan(None, tokens, budget, rates=both, precision="fp32").size == "small"
    assert plan(None, tokens, budget).precision is None  # no probe: the device's default, as before
    assert plan(None, tokens, budget, rates={"fp32": {"tiny": 50_000}}).size == "small"  # the others: the table's


def test_a_bf16_shard_step_keeps_fp32_weights_and_gradients_close_to_fp32():
    torch.manual_seed(0)
    model = GPT(ModelConfig(vocab_size=64, context=16, n_layer=2, d_model=32, n_head=2))
    x = torch.randint(0, 64, (4, 16))
    losses, grads = {}, {}
    for precision in ("fp32", "bf16"):
        step = ShardedStep(model, 4, 2, precision=precision)
        losses[precision] = step(x, x).item()
        grads[precision] = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
        assert all(p.dtype == torch.float32 for p in model.parameters()) and grads[precision].dtype == torch.float32
        model.zero_grad(set_to_none=True)
        step.close()
    assert abs(losses["bf16"] - losses["fp32"]) < 0.05
    cosine = torch.nn.functional.cosine_similarity(grads["bf16"], grads["fp32"], dim=0)
    assert cosine > 0.98


def test_a_tiny_bf16_run_learns_and_its_model_generates(data, tmp_path):  # noqa: F811
    from ouvroir.learn.generate import generate, load

    config = tiny_config(data.tokenizer.vocab_size, precision="bf16", eval_every_steps=20)
    result = train(data, config, tmp_path / "m", Budget(steps=60), seed=0, device="cpu",
                   plan_note={"precision": "bf16", "rates": {"bf16": {"tiny": 1}}})  # fmt: skip
    records = ckpt.read_jsonl(tmp_path / "m" / ckpt.METRICS)
    assert records[0]["event"] == "plan" and records[0]["precision"] == "bf16"
    evals = [r["val_bpb"] for r in records if r.get("event") == "eval"]
    assert len(evals) == 3 and evals[-1] < evals[0] - 0.3 and result.best_val_bpb == min(evals)
    assert json.loads((tmp_path / "m" / ckpt.CONFIG).read_text())["train"]["precision"] == "bf16"
    loaded = load(tmp_path / "m", device="cpu")
    assert loaded.model.lm_head.weight.dtype == torch.float32
    assert len(generate(loaded, None, "La mer", max_tokens=20, seed=0)[0]) > 0


def test_the_studio_prints_and_keeps_the_plan_and_the_probe_figures(studio_dir, tmp_path, run_cli):
    rng = random.Random(0)
    words = ["".join(rng.choice("aeioubcdfglmnprstv") for _ in range(rng.randint(2, 8))) for _ in range(400)]
    (tmp_path / "poems").mkdir()
    for i in range(4):
        lines = (" ".join(rng.choice(words) for _ in range(7)) for _ in range(80))
        (tmp_path / "poems" / f"poeme_{i}.txt").write_text("\n".join(lines), "utf-8")
    with Studio.init(studio_dir) as studio:
        assert studio.add([tmp_path / "poems"], AddOptions(author="Anon", license="public-domain", consent="train")).ok
    result = run_cli("train", "--steps", "3", "--size", "tiny", "--precision", "fp32")
    assert result.exit_code == 0, result.output
    assert "Plan: tiny model in fp32, 10,500 tokens per second" in result.output
    assert "fp32: tiny 10,500, small 5,600, base 2,300 tokens/s" in result.output
    with Studio.open(studio_dir) as studio:
        record = studio.models.all()[0]
        assert record.config["plan"]["rates"]["fp32"]["tiny"] == 10_500
        assert record.config["plan"]["precision"] == "fp32" and record.config["train"]["precision"] == "fp32"
        first = ckpt.read_jsonl(studio.layout.model(record.id) / ckpt.METRICS)[0]
    assert first["event"] == "plan" and first["tokens_per_s"] == 10_500
    refused = run_cli("train", "--from", str(tmp_path), "--precision", "bf16")
    assert refused.exit_code == 2 and "--precision and --reprobe are for training from scratch" in refused.output
    for precision in ("bf16", "fp32"):  # generation under bf16 autocast (PyTorch), and fp32 (the compiled decoder)
        result = run_cli("generate", "--precision", precision, "--prompt", "ba", "--max-tokens", "12", "--seed", "1")
        assert result.exit_code == 0 and "ba" in result.output, result.output
