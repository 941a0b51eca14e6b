"""Datasette's own filters, with every search bounded (``loaders.search.MAX_CANDIDATES``).

Datasette's ``?_search=`` filter selects ``rowid in (select rowid from <fts> where
<fts> match ...)``: every match, which the table's sort, count and facets then read
row by row (a word in half of 150,000 articles: 5 s, facets timed out). Here the
same clause reads only the most recently stored ``MAX_CANDIDATES`` matches that pass
the page's filters (``search_scope``). The ``?_where=`` and ``?_through=`` filters are
Datasette's, registered again unchanged.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import datasette.filters as datasette_filters
from datasette import hookimpl
from datasette.database import QueryInterrupted
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


async def candidates_once(db: Any, clause: str, params: dict[str, Any], n: int) -> str:
    """A bounded search clause with filters inside, its candidates read once.

    The page's table, count and four facets each read the clause: as a subquery, each
    would read the search's matches and look up every one's article again (a filter few
    matches pass reads them all). Read once here, the candidates go to each query as a
    JSON list of rowids (``:wic_candidates_N``). A search the bounds refused, or one
    taking too long, keeps the subquery (the refusal's false clause is tested first).
    """
    column, _, subquery = clause.partition(" in (")
    try:
        rows = (await db.execute(subquery[:-1], params)).rows
    except (QueryInterrupted, sqlite3.Error):
        return clause
    params[f"wic_candidates_{n}"] = json.dumps([row[0] for row in rows])
    return f"{column} in (select value from json_each(:wic_candidates_{n}))"


def refused(request: Any, metadata: dict[str, Any]) -> bool:
    """Whether a search of the page is one the bounds refuse (``loaders.search``)."""
    raw = (request.args.get("_searchmode") or metadata.get("searchmode")) == "raw"
    searches = [request.args[key] for key in request.args
                if key.startswith("_search") and key != "_searchmode"]  # fmt: skip
    return any(search.search_refusal(query, raw=raw) is not None for query in searches)


@hookimpl(specname="filters_from_request")
def bounded_search_filters(request: Any, database: str, table: str, datasette: Any) -> Any:
    # Called, not imported: imported, pluggy would register the unbounded one here too.
    searching = datasette_filters.search_filters(request=request, database=database, table=table,
                               datasette=datasette)  # fmt: skip

    async def inner() -> FilterArguments:
        found = await searching()
        scope = ""
        db = datasette.get_database(database)
        if found.where_clauses:
            metadata = datasette.table_metadata(database, table)
            fts_table = (
                request.args.get("_fts_table")
                or metadata.get("fts_table")
                or await db.fts_table(table)
            )
            fts_pk = request.args.get("_fts_pk", metadata.get("fts_pk", "rowid"))
            clauses, params = await page_filters(request, database, table, datasette)
            scope = within(fts_table, table, fts_pk, clauses)
            found.params.update(params)  # the table's own, by the same names
        found.where_clauses = [bounded(c, scope) for c in found.where_clauses]
        if scope and not refused(request, datasette.table_metadata(database, table)):
            found.where_clauses = [await candidates_once(db, c, found.params, n)
                                   for n, c in enumerate(found.where_clauses)]  # fmt: skip
        return found

    return inner
