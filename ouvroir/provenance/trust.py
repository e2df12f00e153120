"""Whose signature a manifest carries, and whether the person verifying trusts that key.

A manifest carries the public key it was signed with, so that its signature can be
checked anywhere; but anyone can sign with a fresh key of their own. A valid signature
therefore proves nothing until its key is one the person verifying holds: the studio's
own keys (current and retired) when a studio is at hand, or public keys they were given
(``ouvroir verify --key studio.pub``, the file ``ouvroir key export`` writes). Without
either, the verdict is "signature valid, signer unknown", a failure unless the person
accepts it (``--allow-unknown-signer``).

A key file holds one or more public keys: PEM blocks (``-----BEGIN PUBLIC KEY-----``),
or OpenSSH lines (``ssh-ed25519 AAAA…``), so several studios' keys can share one file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..errors import ProvenanceError
from .keys import MAX_KEY_FILE, key_id, raw_public, trusted_keys

_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.S)
_SSH = re.compile(rb"^\s*(ssh-[a-z0-9-]+ [A-Za-z0-9+/=]+)", re.M)


@dataclass(frozen=True)
class GivenKey:
    key_id: str
    public_bytes: bytes  # raw 32 bytes
    source: str  # the file it was read from, to name it in a verdict


def load_keyring(paths: list[Path]) -> list[GivenKey]:
    """Every Ed25519 public key in ``paths``; a file that holds none is an error naming it."""
    found: list[GivenKey] = []
    for path in map(Path, paths):
        keys = _read(path)
        found += [k for k in keys if k.public_bytes not in {f.public_bytes for f in found}]
    return found


def _read(path: Path) -> list[GivenKey]:
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise ProvenanceError(f"{path} is too large to be a public key file")
        data = path.read_bytes()
    except OSError as exc:
        raise ProvenanceError(f"cannot read the key file {path}: {exc.strerror or exc}") from exc
    blocks = [m.group(0) for m in _PEM.finditer(data)]
    if any(b"PRIVATE KEY" in b for b in blocks):
        raise ProvenanceError(f"{path} holds a private key: give its public key instead "
                              "(`ouvroir key export > studio.pub` in the studio)")  # fmt: skip
    loaded = []
    for text in blocks + [m.group(1) for m in _SSH.finditer(data)]:
        try:
            public = (serialization.load_pem_public_key(text) if text.startswith(b"-----")
                      else serialization.load_ssh_public_key(text))  # fmt: skip
        except (ValueError, UnsupportedAlgorithm):
            continue  # a certificate or another block of a keyring: not a key we can use
        if isinstance(public, Ed25519PublicKey):
            loaded.append(public)
    if not loaded:
        raise ProvenanceError(f"{path} holds no Ed25519 public key: give the studio's public key, "
                              "written by `ouvroir key export > studio.pub`")  # fmt: skip
    return [GivenKey(key_id(raw_public(k)), raw_public(k), path.name) for k in loaded]


def check_signer(verdict, public: bytes, studio, given: list[GivenKey], allow_unknown: bool) -> None:
    """Add the ``key`` check: is ``public`` (the raw key that made a valid signature) one the user trusts?"""
    kid = key_id(public)
    held = trusted_keys(studio.root) if studio is not None else []
    known = next((k for k in held if k.public_bytes == public), None)
    mine = next((k for k in given if k.public_bytes == public), None)
    if known is not None:
        verdict.add("key", True, f"signed by this studio's key {kid}" if known.current
                    else f"signed by a former key of this studio: {kid}")  # fmt: skip
    elif mine is not None:
        verdict.add("key", True, f"signed by key {kid}, which you trust ({mine.source})")
    elif studio is not None and not given:
        verdict.add("key", False, f"signed by a key this studio does not know: {kid}")
    elif given:
        trusted = ", ".join(sorted({k.key_id for k in given}))
        where = "neither this studio nor your --key files know" if studio is not None else "none of your --key files holds"
        verdict.add("key", False, f"signed by key {kid}, which {where} (trusted: {trusted})")
    elif allow_unknown:
        verdict.add("key", None, f"signature valid, signer unknown: key {kid} (accepted by --allow-unknown-signer)")
    else:
        verdict.add("key", False, f"signature valid, signer unknown: key {kid} is not a key you trust; give the "
                                  "studio's public key with --key (from `ouvroir key export`), or --studio")  # fmt: skip
