"""Training and generating in the studio: the consent canary, resumable runs, stored samples, clear errors."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ouvroir import Studio
from ouvroir.workshop import training
from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import ModelNotFound, TrainingError
from ouvroir.workshop.generation import GenerationParams, generate_samples
from ouvroir.store import models as model_store
from ouvroir.learn.tokenizer import Tokenizer

WORDS = ("le vent la mer une rose sombre chante sous les arbres du jardin où l'aube passe lente "
         "et douce comme un rêve d'été brûlant les yeux clos du poète qui marche seul vers la ville").split()
TRAINED_CANARY = "Zéphyrine-Quorvex chante quarante-deux baleines cobalt sous la lune de Pontarlier."
REFUSED_CANARY = "Maëlwenn-Kastrofil compte mille neuf cent treize lanternes pourpres au fond du puits."
UNKNOWN_CANARY = "Oubliette-Vrandiol garde soixante-sept clés d'ivoire dans la malle du grenier."


def poem(seed: int, lines: int = 24) -> str:
    rng = random.Random(seed)
    stanzas = []
    for _ in range(lines // 4):
        stanzas.append("\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 9))).capitalize() for _ in range(4)))
    return "\n\n".join(stanzas)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A studio with consenting poems, a refused and an unknown work each repeating a canary, and one trained model."""
    root = tmp_path_factory.mktemp("canary")
    corpus = root / "corpus"
    for i in range(12):
        write(corpus / "train", f"poeme_{i:02d}.txt", poem(i))
    # The trained canary is repeated so a model that sees it memorizes it: the positive control.
    write(corpus / "train", "refrain.txt", "\n\n".join([poem(99, 8), *[TRAINED_CANARY] * 60]))
    write(corpus / "refused", "secret.txt", "\n\n".join([poem(100, 8), *[REFUSED_CANARY] * 60]))
    write(corpus / "unknown", "inconnu.txt", "\n\n".join([poem(101, 8), *[UNKNOWN_CANARY] * 60]))
    studio = Studio.init(root / "studio")
    opts = AddOptions(author="Ada Martin", license="CC-BY-4.0")
    assert studio.add([corpus / "train"], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    assert studio.add([corpus / "refused"], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="no-train")).ok
    assert studio.add([corpus / "unknown"], opts).ok
    seen_by_tokenizer: list[str] = []
    original = training.train_tokenizer

    def spy(texts, vocab_size, *args, **kwargs):
        texts = list(texts)
        seen_by_tokenizer.extend(texts)
        return original(texts, vocab_size, *args, **kwargs)

    training.train_tokenizer = spy
    try:
        record = training.train_model(studio, size="tiny", steps=160, seed=1)
    finally:
        training.train_tokenizer = original
    return studio, record, seen_by_tokenizer


