"""What `wic-etl ingest` does before Prefect: settle a run with nothing to read, or start ahead."""

from __future__ import annotations

import shutil
import time
from contextlib import AbstractContextManager

import pytest

import flows.batch
from core.accounting import RunSummary
from flows import workers
from flows.batch import ingest_batch
from flows.before_prefect import ahead_of_ingest
from flows.limits import Limits
from flows.settled import SETTLED_NOTE
from loaders.store import Store
from readers.sources import expand_sources
from tests.conftest import SAVED


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    """A folder of saved text pages, every one loaded by an earlier run."""
    monkeypatch.setattr(flows.batch, "CHANGE_MARGIN_S", 0.0)  # one clock here
    folder = tmp_path / "saved"
    shutil.copytree(SAVED / "text", folder)
    time.sleep(0.05)  # the run starts after the files were last written
    db = str(tmp_path / "wic.db")
    with Store.open(db) as store:
        store.start_run("run-1", "ingest", [str(folder)])
        assert ingest_batch(store, expand_sources([str(folder)]).files, "run-1").new > 1
    return db, folder


def ahead(
    db: str, sources: list[str], head_start: bool = True
) -> AbstractContextManager[RunSummary | None]:
    return ahead_of_ingest(
        db,
        sources,
        expand_sources(sources),
        reread=False,
        head_start=head_start,
        batch_size=2,
        workers_wanted=1,
        max_bytes=10_000_000,
        limits=Limits(),
    )


def test_a_run_with_nothing_to_read_is_settled_and_recorded_without_workers(loaded):
    db, folder = loaded
    with ahead(db, [str(folder)]) as settled:
        assert workers._ahead is None
    assert settled is not None and settled.notes == (SETTLED_NOTE,)
    assert settled.counts.unchanged == settled.counts.pages > 1
    with Store.open(db) as store:
        runs = list(store.db.execute("select id, status from runs order by started"))
    assert runs[-1] == (settled.run_id, "completed")


def test_a_run_with_a_changed_file_gets_a_head_start_that_ends_with_the_block(loaded):
    db, folder = loaded
    changed = next(folder.glob("*.txt"))
    changed.write_text(changed.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    with ahead(db, [str(folder)]) as settled:
        assert settled is None
        assert workers._ahead is not None and workers._ahead.batches
    assert workers._ahead is None
    with ahead(db, [str(folder)], head_start=False) as settled:  # a Dask run
        assert settled is None and workers._ahead is None


@pytest.mark.slow  # a flow run against the session's Prefect server
def test_the_walk_and_the_unchanged_check_are_done_once_per_run(loaded, monkeypatch, prefect_api):
    import flows.ingest
    from flows import walked

    db, folder = loaded
    changed = next(folder.glob("*.txt"))
    changed.write_text(changed.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    calls = {"walk": 0, "check": 0}

    def counted(name, function):
        def call(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return call

    monkeypatch.setattr(flows.ingest, "expand_sources", counted("walk", expand_sources))
    monkeypatch.setattr(Store, "done_files", counted("check", Store.done_files))
    sources = [str(folder)]
    with ahead(db, sources) as settled:  # what `wic-etl ingest` does before Prefect
        assert settled is None and calls == {"walk": 0, "check": 1}
        summary = flows.ingest.ingest(sources=sources, db=db, batch_size=2, workers=1)
    assert calls == {"walk": 0, "check": 1}  # the flow took the command's walk and check
    assert summary.ok and summary.counts.updated == 1
    assert summary.counts.unchanged == len(list(folder.glob("*.txt"))) - 1
    assert walked.take(db, sources, False) is None  # taken once, then gone

    # A flow run started any other way (a deployment) walks and checks for itself.
    again = flows.ingest.ingest(sources=sources, db=db, batch_size=2, workers=1)
    assert calls == {"walk": 1, "check": 2}
    assert again.ok and again.counts.unchanged == again.counts.pages
