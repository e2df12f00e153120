"""The studio's use cases over the store: the ``Studio`` the command line and the web studio call,
training runs on a snapshot, generation into the studio, audits, the studio check.

The faces (``ouvroir.cli``, ``ouvroir.web``) import from here only: ``Studio`` and what it hands out
(``studio.models``, ``studio.audits``, ``studio.documents``, ``studio.provenance``), and the value
types they pass in or show, re-exported below. Each name loads its module when first asked for,
so ``ouvroir --help`` loads neither the engine nor the audit.
"""

from __future__ import annotations

from importlib import import_module

# name → (module, attribute), relative to the ouvroir package
_EXPORTS = {
    "Studio": (".workshop.studio", "Studio"),
    "AddReport": (".workshop.studio", "AddReport"),
    "AddOptions": (".corpus.ingest", "AddOptions"),
    "FileOutcome": (".corpus.ingest", "FileOutcome"),
    "CONSENTS": (".store.works", "CONSENTS"),
    "Work": (".store.works", "Work"),
    "ModelRecord": (".store.models", "ModelRecord"),
    "SampleRecord": (".store.models", "SampleRecord"),
    "TEXT_SUFFIXES": (".media.formats", "TEXT_SUFFIXES"),
    "READABLE_SUFFIXES": (".media.formats", "READABLE_SUFFIXES"),
    "GenerationParams": (".workshop.generation", "GenerationParams"),
    "Constraint": (".learn.constraints", "Constraint"),
    "ConstraintError": (".learn.constraints", "ConstraintError"),
    "ConstraintUnmet": (".workshop.constraining", "ConstraintUnmet"),
    "INFILL_MARKER": (".workshop.steering", "INFILL_MARKER"),
    "split_marker": (".workshop.steering", "split_marker"),
    "RewriteRefused": (".cocreate.ledger", "RewriteRefused"),
    "AuditOptions": (".audit.run", "AuditOptions"),
    "audit_summary": (".audit.run", "summarize"),
    "ImageAuditOptions": (".audit.image_run", "ImageAuditOptions"),
    "headline_sentence": (".audit.uniform", "headline_sentence"),
    "span": (".audit.uniform", "span"),
    "decode_text": (".media.encoding", "decode_text"),
    "DOCUMENT_FORMATS": (".cocreate.export", "FORMATS"),
    "verify": (".workshop.provenance_api", "verify"),
    "load_keyring": (".workshop.provenance_api", "load_keyring"),
    "outputs_in": (".workshop.provenance_api", "outputs_in"),
    "publish": (".workshop.publishing", "publish"),
    "publish_site": (".workshop.publishing", "publish_site"),
    "publish_archive": (".workshop.publishing", "publish_archive"),
    "PUBLISH_FORMATS": (".publish.bundle", "FORMATS"),
    "verify_qr": (".workshop.publishing", "verify_qr"),
    "now": (".store.db", "now"),
    "image_png": (".workshop.gallery", "image_png"),
    "image_thumbnail": (".workshop.gallery", "thumbnail"),
    "picture_facts": (".workshop.gallery", "picture_facts"),
    "THUMBNAIL_SIZES": (".workshop.gallery", "THUMBNAIL_SIZES"),
    "PHASH_NEAR_BITS": (".corpus.image_ingest", "PHASH_NEAR_BITS"),
    "ImageAuditOptions": (".audit.image_run", "ImageAuditOptions"),
    "IMAGE_SUFFIXES": (".media.images", "IMAGE_SUFFIXES"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ouvroir.workshop' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(import_module(module, "ouvroir"), attribute)
    globals()[name] = value
    return value
