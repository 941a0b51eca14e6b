"""The ingest flow: saved pages in, articles in SQLite, a summary artifact out."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from extractors.sources import expand_sources
from flows.batch import chunks, ingest_batch, missing_source_failures, record_failures
from flows.reporting import RunSummary, report_run
from loaders.schema import open_database
from loaders.store import LoadCounts, start_run


# Pages are small and loading is one SQLite writer: retrying a batch on a transient
# error (a locked database) is safe because a batch commits whole or not at all.
@task(name="ingest-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def ingest_batch_task(db: str, paths: list[str], run_id: str) -> LoadCounts:
    return ingest_batch(db, paths, run_id)


@flow(name="ingest", log_prints=False)
def ingest(sources: list[str], db: str = "data/wic.db", batch_size: int = 250) -> RunSummary:
    """Ingest saved pages (files, folders walked recursively, or @list.txt) into ``db``."""
    logger = get_run_logger()
    run_id = str(flow_run.get_id() or "local")
    found = expand_sources(sources)
    database = open_database(db)
    start_run(database, run_id, "ingest", sources)
    logger.info(
        "%d files to read from %d sources (%d other files skipped)",
        len(found.files), len(sources), found.skipped,
    )  # fmt: skip
    counts = LoadCounts()
    if found.missing:
        counts.add(record_failures(db, missing_source_failures(found.missing), run_id))
    for number, batch in enumerate(chunks(found.files, batch_size), start=1):
        counts.add(ingest_batch_task(db, batch, run_id))
        logger.info("batch %d: %d files done", number, len(batch))
    summary = report_run(database, run_id, "ingest", db, counts, found.skipped)
    database.close()
    return summary
