"""The extraction pool outlives its workers, and says rightly why a page failed."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from core.records import Failed, RawPage
from flows import limits
from flows.workers import ExtractionPool
from loaders.store import Store
from tests.conftest import SAVED, run_cli

PAGES = [
    str(SAVED / "html" / "cd_panda_cubs.html"),
    str(SAVED / "html" / "cd_battery_recycling.html"),
]


def _forkserver_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def _db(tmp_path: Path) -> str:
    db = str(tmp_path / "wic.db")
    Store.open(db).close()
    return db


def test_a_worker_killed_while_idle_does_not_break_the_pool(tmp_path):
    # Found in review: Pebble takes a worker that dies with no task for a broken pool,
    # which then refuses every task; the OOM killer picks the fattest process, busy or not.
    db = _db(tmp_path)
    pool = ExtractionPool(1)
    try:
        _, pid = pool.extract_batch(db, PAGES)
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        for _ in range(2):
            batch, _ = pool.extract_batch(db, PAGES)
            assert [type(o).__name__ for o in batch.outcomes] == ["Extracted", "Extracted"]
    finally:
        pool.shutdown(wait=False)


def test_a_killed_forkserver_does_not_break_the_pool(tmp_path):
    db = _db(tmp_path)
    pool = ExtractionPool(2)
    try:
        _, pid = pool.extract_batch(db, PAGES)
        os.kill(_forkserver_of(pid), signal.SIGKILL)  # and with it every idle worker
        time.sleep(0.5)
        batch, _ = pool.extract_batch(db, PAGES)
        assert [type(o).__name__ for o in batch.outcomes] == ["Extracted", "Extracted"]
    finally:
        pool.shutdown(wait=False)


def test_what_the_writer_needs_is_computed_under_the_guard():
    # Found in review: the search index's Chinese words were computed after the page's
    # deadline and outside its memory guard; a MemoryError there lost the whole batch.
    page = RawPage(PAGES[0], Path(PAGES[0]).read_bytes())

    def finish(outcome):  # type: ignore[no-untyped-def]
        raise MemoryError

    outcome = limits.guarded_extract(page, finish)
    assert isinstance(outcome, Failed) and "MB of memory" in outcome.message
    assert outcome.page is page  # its bytes are kept


def test_a_small_page_after_a_big_one_is_not_blamed_for_memory(monkeypatch):
    # Found in review: the process's peak (VmPeak) is its life's; a big page that
    # succeeded near the cap made the next ordinary failure read "needed more than the
    # ... MB". The peak here is the kernel's figure as such a page leaves it.
    cap = 2 * 1024**3
    monkeypatch.setattr(limits, "_cap", cap)
    monkeypatch.setattr(limits, "_spent", False)
    monkeypatch.setattr(limits, "_peak", lambda: cap - 1024**2)
    big = RawPage(PAGES[0], Path(PAGES[0]).read_bytes())

    def long_work(outcome):  # type: ignore[no-untyped-def]
        started = time.process_time()
        while time.process_time() - started < 0.05:  # the CPU a page of hundreds of MB takes
            pass
        return outcome

    assert not isinstance(limits.guarded_extract(big, long_work), Failed)
    small = limits.guarded_extract(RawPage("/x/small.html", b"<html><body><p>hi</p></body></html>"))
    assert isinstance(small, Failed) and "unknown layout" in small.message, small.message


def test_too_little_memory_is_a_usage_error(tmp_path):
    result = run_cli("ingest", PAGES[0], "--db", str(tmp_path / "wic.db"), "--max-memory", "0")
    assert result.returncode == 2
    assert "--max-memory" in result.stderr and "64 or more" in result.stderr
