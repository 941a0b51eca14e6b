"""The reextract flow: every stored page extracted again, with no file or network access."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from core.accounting import RunCounts, RunSummary
from core.settings import DEFAULTS
from flows.batch import ExtractedBatch, chunks, load_batch
from flows.limits import Limits
from flows.progress import ProgressWatcher, watcher
from flows.reporting import final_state, report_run
from flows.run import pipeline_run
from flows.workers import (
    ExtractionPool,
    adopt_stored,
    batches_in_flight,
    claim_stored,
    processes_for,
    take_pool,
)
from loaders.store import Store


# Called, not submitted: it runs in the flow's thread, on the run's one connection.
@task(name="reextract-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def reextract_batch_task(store: Store, extracted: ExtractedBatch, run_id: str) -> RunCounts:
    """Load one batch of stored pages extracted again: what changed is written.

    As a re-extraction: the versions of each article are rewritten from their own
    pages, none is added and no event logged; pages kept from before versions were
    recorded become earlier versions (see ``Store.load``).
    """
    return load_batch(store, extracted, run_id, reextracting=True)


@flow(name="reextract", log_prints=False)
def reextract(
    db: str = DEFAULTS.db,
    batch_size: int = DEFAULTS.reextract_batch_size,
    workers: int = DEFAULTS.workers,
    page_deadline: float = DEFAULTS.page_deadline,
    max_memory_mb: int = DEFAULTS.max_memory_mb,
) -> RunSummary:
    """Rebuild every article from the raw pages kept in ``db`` (after an extractor change).

    An archive's versions are kept: each is rewritten from its own pages, none is
    added, no event logged, and ``articles`` is rewritten from the version it shows.
    Pages kept from before versions were recorded become the articles' earlier versions.

    Pages are extracted in ``workers`` processes, under the page deadline and memory
    cap of an ingest; the flow loads each batch, in order, as the one writer.
    """
    logger = get_run_logger()
    limits = Limits(page_deadline, max_memory_mb)
    with pipeline_run(db, "reextract", [db]) as run:
        shas = run.store.stored_page_ids()
        logger.info("%d stored pages to extract again", len(shas))
        counts = RunCounts()
        progress = watcher()
        progress.start("stored pages", len(shas))
        processes = processes_for(len(shas), batch_size, workers)
        adopt_stored(db, shas, batch_size, processes, limits)  # the command's head start
        with (
            take_pool(processes, limits) or ExtractionPool(processes, limits) as pool,
            # Each worker's batch is waited for by a thread of its own: the isolation of a
            # batch that killed its worker reads the database there, not on the run's thread.
            ThreadPoolExecutor(batches_in_flight(processes)) as waiters,
        ):
            pending: deque[tuple[Future[ExtractedBatch], int]] = deque()
            for batch in chunks(shas, batch_size):
                pending.append((waiters.submit(_reextract, pool, db, batch), len(batch)))
                if len(pending) >= batches_in_flight(processes):
                    _load_next(pending, run.store, run.run_id, counts, progress)
            while pending:
                _load_next(pending, run.store, run.run_id, counts, progress)
        return final_state(report_run(run.store, run.run_id, "reextract", counts))


def _reextract(pool: ExtractionPool, db: str, shas: Sequence[str]) -> ExtractedBatch:
    started = claim_stored(db, shas)  # the command's head start, if it made one
    with Store.open_read_only(db) as store:
        return pool.reextract(store, shas, started)


def _load_next(
    pending: deque[tuple[Future[ExtractedBatch], int]],
    store: Store,
    run_id: str,
    counts: RunCounts,
    progress: ProgressWatcher,
) -> None:
    future, size = pending.popleft()
    extracted = future.result()
    # Quoted: Prefect would otherwise walk every object of the batch (each page and its
    # bytes) to look for futures among the task's arguments, twice: 80% of the writer's
    # time, so re-extraction ran no faster on two cores than on one.
    batch = quote(extracted)
    counts.add(reextract_batch_task(store, batch, run_id))  # type: ignore[call-overload]
    extracted.outcomes.clear()  # Prefect keeps task arguments referenced: free the pages
    progress.advance(size)
