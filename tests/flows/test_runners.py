"""Worker processes: the extraction leaves the flow's process, the database does not change."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from dataclasses import replace

import pytest
from sqlite_utils import Database

import flows.ingest
from core.accounting import RunSummary
from core.records import Extracted, Outcome
from core.settings import DEFAULTS
from flows import workers
from flows.batch import CHANGE_MARGIN_S, extract_batch
from flows.ingest import ingest
from flows.workers import ExtractionPool
from loaders.raw_pages import stored_raw_page
from loaders.search import search_row
from loaders.store import Store
from tests.conftest import BAD, SAVED
from tests.flows.test_dask import contents, extraction_pids


def _as_sent_to_the_writer(outcome: Outcome) -> Outcome:
    """What a worker sends: no decoded text; an article with its search-index columns."""
    if isinstance(outcome, Extracted) and not outcome.article.is_part:
        outcome = replace(outcome, search=search_row(outcome.article.title, outcome.article.body))
    if outcome.document is None:
        return outcome
    return replace(outcome, document=replace(outcome.document, text=""))  # type: ignore[type-var]


def _unstamped(outcome: Outcome) -> Outcome:
    """The outcome without its file's stamp, which holds the time of the read."""
    if outcome.page is None or outcome.page.file is None:
        return outcome
    return replace(outcome, page=replace(outcome.page, file=None))  # type: ignore[type-var]


def _files() -> list[str]:
    return sorted(str(p) for folder in (SAVED, BAD) for p in folder.rglob("*") if p.is_file())


def test_worker_processes_are_not_forked_from_the_flow(tmp_path):
    # A fork would copy the run's open SQLite connection and Prefect's threads: the
    # workers are forks of a forkserver, not children of this process.
    db = str(tmp_path / "wic.db")
    Store.open(db).close()
    with ExtractionPool(2) as pool:
        pids = {pool.extract_batch(db, _files()[:2])[1] for _ in range(4)}
        parents = {_parent_of(pid) for pid in pids}
    assert os.getpid() not in pids
    assert os.getpid() not in parents


def _parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def test_a_worker_extracts_what_the_flow_process_extracts(tmp_path):
    db = str(tmp_path / "wic.db")
    Store.open(db).close()
    files = _files()
    here = extract_batch(db, files)
    with ExtractionPool(2) as pool:
        there, pid = pool.extract_batch(db, files)
    assert pid != os.getpid()
    assert there.outcomes and all(
        o.document is None or o.document.text == "" for o in there.outcomes
    )  # the writer never reads the decoded text: it stays in the worker
    # The same files with the same stamps, but the time of each read.
    assert [(f.path, f.sha256, replace(f.stamp, read_ns=0)) for f in there.files] == [
        (f.path, f.sha256, replace(f.stamp, read_ns=0)) for f in here.files
    ]
    assert [_unstamped(o) for o in there.outcomes] == [
        _unstamped(_as_sent_to_the_writer(o)) for o in here.outcomes
    ]
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
    # The extraction ran in the two worker processes, not in the flow's.
    pids = extraction_pids(prefect_api, scaled.run_id, 2)
    assert len(pids) == 2 and os.getpid() not in pids


def _head_started_ingest(
    sources: list[str], db: str, batch_size: int, monkeypatch, between=None
) -> tuple[RunSummary, list[bool]]:  # type: ignore[no-untyped-def]
    """What `wic-etl ingest` does: a head start before Prefect, then the flow; and, for
    each of the flow's batches in order, whether it was collected from the head start."""
    from flows.batch import chunks
    from flows.settled import files_to_read
    from readers.sources import expand_sources

    def to_read() -> list[str]:
        with Store.open(db) as store:
            return files_to_read(store, expand_sources(sources).files)

    workers.start_ahead(db, to_read(), batch_size, 2, DEFAULTS.max_bytes)
    # By batch: the tasks run in threads, and claim in whatever order they get to it.
    claimed: dict[tuple[str, ...], bool] = {}
    real_claim = flows.ingest.claim

    def spy(db: str, paths: list[str], max_bytes: int):  # type: ignore[no-untyped-def]
        started = real_claim(db, paths, max_bytes)
        claimed[tuple(paths)] = started is not None
        return started

    monkeypatch.setattr(flows.ingest, "claim", spy)
    try:
        if between is not None:
            between()  # what happens while Prefect is imported
        batches = list(chunks(to_read(), batch_size))  # the flow's, as it will make them
        summary = ingest(sources=sources, db=db, batch_size=batch_size, workers=2)
        return summary, [claimed[tuple(batch)] for batch in batches]
    finally:
        workers.release()


