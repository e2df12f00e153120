"""The corpus page: list and filter works, upload files, set rights and consent, see history and models."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ...errors import ConsentReversal
from ...workshop import CONSENTS, PHASH_NEAR_BITS, READABLE_SUFFIXES, AddOptions, Studio, picture_facts
from ..security import local_target, safe_upload_name
from ..shared import StudioDep, error_response, render, translator, wants_json

router = APIRouter()
MAX_UPLOAD_BYTES = 50 << 20  # per file: a novel in EPUB or a score is far below; a video is not a work
MAX_FILES = 500
CHUNK = 1 << 20

PAGE_SIZE = 100  # rows per corpus page: a few hundred kB of HTML at most, whatever the corpus


def _formats() -> str:
    return " ".join(sorted(READABLE_SUFFIXES))


@router.get("/corpus")
def corpus_page(request: Request, q: str = "", consent: str = "", medium: str = "", page: str = "1",
                studio: Studio = StudioDep):  # fmt: skip
    return _corpus(request, studio, q, consent, medium, page=int(page) if page.isdigit() else 1)


def _corpus(request: Request, studio: Studio, q: str = "", consent: str = "", medium: str = "",
            outcomes: list[dict] | None = None, summary: str | None = None, page: int = 1) -> Response:  # fmt: skip
    """One page of the corpus, filtered in SQL; after an upload without script, with each file's outcome."""
    filters = {"q": q.strip() or None, "consent": consent or None, "medium": medium or None}
    matched = sum(studio.consent_counts(**filters).values())
    total = sum(studio.consent_counts().values()) if any(filters.values()) else matched
    pages = max(1, -(-matched // PAGE_SIZE))
    page = min(max(1, page), pages)
    works = studio.works(**filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)

    def link(number: int) -> str:
        kept = {k: v for k, v in (("q", q), ("consent", consent), ("medium", medium)) if v}
        return "/corpus?" + urlencode(kept | ({"page": number} if number > 1 else {}))

    return render(request, "corpus.html", {
        "works": works, "total": total, "matched": matched, "q": q, "consent": consent, "medium": medium,
        "consents": CONSENTS, "page": page, "pages": pages, "first": (page - 1) * PAGE_SIZE + 1,
        "this_url": link(page), "prev_url": link(page - 1) if page > 1 else None,
        "next_url": link(page + 1) if page < pages else None,
        "formats": _formats(), "max_mb": MAX_UPLOAD_BYTES >> 20, "outcomes": outcomes, "summary": summary,
        "accept": ",".join(sorted(READABLE_SUFFIXES)), "images": sum(studio.consent_counts(medium="image").values()),
    })  # fmt: skip


@router.post("/corpus/upload")
async def upload(request: Request, studio: Studio = StudioDep) -> Response:
    """Ingest the uploaded files; each file gets its own outcome, and a bad one never stops the others."""
    t = translator(request)
    form = await request.form(max_files=MAX_FILES + 1, max_fields=2 * (MAX_FILES + 1) + 50)  # a path and an author per file
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    options = AddOptions(author=_field(form, "author"), license=_field(form, "license"),
                         consent=_field(form, "consent"), reason=_field(form, "reason") or _chosen(form, t),
                         author_from_dir=bool(form.get("author_from_folder")))  # fmt: skip
    # Beside each file, in the same order: the path it had in a dropped folder, and the author typed for it.
    paths, authors = _column(form, "paths", len(files)), _column(form, "file_authors", len(files))
    outcomes: list[dict] = []
    # Received inside the studio, under a name `ouvroir check` knows: a killed server leaves a leftover it repairs.
    folder = studio.layout.scratch("upload")
    try:
        accepted: list[tuple[Path, AddOptions]] = []
        for number, upload_file in enumerate(files):
            name = upload_file.filename
            if number >= MAX_FILES:
                outcomes.append(_refused(name, t("refused_count", n=MAX_FILES)))
                continue
            # The file lands in a folder named as the one it came from: ingest's --author-from-dir reads it there.
            parent = _parent_folder(paths[number]) if options.author_from_dir else None
            problem, path = await _receive(upload_file, folder / str(number) / (parent or ""), t)
            if problem:
                outcomes.append(_refused(name, problem))
            else:
                own = replace(options, author=authors[number]) if authors[number] else options
                accepted.append((path.parent if parent else path, own))
        if accepted:
            report = await run_in_threadpool(_add_each, studio, accepted)
            for o in report:
                outcomes.append({"name": o.path.name, "status": o.status, "message": _said(o, t),
                                 "work_id": o.work.id if o.work else None, "notes": o.notes})  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    counts = {s: sum(1 for o in outcomes if o["status"] == s) for s in ("added", "duplicate", "failed")}
    summary = t("upload_summary", **counts)
    if wants_json(request):
        return JSONResponse({"outcomes": outcomes, "summary": summary, "counts": counts})
    return _corpus(request, studio, outcomes=outcomes, summary=summary)


async def _receive(upload_file: UploadFile, folder: Path, t) -> tuple[str | None, Path | None]:
    """Copy one upload to ``folder`` under its own plain name, or say why it is refused."""
    name = safe_upload_name(upload_file.filename)
    if name is None:
        return t("refused_name"), None
    suffix = Path(name).suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        return t("refused_format", suffix=suffix or "—", formats=_formats()), None
    folder.mkdir(parents=True)
    path = folder / name
    size = 0
    with open(path, "wb") as out:
        while chunk := await upload_file.read(CHUNK):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                return t("refused_size", mb=MAX_UPLOAD_BYTES >> 20), None
            out.write(chunk)
    return None, path


def _add_each(studio: Studio, accepted: list[tuple[Path, AddOptions]]) -> list:
    """Ingest in the order received, each file with its own options (its own author, when one was typed)."""
    return [o for path, options in accepted for o in studio.add([path], options).outcomes]


def _column(form, name: str, count: int) -> list[str | None]:
    """A field sent once per file, as many values as files (missing or blank values are None)."""
    values = [v.strip() if isinstance(v, str) and v.strip() else None for v in form.getlist(name)][:count]
    return values + [None] * (count - len(values))


def _parent_folder(relative: str | None) -> str | None:
    """The name of the folder a dropped file sat in (``Victor Hugo/nuit.txt`` → ``Victor Hugo``), when plain."""
    parts = [p for p in (relative or "").replace("\\", "/").split("/") if p]
    return safe_upload_name(parts[-2]) if len(parts) >= 2 else None


def _chosen(form, t) -> str | None:
    """The reason kept with a consent chosen in the form without one: the page's words, not the command line's flag."""
    return t("upload_reason") if _field(form, "consent") else None


def _said(outcome, t) -> str:
    """An outcome in the page's language from what it holds (a refusal's reason stays the reader's own line)."""
    work = outcome.work
    if outcome.status == "added" and work and work.medium == "image":
        return t("outcome_added_image", id=work.id, title=work.title, width=work.metadata.get("width", "?"),
                 height=work.metadata.get("height", "?"), consent=t.word("consent_", work.consent))  # fmt: skip
    if outcome.status == "added" and work:
        return t("outcome_added_detail", id=work.id, title=work.title, form=t.word("form_", work.form),
                 chars=t.integer(work.chars), consent=t.word("consent_", work.consent))  # fmt: skip
    if outcome.status == "duplicate" and work:
        return t("outcome_duplicate_detail", id=work.id, title=work.title)
    return outcome.message


def _refused(name: str, message: str) -> dict:
    return {"name": name, "status": "failed", "message": message, "work_id": None, "notes": []}


def _field(form, name: str) -> str | None:
    value = form.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


@router.post("/corpus/consent")
async def set_consent(request: Request, studio: Studio = StudioDep) -> Response:
    """Append a consent event (with its reason) to each checked work, all or none."""
    t = translator(request)
    form = await request.form()
    ids = [v for v in form.getlist("work") if isinstance(v, str)]
    consent, reason = _field(form, "consent"), _field(form, "reason")
    if not ids:
        return error_response(request, t("select_some"), 400)
    if not reason:
        return error_response(request, t("reason_needed"), 400)
    target = local_target(form.get("next"), "/corpus")
    confirmed = [v for v in form.getlist("reverse") if isinstance(v, str)]
    try:
        studio.set_consent(ids, consent or "", reason, reverse_refusals=confirmed)
    except ConsentReversal as reversal:
        # Refusals are never reversed in bulk unasked: name them and ask again, changing nothing meanwhile.
        refusing, count = reversal.works, len(set(ids))
        if wants_json(request):
            named = ", ".join(f"{w.id} {w.title!r}" for w in refusing)
            return JSONResponse({"error": t("reversal_json", n=len(refusing), total=count, works=named),
                                 "refusals": [{"id": w.id, "title": w.title, "author": w.author,
                                               "reason": w.consent_reason, "at": w.consent_at} for w in refusing]},
                                status_code=409)  # fmt: skip
        return render(request, "consent_confirm.html", {
            "refusing": refusing, "count": count, "ids": ids, "consent": consent, "reason": reason, "next": target,
        })  # fmt: skip
    if wants_json(request):
        return JSONResponse({"ok": True, "message": t("consent_changed", n=len(ids))})
    return RedirectResponse(target, status_code=303)


@router.post("/corpus/{ref}/remove")
async def remove(ref: str, request: Request, studio: Studio = StudioDep) -> Response:
    t = translator(request)
    form = await request.form()
    if form.get("confirm") != "yes":
        return error_response(request, t("remove_unconfirmed"), 400)
    work = studio.remove(ref)
    if wants_json(request):
        return JSONResponse({"removed": work.id})
    return RedirectResponse("/corpus", status_code=303)


@router.post("/corpus/{ref}/edit")
async def edit(ref: str, request: Request, studio: Studio = StudioDep) -> Response:
    """Correct the title, author, licence or date: a dated event; the text, consent and models stay as they are."""
    form = await request.form()
    values = {k: v.strip() for k in ("title", "author", "license", "date") if isinstance(v := form.get(k), str)}
    if not values.get("license"):  # an emptied licence field leaves the licence as it is
        values.pop("license", None)
    work = studio.edit(ref, **values)
    if wants_json(request):
        return JSONResponse({"work": work.as_dict(), "edits": [e.as_dict() for e in studio.edit_history(work)]})
    return RedirectResponse(f"/corpus/{work.id}", status_code=303)


@router.get("/corpus/{ref}")
def work_page(ref: str, request: Request, studio: Studio = StudioDep):
    work = studio.work(ref)
    models = studio.models.trained_on(work.id)
    image = work.medium == "image"
    text = "" if image else studio.text(work)  # an image's stream is its PNG: the page shows the picture
    return render(request, "work.html", {
        "work": work, "history": studio.consent_history(work), "models": models, "edits": studio.edit_history(work),
        "excerpt": text[:3000], "truncated": len(text) > 3000, "consents": CONSENTS,
        "picture": picture_facts(work) if image else None, "near": studio.near_duplicates(work) if image else [],
        "near_bits": PHASH_NEAR_BITS,
    })  # fmt: skip
