"""The ingest flow: saved pages and web addresses in, articles in SQLite, a summary out."""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture

from core.accounting import RunCounts, RunSummary
from core.settings import DEFAULTS
from extractors.discovery.feeds import parse_discovery
from extractors.discovery.listing import next_listing_page
from extractors.extract import extract_page
from extractors.profiles import host_families
from fetchers.crawl import Crawler, CrawlOptions, CrawlReport, PageParsers
from fetchers.http import FetchSettings
from flows import walked
from flows.archiving import CrawlArchive, crawl_archive
from flows.batch import (
    ExtractedBatch,
    OutcomeWriter,
    chunks,
    extract_batch,
    load_batch,
    missing_source_failures,
    record_failures,
    unchanged_files,
)
from flows.limits import Limits, guarded_extract, use_limits
from flows.progress import watcher
from flows.reporting import final_state, report_run
from flows.run import pipeline_run
from flows.runners import task_runner
from flows.workers import ExtractionPool, adopt, claim, processes_for
from loaders.store import Store
from readers.sources import expand_sources

# The crawler fetches; what a page is and what it links to, the extractors say.
PARSERS = PageParsers(
    extract=extract_page, discover=parse_discovery, next_listing_page=next_listing_page
)
# Outcomes of a crawl written per transaction: small, since pages arrive about one
# a second and a killed crawl should lose little (a re-run refetches it conditionally).
CRAWL_BATCH = 25


# Extraction only: the flow loads what it returns, so the database has one writer
# wherever the task runs (a worker process, the flow's process or a Dask worker).
# Retrying it is harmless, as it writes nothing.
@task(name="extract-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def extract_batch_task(
    db: str,
    paths: list[str],
    max_bytes: int = DEFAULTS.max_bytes,
    pool: ExtractionPool | None = None,
    limits: Limits | None = None,
) -> ExtractedBatch:
    """Extract a batch in one of the run's worker processes (``pool``), or here on Dask."""
    if pool is None:  # a Dask worker: the deadline holds here, a dead worker Dask replaces
        use_limits(limits or Limits())
        extracted, pid = extract_batch(db, paths, max_bytes, guarded_extract), os.getpid()
    else:
        started = claim(db, paths, max_bytes)  # the command's head start, if it made one
        future = started or pool.submit_batch(db, paths, max_bytes)
        extracted, pid = pool.batch_result(future, db, paths, max_bytes)
    get_run_logger().info(
        "extracted %d files (%d unchanged) in process %d on %s",
        extracted.pages, extracted.unchanged, pid, socket.gethostname(),
    )  # fmt: skip
    return extracted


# Each request already has its own retries; this retry is for the crawl as a whole
# (a locked database, a crash): a second pass is cheap, its requests are conditional.
@task(name="crawl", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=10)
def crawl_task(
    store: Store,
    urls: list[str],
    options: CrawlOptions,
    run_id: str,
    limits: Limits | None = None,
    archive: CrawlArchive | None = None,
) -> tuple[RunCounts, CrawlReport]:
    # Called, not submitted: it runs in the flow's thread, on the run's one connection.
    """Crawl the addresses, writing outcomes through the run's store as they come.

    Each fetched page is extracted in a worker process, under the page deadline; with
    an ``archive``, every exchange and every article's record go to the run's WARC.
    """
    logger = get_run_logger()
    writer = OutcomeWriter(store, run_id, CRAWL_BATCH)
    if archive is not None:
        options = replace(options, fetch=replace(options.fetch, on_exchange=archive.exchange))
    sink = archive.tap(writer) if archive is not None else writer
    with ExtractionPool(1, limits) as pool:
        parsers = replace(PARSERS, extract=pool.extract)
        report = Crawler(options, store.crawl_state(), sink, logger, parsers).run(urls)
    writer.flush()
    for note in crawl_notes(report):
        logger.info("%s", note)
    return writer.counts, report


