"""C2PA manifests embedded in generated WAVs: the AI label and ouvroir's assertions inside the file,
signed by the studio's own key through its local CA, checked by `ouvroir verify` beside the sidecar."""

from __future__ import annotations

import io
import shutil
import types
import wave
from pathlib import Path

import pytest

pytest.importorskip("c2pa")

from ouvroir.media.music.synth import to_wav
from ouvroir.provenance import c2pa_embed as ce
from ouvroir.provenance.keys import import_key, key_id, load_or_create_key
from ouvroir.provenance.manifest import TRAINED, build, generator, sidecar_path, write
from ouvroir.provenance.trust import load_keyring
from ouvroir.provenance.verify import verify

EVENTS = "B4/4 K0 V0 P0 n60 d12"
CREATED = "2025-01-31T10:00:00.000000Z"
GENERATION = {"sample_id": "g0123456789", "prompt": "", "params": {"max_tokens": 8}, "seed": 7, "n": 1, "index": 0}
MODEL = {"id": "m1", "weights_sha256": "ab" * 32, "snapshot_id": "s1"}


def _embedded(root: Path, generation: dict = GENERATION, extra: dict | None = None) -> bytes:
    credentials = ce.load_or_create_credentials(root)
    assertions = (extra or {}) | {"ouvroir.generation": generation}
    return ce.embed(to_wav(EVENTS), "audio/wav", ce.definition("g1.wav", "audio/wav", assertions, CREATED), credentials)


def _labelled(root: Path, data: bytes, generation: dict = GENERATION) -> Path:
    """A WAV with its sidecar, as generate_samples writes them (the sidecar hashes the final bytes)."""
    path = root / "samples" / "g1.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    manifest = build("sample", [path], path.parent, TRAINED, {"action": "c2pa.created"},
                     {"ouvroir.generation": generation}, CREATED)  # fmt: skip
    write(manifest, sidecar_path(path), load_or_create_key(root))
    return path


def _studio(root: Path):
    return types.SimpleNamespace(root=root)  # what verify needs of a studio when there is no model chain to follow


def _check(verdict, name: str = "c2pa"):
    return next(c for c in verdict.checks if c.name == name)


def _given(root: Path) -> list:
    """The studio's public key as a recipient holds it (`ouvroir key export > studio.pub`)."""
    load_or_create_key(root)
    return load_keyring([root / "keys" / "studio.pub"])


def test_embedded_manifest_carries_the_ai_label_and_ouvroir_assertions(tmp_path):
    data = _embedded(tmp_path, extra={"ouvroir.model": MODEL})
    found = ce.read(data, "audio/wav")
    assert found.state == "Valid" and found.failure_codes == [ce.ALLOWED_FAILURE]  # no trust list offline
    (action,) = (found.assertions.get("c2pa.actions.v2") or found.assertions["c2pa.actions"])["actions"]
    assert action["action"] == "c2pa.created" and action["digitalSourceType"] == TRAINED
    assert action["softwareAgent"] == generator()
    assert found.assertions["ouvroir.generation"] == GENERATION and found.assertions["ouvroir.model"] == MODEL
    studio_key = key_id(load_or_create_key(tmp_path).public_key())
    assert found.signature_info["alg"] == "Ed25519"
    assert found.signature_info["common_name"] == ce.SIGNER_PREFIX + studio_key


def test_a_plain_wav_has_no_manifest(tmp_path):
    assert ce.read(to_wav(EVENTS), "audio/wav").state is None


def test_the_wav_still_plays_with_the_same_frames(tmp_path):
    plain = to_wav(EVENTS)
    signed = _embedded(tmp_path)
    assert signed != plain and len(signed) > len(plain)
    with wave.open(io.BytesIO(plain)) as a, wave.open(io.BytesIO(signed)) as b:
        assert a.getparams() == b.getparams()
        assert a.readframes(a.getnframes()) == b.readframes(b.getnframes())


def test_one_flipped_audio_byte_is_a_hash_mismatch(tmp_path):
    signed = bytearray(_embedded(tmp_path))
    data_chunk = signed.index(b"data") + 8
    signed[data_chunk + 1000] ^= 0x01
    found = ce.read(bytes(signed), "audio/wav")
    assert found.state == "Invalid"
    assert "assertion.dataHash.mismatch" in found.failure_codes


