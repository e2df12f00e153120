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


class StoreCorrupt(OuvroirError):
    """``check`` found the store inconsistent."""


class TrainingError(OuvroirError):
    """Training cannot start or continue (no trainable work, corpus too small, bad checkpoint...)."""


class ModelNotFound(OuvroirError):
    """No model matches the identifier the user gave."""


class AuditError(OuvroirError):
    """An audit cannot run: no corpus, an unreadable text, an index that is missing or damaged."""


class ProvenanceError(OuvroirError):
    """The studio's signing key cannot be read, created or imported, or an output cannot be labelled."""


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
