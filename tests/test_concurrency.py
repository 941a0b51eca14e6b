"""Two ingests into one database at once: no 'database is locked', nothing lost or doubled."""

import subprocess

import pytest
from sqlite_utils import Database

from tests.conftest import BIN, ROOT
from tests.corpus import make_corpus

# Whole flow runs against a real Prefect server: `pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow


def test_two_ingests_at_once_into_a_new_database(tmp_path, prefect_api):
    pages = make_corpus(tmp_path / "pages", 240)
    db_path = tmp_path / "wic.db"
    # Both runs overlap on every page, and both start on a database that does not exist yet.
    procs = [
        subprocess.Popen(
            [
                str(BIN / "wic-etl"),
                "ingest",
                str(pages),
                "--db",
                str(db_path),
                "--batch-size",
                "20",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [proc.communicate(timeout=600) for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, out + err
        assert "locked" not in out + err
    db = Database(db_path)
    assert db["articles"].count == 240
    assert db["pages"].count == 240
    assert db["failures"].count == 0
    assert db["article_organizers"].count == 240 * 10
    assert db["organizers"].count == 10
    runs = list(db.query("select new, unchanged, failed from runs"))
    assert len(runs) == 2
    assert sum(r["new"] for r in runs) == 240  # each article was new exactly once
    assert sum(r["new"] + r["unchanged"] for r in runs) == 480
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
