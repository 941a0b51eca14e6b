"""Deployments served by one long-running process (``wic-etl serve``).

``serve`` is the simplest way to run deployments on one machine: no work pool
or worker, and it picks up runs started with ``prefect deployment run`` as well
as the scheduled ones. Restart it after changing the code: it keeps what it loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

from prefect import serve
from prefect.schedules import Cron

from flows.ingest import ingest
from flows.reextract import reextract

DEFAULT_DB = "data/wic.db"
SAVED_PAGES = "fixtures/saved"
# China Daily section listings (newest first, paginated): the daily crawl starts here
# and stops at the first run of already-stored articles.
DAILY_START_PAGES = (
    "https://www.chinadaily.com.cn/china/society",
    "https://www.chinadaily.com.cn/business/tech",
    "https://www.chinadaily.com.cn/world/asia_pacific",
)
DAILY_CRON = "0 6 * * *"  # 06:00 Beijing time, after the morning edition is up
TIMEZONE = "Asia/Shanghai"


def deployments(
    db: str = DEFAULT_DB,
    saved: str = SAVED_PAGES,
    start_pages: Sequence[str] = DAILY_START_PAGES,
    allow_hosts: Sequence[str] = (),
    cron: str = DAILY_CRON,
) -> list:
    return [
        ingest.to_deployment(
            name="daily",
            description="Crawl the start pages (section listings, feeds, sitemaps) for new "
            "articles, every day. Parameters: sources (addresses), db, allow_hosts, "
            "max_pages, since, stop_after_known, rate_limit, timeout, retries.",
            schedule=Cron(cron, timezone=TIMEZONE),
            parameters={
                "sources": list(start_pages),
                "db": db,
                "allow_hosts": list(allow_hosts),
                "max_pages": 100,
                "stop_after_known": 20,
            },
            tags=["wic-etl", "crawl"],
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
    serve(*deployments(**settings), print_starting_message=False)  # type: ignore[arg-type]
