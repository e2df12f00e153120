"""What every page of the web studio shares: the studio of the request, the translator, rendering,
form data, answers for scripts, errors, and the one rule for where a redirect may go.

The app (``app.py``) includes the pages and the pages import this module, never the app: the import
graph has no loop.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..version import __version__
from ..errors import OuvroirError
from ..workshop import Studio
from ..i18n.web import WebTranslator, negotiate
from .security import CSRF_FIELD, csrf_token, set_csrf_cookie

LANG_COOKIE = "lang"
NAV = (("corpus", "/corpus"), ("gallery", "/gallery"), ("train", "/train"), ("write", "/write"), ("audit", "/audit"),
       ("models", "/models"))


class Messages:
    """What the security layer needs to speak the visitor's language before any page runs."""

    @staticmethod
    def lang_of(request: Request) -> str:
        return negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))

    @staticmethod
    def text(lang: str, key: str, **values: str) -> str:
        return WebTranslator(lang)(key, **values)


async def form_data(request: Request) -> dict:
    """The fields of a form post, or of a JSON object (the pages' scripts and tests send JSON)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        return await request.json()
    return dict(await request.form())


def job_started(request: Request, job, page: str) -> Response:
    """A started job: its state as JSON for a script, else back to the page that follows it."""
    if wants_json(request):
        return JSONResponse({"job": job.as_dict()})
    return RedirectResponse(page, status_code=303)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "") or request.url.path.startswith("/api/")


def said(error: OuvroirError) -> OuvroirError:
    """An error whose message comes from the catalogue, in the page's language: the error page shows it as it is."""
    error.translated = True
    return error


def error_response(request: Request, message: str, status: int, detail: str | None = None) -> Response:
    """The error page; ``detail`` is the library's own line (English), shown under ``message`` on a French page."""
    if wants_json(request):
        return JSONResponse({"error": " ".join(m for m in (message, detail) if m)}, status_code=status)
    return render(request, "error.html", {"message": message, "detail": detail}, status=status)


def open_studio(request: Request) -> Iterator[Studio]:
    """A dependency: the studio, on a connection of this request's own."""
    studio = Studio.open(request.app.state.root)
    try:
        yield studio
    finally:
        studio.close()


def translator(request: Request) -> WebTranslator:
    return WebTranslator(Messages.lang_of(request))


def render(request: Request, template: str, context: dict, status: int = 200) -> HTMLResponse:
    """A page: the template with the translator, the language switch, the navigation and the CSRF token."""
    t = translator(request)
    csrf = csrf_token(request)
    section = request.url.path.strip("/").split("/", 1)[0]
    page = request.app.state.templates.get_template(template).render(
        {"request": request, "t": t, "lang": t.lang, "other_lang": "en" if t.lang == "fr" else "fr",
         "csrf": csrf, "csrf_field": CSRF_FIELD, "nav": NAV, "section": section, "here": request.url.path,
         "studio_path": str(request.app.state.root), "version": __version__} | context)  # fmt: skip
    response = HTMLResponse(page, status_code=status)
    set_csrf_cookie(response, csrf)
    return response


StudioDep = Depends(open_studio)
