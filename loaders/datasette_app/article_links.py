"""Every list of articles links each article's title to its page (/DB/articles/<id>).

Datasette links a row's primary key, not its headline, and a view or a query's
results link nothing: a reader of ``latest_articles`` or an organizer's list met a
dead end. The tables and views that list articles name the column holding each row's
article id; a query's results (canned or the user's own SQL) are taken to list
articles where a ``title`` sits beside an article id in ``id`` or ``article_id``.
"""

from __future__ import annotations

import re
from typing import Any

from datasette.utils import tilde_encode
from markupsafe import Markup

# An article's id: 16 hex characters of a SHA-256 (core.records).
_ARTICLE_ID = re.compile(r"[0-9a-f]{16}")
# Tables and views whose rows are articles (or versions of one), and the id's column.
TITLED = {"articles": "id", "articles_with_organizers": "id", "article_versions": "article_id"}
# Tables naming an article by an id that Datasette does not link to it: they declare
# no foreign key. (article_checks' article_id is its primary key: Datasette draws that
# cell itself, as the link to the check's own row.)
BY_ID = ("article_parts", "part_records")


def article_link(
    row: Any, value: object, column: str, table: str | None, database: str, datasette: Any
) -> Markup | None:
    """The cell as a link to its article's page, or None where it is no such cell."""
    if not isinstance(value, str):
        return None
    if column == "title":
        article_id = _article_id(row, table)
        if article_id is None:
            return None
        href = datasette.urls.row(database, "articles", tilde_encode(article_id))
        if table == "article_versions" and isinstance(row["version"], int):
            href = f"{href}#version-{row['version']}"
        return Markup('<a href="{}">{}</a>').format(href, value)
    if column == "article_id" and table in BY_ID and _ARTICLE_ID.fullmatch(value):
        href = datasette.urls.row(database, "articles", tilde_encode(value))
        return Markup('<a href="{}">{}</a>').format(href, value)
    return None


def _article_id(row: Any, table: str | None) -> str | None:
    keys = row.keys() if hasattr(row, "keys") else ()
    if table is None:  # a query's results
        column = next((c for c in ("id", "article_id") if c in keys), None)
    else:
        column = TITLED.get(table)
    if column is None or column not in keys:
        return None
    value = row[column]
    if isinstance(value, dict):  # a foreign key Datasette expanded: {"value", "label"}
        value = value.get("value")
    return value if isinstance(value, str) and _ARTICLE_ID.fullmatch(value) else None
