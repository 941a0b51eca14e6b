"""The progress bar: on a terminal (a real pseudo-terminal) it is there, piped or --quiet not."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess

import pytest

from readers.sources import expand_sources
from tests.conftest import BIN, ROOT, SAVED, ensure_prefect_server, run_cli

pytestmark = pytest.mark.slow  # whole flow runs against the session's Prefect server

BAR = "files read, extracted and loaded"


def on_a_terminal(*args: str, timeout: float = 300) -> tuple[int, str]:
    """Run wic-etl with a pseudo-terminal as its stdout and stderr; its exit code and screen."""
    ensure_prefect_server()
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([str(BIN / "wic-etl"), *args], stdin=subprocess.DEVNULL,
                            stdout=follower, stderr=follower, env=env, cwd=ROOT)  # fmt: skip
    os.close(follower)
    screen = bytearray()
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], timeout)
            assert ready, "no output for too long"
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end is closed: the command ended
                break
            if not chunk:
                break
            screen += chunk
        return proc.wait(timeout=60), screen.decode("utf-8", "replace")
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()


def test_a_terminal_shows_the_bar_and_a_pipe_or_quiet_does_not(tmp_path):
    files = len(expand_sources([str(SAVED)]).files)
    code, screen = on_a_terminal("ingest", str(SAVED), "--db", str(tmp_path / "a.db"),
                                 "--batch-size", "4")  # fmt: skip
    assert code == 0, screen[-3000:]
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)  # colours and cursor moves
    assert BAR in text
    assert f"{files}/{files}" in text  # the bar counts files, up to all of them
    assert re.search(r"\d+/" + str(files), text.replace(f"{files}/{files}", ""))  # on the way
    assert "files/s" in text
    assert "wic-etl ingest ->" in text  # the summary follows the bar

    code, screen = on_a_terminal("ingest", str(SAVED), "--db", str(tmp_path / "b.db"), "-q")
    assert code == 0 and BAR not in screen and "wic-etl ingest ->" in screen
    piped = run_cli("ingest", str(SAVED), "--db", str(tmp_path / "c.db"))
    assert piped.returncode == 0 and BAR not in piped.stdout + piped.stderr
