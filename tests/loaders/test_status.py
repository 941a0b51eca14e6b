"""What ``wic-etl status`` reads of the runs: ordinary counters, and the changes apart."""

from __future__ import annotations

from core.accounting import RunCounts
from loaders.schema import open_database
from loaders.status import connect_read_only, last_runs
from tests.conftest import store_of


def test_the_counters_of_changes_come_apart_and_only_where_not_zero(tmp_path):
    db = open_database(tmp_path / "wic.db")
    store = store_of(db)
    for run, counts in (
        ("run-1", RunCounts(pages=3, new=3)),
        ("run-2", RunCounts(pages=2, updated=2, edited=1, minor=1, not_modified=4)),
    ):
        store.start_run(run, "ingest", ["x"])
        store.finish_run(run, counts, "completed")
    stored = db.execute("select edited, minor, restored, removed, not_modified from runs "
                        "order by started").fetchall()  # fmt: skip
    assert stored == [(0, 0, 0, 0, 0), (1, 1, 0, 0, 4)]  # every column written, zeros too
    db.close()
    conn = connect_read_only(tmp_path / "wic.db")
    second, first = last_runs(conn, 5)
    conn.close()
    assert list(first.counts) == ["pages", "new", "updated", "unchanged", "failed", "listings",
                                  "skipped"]  # fmt: skip
    assert list(second.counts) == list(first.counts)  # the table status prints, as before
    assert (first.changes, second.changes) == ({}, {"edited": 1, "minor": 1, "not_modified": 4})
