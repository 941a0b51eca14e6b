"""What a crawl asks of the database: is this article known, how was this page last seen."""

from __future__ import annotations

from sqlite_utils import Database

from core.records import RawPage, Validators
from loaders.raw_pages import stored_raw_pages


class StoredCrawlState:
    """The ``CrawlStore`` of a wic-etl database (reads only; the sink does the writing)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def validators(self, url: str) -> Validators | None:
        """The ETag / Last-Modified of the last good fetch of ``url``."""
        row = self.db.execute(
            # The address asked for, or where a redirect from another address ended.
            # Not a page that said the article is gone (a soft 404's page, served with 200):
            # a 304 to its validators would say "still gone" and pass for the article.
            "select etag, last_modified, sha256 from pages where (source = ?1 or url = ?1) "
            "and http_status = 200 and (etag is not null or last_modified is not null) "
            "and status is not 'not-found' "
            "order by read_at desc limit 1",
            [url],
        ).fetchone()
        return Validators(*row) if row else None

    def stored_page(self, sha256: str) -> RawPage | None:
        """The stored copy of a page by its SHA-256."""
        found = stored_raw_pages(self.db, [sha256])
        return found[0] if found else None

    def is_known(self, url: str) -> bool:
        """Whether an article at this address is stored already."""
        return (
            self.db.execute("select 1 from articles where url = ? limit 1", [url]).fetchone()
            is not None
        )

    def image_kept(self, url: str) -> bool:
        """Whether the image at this address is kept already (it is not fetched again)."""
        return (
            self.db.execute(
                "select 1 from images where src = ?1 and sha256 is not null "
                "union all select 1 from image_files where url = ?1 limit 1",
                [url],
            ).fetchone()
            is not None
        )
