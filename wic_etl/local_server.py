"""A local Prefect server that wic-etl starts once, in the background, and reuses.

Without a server, Prefect starts a temporary one inside every run: 15-30 s of
every command, and a run interrupted with Ctrl-C takes that server down with
it. Started here in a session of its own (Ctrl-C in the terminal does not reach
it), on a free port of 127.0.0.1, with its database in ``PREFECT_HOME``, one
server serves every later run in a second, keeps their history for Prefect's UI
and API, and goes when ``wic-etl server stop`` says so.

``PREFECT_HOME/wic-etl-server.json`` records it from the moment it is started:
its address, its pid, and what tells that process from any later holder of the
same pid (start time, boot, command line). A record whose process is not that
one any more (a crash or a reboot since, the pid reused), or that is not what
wic-etl writes, is stale: it is removed, said so in one line, and nothing is
signalled.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Any

import httpx

from core.errors import WicEtlError
from core.processes import ProcessIdentity, process_alive, process_identity
from wic_etl.prefect_env import QUIET_DEFAULTS

STATE_FILE = "wic-etl-server.json"
LOCK_FILE = "wic-etl-server.lock"
LOG_FILE = "wic-etl-server.log"
START_TIMEOUT_S = 120.0  # measured: healthy after 11-20 s on 2 cores, 30 s on a cold disk
STOP_GRACE_S = 20.0  # after SIGTERM, before SIGKILL
# A server a Ctrl-C'd command was starting gets this long after SIGTERM: the command
# itself exits 5 s after Ctrl-C whatever it is doing (wic_etl.cli.interrupts.INTERRUPT_GRACE_S).
INTERRUPTED_START_GRACE_S = 3.0
# A recorded server that does not answer may only be busy: how long it is given.
UNANSWERED_WAIT_S = 15.0
# Set to "off" to let Prefect start its temporary server inside each run instead.
SWITCH = "WIC_ETL_LOCAL_SERVER"
STARTING, RUNNING, NOT_ANSWERING = "starting", "running", "not answering"
PID_MAX = 1 << 22  # Linux's highest possible pid
STATE_MAX_BYTES = 64 * 1024  # a record is some 500 bytes
URL = re.compile(r"http://127\.0\.0\.1:[0-9]{1,5}/api")

Say = Callable[[str], None]


def _quiet(line: str) -> None:
    pass


@dataclass(frozen=True)
class LocalServer:
    """A local Prefect server wic-etl started: where it answers and which process it is."""

    url: str
    pid: int
    home: str
    log: str
    status: str  # STARTING or RUNNING as recorded; status() may say NOT_ANSWERING
    start_ticks: int
    boot_id: str
    cmdline: tuple[str, ...]

    @property
    def identity(self) -> ProcessIdentity:
        return ProcessIdentity(self.start_ticks, self.boot_id, self.cmdline)

    def proven(self) -> bool:
        """Whether process ``pid`` is still the one recorded (same start, boot and command)."""
        return process_identity(self.pid) == self.identity


def prefect_home() -> Path:
    """Prefect's home folder (PREFECT_HOME, else ~/.prefect)."""
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def enabled() -> bool:
    """Whether wic-etl may start a local server (WIC_ETL_LOCAL_SERVER is not 'off', and
    this system lets it tell its server from a later process with the same pid)."""
    switched_on = os.environ.get(SWITCH, "on").lower() not in ("off", "0", "no", "false")
    return switched_on and _provable()


def _provable() -> bool:
    # Without Linux's /proc no record could be proven: each command would start a
    # server of its own and leave the last one behind.
    return process_identity(os.getpid()) is not None


def _state_path() -> Path:
    return prefect_home() / STATE_FILE


def _home_message(home: Path, exc: OSError) -> str:
    why = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        trouble = f"the disk holding PREFECT_HOME ({home}) is full"
        fix = "free some space or set PREFECT_HOME to a folder on another disk"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        trouble = f"PREFECT_HOME ({home}) cannot be written ({why})"
        fix = "set PREFECT_HOME to a writable folder"
    else:
        trouble = f"PREFECT_HOME ({home}) cannot be used ({why})"
        fix = "set PREFECT_HOME to a folder"
    return (
        f"{trouble}: wic-etl keeps its local Prefect server there (the server's own "
        f"database, its log and wic-etl's record of it). Either {fix}, or set {SWITCH}=off "
        "to run with Prefect's temporary server instead, or point PREFECT_API_URL at a "
        "Prefect server of your own"
    )


