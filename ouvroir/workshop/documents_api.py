"""``studio.documents``: co-written documents, suggestions from a model, and the signed export.

The documents and their authorship ledger are ``ouvroir.cocreate``'s; asking a model for a
continuation (generation) and signing an export (provenance) are use cases over them, so they
live here and co-creation imports neither.
"""

from __future__ import annotations

from pathlib import Path

from ..cocreate import documents as docs
from ..cocreate.export import FORMATS, ledger_record, render_html, render_md, slug
from ..cocreate.ledger import MODEL, PERSON
from ..errors import DocumentError
from ..fileio import atomic_write
from ..provenance import manifest as mf
from ..provenance.keys import load_or_create_key
from ..store import models as model_store
from ..store.db import now


class Documents:
    FORMATS = tuple(FORMATS)

    def __init__(self, studio) -> None:
        self._studio = studio

    def all(self) -> list[docs.Doc]:
        """Every document, most recently changed first."""
        return docs.list_documents(self._studio)

    def create(self, title: str, lang: str = "fr") -> docs.Doc:
        return docs.create_document(self._studio, title, lang=lang)

    def get(self, ref: str) -> docs.Doc:
        """A document by id, unique id prefix or exact title."""
        return docs.get_document(self._studio, ref)

    def apply(self, doc_id: str, version: int, ops: list[dict], allow_withdrawn: bool = False) -> docs.Doc:
        """Apply the page's edits and accepted suggestions, if ``version`` is still the document's."""
        return docs.apply(self._studio, doc_id, version, ops, allow_withdrawn=allow_withdrawn)

    def undo(self, doc_id: str, version: int) -> docs.Doc:
        return docs.undo(self._studio, doc_id, version)

    def redo(self, doc_id: str, version: int) -> docs.Doc:
        return docs.redo(self._studio, doc_id, version)

    def rename(self, doc_id: str, version: int, title: str) -> docs.Doc:
        return docs.rename(self._studio, doc_id, version, title)

    def suggest(self, doc_id: str, cursor: int, **settings) -> list[docs.Suggestion]:
        """Continuations at ``cursor`` (n, max_tokens, temperature, model_ref, seed, controls, constraint), stored
        as samples; with a constraint, ``.unmet`` counts those that could not keep it (neither stored nor returned)."""
        return suggest(self._studio, doc_id, cursor, **settings)

    def rewrite(self, doc_id: str, start: int, end: int, **settings) -> list[docs.Suggestion]:
        """Candidates for the selection ``start``–``end`` (n, max_tokens, temperature, model_ref, controls, seed,
        version), each a middle between the text before and after it, stored as a sample (see ``rewriting``)."""
        from .rewriting import rewrite

        return rewrite(self._studio, doc_id, start, end, **settings)

    def export(self, doc_id: str, fmt: str, out_dir: Path, lang: str | None = None) -> Path:
        """The document as txt, md or html in ``out_dir``, beside its signed provenance."""
        return export_document(self._studio, doc_id, fmt, out_dir, lang)

    @staticmethod
    def sidecar(path: Path) -> Path:
        """Where an exported file's signed provenance lies."""
        return mf.sidecar_path(path)


def _shorter(prompt: str) -> str:
    """The last half of ``prompt``, starting at a word when one starts soon after the cut."""
    cut = max(1, len(prompt) // 2)
    space = next((i for i in range(cut, min(len(prompt), cut + 80)) if prompt[i].isspace()), None)
    return prompt[space + 1 if space is not None else cut:]


class Suggestions(list):
    """Suggestions, and ``unmet``: how many of those asked for could not keep the constraint."""

    unmet = 0


def suggest(studio, doc_id: str, cursor: int, n: int = 1, max_tokens: int = 60, temperature: float = 0.8,
            model_ref: str | None = None, seed: int | None = None, controls: dict[str, list[str]] | None = None,
            constraint=None) -> list[docs.Suggestion]:  # fmt: skip
    """``n`` continuations of the text before ``cursor``, stored as samples; none is inserted yet.

    The prompt is the end of the text before the cursor, shortened until it fits the model's context.
    """
    from ..learn.generate import PromptTooLong
    from .generation import GenerationParams, generate_samples

    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= docs.MAX_SUGGESTIONS:
        raise DocumentError(f"ask for 1 to {docs.MAX_SUGGESTIONS} suggestions, not {n!r}")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= 2_000:
        raise DocumentError(f"a suggestion is 1 to 2000 tokens long, not {max_tokens!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) or not 0 <= temperature <= 5:
        raise DocumentError(f"temperature goes from 0 (greedy) to 5, not {temperature!r}")
    doc = docs.get_document(studio, doc_id)
    if isinstance(cursor, bool) or not isinstance(cursor, int) or not 0 <= cursor <= len(doc.text):
        raise DocumentError(f"the cursor {cursor!r} is outside the document (0 to {len(doc.text)})")
    record = model_store.resolve_model(studio.conn, model_ref)
    docs.refuse_music(studio, record.id, record.snapshot_id)
    prompt = doc.text[max(0, cursor - docs.PROMPT_CHARS):cursor]
    params = GenerationParams(max_tokens=max_tokens, temperature=float(temperature))
    while True:
        try:
            records = generate_samples(studio, record.id, prompt, n, params, seed=seed, controls=controls,
                                       constraint=constraint)  # fmt: skip
            break
        except PromptTooLong:
            if not prompt:
                raise
            prompt = _shorter(prompt)
    out = Suggestions(docs.Suggestion(r.id, r.model_id, docs.as_typed(r.text[len(r.prompt):])) for r in records)
    out.unmet = len(getattr(records, "unmet", ()))
    return out


def source_type(spans: list[dict]) -> str | None:
    origins = {s["origin"] for s in spans}
    return mf.COMPOSITE if origins == {PERSON, MODEL} else mf.TRAINED if origins == {MODEL} else None


def export_document(studio, doc_id: str, fmt: str, out_dir: Path, lang: str | None = None) -> Path:
    """Write the document as ``fmt`` into ``out_dir`` with its signed provenance; return the file's path.

    ``lang`` (fr or en; default the document's) is the language of the md and html appendix.
    """
    if fmt not in FORMATS:
        raise DocumentError(f"unknown export format {fmt!r}: choose {', '.join(FORMATS)}")
    doc = docs.get_document(studio, doc_id)
    lang = lang or doc.lang
    record = ledger_record(doc, fmt)
    path = Path(out_dir) / (slug(doc.title, doc.id) + FORMATS[fmt])
    provenance = mf.sidecar_path(path)
    content = {"txt": lambda: record["text"], "md": lambda: render_md(record, lang, provenance.name),
               "html": lambda: render_html(record, lang, provenance.name)}[fmt]()  # fmt: skip
    used = list(dict.fromkeys(p["sample_id"] for p in record["pieces"]))  # a sample accepted twice is one sample
    assertions: dict = {"ouvroir.ledger": record, "ouvroir.samples": used}
    chains = [mf.model_chain(studio, model_store.resolve_model(studio.conn, m, ready_only=False))
              for m in sorted({p["model_id"] for p in record["pieces"]})]  # fmt: skip
    if len(chains) == 1:  # the same assertions as a sample's, so verify's chain checks apply as they are
        assertions |= chains[0]
    elif chains:
        assertions["ouvroir.models"] = chains
    atomic_write(path, content.encode("utf-8"))
    manifest = mf.build("co-creation", [path], path.parent, source_type(record["spans"]), {"action": "c2pa.created"},
                        assertions, now())  # fmt: skip
    mf.write(manifest, provenance, load_or_create_key(studio.root))
    return path