def crawl_notes(report: CrawlReport) -> tuple[str, ...]:
    """The crawl's report as summary lines: requests, 304s, skips, stops."""
    notes = [f"crawl: {report.requests} requests, {report.not_modified} answered "
             "304 Not Modified (stored copy used)"]  # fmt: skip
    if report.images_kept_before:
        notes.append(f"images: {report.images_kept_before} kept already, not fetched again")
    notes += [f"not fetched: {n} {reason}" for reason, n in sorted(report.skipped.items())]
    notes += [f"listing stopped: {stop}" for stop in report.stops]
    return tuple(notes)


def extract_and_load(
    store: Store, files: Sequence[str], batch_size: int, run_id: str, dask: str | None,
    max_bytes: int = DEFAULTS.max_bytes, workers: int = 1, reread: bool = False,
    limits: Limits | None = None, unchanged: Collection[str] | None = None,
) -> RunCounts:  # fmt: skip
    """Extract batches on the chosen runner, load each here: the one writer of the run.

    Batches are loaded in the order they were made, whatever order they finish in,
    so every runner gives the same database; a bounded number run ahead of the load.
    ``unchanged``: the files already found unchanged (by the command), if it did.
    """
    logger = get_run_logger()
    limits = limits or Limits()
    # Files unchanged since a run made them into articles are counted, not read: an
    # unchanged re-run submits no task for them.
    if unchanged is None:
        unchanged = unchanged_files(store, files, reread)
    counts = RunCounts(pages=len(unchanged), unchanged=len(unchanged))
    files = [f for f in files if f not in unchanged]
    if unchanged:
        logger.info("%d files unchanged since they were loaded: not read again", len(unchanged))
    # Each batch's future and its files: an archive's pages count more than once in the
    # batch's ``pages``, and the watcher counts files.
    pending: deque[tuple[PrefectFuture[ExtractedBatch], list[str]]] = deque()
    local: list[ExtractionPool] = []  # for batches Dask could not extract, started on need
    progress = watcher()
    progress.start("files", len(files))

    def load_next() -> None:
        future, batch = pending.popleft()
        try:
            extracted = future.result()
        except Exception as exc:
            if not dask:
                raise  # the local pool never fails a batch: this is a bug to see
            # A batch that failed on Dask after its retries (a worker killed on one of its
            # pages, say) is extracted here, where the page that kills a worker fails alone.
            logger.warning("batch failed on Dask (%s): extracting it here", exc)
            local[:] = local or [ExtractionPool(1, limits)]
            extracted = local[0].extract_batch(store.path, batch, max_bytes)[0]
        counts.add(load_batch(store, extracted, run_id))
        # Prefect keeps every task's return value referenced until the flow ends (its
        # result record and task engine): emptied here, the batch's pages are freed,
        # or a 10,000-page run would hold all of them (measured: +630 MB).
        extracted.outcomes.clear()
        logger.info("batch loaded: %d files", extracted.pages)
        progress.advance(len(batch))

    # No more processes than batches: a worker costs a process start (0.2-0.4 s).
    workers = processes_for(len(files), batch_size, workers)
    # the command's head start, if any
    adopt(store.path, files, batch_size, max_bytes, workers, limits)
    try:
        with task_runner(dask, workers, limits) as runner:
            for batch in chunks(files, batch_size):
                params = {"db": store.path, "paths": batch, "max_bytes": max_bytes,
                          "pool": runner.pool, "limits": limits}  # fmt: skip
                pending.append((runner.task_runner.submit(extract_batch_task, params), batch))
                if len(pending) >= runner.in_flight:
                    load_next()
            while pending:
                load_next()
    finally:
        for pool in local:
            pool.shutdown(wait=False)
    return counts


