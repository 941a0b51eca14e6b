"""Datasette's facets, the articles table's read from the counts the database keeps.

On the whole articles table (no filter, no search) a column facet counts every
article: a scan growing with the archive. For the columns whose counts the loader
keeps (``article_facet_counts``, see ``loaders.schema.add_facet_counts``) the same
facet is read from those counts instead: the same values, counts and links, at any
size. Filtered or searched, the facet is Datasette's own.
"""

from __future__ import annotations

import re
from typing import Any

from datasette import hookimpl
from datasette.facets import ArrayFacet, ColumnFacet, DateFacet
from datasette.utils import detect_json1

from loaders.schema import COUNTED_FACETS

COUNTED_TABLE = "articles"
# Datasette's column facet query: select <column> as value, count(*) as count from (...
_FACET_SQL = re.compile(r"\s*select \[?(\w+)\]? as value, count\(\*\) as count from \(", re.I)
_LIMIT = re.compile(r"limit (\d+)\s*$")
_COUNTS_SQL = (
    "select value, articles as count from article_facet_counts "
    "where facet = :facet and articles > 0 order by count desc, value limit :limit"
)


class _KeptCounts:
    """Datasette as the facet sees it, its facet queries answered from the kept counts."""

    def __init__(self, datasette: Any) -> None:
        self._datasette = datasette

    def __getattr__(self, name: str) -> Any:
        return getattr(self._datasette, name)

    async def execute(self, database: str, sql: str, params: Any = None, **options: Any) -> Any:
        facet, limit = _FACET_SQL.match(sql), _LIMIT.search(sql)
        if facet and limit and facet.group(1) in COUNTED_FACETS:
            params = {"facet": facet.group(1), "limit": int(limit.group(1))}
            sql = _COUNTS_SQL
        return await self._datasette.execute(database, sql, params, **options)


class CountedColumnFacet(ColumnFacet):
    """Datasette's column facet; on the whole articles table, from the kept counts."""

    async def facet_results(self) -> Any:
        datasette: Any = self.ds  # type: ignore[has-type]
        whole = self.table == COUNTED_TABLE and self.sql.rstrip().endswith(f"from {COUNTED_TABLE}")
        db = datasette.get_database(self.database)
        if not whole or not await db.table_exists("article_facet_counts"):
            return await super().facet_results()
        self.ds = _KeptCounts(datasette)
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
