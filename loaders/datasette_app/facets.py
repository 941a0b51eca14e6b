"""Datasette's facets, the articles table's read from the counts the database keeps.

On the whole articles table (no filter, no search) a column facet counts every
article: a scan growing with the archive. For the columns whose counts the loader
keeps (``article_facet_counts``, see ``loaders.schema.add_facet_counts``) the same
facet is read from those counts instead: the same values, counts and links, at any
size. Filtered or searched, the facet is Datasette's own.

A facet of years or dates (``published_year``, ``_facet_date=published``) lists its
values newest first, as a reader browses by time; any other, the most frequent first.
"""

from __future__ import annotations

import re
from typing import Any

import datasette.facets as datasette_facets
from datasette import hookimpl
from datasette.facets import ArrayFacet, ColumnFacet
from datasette.utils import detect_json1

from loaders.schema import COUNTED_FACETS

COUNTED_TABLE = "articles"
# Datasette's column facet query: select <column> as value, count(*) as count from (...
_FACET_SQL = re.compile(r"\s*select \[?(\w+)\]? as value, count\(\*\) as count from \(", re.I)
_LIMIT = re.compile(r"limit (\d+)\s*$")
_COUNTS_SQL = (
    "select value, articles as count from article_facet_counts "
    "where facet = :facet and articles > 0 order by {order} limit :limit"
)
# Datasette's order of a facet's values (column and date facets alike), and ours for time.
_BY_COUNT = "order by count desc, value limit"
_NEWEST_FIRST = "value desc"
# Columns holding a year or a date: published_year, published, seen_at, at ...
_DATE_COLUMN = re.compile(r"(^|_)(year|date|published|at)$")


def by_date(column: str) -> bool:
    """Whether a facet of ``column`` lists its values newest first (a year, a date)."""
    return bool(_DATE_COLUMN.search(column))


class _FacetQueries:
    """Datasette as a facet sees it: each facet query of a column of years or dates
    (or every one, ``dates``) ordered newest first, and answered from the kept counts
    where ``counted``."""

    def __init__(self, datasette: Any, counted: bool, dates: bool = False) -> None:
        self._datasette = datasette
        self._counted = counted
        self._dates = dates

    def __getattr__(self, name: str) -> Any:
        return getattr(self._datasette, name)

    async def execute(self, database: str, sql: str, params: Any = None, **options: Any) -> Any:
        facet, limit = _FACET_SQL.match(sql), _LIMIT.search(sql)
        newest_first = self._dates or bool(facet and by_date(facet.group(1)))
        if self._counted and facet and limit and facet.group(1) in COUNTED_FACETS:
            params = {"facet": facet.group(1), "limit": int(limit.group(1))}
            sql = _COUNTS_SQL.format(order=_NEWEST_FIRST if newest_first else "count desc, value")
        elif newest_first and _BY_COUNT in sql:
            sql = sql.replace(_BY_COUNT, f"order by {_NEWEST_FIRST} limit")
        return await self._datasette.execute(database, sql, params, **options)


class CountedColumnFacet(ColumnFacet):
    """Datasette's column facet; on the whole articles table, from the kept counts; a
    column of years or dates, newest first."""

    async def facet_results(self) -> Any:
        datasette: Any = self.ds  # type: ignore[has-type]
        whole = self.table == COUNTED_TABLE and self.sql.rstrip().endswith(f"from {COUNTED_TABLE}")
        db = datasette.get_database(self.database)
        counted = whole and await db.table_exists("article_facet_counts")
        self.ds = _FacetQueries(datasette, counted)
        try:
            return await super().facet_results()
        finally:
            self.ds = datasette


class DateFacet(datasette_facets.DateFacet):
    """Datasette's date facet (``?_facet_date=``), its days newest first."""

    async def facet_results(self) -> Any:
        datasette: Any = self.ds  # type: ignore[has-type]
        self.ds = _FacetQueries(datasette, counted=False, dates=True)
        try:
            return await super().facet_results()
        finally:
            self.ds = datasette


@hookimpl
def register_facet_classes() -> list[type]:
    """Datasette's facet classes, its column facet replaced by the counted one."""
    classes: list[type] = [CountedColumnFacet, DateFacet]
    if detect_json1():
        classes.append(ArrayFacet)
    return classes
