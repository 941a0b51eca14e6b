"""Deployments served by one long-running process (``wic-etl serve``).

``serve`` is the simplest way to run deployments on one machine: no work pool
or worker, and it picks up runs started with ``prefect deployment run`` as well
as the scheduled ones. Restart it after changing the code: it keeps what it loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

from prefect import serve
from prefect.schedules import Cron

from core.settings import DEFAULTS
from flows.ingest import ingest
from flows.recheck import recheck
from flows.reextract import reextract


def deployments(
    db: str = DEFAULTS.db,
    saved: str = DEFAULTS.saved,
    start_pages: Sequence[str] = DEFAULTS.daily_start_pages,
    allow_hosts: Sequence[str] = (),
    cron: str = DEFAULTS.daily_cron,
    recheck_cron: str = DEFAULTS.recheck_cron,
) -> list:
    """The four deployments: ingest/daily (scheduled crawl), recheck/daily (scheduled
    re-checks of known articles), ingest/saved, reextract/all."""
    return [
        ingest.to_deployment(
            name="daily",
            description="Crawl the start pages (section listings, feeds, sitemaps) for new "
            "articles, every day. Parameters: sources (addresses), db, allow_hosts, "
            "max_pages, since, stop_after_known, rate_limit, timeout, retries.",
            schedule=Cron(cron, timezone=DEFAULTS.timezone),
            parameters={
                "sources": list(start_pages),
                "db": db,
                "allow_hosts": list(allow_hosts),
                "max_pages": DEFAULTS.daily_max_pages,
                "stop_after_known": DEFAULTS.stop_after_known,
            },
            tags=["wic-etl", "crawl"],
        ),
        recheck.to_deployment(
            name="daily",
            description="Fetch known articles again when due (the re-check ladder: hourly "
            "in their first day, then daily, weekly, monthly) and record edits, removals, "
            "restorations and moves. Parameters: db, all (every known article now), "
            "max_pages, allow_hosts, rate_limit, timeout, retries, ladder.",
            schedule=Cron(recheck_cron, timezone=DEFAULTS.timezone),
            parameters={
                "db": db,
                "allow_hosts": list(allow_hosts),
                "max_pages": DEFAULTS.recheck_run_max_pages,
            },
            tags=["wic-etl", "crawl", "recheck"],
        ),
        ingest.to_deployment(
            name="saved",
            description="Ingest saved pages (files, folders, @lists) into the database. "
            "Parameters: sources (list of paths), db (SQLite path), batch_size, dask.",
            parameters={"sources": [saved], "db": db},
            tags=["wic-etl"],
        ),
        reextract.to_deployment(
            name="all",
            description="Extract every stored page again (after an extractor change). "
            "Parameters: db (SQLite path), batch_size.",
            parameters={"db": db},
            tags=["wic-etl"],
        ),
    ]


def serve_all(**settings: object) -> None:
    """Serve the four deployments until stopped (``wic-etl serve``)."""
    serve(*deployments(**settings), print_starting_message=False)  # type: ignore[arg-type]
