"""`ouvroir publish --formats audio`: the text read aloud (espeak-ng, or a voice engine a person names) into a WAV
with a C2PA manifest inside and its signed sidecar; without the engine, the other formats are still made."""

from __future__ import annotations

import shutil
import sys
import wave
from pathlib import Path

import pytest

from ouvroir.errors import PublishError
from ouvroir.provenance.manifest import COMPOSITE
from ouvroir.publish import audio
from ouvroir.workshop import verify
from tests.test_publishing import cowritten

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (apt install espeak-ng)")
PERSON_TEXT = ("Au port, la nuit ; le vent chante doucement sur l'eau grise.\nOù dort la ville ?\n\n"
               "Les barques rentrent une à une, et la lune monte au-dessus des toits.\n\n")  # fmt: skip
# A tiny engine standing in for one a person installs: 1 ms of silence per character read, at 8 kHz.
FAKE_ENGINE = """import sys, wave
text = sys.stdin.read()
open(sys.argv[3], "a").write(sys.argv[1] + " " + str(len(text)) + "\\n")
with wave.open(sys.argv[2], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000); w.writeframes(b"\\0\\0" * 8 * len(text))
"""


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A tiny model (10 steps) and a French document: a person's paragraphs and a kept suggestion."""
    studio, doc, _ = cowritten(tmp_path_factory.mktemp("audio"), PERSON_TEXT)
    yield studio, doc
    studio.close()


def seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


@needs_espeak
def test_french_text_is_read_aloud_into_a_wav_that_verifies_with_its_sidecar_and_alone(made, tmp_path, monkeypatch):
    monkeypatch.delenv(audio.ENV_COMMAND, raising=False)
    studio, doc = made
    published = studio.publish([doc.id], "html,audio", tmp_path / "out")
    wav = next(p for p in published.files if p.suffix == ".wav")
    assert published.warnings == [] and wav.stat().st_size > 10_000
    spoken = len(doc.text) + len(doc.title)
    per_char = seconds(wav) / spoken  # French read aloud: about 15 characters a second
    assert 0.03 < per_char < 0.2, per_char
    verdict = verify(wav, studio)
    assert verdict.ok, verdict.problem
    assert verdict.kind == "co-creation" and verdict.digital_source_type == COMPOSITE
    c2pa = next(c for c in verdict.checks if c.name == "c2pa")
    assert c2pa.ok and "compositeWithTrainedAlgorithmicMedia" in c2pa.message, c2pa.message
    alone = tmp_path / "alone" / wav.name  # the WAV travels without its sidecar: its C2PA manifest vouches for it
    alone.parent.mkdir()
    shutil.copy(wav, alone)
    verdict = verify(alone, studio)
    assert verdict.ok, verdict.problem
    assert {c.name for c in verdict.checks} >= {"manifest", "c2pa", "key"}
    data = bytearray(wav.read_bytes())
    data[len(data) // 2] ^= 0x01  # one sample of the voice
    changed = tmp_path / "changed"
    changed.mkdir()
    (changed / wav.name).write_bytes(bytes(data))
    shutil.copy(wav.with_name(wav.name + ".provenance.json"), changed)
    verdict = verify(changed / wav.name, studio)
    assert not verdict.ok and verdict.problem.startswith(f"content changed: {wav.name}"), verdict.problem
    (changed / (wav.name + ".provenance.json")).unlink()
    verdict = verify(changed / wav.name, studio)
    assert not verdict.ok and "c2pa" in {c.name for c in verdict.checks if c.ok is False}, verdict.problem


def test_without_espeak_ng_the_other_formats_are_made_and_the_package_is_named(made, tmp_path, monkeypatch, run_cli):
    studio, doc = made
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no espeak-ng on it
    monkeypatch.delenv(audio.ENV_COMMAND, raising=False)
    published = studio.publish([doc.id], "html,pdf,audio", tmp_path / "out")
    assert sorted(p.suffix for p in published.files) == [".html", ".pdf"]
    assert not list((tmp_path / "out").glob("*.wav"))
    assert len(published.warnings) == 1 and "apt install espeak-ng" in published.warnings[0]
    assert all(verify(p, studio).ok for p in published.files)
    with pytest.raises(PublishError, match=r"espeak-ng is not installed \(apt install espeak-ng"):
        studio.publish([doc.id], "audio", tmp_path / "only-audio")
    assert not (tmp_path / "only-audio").exists()
    result = run_cli("--studio", studio.root, "publish", doc.id, "--formats", "epub,audio", "--out", tmp_path / "cli")
    assert result.exit_code == 0, result.output
    assert "Published 1 file(s)" in result.output and "apt install espeak-ng" in result.output


def test_another_voice_engine_reads_each_chunk_in_the_items_language(made, tmp_path, monkeypatch):
    studio, doc = made
    engine, calls = tmp_path / "engine.py", tmp_path / "calls.txt"
    engine.write_text(FAKE_ENGINE, "utf-8")
    monkeypatch.setattr(audio, "CHUNK_CHARS", 60)  # the document's paragraphs are read in several calls
    command = f"{sys.executable} {engine} {{lang}} {{out}} {calls}"
    published = studio.publish([doc.id], "audio", tmp_path / "out", lang="en", voice_command=command)
    wav = published.files[0]
    lines = calls.read_text().splitlines()
    assert len(lines) > 2 and all(line.startswith("en ") for line in lines)
    read = sum(int(line.split()[1]) for line in lines)
    assert seconds(wav) == pytest.approx(read / 1000)  # the chunks joined, in order, nothing lost
    assert verify(wav, studio).ok
    with pytest.raises(PublishError, match="must name a program and {out}"):
        studio.publish([doc.id], "audio", tmp_path / "bad", voice_command="espeak-ng -v {lang}")
