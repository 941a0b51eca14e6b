"""Live fetching: a polite, bounded httpx crawler that hands raw pages to the parsers
the flow gives it (it never parses a page itself)."""

from fetchers.crawl import (
    Crawler,
    CrawlOptions,
    CrawlReport,
    CrawlStore,
    PageParsers,
    Recheck,
    Rechecked,
)
from fetchers.http import FetchSettings

__all__ = [
    "CrawlOptions",
    "CrawlReport",
    "CrawlStore",
    "Crawler",
    "FetchSettings",
    "PageParsers",
    "Recheck",
    "Rechecked",
]
