"""Stored pages read back as they came: for re-extraction and the crawler's stored copies.

The one way to a page's original bytes, whatever its stored form (loaders/raw_store.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlite_utils import Database

from core.records import RawPage
from loaders.raw_store import page_bytes, stored_bytes


def stored_raw_pages(db: Database, shas: Sequence[str]) -> list[RawPage]:
    """Pages as they were read or fetched, with their HTTP status and headers if fetched."""
    marks = ", ".join("?" * len(shas))
    rows = db.execute(
        "select source, raw, compression, dictionary_id, base_sha256, url, content_type, "
        f"http_status, headers from pages where sha256 in ({marks})",
        list(shas),
    ).fetchall()
    return [
        RawPage(source, stored_bytes(db, raw, compression, dictionary_id, base), url,
                content_type, status, tuple((k, v) for k, v in json.loads(headers or "[]")))
        for source, raw, compression, dictionary_id, base, url, content_type, status, headers
        in rows
    ]  # fmt: skip


def stored_raw_page(db: Database, sha: str) -> bytes:
    """The original bytes of one stored page (``RawPageError`` if there is none)."""
    return page_bytes(db, sha)