def test_the_signing_certificate_is_the_studio_key_issued_by_the_studio_ca(tmp_path):
    first = ce.load_or_create_credentials(tmp_path)
    assert first.signer.public_key() == load_or_create_key(tmp_path).public_key()
    assert first.signer.issuer == first.ca.subject and first.signer.subject != first.ca.subject
    first.signer.verify_directly_issued_by(first.ca)
    keys = tmp_path / "keys"
    assert (keys / ce.CA_KEY_NAME).stat().st_mode & 0o777 == 0o600
    again = ce.load_or_create_credentials(tmp_path)
    assert ce.fingerprint(again.signer) == ce.fingerprint(first.signer)  # issued once, then reused


def test_a_key_import_reissues_the_certificate_and_old_wavs_still_verify(tmp_path):
    old_wav = _labelled(tmp_path, _embedded(tmp_path))
    old = ce.load_or_create_credentials(tmp_path)
    other = tmp_path / "other"
    new_key = load_or_create_key(other)
    import_key(tmp_path, other / "keys" / "studio.ed25519")
    new = ce.load_or_create_credentials(tmp_path)
    assert new.signer.public_key() == new_key.public_key() != old.signer.public_key()
    assert ce.fingerprint(new.ca) == ce.fingerprint(old.ca)
    verdict = verify(old_wav, _studio(tmp_path))
    assert verdict.ok, verdict.checks
    assert _check(verdict).ok is True and "this studio's certificate" in _check(verdict).message


def test_verify_reports_the_embedded_manifest_valid(tmp_path):
    path = _labelled(tmp_path, _embedded(tmp_path))
    alone = verify(path, keys=_given(tmp_path))
    assert alone.ok, alone.checks
    assert _check(alone).ok is True and "embedded C2PA manifest valid (trainedAlgorithmicMedia)" in _check(alone).message
    with_studio = verify(path, _studio(tmp_path))
    assert with_studio.ok and _check(with_studio).ok is True
    assert "this studio's certificate" in _check(with_studio).message


def test_verify_refuses_a_manifest_signed_by_another_studio(tmp_path):
    path = _labelled(tmp_path / "a", _embedded(tmp_path / "a"))
    ce.load_or_create_credentials(tmp_path / "b")
    verdict = verify(path, _studio(tmp_path / "b"))
    assert _check(verdict).ok is False and "did not issue" in _check(verdict).message


def test_verify_fails_on_a_flipped_audio_byte(tmp_path):
    signed = bytearray(_embedded(tmp_path))
    signed[signed.index(b"data") + 8 + 500] ^= 0x10
    path = _labelled(tmp_path, bytes(signed))  # relabelled: the sidecar matches, only C2PA can tell
    verdict = verify(path, keys=_given(tmp_path))
    assert _check(verdict, "content").ok is True
    assert not verdict.ok and _check(verdict).ok is False and "dataHash.mismatch" in verdict.problem


def test_verify_refuses_an_embedded_manifest_of_another_generation(tmp_path):
    path = _labelled(tmp_path, _embedded(tmp_path, GENERATION | {"seed": 8}))
    verdict = verify(path)
    assert not verdict.ok and "another generation" in _check(verdict).message


def test_verify_leaves_other_formats_alone(tmp_path):
    path = tmp_path / "g1.txt"
    path.write_text("a text")
    write(build("sample", [path], tmp_path, TRAINED, {"action": "c2pa.created"}, {}, CREATED), sidecar_path(path),
          load_or_create_key(tmp_path))  # fmt: skip
    verdict = verify(path, keys=_given(tmp_path))
    assert verdict.ok and all(c.name != "c2pa" for c in verdict.checks)


# -- a WAV that travels without its sidecar -----------------------------------------------------------


