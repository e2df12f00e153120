"""Co-creation: writing a document with a model's suggestions, keeping who wrote every character.

``ledger`` is the pure authorship logic, ``documents`` the store and the API the web studio calls,
``export`` the txt/md/html export with its signed ledger.
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
    suggest,
    undo,
)
from .export import export_document

__all__ = ["Doc", "Suggestion", "apply", "create_document", "export_document", "get_document", "list_documents",
           "redo", "rename", "suggest", "undo"]  # fmt: skip
