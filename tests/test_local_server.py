"""`wic-etl server status|start|stop` and its state file, against real processes.

Every command runs in a session of its own: a faulty `server stop` that signalled
"its own" process group (pid 0) would otherwise reach pytest's.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import BIN, SAVED

STATE = "wic-etl-server.json"


def command(
    *args: str, home: Path, timeout: float = 60, isolated: bool = False
) -> subprocess.CompletedProcess[str]:
    """``wic-etl ARGS`` with its own PREFECT_HOME, in a session of its own.

    ``isolated``: in a PID namespace of its own as well, where pid 1 and every
    process group are the command's: a state file naming pid 1 (``true`` in JSON)
    or 0 must not be able to reach this machine's processes even if a change
    let it through.
    """
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(home), "COLUMNS": "250", "NO_COLOR": "1"}
    prefix = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"] if isolated else []
    result = subprocess.run(
        [*prefix, str(BIN / "wic-etl"), *args], capture_output=True, text=True, env=env,
        timeout=timeout, start_new_session=True,
    )  # fmt: skip
    if isolated and result.stderr.startswith("unshare:"):
        pytest.fail(f"this test needs root, for a PID namespace (unshare): {result.stderr}")
    return result


def said(result: subprocess.CompletedProcess[str]) -> str:
    return " ".join((result.stdout + result.stderr).split())


def gone(pid: int) -> bool:
    """No such process, or only its exit status left to collect."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"


def wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def identity(pid: int) -> dict[str, object]:
    """What the state file records to know process ``pid`` again, read from /proc here."""
    deadline = time.monotonic() + 5
    # A process just started may show no arguments for a moment, until its exec is done.
    while not Path(f"/proc/{pid}/cmdline").read_bytes() and time.monotonic() < deadline:
        time.sleep(0.005)
    stat = Path(f"/proc/{pid}/stat").read_text()
    return {
        "start_ticks": int(stat[stat.rindex(")") + 2 :].split()[19]),
        "boot_id": Path("/proc/sys/kernel/random/boot_id").read_text().strip(),
        "cmdline": Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1],
    }


