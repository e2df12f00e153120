"""Rewriting a selection of a co-written document: ``n`` middles that fit between the text before and after it.

Each candidate is an infill sample (``generation.infill``), stored whole and signed like any sample; none
is inserted until the person chooses one, as an ``accept`` op over the selection: the ledger then
keeps the replaced text with the piece, and refuses the candidate if the text around the selection
changed since it was written (``cocreate.ledger``). Refusals are ``RewriteRefused``, keyed so a page
says them in its language; nothing is generated or stored when one is raised.
"""

from __future__ import annotations

from ..cocreate import documents as docs
from ..cocreate.ledger import RewriteRefused
from ..errors import DocumentConflict, DocumentError
from ..store import models as model_store
from .steering import can_infill


def _sides_shorter(before: str, after: str) -> tuple[str, str]:
    """Half of each side, keeping what touches the selection (the end of the one before, the start of the one after)."""
    return before[len(before) // 2:], after[: len(after) // 2]


def rewrite(studio, doc_id: str, start: int, end: int, n: int = 3, max_tokens: int = 60, temperature: float = 0.8,
            model_ref: str | None = None, controls: dict[str, list[str]] | None = None, seed: int | None = None,
            version: int | None = None) -> list[docs.Suggestion]:  # fmt: skip
    """``n`` candidates for the selection ``start``–``end`` (code points) of a document, stored as samples."""
    from ..learn.generate import PromptTooLong
    from .generation import GenerationParams, infill

    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= docs.MAX_SUGGESTIONS:
        raise RewriteRefused("count", most=docs.MAX_SUGGESTIONS, n=n)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= 2_000:
        raise DocumentError(f"a variation is 1 to 2000 tokens long, not {max_tokens!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) or not 0 <= temperature <= 5:
        raise DocumentError(f"temperature goes from 0 (greedy) to 5, not {temperature!r}")
    doc = docs.get_document(studio, doc_id)
    if version is not None and version != doc.version:
        raise DocumentConflict(f"document {doc.id!r} changed elsewhere (now version {doc.version}, the selection "
                               f"was made on version {version}): reload it")  # fmt: skip
    length = len(doc.text)
    whole = all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end))
    if not whole or not 0 <= start <= end <= length:
        raise RewriteRefused("outside", start=start, end=end, length=length)
    if start == end:
        raise RewriteRefused("empty")
    record = model_store.resolve_model(studio.conn, model_ref)
    if model_store.snapshot_medium(studio.conn, record.snapshot_id) == "music":
        raise RewriteRefused("music", model=record.id)
    if not can_infill(studio, record):
        raise RewriteRefused("finetuned" if "base" in record.config else "before_infill", model=record.id)
    before = doc.text[max(0, start - docs.PROMPT_CHARS):start]
    after = doc.text[end:end + docs.PROMPT_CHARS]
    params = GenerationParams(max_tokens=max_tokens, temperature=float(temperature))
    while True:
        try:
            candidates = infill(studio, record.id, before, after, n, params, seed, controls)
            break
        except PromptTooLong:
            if not before and not after:
                raise
            before, after = _sides_shorter(before, after)
    return [docs.Suggestion(c.sample.id, c.sample.model_id, docs.as_typed(c.middle), c.sample.prompt,
                            c.sample.text[len(c.sample.prompt) + len(c.middle):], c.complete) for c in candidates]
