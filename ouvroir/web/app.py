"""The web studio's application: one FastAPI app over one studio folder.

Each request opens its own connection to the studio (SQLite in WAL mode, writers
serialized by ``BEGIN IMMEDIATE``), so the web studio, the command line and
background jobs can work on the same studio at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..version import __version__
from ..errors import ModelNotFound, OuvroirError, WorkNotFound, environment_failure
from ..workshop.studio import Studio
from ..i18n.web import LANGUAGES, WebTranslator, negotiate
from .jobs import JobRunner
from .security import CSRF_FIELD, Guard, SecurityError, check_csrf, csrf_token, set_csrf_cookie

LANG_COOKIE = "lang"
NAV = (("corpus", "/corpus"), ("train", "/train"), ("write", "/write"), ("audit", "/audit"), ("models", "/models"))


class Messages:
    """What the security layer needs to speak the visitor's language before any page runs."""

    @staticmethod
    def lang_of(request: Request) -> str:
        return negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))

    @staticmethod
    def text(lang: str, key: str, **values: str) -> str:
        return WebTranslator(lang)(key, **values)


def templates() -> Environment:
    env = Environment(loader=PackageLoader("ouvroir.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))  # fmt: skip
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
    return env


def create_app(root: Path, token: str | None = None) -> FastAPI:
    """The web studio for the studio at ``root``; with ``token``, every request must carry it."""
    root = Path(root)
    Studio.open(root).close()  # a missing studio or a newer schema is one clear error at start
    app = FastAPI(title="ouvroir studio", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.root = root
    app.state.templates = templates()
    app.state.jobs = JobRunner(root)
    app.mount("/static", StaticFiles(packages=[("ouvroir.web", "static")]), name="static")

    from .pages import audit, corpus, jobs_api, models, train, write

    for page in (corpus, train, write, audit, models, jobs_api):
        app.include_router(page.router, dependencies=[Depends(check_csrf)])

    @app.get("/")
    def home() -> RedirectResponse:
        return RedirectResponse("/corpus", status_code=303)

    @app.get("/lang/{lang}")
    def switch_language(lang: str, request: Request, next: str = "/") -> RedirectResponse:
        target = next if next.startswith("/") and not next.startswith("//") and not urlsplit(next).netloc else "/"
        response = RedirectResponse(target, status_code=303)
        if lang in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, samesite="strict", max_age=365 * 86400)
        return response

    @app.exception_handler(SecurityError)
    def refused(request: Request, exc: SecurityError) -> Response:
        return error_response(request, WebTranslator(Messages.lang_of(request))(exc.key, **exc.values), exc.status)

    @app.exception_handler(OuvroirError)
    def user_error(request: Request, exc: OuvroirError) -> Response:
        status = 404 if isinstance(exc, WorkNotFound | ModelNotFound) else getattr(exc, "http_status", 400)
        return error_response(request, str(exc), status)

    @app.exception_handler(OSError)
    @app.exception_handler(MemoryError)
    @app.exception_handler(sqlite3.OperationalError)
    def machine_error(request: Request, exc: Exception) -> Response:
        # A full disk or no memory left is the machine's state, not a bug: one line, not "Internal Server Error".
        failure = environment_failure(exc)
        if failure is None:
            raise exc  # another SQLite error is a bug: the server error page and the log's traceback
        return error_response(request, str(failure), failure.http_status)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        t = WebTranslator(Messages.lang_of(request))
        message = t("not_found") if exc.status_code == 404 else str(exc.detail)
        return error_response(request, message, exc.status_code)

    return app


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


def error_response(request: Request, message: str, status: int) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    return render(request, "error.html", {"message": message}, status=status)


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


def wrap(app: FastAPI, token: str | None) -> Guard:
    """The ASGI application to serve: the app behind the host/token guard."""
    return Guard(app, token, Messages())


StudioDep = Depends(open_studio)
