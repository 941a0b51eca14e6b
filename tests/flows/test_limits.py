"""One page cannot hang, kill or outlive a run: deadline, memory cap, dead workers, leftovers.

Each hostile page is a real file beside good saved pages, run through the installed
command as a user would; the run must end within a bound, load the good pages,
record the hostile one as a failure that says why, and leave no process behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.conftest import BIN, ROOT, SAVED, gold, run_cli
from tests.site_server import FixtureSite

pytestmark = pytest.mark.slow

GOOD = [SAVED / "html" / "chinadaily_en_ai_rules.html", SAVED / "text" / "wic_text_volunteers.txt"]
GOOD_IDS = {record["article"]["id"] for page in GOOD for record in gold(page)}


def many_attributes() -> bytes:
    """One tag with 100,000 attributes: libxml2 takes minutes (quadratic in them)."""
    attributes = " ".join(f'a{i}="{i}"' for i in range(100_000))
    return f"<html><body><div {attributes}>x</div></body></html>".encode()


def big_table() -> bytes:
    """A 9.5 MB table of 500,000 rows: 1.5 GB of memory to extract, unbounded."""
    return b"<html><body><table>" + b"<tr><td>a</td></tr>" * 500_000 + b"</table></body></html>"


def folder_with(tmp_path: Path, name: str, body: bytes) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for page in GOOD:
        shutil.copy(page, folder / page.name)
    (folder / name).write_bytes(body)
    return folder


def check_alone(db_path: Path, hostile: str, words: str) -> None:
    db = Database(db_path)
    assert {row["id"] for row in db["articles"].rows} == GOOD_IDS
    (failure,) = db["failures"].rows
    assert failure["source"] == hostile and failure["stage"] == "extract", failure
    assert words in failure["message"], failure["message"]
    assert failure["page_sha256"], "the page's raw bytes are kept"
    (run,) = db["runs"].rows
    assert run["status"] == "completed with failures" and run["new"] == len(GOOD_IDS), run


def test_a_page_past_its_deadline_fails_alone(tmp_path):
    folder = folder_with(tmp_path, "attributes.html", many_attributes())
    started = time.monotonic()
    result = run_cli("ingest", str(folder), "--db", str(tmp_path / "wic.db"),
                     "--page-deadline", "2", timeout=120)  # fmt: skip
    assert time.monotonic() - started < 60
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    check_alone(tmp_path / "wic.db", str(folder / "attributes.html"), "longer than 2 s")


def test_a_page_over_the_memory_cap_fails_alone(tmp_path):
    folder = folder_with(tmp_path, "table.html", big_table())
    result = run_cli("ingest", str(folder), "--db", str(tmp_path / "wic.db"),
                     "--max-memory", "300", "--page-deadline", "120", timeout=240)  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    check_alone(tmp_path / "wic.db", str(folder / "table.html"), "more than the 300 MB")


def _children(pid: int) -> set[int]:
    """Every process descended from ``pid``."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            child = int(entry.name)
            found |= {child} | _children(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _workers(pid: int) -> set[int]:
    """The command's extraction processes: the forks of its forkserver."""
    servers = {p for p in _children(pid) if "forkserver" in _cmdline(p)}
    return {w for server in servers for w in _children(server)}


def _busy_worker(pid: int, seconds: float, not_these: set[int] = frozenset()) -> int:  # type: ignore[assignment]
    """A worker of the command that has spent a second of CPU on its page."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        busy = [w for w in _workers(pid) - not_these if _cpu_ticks(w) > 150]
        if busy:
            return busy[0]
        time.sleep(0.2)
    raise AssertionError("no extraction process of the command got busy")


def _start(tmp_path: Path, folder: Path, *extra: str) -> subprocess.Popen[str]:
    from tests.conftest import ensure_prefect_server

    ensure_prefect_server()
    return subprocess.Popen(
        [str(BIN / "wic-etl"), "ingest", str(folder), "--db", str(tmp_path / "wic.db"), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "COLUMNS": "250", "NO_COLOR": "1"},
    )  # fmt: skip


def test_a_killed_worker_fails_its_page_alone_and_the_run_goes_on(tmp_path):
    # As the kernel's OOM killer would: SIGKILL to the worker on the hostile page.
    folder = folder_with(tmp_path, "attributes.html", many_attributes())
    proc = _start(tmp_path, folder, "--page-deadline", "600", "--workers", "1")
    first = _busy_worker(proc.pid, 60)
    os.kill(first, signal.SIGKILL)
    # The page is tried alone once more: killed there too, it is the page's failure.
    os.kill(_busy_worker(proc.pid, 60, {first}), signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, out + err
    assert "Traceback" not in err and "BrokenProcessPool" not in out + err
    check_alone(tmp_path / "wic.db", str(folder / "attributes.html"), "died on it (SIGKILL")


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def test_sigkill_of_the_command_leaves_no_process_behind(tmp_path):
    folder = folder_with(tmp_path, "attributes.html", many_attributes())
    proc = _start(tmp_path, folder, "--page-deadline", "600")
    _busy_worker(proc.pid, 60)
    pool = _workers(proc.pid) | {p for p in _children(proc.pid) if "forkserver" in _cmdline(p)}
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(p) for p in pool):
        time.sleep(0.2)
    assert not [p for p in pool if _alive(p)], [_cmdline(p) for p in pool if _alive(p)]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_crawled_page_past_its_deadline_fails_alone_and_the_crawl_ends(tmp_path):
    hostile = "/a/202401/01/WS0000000000000000000000.html"
    with FixtureSite(extra={hostile: (many_attributes(), "text/html")}) as site:
        started = time.monotonic()
        result = run_cli("ingest", site.url(hostile), "--db", str(tmp_path / "wic.db"),
                         "--allow-host", "127.0.0.1", "--page-deadline", "2",
                         timeout=120)  # fmt: skip
    assert time.monotonic() - started < 60
    assert result.returncode == 1, result.stdout + result.stderr
    (failure,) = Database(tmp_path / "wic.db")["failures"].rows
    assert failure["stage"] == "extract" and "longer than 2 s" in failure["message"], failure
