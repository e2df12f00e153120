"""Scores (.mid .midi .musicxml .mxl .xml .krn .abc): one work per score, its text the event stream.

A score becomes the event text of :mod:`ouvroir.media.music.encoding` (one
line per bar), held in a single ``paragraph`` block so the rendered text keeps
one line per bar with no blank line between; form ``"score"``. Title and
composer come from the file when it has them (MusicXML work/movement title and
creator, ABC ``T:``/``C:``, Humdrum ``!!!OTL``/``!!!COM``, a MIDI file's first
track name); ``metadata`` gets the voice (part) names, the copyright line as
``rights``, the ticks per quarter note and the version of the event encoding.

An ABC file with several tunes holds several works: :func:`read_many` returns
them all, :func:`read` the first (and says so in ``notes``).

>>> abc = b"X:1\\nT:Air\\nC:Anon.\\nM:3/4\\nL:1/4\\nK:F\\nA B c|f3|]\\n"
>>> work = read(abc, "air.abc")
>>> work.title, work.author, work.form, work.text
('Air', 'Anon.', 'score', 'B3/4 K-1 V0 P0 n69 d12 P12 n70 d12 P24 n72 d12\\nB3/4 K-1 V0 P0 n77 d36')
"""

from __future__ import annotations

from pathlib import PurePath

from ...errors import IngestError
from ..document import Block, ParsedWork
from ..music.encoding import encode
from ..music.events import TICKS_PER_QUARTER
from ..music.read import Tune, describe, parse
from ..music.score import from_score

ENCODING_VERSION = "ouvroir-events/1"
SUFFIXES = {".mid": "midi", ".midi": "midi", ".musicxml": "musicxml", ".xml": "musicxml", ".mxl": "mxl", ".krn": "humdrum", ".abc": "abc"}  # fmt: skip


def read(data: bytes, name: str) -> ParsedWork:
    works = read_many(data, name)
    if len(works) > 1:
        works[0].notes.append(f"the file holds {len(works)} tunes: only the first was read as this work")
    return works[0]


def read_many(data: bytes, name: str) -> list[ParsedWork]:
    """Every score in the file, in order: several for an ABC file of several tunes, else one.

    A tune that cannot be read is left out and named in the ``notes`` of each
    work returned; IngestError only when no tune at all can be read.
    """
    fmt = SUFFIXES.get(PurePath(name).suffix.lower())
    if fmt is None:
        raise IngestError(
            f"not a score format: {PurePath(name).suffix or '(no extension)'}; ouvroir reads {' '.join(SUFFIXES)}"
        )
    tunes, problems = parse(data, fmt)
    works = []
    for tune in tunes:
        try:
            works.append(_work(tune))
        except IngestError as exc:
            if len(tunes) == 1:  # what music21 warned about may be why
                raise IngestError("; ".join([str(exc), *problems])) from exc
            problems.append(f"ABC tune {tune.label or '(unnumbered)'} skipped: {exc}")
    if not works:
        raise IngestError(f"no notes found in any tune ({'; '.join(problems)[:300]})")
    for work in works:
        work.notes.extend(problems)
    return works


def _work(tune: Tune) -> ParsedWork:
    piece = from_score(tune.score)
    if not piece.events:
        raise IngestError("no notes found in the score")
    title, composer, metadata = describe(tune.score)
    if piece.voices:
        metadata["voices"] = "; ".join(v or f"Voice {i + 1}" for i, v in enumerate(piece.voices))
    metadata["ticks-per-quarter"] = str(TICKS_PER_QUARTER)
    metadata["music-encoding"] = ENCODING_VERSION
    if tune.label:
        metadata["abc-tune"] = tune.label
    return ParsedWork(blocks=[Block("paragraph", encode(piece))], form="score", title=title, author=composer,
                      notes=list(piece.remarks), metadata=metadata)  # fmt: skip
