"""A LoRA model generates only on the base it was fine-tuned on: a changed or missing base is refused in one line.

The base is a tiny GPT-2 built from a config (tests/test_finetune.py), copied so that each test may damage its own.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ouvroir.errors import BaseModelChanged
from ouvroir.learn import base_weights
from ouvroir.workshop.generation import GenerationParams, generate_samples
from tests.test_finetune import bases, no_network, poems  # noqa: F401  (fixtures)

pytest.importorskip("peft")


@pytest.fixture
def lora(poems, bases, tmp_path):  # noqa: F811
    """A LoRA model on a base of its own (a copy of the tiny GPT-2), and that base's folder."""
    base = tmp_path / "base-gpt2"
    shutil.copytree(bases["gpt2"], base)
    return poems.models.finetune(str(base), rank=2, steps=4, context=64, batch_size=4), base


def _flip_one_byte_keeping_mtime(file: Path) -> None:
    """One byte of the last tensor changed, the modification time set back: only the change time tells."""
    before = file.stat()
    data = bytearray(file.read_bytes())
    data[-3] ^= 0x01
    file.write_bytes(bytes(data))
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))


def _one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    return lines[0]


def test_one_byte_changed_in_the_base_weights_refuses_generate_audit_and_check(poems, lora, run_cli):  # noqa: F811
    record, base = lora
    assert set(record.config["base"]["weights_state"]) == {"model.safetensors"}
    (sample,) = generate_samples(poems, record.id, "la", params=GenerationParams(max_tokens=3, temperature=0), seed=1)
    _flip_one_byte_keeping_mtime(base / "model.safetensors")

    line = _one_line(run_cli("generate", record.id, "--prompt", "la", "--max-tokens", "3", "--seed", "1"))
    assert str(base) in line and "model.safetensors" in line and "sha256 differs" in line, line
    assert [s.id for s in poems.models.samples()] == [sample.id]  # nothing generated from the other base
    with pytest.raises(BaseModelChanged, match="model.safetensors"):  # the cached model is not used either
        generate_samples(poems, record.id, "la", params=GenerationParams(max_tokens=3, temperature=0), seed=1)
    line = _one_line(run_cli("audit", record.id, "--samples", "2", "--temperatures", "1.0"))
    assert str(base) in line and "model.safetensors" in line, line
    checked = run_cli("check")
    assert checked.exit_code != 0 and f"model {record.id}'s base: model.safetensors in the base model folder {base}" in checked.output


def test_a_missing_base_or_a_resized_file_is_named_and_a_touched_one_is_hashed_once(poems, lora, run_cli, monkeypatch):  # noqa: F811
    record, base = lora
    hashed: list[str] = []
    real = base_weights.sha256_file
    monkeypatch.setattr(base_weights, "sha256_file", lambda path: hashed.append(Path(path).name) or real(path))
    params = GenerationParams(max_tokens=3, temperature=0)
    generate_samples(poems, record.id, "la", params=params, seed=1)
    assert "model.safetensors" not in hashed  # the weights are as recorded: a stat, not a hash

    (base / "model.safetensors").touch()  # same bytes, new times: hashed again once, then known whole
    generate_samples(poems, record.id, "la", params=params, seed=1)
    generate_samples(poems, record.id, "la", params=params, seed=1)
    assert hashed.count("model.safetensors") == 1

    with open(base / "model.safetensors", "ab") as fh:
        fh.write(b"\0")
    line = _one_line(run_cli("generate", record.id, "--max-tokens", "3"))
    assert "model.safetensors in the base model folder" in line and "bytes then" in line, line

    base.rename(base.with_name("moved"))
    line = _one_line(run_cli("generate", record.id, "--max-tokens", "3"))
    assert f"the base model folder {base} is missing" in line and f"ouvroir train --from {base}" in line, line


def test_a_full_finetune_does_not_depend_on_its_base_folder(poems, bases, tmp_path):  # noqa: F811
    base = tmp_path / "base-llama"
    shutil.copytree(bases["llama"], base)
    record = poems.models.finetune(str(base), method="full", steps=2, context=64, batch_size=4)
    shutil.rmtree(base)
    (sample,) = generate_samples(poems, record.id, "la", params=GenerationParams(max_tokens=3, temperature=0), seed=1)
    assert sample.text.startswith("la")
