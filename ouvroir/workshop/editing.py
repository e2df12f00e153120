"""Correcting a work's title, author, licence or date: checked as ingest checks them, recorded as a dated event.

The text, its hash and its consent are never part of an edit, so no model is marked withdrawn by one; a
snapshot names the latest edit of each work it froze, so a model's datasheet keeps the metadata it was
trained with, and a model trained after the edit gets the new one.
"""

from __future__ import annotations

import re
from datetime import date as Date

from ..corpus.rights import RightsError, check_license
from ..errors import OuvroirError
from ..media.document import clean_label
from ..store import edits as edit_store
from ..store import works as work_store
from ..store.db import transaction

# A year, a month or a day, as ISO 8601 writes them and front matter usually gives them.
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


class EditError(OuvroirError):
    """A correction of a work's metadata is not valid; the message names the work."""


def check_date(value: str) -> str | None:
    """A date as ISO 8601 writes a year, a month or a day; '' clears it.

    >>> check_date("1857"), check_date(" 1857-04-12 "), check_date("")
    ('1857', '1857-04-12', None)
    """
    value = value.strip()
    if not value:
        return None
    found = _DATE.fullmatch(value)
    try:
        if found:
            year, month, day = (int(g) if g else None for g in found.groups())
            Date(year, month or 1, day or 1)  # a month 13 or a 30 February is refused here
            return value
    except ValueError:
        pass
    raise ValueError(f"date {value!r} is not a year (1857), a month (1857-04) or a day (1857-04-12)")


def _checked(work: work_store.Work, title: str | None, author: str | None, license: str | None,
             date: str | None) -> dict[str, str | None]:  # fmt: skip
    """The new values asked for (None: field left as it is), cleaned and validated; '' clears author or date."""
    wanted: dict[str, str | None] = {}
    label = f"work {work.id} {work.title!r}"
    if title is not None:
        # one line of visible text, as ingest stores titles (no line break or bidi override spoofing listings)
        wanted["title"] = clean_label(title) or None
        if not wanted["title"]:
            raise EditError(f"{label}: a title cannot be empty")
    if author is not None:
        wanted["author"] = clean_label(author) or None
    try:
        if license is not None:
            wanted["license"] = check_license(license)
        if date is not None:
            wanted["date"] = check_date(date)
    except (RightsError, ValueError) as exc:
        raise EditError(f"{label}: {exc}") from exc
    return wanted


def edit_work(studio, ref: str, title: str | None = None, author: str | None = None, license: str | None = None,
              date: str | None = None) -> tuple[work_store.Work, edit_store.MetadataEdit | None]:  # fmt: skip
    """Apply a correction; (the work as it is now, the event recorded or None when nothing changed)."""
    work = studio.work(ref)
    wanted = _checked(work, title, author, license, date)
    with transaction(studio.conn):
        work = work_store.resolve(studio.conn, work.id)  # as it is inside the write lock
        before = edit_store.current(work)
        changes = {k: (before[k], v) for k, v in wanted.items() if before[k] != v}
        event = edit_store.record_edit(studio.conn, work, changes) if changes else None
    return work_store.resolve(studio.conn, work.id), event
