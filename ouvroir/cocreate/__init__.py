"""Co-creation: writing a document with a model's suggestions, keeping who wrote every character.

``ledger`` is the pure authorship logic, ``documents`` the documents in the store, ``export`` the
txt/md/html renderings and the ledger record, ``checks`` what verify checks in an exported ledger.
Suggestions (generation) and the signed export are the workshop's: co-creation imports neither.
"""

from .documents import (
    Doc,
    Suggestion,
    apply,
    create_document,
    get_document,
    list_documents,
    redo,
    rename,
    undo,
)

__all__ = ["Doc", "Suggestion", "apply", "create_document", "get_document", "list_documents", "redo", "rename",
           "undo"]  # fmt: skip
