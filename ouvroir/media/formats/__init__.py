"""File formats: one reader per suffix, each ``read(data: bytes, name: str) -> ParsedWork``.

Readers never touch the disk: they get the file's bytes, so archives are read
in memory and nothing is ever extracted. They raise :class:`IngestError` with
the reason; the ingest layer adds the file name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..document import ParsedWork

Reader = Callable[[bytes, str], ParsedWork]

# suffix -> module in this package that defines read()
_MODULES = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "markdown",
    ".markdown": "markdown",
    ".docx": "docx",
    ".odt": "odt",
    ".epub": "epub",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".fountain": "fountain",
    ".spmd": "fountain",
    ".xml": "tei",
    ".tei": "tei",
}

TEXT_SUFFIXES = frozenset(_MODULES)


def reader_for(suffix: str) -> Reader | None:
    module = _MODULES.get(suffix.lower())
    if module is None:
        return None
    return importlib.import_module(f"{__name__}.{module}").read
