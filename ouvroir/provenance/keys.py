"""The studio's signing key: Ed25519, created with the studio, readable by its owner only.

On disk, in the studio folder::

    keys/                   mode 0o700
      studio.ed25519        the private key, PKCS8 PEM, mode 0o600
      studio.pub            its public key, PEM (safe to share: `ouvroir key export`)
      retired/<key id>.pub  the public keys this studio signed with before an import

A key is named by its *key id*: the first 16 hex digits of the sha256 of its
raw 32-byte public key. Manifests signed with a retired key still verify, as
"signed by a former key of this studio".

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> key = load_or_create_key(root)
>>> key_id(key.public_key()) == export_public_key(root)[1]
True
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import ProvenanceError
from ..fileio import atomic_write, fsync_dir, sha256_bytes
from ..layout import StudioLayout

PRIVATE_NAME = "studio.ed25519"
PUBLIC_NAME = "studio.pub"
RETIRED_DIR = "retired"
MAX_KEY_FILE = 64 * 1024  # a PEM key is a few hundred bytes: anything bigger is not one
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


@dataclass(frozen=True)
class TrustedKey:
    key_id: str
    public_bytes: bytes  # raw 32 bytes
    current: bool


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(*_RAW)


def key_id(public: Ed25519PublicKey | bytes) -> str:
    """First 16 hex digits of the sha256 of the raw public key: short enough to read, long enough to tell apart.

    >>> key_id(bytes(32))
    '66687aadf862bd77'
    """
    raw = public if isinstance(public, bytes) else raw_public(public)
    return sha256_bytes(raw)[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def keys_dir(root: Path) -> Path:
    return StudioLayout(Path(root)).keys


def _make_keys_dir(root: Path) -> Path:
    folder = keys_dir(root)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask, and an existing folder keeps its own
    return folder


def _create_exclusively(path: Path, data: bytes, mode: int) -> bool:
    """Write ``data`` to ``path`` unless it exists; True when this call wrote it.

    A link from a complete temporary file cannot half-exist, and fails if another process
    created the key first: two commands starting at once never sign with two different keys.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        fsync_dir(path.parent)
        return True
    finally:
        Path(tmp).unlink(missing_ok=True)


def _read_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ProvenanceError(f"the studio's signing key {path} is unreadable or damaged ({exc}); "
                              "import a key with `ouvroir key import FILE`") from exc  # fmt: skip
    if not isinstance(key, Ed25519PrivateKey):
        raise ProvenanceError(f"the studio's signing key {path} is not an Ed25519 key")
    return key


def load_or_create_key(root: Path) -> Ed25519PrivateKey:
    """The studio's private key, created on first need (studios made before keys existed get one then)."""
    folder = _make_keys_dir(root)
    private = folder / PRIVATE_NAME
    if not private.exists():
        _create_exclusively(private, _private_pem(Ed25519PrivateKey.generate()), 0o600)
    key = _read_private(private)
    public = folder / PUBLIC_NAME
    expected = public_pem(key.public_key()).encode()
    if not public.exists() or public.read_bytes() != expected:  # derived from the private key: rewritten if lost
        atomic_write(public, expected)
    return key


def export_public_key(root: Path) -> tuple[str, str]:
    """(PEM public key, key id) of the studio's current key."""
    public = load_or_create_key(root).public_key()
    return public_pem(public), key_id(public)


def _parse_import(data: bytes, source: Path) -> Ed25519PrivateKey:
    if len(data) > MAX_KEY_FILE:
        raise ProvenanceError(f"{source} is too large to be a key file")
    if b"ENCRYPTED" in data:
        raise ProvenanceError(f"{source} is encrypted: decrypt it first "
                              f"(`openssl pkey -in {source} -out plain.pem`), then import plain.pem")  # fmt: skip
    loaders = (serialization.load_pem_private_key, serialization.load_ssh_private_key)
    key, problem = None, "no private key in it"
    for loader in loaders:
        try:
            key = loader(data, password=None)
            break
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            problem = str(exc) or problem
    if key is None:
        if b"PUBLIC KEY" in data or b"CERTIFICATE" in data:
            problem = "it holds a public key or a certificate; signing needs the private key"
        raise ProvenanceError(f"{source} is not a private key ouvroir can read ({problem}); "
                              "give an Ed25519 private key in PEM, e.g. from `openssl genpkey -algorithm ed25519`")  # fmt: skip
    if not isinstance(key, Ed25519PrivateKey):
        raise ProvenanceError(f"{source} is {_kind(key)} key; ouvroir signs with Ed25519 keys only: "
                              "create one with `openssl genpkey -algorithm ed25519 -out studio.pem`")  # fmt: skip
    return key


def _kind(key: object) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, rsa

    kinds = ((rsa.RSAPrivateKey, "an RSA"), (ec.EllipticCurvePrivateKey, "an ECDSA"), (dsa.DSAPrivateKey, "a DSA"),
             (ed448.Ed448PrivateKey, "an Ed448"))  # fmt: skip
    return next((name for cls, name in kinds if isinstance(key, cls)), "another kind of")


def import_key(root: Path, pem_path: Path) -> tuple[str, str | None]:
    """Make the Ed25519 private key in ``pem_path`` the studio's key; return (new key id, retired key id).

    The previous public key is kept in ``keys/retired/`` so what it signed still verifies.
    """
    pem_path = Path(pem_path)
    try:
        data = pem_path.read_bytes()
    except OSError as exc:
        raise ProvenanceError(f"cannot read {pem_path}: {exc.strerror or exc}") from exc
    new = _parse_import(data, pem_path)
    new_id = key_id(new.public_key())
    old = load_or_create_key(root)
    old_id = key_id(old.public_key())
    if old_id == new_id:
        return new_id, None
    folder = keys_dir(root)
    (folder / RETIRED_DIR).mkdir(mode=0o700, exist_ok=True)
    atomic_write(folder / RETIRED_DIR / f"{old_id}.pub", public_pem(old.public_key()).encode())
    atomic_write(folder / PRIVATE_NAME, _private_pem(new), mode=0o600)
    atomic_write(folder / PUBLIC_NAME, public_pem(new.public_key()).encode())
    (folder / RETIRED_DIR / f"{new_id}.pub").unlink(missing_ok=True)  # a retired key brought back is current again
    return new_id, old_id


def trusted_keys(root: Path) -> list[TrustedKey]:
    """The studio's current public key and its retired ones; reads only, creates nothing."""
    folder = keys_dir(root)
    found: list[TrustedKey] = []
    if (folder / PRIVATE_NAME).exists():  # the private key is the truth; studio.pub is a copy for sharing
        try:
            found.append(_trusted(_read_private(folder / PRIVATE_NAME).public_key(), True))
        except ProvenanceError:
            pass  # an unreadable key trusts nothing; verify then says the key is unknown
    for path in sorted((folder / RETIRED_DIR).glob("*.pub")):
        try:
            public = serialization.load_pem_public_key(path.read_bytes())
        except (OSError, ValueError, UnsupportedAlgorithm):
            continue
        if isinstance(public, Ed25519PublicKey):
            found.append(_trusted(public, False))
    return found


def _trusted(public: Ed25519PublicKey, current: bool) -> TrustedKey:
    raw = raw_public(public)
    return TrustedKey(key_id(raw), raw, current)