def record(home: Path, pid: int, port: int = 9, **fields: object) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    state = {"url": f"http://127.0.0.1:{port}/api", "pid": pid, "home": str(home),
             "log": str(home / "wic-etl-server.log"), **fields}  # fmt: skip
    path = home / STATE
    path.write_text(json.dumps(state), "utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def end(proc: subprocess.Popen[bytes]) -> None:
    with_group = os.getpgid(proc.pid) == proc.pid if proc.poll() is None else False
    if proc.poll() is None:
        (os.killpg if with_group else os.kill)(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """Someone else's process, leading a session of its own, as a server would."""
    proc = subprocess.Popen(["sleep", "1000"], start_new_session=True)
    yield proc
    end(proc)


# How a recorded pid comes to be someone else's: a crash or a reboot, then pid reuse.
STALE_RECORDS = {
    "written before start times were recorded": lambda ident: {},
    "another start time": lambda ident: {**ident, "status": "running",
                                         "start_ticks": ident["start_ticks"] - 1},
    "another command line": lambda ident: {**ident, "status": "running",
                                           "cmdline": ["prefect", "server", "start"]},
    "another boot": lambda ident: {**ident, "status": "running",
                                   "boot_id": "00000000-0000-0000-0000-000000000000"},
}  # fmt: skip


@pytest.mark.parametrize("how", STALE_RECORDS)
def test_stop_leaves_a_process_that_is_not_the_server_alone(tmp_path, bystander, how):
    home = tmp_path / "home"
    state = record(home, bystander.pid, **STALE_RECORDS[how](identity(bystander.pid)))
    stopped = command("server", "stop", home=home)
    assert stopped.returncode == 0, said(stopped)
    assert not wait_gone(bystander.pid, 1.0)  # not signalled
    assert "Stopped" not in stopped.stdout
    assert f"pid {bystander.pid}" in said(stopped) and "state file was removed" in said(stopped)
    assert not state.exists()
    again = command("server", "stop", home=home)
    assert again.returncode == 0 and "No local Prefect server is running" in again.stdout
    assert bystander.poll() is None


@pytest.mark.parametrize("how", STALE_RECORDS)
def test_status_does_not_take_another_process_for_the_server(tmp_path, bystander, how):
    home = tmp_path / "home"
    state = record(home, bystander.pid, **STALE_RECORDS[how](identity(bystander.pid)))
    status = command("server", "status", home=home)
    assert status.returncode == 1, said(status)
    assert "No local Prefect server is running" in status.stdout
    assert "state file was removed" in said(status)
    assert not state.exists()
    assert bystander.poll() is None


TAMPERED = {
    "pid as text": '{"url": "http://127.0.0.1:9/api", "pid": "123", "home": "h", "log": "l"}',
    "pid 0": '{"url": "http://127.0.0.1:9/api", "pid": 0, "home": "h", "log": "l"}',
    "negative pid": '{"url": "http://127.0.0.1:9/api", "pid": -7, "home": "h", "log": "l"}',
    "pid true": '{"url": "http://127.0.0.1:9/api", "pid": true, "home": "h", "log": "l"}',
    "huge pid": '{"url": "http://127.0.0.1:9/api", "pid": 1e400, "home": "h", "log": "l"}',
    "pid 2**70": '{"url": "http://127.0.0.1:9/api", "pid": 1180591620717411303424, '
    '"home": "h", "log": "l"}',
    "no url": '{"pid": 123, "home": "h", "log": "l"}',
    "a list": "[1, 2, 3]",
    "not JSON": "{pid: 123",
    "not UTF-8": b"\xff\xfe{}".decode("latin-1"),
    "empty": "",
}


@pytest.mark.parametrize("text", TAMPERED.values(), ids=TAMPERED.keys())
@pytest.mark.parametrize("action", ["status", "stop"])
def test_a_bad_state_file_is_no_server_and_said_so(tmp_path, action, text):
    home = tmp_path / "home"
    home.mkdir()
    state = home / STATE
    state.write_text(text, "latin-1")
    result = command("server", action, home=home, isolated=True)
    assert result.returncode == (1 if action == "status" else 0), said(result)
    assert "Traceback" not in said(result) and "unexpected" not in said(result)
    assert "No local Prefect server is running" in result.stdout
    assert f"{state} cannot be trusted" in said(result)
    assert "no process was signalled" in said(result)
    assert not state.exists()


def _fifo(path: Path) -> None:
    os.mkfifo(path)


NOT_A_RECORD = {
    "a FIFO": (_fifo, "not a regular file"),  # reading it would wait for a writer for ever
    "a folder": (Path.mkdir, "a folder, not a file"),
    "deeply nested JSON": (lambda path: path.write_text("[" * 50_000), "not JSON"),
    "a huge file": (lambda path: path.write_bytes(b" " * 10_000_000), "larger than any"),
}


@pytest.mark.parametrize("make", NOT_A_RECORD.values(), ids=NOT_A_RECORD.keys())
def test_a_state_file_that_is_no_record_at_all_is_no_server_either(tmp_path, make):
    home = tmp_path / "home"
    home.mkdir()
    state = home / STATE
    maker, reason = make
    maker(state)
    status = command("server", "status", home=home, timeout=20)
    assert status.returncode == 1, said(status)
    assert f"{state} cannot be trusted ({reason}" in said(status)
    stopped = command("server", "stop", home=home, timeout=20)
    assert stopped.returncode == 0, said(stopped)
    assert "No local Prefect server is running" in stopped.stdout


@pytest.fixture
def non_leader() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A process (sleep) in a session whose leader is its parent: it leads no group."""
    leader = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, time\n"
         "child = subprocess.Popen(['sleep', '1000']); print(child.pid, flush=True)\n"
         "time.sleep(1000)"],
        stdout=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        yield leader, int(leader.stdout.readline())  # type: ignore[union-attr]
    finally:
        end(leader)


def test_a_live_pid_that_leads_no_group_is_not_an_error(tmp_path, non_leader):
    # A pid reused by a process that leads no group: signalling "its group" failed.
    leader, child = non_leader
    home = tmp_path / "home"
    record(home, child)
    for action in ("stop", "status", "stop"):
        result = command("server", action, home=home)
        assert result.returncode in (0, 1), said(result)
        assert "No local Prefect server is running" in result.stdout
    assert not gone(child) and leader.poll() is None


def test_a_proven_server_that_leads_no_group_is_stopped_alone(tmp_path, non_leader):
    leader, child = non_leader
    home = tmp_path / "home"
    state = record(home, child, status="running", **identity(child))
    stopped = command("server", "stop", home=home)
    assert stopped.returncode == 0, said(stopped)
    assert f"Stopped the local Prefect server (pid {child})" in stopped.stdout, said(stopped)
    assert wait_gone(child, 5.0)
    assert leader.poll() is None  # its group, the leader's, was left alone
    assert not state.exists()


# A web server that answers 200 at /api/health, as Prefect does, on the port last named.
FAKE_PREFECT = """import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b'true')
    def log_message(self, *args): pass
http.server.HTTPServer(('127.0.0.1', int(sys.argv[-1])), H).serve_forever()
"""


def serving(args: list[str], port: int) -> subprocess.Popen[bytes]:
    """A fake Prefect started with ``args``, once it answers at ``port``."""
    proc = subprocess.Popen(args, start_new_session=True)
    deadline = time.monotonic() + 20
    while not _answers(port):
        assert time.monotonic() < deadline and proc.poll() is None, "the fake did not start"
        time.sleep(0.1)
    return proc


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def fake_prefect() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A web server that answers 200 at /api/health, as Prefect does, and is not Prefect."""
    port = free_port()
    proc = serving([sys.executable, "-c", FAKE_PREFECT, str(port)], port)
    yield proc, port
    end(proc)


@pytest.mark.parametrize("how", STALE_RECORDS)
def test_an_answer_at_the_recorded_port_is_not_proof_of_the_server(tmp_path, fake_prefect, how):
    proc, port = fake_prefect
    home = tmp_path / "home"
    record(home, proc.pid, port, **STALE_RECORDS[how](identity(proc.pid)))
    status = command("server", "status", home=home)
    assert status.returncode == 1, said(status)
    assert "running at" not in status.stdout
    assert "No local Prefect server is running" in status.stdout
    stopped = command("server", "stop", home=home)
    assert stopped.returncode == 0 and "Stopped" not in stopped.stdout
    assert proc.poll() is None


def test_a_prefect_home_that_is_a_file_is_no_crash(tmp_path):
    home = tmp_path / "not-a-folder"
    home.write_text("x")
    stopped = command("server", "stop", home=home)
    assert stopped.returncode == 0, said(stopped)
    assert "No local Prefect server is running" in stopped.stdout
    assert "Batches already loaded" not in said(stopped)


def test_an_unexpected_error_of_a_server_command_says_nothing_of_batches(monkeypatch, capsys):
    from wic_etl import cli, local_server

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(local_server, "stop", broken)
    previous = signal.getsignal(signal.SIGINT)
    try:
        code = cli.main(["server", "stop"])
    finally:
        signal.signal(signal.SIGINT, previous)
    err = " ".join(capsys.readouterr().err.split())
    assert code == cli.EXIT_CRASH
    assert "unexpected RuntimeError: boom" in err and "--debug" in err
    assert "atches" not in err


def test_without_proc_no_local_server_is_started(monkeypatch, tmp_path):
    # Off Linux no record could be proven: each command would start a server and
    # leave the last one behind. /proc cannot be taken away here, so its reader is.
    from core.errors import WicEtlError
    from wic_etl import local_server

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.setattr(local_server, "process_identity", lambda pid: None)
    assert not local_server.enabled()
    with pytest.raises(WicEtlError, match="PREFECT_API_URL"):
        local_server.ensure()
    assert not any(tmp_path.iterdir())


@pytest.fixture
def read_only_home(tmp_path) -> Iterator[Path]:
    """A real read-only file system (a tmpfs remounted ro) for PREFECT_HOME."""
    mount = tmp_path / "read-only"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if made.returncode != 0:
        pytest.fail(f"this test mounts a tmpfs and needs root to: {made.stderr.strip()}")
    try:
        (mount / "prefect").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount / "prefect"
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["server", "start"], id="server start"),
        pytest.param(["ingest", str(SAVED / "text")], id="ingest", marks=pytest.mark.slow),
    ],
)
def test_a_read_only_prefect_home_is_named_with_what_to_do(tmp_path, read_only_home, args):
    if args[0] == "ingest":
        args = [*args, "--db", str(tmp_path / "wic.db")]
    result = command(*args, home=read_only_home)
    assert result.returncode == 2, said(result)
    text = said(result)
    assert f"PREFECT_HOME ({read_only_home}) cannot be written" in text
    assert "Read-only file system" in text
    assert "set PREFECT_HOME to a writable folder" in text
    assert "WIC_ETL_LOCAL_SERVER=off" in text
    assert "writes the database" not in text and "--db" not in text
    assert "Batches already loaded" not in text and "Traceback" not in text


