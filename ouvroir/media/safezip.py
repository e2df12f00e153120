"""Read members of a zip archive (DOCX, ODT, EPUB) in memory, refusing zip bombs and unsafe names.

Nothing is ever extracted to disk. Sizes are checked while decompressing, not
only from the header (a crafted header can lie), and a member that would grow
past the limits stops the read at once, so a 4 KB file that claims to hold
gigabytes costs at most one limit's worth of memory.

>>> import io, zipfile
>>> buf = io.BytesIO()
>>> with zipfile.ZipFile(buf, "w") as z:
...     z.writestr("mimetype", "application/epub+zip")
>>> SafeZip(buf.getvalue(), "EPUB").read("mimetype")
b'application/epub+zip'
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from ..errors import IngestError

_MB = 1024 * 1024
_CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
# An encrypted Word file is not a zip at all but an OLE compound file holding an "EncryptionInfo" stream.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class ZipLimits:
    """Bounds on what one archive may expand to.

    The ratio limits apply only past ``ratio_grace_bytes``: a few kilobytes of
    repetitive XML legitimately compress better than 100:1, and cannot hurt.
    """

    max_total_bytes: int = 256 * _MB
    max_ratio: float = 100.0
    max_members: int = 10_000
    ratio_grace_bytes: int = 1 * _MB


DEFAULT_LIMITS = ZipLimits()


class SafeZip:
    """A zip archive read member by member, in memory, within ``limits``.

    ``kind`` names the format in error messages ("DOCX", "EPUB", "ODT").
    """

    def __init__(self, data: bytes, kind: str, limits: ZipLimits = DEFAULT_LIMITS) -> None:
        self.kind = kind
        self.limits = limits
        self._archive_bytes = max(len(data), 1)
        self._read_so_far = 0
        if data.startswith(_OLE_MAGIC):
            if "EncryptionInfo".encode("utf-16-le") in data:
                raise IngestError(f"encrypted {kind}: remove the password first (save an unprotected copy)")
            raise IngestError(f"not a {kind} file: it is an old binary office document; save it again as {kind}")
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise IngestError(f"corrupt {kind}: not a valid zip archive (damaged or truncated file)") from exc
        if len(infos) > limits.max_members:
            raise IngestError(f"{kind} archive has {len(infos):,} members, over the limit of {limits.max_members:,}")
        for info in infos:
            check_member_name(info.filename)
        self._infos = {info.filename: info for info in infos}
        self._check_declared_sizes(infos)

    @property
    def names(self) -> list[str]:
        return list(self._infos)

    def has(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        """The member's bytes; IngestError if it is missing, encrypted, corrupt or too large."""
        info = self._infos.get(name)
        if info is None:
            raise IngestError(f"corrupt {self.kind}: the archive has no {name!r}")
        return self._read_checked(info)

    def read_optional(self, name: str) -> bytes | None:
        return self.read(name) if name in self._infos else None

    def _check_declared_sizes(self, infos: list[zipfile.ZipInfo]) -> None:
        declared_total = sum(info.file_size for info in infos)
        if declared_total > self.limits.max_total_bytes:
            raise IngestError(self._too_large_message(declared_total))
        for info in infos:
            self._check_ratio(info.filename, info.file_size, info.compress_size)
        self._check_overall_ratio(declared_total)

    def _read_checked(self, info: zipfile.ZipInfo) -> bytes:
        if info.flag_bits & 0x1:
            raise IngestError(f"encrypted {self.kind}: archive member {info.filename!r} is password-protected")
        chunks: list[bytes] = []
        member_bytes = 0
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    member_bytes += len(chunk)
                    self._read_so_far += len(chunk)
                    # checked on every chunk: the header's sizes are only a claim
                    if self._read_so_far > self.limits.max_total_bytes:
                        raise IngestError(self._too_large_message(self._read_so_far))
                    self._check_ratio(info.filename, member_bytes, info.compress_size)
                    self._check_overall_ratio(self._read_so_far)
                    chunks.append(chunk)
        except IngestError:
            raise
        except NotImplementedError as exc:
            raise IngestError(
                f"corrupt {self.kind}: member {info.filename!r} uses an unsupported compression method"
            ) from exc
        except RuntimeError as exc:  # zipfile's "File is encrypted, password required"
            raise IngestError(f"encrypted {self.kind}: archive member {info.filename!r} is password-protected") from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise IngestError(
                f"corrupt {self.kind}: member {info.filename!r} is damaged ({exc})".split("\n")[0]
            ) from exc
        return b"".join(chunks)

    def _check_ratio(self, name: str, size: int, compressed: int) -> None:
        if size <= self.limits.ratio_grace_bytes:
            return
        if size > self.limits.max_ratio * max(compressed, 1):
            raise IngestError(
                f"{self.kind} member {name!r} expands more than {self.limits.max_ratio:.0f} times "
                "its compressed size: refused as a possible zip bomb"
            )

    def _check_overall_ratio(self, total: int) -> None:
        if total > self.limits.ratio_grace_bytes and total > self.limits.max_ratio * self._archive_bytes:
            raise IngestError(
                f"{self.kind} archive expands more than {self.limits.max_ratio:.0f} times its size: "
                "refused as a possible zip bomb"
            )

    def _too_large_message(self, size: int) -> str:
        return (
            f"{self.kind} archive expands to more than {self.limits.max_total_bytes / _MB:,.0f} MB "
            f"({size / _MB:,.0f} MB seen): refused as a possible zip bomb"
        )


def check_member_name(name: str) -> None:
    """Refuse names that could point outside the archive (absolute, drive letter, ``..``).

    >>> check_member_name("OEBPS/ch1.xhtml")
    >>> check_member_name("../evil.xhtml")
    Traceback (most recent call last):
    ...
    ouvroir.errors.IngestError: unsafe archive member '../evil.xhtml'
    """
    parts = re.split(r"[\\/]", name)
    if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts or "\x00" in name:
        raise IngestError(f"unsafe archive member {name!r}")


def resolve_member(base_dir: str, href: str) -> str:
    """Join a relative reference (from an OPF or a .rels file) to its directory, refusing escapes.

    >>> resolve_member("OEBPS", "text/ch1.xhtml")
    'OEBPS/text/ch1.xhtml'
    >>> resolve_member("OEBPS", "../ch1.xhtml")
    'ch1.xhtml'
    >>> resolve_member("", "../../etc/passwd")
    Traceback (most recent call last):
    ...
    ouvroir.errors.IngestError: unsafe archive member '../../etc/passwd'
    """
    from urllib.parse import unquote

    target = unquote(href.split("#", 1)[0])
    if target.startswith(("/", "\\")) or _DRIVE.match(target) or "://" in target:
        raise IngestError(f"unsafe archive member {href!r}")
    parts: list[str] = [p for p in base_dir.split("/") if p]
    for part in target.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise IngestError(f"unsafe archive member {href!r}")
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)
