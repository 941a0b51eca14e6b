"""How a run ends when it does not end well: Ctrl-C, a kill, a full disk, a read-only file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from tests.conftest import BIN, ROOT, SAVED, run_cli
from tests.corpus import make_corpus
from tests.test_crash_safety import articles_so_far, check_whole, start_ingest_and_wait

# Whole flow runs against a real Prefect server: `pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow


def _statuses(db_path) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        return [row[0] for row in conn.execute("select status from runs order by started")]


def test_ctrl_c_without_a_prefect_server_exits_130_at_once_keeping_loaded_batches(tmp_path):
    pages = make_corpus(tmp_path / "pages", 3000)
    db_path = tmp_path / "wic.db"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    # Prefect's temporary in-run server, the worst case: the same Ctrl-C stops it too.
    env |= {"PREFECT_HOME": str(tmp_path / "prefect-home"), "WIC_ETL_LOCAL_SERVER": "off"}
    # A session of its own, signalled as a whole: a terminal's Ctrl-C reaches every
    # process in the foreground group, Prefect's temporary server included.
    proc = subprocess.Popen(
        [str(BIN / "wic-etl"), "ingest", str(pages), "--db", str(db_path), "--batch-size", "50"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while articles_so_far(db_path) < 100 and proc.poll() is None:
        assert time.monotonic() < deadline, "the ingest made no progress"
        time.sleep(0.05)
    interrupted = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    took = time.monotonic() - interrupted
    assert proc.returncode == 130, out + err
    assert took < 10, f"exit took {took:.1f} s after Ctrl-C"
    assert "interrupted" in err and "Traceback" not in err
    loaded = articles_so_far(db_path)
    assert 100 <= loaded < 3000
    check_whole(db_path)
    assert _statuses(db_path) == ["interrupted"]


def test_a_killed_run_is_marked_interrupted_by_the_next_run(tmp_path, prefect_api):
    pages = make_corpus(tmp_path / "pages", 400)
    db_path = tmp_path / "wic.db"
    proc, _ = start_ingest_and_wait(pages, db_path, 20)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _statuses(db_path) == ["running"]  # nobody was left to say otherwise

    again = run_cli("ingest", str(SAVED), "--db", str(db_path))
    assert again.returncode == 0, again.stdout + again.stderr
    assert _statuses(db_path) == ["interrupted", "completed"]


@pytest.fixture
def small_disk(tmp_path):
    """A real file system of 4 MB (tmpfs), mounted for the test: a disk that fills up."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if made.returncode != 0:
        pytest.fail(f"this test mounts a 4 MB tmpfs and needs root to: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_named_as_such(tmp_path, small_disk, prefect_api):
    pages = make_corpus(tmp_path / "pages", 400)  # about 8 MB of raw pages to keep
    db_path = small_disk / "wic.db"
    result = run_cli("ingest", str(pages), "--db", str(db_path), "--batch-size", "20")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "disk" in result.stderr and "full" in result.stderr
    assert "free" in result.stderr and "unexpected" not in result.stderr
    assert "Traceback" not in result.stderr
    loaded = articles_so_far(db_path)
    assert 0 < loaded < 400
    check_whole(db_path)


def test_a_read_only_database_says_what_is_wrong(tmp_path, small_disk, prefect_api):
    db_path = small_disk / "wic.db"
    first = run_cli("ingest", str(SAVED / "text"), "--db", str(db_path))
    assert first.returncode == 0, first.stdout + first.stderr
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = run_cli("ingest", str(SAVED / "text"), "--db", str(db_path))
    assert result.returncode == 2
    said = " ".join(result.stderr.split())
    assert "cannot be written" in said and "Read-only file system" in said
    assert "writable" in said and "new file name" not in said


def test_ctrl_c_during_the_head_start_prints_no_traceback(tmp_path, prefect_api):
    # Found in review: the forkserver, still importing the extraction code, and a worker
    # forked as the command exited, each printed a traceback under the command's message.
    pages = make_corpus(tmp_path / "pages", 400)
    for n, delay in enumerate((0.5, 0.7, 0.9, 1.1, 1.3)):
        db_path = tmp_path / f"wic-{n}.db"
        proc = subprocess.Popen(
            [str(BIN / "wic-etl"), "ingest", str(pages), "--db", str(db_path)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C: the whole group
        out, err = proc.communicate(timeout=60)
        if proc.returncode == 0:
            continue  # done before the signal: nothing to see
        assert proc.returncode == 130, out + err
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, (delay, err)


CTRL_C_WHILE_SERIALIZING = """
import signal
import sys

from pydantic import BaseModel, model_serializer

import wic_etl.cli.commands.status as status
from wic_etl.cli import main


class Run(BaseModel):
    name: str

    @model_serializer(mode="wrap")
    def _ser_model(self, handler):  # as Prefect's models serialize themselves
        signal.raise_signal(signal.SIGINT)  # Ctrl-C lands while one is serialized
        return handler(self)


def handler(args, console):
    Run(name="x").model_dump_json()
    return 0


status.run_status = handler
sys.exit(main(["status", "--db", sys.argv[1]]))
"""


def test_ctrl_c_that_a_library_wraps_in_its_own_error_is_still_an_interruption(tmp_path):
    # Found by CI: Ctrl-C while Prefect's pydantic models were serialized came out as a
    # PydanticSerializationError, and the command said "unexpected" and exited 3.
    proc = subprocess.run(
        [str(BIN / "python"), "-c", CTRL_C_WHILE_SERIALIZING, str(tmp_path / "wic.db")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 130, proc.stderr
    assert "wic-etl: interrupted" in proc.stderr
    assert "unexpected" not in proc.stderr and "Traceback" not in proc.stderr
