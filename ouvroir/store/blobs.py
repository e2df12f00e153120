"""Content-addressed files: ``blobs/ab/cdef…`` named by their sha256, never modified.

A blob is written to a temporary file in the same folder, flushed and fsynced,
then renamed into place, so a crash leaves either the whole blob or none.
"""

from __future__ import annotations

from pathlib import Path

from ..fileio import atomic_write, fsync_dir, sha256_bytes, sha256_file

__all__ = ["BlobStore", "atomic_write", "fsync_dir", "sha256_bytes", "sha256_file"]


class BlobStore:
    def __init__(self, root: Path):
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:]

    def put(self, data: bytes) -> tuple[str, bool]:
        """Store ``data``; return its hash and whether a new file was written."""
        sha = sha256_bytes(data)
        target = self.path(sha)
        if target.exists() and target.stat().st_size == len(data):
            return sha, False
        atomic_write(target, data)
        return sha, True

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def verify(self, sha256: str) -> str | None:
        """Return a problem description, or None when the blob is present and intact."""
        target = self.path(sha256)
        if not target.exists():
            return "missing"
        actual = sha256_file(target)
        return None if actual == sha256 else f"content does not match its hash (found {actual[:12]}…)"

    def all_hashes(self) -> set[str]:
        if not self.root.exists():
            return set()
        return {p.parent.name + p.name for p in self.root.glob("??/*") if not p.name.startswith(".")}
