"""Worker processes: the extraction leaves the flow's process, the database does not change."""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import replace

import httpx
import pytest

from core.records import Extracted, Outcome
from flows.batch import extract_batch, extract_batch_in_worker
from flows.ingest import ingest
from flows.workers import worker_pool
from loaders.search import search_row
from loaders.store import Store
from tests.conftest import BAD, SAVED
from tests.flows.test_dask import contents


def _as_sent_to_the_writer(outcome: Outcome) -> Outcome:
    """What a worker sends: no decoded text; an article with its search-index columns."""
    if isinstance(outcome, Extracted) and not outcome.article.is_part:
        outcome = replace(outcome, search=search_row(outcome.article.title, outcome.article.body))
    if outcome.document is None:
        return outcome
    return replace(outcome, document=replace(outcome.document, text=""))  # type: ignore[type-var]


def _files() -> list[str]:
    return sorted(str(p) for folder in (SAVED, BAD) for p in folder.rglob("*") if p.is_file())


def test_worker_processes_are_not_forked_from_the_flow(tmp_path):
    # A fork would copy the run's open SQLite connection and Prefect's threads.
    with worker_pool(2) as pool:
        assert pool._mp_context.get_start_method() != "fork"
        pids = {pool.submit(os.getpid).result() for _ in range(4)}
    assert os.getpid() not in pids


def test_a_worker_extracts_what_the_flow_process_extracts(tmp_path):
    db = str(tmp_path / "wic.db")
    Store.open(db).close()
    files = _files()
    here = extract_batch(db, files)
    with worker_pool(2) as pool:
        there, pid = pool.submit(extract_batch_in_worker, db, files).result()
    assert pid != os.getpid()
    assert there.outcomes and all(
        o.document is None or o.document.text == "" for o in there.outcomes
    )  # the writer never reads the decoded text: it stays in the worker
    assert there == replace(here, outcomes=[_as_sent_to_the_writer(o) for o in here.outcomes])
    # Chinese word segmentation, the writer's dearest share, was done in the worker.
    chinese = [o for o in there.outcomes if isinstance(o, Extracted) and o.article.language == "zh"]
    assert chinese and all(o.search and o.search[2] for o in chinese)
    assert any(isinstance(o, Extracted) for o in there.outcomes)
    # The writer's share was computed in the worker and travelled with the article.
    article = next(o.article for o in there.outcomes if isinstance(o, Extracted))
    assert {
        "fingerprint",
        "word_count",
        "content_sha256",
        "record_sha256",
    } <= article.__dict__.keys()


@pytest.mark.slow
def test_worker_processes_give_the_same_database_as_the_flow_process(tmp_path, prefect_api):
    sources = [str(SAVED), str(BAD)]
    alone, pooled = str(tmp_path / "alone.db"), str(tmp_path / "pooled.db")
    plain = ingest(sources=sources, db=alone, batch_size=5, workers=1)
    scaled = ingest(sources=sources, db=pooled, batch_size=5, workers=2)
    assert scaled.counts.as_row() == plain.counts.as_row()
    assert plain.counts.failed > 0 and plain.counts.new > 20
    assert contents(pooled) == contents(alone)
    with sqlite3.connect(pooled) as conn:
        assert conn.execute("select count(*) from articles").fetchone()[0] > 20
    # The extraction ran in the two worker processes, not in the flow's. Run logs reach
    # the server in the background: wait for them a little.
    pids: set[int] = set()
    deadline = time.monotonic() + 30
    while len(pids) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        logs = httpx.post(f"{prefect_api}/logs/filter", timeout=30, json={
            "logs": {"flow_run_id": {"any_": [scaled.run_id]}}, "limit": 200,
        }).json()  # fmt: skip
        pids = {int(m.split(" in process ")[1].split()[0])
                for m in (log["message"] for log in logs) if " in process " in m}  # fmt: skip
    assert len(pids) == 2 and os.getpid() not in pids


@pytest.mark.slow
def test_a_head_start_gives_the_same_database_and_the_flow_uses_its_batches(
    tmp_path, prefect_api, monkeypatch
):
    import flows.ingest
    from core.settings import DEFAULTS
    from flows import workers
    from flows.settled import files_to_read
    from readers.sources import expand_sources

    sources = [str(SAVED), str(BAD)]
    without, ahead = str(tmp_path / "without.db"), str(tmp_path / "ahead.db")
    plain = ingest(sources=sources, db=without, batch_size=5, workers=2)
    # What `wic-etl ingest` does before it imports Prefect.
    Store.open(ahead).close()
    files = files_to_read(ahead, expand_sources(sources).files)
    workers.start_ahead(ahead, files, 5, 2, DEFAULTS.max_bytes)
    claimed: list[bool] = []
    real_claim = flows.ingest.claim

    def spy(db: str, paths: list[str], max_bytes: int):  # type: ignore[no-untyped-def]
        started = real_claim(db, paths, max_bytes)
        claimed.append(started is not None)
        return started

    monkeypatch.setattr(flows.ingest, "claim", spy)
    try:
        headed = ingest(sources=sources, db=ahead, batch_size=5, workers=2)
    finally:
        workers.release()
    # The first batches (one per worker and one more) were the ones started ahead.
    assert claimed[:3] == [True, True, True] and not any(claimed[3:])
    assert headed.counts.as_row() == plain.counts.as_row()
    assert contents(ahead) == contents(without)
