"""The web studio's application: one FastAPI app over one studio folder.

The pages share their helpers through ``shared``; they never import this module.

Each request opens its own connection to the studio (SQLite in WAL mode, writers
serialized by ``BEGIN IMMEDIATE``), so the web studio, the command line and
background jobs can work on the same studio at once.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..version import __version__
from ..errors import ModelNotFound, OuvroirError, WorkNotFound, environment_failure
from ..workshop import Studio
from ..i18n.web import LANGUAGES, WebTranslator, error_key
from .jobs import JobRunner
from .security import Guard, SecurityError, check_csrf, local_target
from .shared import LANG_COOKIE, Messages, error_response, wants_json


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

    from .pages import audit, corpus, images, jobs_api, models, publish, train, write

    for page in (corpus, images, train, write, audit, models, jobs_api, publish):
        app.include_router(page.router, dependencies=[Depends(check_csrf)])

    @app.get("/")
    def home() -> RedirectResponse:
        return RedirectResponse("/corpus", status_code=303)

    @app.get("/lang/{lang}")
    def switch_language(lang: str, request: Request, next: str = "/") -> RedirectResponse:
        response = RedirectResponse(local_target(next, "/"), status_code=303)
        if lang in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, samesite="strict", max_age=365 * 86400)
        return response

    @app.exception_handler(SecurityError)
    def refused(request: Request, exc: SecurityError) -> Response:
        return error_response(request, WebTranslator(Messages.lang_of(request))(exc.key, **exc.values), exc.status)

    @app.exception_handler(OuvroirError)
    def user_error(request: Request, exc: OuvroirError) -> Response:
        status = 404 if isinstance(exc, WorkNotFound | ModelNotFound) else getattr(exc, "http_status", 400)
        t = WebTranslator(Messages.lang_of(request))
        if t.lang == "en" or getattr(exc, "translated", False) or wants_json(request):
            return error_response(request, str(exc), status)
        # The library speaks English: a French page says what went wrong in French, and keeps its line below.
        return error_response(request, t(error_key(exc)), status, detail=str(exc))

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


def wrap(app: FastAPI, token: str | None) -> Guard:
    """The ASGI application to serve: the app behind the host/token guard."""
    return Guard(app, token, Messages())

