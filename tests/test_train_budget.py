"""A minutes budget bounds the whole run: the time before the steps, the evaluations and the save are in it."""

from __future__ import annotations

import random
import time

import pytest

from ouvroir.learn import train_loop
from ouvroir.learn.model import ModelConfig
from ouvroir.learn.sizing import Budget, TrainConfig
from ouvroir.learn.tokenizer import train_tokenizer
from ouvroir.learn.train import TrainData, train
from ouvroir.learn.train_loop import Schedule
from ouvroir.learn.train_state import Counters


def verses(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = ["la mer", "le vent", "chante", "dort", "au jardin", "sous la pluie", "the moon", "sings"]
    return ["\n".join(" ".join(rng.choice(words) for _ in range(6)) for _ in range(6)) for _ in range(n)]


@pytest.fixture(scope="module")
def data() -> TrainData:
    train_texts, val_texts = verses(60, seed=1), verses(6, seed=2)
    tok = train_tokenizer(train_texts, vocab_size=300)
    data = TrainData.from_texts(tok, train_texts, val_texts)
    train(data, config(tok.vocab_size), _tmp(), Budget(steps=1))  # torch's first-use imports, not the run's time
    return data


def config(vocab_size: int) -> TrainConfig:
    model = ModelConfig(vocab_size=vocab_size, context=32, n_layer=1, d_model=32, n_head=2)
    return TrainConfig(model=model, batch_size=4, evals=4, patience=100, log_every_s=0.0)


def test_the_steps_get_what_the_preparation_evaluations_and_save_leave():
    """60 s, 10 s already spent preparing, evaluations of 2 s: 4 of them fit a fifth of the rest; the steps get 39 s."""
    schedule, c = Schedule(config(300), Budget(minutes=1)), Counters(prep_s=10.0)
    schedule.estimate_eval(2.0, c)
    assert schedule.evals == 4
    assert schedule.train_budget_s(c) == pytest.approx(60 - 10 - 4 * 2 - train_loop.FINISH_S)
    assert schedule.seconds_left(c) == pytest.approx(50)  # the whole minute less what was spent
    c.elapsed, c.eval_s, c.evals = 20.0, 5.0, 2  # slower evaluations than guessed: the steps get less
    assert schedule.train_budget_s(c) == pytest.approx(60 - 10 - 5 - 2 * 2.5 - train_loop.FINISH_S)
    assert schedule.fraction(c) == pytest.approx(20 / 37)
    assert schedule.seconds_left(c) == pytest.approx(60 - 10 - 20 - 5)


def test_a_minutes_run_ends_within_its_budget_counted_from_its_start(data, monkeypatch):
    monkeypatch.setattr(train_loop, "FINISH_S", 0.3)
    budget_s, spent = 3.0, 1.0  # a run started a second ago (snapshot, tokenizer): 2 s are left for the rest
    events = []
    started = time.perf_counter() - spent
    result = train(data, config(data.tokenizer.vocab_size), _tmp(), Budget(minutes=budget_s / 60),
                   started=started, on_progress=events.append)  # fmt: skip
    wall = time.perf_counter() - started
    assert result.elapsed_s <= budget_s - spent - result.eval_s + 0.2  # the steps had what was left
    assert wall <= budget_s + 0.7, f"{wall:.2f} s for a {budget_s} s budget"
    assert spent + result.elapsed_s + result.eval_s <= result.run_s <= wall  # the time before the steps is counted
    first, last = events[0], events[-1]
    # The countdown plans the whole run from the start and reaches zero only when the model is saved.
    assert first.elapsed_s + first.seconds_left == pytest.approx(budget_s, abs=0.3)
    assert all(e.seconds_left > 0 for e in events if e.event != "done")
    assert last.event == "done" and last.seconds_left == 0.0 and last.elapsed_s <= budget_s + 0.7


def _tmp():
    import tempfile

    return tempfile.mkdtemp(prefix="ouvroir-budget-")
