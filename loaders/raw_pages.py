"""Stored pages read back as they came: for re-extraction and the crawler's stored copies."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlite_utils import Database

from core.records import RawPage


def stored_raw_pages(db: Database, shas: Sequence[str]) -> list[RawPage]:
    """Pages as they were read or fetched, with their HTTP status and headers if fetched."""
    marks = ", ".join("?" * len(shas))
    rows = db.execute(
        "select source, raw, url, content_type, http_status, headers from pages "
        f"where sha256 in ({marks})",
        list(shas),
    ).fetchall()
    return [
        RawPage(source, raw, url, content_type, status,
                tuple((k, v) for k, v in json.loads(headers or "[]")))
        for source, raw, url, content_type, status, headers in rows
    ]  # fmt: skip
