"""A local Prefect server that wic-etl starts once, in the background, and reuses.

Without a server, Prefect starts a temporary one inside every run: 15-30 s of
every command, and a run interrupted with Ctrl-C takes that server down with
it. Started here in a session of its own (Ctrl-C in the terminal does not reach
it), on a free port of 127.0.0.1, with its database in ``PREFECT_HOME``, one
server serves every later run in a second, keeps their history for Prefect's UI
and API, and goes when ``wic-etl server stop`` says so. Its address and process
id are kept in ``PREFECT_HOME/wic-etl-server.json``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from core.errors import WicEtlError
from core.processes import process_alive
from wic_etl.prefect_env import QUIET_DEFAULTS

STATE_FILE = "wic-etl-server.json"
START_TIMEOUT_S = 120.0  # measured: healthy after 11-20 s on 2 cores, 30 s on a cold disk
# Set to "off" to let Prefect start its temporary server inside each run instead.
SWITCH = "WIC_ETL_LOCAL_SERVER"


@dataclass(frozen=True)
class LocalServer:
    """A local Prefect server wic-etl started: where it answers and its process."""

    url: str
    pid: int
    home: str
    log: str


def prefect_home() -> Path:
    """Prefect's home folder (PREFECT_HOME, else ~/.prefect)."""
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def enabled() -> bool:
    """Whether wic-etl may start a local server (WIC_ETL_LOCAL_SERVER is not 'off')."""
    return os.environ.get(SWITCH, "on").lower() not in ("off", "0", "no", "false")


def _state_path() -> Path:
    return prefect_home() / STATE_FILE


def _healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _recorded() -> LocalServer | None:
    try:
        return LocalServer(**json.loads(_state_path().read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def status() -> LocalServer | None:
    """The running local server, or None (none started, or it has gone)."""
    server = _recorded()
    if server and process_alive(server.pid) and _healthy(server.url):
        return server
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(home: Path) -> LocalServer:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    log = home / "wic-etl-server.log"
    env = {**os.environ, **QUIET_DEFAULTS, "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    prefect = Path(sys.executable).with_name("prefect")
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal's Ctrl-C must not stop it
        )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            raise WicEtlError(
                f"the local Prefect server did not start (see {log}); set "
                f"{SWITCH}=off to run with Prefect's temporary server, or start one "
                "yourself and set PREFECT_API_URL"
            )
        time.sleep(0.3)
    server = LocalServer(url=url, pid=proc.pid, home=str(home), log=str(log))
    _state_path().write_text(json.dumps(asdict(server)), "utf-8")
    return server


def ensure(announce: Callable[[], None] = lambda: None) -> tuple[LocalServer, bool]:
    """The local server, started if need be (``announce`` called first); True if started."""
    home = prefect_home()
    home.mkdir(parents=True, exist_ok=True)
    # Two commands started at once must not start two servers.
    with (home / "wic-etl-server.lock").open("a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (server := status()) is not None:
            return server, False
        announce()
        return _start(home), True


def stop() -> LocalServer | None:
    """Stop the local server; the one stopped, or None if none was running."""
    server = _recorded()
    if server is None or not process_alive(server.pid):
        _state_path().unlink(missing_ok=True)
        return None
    os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while process_alive(server.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
        _reap(server.pid)
    if process_alive(server.pid):
        os.killpg(server.pid, signal.SIGKILL)
    _state_path().unlink(missing_ok=True)
    return server


def _reap(pid: int) -> None:
    # Only a child of this process (the one that started it) leaves a zombie to collect.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
