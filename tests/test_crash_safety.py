"""SIGKILL in the middle of loading: the database stays whole and a re-run completes exactly."""

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from tests.conftest import BIN, ROOT
from tests.corpus import make_corpus

# Whole flow runs against a real Prefect server: `pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow

PAGES = 400


def articles_so_far(db_path) -> int:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.Error:
        return 0  # not created yet, or the schema is being written


def check_whole(db_path) -> None:
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        # Every article has all of its rows: ten organizers, its images (one on the HTML
        # pages, which have an address; two on the text saves), its boilerplate, its
        # page; none is half written.
        incomplete = conn.execute(
            """select a.id from articles a
               where (select count(*) from article_organizers o where o.article_id = a.id) != 10
                  or (select count(*) from images i where i.article_id = a.id)
                     != (case when a.url is null then 2 else 1 end)
                  or (select count(*) from removed_lines r where r.article_id = a.id) < 8
                  or (select count(*) from pages p where p.article_id = a.id) != 1"""
        ).fetchall()
        assert incomplete == []


def start_ingest_and_wait(
    pages, db_path, articles: int
) -> tuple[subprocess.Popen[bytes], list[str]]:
    """An ingest in a session of its own, once it has loaded ``articles`` articles."""
    command = [str(BIN / "wic-etl"), "ingest", str(pages), "--db", str(db_path),
               "--batch-size", "20"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 300
    while articles_so_far(db_path) < articles and proc.poll() is None:
        assert time.monotonic() < deadline, "the ingest made no progress"
        time.sleep(0.02)
    return proc, command


@pytest.mark.parametrize("kill_after", [1, 120, 260])
def test_sigkill_mid_load_leaves_a_whole_database_and_a_rerun_completes(
    tmp_path, kill_after, prefect_api
):
    pages = make_corpus(tmp_path / "pages", PAGES)
    db_path = tmp_path / "wic.db"
    proc, command = start_ingest_and_wait(pages, db_path, kill_after)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    loaded = articles_so_far(db_path)
    assert kill_after <= loaded < PAGES, "the kill did not land in the middle of loading"
    check_whole(db_path)

    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    check_whole(db_path)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from articles").fetchone() == (PAGES,)
        assert conn.execute("select count(*) from pages").fetchone() == (PAGES,)
        assert conn.execute("select count(*) from failures").fetchone() == (0,)
        last = conn.execute(
            "select new, unchanged, failed from runs order by started desc limit 1"
        ).fetchone()
    assert last == (PAGES - loaded, loaded, 0)
