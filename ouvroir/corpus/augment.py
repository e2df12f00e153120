"""Augmented training documents: a music snapshot's training pieces, each also in the other keys it fits.

A small music corpus (the 349 Bach chorales are about 1.5 MB of event text)
gives a model few examples of each progression in each key. Each training
piece of a music snapshot taken with controls is therefore followed, in the
training stream, by its transpositions (``media.music.transpose``: a fourth
down to a fourth up, every voice within the range the training pieces give
it), each with its own controls (the key moves with the notes; meter and
voices stay). Held-out pieces are never augmented, so validation figures
compare with a model trained without augmentation.

Snapshots taken before controls existed keep the token files they always had. It is off
(``transpose.TRAIN_ON_TRANSPOSITIONS``) until a budget is found where it helps: see that module.
"""

from __future__ import annotations

from ..media.music.transpose import AUGMENTATION, transpositions, voice_ranges
from .controls import estimate_key
from .snapshot import Snapshot, transposes


def augments(snapshot: Snapshot) -> bool:
    """True when this snapshot's training pieces are augmented (a music snapshot with controls)."""
    return transposes(snapshot.medium, snapshot.works)


def augmented(snapshot: Snapshot, texts: list[str], controls: list[dict]) -> tuple[list[str], list[dict], dict]:
    """The training documents and their controls, with every transposition after the originals; and what was done.

    The third value is recorded with the token files: ``{"method": "transpose/1", "copies": N}``.
    """
    if not augments(snapshot):
        return texts, controls, {}
    ranges = voice_ranges(texts)
    more_texts, more_controls = [], []
    for text, own in zip(texts, controls):
        for _, moved in transpositions(text, ranges):
            more_texts.append(moved)
            moved_controls = dict(own)
            if "key" in own and (key := estimate_key(moved)) is not None:
                moved_controls["key"] = key
            more_controls.append(moved_controls)
    return texts + more_texts, controls + more_controls, {"method": AUGMENTATION, "copies": len(more_texts)}
