"""Datasette's own filters, with every search bounded (``loaders.search.MAX_CANDIDATES``).

Datasette's ``?_search=`` filter selects ``rowid in (select rowid from <fts> where
<fts> match ...)``: every match, which the table's sort, count and facets then read
row by row (a word in half of 150,000 articles: 5 s, facets timed out). Here the
same clause reads only the most recently stored ``MAX_CANDIDATES`` matches that pass
the page's filters (``search_scope``). The ``?_where=`` and ``?_through=`` filters are
Datasette's, registered again unchanged.
"""

from __future__ import annotations

from typing import Any

import datasette.filters as datasette_filters
from datasette import hookimpl
from datasette.filters import FilterArguments, through_filters, where_filters

from loaders import search
from loaders.datasette_app.search_scope import page_filters, within

__all__ = ["bounded_search_filters", "through_filters", "where_filters"]


def bounded(clause: str, scope: str = "") -> str:
    """Datasette's search clause, ``... in (select rowid from T where C match Q)``, bounded;
    ``scope`` (``search_scope.within``) keeps only the matches that pass the filters.
    """
    if not (clause.endswith(")") and " match " in clause):
        raise ValueError(f"not a Datasette search clause: {clause}")
    return f"{clause[:-1]}{scope} order by rowid desc limit {int(search.MAX_CANDIDATES)})"


@hookimpl(specname="filters_from_request")
def bounded_search_filters(request: Any, database: str, table: str, datasette: Any) -> Any:
    # Called, not imported: imported, pluggy would register the unbounded one here too.
    searching = datasette_filters.search_filters(request=request, database=database, table=table,
                               datasette=datasette)  # fmt: skip

    async def inner() -> FilterArguments:
        found = await searching()
        scope = ""
        if found.where_clauses:
            metadata = datasette.table_metadata(database, table)
            fts_table = (
                request.args.get("_fts_table")
                or metadata.get("fts_table")
                or await datasette.get_database(database).fts_table(table)
            )
            fts_pk = request.args.get("_fts_pk", metadata.get("fts_pk", "rowid"))
            clauses, params = await page_filters(request, database, table, datasette)
            scope = within(fts_table, table, fts_pk, clauses)
            found.params.update(params)  # the table's own, by the same names
        found.where_clauses = [bounded(c, scope) for c in found.where_clauses]
        return found

    return inner