# Starting a real Prefect server takes 11-20 s: one start in this file, cut short once.


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def server_child(pid: int, seconds: float = 60) -> int:
    """The `prefect server start` that command ``pid`` started."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for child in children(pid):
            with_args = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if b"server" in with_args and b"start" in with_args:
                return child
        time.sleep(0.05)
    raise AssertionError(f"no Prefect server was started by {pid} in {seconds} s")


def start_in_background(*args: str, home: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(home), "COLUMNS": "250", "NO_COLOR": "1"}
    return subprocess.Popen(
        [str(BIN / "wic-etl"), *args], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def kill_server(pid: int) -> None:
    if not gone(pid):
        with_group = os.getpgid(pid) == pid
        (os.killpg if with_group else os.kill)(pid, signal.SIGKILL)
        wait_gone(pid, 10)


@pytest.mark.slow
@pytest.mark.parametrize("what", ["ingest", "server start"])
def test_ctrl_c_while_the_first_run_starts_the_server_leaves_none_behind(tmp_path, what):
    home = tmp_path / "home"
    args = ["ingest", str(SAVED / "text"), "--db", str(tmp_path / "wic.db")]
    run = start_in_background(*(args if what == "ingest" else ["server", "start"]), home=home)
    server = server_child(run.pid)
    try:
        time.sleep(1.0)  # the server is importing Prefect: far from answering
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C: the terminal's group; the server has its own
        out, err = run.communicate(timeout=15)
        assert run.returncode == 130, out + err
        if what == "server start":  # no batches to keep: a server command loads none
            assert err.strip() == "wic-etl: interrupted"
        assert wait_gone(server, 5), "the half-started server was left running"
        assert not (home / STATE).exists()
        status = command("server", "status", home=home)
        assert status.returncode == 1 and "No local Prefect server is running" in status.stdout
    finally:
        run.kill()
        kill_server(server)


@pytest.mark.slow
def test_a_server_whose_starter_was_killed_is_found_and_reused(tmp_path):
    home = tmp_path / "home"
    starter = start_in_background("server", "start", home=home)
    server = server_child(starter.pid)
    try:
        os.killpg(starter.pid, signal.SIGKILL)  # a crash, or the terminal closed
        starter.communicate(timeout=15)
        state = json.loads((home / STATE).read_text("utf-8"))
        assert state["pid"] == server and state["status"] == "starting"
        status = command("server", "status", home=home)
        assert f"pid {server}" in status.stdout and "starting" in status.stdout, said(status)

        # The next command waits for that server instead of starting a second one.
        again = command("server", "start", home=home, timeout=180)
        assert again.returncode == 0, said(again)
        assert f"(pid {server}" in again.stdout
        status = command("server", "status", home=home)
        assert status.returncode == 0 and f"pid {server}" in status.stdout, said(status)
        assert json.loads((home / STATE).read_text("utf-8"))["status"] == "running"

        stopped = command("server", "stop", home=home)
        assert f"Stopped the local Prefect server (pid {server})" in stopped.stdout, said(stopped)
        assert wait_gone(server, 5)
        assert not (home / STATE).exists()
    finally:
        kill_server(server)


def test_a_server_recorded_by_an_earlier_wic_etl_is_adopted_not_orphaned(tmp_path):
    # Found while measuring: an earlier wic-etl recorded no start time, so its server was
    # left running, unseen, and every run started another one on the same database.
    # It started the server as `prefect server start --host 127.0.0.1 --port PORT`.
    prefect = tmp_path / "bin" / "prefect"
    prefect.parent.mkdir()
    prefect.write_text(FAKE_PREFECT)
    port = free_port()
    proc = serving([sys.executable, str(prefect), "server", "start", "--host", "127.0.0.1",
                    "--port", str(port)], port)  # fmt: skip
    try:
        home = tmp_path / "home"
        record(home, proc.pid, port)  # the earlier format: url, pid, home, log
        status = command("server", "status", home=home)
        assert status.returncode == 0, said(status)
        assert f"(pid {proc.pid}" in status.stdout, said(status)
        stopped = command("server", "stop", home=home)
        assert f"Stopped the local Prefect server (pid {proc.pid})" in stopped.stdout
        assert wait_gone(proc.pid, 10.0)
    finally:
        end(proc)