@pytest.mark.slow
def test_a_head_start_gives_the_same_database_and_the_flow_uses_its_batches(
    tmp_path, prefect_api, monkeypatch
):
    sources = [str(SAVED), str(BAD)]
    without, ahead = str(tmp_path / "without.db"), str(tmp_path / "ahead.db")
    plain = ingest(sources=sources, db=without, batch_size=5, workers=2)
    headed, claimed = _head_started_ingest(sources, ahead, 5, monkeypatch)
    # The first batches (one per worker and one more) were the ones started ahead.
    assert claimed[:3] == [True, True, True] and not any(claimed[3:])
    assert headed.counts.as_row() == plain.counts.as_row()
    assert contents(ahead) == contents(without)


def _saved_copies(folder, names: list[str]):  # type: ignore[no-untyped-def]
    folder.mkdir()
    for name in names:
        shutil.copy(SAVED / "html" / name, folder / name)
    time.sleep(CHANGE_MARGIN_S + 0.2)  # written well before the run, as saved pages are


@pytest.mark.slow
def test_a_file_written_after_the_head_start_read_it_is_read_again(
    tmp_path, prefect_api, monkeypatch
):
    # Found in review: the head start reads files before the run is recorded as
    # started, so an edit in between was stored as the old bytes, and every later
    # run took the file as unchanged. The run keeps what it read; the stamp it
    # recorded is the file's before the edit, so the next run reads the edit.
    folder = tmp_path / "pages"
    _saved_copies(folder, ["cd_battery_recycling.html", "cd_panda_cubs.html"])
    edited = folder / "cd_panda_cubs.html"
    new_bytes = edited.read_bytes().replace(b"panda", b"PANDA")

    def edit_after_the_read() -> None:
        assert workers._ahead is not None
        for future in workers._ahead.batches.values():
            future.result(timeout=60)  # both files read
        edited.write_bytes(new_bytes)  # same size: only the ctime tells

    db = str(tmp_path / "wic.db")
    _, claimed = _head_started_ingest([str(folder)], db, 1, monkeypatch, edit_after_the_read)
    assert claimed == [True, True]
    again = ingest(sources=[str(folder)], db=db, batch_size=1, workers=2)
    assert again.counts.updated == 1 and again.counts.unchanged == 1
    with sqlite3.connect(db) as conn:
        (sha,) = conn.execute(
            "select sha256 from pages join saved_files f on f.page_sha256 = pages.sha256 "
            "where f.path = ?", [str(edited)],
        ).fetchone()  # fmt: skip
    assert stored_raw_page(Database(db), sha) == new_bytes


@pytest.mark.slow
def test_head_start_batches_are_dropped_when_the_run_reads_other_files(
    tmp_path, prefect_api, monkeypatch
):
    folder = tmp_path / "pages"
    _saved_copies(folder, ["cd_battery_recycling.html", "cd_legacy_high_speed.html",
                           "cd_legacy_smog_alert.html", "cd_panda_cubs.html"])  # fmt: skip
    held: list[int] = []

    def a_file_arrives() -> None:
        shutil.copy(SAVED / "html" / "chinadaily_en_ai_rules.html", folder / "a_first.html")
        real_adopt = flows.ingest.adopt

        def adopt(*args):  # type: ignore[no-untyped-def]
            real_adopt(*args)
            held.append(len(workers._ahead.batches) if workers._ahead else 0)

        monkeypatch.setattr(flows.ingest, "adopt", adopt)

    db = str(tmp_path / "wic.db")
    summary, claimed = _head_started_ingest([str(folder)], db, 2, monkeypatch, a_file_arrives)
    # The batches moved (a_first, battery | high_speed, smog | panda): the two started
    # ahead (battery, high_speed | smog, panda) are none of them, and were let go as the
    # run began, not held to its end.
    assert held == [0]
    assert claimed == [False, False, False]
    assert summary.counts.new == 5
