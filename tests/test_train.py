"""Training: loss goes down, files are written, best kept, early stop, exact resume, SIGKILL."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from ouvroir.learn import checkpoint as ckpt
from ouvroir.learn.averaging import WeightEMA
from ouvroir.errors import TrainingError
from ouvroir.learn.generate import generate, load
from ouvroir.learn.model import ModelConfig
from ouvroir.learn.sizing import Budget, TrainConfig, plan
from ouvroir.learn.tokenizer import train_tokenizer
from ouvroir.learn.train import TrainData, evaluate_bpb, train

ROOT = Path(__file__).resolve().parents[1]


def verses(n: int, seed: int) -> list[str]:
    """Small structured works: learnable, so the validation loss can fall."""
    rng = random.Random(seed)
    subjects = ["la mer", "le vent", "ma mère", "the moon", "un oiseau", "la nuit"]
    verbs = ["chante", "dort", "sings", "pleure", "rêve", "attend"]
    places = ["sur la plage", "in the garden", "au jardin", "près du feu", "sous la pluie"]
    return [
        "\n".join(
            f"{rng.choice(subjects).capitalize()} {rng.choice(verbs)} {rng.choice(places)}."
            for _ in range(rng.randint(4, 8))
        )
        for _ in range(n)
    ]


@pytest.fixture(scope="module")
def data() -> TrainData:
    train_texts, val_texts = verses(60, seed=1), verses(6, seed=2)
    tok = train_tokenizer(train_texts, vocab_size=300)
    return TrainData.from_texts(tok, train_texts, val_texts)


def tiny_config(vocab_size: int, **overrides) -> TrainConfig:
    model = ModelConfig(vocab_size=vocab_size, context=32, n_layer=2, d_model=32, n_head=2)
    return (
        TrainConfig(model=model, batch_size=4, eval_every_steps=5, patience=100, log_every_s=0.0)
        if not overrides
        else replace(tiny_config(vocab_size), **overrides)
    )


def test_training_lowers_the_loss_and_writes_every_file(data, tmp_path):
    events = []
    result = train(
        data,
        tiny_config(data.tokenizer.vocab_size),
        tmp_path,
        Budget(steps=30),
        seed=0,
        device="cpu",
        on_progress=events.append,
    )
    evals = [r for r in ckpt.read_jsonl(tmp_path / ckpt.METRICS) if r["event"] == "eval"]
    assert [r["step"] for r in evals] == [5, 10, 15, 20, 25, 30]
    assert result.best_val_bpb < evals[0]["val_bpb"] * 0.8
    assert result.steps == 30 and result.stopped == "budget" and result.tokens == 30 * 4 * 32
    for name in (ckpt.CONFIG, ckpt.WEIGHTS, ckpt.TOKENIZER, ckpt.STATE, ckpt.METRICS, ckpt.PLOT):
        assert (tmp_path / name).stat().st_size > 0, name
    assert (tmp_path / ckpt.PLOT).read_bytes()[:4] == b"\x89PNG"
    config = json.loads((tmp_path / ckpt.CONFIG).read_text())
    assert config["format"] == "ouvroir-model" and config["format_version"] == 1
    assert {e.event for e in events} == {"log", "eval", "done"}
    assert events[-1].event == "done" and events[-1].best_val_bpb == result.best_val_bpb
    assert not list(tmp_path.glob(".*.tmp"))


def test_bits_per_byte_counts_every_validation_token(data):
    """All-zero logits cost exactly ln(V) per token: the total shows which tokens were scored."""
    from ouvroir.learn.model import GPT

    model = GPT(tiny_config(data.tokenizer.vocab_size).model)
    torch.nn.init.zeros_(model.lm_head.weight)
    bpb = evaluate_bpb(model, data.val_ids, data.val_bytes, data.eot_id, "cpu")
    predicted = len(data.val_ids) - 1  # the stream starts with eot; every later token is a target
    assert bpb == pytest.approx(predicted * math.log2(data.tokenizer.vocab_size) / data.val_bytes, rel=1e-5)


def test_early_stopping_keeps_the_best_weights(tmp_path):
    rng = random.Random(0)
    noise = lambda n: "".join(rng.choice("abcdefghij \n") for _ in range(n))
    train_texts, val_texts = [noise(3000)], [noise(600)]  # nothing to learn but memorization
    tok = train_tokenizer(train_texts, vocab_size=300)
    d = TrainData.from_texts(tok, train_texts, val_texts)
    model = ModelConfig(vocab_size=tok.vocab_size, context=32, n_layer=2, d_model=64, n_head=2)
    cfg = TrainConfig(
        model=model,
        batch_size=8,
        matrix_lr=0.05,
        embed_lr=0.3,
        head_lr=0.03,
        eval_every_steps=10,
        patience=3,
        cooldown_frac=0.0,
        log_every_s=1e9,
    )
    result = train(d, cfg, tmp_path, Budget(steps=2000), device="cpu")
    assert result.stopped == "early_stop" and result.steps < 2000
    evals = [r for r in ckpt.read_jsonl(tmp_path / ckpt.METRICS) if r["event"] == "eval"]
    best = min(evals, key=lambda r: r["val_bpb"])
    assert [r["step"] for r in evals][-1] == best["step"] + 3 * 10  # three evaluations without progress
    _, meta = ckpt.load_weights(tmp_path / ckpt.WEIGHTS)
    assert int(meta["step"]) == best["step"] == result.best_step
    assert float(meta["val_bpb"]) == pytest.approx(best["val_bpb"])


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("ema_decay", [0.0, 0.9])
def test_resume_is_bit_identical_to_an_uninterrupted_run(data, tmp_path, ema_decay):
    cfg = tiny_config(
        data.tokenizer.vocab_size,
        model=replace(tiny_config(300).model, vocab_size=data.tokenizer.vocab_size, dropout=0.1),
        ema_decay=ema_decay,
    )
    full = train(data, cfg, tmp_path / "full", Budget(steps=20), seed=3, device="cpu")

    def crash_at_10(p):
        if p.event == "eval" and p.step == 10:
            raise Interrupt  # after the step-10 checkpoint was written

    with pytest.raises(Interrupt):
        train(data, cfg, tmp_path / "cut", Budget(steps=20), seed=3, device="cpu", on_progress=crash_at_10)
    assert ckpt.load_train_state(tmp_path / "cut" / ckpt.STATE)["run"]["step"] == 10
    resumed = train(data, cfg, tmp_path / "cut", Budget(steps=20), seed=3, device="cpu", resume=True)
    assert resumed.steps == full.steps == 20
    a = ckpt.load_train_state(tmp_path / "full" / ckpt.STATE)["model"]
    b = ckpt.load_train_state(tmp_path / "cut" / ckpt.STATE)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.best_val_bpb == full.best_val_bpb
    wa, _ = ckpt.load_weights(tmp_path / "full" / ckpt.WEIGHTS)
    wb, _ = ckpt.load_weights(tmp_path / "cut" / ckpt.WEIGHTS)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)  # the saved (averaged, with EMA) weights too
    steps = [r["step"] for r in ckpt.read_jsonl(tmp_path / "cut" / ckpt.METRICS) if r["event"] == "eval"]
    assert steps == [5, 10, 15, 20]  # nothing duplicated by the resume

    again = train(data, cfg, tmp_path / "cut", Budget(steps=20), seed=3, device="cpu", resume=True)
    assert again.steps == 20  # a finished run resumes to its result at once


def test_a_run_stopped_after_its_last_checkpoint_gets_its_loss_plot_on_resume(data, tmp_path):
    """Stopped once its last step was saved, the run has nothing left to train: resuming still draws loss.png."""
    cfg = tiny_config(data.tokenizer.vocab_size)

    def stop_at_the_end(p):
        if p.event == "eval" and p.step == 10:
            raise Interrupt  # the step-10 checkpoint is written, the plot not yet

    with pytest.raises(Interrupt):
        train(data, cfg, tmp_path, Budget(steps=10), seed=3, device="cpu", on_progress=stop_at_the_end)
    assert not (tmp_path / ckpt.PLOT).exists()
    assert train(data, cfg, tmp_path, Budget(steps=10), seed=3, device="cpu", resume=True).steps == 10
    assert (tmp_path / ckpt.PLOT).is_file()


def test_resume_refuses_another_configuration(data, tmp_path):
    cfg = tiny_config(data.tokenizer.vocab_size)
    train(data, cfg, tmp_path, Budget(steps=5), device="cpu")
    with pytest.raises(TrainingError, match="another configuration"):
        train(data, replace(cfg, batch_size=2), tmp_path, Budget(steps=5), device="cpu", resume=True)


def test_corrupt_state_is_a_clear_training_error(data, tmp_path):
    cfg = tiny_config(data.tokenizer.vocab_size)
    train(data, cfg, tmp_path, Budget(steps=5), device="cpu")
    (tmp_path / ckpt.STATE).write_bytes(b"garbage")
    with pytest.raises(TrainingError, match="corrupt"):
        train(data, cfg, tmp_path, Budget(steps=5), device="cpu", resume=True)


def test_too_little_data_is_a_clear_training_error(data, tmp_path):
    cfg = tiny_config(data.tokenizer.vocab_size)
    small = replace(data, train_ids=data.train_ids[:10])
    with pytest.raises(TrainingError, match="fewer than one window"):
        train(small, cfg, tmp_path, Budget(steps=5), device="cpu")
    empty = replace(data, val_ids=data.val_ids[:0], val_bytes=0)
    with pytest.raises(TrainingError, match="validation set is empty"):
        train(empty, cfg, tmp_path, Budget(steps=5), device="cpu")


CHILD = """
import json, sys
import numpy as np
from ouvroir.learn.sizing import Budget, TrainConfig
from ouvroir.learn.tokenizer import Tokenizer
from ouvroir.learn.train import TrainData, train
d = sys.argv[1]
tok = Tokenizer.load(d + "/tok.json")
data = TrainData(np.load(d + "/train.npy"), np.load(d + "/val.npy"), int(sys.argv[3]), tok.eot_id, tok)
cfg = TrainConfig.from_dict(json.load(open(d + "/cfg.json")))
train(data, cfg, sys.argv[2], Budget(steps=int(sys.argv[4])), seed=7, device="cpu", resume=True,
      on_progress=lambda p: print(p.event, p.step, flush=True))