@contextlib.contextmanager
def _home_errors(home: Path) -> Iterator[None]:
    """An OSError of the files in PREFECT_HOME, said as such (not as the database's)."""
    try:
        yield
    except OSError as exc:
        raise WicEtlError(_home_message(home, exc)) from exc


def _open_lock(home: Path) -> IO[bytes]:
    home.mkdir(parents=True, exist_ok=True)
    return (home / LOCK_FILE).open("a+b")


@contextlib.contextmanager
def _lock(say: Say) -> Iterator[None]:
    """Held by whoever starts, adopts or stops the server: two commands must not start two."""
    home = prefect_home()
    with _home_errors(home):
        lock = _open_lock(home)
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("Waiting for another wic-etl command that is starting or stopping the local "
                "Prefect server...")  # fmt: skip
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


class _Untrusted(ValueError):
    """A state file wic-etl did not write as it stands: its reason."""


FIELDS: dict[str, type] = {
    "url": str, "pid": int, "home": str, "log": str, "status": str,
    "start_ticks": int, "boot_id": str, "cmdline": list,
}  # fmt: skip


def _read_raw(path: Path) -> bytes:
    """The state file's bytes; _Untrusted for what no record is (a FIFO must not block)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise WicEtlError(_home_message(path.parent, exc)) from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _Untrusted("a folder, not a file" if stat.S_ISDIR(mode) else "not a regular file")
        raw = os.read(fd, STATE_MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > STATE_MAX_BYTES:
        raise _Untrusted("larger than any record wic-etl writes")
    return raw


def _parse(raw: bytes) -> LocalServer:
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _Untrusted("not UTF-8 text") from None
    except (ValueError, RecursionError):
        raise _Untrusted("not JSON") from None
    if not isinstance(data, dict):
        raise _Untrusted("not a JSON object")
    pid = data.get("pid")
    # type() rather than isinstance(): JSON's true is an int to isinstance, and pid 1.
    if type(pid) is not int or not 1 < pid <= PID_MAX:
        raise _Untrusted(f"pid {json.dumps(pid)[:40]} is not a process id")
    if "start_ticks" not in data:
        if (server := _legacy(data, pid)) is not None:
            return server
        raise _Untrusted(f"no start time recorded for pid {pid}, so it cannot be told "
                         "from another process given the same pid")  # fmt: skip
    for name, kind in FIELDS.items():
        if type(data.get(name)) is not kind:
            raise _Untrusted(f"{name} is missing or not a {kind.__name__}")
    cmdline = data["cmdline"]
    for wrong, name in (
        (not URL.fullmatch(data["url"]), "url"),
        (data["status"] not in (STARTING, RUNNING), "status"),
        (data["start_ticks"] < 0, "start_ticks"),
        (not cmdline or not all(isinstance(arg, str) for arg in cmdline), "cmdline"),
    ):
        if wrong:
            raise _Untrusted(f"{name} {json.dumps(data[name])[:60]} is not one wic-etl records")
    return LocalServer(**{**{name: data[name] for name in FIELDS}, "cmdline": tuple(cmdline)})


def _legacy(data: dict[str, Any], pid: int) -> LocalServer | None:
    """A server an earlier wic-etl started and recorded without its start time, if proven.

    Such a record names the port, and that wic-etl started the server as exactly
    ``prefect server start --host 127.0.0.1 --port PORT``: a live process ``pid``
    with that command line is that server (no other process can listen on that
    port beside it). Adopted, an upgrade does not leave it running unseen while
    a second server starts on the same Prefect database.
    """
    url, home, log = data.get("url"), data.get("home"), data.get("log")
    if not (isinstance(url, str) and URL.fullmatch(url)):
        return None
    if not (isinstance(home, str) and isinstance(log, str)):
        return None
    found = process_identity(pid)
    port = url.rsplit(":", 1)[1].removesuffix("/api")
    expected = ("server", "start", "--host", "127.0.0.1", "--port", port)
    if found is None or len(found.cmdline) < 8 or found.cmdline[-6:] != expected:
        return None
    if Path(found.cmdline[-7]).name != "prefect":
        return None
    return LocalServer(url, pid, home, log, RUNNING, found.start_ticks, found.boot_id,
                       found.cmdline)  # fmt: skip


def _same_file(path: Path, seen: os.stat_result) -> bool:
    now = os.stat(path)
    return (now.st_dev, now.st_ino, now.st_mtime_ns, now.st_size) == (
        seen.st_dev, seen.st_ino, seen.st_mtime_ns, seen.st_size)  # fmt: skip


def _forget(seen: os.stat_result, locked: bool) -> str:
    """Remove the state file if it is still the one ``seen``; what happened, to be said."""
    path = _state_path()
    try:
        with contextlib.ExitStack() as held:
            if not locked:
                lock = held.enter_context(_open_lock(path.parent))
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    # The command holding the lock is replacing the record anyway.
                    return "the state file is left to the wic-etl command using it now"
            if not _same_file(path, seen):
                return "the state file, rewritten since, was kept"
            path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        return f"the state file could not be removed ({exc.strerror or exc})"
    return "the state file was removed"


def _recorded(say: Say, locked: bool) -> LocalServer | None:
    """The recorded server if its process is still the one recorded, else None.

    A stale or untrusted record is removed (``locked``: the caller holds the lock)
    and ``say`` is given one line about it; no process is ever signalled here.
    """
    path = _state_path()
    try:
        seen = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise WicEtlError(_home_message(path.parent, exc)) from exc
    try:
        server = _parse(_read_raw(path))
    except _Untrusted as exc:
        done = _forget(seen, locked)
        say(f"The local Prefect server state file {path} cannot be trusted ({exc}): "
            f"no process was signalled, {done}, and no server is taken to be running.")  # fmt: skip
        return None
    if server.proven():
        return server
    done = _forget(seen, locked)
    if process_alive(server.pid):
        say(f"The recorded local Prefect server (pid {server.pid}) is gone: pid "
            f"{server.pid} is now another process, which was left alone; {done}.")  # fmt: skip
    else:
        say(f"The recorded local Prefect server (pid {server.pid}) is gone; {done}.")
    return None


def _write(server: LocalServer) -> None:
    path = _state_path()
    new = path.with_name(path.name + ".new")
    with _home_errors(path.parent):
        # Whole or not at all: a Ctrl-C mid-write must not leave half a record.
        new.write_text(json.dumps(asdict(server)), "utf-8")
        os.replace(new, path)


def _remove_record() -> None:
    with _home_errors(prefect_home()):
        _state_path().unlink(missing_ok=True)


def _healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _answers(server: LocalServer) -> bool:
    # Anyone may answer on a port: the answer counts only while the process is the one recorded.
    return server.proven() and _healthy(server.url) and server.proven()


def status(say: Say = _quiet) -> LocalServer | None:
    """The recorded local server while its process runs, or None (none started, or gone).

    Its ``status``: RUNNING if it answers, STARTING while it comes up, else NOT_ANSWERING.
    """
    server = _recorded(say, locked=False)
    if server is None:
        return None
    if _answers(server):
        return replace(server, status=RUNNING)
    return server if server.status == STARTING else replace(server, status=NOT_ANSWERING)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _not_started(log: str) -> WicEtlError:
    return WicEtlError(
        f"the local Prefect server did not start (see {log}); set {SWITCH}=off to run "
        "with Prefect's temporary server, or start one yourself and set PREFECT_API_URL"
    )


def _await(server: LocalServer, proc: subprocess.Popen[bytes] | None, seconds: float) -> bool:
    """Wait for the server to answer; False if its process ends or the time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (proc is not None and proc.poll() is not None) or not server.proven():
            return False
        if _answers(server):
            return True
        time.sleep(0.3)
    return False


