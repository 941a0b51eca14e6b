"""Scale-out: the ingest flow with its extraction on a 2-worker Dask LocalCluster."""

from __future__ import annotations

import os
import sqlite3
import time

import httpx
import pytest

from flows.ingest import ingest
from tests.conftest import BAD, SAVED

# Whole flow runs against a real Prefect server: `pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow

# Columns that record when or by which run a row was written: they differ between
# any two runs. Everything else must be identical.
VOLATILE = {"first_run", "last_changed_run", "read_at", "run_id", "failed_at", "id"}
TABLES = ("articles", "images", "organizers", "article_organizers", "removed_lines",
          "article_parts", "listing_links", "pages", "failures", "articles_search")  # fmt: skip


def contents(db: str) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as conn:
        out = {}
        for table in TABLES:
            columns = [r[1] for r in conn.execute(f"pragma table_info({table})")]
            # ids are data in articles and organizers, row numbers elsewhere
            data_ids = table in ("articles", "organizers")
            keep = [c for c in columns if c not in VOLATILE or (c == "id" and data_ids)]
            rows = conn.execute(f"select {', '.join(keep)} from {table} order by rowid")
            out[table] = rows.fetchall()
        return out


def extraction_pids(prefect_api: str, run_id: str, expected: int) -> set[int]:
    """The processes a run's extract-batch tasks logged they ran in.

    Run logs reach the server in the background: asked again for up to 30 s while
    fewer than ``expected`` are there.
    """
    pids: set[int] = set()
    deadline = time.monotonic() + 30
    while len(pids) < expected and time.monotonic() < deadline:
        logs = httpx.post(f"{prefect_api}/logs/filter", timeout=30, json={
            "logs": {"flow_run_id": {"any_": [run_id]}}, "limit": 200,
        }).json()  # fmt: skip
        pids = {int(m.split(" in process ")[1].split()[0])
                for m in (log["message"] for log in logs) if " in process " in m}  # fmt: skip
        if len(pids) < expected:
            time.sleep(0.5)
    return pids


def test_a_2_worker_dask_cluster_gives_the_same_database_as_the_default_runner(
    tmp_path, prefect_api
):
    sources = [str(SAVED), str(BAD)]
    default, on_dask = str(tmp_path / "default.db"), str(tmp_path / "dask.db")
    plain = ingest(sources=sources, db=default, batch_size=5)
    scaled = ingest(sources=sources, db=on_dask, batch_size=5, dask="local:2")
    assert scaled.counts.as_row() == plain.counts.as_row()
    assert plain.counts.failed > 0 and plain.counts.new > 20
    assert contents(on_dask) == contents(default)
    # The extraction ran in two worker processes, not in this one.
    pids = extraction_pids(prefect_api, scaled.run_id, 2)
    assert len(pids) == 2 and os.getpid() not in pids
