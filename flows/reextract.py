"""The reextract flow: every stored page extracted again, with no file or network access."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from core.accounting import RunCounts, RunSummary
from core.settings import DEFAULTS
from flows.batch import chunks, reextract_batch
from flows.progress import watcher
from flows.reporting import report_run
from flows.run import pipeline_run
from loaders.store import Store


# Called, not submitted: it runs in the flow's thread, on the run's one connection.
@task(name="reextract-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def reextract_batch_task(store: Store, shas: list[str], run_id: str) -> RunCounts:
    """Extract one batch of stored pages again and load what changed."""
    return reextract_batch(store, shas, run_id)


@flow(name="reextract", log_prints=False)
def reextract(db: str = DEFAULTS.db, batch_size: int = DEFAULTS.batch_size) -> RunSummary:
    """Rebuild every article from the raw pages kept in ``db`` (after an extractor change)."""
    logger = get_run_logger()
    with pipeline_run(db, "reextract", [db]) as run:
        shas = run.store.stored_page_ids()
        logger.info("%d stored pages to extract again", len(shas))
        counts = RunCounts()
        progress = watcher()
        progress.start("stored pages", len(shas))
        for batch in chunks(shas, batch_size):
            counts.add(reextract_batch_task(run.store, batch, run.run_id))
            progress.advance(len(batch))
        return report_run(run.store, run.run_id, "reextract", counts)
