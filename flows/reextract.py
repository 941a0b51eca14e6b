"""The reextract flow: every stored page extracted again, with no file or network access."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.batch import chunks, reextract_batch, stored_page_ids
from flows.reporting import RunSummary, report_run
from loaders.schema import open_database
from loaders.store import LoadCounts, start_run


@task(name="reextract-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def reextract_batch_task(db: str, shas: list[str], run_id: str) -> LoadCounts:
    return reextract_batch(db, shas, run_id)


@flow(name="reextract", log_prints=False)
def reextract(db: str = "data/wic.db", batch_size: int = 250) -> RunSummary:
    """Rebuild every article from the raw pages kept in ``db`` (after an extractor change)."""
    logger = get_run_logger()
    run_id = str(flow_run.get_id() or "local")
    shas = stored_page_ids(db)
    database = open_database(db)
    start_run(database, run_id, "reextract", [db])
    logger.info("%d stored pages to extract again", len(shas))
    counts = LoadCounts()
    for batch in chunks(shas, batch_size):
        counts.add(reextract_batch_task(db, batch, run_id))
    summary = report_run(database, run_id, "reextract", db, counts)
    database.close()
    return summary
