"""Sampling: determinism, greedy, top-k/top-p, streaming, long outputs, clear errors."""

from __future__ import annotations

import pytest
import torch

from ouvroir.learn import checkpoint as ckpt
from ouvroir.errors import ModelNotFound
from ouvroir.learn.generate import PromptTooLong, _Utf8Stream, generate, load
from ouvroir.learn.model import GPT, ModelConfig
from ouvroir.learn.tokenizer import train_tokenizer

TEXT = "Le vent se lève, il faut tenter de vivre. Ô saisons, ô châteaux ! 🌊 " * 20


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    tok = train_tokenizer([TEXT], vocab_size=300)
    torch.manual_seed(0)
    gpt = GPT(ModelConfig(vocab_size=tok.vocab_size, context=24, n_layer=2, d_model=32, n_head=2))
    with torch.no_grad():
        for p in gpt.parameters():
            p.add_(torch.randn_like(p) * 0.3)
        gpt.lm_head.weight.mul_(3.0)  # peaked predictions, eot a rare middling choice:
        gpt.lm_head.weight[tok.eot_id] = 0.0  # samples are long, yet some do end
    return ckpt.save_model(tmp_path_factory.mktemp("model"), gpt, tok, {"step": 1})


@pytest.fixture(scope="module")
def m(model_dir):
    return load(model_dir, device="cpu")


def no_cache_greedy(m, prompt, n_tokens):
    ids = [m.tokenizer.eot_id, *m.tokenizer.encode(prompt)]
    with torch.no_grad():
        for _ in range(n_tokens):
            ids.append(int(m.model(torch.tensor([ids[-m.config.context :]]))[0, -1].argmax()))
    return ids[len(m.tokenizer.encode(prompt)) + 1 :]


def test_same_seed_same_samples_and_other_seed_others(m):
    a = generate(m, m.tokenizer, "Le vent", n=3, max_tokens=30, seed=5)
    assert a == generate(m, m.tokenizer, "Le vent", n=3, max_tokens=30, seed=5)
    assert a != generate(m, m.tokenizer, "Le vent", n=3, max_tokens=30, seed=6)
    assert len(set(a)) == 3  # the batch rows are independent samples


def test_greedy_with_cache_equals_recomputing_everything(m):
    expected = no_cache_greedy(m, "Ô saisons", 20)
    (text,) = generate(m, None, "Ô saisons", max_tokens=20, temperature=0)
    if m.tokenizer.eot_id in expected:
        expected = expected[: expected.index(m.tokenizer.eot_id)]
    assert text == m.tokenizer.decode(expected)


def test_long_generation_slides_past_the_context(m):
    (text,) = generate(m, None, "", max_tokens=3 * m.config.context, temperature=0, stop_at_eot=False)
    assert len(m.tokenizer.encode(text)) >= 2 * m.config.context  # (re-encoding may merge a few tokens)
    # before the first slide, the cached decode equals a full recomputation
    head = no_cache_greedy(m, "", m.config.context - 1)
    assert text.startswith(m.tokenizer.decode(head)[:20])


def test_top_k_one_and_tiny_top_p_are_greedy(m):
    greedy = generate(m, None, "Le", max_tokens=25, temperature=0)
    assert generate(m, None, "Le", max_tokens=25, temperature=1.5, top_k=1, seed=1) == greedy
    assert generate(m, None, "Le", max_tokens=25, temperature=1.5, top_p=1e-6, seed=2) == greedy


def test_streaming_gives_exactly_the_returned_text(m):
    pieces = []
    (text,) = generate(m, None, "Le vent", max_tokens=60, seed=3, on_text=pieces.append)
    assert "".join(pieces) == text
    with pytest.raises(ValueError, match="n=1"):
        generate(m, None, "x", n=2, on_text=print)


def test_stream_holds_back_a_split_character(m):
    tok = m.tokenizer
    byte_ids = {tok.token_bytes(i): i for i in range(tok.vocab_size)}
    pieces = []
    stream = _Utf8Stream(tok, pieces.append)
    for b in "é🌊".encode():  # one byte-level token per byte: characters arrive in pieces
        stream.push(byte_ids[bytes([b])])
        assert "\ufffd" not in "".join(pieces)
    stream.close()
    assert pieces == ["é", "🌊"]


def test_prompt_longer_than_the_context_is_a_clear_error(m):
    with pytest.raises(PromptTooLong, match="at most 23"):
        generate(m, None, "ô châteaux " * 40, max_tokens=5)


def test_missing_or_corrupt_model_files_are_clear(model_dir, tmp_path):
    with pytest.raises(ModelNotFound, match="no model directory"):
        load(tmp_path / "absent")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / ckpt.CONFIG).write_text((model_dir / ckpt.CONFIG).read_text())
    with pytest.raises(ModelNotFound, match="not saved a model yet"):
        load(broken)
    (broken / ckpt.WEIGHTS).write_bytes((model_dir / ckpt.WEIGHTS).read_bytes()[:100])
    with pytest.raises(ModelNotFound, match="corrupt"):
        load(broken)
    (broken / ckpt.CONFIG).write_text("{")
    with pytest.raises(ModelNotFound, match="corrupt"):
        load(broken)


def test_a_sample_ends_at_the_end_of_document_token(m):
    eot = "<|endoftext|>"
    hot = {"n": 16, "max_tokens": 60, "seed": 4, "temperature": 50.0}  # near-uniform: eot comes up
    full = generate(m, None, "Le", stop_at_eot=False, **hot)
    stopped = generate(m, None, "Le", **hot)
    assert any(eot in f for f in full)
    assert stopped == [f.split(eot)[0] for f in full]
