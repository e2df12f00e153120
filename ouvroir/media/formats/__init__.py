"""File formats: one reader per suffix, each ``read(data: bytes, name: str) -> ParsedWork``.

Readers never touch the disk: they get the file's bytes, so archives are read
in memory and nothing is ever extracted. They raise :class:`IngestError` with
the reason; the ingest layer adds the file name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..document import ParsedWork
from ..images import IMAGE_SUFFIXES

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
    ".xml": "tei",  # or MusicXML: see _read_xml
    ".tei": "tei",
    ".mid": "music",
    ".midi": "music",
    ".musicxml": "music",
    ".mxl": "music",
    ".krn": "music",
    ".abc": "music",
}

TEXT_SUFFIXES = frozenset(_MODULES)  # every suffix ouvroir reads, scores included
MUSIC_SUFFIXES = frozenset(s for s, module in _MODULES.items() if module == "music")  # .xml may be either
READABLE_SUFFIXES = TEXT_SUFFIXES | frozenset(IMAGE_SUFFIXES)  # what `ouvroir add` and the upload accept


def reader_for(suffix: str) -> Reader | None:
    suffix = suffix.lower()
    if suffix == ".xml":
        return _read_xml
    module = _MODULES.get(suffix)
    if module is None:
        return None
    return importlib.import_module(f"{__name__}.{module}").read


def many_reader_for(suffix: str) -> Callable[[bytes, str], list[ParsedWork]] | None:
    """Like :func:`reader_for`, for files that may hold several works (an ABC file of several tunes).

    A module's ``read_many`` when it has one, else its ``read`` giving a list of one.
    """
    suffix = suffix.lower()
    module = importlib.import_module(f"{__name__}.{_MODULES[suffix]}") if suffix in _MODULES else None
    if module is not None and suffix != ".xml" and hasattr(module, "read_many"):
        return module.read_many
    read = reader_for(suffix)
    return None if read is None else lambda data, name: [read(data, name)]


def _read_xml(data: bytes, name: str) -> ParsedWork:
    """``.xml`` is a MusicXML score when its root element says so, else TEI (which refuses anything else)."""
    from ..safexml import is_musicxml

    return importlib.import_module(f"{__name__}.{'music' if is_musicxml(data) else 'tei'}").read(data, name)
