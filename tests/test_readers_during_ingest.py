"""A person querying the database with the sqlite3 command line while a long ingest runs."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from sqlite_utils import Database

from tests.conftest import BIN, ROOT
from tests.corpus import make_corpus

PAGES = 3000


@pytest.mark.slow
def test_readers_polling_during_a_3000_page_ingest(tmp_path, prefect_api):
    sqlite = shutil.which("sqlite3")
    if sqlite is None:
        pytest.fail("the sqlite3 command line is missing: `make setup` installs it")
    pages = make_corpus(tmp_path / "pages", PAGES)
    db_path = tmp_path / "wic.db"
    ingest = subprocess.Popen(
        [str(BIN / "wic-etl"), "ingest", str(pages), "--db", str(db_path), "--batch-size", "250"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen: list[int] = []
    while ingest.poll() is None:
        if db_path.exists():
            # Each poll is a whole process: open, read, close, exactly what once made
            # SQLite delete the run's WAL (and lose its later writes).
            done = subprocess.run(
                [sqlite, "-cmd", ".timeout 5000", str(db_path), "select count(*) from articles"],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            if done.returncode == 0 and done.stdout.strip():
                seen.append(int(done.stdout.strip()))
        time.sleep(0.2)
    out, err = ingest.communicate()
    assert ingest.returncode == 0, out + err
    db = Database(db_path)
    assert db["articles"].count == PAGES
    assert db["failures"].count == 0
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    # The readers saw batches land one transaction at a time, never going back.
    assert seen == sorted(seen)
    partial = {n for n in seen if 0 < n < PAGES}
    assert len(partial) >= 2, seen
    assert all(n % 250 == 0 for n in partial), seen