print("FINISHED", flush=True)
"""


def test_sigkill_at_random_moments_always_resumes_to_completion(data, tmp_path):
    cfg = tiny_config(data.tokenizer.vocab_size)
    steps = 80
    np.save(tmp_path / "train.npy", data.train_ids)
    np.save(tmp_path / "val.npy", data.val_ids)
    data.tokenizer.save(tmp_path / "tok.json")
    (tmp_path / "cfg.json").write_text(json.dumps(cfg.to_dict()))
    (tmp_path / "child.py").write_text(CHILD)
    out = tmp_path / "run"
    cmd = [sys.executable, str(tmp_path / "child.py"), str(tmp_path), str(out), str(data.val_bytes), str(steps)]
    rng = random.Random()
    kills, last_saved = 0, 0
    while kills < 3:
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        first = child.stdout.readline()  # training has started (or finished)
        if first.startswith("FINISHED"):
            child.wait()
            break
        time.sleep(rng.uniform(0.0, 0.4))
        child.kill()
        child.wait()
        kills += 1
        state = ckpt.load_train_state(out / ckpt.STATE)  # never torn
        saved = state["run"]["step"] if state else 0
        assert saved >= last_saved  # progress is never lost beyond the last checkpoint
        last_saved = saved
        print("killed after step", first.split()[-1], "- saved step", saved)
        if state and state["run"]["done"]:
            break
    finished = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "FINISHED" in finished.stdout, finished.stderr
    assert kills >= 3 or last_saved == steps
    state = ckpt.load_train_state(out / ckpt.STATE)
    assert state["run"]["done"] and state["run"]["step"] == steps
    reference = train(data, cfg, tmp_path / "reference", Budget(steps=steps), seed=7, device="cpu")
    assert reference.best_val_bpb == state["run"]["best"]  # the kills changed nothing
    model = load(out, device="cpu")
    samples = generate(model, model.tokenizer, "La mer", n=2, max_tokens=20, seed=0)
    assert len(samples) == 2 and all(isinstance(s, str) for s in samples)


def test_plan_sizes_and_auto_choice():
    for size in ("tiny", "small", "base"):
        cfg = plan(size, 450_000, Budget(minutes=1), vocab_size=768)
        assert cfg.size == size and cfg.model.vocab_size == 768
    assert plan(None, 450_000, Budget(minutes=0.5)).size == "tiny"
    big = plan(None, 450_000, Budget(minutes=10))
    assert big.model.dropout > 0  # many passes over a small corpus: regularize
    with pytest.raises(ValueError, match="size"):
        plan("huge", 1000, Budget(steps=1))
    with pytest.raises(ValueError):
        Budget()


def test_a_gpu_minute_on_a_small_corpus_is_capped_at_the_passes_that_pay(data, tmp_path):
    small_corpus = plan(None, 450_000, Budget(minutes=0.75), device="cuda", vocab_size=768)
    passes = small_corpus.max_steps * small_corpus.batch_size * small_corpus.model.context / 450_000
    assert 6 <= passes <= 7 and not small_corpus.compile
    # the CPU's 10-minute run on the same corpus: same shape, batch and regularization
    cpu_ten_minutes = plan(None, 450_000, Budget(minutes=10), vocab_size=768)
    assert replace(small_corpus, max_steps=None, ema_decay=cpu_ten_minutes.ema_decay) == cpu_ten_minutes
    assert small_corpus.ema_decay == pytest.approx(cpu_ten_minutes.ema_decay, abs=1e-3)
    assert plan(None, 50_000_000, Budget(minutes=0.75), device="cuda").max_steps is None
    assert cpu_ten_minutes.max_steps is None  # a CPU run is never capped

    capped = train(data, tiny_config(data.tokenizer.vocab_size, max_steps=7), tmp_path, Budget(minutes=5))
    assert capped.steps == 7 and capped.stopped == "budget"
    assert json.loads((tmp_path / ckpt.CONFIG).read_text())["budget"] == {"minutes": 5, "steps": None}


def test_weight_average_is_the_plain_mean_until_its_window_then_forgets():
    layer = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        layer.weight.fill_(0.0)
    ema = WeightEMA(layer, decay=0.9)  # a window of about 10 updates
    seen = [0.0]
    for value in range(1, 6):
        with torch.no_grad():
            layer.weight.fill_(float(value))
        ema.update()
        seen.append(float(value))
    with ema.swapped_in():
        assert layer.weight.item() == pytest.approx(sum(seen) / len(seen))  # 2.5: every weight so far
    assert layer.weight.item() == 5.0  # training continues on the raw weights
    for _ in range(200):  # far past the window, the initial weights are forgotten
        ema.update()
    with ema.swapped_in():
        assert layer.weight.item() == pytest.approx(5.0, abs=1e-4)


def test_training_reads_as_named_steps_none_much_over_60_lines():
    """``train`` is the recipe, its module docstring names each step, and every step is a short function."""
    import ast

    from ouvroir.learn import train as train_module

    lengths = {
        f"{path.name}:{node.name}": node.end_lineno - node.lineno + 1
        for path in sorted((ROOT / "ouvroir" / "learn").glob("train*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert {"train.py:train", "train_state.py:open_run", "train_state.py:build", "train_state.py:restore",
            "train_loop.py:step", "train_loop.py:evaluate", "train_state.py:save_checkpoint",
            "train_loop.py:judge"} <= lengths.keys()  # fmt: skip
    assert {name: n for name, n in lengths.items() if n > 60} == {}
    for step in ("open_run", "build", "restore", "Schedule", "step", "evaluate", "save_checkpoint", "judge"):
        assert step in train_module.__doc__
