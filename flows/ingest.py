"""The ingest flow: saved pages and web addresses in, articles in SQLite, a summary out."""

from __future__ import annotations

from contextlib import closing
from datetime import date

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from extractors.sources import expand_sources
from fetchers.crawl import Crawler, CrawlOptions, CrawlReport
from fetchers.http import FetchSettings
from flows.batch import (
    OutcomeWriter,
    chunks,
    ingest_batch,
    missing_source_failures,
    record_failures,
)
from flows.reporting import RunSummary, report_run
from loaders.crawl_state import StoredCrawlState
from loaders.schema import open_database
from loaders.store import LoadCounts, start_run

# Outcomes of a crawl written per transaction: small, since pages arrive about one
# a second and a killed crawl should lose little (a re-run refetches it conditionally).
CRAWL_BATCH = 25


# Pages are small and loading is one SQLite writer: retrying a batch on a transient
# error (a locked database) is safe because a batch commits whole or not at all.
@task(name="ingest-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def ingest_batch_task(db: str, paths: list[str], run_id: str) -> LoadCounts:
    return ingest_batch(db, paths, run_id)


# Each request already has its own retries; this retry is for the crawl as a whole
# (a locked database, a crash): a second pass is cheap, its requests are conditional.
@task(name="crawl", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=10)
def crawl_task(
    db: str, urls: list[str], options: CrawlOptions, run_id: str
) -> tuple[LoadCounts, CrawlReport]:
    logger = get_run_logger()
    with closing(open_database(db)) as database:
        writer = OutcomeWriter(database, run_id, CRAWL_BATCH)
        report = Crawler(options, StoredCrawlState(database), writer, logger).run(urls)
        writer.flush()
    skipped = sum(report.skipped.values())
    logger.info(
        "crawl: %d requests, %d not modified, %d pages not fetched%s",
        report.requests, report.not_modified, skipped,
        "".join(f"; stopped: {stop}" for stop in report.stops),
    )  # fmt: skip
    return writer.counts, report


@flow(name="ingest", log_prints=False)
def ingest(
    sources: list[str],
    db: str = "data/wic.db",
    batch_size: int = 250,
    allow_hosts: list[str] | None = None,
    max_pages: int = 200,
    since: date | None = None,
    stop_after_known: int = 20,
    rate_limit: float | None = None,
    timeout: float = 30.0,
    retries: int = 3,
) -> RunSummary:
    """Ingest saved pages and web pages into ``db``.

    Args:
        sources: files, folders (walked recursively), ``@list.txt`` files, and web
            addresses: articles, section listings, RSS/Atom feeds or sitemaps.
        db: the SQLite database to write (created if missing).
        batch_size: saved pages per task and transaction.
        allow_hosts: hosts to crawl besides chinadaily.com.cn and wicwuzhen.cn (and
            their subdomains); naming a loopback or private host allows reaching it.
        max_pages: pages fetched per start address at most (an article's other
            pages are always fetched, so it stays whole).
        since: do not fetch items listed before this date.
        stop_after_known: stop following a listing after this many known articles in a row.
        rate_limit: requests per second per host (default: 1 for public hosts,
            unlimited for hosts named in allow_hosts that are private or loopback).
        timeout: seconds to wait for a server's answer (read timeout).
        retries: further tries after a timeout, a broken connection, a 5xx or a 429.
    """
    logger = get_run_logger()
    run_id = str(flow_run.get_id() or "local")
    found = expand_sources(sources)
    database = open_database(db)
    start_run(database, run_id, "ingest", sources)
    logger.info(
        "%d files to read and %d addresses to crawl from %d sources (%d other files skipped)",
        len(found.files), len(found.urls), len(sources), found.skipped,
    )  # fmt: skip
    counts = LoadCounts()
    skipped = found.skipped
    if found.missing:
        counts.add(record_failures(db, missing_source_failures(found.missing), run_id))
    for number, batch in enumerate(chunks(found.files, batch_size), start=1):
        counts.add(ingest_batch_task(db, batch, run_id))
        logger.info("batch %d: %d files done", number, len(batch))
    if found.urls:
        options = CrawlOptions(
            allow_hosts=tuple(allow_hosts or ()),
            max_pages=max_pages,
            since=since.isoformat() if since else None,
            stop_after_known=stop_after_known,
            fetch=FetchSettings(read_timeout=timeout, tries=retries + 1, rate_limit=rate_limit),
        )
        crawled, report = crawl_task(db, list(found.urls), options, run_id)
        counts.add(crawled)
        skipped += sum(report.skipped.values())
    summary = report_run(database, run_id, "ingest", db, counts, skipped)
    database.close()
    return summary
