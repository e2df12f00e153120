"""The web studio's safety, as a visitor sees it: status codes and messages, and nothing stored when refused.

Requirement: "Uploads over a size limit, unsupported files and path-traversal file names are refused with a
message; text that contains HTML or ``<script>`` (in a work, a title, a sample) is shown as text, never run;
with a token on, a request without it is refused; state-changing requests are protected against cross-site
requests."

Every client here asks for English (``Accept-Language: en``) so the messages can be read in the assertions.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import unicodedata
from pathlib import Path

import httpx
import pytest
from markupsafe import escape
from starlette.testclient import TestClient

import ouvroir.web.pages.corpus as corpus_page
import ouvroir.web.security as security
from ouvroir.web.security import is_loopback
from ouvroir.corpus.ingest import AddOptions
from ouvroir.workshop.studio import Studio
from ouvroir.web.app import create_app, wrap
from ouvroir.web.security import CSRF_COOKIE, TOKEN_COOKIE, safe_upload_name
from tests.conftest import WebStudio

JSON = {"Accept": "application/json"}
NAME_REFUSED = "file name refused (a path or a hidden name): only a plain name is accepted"
CSRF_REFUSED = "Request refused: it did not come from this studio's page (missing or wrong CSRF token)."
CSRF_REFUSED_HTML = str(escape(CSRF_REFUSED))  # as the error page shows it (the apostrophe escaped)
TOKEN_NEEDED = "This studio needs an access token"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
TOKEN = "s3cret-token-for-tests-0123456789"


# -- helpers -------------------------------------------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A fresh studio in its own folder; the folder around it is watched for files that escape it."""
    path = tmp_path / "outside" / "studio"
    Studio.init(path, owner="Ada Martin").close()
    return path


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files (the upload's own scratch folder, spooled parts) go here, so a test can see what is left."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def client_for(root: Path, token: str | None = None, base_url: str = "http://127.0.0.1") -> TestClient:
    app = create_app(root, token=token)
    return TestClient(wrap(app, token), base_url=base_url, headers={"Accept-Language": "en"})


@pytest.fixture
def client(root: Path) -> TestClient:
    with client_for(root) as c:
        yield c


def csrf_of(client: TestClient) -> str:
    """What a studio page gives the browser: the double-submit cookie (any page GET sets it)."""
    response = client.get("/corpus")
    assert response.status_code == 200
    return client.cookies[CSRF_COOKIE]


def add_work(root: Path, name: str, text: str, **options) -> str:
    path = root.parent / "sources" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    with Studio.open(root) as studio:
        report = studio.add([path], AddOptions(**options))
    (outcome,) = report.outcomes
    assert outcome.status == "added", outcome.message
    return outcome.work.id


def works_of(root: Path) -> list:
    with Studio.open(root) as studio:
        return studio.works()


def history_of(root: Path, work_id: str) -> list:
    with Studio.open(root) as studio:
        return studio.consent_history(work_id)


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def upload(client: TestClient, files: list[tuple[str, bytes]], accept_json: bool = True, **data: str):
    parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
    headers = JSON if accept_json else {}
    return client.post("/corpus/upload", files=parts, data={"csrf": client.cookies[CSRF_COOKIE], **data},
                       headers=headers)  # fmt: skip


def outcome_named(answer: dict, name: str) -> dict:
    found = [o for o in answer["outcomes"] if o["name"] == name]
    assert len(found) == 1, f"expected one outcome for {name!r} in {answer}"
    return found[0]


def script_src(response) -> list[str]:
    policy = response.headers.get("content-security-policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip().split()[1:] for d in policy.split(";") if d.strip()}
    return directives.get("script-src", directives.get("default-src"))


GOOD = ("good poem.txt", b"The sea at night, and the lamps along the quay.\nA second line for the good file.\n")


# -- uploads: size, format, names ---------------------------------------------------------------------


def test_upload_over_the_size_limit_is_refused_with_a_message_and_the_rest_is_added(
    root: Path, client: TestClient, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(corpus_page, "MAX_UPLOAD_BYTES", 1 << 20)
    csrf_of(client)
    big = b"word " * ((1 << 20) // 5 + 1)  # one byte over 1 MB is enough
    response = upload(client, [("big.txt", big), GOOD])

    assert response.status_code == 200
    answer = response.json()
    refused = outcome_named(answer, "big.txt")
    assert refused["status"] == "failed"
    assert refused["message"] == "too large: at most 1 MB per file"
    assert refused["work_id"] is None
    assert outcome_named(answer, GOOD[0])["status"] == "added"
    assert answer["counts"] == {"added": 1, "duplicate": 0, "failed": 1}
    assert answer["summary"] == "1 added, 0 already present, 1 refused."
    assert [w.original_name for w in works_of(root)] == [GOOD[0]]
    assert files_under(scratch) == set(), "the upload left files behind in the temporary folder"


def test_a_chunked_upload_is_counted_as_it_arrives_and_refused_past_the_limit(
    root: Path, client: TestClient, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Content-Length (chunked transfer): the body is counted chunk by chunk, and the request is refused
    with 413 once past the limit, without reading (or spooling to disk) the rest of it."""
    monkeypatch.setattr(security, "MAX_BODY_BYTES", 2 << 20)
    csrf = csrf_of(client)
    boundary = "ouvroirboundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n").encode()
    chunk, chunks = b"word " * (1 << 18), 40  # 1.25 MB each: 50 MB in all, if it were all read
    pulled = []

    async def receive() -> dict:
        if len(pulled) > chunks:
            return {"type": "http.disconnect"}
        pulled.append(1)
        body = head if len(pulled) == 1 else chunk
        return {"type": "http.request", "body": body, "more_body": len(pulled) <= chunks}

    answer: dict = {"status": None, "body": b""}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/corpus/upload", "raw_path": b"/corpus/upload", "query_string": b"", "root_path": "",
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
             "headers": [(b"host", b"127.0.0.1"), (b"transfer-encoding", b"chunked"), (b"accept", b"application/json"), (b"accept-language", b"en"),
                         (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
                         (b"x-csrf-token", csrf.encode()), (b"cookie", f"{CSRF_COOKIE}={csrf}".encode())]}  # fmt: skip
    asyncio.run(client.app(scope, receive, send))
    assert answer["status"] == 413
    assert json.loads(answer["body"]) == {"error": "Request refused: more than 2 MB at once. Send the files in several batches."}
    assert len(pulled) <= 3, f"{len(pulled)} chunks read for a limit of 2 MB"
    assert works_of(root) == []
    assert files_under(scratch) == set(), "the refused upload left files behind in the temporary folder"


def test_upload_refusals_are_shown_on_the_page_without_javascript(
    root: Path, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(corpus_page, "MAX_UPLOAD_BYTES", 1 << 20)
    csrf_of(client)
    response = upload(client, [("big.txt", b"x" * ((1 << 20) + 1)), ("tool.exe", b"MZ\x90\x00"), GOOD],
                      accept_json=False)  # fmt: skip

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "1 added, 0 already present, 2 refused." in page
    assert "too large: at most 1 MB per file" in page
    assert "unsupported format (.exe)" in page
    assert [w.original_name for w in works_of(root)] == [GOOD[0]]


@pytest.mark.parametrize("name", ["tool.exe", "archive.zip", "clip.GIF", "README"])  # .jpg is read now: images
def test_upload_of_an_unsupported_format_is_refused_with_a_message(
    root: Path, client: TestClient, scratch: Path, name: str
) -> None:
    csrf_of(client)
    response = upload(client, [(name, b"MZ\x90\x00 not a text"), GOOD])

    assert response.status_code == 200
    answer = response.json()
    refused = outcome_named(answer, name)
    assert refused["status"] == "failed"
    suffix = Path(name).suffix.lower() or "—"
    assert refused["message"].startswith(f"unsupported format ({suffix}): ")
    assert ".txt" in refused["message"] and ".docx" in refused["message"], "the message lists the formats read"
    assert outcome_named(answer, GOOD[0])["status"] == "added"
    assert answer["counts"] == {"added": 1, "duplicate": 0, "failed": 1}
    assert [w.original_name for w in works_of(root)] == [GOOD[0]]
    assert files_under(scratch) == set()


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.txt", "..\\x.txt", "/abs/path.txt", ".hidden.txt", "sub/dir/poem.txt", "..", "c:poem.txt"],
)
def test_upload_with_a_path_in_its_name_is_refused_and_nothing_is_written_outside_the_studio(
    root: Path, client: TestClient, scratch: Path, name: str
) -> None:
    outside = root.parent
    before = files_under(outside) - files_under(root)
    csrf_of(client)
    evil = b"Escaped text that must never be stored anywhere.\n"
    response = upload(client, [(name, evil), GOOD])

    assert response.status_code == 200
    answer = response.json()
    refused = outcome_named(answer, name)
    assert refused["status"] == "failed"
    assert refused["message"] == NAME_REFUSED
    assert refused["work_id"] is None
    assert outcome_named(answer, GOOD[0])["status"] == "added", "a refused file must not stop the batch"
    assert answer["counts"] == {"added": 1, "duplicate": 0, "failed": 1}

    works = works_of(root)
    assert [w.original_name for w in works] == [GOOD[0]]
    # Nothing landed next to the studio, in the scratch folder, or anywhere the name points at.
    assert files_under(outside) - files_under(root) == before
    assert files_under(scratch) == set()
    for path in (Path("/etc/passwd.txt"), Path("/abs/path.txt"), scratch.parent / "etc" / "passwd.txt"):
        assert not path.exists() or path.read_bytes() != evil
    stored = [p for p in files_under(root) if p.read_bytes() == evil]
    assert stored == [], "the refused file's bytes were stored in the studio"


def test_upload_of_too_many_files_at_once_refuses_the_extra_ones(
    root: Path, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(corpus_page, "MAX_FILES", 2)
    csrf_of(client)
    files = [(f"poem {n}.txt", f"Poem number {n}, its own words, line after line.\n".encode()) for n in range(3)]
    answer = upload(client, files).json()

    assert outcome_named(answer, "poem 2.txt")["message"] == "too many files at once: at most 2"
    assert answer["counts"] == {"added": 2, "duplicate": 0, "failed": 1}
    assert sorted(w.original_name for w in works_of(root)) == ["poem 0.txt", "poem 1.txt"]


# -- HTML and <script> in what the studio shows ----------------------------------------------------------------


@pytest.fixture
def hostile_work(root: Path) -> str:
    """A work whose title, author, text and consent reason all carry markup."""
    text = f"{SCRIPT}\nFirst line of the poem {IMG} and more.\n<b>bold?</b> &amp; ampersand\n"
    return add_work(root, "hostile.txt", text, title=f"Title {SCRIPT} {IMG}", author=f"Author {IMG}",
                    consent="train", reason=f"reason {SCRIPT}")  # fmt: skip


def assert_shown_as_text(html: str) -> None:
    assert SCRIPT_ESCAPED in html
    assert IMG_ESCAPED in html
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "onerror=alert(1)>" not in html.replace(IMG_ESCAPED, "")


def assert_no_inline_script(html: str) -> None:
    """Every <script> is either the studio's own file or inert JSON data: the CSP would block anything else."""
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag


def test_markup_in_a_work_is_shown_as_text_on_the_corpus_page(client: TestClient, hostile_work: str) -> None:
    response = client.get("/corpus")
    assert response.status_code == 200
    assert_shown_as_text(response.text)
    assert f"Title {SCRIPT_ESCAPED} {IMG_ESCAPED}" in response.text
    assert f"Author {IMG_ESCAPED}" in response.text
    assert_no_inline_script(response.text)


def test_markup_in_a_work_is_shown_as_text_on_the_work_page(client: TestClient, hostile_work: str) -> None:
    response = client.get(f"/corpus/{hostile_work}")
    assert response.status_code == 200
    html = response.text
    assert_shown_as_text(html)
    assert f"<h1>Title {SCRIPT_ESCAPED} {IMG_ESCAPED}</h1>" in html
    assert f"<title>Title {SCRIPT_ESCAPED} {IMG_ESCAPED} · ouvroir</title>" in html
    assert "&lt;b&gt;bold?&lt;/b&gt; &amp;amp; ampersand" in html, "the text excerpt is escaped"
    assert f"reason {SCRIPT_ESCAPED}" in html, "the consent reason in the history is escaped"
    assert_no_inline_script(html)


def test_markup_in_a_consent_reason_set_on_the_web_is_shown_as_text(
    root: Path, client: TestClient, hostile_work: str
) -> None:
    csrf = csrf_of(client)
    response = client.post("/corpus/consent", data={"work": hostile_work, "consent": "no-train",
                                                    "reason": f"withdrawn {IMG}", "csrf": csrf},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    assert history_of(root, hostile_work)[-1].reason == f"withdrawn {IMG}", "stored as typed"
    html = client.get(f"/corpus/{hostile_work}").text
    assert f"withdrawn {IMG_ESCAPED}" in html
    assert "<img src=x" not in html
    corpus = client.get("/corpus").text
    assert f'title="withdrawn {IMG_ESCAPED}"' in corpus, "the reason in the badge's tooltip is escaped"


def test_markup_in_the_address_is_shown_as_text(client: TestClient, hostile_work: str) -> None:
    search = client.get("/corpus", params={"q": '"><script>alert(1)</script>'})
    assert search.status_code == 200
    assert "<script>alert" not in search.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in search.text

    missing = client.get("/corpus/" + IMG)
    assert missing.status_code == 404
    assert "<img src=x" not in missing.text
    assert IMG_ESCAPED in missing.text, "the error message names the reference, escaped"


def test_an_uploaded_file_name_with_markup_is_shown_as_text(root: Path, client: TestClient) -> None:
    csrf_of(client)
    refused_name, added_name = f"{IMG}.exe", f"{IMG}.txt"
    response = upload(client, [(refused_name, b"MZ"), (added_name, b"A poem whose file name is hostile.\n")],
                      accept_json=False)  # fmt: skip
    assert response.status_code == 200
    html = response.text
    assert f"<b>{IMG_ESCAPED}.exe</b>" in html
    assert f"<b>{IMG_ESCAPED}.txt</b>" in html
    assert "<img src=x" not in html
    assert [w.original_name for w in works_of(root)] == [added_name]
    assert "<img src=x" not in client.get("/corpus").text


@pytest.mark.parametrize("path", ["/corpus", "/corpus/{work}", "/train", "/audit", "/models", "/no-such-page",
                                  "/corpus/nosuchwork", "/static/app.js"])  # fmt: skip
def test_every_page_carries_a_policy_that_runs_only_the_studios_own_scripts(
    client: TestClient, hostile_work: str, path: str
) -> None:
    response = client.get(path.format(work=hostile_work))
    assert response.status_code in (200, 404)
    sources = script_src(response)
    assert sources == ["'self'"], response.headers.get("content-security-policy")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "object-src 'none'" in policy and "base-uri 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    if response.headers["content-type"].startswith("text/html"):
        assert_no_inline_script(response.text)


# -- the access token ----------------------------------------------------------------------------------


@pytest.fixture
def token_client(root: Path) -> TestClient:
    with client_for(root, token=TOKEN) as c:
        yield c


@pytest.mark.parametrize("path", ["/corpus", "/", "/train", "/static/app.js", "/static/style.css", "/jobs/j123"])
def test_with_a_token_a_request_without_it_is_refused(token_client: TestClient, path: str) -> None:
    response = token_client.get(path, follow_redirects=False)
    assert response.status_code == 401
    assert TOKEN_NEEDED in response.text
    assert "?token=" in response.text, "the message says where the token is"
    assert "<html" not in response.text and "corpus" not in response.text.lower(), "no page content leaks"


@pytest.mark.parametrize(
    "how",
    [{"params": {"token": "wrong"}}, {"headers": {"Authorization": "Bearer wrong"}},
     {"headers": {"Authorization": f"Basic {TOKEN}"}}, {"cookies": {TOKEN_COOKIE: "wrong"}},
     {"params": {"token": TOKEN[:-1]}}, {"headers": {"Authorization": f"Bearer {TOKEN}x"}}],
    ids=["query", "bearer", "basic-scheme", "cookie", "prefix", "longer"],
)  # fmt: skip
def test_with_a_token_a_wrong_token_is_refused(token_client: TestClient, how: dict) -> None:
    cookies = how.get("cookies")
    if cookies:
        token_client.cookies.update(cookies)
    response = token_client.get("/corpus", params=how.get("params"), headers=how.get("headers"),
                                follow_redirects=False)  # fmt: skip
    assert response.status_code == 401
    assert TOKEN_NEEDED in response.text
    assert TOKEN_COOKIE not in response.headers.get("set-cookie", "")


def test_the_token_in_the_address_becomes_a_cookie_and_leaves_the_address(token_client: TestClient) -> None:
    response = token_client.get("/corpus", params={"token": TOKEN, "q": "mer"}, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == "/corpus?q=mer"
    assert TOKEN not in location
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{TOKEN_COOKIE}={TOKEN};")
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    assert response.headers["referrer-policy"] == "no-referrer", "the token never leaks in a Referer"

    page = token_client.get(location)  # the client now sends the cookie, as a browser would
    assert page.status_code == 200
    assert "<h1>Your corpus</h1>" in page.text
    assert token_client.get("/static/app.js").status_code == 200


def test_the_token_as_a_cookie_or_a_bearer_header_is_accepted(root: Path, token_client: TestClient) -> None:
    token_client.cookies.set(TOKEN_COOKIE, TOKEN)
    assert token_client.get("/corpus").status_code == 200
    token_client.cookies.clear()
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert token_client.get("/corpus", headers=bearer).status_code == 200
    assert token_client.get("/static/app.js", headers=bearer).status_code == 200
    assert token_client.get("/static/app.js").status_code == 401


def test_with_a_token_a_state_change_without_it_is_refused_and_nothing_changes(
    root: Path, token_client: TestClient
) -> None:
    work = add_work(root, "mer.txt", "La mer, la mer, toujours recommencée.\n", consent="train", reason="mine")
    csrf = csrf_of(TestClient(token_client.app, base_url="http://127.0.0.1",  # a page fetched with the token
                              headers={"Authorization": f"Bearer {TOKEN}"}))  # fmt: skip
    token_client.cookies.set(CSRF_COOKIE, csrf)
    response = token_client.post("/corpus/consent", data={"work": work, "consent": "no-train", "reason": "x",
                                                         "csrf": csrf}, follow_redirects=False)  # fmt: skip
    assert response.status_code == 401
    assert [e.consent for e in history_of(root, work)] == ["train"]
    response = token_client.post("/corpus/upload", files=[("files", GOOD)], data={"csrf": csrf}, headers=JSON)
    assert response.status_code == 401
    assert len(works_of(root)) == 1


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", "192.168.1.20:8765"])
def test_without_a_token_a_request_for_another_host_is_refused(root: Path, host: str) -> None:
    """DNS rebinding: a page at evil.example whose name now points at 127.0.0.1 still says Host: evil.example."""
    with client_for(root) as c:
        response = c.get("/corpus", headers={"Host": host})
    assert response.status_code == 403
    name = host.rsplit(":", 1)[0]
    assert response.text == f"Request refused: {name} is not this studio's address."


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765",
                                      "http://127.0.0.1", "http://localhost"])  # fmt: skip
def test_without_a_token_the_loopback_names_are_answered(root: Path, base_url: str) -> None:
    with client_for(root, base_url=base_url) as c:
        assert c.get("/corpus").status_code == 200


def test_every_address_the_cli_serves_without_a_token_is_answered(root: Path) -> None:
    """`ouvroir studio --host 127.0.0.2` is loopback for the command line, so it prints no token; the browser
    then sends ``Host: 127.0.0.2:PORT``, and the studio must answer it rather than refuse every request."""
    assert is_loopback("127.0.0.2")
    with client_for(root, base_url="http://127.0.0.2:8765") as c:
        response = c.get("/corpus")
    assert response.status_code == 200, response.text


# -- cross-site requests ------------------------------------------------------------------------------------


@pytest.fixture
def work(root: Path) -> str:
    return add_work(root, "mer.txt", "La mer, la mer, toujours recommencée.\n", consent="train", reason="mine")


def consent_form(work: str, **extra: str) -> dict:
    return {"work": work, "consent": "no-train", "reason": "changed my mind"} | extra


def assert_consent_unchanged(root: Path, work: str) -> None:
    history = history_of(root, work)
    assert [(e.consent, e.reason) for e in history] == [("train", "mine")]


def test_a_state_change_without_the_csrf_token_is_refused(root: Path, client: TestClient, work: str) -> None:
    csrf_of(client)  # the cookie is there, as it is for a cross-site form post in a browser without SameSite
    response = client.post("/corpus/consent", data=consent_form(work), follow_redirects=False)
    assert response.status_code == 403
    assert CSRF_REFUSED_HTML in response.text
    assert response.headers["content-type"].startswith("text/html")
    assert_consent_unchanged(root, work)


@pytest.mark.parametrize("offered", ["wrong", "x" * 32, ""])
def test_a_state_change_with_a_wrong_csrf_token_is_refused(
    root: Path, client: TestClient, work: str, offered: str
) -> None:
    csrf_of(client)
    response = client.post("/corpus/consent", data=consent_form(work, csrf=offered), follow_redirects=False)
    assert response.status_code == 403
    assert CSRF_REFUSED_HTML in response.text
    assert_consent_unchanged(root, work)


def test_a_state_change_without_the_csrf_cookie_is_refused(root: Path, client: TestClient, work: str) -> None:
    """A page elsewhere can put any value in a form, but cannot set the studio's cookie to match it."""
    forged = "f" * 32
    response = client.post("/corpus/consent", data=consent_form(work, csrf=forged), follow_redirects=False)
    assert response.status_code == 403
    assert CSRF_REFUSED_HTML in response.text
    assert_consent_unchanged(root, work)


def test_a_state_change_from_another_origin_is_refused_even_with_the_right_token(
    root: Path, client: TestClient, work: str
) -> None:
    csrf = csrf_of(client)
    for origin in ("http://evil.example", "http://127.0.0.1:9999", "http://localhost"):
        response = client.post("/corpus/consent", data=consent_form(work, csrf=csrf), headers={"Origin": origin},
                               follow_redirects=False)  # fmt: skip
        assert response.status_code == 403, origin
        assert f"Request refused: it comes from another site ({origin})." in response.text
    assert_consent_unchanged(root, work)


def test_a_cross_site_text_plain_form_is_refused(root: Path, client: TestClient, work: str) -> None:
    """``enctype="text/plain"`` is the one form a page elsewhere can send without asking first."""
    csrf = csrf_of(client)
    body = f"work={work}\r\nconsent=no-train\r\nreason=x\r\ncsrf={csrf}\r\n"
    response = client.post("/corpus/consent", content=body, headers={"Content-Type": "text/plain"},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 403
    assert_consent_unchanged(root, work)


def test_a_state_change_with_the_right_token_is_recorded(root: Path, client: TestClient, work: str) -> None:
    csrf = csrf_of(client)
    cookie = [c for c in client.get("/corpus").headers.get_list("set-cookie") if c.startswith(CSRF_COOKIE)]
    assert cookie and "samesite=strict" in cookie[0].lower(), "the CSRF cookie never goes with another site's request"

    response = client.post("/corpus/consent", data=consent_form(work, csrf=csrf),
                           headers={"Origin": "http://127.0.0.1"}, follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/corpus"
    with Studio.open(root) as studio:
        assert studio.work(work).consent == "no-train"
    assert [(e.consent, e.reason) for e in history_of(root, work)] == [
        ("train", "mine"),
        ("no-train", "changed my mind"),
    ]

    by_header = client.post("/corpus/consent", data=consent_form(work, consent="train", reason="again"),
                            headers={"X-CSRF-Token": csrf, **JSON})  # fmt: skip
    assert by_header.status_code == 200
    assert by_header.json() == {"ok": True, "message": "Consent recorded for 1 work(s)."}
    with Studio.open(root) as studio:
        assert studio.work(work).consent == "train"


def test_a_json_state_change_without_the_csrf_header_is_refused(root: Path, client: TestClient, work: str) -> None:
    with Studio.open(root) as studio:  # nothing to train on: a request that got through would never start a run
        studio.set_consent([work], "no-train", "not for training")
    csrf = csrf_of(client)
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        response = client.post("/train/start", json={"minutes": 1}, headers={**JSON, **headers})
        assert response.status_code == 403
        assert response.json() == {"error": CSRF_REFUSED + " Reload the page and try again."}
    stop = client.post("/jobs/j0123456789/stop", headers=JSON)
    assert stop.status_code == 403
    assert client.app.app.state.jobs.list() == [], "no job was started"
    assert not (root / "jobs").exists() or not any((root / "jobs").glob("j*.json"))

    # The same request with the header passes the check (and is then refused for what it asks: nothing to train on).
    allowed = client.post("/train/start", json={"minutes": 1}, headers={**JSON, "X-CSRF-Token": csrf})
    assert allowed.status_code == 400
    assert "No work has consent" in allowed.json()["error"]


def test_an_upload_without_the_csrf_token_stores_nothing(root: Path, client: TestClient, scratch: Path) -> None:
    csrf_of(client)
    parts = [("files", (GOOD[0], GOOD[1], "text/plain"))]
    response = client.post("/corpus/upload", files=parts, headers=JSON)
    assert response.status_code == 403
    assert response.json()["error"].startswith("Request refused")
    response = client.post("/corpus/upload", files=parts, headers={**JSON, "Origin": "http://evil.example"},
                           data={"csrf": client.cookies[CSRF_COOKIE]})  # fmt: skip
    assert response.status_code == 403
    assert works_of(root) == []
    assert files_under(scratch) == set()


def test_the_language_switch_never_redirects_to_another_site(client: TestClient) -> None:
    """A GET needs no CSRF token, so its ``next`` must never send the visitor off the studio."""
    for target in (
        "//evil.example/",
        "http://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
    ):
        response = client.get("/lang/en", params={"next": target}, follow_redirects=False)
        assert response.status_code == 303
        location = response.headers["location"].replace("\\", "/")  # browsers read a backslash as a slash
        assert location.startswith("/") and not location.startswith("//"), (target, response.headers["location"])
    assert client.get("/lang/en", params={"next": "/train"}, follow_redirects=False).headers["location"] == "/train"


# -- units: upload names and loopback addresses --------------------------------------------------------------


@pytest.mark.parametrize("name", ["poem.txt", "Poèmes saturniens.txt", "a b (2).md", "name..txt", "x" * 251 + ".txt",
                                  "été.odt", "…et après.txt"])  # fmt: skip
def test_safe_upload_name_keeps_a_plain_name(name: str) -> None:
    assert safe_upload_name(name) == name


def test_safe_upload_name_normalizes_to_composed_unicode() -> None:
    decomposed = unicodedata.normalize("NFD", "Poèmes.txt")
    assert decomposed != "Poèmes.txt"
    assert safe_upload_name(decomposed) == "Poèmes.txt"


@pytest.mark.parametrize(
    "name",
    [None, "", ".", "..", "../x.txt", "../../etc/passwd.txt", "a/b.txt", "/abs/path.txt", "..\\x.txt", "C:\\x.txt",
     "c:x.txt", "x.txt\x00.exe", "line\nbreak.txt", "tab\tname.txt", "\x7fdel.txt", ".hidden.txt", ".htaccess",
     "x" * 252 + ".txt", "é" * 128 + ".txt"],
)  # fmt: skip
def test_safe_upload_name_refuses_paths_hidden_and_control_names(name: str | None) -> None:
    assert safe_upload_name(name) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2", "127.255.255.254"])
def test_is_loopback_accepts_this_machine(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "[::]", "192.168.1.20", "10.0.0.1", "example.com",
                                  "localhost.evil.example", "", "127.0.0.1.evil.example"])  # fmt: skip
def test_is_loopback_refuses_addresses_reachable_from_elsewhere(host: str) -> None:
    assert not is_loopback(host)


# -- the real command: `ouvroir studio --host 0.0.0.0` prints a token and needs it ----------------------------



def test_studio_on_all_addresses_prints_a_token_and_requires_it(root: Path) -> None:
    with WebStudio(root, "--host", "0.0.0.0", "--port", "0") as server:
        found = re.search(r"at http://0\.0\.0\.0:(\d+)/\?token=([A-Za-z0-9_-]{20,})\s*$", server.address_line)
        assert found, server.address_line
        token, base = found[2], server.url
        with httpx.Client(base_url=base, timeout=10, headers={"Accept-Language": "en"}, follow_redirects=True) as http:
            refused = http.get("/corpus")
            assert refused.status_code == 401
            assert TOKEN_NEEDED in refused.text
            assert http.get("/corpus", params={"token": "wrong"}).status_code == 401

            entered = http.get("/corpus", params={"token": token})  # follows the redirect with the cookie
            assert entered.status_code == 200
            assert entered.history and entered.history[0].status_code == 303
            assert str(entered.url) == f"{base}/corpus"
            assert "<h1>Your corpus</h1>" in entered.text
        with httpx.Client(base_url=base, timeout=10) as other:
            assert other.get("/corpus", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            assert other.get("/static/app.js").status_code == 401
    assert "Traceback" not in server.output, server.output


def test_studio_on_this_machine_prints_no_token(root: Path) -> None:
    with WebStudio(root, "--port", "0") as server:
        assert re.search(r"at http://127\.0\.0\.1:(\d+)/\s*$", server.address_line), server.address_line
        with httpx.Client(timeout=10) as http:
            assert http.get(f"{server.url}/corpus").status_code == 200