def _alone(root: Path, data: bytes) -> Path:
    path = root / "received" / "g1.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_wav_without_its_sidecar_verifies_by_its_embedded_manifest(tmp_path):
    path = _alone(tmp_path, _embedded(tmp_path, extra={"ouvroir.model": MODEL}))
    verdict = verify(path, keys=_given(tmp_path))
    assert verdict.ok, verdict.checks
    assert verdict.kind == "sample" and verdict.digital_source_type == TRAINED
    assert _check(verdict, "manifest").message == "no sidecar: the C2PA manifest embedded in g1.wav"
    assert _check(verdict, "key").ok is True and _check(verdict, "label").ok is True
    plain = _alone(tmp_path / "b", _embedded(tmp_path))
    assert verify(plain, _studio(tmp_path)).ok  # the studio at hand: its CA and its key


def test_a_wav_alone_signed_by_an_unknown_key_is_not_verified(tmp_path):
    path = _alone(tmp_path, _embedded(tmp_path / "forger"))  # another studio's perfectly valid manifest
    alone = verify(path)
    assert not alone.ok and alone.problem.startswith("signature valid, signer unknown: key ")
    assert verify(path, allow_unknown_signer=True).ok
    given = verify(path, keys=_given(tmp_path / "real"))
    assert not given.ok and "none of your --key files holds" in given.problem
    ce.load_or_create_credentials(tmp_path / "real")
    assert "did not issue" in verify(path, _studio(tmp_path / "real")).problem


def test_a_wav_alone_with_a_flipped_audio_byte_fails(tmp_path):
    signed = bytearray(_embedded(tmp_path))
    signed[signed.index(b"data") + 8 + 500] ^= 0x10
    verdict = verify(_alone(tmp_path, bytes(signed)), keys=_given(tmp_path))
    assert not verdict.ok and "dataHash.mismatch" in verdict.problem


def test_a_sidecar_cannot_vouch_for_an_embedded_manifest_of_another_key(tmp_path):
    path = _labelled(tmp_path, _embedded(tmp_path / "forger"))  # the real studio's sidecar over a forger's WAV
    verdict = verify(path, keys=_given(tmp_path))
    assert _check(verdict, "key").ok is True and not verdict.ok
    assert "the embedded C2PA manifest is signed by key" in _check(verdict).message


def test_a_plain_wav_alone_still_has_no_manifest(tmp_path):
    path = _alone(tmp_path, to_wav(EVENTS))
    assert verify(path).problem == f"no provenance manifest for {path} (looked for g1.wav.provenance.json beside it)"


CHORALES = ["bwv26.6", "bwv40.8", "bwv57.8"]


def test_a_generated_wav_carries_a_manifest_that_ouvroir_verify_accepts(tmp_path):
    """End to end: a tiny music model, `generate --render-audio`, then `ouvroir verify --studio`."""
    from music21 import corpus

    from ouvroir import Studio
    from ouvroir.workshop import training
    from ouvroir.corpus.ingest import AddOptions
    from ouvroir.workshop.generation import GenerationParams, generate_samples

    folder = tmp_path / "chorales"
    folder.mkdir()
    for name in CHORALES:
        shutil.copy(corpus.getWork(f"bach/{name}"), folder / f"{name}.mxl")
    studio = Studio.init(tmp_path / "studio")
    try:
        assert studio.add([folder], AddOptions(author="J. S. Bach", license="public-domain", consent="train")).ok
        record = training.train_model(studio, size="tiny", steps=2, seed=2)
        (sample,) = generate_samples(studio, record.id, "", 1, GenerationParams(max_tokens=60), seed=4,
                                     render_audio=True)  # fmt: skip
        wav = studio.root / Path(sample.path).with_suffix(".wav")
        found = ce.read(wav.read_bytes(), "audio/wav")
        assert found.state == "Valid" and TRAINED in ce.source_types(found)
        assert found.assertions["ouvroir.generation"]["sample_id"] == sample.id
        assert found.assertions["ouvroir.model"]["weights_sha256"] == record.weights_sha256
        verdict = verify(wav, studio)
        assert verdict.ok, verdict.checks
        assert _check(verdict).ok is True and _check(verdict, "model").ok is True
        alone = tmp_path / "sent" / wav.name  # copied without its sidecar: the embedded manifest, and its chain
        alone.parent.mkdir()
        shutil.copy(wav, alone)
        verdict = verify(alone, studio)
        assert verdict.ok and _check(verdict, "manifest").message.startswith("no sidecar"), verdict.checks
        assert _check(verdict, "model").ok is True and _check(verdict, "works").ok is True
    finally:
        studio.close()
