"""Copied passages of a music audit as scores: the bars in the audited piece beside the same bars in their source.

The audit gives the first copied spans a ``passage`` (see ``audit.medium.MusicMedium.add_passages``):
the event text of the bars each covers, in the piece and in the source work. Here each becomes
MusicXML, then SVG (``media.music.engrave``), inlined in the report, which loads nothing: a
passage that cannot be engraved is left out of the figure, its source line stays.
"""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup

from ..errors import OuvroirError

MAX_SCORED = 12  # passages engraved in one report, whatever the audit holds


class Scorer:
    """Engraves passages for one report: each SVG gets its own id seed (two inline SVGs must not share ids)."""

    def __init__(self, limit: int = MAX_SCORED) -> None:
        self.left = limit
        self.seed = 0

    def passage(self, span: Mapping) -> dict | None:
        """``{"sample": svg, "source": svg, bars and voices}`` for a span with a passage, else None."""
        passage = span.get("passage")
        if not isinstance(passage, Mapping) or self.left <= 0:
            return None
        try:
            sample = self._svg(str(passage.get("sample") or ""))
            source = self._svg(str(passage.get("source") or ""))
        except (OuvroirError, ValueError):
            return None
        self.left -= 1
        return {"sample": sample, "source": source, "sample_bars": _bars(passage.get("sample_bars")),
                "source_bars": _bars(passage.get("source_bars")),
                "sample_voice": int(passage.get("sample_voice") or 0) + 1,
                "source_voice": int(passage.get("source_voice") or 0) + 1}  # fmt: skip

    def _svg(self, events: str) -> Markup:
        from ..media.music.engrave import engrave
        from ..media.music.render import to_musicxml

        if not events.strip():
            raise ValueError("no bars")
        self.seed += 1
        # A narrow page: an excerpt of a few bars on one or two systems, half the report's width.
        engraving = engrave(to_musicxml(events), "a copied passage", max_pages=1, id_seed=self.seed, width=1400)
        return Markup(engraving.svg())


def _bars(value: object) -> tuple[int, int]:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return int(value[0]), int(value[1])
    return 0, 0
