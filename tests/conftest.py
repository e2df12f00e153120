"""Shared fixtures: every test gets its own studio under tmp_path, never the working directory.

Test modules import the constants from here with ``from tests.conftest import SHARED, needs_shared``
(pytest registers this file as the module ``tests.conftest``, so it is not imported twice).
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner, Result

from ouvroir.cli import cli as ouvroir_cli
from ouvroir.workshop.studio import Studio

# The real corpora live next to the repository, read-only: ../shared/corpora.
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpora"
SHARED_REASON = "needs ../shared/corpora (present in CI, absent in a user's clone)"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=SHARED_REASON)

@pytest.fixture(autouse=True)
def _one_torch_thread():
    """pytest -n 2 runs two workers on two cores: one thread each, or torch's threads fight
    over the cores and a 3-second training test takes minutes. Restored after each test,
    since training's thread tuner may change it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

# Training plans from fixed speeds (the planner's own table, fp32 only) instead of timing the machine
# for seconds in every test, module-scoped studios included; tests of the probe lift it (test_probe.py).
os.environ["OUVROIR_PROBE_RATES"] = '{"fp32": {"tiny": 10500, "small": 5600, "base": 2300}}'

# A subprocess run of the console script gets this long before the test fails instead of hanging.
SUBPROCESS_TIMEOUT_S = 120


@pytest.fixture(autouse=True)
def _isolated_studio(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point $OUVROIR_STUDIO at a fresh folder and work from a scratch directory.

    A test that forgets ``--studio`` then writes in a temporary folder, never in
    the repository (whose default studio would be ./studio). Colour and terminal
    width are pinned so the CLI's output is plain text everywhere.
    """
    home = tmp_path_factory.mktemp("env")
    studio_dir = home / "studio"
    monkeypatch.setenv("OUVROIR_STUDIO", str(studio_dir))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.chdir(home)
    return studio_dir


@pytest.fixture
def studio_dir(_isolated_studio: Path) -> Path:
    """The folder $OUVROIR_STUDIO points at (not created)."""
    return _isolated_studio


@pytest.fixture
def studio(studio_dir: Path):
    """A fresh, empty studio at $OUVROIR_STUDIO, so the CLI helpers see the same one."""
    s = Studio.init(studio_dir)
    yield s
    s.close()


@pytest.fixture
def owner_studio(studio_dir: Path):
    """A fresh studio whose owner is Ada Martin."""
    s = Studio.init(studio_dir, owner="Ada Martin")
    yield s
    s.close()


class CliRun:
    """Runs ``ouvroir`` in-process with click's CliRunner; stdout and stderr are kept apart."""

    def __call__(self, *args: str | os.PathLike, input: str | None = None) -> Result:
        result = CliRunner().invoke(ouvroir_cli, [str(a) for a in args], input=input, prog_name="ouvroir")
        # A library exception escaping the CLI is a bug (a traceback for the user): fail loudly with it.
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(
                f"`ouvroir {' '.join(map(str, args))}` raised {result.exception!r}\n{result.output}"
            ) from result.exception
        return result


@pytest.fixture
def run_cli() -> CliRun:
    """``run_cli("works", "--json")`` -> click Result (exit_code, stdout, stderr, output)."""
    return CliRun()


def ouvroir_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m ouvroir``."""
    script = Path(sys.executable).parent / "ouvroir"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("ouvroir")
    return [found] if found else [sys.executable, "-m", "ouvroir"]


def run_ouvroir(*args: str | os.PathLike, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``ouvroir`` program in a subprocess (end-to-end: entry point, exit code, streams)."""
    return subprocess.run(
        [*ouvroir_command(), *map(str, args)],
        cwd=cwd,
        env=os.environ.copy(),
        capture_output=True,
        check=False,  # the caller asserts on the exit code
        text=True,
        encoding="utf-8",
        timeout=SUBPROCESS_TIMEOUT_S,
    )


@pytest.fixture
def run_proc():
    """``run_proc("add", folder)`` -> CompletedProcess of the real console script."""
    return run_ouvroir


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    if not SHARED.is_dir():
        pytest.skip(SHARED_REASON)
    return SHARED


class WebStudio:
    """``ouvroir studio ARGS`` in a subprocess; every line it prints is kept (tests look for errors in them).

    ``address`` is the line's address as printed (with its token, if any); ``url`` is where to reach it.
    """

    START_TIMEOUT_S = 60

    def __init__(self, studio_dir: Path, *args: str) -> None:
        self.process = subprocess.Popen([*ouvroir_command(), "--studio", str(studio_dir), "studio", *args],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, encoding="utf-8", env=os.environ | {"NO_COLOR": "1"})  # fmt: skip
        self.lines: list[str] = []
        self._new: queue.Queue = queue.Queue()
        threading.Thread(target=self._drain, daemon=True).start()  # a full pipe would block the server
        self.address_line = self.address = self.url = None
        deadline = time.monotonic() + self.START_TIMEOUT_S
        while self.address is None and time.monotonic() < deadline:
            try:
                line = self._new.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            found = re.search(r" at (http://(\S+?):(\d+)/\S*)\s*$", line)
            if found:
                self.address_line, self.address = line.strip(), found[1]
                host = "127.0.0.1" if found[2] in ("0.0.0.0", "[::]") else found[2]
                self.url = f"http://{host}:{found[3]}"
        if self.address is None:
            self.stop()
            raise AssertionError(f"`ouvroir studio {' '.join(args)}` printed no address:\n{self.output}")

    def _drain(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)
            self._new.put(line)
        self._new.put(None)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        """Ctrl-C, as a person stops it (running jobs are interrupted)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def __enter__(self) -> WebStudio:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
