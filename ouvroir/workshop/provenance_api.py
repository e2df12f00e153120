"""``studio.provenance``: the studio's signing key; and ``verify``, which also checks outputs away from any studio.

Every sample, export and report is signed with the studio's Ed25519 key; ``verify`` checks an
output's signature, content and, given its studio, the chain back to the works.
"""

from __future__ import annotations

from pathlib import Path

from ..provenance.manifest import DIR_MANIFEST, SIDECAR_SUFFIX


class Provenance:
    def __init__(self, studio) -> None:
        self._studio = studio

    def public_key(self) -> tuple[str, str]:
        """The studio's public key (PEM) and its key id."""
        from ..provenance.keys import export_public_key

        return export_public_key(self._studio.root)

    def import_key(self, pem_path: Path) -> tuple[str, str | None]:
        """Sign from now on with this private key: its id, and the retired key's (None if it was already this one)."""
        from ..provenance.keys import import_key

        return import_key(self._studio.root, pem_path)

    def verify(self, path: Path, keys=(), allow_unknown_signer: bool = False):
        return verify(path, self._studio, keys=keys, allow_unknown_signer=allow_unknown_signer)


def verify(path: Path, studio=None, keys=(), allow_unknown_signer: bool = False):
    """The verdict on one output; with ``studio`` (a ``Studio``), the key and the chain are checked too."""
    from ..provenance.verify import verify as verify_output

    return verify_output(path, studio, keys=keys, allow_unknown_signer=allow_unknown_signer)


def load_keyring(paths: list[Path]):
    """The public keys in these files (from ``ouvroir key export``), trusted for ``verify``."""
    from ..provenance.trust import load_keyring as load

    return load(paths)


def outputs_in(paths: list[Path]) -> list[Path]:
    """A folder with no manifest of its own (``samples/``) stands for every output in it that has a sidecar."""
    expanded = []
    for path in paths:
        sidecars = sorted(path.glob("*" + SIDECAR_SUFFIX)) if path.is_dir() and not (path / DIR_MANIFEST).exists() else []
        expanded += [s.with_name(s.name[: -len(SIDECAR_SUFFIX)]) for s in sidecars] or [path]
    return expanded
