"""Provenance: every sample, export and audit report is signed; `ouvroir verify` says what changed.

One tiny model is trained once for the module; the outputs it makes are copied
before any test damages them.
"""

from __future__ import annotations

import base64
import json
import random
import shutil
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ouvroir import Studio
from ouvroir.workshop import training
from ouvroir.corpus.ingest import AddOptions
from ouvroir.provenance import manifest as mf
from ouvroir.provenance.keys import key_id
from ouvroir.provenance.verify import verify
from tests.conftest import CliRun

WORDS = ("le vent la mer une rose sombre chante sous les arbres du jardin où l'aube passe lente "
         "et douce comme un rêve d'été brûlant les yeux clos du poète qui marche seul vers la ville").split()  # fmt: skip


def poem(seed: int, stanzas: int = 6) -> str:
    rng = random.Random(seed)
    return "\n\n".join("\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 9))).capitalize()
                                 for _ in range(4)) for _ in range(stanzas))  # fmt: skip


@dataclass
class Made:
    studio: Path
    model_id: str
    samples: list[Path]
    hf: Path
    model_report: Path
    texts_report: Path


def _ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Made:
    """A studio with 8 consenting poems, a tiny model, two samples, an HF export and two audits (all via the CLI)."""
    root = tmp_path_factory.mktemp("provenance")
    corpus = root / "corpus"
    corpus.mkdir()
    for i in range(8):
        (corpus / f"poeme_{i}.txt").write_text(poem(i), "utf-8")
    studio = Studio.init(root / "studio")
    assert studio.add([corpus], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    record = training.train_model(studio, size="tiny", steps=30, seed=1)
    studio.close()
    run, at = CliRun(), ("--studio", root / "studio")
    _ok(run(*at, "generate", record.id, "--prompt", "Le vent", "-n", "2", "--max-tokens", "24", "--seed", "3"))
    _ok(run(*at, "export", record.id, "--format", "hf", root / "hf"))
    _ok(run(*at, "audit", record.id, "--samples", "2", "--temperatures", "1.0", "--max-tokens", "16", "--min-copy", "20"))
    (root / "answer.txt").write_text("Le vent la mer une rose sombre chante sous les arbres du jardin.", "utf-8")
    _ok(run(*at, "audit", "--texts", root / "answer.txt", "--min-copy", "20"))
    studio = Studio.open(root / "studio")
    rows = studio.conn.execute("SELECT path, prompt FROM samples ORDER BY created_at, id").fetchall()
    reports = dict(studio.conn.execute("SELECT subject, path FROM audits").fetchall())
    studio.close()
    samples = [root / "studio" / p for p, prompt in rows if prompt == "Le vent"]
    assert len(samples) == 2
    return Made(root / "studio", record.id, samples, root / "hf", root / "studio" / reports["model"],
                root / "studio" / reports["texts"])  # fmt: skip


def copy_pair(sample: Path, folder: Path) -> Path:
    """A sample and its manifest copied into ``folder`` (outside any studio), to damage safely."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(sample, folder / sample.name)
    shutil.copy(mf.sidecar_path(sample), folder / mf.sidecar_path(sample).name)
    return folder / sample.name


def flip(path: Path, offset: int, mask: int = 0x01) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def studio_pub(made: Made, folder: Path) -> Path:
    """The studio's public key as its owner hands it out: `ouvroir key export > studio.pub`."""
    exported = _ok(CliRun()("--studio", made.studio, "key", "export"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "studio.pub").write_text(exported, "utf-8")
    return folder / "studio.pub"


def forge(sample: Path, change) -> Ed25519PrivateKey:
    """Change a sample's manifest and sign it again with a fresh key, as a forger would; return that key."""
    manifest = mf.sidecar_path(sample)
    data = json.loads(manifest.read_text("utf-8"))
    change(data)
    forger = Ed25519PrivateKey.generate()
    mf.write(data, manifest, forger)
    return forger


def copy_studio(made: Made, dest: Path) -> Path:
    shutil.copytree(made.studio, dest)
    return dest


def failed(result, *phrases: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in result.output, result.output
    return result.output


# -- the round trip ---------------------------------------------------------------------------------


def test_generated_sample_verifies_with_its_whole_chain(made, run_cli):
    sample = made.samples[0]
    out = _ok(run_cli("verify", sample))  # the studio holding the file is found without --studio
    assert f"✓ {sample}: verified · AI label: trainedAlgorithmicMedia" in out
    for line in ("✓ signature:", "✓ key: signed by this studio's key", f"✓ content: {sample.name} matches its hash",
                 f"✓ model: model {made.model_id} is in the studio, its weights match",
                 "✓ snapshot:", "the same 8 works", "✓ works: all 8 works' texts are in the studio"):  # fmt: skip
        assert line in out, out
    assert not sample.with_suffix(".json").exists()  # the signed manifest replaced the unsigned record


def test_sample_manifest_says_how_it_was_made(made):
    sample = made.samples[0]
    data = json.loads(mf.sidecar_path(sample).read_text("utf-8"))
    assert data["format"] == "ouvroir-provenance/1" and data["kind"] == "sample"
    assert data["digital_source_type"] == "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    (action,) = data["assertions"]["c2pa.actions"]["actions"]
    assert action["action"] == "c2pa.created" and action["digitalSourceType"] == data["digital_source_type"]
    generation = data["assertions"]["ouvroir.generation"]
    assert generation["sample_id"] == sample.stem and generation["prompt"] == "Le vent" and generation["seed"] == 3
    assert generation["params"]["max_tokens"] == 24 and generation["n"] == 2
    assert data["assertions"]["ouvroir.model"]["id"] == made.model_id
    (entry,) = data["content"]["files"]
    assert entry["path"] == sample.name and entry["bytes"] == sample.stat().st_size
    frozen = json.loads((made.studio / "snapshots" / data["assertions"]["ouvroir.model"]["snapshot_id"] / "manifest.json").read_text())
    works = data["assertions"]["ouvroir.snapshot"]["works"]
    assert [(w["work_id"], w["text_sha256"], w["consent_event_id"]) for w in works] == [
        (w["work_id"], w["text_sha256"], w["consent_event_id"]) for w in frozen["works"]]  # fmt: skip
    signature = data["signature"]
    assert len(base64.b64decode(signature["value"])) == 64 and signature["key_id"] == key_id(base64.b64decode(signature["public_key"]))


def test_one_flipped_content_byte_fails_saying_content(made, run_cli, tmp_path):
    sample = copy_pair(made.samples[0], tmp_path)
    flip(sample, 4)
    out = failed(run_cli("--studio", made.studio, "verify", sample), f"content changed: {sample.name} does not match its hash")
    assert "✓ signature:" in out  # the manifest itself is intact: the content is what changed


def test_one_flipped_manifest_byte_fails_saying_manifest(made, run_cli, tmp_path):
    sample = copy_pair(made.samples[0], tmp_path)
    manifest = mf.sidecar_path(sample)
    flip(manifest, manifest.read_bytes().index(b'"Le vent"') + 4, 0x20)  # "Le vEnt": still valid JSON
    out = failed(run_cli("--studio", made.studio, "verify", sample), "manifest changed or forged: the signature does not match")
    assert "content changed" not in out and "content: not checked" in out


def test_every_single_bit_flip_in_a_manifest_is_caught_as_the_manifest(made, tmp_path):
    """Acceptance: one changed byte anywhere in the manifest fails, and never blames the content."""
    sample = copy_pair(made.samples[1], tmp_path)
    manifest = mf.sidecar_path(sample)
    original = manifest.read_bytes()
    assert verify(sample, allow_unknown_signer=True).ok
    blamed = set()
    for offset in range(len(original)):
        flip(manifest, offset)
        verdict = verify(sample)
        assert not verdict.ok, f"flipping byte {offset} ({original[offset:offset + 1]!r}) went unnoticed"
        assert verdict.problem.startswith(("manifest", "truncated", "this manifest", f"{manifest.name}:")), verdict.problem
        blamed.add(verdict.problem.split(":")[0])
        manifest.write_bytes(original)
    assert {"manifest damaged", "manifest changed or forged"} <= blamed


def test_a_flip_in_the_signature_s_unused_base64_bits_fails(made, tmp_path):
    # 64 bytes take 86 base64 characters: the last one carries 4 unused bits, which decode to the same signature.
    sample = copy_pair(made.samples[0], tmp_path)
    manifest = mf.sidecar_path(sample)
    text = manifest.read_text("utf-8")
    value = json.loads(text)["signature"]["value"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    twin = value[:85] + alphabet[alphabet.index(value[85]) ^ 1] + value[86:]
    assert base64.b64decode(twin) == base64.b64decode(value) and twin != value
    manifest.write_text(text.replace(value, twin), "utf-8")
    assert verify(sample).problem == "manifest damaged: signature is damaged (not in the base64 form it was written in)"


def test_changed_spacing_of_the_manifest_fails(made, tmp_path):
    sample = copy_pair(made.samples[0], tmp_path)
    manifest = mf.sidecar_path(sample)
    manifest.write_bytes(manifest.read_bytes().replace(b'\n "kind"', b'\n\t"kind"', 1))  # same JSON values
    assert json.loads(manifest.read_text())["kind"] == "sample"
    assert verify(sample).problem == "manifest changed: its bytes differ from the layout that was signed (spacing or key order)"


def test_truncated_signature(made, run_cli, tmp_path):
    sample = copy_pair(made.samples[0], tmp_path)
    manifest = mf.sidecar_path(sample)
    text = manifest.read_text("utf-8")
    value = json.loads(text)["signature"]["value"]
    manifest.write_text(text.replace(value, value[:40]), "utf-8")
    failed(run_cli("verify", sample), "manifest damaged: truncated signature: 30 of 64 bytes")


def test_manifest_moved_next_to_another_file(made, run_cli, tmp_path):
    first, second = copy_pair(made.samples[0], tmp_path), copy_pair(made.samples[1], tmp_path)
    shutil.copy(mf.sidecar_path(first), mf.sidecar_path(second))
    failed(run_cli("verify", second), f"this manifest describes {first.name}, not {second.name}")
    # Renamed together, a sample still verifies: the hash binds the manifest to the content, not the name.
    renamed = tmp_path / "poeme-du-soir.txt"
    first.rename(renamed)
    mf.sidecar_path(first).rename(mf.sidecar_path(renamed))
    key = studio_pub(made, tmp_path / "keys")
    assert f"(the manifest names it {first.name}: renamed)" in _ok(run_cli("verify", renamed, "--key", key))


def test_manifest_signed_by_another_key_is_an_unknown_key(made, run_cli, tmp_path):
    sample = copy_pair(made.samples[0], tmp_path)
    manifest = mf.sidecar_path(sample)
    stranger = Ed25519PrivateKey.generate()
    mf.write(json.loads(manifest.read_text("utf-8")), manifest, stranger)  # a valid signature, by someone else
    stranger_id = key_id(stranger.public_key())
    failed(run_cli("verify", sample, "--studio", made.studio), f"signed by a key this studio does not know: {stranger_id}")
    alone = failed(run_cli("verify", sample))  # no studio at hand: a valid signature says nothing of who made it
    assert f"✗ {sample}: signature valid, signer unknown: key {stranger_id} is not a key you trust" in alone
    allowed = _ok(run_cli("verify", sample, "--allow-unknown-signer"))
    assert f"– {sample}: signature valid, signer unknown · AI label: trainedAlgorithmicMedia" in allowed
    assert f"– key: signature valid, signer unknown: key {stranger_id} (accepted by --allow-unknown-signer)" in allowed


def test_verify_without_a_studio_checks_signature_and_content(made, run_cli, tmp_path):
    sample = copy_pair(made.samples[0], tmp_path / "elsewhere")
    key = studio_pub(made, tmp_path / "keys")
    out = _ok(run_cli("verify", sample, "--key", key))  # $OUVROIR_STUDIO points at a folder with no studio
    assert "✓ signature:" in out and f"✓ content: {sample.name} matches its hash" in out and "model:" not in out
    assert "which you trust (studio.pub)" in out
    nowhere = _ok(run_cli("verify", sample, "--studio", tmp_path / "nowhere", "--key", key))
    assert f"no studio at {tmp_path / 'nowhere'}: key and chain not checked" in nowhere
    assert "model:" not in _ok(run_cli("verify", made.samples[0], "--no-studio", "--key", key))
    flip(sample, 0)
    failed(run_cli("verify", sample, "--key", key), "content changed")


def test_a_studio_that_no_longer_holds_the_model(made, run_cli, tmp_path):
    copy = copy_studio(made, tmp_path / "copy")
    shutil.rmtree(copy / "models" / made.model_id)
    conn = sqlite3.connect(copy / "ouvroir.sqlite")
    with conn:
        for table in ("samples", "audits"):
            conn.execute(f"DELETE FROM {table} WHERE model_id = ?", (made.model_id,))
        conn.execute("DELETE FROM models WHERE id = ?", (made.model_id,))
    conn.close()
    sample = copy / "samples" / made.samples[0].name
    out = failed(run_cli("verify", sample), f"the studio no longer holds model {made.model_id}")
    assert "✓ key: signed by this studio's key" in out and "✓ content:" in out


def test_a_removed_work_is_named_and_the_chain_still_holds(made, run_cli, tmp_path):
    copy = copy_studio(made, tmp_path / "copy")
    data = json.loads(mf.sidecar_path(made.samples[0]).read_text("utf-8"))
    work = data["assertions"]["ouvroir.snapshot"]["works"][0]
    _ok(run_cli("--studio", copy, "remove", work["work_id"], "--yes"))
    out = _ok(run_cli("verify", copy / "samples" / made.samples[0].name))
    assert "removed from the studio since (their texts kept with the snapshot)" in out and work["work_id"] in out


def test_files_without_a_manifest_get_a_clear_verdict(run_cli, tmp_path):
    plain = tmp_path / "poeme.txt"
    plain.write_text("Un poème écrit à la main.", "utf-8")
    failed(run_cli("verify", plain), f"no provenance manifest for {plain} (looked for poeme.txt.provenance.json beside it)")
    failed(run_cli("verify", tmp_path / "absent.txt"), f"no such file or folder: {tmp_path / 'absent.txt'}")
    mf.sidecar_path(plain).write_text('{"format": "ouvroir-provenance/1", ', "utf-8")
    failed(run_cli("verify", plain), "manifest damaged: poeme.txt.provenance.json is not valid JSON")


def test_json_verdicts_and_the_manifest_given_itself(made, run_cli, tmp_path):
    good = made.samples[0]
    bad = copy_pair(made.samples[1], tmp_path)
    flip(bad, 1)
    result = run_cli("verify", mf.sidecar_path(good), bad, "--json", "--key", studio_pub(made, tmp_path / "keys"))
    assert result.exit_code == 1
    first, second = json.loads(result.stdout)
    assert first["ok"] is True and first["kind"] == "sample" and first["studio"] == str(made.studio.resolve())
    assert second["ok"] is False and second["problem"] == f"content changed: {bad.name} does not match its hash"
    assert {c["name"]: c["ok"] for c in second["checks"]}["signature"] is True


def test_verifying_the_samples_folder_checks_every_sample(made, run_cli):
    out = _ok(run_cli("verify", made.studio / "samples"))
    assert all(f"✓ {made.studio / 'samples' / p.name}: verified" in out for p in made.samples)


# -- exports and audit reports --------------------------------------------------------------------


def test_exported_hf_folder_verifies_and_names_the_changed_file(made, run_cli, tmp_path):
    out = _ok(run_cli("verify", made.hf, "--studio", made.studio))
    assert "✓ content: all" in out and f"✓ model: model {made.model_id} is in the studio" in out
    data = json.loads((made.hf / "provenance.json").read_text("utf-8"))
    assert data["kind"] == "model-export" and data["digital_source_type"] is None
    listed = {e["path"] for e in data["content"]["files"]}
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= listed and "provenance.json" not in listed
    copy = tmp_path / "hf"
    shutil.copytree(made.hf, copy)
    flip(copy / "config.json", 10)
    failed(run_cli("verify", copy), "content changed: config.json does not match its hash")
    shutil.copy(made.hf / "config.json", copy / "config.json")
    (copy / "pytorch_model.bin").write_bytes(b"not ours")
    failed(run_cli("verify", copy / "config.json"), "content changed: pytorch_model.bin is in the folder but not in the manifest")


def test_audit_reports_verify(made, run_cli, tmp_path):
    out = _ok(run_cli("verify", made.model_report / "report.html"))
    assert "AI label: compositeWithTrainedAlgorithmicMedia" in out and "✓ content: both files match their hashes" in out
    assert f"✓ model: model {made.model_id}" in out
    data = json.loads((made.model_report / "provenance.json").read_text("utf-8"))
    audit = data["assertions"]["ouvroir.audit"]
    assert audit["id"] == made.model_report.name and audit["model_id"] == made.model_id and audit["index_id"]
    assert "mean_copied_share" in audit["summary"]
    assert "AI label: dataDrivenMedia" in _ok(run_cli("verify", made.texts_report))
    copy = tmp_path / "report"
    shutil.copytree(made.texts_report, copy)
    flip(copy / "report.html", 100)
    failed(run_cli("verify", copy), "content changed: report.html does not match its hash")


# -- the studio's key -----------------------------------------------------------------------------


def test_key_is_private_and_created_for_older_studios(studio, run_cli):
    folder = studio.root / "keys"
    assert stat.S_IMODE((folder / "studio.ed25519").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    shutil.rmtree(folder)  # a studio made before keys existed
    result = run_cli("key", "export")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((folder / "studio.ed25519").stat().st_mode) == 0o600


def test_key_export_prints_a_loadable_ed25519_public_key(studio, run_cli):
    result = run_cli("key", "export")
    assert result.exit_code == 0, result.output
    public = serialization.load_pem_public_key(result.stdout.encode())
    assert isinstance(public, Ed25519PublicKey)
    assert result.stderr.strip() == f"key id {key_id(public)}"
    assert result.stdout == (studio.root / "keys" / "studio.pub").read_text()


def test_key_import_refuses_other_keys_clearly(studio, run_cli, tmp_path):
    before = (studio.root / "keys" / "studio.ed25519").read_bytes()
    rsa_pem = tmp_path / "rsa.pem"
    rsa_pem.write_bytes(rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    result = run_cli("key", "import", rsa_pem)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"Error: {rsa_pem} is an RSA key; ouvroir signs with Ed25519 keys only")
    public_only = tmp_path / "public.pem"
    public_only.write_text(run_cli("key", "export").stdout)
    assert "it holds a public key or a certificate" in run_cli("key", "import", public_only).stderr
    assert (studio.root / "keys" / "studio.ed25519").read_bytes() == before


def test_imported_key_signs_and_the_former_key_still_verifies(made, run_cli, tmp_path):
    copy = copy_studio(made, tmp_path / "copy")
    old_id = key_id(serialization.load_pem_public_key((copy / "keys" / "studio.pub").read_bytes()))
    mine = Ed25519PrivateKey.generate()
    pem = tmp_path / "mine.pem"
    pem.write_bytes(mine.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))  # fmt: skip
    out = _ok(run_cli("--studio", copy, "key", "import", pem))
    assert key_id(mine.public_key()) in out and (copy / "keys" / "retired" / f"{old_id}.pub").is_file()
    assert stat.S_IMODE((copy / "keys" / "studio.ed25519").stat().st_mode) == 0o600
    assert f"signed by a former key of this studio: {old_id}" in _ok(run_cli("verify", copy / "samples" / made.samples[0].name))
    before = set((copy / "samples").glob("*.txt"))
    _ok(run_cli("--studio", copy, "generate", made.model_id, "--prompt", "La mer", "--max-tokens", "8", "--seed", "1"))
    (new,) = set((copy / "samples").glob("*.txt")) - before
    assert f"signed by this studio's key {key_id(mine.public_key())}" in _ok(run_cli("verify", new))
    assert f"signed by a key this studio does not know: {key_id(mine.public_key())}" in failed(
        run_cli("verify", new, "--studio", made.studio))  # fmt: skip


@pytest.mark.parametrize("damage", [
    {"assertions": [1]},
    {"assertions": {"ouvroir.model": {"id": ["m"]}, "ouvroir.snapshot": {"id": "SNAPSHOT", "works": [{"work_id": ["x"]}, 7]}}},
    {"content": {"files": [{"path": "../../etc/passwd", "sha256": "0" * 64}]}},
    {"content": {"files": [{"path": "g.txt", "sha256": "0" * 64, "bytes": True}]}},
    {"content": "everything"},
    {"digital_source_type": 42},
    {"kind": {"not": "a string"}},
], ids=["assertions-list", "odd-chain", "outside-path", "bool-size", "content-str", "label-int", "kind-dict"])  # fmt: skip
def test_forged_odd_manifests_get_a_verdict_never_a_traceback(made, run_cli, tmp_path, damage):
    sample = copy_pair(made.samples[0], tmp_path)
    manifest = mf.sidecar_path(sample)
    data = json.loads(manifest.read_text("utf-8"))
    damage = json.loads(json.dumps(damage).replace("SNAPSHOT", data["assertions"]["ouvroir.model"]["snapshot_id"]))
    mf.write(data | damage, manifest, Ed25519PrivateKey.generate())
    out = failed(run_cli("verify", sample, "--studio", made.studio), "signed by a key this studio does not know")
    assert "✓ signature:" in out


# -- whose key: a valid signature is not enough ------------------------------------------------------


def _strip_label(data: dict) -> None:
    data["digital_source_type"] = None
    for action in data["assertions"]["c2pa.actions"]["actions"]:
        action.pop("digitalSourceType", None)


def _other_prompt(data: dict) -> None:
    data["assertions"]["ouvroir.generation"]["prompt"] = "Un poème de ma main"


@pytest.mark.parametrize("change", [_other_prompt, _strip_label], ids=["forged", "label-stripped"])
def test_a_manifest_re_signed_with_a_fresh_key_is_not_verified(made, run_cli, tmp_path, change):
    sample = copy_pair(made.samples[0], tmp_path / "received")
    forger = key_id(forge(sample, change).public_key())
    failed(run_cli("verify", sample), f"signature valid, signer unknown: key {forger}")
    key = studio_pub(made, tmp_path / "keys")
    failed(run_cli("verify", sample, "--key", key), f"signed by key {forger}, which none of your --key files holds")
    failed(run_cli("verify", sample, "--studio", made.studio), f"signed by a key this studio does not know: {forger}")
    genuine = copy_pair(made.samples[0], tmp_path / "genuine")
    assert "verified · AI label: trainedAlgorithmicMedia" in _ok(run_cli("verify", genuine, "--key", key))


def test_several_keys_make_a_keyring_and_key_files_are_checked(made, run_cli, tmp_path):
    sample = copy_pair(made.samples[0], tmp_path / "received")
    mine = studio_pub(made, tmp_path / "k")
    other = tmp_path / "other.pub"  # another studio's key
    other.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))  # fmt: skip
    failed(run_cli("verify", sample, "--key", other), "none of your --key files holds")
    _ok(run_cli("verify", sample, "--key", other, "--key", mine))
    ring = tmp_path / "ring.pem"  # one file holding both keys
    ring.write_bytes(other.read_bytes() + mine.read_bytes())
    _ok(run_cli("verify", sample, "--key", ring))
    private = tmp_path / "private.pem"
    private.write_bytes((made.studio / "keys" / "studio.ed25519").read_bytes())
    for bad, says in ((private, "holds a private key: give its public key instead"),
                      (sample, "holds no Ed25519 public key"), (tmp_path / "absent.pub", "cannot read the key file")):  # fmt: skip
        result = run_cli("verify", sample, "--key", bad)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.stderr.startswith(f"Error: {bad}" if "read" not in says else "Error: cannot read"), result.stderr
        assert says in result.stderr
