"""Typed errors a user can act on.

The library raises these; the CLI and the web studio turn them into a clear
message and an exit code in one place. Nothing in the library calls
``sys.exit`` or prints an error itself.
"""

from __future__ import annotations


class OuvroirError(Exception):
    """Base class: the message is meant for the user, as it is."""

    exit_code = 1


class StudioError(OuvroirError):
    """The studio is missing, locked, or not a studio."""


class IngestError(OuvroirError):
    """One file cannot be ingested; the message says why (the caller adds the file name)."""


class WorkNotFound(OuvroirError):
    """No work matches the identifier the user gave, or several do."""


class ConsentError(OuvroirError):
    """An operation needs consent that the works do not have."""


class ConsentReversal(ConsentError):
    """A change to several works at once would turn refusals (latest consent ``no-train``) into ``train``.

    ``works`` are the refusing works; the caller shows them and asks again before passing ``reverse_refusals``.
    """

    def __init__(self, message: str, works: list) -> None:
        super().__init__(message)
        self.works = works


class StoreCorrupt(OuvroirError):
    """``check`` found the store inconsistent."""


class TrainingError(OuvroirError):
    """Training cannot start or continue (no trainable work, corpus too small, bad checkpoint...)."""


class BaseModelError(TrainingError):
    """A model on disk cannot be fine-tuned: not a local folder, not a model, an unknown architecture,
    corrupt weights, no tokenizer, too large for memory, a LoRA rank that does not fit.

    Its message is a keyed line (``i18n.stages.Stage``): the terminal prints it, the web studio says it
    in the page's language."""


class BaseModelChanged(OuvroirError):
    """A LoRA model's base folder is missing or differs from the one it was fine-tuned on: the adapter would
    generate from another model than the one its provenance names."""

    http_status = 409


class ModelNotFound(OuvroirError):
    """No model matches the identifier the user gave."""


class AuditError(OuvroirError):
    """An audit cannot run: no corpus, an unreadable text, an index that is missing or damaged."""


class ProvenanceError(OuvroirError):
    """The studio's signing key cannot be read, created or imported, or an output cannot be labelled."""


class PublishError(OuvroirError):
    """A publication cannot be made: an unknown or empty item, an output folder that exists, a missing tool."""


class DocumentError(OuvroirError):
    """A co-written document cannot be changed as asked (a bad offset, an unknown suggestion...).

    ``http_status`` is what the web studio answers with, so it needs no table of its own.
    """

    http_status = 400


class DocumentNotFound(DocumentError):
    """No document matches the identifier the user gave."""

    http_status = 404


class DocumentConflict(DocumentError):
    """The document changed elsewhere (another tab, the CLI) since the caller read it: reload."""

    http_status = 409


class EnvironmentFailure(OuvroirError):
    """The machine, not the input, stopped the work: a full disk, no memory left, a file system error.

    ``http_status`` 507 (disk full) or 503 tells a script of the web studio that trying again later may work.
    """

    http_status = 503


class DiskFull(EnvironmentFailure):
    """No space left on the studio's disk (or the user's quota): nothing more can be written."""

    http_status = 507


DISK_FULL = "disk full: free space and run again"


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or quota) is full: an OSError's errno, or SQLite's own wording."""
    import errno
    import sqlite3

    if isinstance(exc, DiskFull):
        return True
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc)


def environment_failure(exc: BaseException) -> OuvroirError | None:
    """The one line a person can act on for an error of the machine (disk, memory, files), or None for a bug.

    The command line, the web studio and its job worker all call this at their error boundary, so a
    full disk reads the same everywhere instead of a traceback.
    """
    if isinstance(exc, OuvroirError):
        return exc
    if is_disk_full(exc):
        return DiskFull(DISK_FULL)
    if isinstance(exc, MemoryError):
        return EnvironmentFailure("out of memory: close other programs, or work on fewer or smaller files, and run again")
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return EnvironmentFailure(f"system error: {exc.strerror or exc}{where}")
    return None
