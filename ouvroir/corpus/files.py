"""Finding the files to ingest: folder walks that survive symlink loops and unreadable entries,
and CSV manifests that give per-file metadata (how an institution brings in a catalogue)."""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import IngestError
from ..media.encoding import decode_text

MANIFEST_COLUMNS = ("path", "author", "title", "license", "consent", "source")


@dataclass
class Candidate:
    """A file to ingest, or an entry that could not even be listed (``error`` set)."""

    path: Path
    root: Path | None = None  # the folder the user named, for --author-from-dir
    overrides: dict[str, str] = field(default_factory=dict)  # metadata from a manifest row
    error: str | None = None


def walk(paths: list[Path]) -> Iterator[Candidate]:
    """Yield every file under ``paths``, in a stable order.

    Symbolic links are followed, but a folder is never entered twice (by device
    and inode), so a link back to an ancestor ends instead of looping. Hidden
    entries (``.git``, ``.DS_Store``) are skipped.
    """
    visited: set[tuple[int, int]] = set()
    for path in paths:
        try:
            info = path.stat()
        except FileNotFoundError:
            yield Candidate(path, error="no such file or folder" if not path.is_symlink() else "broken symbolic link")
            continue
        except OSError as exc:
            yield Candidate(path, error=_os_reason(exc))
            continue
        if stat.S_ISDIR(info.st_mode):
            yield from _walk_dir(path, path, visited)
        else:
            yield Candidate(path)


def _walk_dir(folder: Path, root: Path, visited: set[tuple[int, int]]) -> Iterator[Candidate]:
    try:
        info = folder.stat()
        key = (info.st_dev, info.st_ino)
        if key in visited:
            return
        visited.add(key)
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield Candidate(folder, root, error=f"folder cannot be read: {_os_reason(exc)}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir(follow_symlinks=True)
            if not is_dir:
                entry.stat(follow_symlinks=True)
        except OSError as exc:
            yield Candidate(path, root, error=_os_reason(exc))
            continue
        if is_dir:
            yield from _walk_dir(path, root, visited)
        else:
            yield Candidate(path, root)


def _os_reason(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "unreadable: permission denied"
    if exc.errno == errno.ENOENT:
        return "broken symbolic link" if exc.filename and Path(exc.filename).is_symlink() else "no such file or folder"
    return f"unreadable: {exc.strerror or exc}"


def read_file(path: Path, max_bytes: int) -> bytes:
    """Read a regular file's bytes, refusing what is not one (FIFOs would block forever) or is too large."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise IngestError("not a regular file")
        if info.st_size > max_bytes:
            raise IngestError(f"too large ({info.st_size / 1e6:,.0f} MB; the limit is {max_bytes / 1e6:,.0f} MB)")
        with open(path, "rb") as fh:
            return fh.read(max_bytes + 1)
    except OSError as exc:
        raise IngestError(_os_reason(exc)) from exc


def read_manifest(manifest: Path) -> list[Candidate]:
    """Rows of a CSV catalogue: ``path`` (relative to the CSV's folder) and optional metadata columns.

    Example file::

        path,author,title,license,consent,source
        poemes/aube.txt,Ada Martin,L'Aube,CC-BY-4.0,train,
    """
    try:
        text, _ = decode_text(manifest.read_bytes())
    except OSError as exc:
        raise IngestError(f"manifest {manifest}: {_os_reason(exc)}") from exc
    except IngestError as exc:
        raise IngestError(f"manifest {manifest}: {exc}") from exc
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    if "path" not in columns:
        raise IngestError(f"manifest {manifest}: no 'path' column (columns: {', '.join(MANIFEST_COLUMNS)})")
    out = []
    for row in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not row.get("path"):
            continue
        path = Path(row["path"])
        path = path if path.is_absolute() else manifest.parent / path
        overrides = {k: row[k] for k in MANIFEST_COLUMNS[1:] if row.get(k)}
        out.append(Candidate(path, None, overrides))
    return out
