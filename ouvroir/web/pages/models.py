"""The models page: every model with its figures, its card, withdrawn-consent warnings, retraining and export."""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from markdown_it import MarkdownIt

from ...errors import ModelNotFound
from ...store import models as model_store
from ...studio import Studio
from ..app import StudioDep, render, translator, wants_json
from ..i18n import register

router = APIRouter()

register({
    "models_title": ("Modèles", "Models"),
    "models_lede": ("Chaque modèle garde son instantané du corpus : s’il a appris d’une œuvre dont le consentement "
                    "a été retiré depuis, il est signalé, et on peut le réentraîner sans elle.",
                    "Every model keeps its snapshot of the corpus: if it learned from a work whose consent was "
                    "withdrawn since, it is flagged, and it can be retrained without it."),
    "models_none": ("Aucun modèle : entraînez-en un.", "No model yet: train one."),
    "size_col": ("Taille", "Size"),
    "params": ("Paramètres", "Parameters"),
    "val_col": ("Validation (bits/octet)", "Validation (bits/byte)"),
    "train_time": ("Entraînement", "Training"),
    "snapshot": ("Instantané", "Snapshot"),
    "withdrawn": ("consentement retiré", "consent withdrawn"),
    "withdrawn_warning": ("Ce modèle a appris d’œuvres dont le consentement a été retiré : {works}. Réentraînez-le "
                          "sans elles ; la génération est refusée en attendant.",
                          "This model learned from works whose consent was withdrawn: {works}. Retrain it without "
                          "them; generation is refused meanwhile."),
    "retrain": ("Réentraîner sans elles", "Retrain without them"),
    "export_hf": ("Exporter (dossier Hugging Face, zip)", "Export (Hugging Face folder, zip)"),
    "card": ("Fiche du modèle", "Model card"),
    "datasheet": ("Fiche du corpus", "Corpus datasheet"),
    "download_card": ("Télécharger la fiche (Markdown)", "Download the card (Markdown)"),
    "loss_curve": ("Courbe d’apprentissage", "Learning curve"),
    "minutes_short": ("{n} min", "{n} min"),
    "model_not_ready": ("Ce modèle n’est pas prêt ({status}) : sa fiche viendra à la fin de l’entraînement.",
                        "This model is not ready ({status}): its card comes when training ends."),
})  # fmt: skip

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")  # raw HTML in a title shows as text


@router.get("/models")
def models_page(request: Request, studio: Studio = StudioDep):
    models = list(reversed(model_store.list_models(studio.conn)))
    withdrawn = {m.id: model_store.withdrawals(studio.conn, m.id) for m in models}
    return render(request, "models.html", {"models": models, "withdrawn": withdrawn})


@router.get("/models/{ref}")
def model_page(ref: str, request: Request, studio: Studio = StudioDep):
    from ...provenance.card import build_card, render_datasheet, render_markdown

    t = translator(request)
    record = model_store.resolve_model(studio.conn, ref, ready_only=False)
    withdrawn = model_store.withdrawals(studio.conn, record.id)
    card_html = datasheet_html = None
    if record.status == "ready":
        card = build_card(studio, record.id, t.lang)
        # The Markdown names its neighbours in the model's folder; on the page they live at other addresses.
        markdown = render_markdown(card, t.lang).replace(f"](datasheet.{t.lang}.md)", "](#datasheet)")
        if card["model"].get("loss_curve"):
            markdown = markdown.replace(f"]({card['model']['loss_curve']})", f"](/models/{record.id}/loss.png)")
        card_html = _markdown.render(markdown)
        datasheet_html = _markdown.render(render_datasheet(card, t.lang))
    has_plot = (studio.root / "models" / record.id / "loss.png").is_file()
    return render(request, "model.html", {"model": record, "withdrawn": withdrawn, "card_html": card_html,
                                          "datasheet_html": datasheet_html, "has_plot": has_plot})  # fmt: skip


@router.get("/models/{ref}/loss.png")
def loss_plot(ref: str, studio: Studio = StudioDep) -> Response:
    record = model_store.resolve_model(studio.conn, ref, ready_only=False)
    path = studio.root / "models" / record.id / "loss.png"
    if not path.is_file():
        raise ModelNotFound(f"model {record.id} has no learning curve yet")
    return FileResponse(path, media_type="image/png")


@router.get("/models/{ref}/card.md")
def card_markdown(ref: str, request: Request, studio: Studio = StudioDep) -> Response:
    from ...provenance.card import write_card

    files = write_card(studio, ref, translator(request).lang)
    return FileResponse(files.card_md, media_type="text/markdown; charset=utf-8", filename=files.card_md.name)


@router.post("/models/{ref}/retrain")
def retrain(ref: str, request: Request, studio: Studio = StudioDep) -> Response:
    record = model_store.resolve_model(studio.conn, ref, ready_only=False)
    job = request.app.state.jobs.start("train", {"retrain": record.id})
    if wants_json(request):
        return JSONResponse({"job": job.as_dict()})
    return RedirectResponse("/train", status_code=303)


@router.post("/models/{ref}/export")
def export(ref: str, studio: Studio = StudioDep) -> Response:
    """The model as a Hugging Face folder with its signed provenance.json, zipped for download."""
    from ...samples import export_model

    record = model_store.resolve_model(studio.conn, ref)
    scratch = Path(tempfile.mkdtemp(prefix="ouvroir-export-"))
    try:
        folder = export_model(studio, record.id, scratch / f"ouvroir-{record.id}")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(scratch).as_posix())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    name = f"ouvroir-{record.id}-hf.zip"
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"content-disposition": f'attachment; filename="{name}"'})  # fmt: skip