def _start(home: Path) -> LocalServer:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    log = home / LOG_FILE
    # Anything the user set wins over wic-etl's quiet defaults (the dashboard's switch too).
    env = {**QUIET_DEFAULTS, **os.environ, "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    # The dashboard asks its API at this address; Prefect's default (port 4200, from
    # its own settings, not --port) would be another server's or none at all.
    env.setdefault("PREFECT_UI_API_URL", url)
    prefect = Path(sys.executable).with_name("prefect")
    with _home_errors(home):
        out = log.open("ab")
    with out:
        proc = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal's Ctrl-C must not stop it
        )  # fmt: skip
    try:
        # Recorded before it is waited for: should this command die while the server
        # comes up (SIGKILL, a closed terminal), `server stop` still finds it and the
        # next command waits for it rather than start a second one on the same database.
        if (identity := _identity_after_exec(proc)) is None:
            raise _not_started(str(log))
        server = LocalServer(url=url, pid=proc.pid, home=str(home), log=str(log),
                             status=STARTING, **asdict(identity))  # fmt: skip
        _write(server)
        if not _await(server, proc, START_TIMEOUT_S):
            raise _not_started(str(log))
        server = replace(server, status=RUNNING)
        _write(server)
        return server
    except BaseException:
        # Ctrl-C (or an error) before the server answered: it is stopped, not left
        # behind. The command that wanted it is ending, nobody has been told where it
        # is, and a half-started server holds some 250 MB; the next run starts one
        # in the same 15-30 s it would spend waiting for this one. It is this call's
        # own child, so no proof is needed. Should this command be killed before the
        # end of this (Ctrl-C twice, its 5 s grace), the record written above stays
        # for `server stop` and the next command.
        _end_child(proc)
        with contextlib.suppress(OSError):
            _state_path().unlink(missing_ok=True)
        raise