@flow(name="ingest", log_prints=False)
def ingest(
    sources: list[str],
    db: str = DEFAULTS.db,
    batch_size: int = DEFAULTS.batch_size,
    allow_hosts: list[str] | None = None,
    max_pages: int = DEFAULTS.max_pages,
    since: date | None = None,
    stop_after_known: int = DEFAULTS.stop_after_known,
    rate_limit: float | None = None,
    timeout: float = DEFAULTS.timeout,
    retries: int = DEFAULTS.retries,
    dask: str | None = None,
    max_bytes: int = DEFAULTS.max_bytes,
    workers: int = DEFAULTS.workers,
    reread: bool = False,
    page_deadline: float = DEFAULTS.page_deadline,
    max_memory_mb: int = DEFAULTS.max_memory_mb,
    warc: bool = DEFAULTS.warc,
    warc_file_size: int = DEFAULTS.warc_file_size,
) -> RunSummary:
    """Ingest saved pages and web pages into ``db``.

    Args:
        sources: files, folders (walked recursively), ``@list.txt`` files, and web
            addresses: articles, section listings, RSS/Atom feeds or sitemaps.
        db: the SQLite database to write (created if missing).
        batch_size: saved pages per task and transaction.
        allow_hosts: hosts to crawl besides those of the known sites (the site
            profiles': China Daily's and WIC's, with their subdomains); naming a loopback
            or private host allows reaching it.
        max_pages: pages fetched per start address at most (an article's other
            pages are always fetched, so it stays whole).
        since: do not fetch items listed before this date.
        stop_after_known: stop following a listing after this many known articles in a row.
        rate_limit: requests per second per host (default: 1 for public hosts,
            unlimited for hosts named in allow_hosts that are private or loopback).
        timeout: seconds to wait for a server's answer (read timeout).
        retries: further tries after a timeout, a broken connection, a 5xx or a 429.
        dask: run the extraction of saved pages on Dask: "local", "local:N" (a
            temporary cluster of N processes) or a scheduler address "tcp://host:8786".
        max_bytes: the largest saved file, page inside an archive (once decompressed) or
            fetched body read; larger ones are failures.
        workers: processes extracting saved pages (default: every core). Ignored
            with ``dask``.
        reread: read every saved file, even those known unchanged since they were loaded.
        page_deadline: CPU seconds one page may take to extract; a page past it is
            stopped and recorded as a failure.
        max_memory_mb: memory an extraction process may take beyond its own code; a
            page that needs more is a failure.
        warc: keep every live fetch in WARC files beside the database
            (``<db folder>/<db stem>-warc/``).
        warc_file_size: bytes past which a WARC file is closed and the next begun.
    """
    logger = get_run_logger()
    limits = Limits(page_deadline, max_memory_mb)
    # The command's walk and unchanged check, if it did them (flows/walked.py).
    walk = walked.take(db, sources, reread)
    found = walk.found if walk is not None else expand_sources(sources)
    with pipeline_run(db, "ingest", sources) as run:
        run_id, store = run.run_id, run.store
        logger.info(
            "%d files to read and %d addresses to crawl from %d sources (%d other files "
            "skipped)", len(found.files), len(found.urls), len(sources), found.skipped,
        )  # fmt: skip
        counts = RunCounts(skipped=found.skipped)
        notes: tuple[str, ...] = ()
        if found.missing:
            counts.add(record_failures(store, missing_source_failures(found.missing), run_id))
        if found.files:
            counts.add(extract_and_load(
                store, found.files, batch_size, run_id, dask, max_bytes, workers, reread, limits,
                walk.unchanged if walk is not None else None,
            ))  # fmt: skip
        if found.urls:
            options = CrawlOptions(
                families=host_families(),
                allow_hosts=tuple(allow_hosts or ()),
                max_pages=max_pages,
                since=since.isoformat() if since else None,
                stop_after_known=stop_after_known,
                fetch=FetchSettings(
                    read_timeout=timeout,
                    tries=retries + 1,
                    rate_limit=rate_limit,
                    max_bytes=max_bytes,
                ),
            )
            with crawl_archive(store, run_id, warc, warc_file_size, logger) as archive:
                crawled, report = crawl_task(
                    store, list(found.urls), options, run_id, limits, archive
                )
            counts.add(crawled)
            counts.skipped += sum(report.skipped.values())
            counts.not_modified += report.not_modified
            notes = crawl_notes(report) + tuple(archive.summary() if archive else ())
        return final_state(report_run(store, run_id, "ingest", counts, notes))
