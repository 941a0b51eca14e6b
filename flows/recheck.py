"""The recheck flow: known articles fetched again when due, their changes recorded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from core.accounting import RunCounts, RunSummary
from core.errors import WicEtlError
from core.schedule import Ladder, check_ladder, describe
from core.settings import DEFAULTS
from extractors.profiles import host_families
from fetchers.crawl import Crawler, CrawlOptions, CrawlReport, Recheck, Rechecked
from fetchers.http import FetchSettings
from flows.archiving import CrawlArchive, crawl_archive
from flows.ingest import CRAWL_BATCH, PARSERS
from flows.limits import Limits
from flows.progress import watcher
from flows.rechecking import RecheckWriter
from flows.reporting import final_state, report_run
from flows.run import pipeline_run
from flows.workers import ExtractionPool
from loaders.rechecks import DueArticle
from loaders.store import Store

# Pages asked for at most when no --max-pages is given: every due article, whole.
NO_LIMIT = 10**9


def targets_within(articles: Sequence[DueArticle], max_pages: int) -> list[DueArticle]:
    """The due articles whose pages (first and others, as last stored) fit in ``max_pages``,
    in order; the first always, even if it alone has more (the crawler stops at the cap)."""
    chosen: list[DueArticle] = []
    pages = 0
    for article in articles:
        size = 1 + len(article.parts)
        if chosen and pages + size > max_pages:
            break
        chosen.append(article)
        pages += size
    return chosen


# Each request already has its own retries; this retry is for the run as a whole (a
# locked database, a crash): a second pass is cheap, its requests are conditional.
@task(name="recheck-pages", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=10)
def recheck_task(
    store: Store,
    articles: list[DueArticle],
    options: CrawlOptions,
    run_id: str,
    ladder: Ladder,
    limits: Limits | None = None,
    archive: CrawlArchive | None = None,
) -> tuple[RunCounts, CrawlReport, dict[str, int]]:
    # Called, not submitted: it runs in the flow's thread, on the run's one connection.
    """Fetch each article again (every page, conditionally), recording what each gave."""
    logger = get_run_logger()
    by_id = {article.id: article for article in articles}
    progress = watcher()
    progress.start("articles", len(articles))
    writer = RecheckWriter(store, run_id, by_id, ladder, CRAWL_BATCH, progress.advance)
    targets = [
        Recheck(a.id, a.url, a.parts, conditional=not a.removed) for a in articles
    ]  # fmt: skip
    checked: Callable[[Rechecked], None] = writer
    if archive is not None:
        options = replace(options, fetch=replace(options.fetch, on_exchange=archive.exchange))
        checked = archive.tap(writer)
    with ExtractionPool(1, limits) as pool:
        parsers = replace(PARSERS, extract=pool.extract)
        crawler = Crawler(options, store.crawl_state(), writer.loads, logger, parsers, checked)
        report = crawler.recheck(targets)
    writer.flush()
    return writer.total(), report, dict(writer.tally)


def recheck_notes(
    articles: Sequence[DueArticle],
    report: CrawlReport,
    counts: RunCounts,
    tally: dict[str, int],
    everything: bool,
    next_due: str | None,
) -> tuple[str, ...]:
    """The run's summary lines: what was due, asked and answered, what changed, what next."""
    pages = sum(1 + len(a.parts) for a in articles)
    which = "known articles (--all)" if everything else "articles due"
    notes = [
        f"recheck: {len(articles)} {which}, {pages} pages: {report.requests} requests, "
        f"{report.not_modified} answered 304 Not Modified",
        f"changes: {counts.edited} edited, {counts.minor} minor, {counts.removed} removed, "
        f"{counts.restored} restored, {tally.get('moved', 0)} moved, "
        f"{report.not_modified} not modified (304)",
    ]
    if still := tally.get("still removed"):
        notes.append(f"still removed: {still} articles marked removed are still gone")
    notes += [f"not fetched: {n} {reason}" for reason, n in sorted(report.skipped.items())]
    if next_due:
        notes.append(f"next article due: {next_due[:16].replace('T', ' ')} UTC")
    return tuple(notes)


@flow(name="recheck", log_prints=False)
def recheck(
    db: str = DEFAULTS.db,
    all: bool = False,
    max_pages: int | None = None,
    allow_hosts: list[str] | None = None,
    rate_limit: float | None = None,
    timeout: float = DEFAULTS.timeout,
    retries: int = DEFAULTS.retries,
    ladder: list[list[float]] | None = None,
    page_deadline: float = DEFAULTS.page_deadline,
    max_memory_mb: int = DEFAULTS.max_memory_mb,
    warc: bool = DEFAULTS.warc,
    warc_file_size: int = DEFAULTS.warc_file_size,
) -> RunSummary:
    """Fetch known articles again when due, and record what changed.

    Args:
        db: the SQLite database (its known articles, their versions and checks).
        all: every known article with a web address, now, due or not (least recently
            checked first).
        max_pages: pages fetched at most (every page of an article counts); None: every
            due article.
        allow_hosts: hosts to fetch from besides those of the known sites; naming a
            loopback or private host allows reaching it.
        rate_limit: requests per second per host (default: 1 for public hosts,
            unlimited for hosts named in allow_hosts that are private or loopback).
        timeout: seconds to wait for a server's answer (read timeout).
        retries: further tries after a timeout, a broken connection, a 5xx or a 429.
        ladder: the re-check ladder, pairs [from_age_hours, every_hours] (default: the
            setting ``recheck_ladder``).
        page_deadline: CPU seconds one page may take to extract.
        max_memory_mb: memory an extraction process may take beyond its own code.
        warc: keep every fetch in WARC files beside the database
            (``<db folder>/<db stem>-warc/``).
        warc_file_size: bytes past which a WARC file is closed and the next begun.
    """
    logger = get_run_logger()
    try:
        rungs = check_ladder(ladder if ladder is not None else DEFAULTS.recheck_ladder)
    except ValueError as exc:
        raise WicEtlError(str(exc)) from exc
    budget = max_pages if max_pages is not None else NO_LIMIT
    with pipeline_run(db, "recheck", [db]) as run:
        store = run.store
        due = store.due_for_recheck(rungs, limit=budget, everything=all)
        articles = targets_within(due, budget)
        logger.info("%d articles to fetch again (%s)", len(articles), describe(rungs))
        counts, report = RunCounts(), CrawlReport()
        tally: dict[str, int] = {}
        archived: list[str] = []
        if articles:
            options = CrawlOptions(
                families=host_families(),
                allow_hosts=tuple(allow_hosts or ()),
                max_pages=budget,
                fetch=FetchSettings(read_timeout=timeout, tries=retries + 1, rate_limit=rate_limit),
            )
            limits = Limits(page_deadline, max_memory_mb)
            with crawl_archive(store, run.run_id, warc, warc_file_size, logger) as archive:
                counts, report, tally = recheck_task(
                    store, articles, options, run.run_id, rungs, limits, archive
                )
            archived = archive.summary() if archive else []
        counts.not_modified += report.not_modified
        counts.skipped += sum(report.skipped.values())
        notes = recheck_notes(articles, report, counts, tally, all, store.next_recheck())
        notes += tuple(archived)
        for note in notes:
            logger.info("%s", note)
        return final_state(report_run(store, run.run_id, "recheck", counts, notes))