def _identity_after_exec(proc: subprocess.Popen[bytes]) -> ProcessIdentity | None:
    # Popen returns once exec is past its point of no return, a moment before the
    # kernel sets up the new program's arguments: /proc shows no command line till then.
    deadline = time.monotonic() + 5
    while (identity := process_identity(proc.pid)) is None:
        if proc.poll() is not None or time.monotonic() > deadline:
            return None
        time.sleep(0.005)
    return identity


def _end_child(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    # It leads a session and so a process group of its own (start_new_session).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(INTERRUPTED_START_GRACE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def ensure(
    announce: Callable[[], None] = lambda: None, say: Say = _quiet
) -> tuple[LocalServer, bool]:
    """The local server, started if need be (``announce`` called first).

    True if it came up during this call (the caller should say where it is).
    ``say`` gets one line about a stale record or a wait.
    """
    if not _provable():
        raise WicEtlError(
            "wic-etl's local Prefect server needs Linux's /proc to tell it from other "
            "processes; start a Prefect server yourself and set PREFECT_API_URL, or set "
            f"{SWITCH}=off to run with Prefect's temporary server"
        )
    with _lock(say):
        server = _recorded(say, locked=True)
        if server is not None and server.status == STARTING:
            # Started by a command that died before it answered; coming up still.
            say(f"Waiting for the local Prefect server an earlier command started "
                f"(pid {server.pid})...")  # fmt: skip
            if not _await(server, None, START_TIMEOUT_S):
                _terminate(server)
                _remove_record()
                raise _not_started(server.log)
            server = replace(server, status=RUNNING)
            _write(server)
            return server, True
        if server is not None:
            if _await(server, None, UNANSWERED_WAIT_S):
                return server, False
            if _terminate(server):
                say(f"The local Prefect server (pid {server.pid}) did not answer at "
                    f"{server.url} for {UNANSWERED_WAIT_S:.0f} s and was stopped.")  # fmt: skip
            _remove_record()
        announce()
        return _start(prefect_home()), True


def _signal(server: LocalServer, sig: signal.Signals) -> bool:
    """Send ``sig`` to the server if it is proven to be it; False if it is gone."""
    if not server.proven():
        return False
    try:
        # Its group holds anything it started, but a pid names a group only if it leads
        # one: killpg of a pid that does not is an error or another group entirely.
        if os.getpgid(server.pid) == server.pid:
            os.killpg(server.pid, sig)
        else:
            os.kill(server.pid, sig)
    except ProcessLookupError:
        return False
    except PermissionError as exc:
        raise WicEtlError(
            f"the local Prefect server (pid {server.pid}) belongs to another user and cannot "
            f"be stopped by this one ({exc.strerror})"
        ) from exc
    return True


def _terminate(server: LocalServer, grace: float = STOP_GRACE_S) -> bool:
    """SIGTERM, then SIGKILL after ``grace``, to the proven server; False if already gone."""
    if not _signal(server, signal.SIGTERM):
        return False
    deadline = time.monotonic() + grace
    while server.proven() and time.monotonic() < deadline:
        time.sleep(0.1)
        _reap(server.pid)
    _signal(server, signal.SIGKILL)
    # Exited is not yet gone: until its parent (init, once its starter has exited)
    # collects it, the pid is a zombie that `kill -0` still finds.
    deadline = time.monotonic() + 2
    while process_alive(server.pid) and process_identity(server.pid) is None:
        _reap(server.pid)
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    return True


def stop(say: Say = _quiet) -> LocalServer | None:
    """Stop the local server; the one stopped, or None if none was running.

    ``say`` gets one line about a stale record (removed, nothing signalled).
    """
    if _recorded(say, locked=False) is None:
        return None  # and no lock needed: a read-only PREFECT_HOME can say so too
    with _lock(say):
        # Read again: it may have changed hands while this waited for the lock.
        if (server := _recorded(say, locked=True)) is None:
            return None
        _terminate(server)
        _remove_record()
        return server


def _reap(pid: int) -> None:
    # Only a child of this process (the one that started it) leaves a zombie to collect.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
