"""Articles out as JSON Lines: one article a line, for pandas, DuckDB, jq and the like.

Each line is one JSON object: every column of the article, its lists (images,
organizers, removed lines, versions) nested in it. UTF-8, Chinese as it is (not
``\\u`` escapes), one ``\\n`` at the end of each line and none inside one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TextIO


def article_line(article: Mapping[str, object]) -> str:
    """One article as one line of JSON (no newline inside: ``json.dumps`` escapes them)."""
    return json.dumps(article, ensure_ascii=False, separators=(",", ":"), default=_plain) + "\n"


def _plain(value: object) -> object:
    if isinstance(value, bytes):  # a column of bytes is no article field; say so, do not fail
        return f"<{len(value)} bytes>"
    raise TypeError(f"{type(value).__name__} is not JSON")


def write_jsonl(articles: Iterable[Mapping[str, object]], out: TextIO) -> int:
    """Write each article as a line; how many were written."""
    count = 0
    for article in articles:
        out.write(article_line(article))
        count += 1
    return count
