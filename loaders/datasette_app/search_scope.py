"""A search's candidates within the page's filters: what the table and the hit list read.

A search reads at most ``loaders.search.MAX_CANDIDATES`` matches, the most recently
stored. Filtered after that bound, a search with a filter (``&site=``, a facet, a
date) would lose every match the bound had cut off: ``Wuzhen`` on China Daily finds
nothing when the 5,000 newest Wuzhen articles are all from wicwuzhen.cn. So the
page's filters go inside the candidate query: FTS5 reads the matches newest first,
each is kept if its article passes the filters (one lookup by rowid), and reading
stops at the bound. The table, its count and facets and the hit list all read these
candidates, so they hold the same articles.

The filters are the ones Datasette builds from the page's arguments (column filters
such as ``site=``, ``published__gte=``, ``section__in=``, and ``_where=``), built
here the same way and with the same parameter names and values.
"""

from __future__ import annotations

from typing import Any

from datasette.filters import Filters, where_filters
from datasette.utils import escape_sqlite
from datasette.views.base import ureg


async def page_filters(
    request: Any, database: str, table: str, datasette: Any
) -> tuple[list[str], dict[str, Any]]:
    """The WHERE clauses (and their parameters) Datasette applies for the page's filters.

    Column filters and ``_where=``, as Datasette's table view builds them; not the
    search, and not ``_through=`` (whose parameter names would clash with the column
    filters'), which still apply after the bound.
    """
    args = [
        (key, value)
        for key in request.args
        if not (key.startswith("_") and "__" not in key)
        for value in request.args.getlist(key)
    ]
    units = datasette.table_metadata(database, table).get("units", {})
    clauses, params = Filters(sorted(args), units, ureg).build_where_clauses(table)
    where = await where_filters(request=request, database=database, datasette=datasette)()
    return [*clauses, *where.where_clauses], dict(params)


def within(fts_table: str, table: str, fts_pk: str, clauses: list[str]) -> str:
    """The condition keeping a match of ``fts_table`` whose row of ``table`` passes
    ``clauses``: `` and exists (...)``, or nothing when there is no filter.

    Only for a table searched by its rowid (a lookup per match); the clauses' column
    names are read in ``table``, the innermost table of the condition.
    """
    if not clauses or fts_pk != "rowid" or fts_table == table:
        return ""
    name = escape_sqlite(table)
    return (
        f" and exists (select 1 from {name} where {name}.rowid = {escape_sqlite(fts_table)}.rowid"
        f" and {' and '.join(f'({c})' for c in clauses)})"
    )
