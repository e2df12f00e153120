"""The exported directory loads offline in transformers and continues text exactly as ouvroir does."""

from __future__ import annotations

import pytest
import torch

from ouvroir.learn import checkpoint as ckpt
from ouvroir.errors import ModelNotFound
from ouvroir.learn.export_hf import export_hf
from ouvroir.learn.generate import generate, load
from ouvroir.learn.model import GPT, ModelConfig
from ouvroir.learn.tokenizer import train_tokenizer

transformers = pytest.importorskip("transformers")

TEXT = "Demain, dès l'aube, à l'heure où blanchit la campagne, je partirai. Vois-tu, je sais que tu m'attends. " * 10


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.mark.parametrize("overrides", [{}, {"n_kv_head": 1, "hidden_act": "silu", "tie_embeddings": True}])
def test_exported_model_greedy_equals_ouvroir(tmp_path, overrides):
    tok = train_tokenizer([TEXT], vocab_size=320)
    torch.manual_seed(0)
    gpt = GPT(ModelConfig(vocab_size=tok.vocab_size, context=64, n_layer=2, d_model=32, n_head=2, **overrides))
    with torch.no_grad():
        for p in gpt.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    ckpt.save_model(tmp_path / "model", gpt, tok)
    export_hf(tmp_path / "model", tmp_path / "hf")

    hf_tok = transformers.AutoTokenizer.from_pretrained(tmp_path / "hf")
    hf_model = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "hf").eval()
    prompt = "Demain, dès l'aube"
    ids = hf_tok(prompt, return_tensors="pt").input_ids
    assert ids[0].tolist() == [tok.eot_id, *tok.encode(prompt)]
    assert hf_tok.decode(ids[0], skip_special_tokens=True) == prompt

    ours = load(tmp_path / "model", device="cpu")
    with torch.no_grad():
        torch.testing.assert_close(hf_model(ids).logits, ours.model(ids), atol=1e-4, rtol=1e-4)
        out = hf_model.generate(ids, max_new_tokens=40, do_sample=False)
    theirs = out[0, ids.shape[1] :].tolist()
    if tok.eot_id in theirs:
        theirs = theirs[: theirs.index(tok.eot_id)]
    (text,) = generate(ours, None, prompt, max_tokens=40, temperature=0)
    assert tok.encode(text) == theirs or tok.decode(theirs) == text


def test_export_needs_a_tokenizer(tmp_path):
    gpt = GPT(ModelConfig(vocab_size=300, context=16, n_layer=1, d_model=16, n_head=2))
    ckpt.save_model(tmp_path / "model", gpt)
    with pytest.raises(ModelNotFound, match="tokenizer"):
        export_hf(tmp_path / "model", tmp_path / "hf")
