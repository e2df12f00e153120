"""The gallery: the studio's image works as thumbnails, with their consent, changed here as on the corpus page;
and the pictures themselves, served small from the studio's blobs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from ...errors import AuditError
from ...fileio import atomic_write
from ...workshop import CONSENTS, IMAGE_SUFFIXES, Studio, image_png, image_thumbnail
from ..security import safe_upload_name
from ..shared import StudioDep, job_started, render, said, translator

router = APIRouter()
GALLERY_PAGE = 60  # thumbnails per page: a few hundred kB of small PNGs at most
GALLERY_THUMB = 160
# A work's picture never changes under its id (a new picture is a new work), but a removed id may come back
# after a studio is rebuilt: cached an hour, revalidated by the picture's hash.
PICTURE_CACHE = "private, max-age=3600"


@router.get("/gallery")
def gallery(request: Request, consent: str = "", page: str = "1", studio: Studio = StudioDep):
    filters = {"consent": consent or None, "medium": "image"}
    matched = sum(studio.consent_counts(**filters).values())
    total = sum(studio.consent_counts(medium="image").values()) if consent else matched
    pages = max(1, -(-matched // GALLERY_PAGE))
    number = min(max(1, int(page) if page.isdigit() else 1), pages)
    works = studio.works(**filters, limit=GALLERY_PAGE, offset=(number - 1) * GALLERY_PAGE)

    def link(n: int) -> str:
        return "/gallery?" + urlencode(({"consent": consent} if consent else {}) | ({"page": n} if n > 1 else {}))

    return render(request, "gallery.html", {
        "works": works, "matched": matched, "total": total, "consent": consent, "consents": CONSENTS,
        "page": number, "pages": pages, "this_url": link(number), "thumb": GALLERY_THUMB,
        "prev_url": link(number - 1) if number > 1 else None, "next_url": link(number + 1) if number < pages else None,
    })  # fmt: skip


@router.get("/corpus/{ref}/picture.png")
def picture(ref: str, request: Request, size: int = 0, studio: Studio = StudioDep) -> Response:
    """The work's picture: normalized, whole (``size`` 0) or as a thumbnail of one of the sizes pages use."""
    work = studio.work(ref)
    etag = f'"{work.text_sha256[:32]}-{size}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"etag": etag, "cache-control": PICTURE_CACHE})
    data = image_png(studio, work) if size == 0 else image_thumbnail(studio, work, size)
    return Response(data, media_type="image/png", headers={"etag": etag, "cache-control": PICTURE_CACHE})



# -- an image model's page: its samples as a gallery, the contact sheet of each batch, its image audits
SAMPLES_SHOWN = 48
MAX_IMAGES = 64  # one Generate click: a sheet of 8 × 8
MAX_SAMPLER_STEPS = 200


def image_model_view(studio: Studio, record) -> dict:
    """What the model page shows of an image model: its latest samples, its batches' sheets, its audits, its fit."""
    samples = [s for s in studio.models.samples(record) if s.path.endswith(".png") and ".sheet." not in s.path]
    shown = list(reversed(samples[-SAMPLES_SHOWN:]))
    sheets = [s for s in shown
              if s.params.get("index") == 0 and (studio.root / s.path).with_suffix(".sheet.png").is_file()]
    audits = [a for a in studio.audits.all() if a.get("model_id") == record.id]
    fit = record.config.get("fit", {})
    return {"samples": [{"id": s.id, "file": Path(s.path).name, "seed": s.seed, "created_at": s.created_at,
                         "steps": s.params.get("steps"), "index": s.params.get("index")} for s in shown],
            "sheets": [{"id": s.id, "file": Path(s.path).with_suffix(".sheet.png").name, "seed": s.seed,
                        "n": s.params.get("n"), "created_at": s.created_at} for s in sheets],
            "audits": audits, "resolution": record.config.get("resolution"), "val_loss": fit.get("val_loss"),
            "train_images": fit.get("train_images"), "val_images": fit.get("val_images"), "total": len(samples),
            "max_images": MAX_IMAGES, "max_steps": MAX_SAMPLER_STEPS}  # fmt: skip


def image_generation_settings(form: dict) -> dict:
    """How many images, the seed (blank: a new one, recorded) and the sampler's steps (blank: its default)."""
    count = max(1, min(MAX_IMAGES, int(form.get("n") or 8)))
    seed = int(form["seed"]) if str(form.get("seed") or "").strip() else None
    steps = max(1, min(MAX_SAMPLER_STEPS, int(form["steps"]))) if str(form.get("steps") or "").strip() else None
    return {"n": count, "seed": seed, "steps": steps}


# -- auditing any pictures (a generator's outputs) against the studio's images, from the Audit page
MAX_AUDIT_FILES = 200
MAX_AUDIT_BYTES = 20 << 20  # per picture


def image_accept() -> str:
    return ",".join(sorted(IMAGE_SUFFIXES))


@router.post("/audit/images")
async def audit_images(request: Request, studio: Studio = StudioDep) -> Response:
    """Keep the uploaded pictures for the job (the report names each by its file name) and start the audit."""
    t = translator(request)
    form = await request.form(max_files=MAX_AUDIT_FILES + 1)
    files = [f for f in form.getlist("images") if isinstance(f, UploadFile) and f.filename]
    if not files:
        raise said(AuditError(t("audit_images_none")))
    if len(files) > MAX_AUDIT_FILES:
        raise said(AuditError(t("refused_count", n=MAX_AUDIT_FILES)))
    folder = studio.layout.job_input("images").parent
    paths = []
    for upload_file in files:
        name = safe_upload_name(upload_file.filename)
        if name is None or Path(name).suffix.lower() not in IMAGE_SUFFIXES:
            raise said(AuditError(t("audit_images_refused", name=upload_file.filename, formats=image_accept())))
        data = await upload_file.read(MAX_AUDIT_BYTES + 1)
        if len(data) > MAX_AUDIT_BYTES:
            raise said(AuditError(t("refused_size", mb=MAX_AUDIT_BYTES >> 20)))
        path = folder / name
        while path.exists():  # two files of one name from two folders: both kept, the second renamed
            path = path.with_name(f"{path.stem}-{len(paths)}{path.suffix}")
        atomic_write(path, data)
        paths.append(str(path))
    job = request.app.state.jobs.start("audit-images", {"paths": paths, "lang": t.lang})
    return job_started(request, job, "/audit")
