"""Acceptance: a CLI process and the web app write to one studio concurrently; `ouvroir check` passes afterwards.

A real ``ouvroir studio`` server and a loop of real ``ouvroir add`` / ``ouvroir consent`` processes write to the
same studio at the same time, while this test uploads files and changes consents over HTTP. Afterwards every
work either side added is there exactly once, every consent event either side recorded is in the history,
``ouvroir check`` exits 0, and neither side ever saw "database is locked".
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import subprocess
import threading
from collections import Counter
from pathlib import Path

import httpx

from ouvroir.corpus.ingest import AddOptions
from ouvroir.layout import DB_NAME
from ouvroir.workshop.studio import Studio
from tests.conftest import WebStudio, ouvroir_command

CLI_BATCHES = 5  # `ouvroir add` runs, each of FILES_PER_BATCH new files
FILES_PER_BATCH = 4
WEB_MIN_ROUNDS = 6  # the web side goes on while the CLI runs, and does at least this many rounds
WEB_MAX_ROUNDS = 60
WEB_FILES_PER_ROUND = 2
SEEDS = 4
STEP_TIMEOUT_S = 60  # no subprocess or request may take longer: the test fails instead of hanging
LOCKED = re.compile(r"database is locked|database table is locked|SQLITE_BUSY", re.IGNORECASE)

_rng = random.Random(20240611)
_VOCABULARY = ["".join(_rng.choice("abcdefghijklmnoprstuvyzéè") for _ in range(_rng.randint(3, 9))) for _ in range(400)]


def poem(seed: str) -> str:
    """A short text of its own: distinct words, so no two are duplicates or near-duplicates."""
    rng = random.Random(seed)
    lines = [" ".join(rng.choice(_VOCABULARY) for _ in range(9)).capitalize() + "." for _ in range(4)]
    return f"{seed}\n\n" + "\n".join(lines) + "\n"


def ouvroir(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ouvroir_command(), "--studio", str(root), *args], check=False, capture_output=True,
                          text=True, encoding="utf-8", timeout=STEP_TIMEOUT_S, env=os.environ | {"COLUMNS": "1000"},
                          stdin=subprocess.DEVNULL)  # fmt: skip


class CliSide(threading.Thread):
    """Adds FILES_PER_BATCH new files per `ouvroir add`, and after each batch changes some consents."""

    def __init__(self, root: Path, sources: Path, seeds: list[str], start: threading.Event) -> None:
        super().__init__(daemon=True)
        self.root, self.sources, self.seeds, self.go = root, sources, seeds, start
        self.names: list[str] = []
        self.consents: list[tuple[list[str], str, str]] = []  # (work ids, consent, reason)
        self.runs: list[subprocess.CompletedProcess[str]] = []
        self.added_ids: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.go.wait(STEP_TIMEOUT_S)
            for batch in range(CLI_BATCHES):
                files = []
                for number in range(FILES_PER_BATCH):
                    path = self.sources / f"cli-{batch}-{number}.txt"
                    path.write_text(poem(f"cli {batch} {number}"), encoding="utf-8")
                    files.append(str(path))
                    self.names.append(path.name)
                result = ouvroir(self.root, "add", *files, "--consent", "train", "--reason", f"cli add {batch}")
                self.runs.append(result)
                if result.returncode != 0:
                    return
                self.added_ids += re.findall(r"added ([0-9a-f]{10}) ", result.stdout + result.stderr)
                if batch % 2 == 0:
                    # the seed works are changed by both sides at once; the CLI's own newest work too
                    ids = [self.seeds[batch % len(self.seeds)], self.seeds[(batch + 1) % len(self.seeds)],
                           self.added_ids[-1]]  # fmt: skip
                    consent = "no-train" if batch % 4 == 0 else "train"
                    reason = f"cli consent {batch}"
                    # --yes: both sides reverse each other's refusals on purpose here
                    result = ouvroir(self.root, "consent", *ids, consent, "--reason", reason, "--yes")
                    self.runs.append(result)
                    if result.returncode != 0:
                        return
                    self.consents.append((ids, consent, reason))
        except BaseException as exc:  # noqa: BLE001  (reported by the test thread)
            self.error = exc


def test_cli_and_web_write_to_one_studio_at_once_and_check_passes(tmp_path: Path) -> None:
    root = tmp_path / "studio"
    sources = tmp_path / "sources"
    sources.mkdir()
    with Studio.init(root, owner="Ada Martin") as studio:
        seed_files = []
        for number in range(SEEDS):
            path = sources / f"seed-{number}.txt"
            path.write_text(poem(f"seed {number}"), encoding="utf-8")
            seed_files.append(path)
        report = studio.add(seed_files, AddOptions(consent="train", reason="seed"))
        seeds = [o.work.id for o in report.outcomes if o.status == "added"]
    assert len(seeds) == SEEDS

    server = WebStudio(root, "--port", "0")
    go = threading.Event()
    cli = CliSide(root, sources, seeds, go)
    web_names: list[str] = []
    web_consents: list[tuple[list[str], str, str]] = []
    web_problems: list[str] = []
    try:
        cli.start()
        with httpx.Client(base_url=server.url, timeout=STEP_TIMEOUT_S, headers={"Accept-Language": "en"}) as http:
            page = http.get("/corpus")
            assert page.status_code == 200, page.text
            csrf = http.cookies["ouvroir_csrf"]
            go.set()
            rounds = 0
            while rounds < WEB_MAX_ROUNDS and (rounds < WEB_MIN_ROUNDS or cli.is_alive()):
                files = []
                for number in range(WEB_FILES_PER_ROUND):
                    name = f"web-{rounds}-{number}.txt"
                    files.append(("files", (name, poem(f"web {rounds} {number}").encode(), "text/plain")))
                    web_names.append(name)
                answer = http.post("/corpus/upload", files=files, data={"csrf": csrf, "consent": "train",
                                                                        "reason": f"web add {rounds}"},
                                   headers={"Accept": "application/json"})  # fmt: skip
                if answer.status_code != 200:
                    web_problems.append(f"upload {rounds}: {answer.status_code} {answer.text[:300]}")
                    break
                outcomes = answer.json()["outcomes"]
                not_added = [o for o in outcomes if o["status"] != "added"]
                if not_added or len(outcomes) != WEB_FILES_PER_ROUND:
                    web_problems.append(f"upload {rounds}: {outcomes}")
                    break
                own = outcomes[-1]["work_id"]
                ids = [seeds[rounds % SEEDS], seeds[(rounds + 2) % SEEDS], own]
                consent = "no-train" if rounds % 2 == 0 else "train"
                reason = f"web consent {rounds}"
                changed = http.post("/corpus/consent", data={"work": ids, "consent": consent, "reason": reason,
                                                             "reverse": ids},  # confirmed: see the CLI side
                                    headers={"Accept": "application/json", "X-CSRF-Token": csrf})  # fmt: skip
                if changed.status_code != 200 or changed.json().get("ok") is not True:
                    web_problems.append(f"consent {rounds}: {changed.status_code} {changed.text[:300]}")
                    break
                web_consents.append((ids, consent, reason))
                rounds += 1
            # A page read while the CLI may still be writing: reads never fail either.
            assert http.get("/corpus").status_code == 200
        cli.join(STEP_TIMEOUT_S * (CLI_BATCHES + 2))
        assert not cli.is_alive(), "the CLI side did not finish"
    finally:
        go.set()
        server.stop()

    # Neither side failed, and neither saw the database locked.
    assert cli.error is None, repr(cli.error)
    for run in cli.runs:
        shown = f"`{' '.join(run.args[-6:])}` exited {run.returncode}:\n{run.stdout}\n{run.stderr}"
        assert run.returncode == 0, shown
        assert not LOCKED.search(run.stdout + run.stderr), shown
    assert len(cli.runs) == CLI_BATCHES + len(cli.consents)
    assert web_problems == []
    assert not LOCKED.search(server.output), server.output
    assert "Traceback" not in server.output, server.output
    assert rounds >= WEB_MIN_ROUNDS

    # Every work added by either side is there exactly once.
    with Studio.open(root) as studio:
        works = studio.works()
        names = Counter(w.original_name for w in works)
        events = studio.conn.execute("SELECT work_id, consent, reason FROM consent_events ORDER BY id").fetchall()
        by_work = {w.id: studio.consent_history(w) for w in works}
    expected_names = [f"seed-{n}.txt" for n in range(SEEDS)] + cli.names + web_names
    assert len(expected_names) == SEEDS + CLI_BATCHES * FILES_PER_BATCH + rounds * WEB_FILES_PER_ROUND
    assert names == Counter(expected_names), "a work is missing or was stored twice"
    assert len(works) == len(expected_names)
    assert len(cli.added_ids) == CLI_BATCHES * FILES_PER_BATCH

    # Every consent event either side recorded is in the history, once per work it named.
    added_events = Counter(e["reason"] for e in events if e["reason"].startswith(("seed", "cli add", "web add")))
    assert added_events == Counter({"seed": SEEDS} | {f"cli add {b}": FILES_PER_BATCH for b in range(CLI_BATCHES)}
                                   | {f"web add {r}": WEB_FILES_PER_ROUND for r in range(rounds)})  # fmt: skip
    changes = cli.consents + web_consents
    assert len(cli.consents) == (CLI_BATCHES + 1) // 2
    for ids, consent, reason in changes:
        recorded = sorted((e["work_id"], e["consent"]) for e in events if e["reason"] == reason)
        assert recorded == sorted((i, consent) for i in ids), reason
    assert len(events) == len(expected_names) + sum(len(ids) for ids, _, _ in changes)
    # Each work's consent is its latest event's, whichever side wrote it.
    for work in works:
        history = by_work[work.id]
        assert [e.id for e in history] == sorted(e.id for e in history)
        assert work.consent == history[-1].consent

    # `ouvroir check` passes afterwards (and reports the works both sides added).
    check = ouvroir(root, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert not LOCKED.search(check.stdout + check.stderr)
    with Studio.open(root) as studio:
        report = studio.check()
    assert report.ok, report.problems
    assert report.works == len(expected_names)
    conn = sqlite3.connect(root / DB_NAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_two_uploads_of_one_file_at_once_give_one_work_and_one_already_present(tmp_path: Path, monkeypatch) -> None:
    """The second upload passes the early duplicate check while the first is still being read; the first
    commits before the second writes. The write transaction itself must see the work and say "already present"."""
    from starlette.testclient import TestClient

    from ouvroir.corpus import dedup
    from ouvroir.web.app import create_app, wrap

    root = tmp_path / "studio"
    Studio.init(root).close()
    text = poem("twice").encode()
    source = tmp_path / "sources" / "Deux fois.txt"
    source.parent.mkdir()
    source.write_bytes(text)
    real, other, calls = dedup.passage_hashes, [], []

    def meanwhile(*args, **kwargs):  # runs between the early check and the write transaction
        calls.append(1)
        if len(calls) == 1:
            with Studio.open(root) as studio:  # the other upload, on its own connection, commits first
                other.append(studio.add([source], AddOptions()))
        return real(*args, **kwargs)

    monkeypatch.setattr(dedup, "passage_hashes", meanwhile)
    with TestClient(wrap(create_app(root), None), base_url="http://127.0.0.1") as client:
        client.get("/corpus")
        answer = client.post("/corpus/upload", files=[("files", ("Deux fois.txt", text, "text/plain"))],
                             data={"csrf": client.cookies["ouvroir_csrf"]},
                             headers={"Accept": "application/json", "Accept-Language": "en"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    (outcome,) = answer.json()["outcomes"]
    assert [o.status for o in other[0].outcomes] == ["added"], other[0].outcomes[0].message
    first = other[0].outcomes[0].work
    assert outcome["status"] == "duplicate", outcome
    assert outcome["work_id"] == first.id and "not stored twice" in outcome["message"]
    assert answer.json()["counts"] == {"added": 0, "duplicate": 1, "failed": 0}
    with Studio.open(root) as studio:
        assert [w.id for w in studio.works()] == [first.id]
        assert studio.check().ok, studio.check().problems
