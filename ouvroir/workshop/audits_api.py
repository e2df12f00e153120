"""``studio.audits``: run an audit of a model or of any texts, and read the reports already made.

Reading the list needs only the store; running one loads the audit (and, for a model, the engine).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import AuditError
from ..store import audits as audit_store
from ..store import models as audit_store_models

REPORT_FILES = ("report.html", "audit.json", "provenance.json")


class Audits:
    def __init__(self, studio) -> None:
        self._studio = studio

    def all(self) -> list[dict]:
        """Every audit, newest first (its row, with ``summary`` read from JSON)."""
        return audit_store.list_audits(self._studio.conn)

    def get(self, audit_id: str) -> dict:
        found = audit_store.get_audit(self._studio.conn, audit_id)
        if found is None:
            raise AuditError(f"no audit {audit_id}")
        return found

    def file(self, audit_id: str, name: str) -> Path:
        """One of the report's files (report.html, audit.json, provenance.json), checked to be there."""
        audit = self.get(audit_id)
        if name not in REPORT_FILES:
            raise AuditError(f"an audit has no file {name!r}")
        path = self._studio.root / audit["path"] / name
        if not path.is_file():
            raise AuditError(f"{path} is missing: the report of audit {audit_id} was moved or deleted")
        return path

    def model(self, ref: str | None, options, progress: Callable[[str], None] | None = None, reuse: bool = False,
              image_options=None):  # fmt: skip
        """Audit a model's samples (new ones, or with ``reuse`` the stored ones); an ``AuditOutcome``.

        An image model is audited by the image instruments (``image_options``, or their defaults)."""
        from .auditing import audit_model
        from .image_auditing import audit_image_model, is_image_model

        record = audit_store_models.resolve_model(self._studio.conn, ref)
        if is_image_model(self._studio, record):
            from ..audit.image_run import ImageAuditOptions

            image_options = image_options or ImageAuditOptions(samples=options.samples, seed=options.seed, lang=options.lang,
                                                                device=options.device)  # fmt: skip
            return audit_image_model(self._studio, record, image_options, progress, reuse=reuse)
        return audit_model(self._studio, ref, options, progress, reuse=reuse)

    def texts(self, paths: Sequence[Path], options, progress: Callable[[str], None] | None = None):
        """Audit files against every work of the studio: the outcome and the files skipped (with why)."""
        from .auditing import audit_texts

        return audit_texts(self._studio, paths, options, progress)

    def images(self, paths: Sequence[Path], options, progress: Callable[[str], None] | None = None):
        """Audit image files (a generator's outputs) against every image work of the studio:
        the outcome and the files skipped (with why)."""
        from .image_auditing import audit_images

        return audit_images(self._studio, paths, options, progress)
