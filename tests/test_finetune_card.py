"""The card of a fine-tuned model says where it starts from: the base named by folder and hashes, what the base's
own card declares, that the base's training data lies outside the consent record, and base → fine-tuned figures.

Bases are tiny models built from configs (tests/test_finetune.py): nothing is downloaded.
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.test_finetune import bases, no_network, poems  # noqa: F401  (fixtures)

pytest.importorskip("peft")


def _card(run_cli, studio, model_id: str, lang: str) -> str:
    result = run_cli("card", model_id, "--lang", lang)
    assert result.exit_code == 0, result.output
    return (studio.layout.model(model_id) / f"card.{lang}.md").read_text("utf-8")


def test_the_card_of_a_lora_model_names_its_base_and_says_its_data_is_outside_the_consent_record(poems, bases, tmp_path,
                                                                                                 run_cli):  # noqa: F811
    base = tmp_path / "petit-gpt2"
    shutil.copytree(bases["gpt2"], base)
    record = poems.models.finetune(str(base), rank=2, steps=6, context=64, batch_size=4)
    zero, tuned = record.config["bpb"]["zero_shot"], record.config["bpb"]["fine_tuned"]
    hashes = record.config["base"]["config_sha256"], record.config["base"]["weights_sha256"]["model.safetensors"]

    en = _card(run_cli, poems, record.id, "en")
    assert "fine-tuned from the base model `petit-gpt2` (LoRA of rank 2)" in en
    assert all(sha in en for sha in hashes) and str(base) not in en  # named by folder and hashes; the path stays here
    assert "declares the licence `apache-2.0` and the training data `PleIAs/common_corpus`" in en
    assert "**The data the base model was trained on lies outside this studio's consent record.**" in en
    assert "ouvroir guarantees only the fine-tuning data: the consenting works" in en
    assert "Pleias models, trained on Common Corpus" in en
    assert f"{zero:.3f} → {tuned:.3f} bits per byte" in en
    assert "adapter_model.safetensors" in en and record.weights_sha256 in en
    assert "from scratch on this studio's works only" not in en and "learned nothing elsewhere" not in en

    fr = _card(run_cli, poems, record.id, "fr")
    assert "affiné à partir du modèle de base `petit-gpt2` (LoRA de rang 2)" in fr
    assert "échappent au registre des consentements de ce studio" in fr and "Pleias" in fr
    assert f"{zero:.3f} → {tuned:.3f} bits par octet".replace(".", ",") in fr
    assert "entraîné de zéro" not in fr

    data = json.loads((poems.layout.model(record.id) / "card.json").read_text("utf-8"))
    tuned_data = data["model"]["finetune"]
    assert tuned_data["base"]["folder"] == "petit-gpt2" and tuned_data["base"]["licence"] == ["apache-2.0"]
    assert tuned_data["base"]["datasets"] == ["PleIAs/common_corpus"] and "path" not in tuned_data["base"]
    assert tuned_data["bpb"] == {"zero_shot": zero, "fine_tuned": tuned}


def test_a_base_whose_card_declares_nothing_is_said_so_and_a_full_finetune_names_its_own_weights(poems, bases, tmp_path,
                                                                                                 run_cli):  # noqa: F811
    base = tmp_path / "sans-fiche"
    shutil.copytree(bases["llama"], base)
    (base / "README.md").unlink()
    record = poems.models.finetune(str(base), method="full", steps=2, context=64, batch_size=4)
    en = _card(run_cli, poems, record.id, "en")
    assert "fine-tuned from the base model `sans-fiche` (every weight fine-tuned)" in en
    assert "declares neither a licence nor its training data" in en and "outside this studio's consent record" in en
    assert "Its weights, the whole fine-tuned model, are in `model.safetensors`" in en
    fr = _card(run_cli, poems, record.id, "fr")
    assert "ne déclare ni licence ni données d'entraînement" in fr
