"""What keeps the studio page the person's own: host and token checks, CSRF, headers, safe upload names.

* By default the studio listens on 127.0.0.1 and answers only requests whose
  ``Host`` is a loopback name (a web page elsewhere cannot rebind its own name
  to 127.0.0.1 and read the studio).
* Listening on another address needs an access token: every request carries it
  (``?token=`` once, then an HttpOnly cookie; or ``Authorization: Bearer``).
* Every state-changing request carries a CSRF token (double-submit: a random
  cookie, ``SameSite=Strict``, echoed in a form field or an ``X-CSRF-Token``
  header) and, when the browser sends one, an ``Origin`` of the studio itself.
* Pages get a Content-Security-Policy that allows only the studio's own scripts
  and styles, so text that contains HTML is shown, never run.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import unicodedata
from urllib.parse import urlsplit

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

CSRF_COOKIE = "ouvroir_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
TOKEN_COOKIE = "ouvroir_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Refused before a byte of the body is read when Content-Length says so, and counted as the bytes arrive
# otherwise (a chunked upload has no length): an upload this large would fill the disk with temporary files.
MAX_BODY_BYTES = 512 << 20

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'")
# An audit report is one self-contained file with inline styles and SVG; it runs no script.
REPORT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
                 "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")


class SecurityError(Exception):
    """A request refused for what it is, not for what it asks; ``key`` names the message shown."""

    def __init__(self, key: str, status: int = 403, **values: str) -> None:
        super().__init__(key)
        self.key, self.status, self.values = key, status, values


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost are this machine only; anything else can be reached from elsewhere.

    A page that rebinds its own domain name to 127.0.0.1 still sends that name as ``Host``, never a
    bare loopback address, so the host check refuses it.

    >>> [is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "[::1]", "localhost", "0.0.0.0", "evil.example")]
    [True, True, True, True, False, False]
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


def host_name(host_header: str) -> str:
    """``127.0.0.1:8765`` → ``127.0.0.1``; ``[::1]:80`` → ``[::1]``."""
    if host_header.startswith("["):
        return host_header.split("]", 1)[0] + "]"
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class Guard:
    """ASGI middleware: host check (no token) or token check (token), and security headers on every answer."""

    def __init__(self, app: ASGIApp, token: str | None, messages) -> None:
        self.app, self.token, self.messages = app, token, messages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            # Every answer gets them, refusals and redirects included, whatever produced it.
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                message = message | {"headers": headers + [(k, v) for k, v in _SECURITY_HEADERS if k not in names]}
            await send(message)

        request = Request(scope)
        refusal = self._refusal(request)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        if self.token and request.query_params.get("token"):
            # The address printed at start carries the token once; the cookie carries it from then on,
            # and the token leaves the address bar (and the history) at once.
            clean = URL(str(request.url)).remove_query_params("token")
            response = RedirectResponse(str(clean.replace(scheme="", netloc="")) or "/", status_code=303)
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, _counted(receive, MAX_BODY_BYTES), send_with_headers)

    def _refusal(self, request: Request) -> Response | None:
        lang = self.messages.lang_of(request)
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return PlainTextResponse(self.messages.text(lang, "too_large", mb=str(MAX_BODY_BYTES >> 20)),
                                     status_code=413)  # fmt: skip
        if self.token is None:
            host = host_name(request.headers.get("host", ""))
            if not is_loopback(host):
                return PlainTextResponse(self.messages.text(lang, "forbidden_host", host=host), status_code=403)
            return None
        offered = (request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE)
                   or _bearer(request.headers.get("authorization", "")))  # fmt: skip
        if not offered or not hmac.compare_digest(offered.encode(), self.token.encode()):
            return PlainTextResponse(self.messages.text(lang, "token_needed"), status_code=401)
        return None


def _counted(receive: Receive, limit: int) -> Receive:
    """``receive`` that counts the body's bytes as they arrive and stops the request once past ``limit``.

    Whether or not the request declared a Content-Length: the app's exception handler answers 413, and
    nothing past the chunk that crossed the limit is read (nor spooled to disk).
    """
    seen = 0

    async def counted() -> dict:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise SecurityError("too_large", status=413, mb=str(limit >> 20))
        return message

    return counted


def _bearer(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


_SECURITY_HEADERS = [
    (b"content-security-policy", PAGE_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def csrf_cookie(request: Request) -> str | None:
    value = request.cookies.get(CSRF_COOKIE)
    return value if value and len(value) >= 20 else None


def csrf_token(request: Request) -> str:
    """The page's CSRF token: the cookie's, or a new one (the page sets it, see ``set_csrf_cookie``)."""
    token = getattr(request.state, "csrf", None) or csrf_cookie(request) or secrets.token_urlsafe(24)
    request.state.csrf = token
    return token


def set_csrf_cookie(response: Response, token: str) -> None:
    # Readable by the page's own script (it echoes it in a header); SameSite keeps other sites' requests without it.
    response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="strict")


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request that did not come from a studio page (raises SecurityError)."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin and origin != "null":
        parts = urlsplit(origin)
        if parts.netloc != request.headers.get("host", ""):
            raise SecurityError("forbidden_origin", origin=origin)
    expected = csrf_cookie(request)
    offered = request.headers.get(CSRF_HEADER)
    if offered is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        offered = (await request.form()).get(CSRF_FIELD)
    if not expected or not isinstance(offered, str) or not hmac.compare_digest(offered.encode(), expected.encode()):
        raise SecurityError("forbidden_csrf")


def safe_upload_name(name: str | None) -> str | None:
    """The uploaded file's name if it is a plain name; None for a path, a traversal or a device name.

    >>> safe_upload_name("Poèmes saturniens.txt")
    'Poèmes saturniens.txt'
    >>> [safe_upload_name(n) for n in ("../../etc/passwd", "a/b.txt", "..", "C:\\\\x.txt", "", ".hidden")]
    [None, None, None, None, None, None]
    """
    if not name:
        return None
    name = unicodedata.normalize("NFC", name)
    if any(c in name for c in "/\\\x00:") or name in (".", "..") or name.startswith("."):
        return None
    if any(unicodedata.category(c) == "Cc" for c in name) or len(name.encode()) > 255:
        return None
    return name


def local_target(target: object, default: str) -> str:
    """``target`` if it is a path on this studio (``/corpus?page=2``), else ``default``: the one rule for every
    redirect a link or a form names, so no address leads a visitor off the studio.

    A browser reads a backslash as a slash and drops tabs and line breaks, so ``/\\evil.example`` and
    ``/<tab>/evil.example`` are other sites too.

    >>> [local_target(t, "/") for t in ("/corpus?page=2", "//evil.example", "/\\\\evil.example", "http://evil.example")]
    ['/corpus?page=2', '/', '/', '/']
    """
    if not isinstance(target, str) or not target.startswith("/") or "\\" in target:
        return default
    if any(c.isspace() or unicodedata.category(c).startswith("C") for c in target):
        return default
    parts = urlsplit(target)
    if target.startswith("//") or parts.scheme or parts.netloc:
        return default
    return target