def halves(text: str) -> tuple[str, str]:
    """Cut at the space nearest the middle: a prompt ending inside a word is not how the model saw it."""
    cut = text.rfind(" ", 0, len(text) // 2 + 1)
    return text[:cut], text[cut:]


def greedy(studio, model_id, prompt, tokens=40) -> str:
    [sample] = generate_samples(studio, model_id, prompt, 1, GenerationParams(max_tokens=tokens, temperature=0), seed=0)
    return sample.text[len(prompt):]


def test_consent_canary_never_reaches_training(trained):
    studio, record, seen = trained
    assert seen, "the tokenizer was trained"
    tokenizer_input = "\n".join(seen)
    assert TRAINED_CANARY in tokenizer_input
    assert REFUSED_CANARY not in tokenizer_input and UNKNOWN_CANARY not in tokenizer_input

    folder = studio.root / "snapshots" / record.snapshot_id
    meta = json.loads((folder / "tokens.json").read_text())
    tokenizer = Tokenizer.load(folder / "tokenizer.json")
    streams = [tokenizer.decode(np.fromfile(folder / name, dtype=meta["dtype"]).tolist()) for name in ("train.bin", "val.bin")]
    assert any(TRAINED_CANARY in s for s in streams)
    assert not any(REFUSED_CANARY in s or UNKNOWN_CANARY in s for s in streams)

    manifest = json.loads((folder / "manifest.json").read_text())
    titles = {w["title"] for w in manifest["works"]}
    assert "Secret" not in titles and "Inconnu" not in titles and len(manifest["works"]) == 13


def test_greedy_generation_reproduces_only_what_it_was_allowed_to_learn(trained):
    studio, record, _ = trained
    head, tail = halves(TRAINED_CANARY)
    # Positive control: the model memorized the canary it was allowed to see.
    assert greedy(studio, record.id, head).startswith(tail[:20])
    for canary in (REFUSED_CANARY, UNKNOWN_CANARY):
        head, tail = halves(canary)
        assert tail[:12] not in greedy(studio, record.id, head)


def test_model_is_stored_with_its_lineage(trained):
    studio, record, _ = trained
    folder = studio.root / "models" / record.id
    for name in ("model.safetensors", "config.json", "tokenizer.json", "metrics.jsonl", "loss.png"):
        assert (folder / name).stat().st_size > 0, name
    assert record.status == "ready" and record.parameters > 0 and 0 < record.val_bpb < 8
    assert record.snapshot_id in {r[0] for r in studio.conn.execute("SELECT id FROM snapshots")}
    listed = model_store.list_models(studio.conn)
    assert [m.id for m in listed] == [record.id]


def test_samples_are_stored_and_reproducible(trained):
    studio, record, _ = trained
    params = GenerationParams(max_tokens=30, temperature=1.0, top_p=0.9)
    first = generate_samples(studio, None, "Le vent", 3, params, seed=5)
    again = generate_samples(studio, record.id, "Le vent", 3, params, seed=5)
    assert [s.text for s in first] == [s.text for s in again]
    for sample in first:
        path = studio.root / sample.path
        assert path.read_text("utf-8") == sample.text and sample.text.startswith("Le vent")
        info = json.loads(path.with_name(path.name + ".provenance.json").read_text())["assertions"]
        assert info["ouvroir.model"]["id"] == record.id
        assert info["ouvroir.generation"]["seed"] == 5 and info["ouvroir.generation"]["prompt"] == "Le vent"
    stored = model_store.list_samples(studio.conn, record.id)
    assert {s.id for s in first} <= {s.id for s in stored}


def test_training_needs_consenting_works(tmp_path):
    studio = Studio.init(tmp_path / "empty")
    with pytest.raises(TrainingError, match="no works"):
        training.train_model(studio, steps=1)
    write(tmp_path / "c", "a.txt", poem(1))
    studio.add([tmp_path / "c"])
    with pytest.raises(TrainingError, match="consent"):
        training.train_model(studio, steps=1)
    studio.set_consent(["A"], "train", "test")
    with pytest.raises(TrainingError, match="too small"):
        training.train_model(studio, steps=1)
    assert studio.conn.execute("SELECT count(*) FROM models").fetchone()[0] == 0


def test_unknown_model_is_a_clear_error(trained):
    studio, _, _ = trained
    with pytest.raises(ModelNotFound, match="no model matches"):
        generate_samples(studio, "mdoesnotexist", "x")


def test_prompt_longer_than_the_context_is_refused_by_the_cli(trained, run_cli):
    studio, record, _ = trained
    result = run_cli("--studio", str(studio.root), "generate", record.id, "--prompt", "la mer " * 2000)
    assert result.exit_code != 0 and "prompt" in result.output.lower() and "Traceback" not in result.output


def _wait_for(path: Path, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists():
            return True
        time.sleep(0.1)
    return False


def test_training_killed_with_sigkill_resumes_from_the_cli(tmp_path):
    """kill -9 at random moments, three times: `ouvroir train --resume` finishes and the model loads and generates."""
    corpus = tmp_path / "corpus"
    for i in range(12):
        write(corpus, f"p{i}.txt", poem(i, 40))
    env = os.environ | {"OUVROIR_STUDIO": str(tmp_path / "studio"), "NO_COLOR": "1"}
    ouvroir = [sys.executable, "-m", "ouvroir"]
    subprocess.run([*ouvroir, "init"], env=env, check=True, capture_output=True)
    subprocess.run([*ouvroir, "add", str(corpus), "--consent", "train"], env=env, check=True, capture_output=True)
    rng = random.Random(7)
    command = [*ouvroir, "train", "--size", "tiny", "--steps", "400"]
    model_id = None
    for attempt in range(3):
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        studio = Studio.open(tmp_path / "studio")
        models = model_store.list_models(studio.conn) if attempt else []
        deadline = time.monotonic() + 60
        while model_id is None and time.monotonic() < deadline:
            models = model_store.list_models(studio.conn)
            if models:
                model_id = models[0].id
            time.sleep(0.1)
        assert model_id, "the run registered its model"
        if attempt == 0:
            _wait_for(tmp_path / "studio" / "models" / model_id / "train_state.pt", 60)
        time.sleep(rng.uniform(0.5, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        studio.close()
        command = [*ouvroir, "train", "--resume", model_id]
    finished = subprocess.run(command, env=env, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    studio = Studio.open(tmp_path / "studio")
    record = model_store.resolve_model(studio.conn, model_id)
    # Early stopping may end the run before 400 steps on this tiny corpus; it must end "ready".
    assert record.status == "ready" and 0 < record.steps <= 400
    [sample] = generate_samples(studio, model_id, "Le vent", 1, GenerationParams(max_tokens=20), seed=1)
    assert sample.text.startswith("Le vent")
