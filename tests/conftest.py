"""Shared test parts: a real Prefect server on 127.0.0.1, the CLI as a subprocess, paths.

Prefect reads its settings when it is first imported, so ``pytest_configure``
points ``PREFECT_API_URL`` at a free port before any test module imports it;
the server itself starts only when a test first needs it (the ``prefect_api``
fixture, or ``run_cli``), since it costs 15-20 s and most tests never touch
Prefect. It is stopped by PID at the end of the session.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import settings

from extractors.profiles import site_hosts

# `make test` (and CI) replays the same generated examples every run, so a red build
# always means a change broke something; `make fuzz` explores new examples each run.
settings.register_profile("ci", max_examples=150, derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
# The sites wic-etl knows, as the command hands them to the Datasette app.
SITES = tuple(site_hosts())
SAVED = FIXTURES / "saved"
BAD = FIXTURES / "bad"
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "000_47748cef2e072f9f.txt"
BIN = Path(sys.executable).parent

QUIET = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}
_server: dict[str, object] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise pytest.UsageError(f"prefect server exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise pytest.UsageError(
        f"prefect server not healthy after {seconds} s:\n{log.read_text()[-3000:]}"
    )


def pytest_configure(config: pytest.Config) -> None:
    home = Path(tempfile.mkdtemp(prefix="wic-etl-prefect-"))
    url = f"http://127.0.0.1:{free_port()}/api"
    _server.update(home=home, url=url)
    os.environ.update(QUIET)
    os.environ["PREFECT_HOME"] = str(home)
    os.environ["PREFECT_API_URL"] = url


def ensure_prefect_server() -> str:
    """The session's Prefect server, started on first use; its API URL."""
    url = str(_server["url"])
    if "proc" in _server:
        return url
    home = Path(str(_server["home"]))
    port = url.rsplit(":", 1)[1].split("/")[0]
    env = {**os.environ, **QUIET, "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    log = home / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", port],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _server["proc"] = proc
    try:
        _wait_healthy(url, proc, log, seconds=120)
    except pytest.UsageError as exc:
        pytest.fail(str(exc))
    return url


def _drain_prefect_workers() -> None:
    """Ship the logs and events this process still holds before their server goes away."""
    if "prefect" not in sys.modules or "proc" not in _server:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=15)


def pytest_unconfigure(config: pytest.Config) -> None:
    _drain_prefect_workers()
    proc = _server.get("proc")
    if isinstance(proc, subprocess.Popen):
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    home = _server.get("home")
    if isinstance(home, Path):
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_api() -> str:
    """A running Prefect server for flow runs in this process and in subprocesses."""
    return ensure_prefect_server()


@pytest.fixture(scope="session")
def seed() -> Path:
    if not SEED.is_file():
        pytest.fail(
            f"the seed page {SEED} is missing: these tests need ../shared beside the checkout"
        )
    return SEED


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``wic-etl`` as a user would, wide enough that rich does not fold.

    Runs against the session's Prefect server unless ``env`` names another (or none).
    """
    if "PREFECT_API_URL" not in (env or {}):
        ensure_prefect_server()
    full_env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [str(BIN / "wic-etl"), *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=timeout,
    )


PAGE_SUFFIXES = (".txt", ".html", ".mhtml", ".warc.gz")


def saved_pages() -> list[Path]:
    """The gold fixtures: saved pages and archives under fixtures/saved."""
    return sorted(
        p for p in SAVED.rglob("*") if p.name.endswith(PAGE_SUFFIXES) and p.parent.name != "listing"
    )


def listing_pages() -> list[Path]:
    return sorted((SAVED / "listing").glob("*.html"))


def expected_for(page: Path) -> Path:
    stem = next(page.name[: -len(s)] for s in PAGE_SUFFIXES if page.name.endswith(s))
    return page.with_name(stem + ".expected.json")


def gold(page: Path) -> list[dict]:
    """The expected records of a fixture, one per HTML document in it."""
    data = json.loads(expected_for(page).read_text(encoding="utf-8"))
    return data.get("pages", [data])


def gold_article_ids() -> set[str]:
    return {record["article"]["id"] for page in saved_pages() for record in gold(page)}


def gold_documents() -> int:
    return sum(len(gold(page)) for page in saved_pages())


class TooSlow(Exception):
    pass


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail a call that hangs instead of hanging the suite.

    SIGALRM interrupts a regular expression (re checks for signals) and a blocking
    open or read, so a catastrophic case fails in ``seconds`` rather than never ends.
    Main thread only, as pytest runs tests.
    """

    def expire(signum: int, frame: object) -> None:
        raise TooSlow(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Served:
    """A running ``wic-etl datasette``: the database's address, and the server's process."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far (all its threads): what a request held."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def datasette_server(db_path: Path, env: dict[str, str] | None = None) -> Iterator[Served]:
    """``wic-etl datasette`` serving ``db_path`` on a free port, as a person starts it.

    Stopped (by its PID) on the way out. Its output goes to a file, not a pipe:
    Datasette prints a traceback for each refused request, and a pipe nobody reads
    would fill and stop the server.
    """
    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(
            [str(BIN / "wic-etl"), "datasette", "--db", str(db_path), "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PREFECT_API_URL": "", **(env or {})},
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}/{db_path.stem}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(base, timeout=2)
                    break
                except httpx.HTTPError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        pytest.fail(f"wic-etl datasette did not start:\n{log.read()[-2000:]}")
                    time.sleep(0.3)
            yield Served(base, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()  # a query SQLite cannot interrupt keeps it from stopping
                proc.wait()


def store_of(db):
    """The Store over a connection a test opened itself (its file named by SQLite)."""
    from loaders.store import Store

    return Store(db, db.execute("pragma database_list").fetchone()[2])
