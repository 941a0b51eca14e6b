"""The order and the pages of a search's hit list, as the page around it asks.

The hit list of ``/DB/articles?_search=...`` holds the same articles as the table
under it: the search's candidates within the page's filters (``search_scope``). It
lists them best first (FTS5's ``bm25()``, the headline weighted: ``loaders.search``)
unless the page asks for a column's order, as the table's ``_sort=`` or
``_sort_desc=`` (``&_sort_desc=published``: newest first); ``_page=`` pages on, and
``_size=`` sets how many hits a page shows (as many rows as the table shows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datasette.utils import escape_sqlite, path_with_replaced_args

from loaders.search import RANK_SQL, SEARCH_TABLE

HITS = 20  # search hits on a page unless ?_size= asks for another number
MOST_HITS = 100  # the most ?_size= gives: each hit is highlighted and excerpted
DATE_COLUMN = "published"
# The orders offered above the list: (label, _sort, _sort_desc).
ORDERS = (("Best first", None, None), ("Newest first", None, DATE_COLUMN),
          ("Oldest first", DATE_COLUMN, None))  # fmt: skip


@dataclass(frozen=True)
class Order:
    """How the hits are listed: by rank (``column`` None) or by a column of the table."""

    column: str | None = None
    descending: bool = False


BEST_FIRST = Order()


def order_of(request: Any, columns: list[str]) -> Order:
    """The order the page asks for: its ``_sort=`` or ``_sort_desc=`` column, else best first.

    A column the table does not have is no order (Datasette's table says so itself).
    """
    for key, descending in (("_sort_desc", True), ("_sort", False)):
        column = request.args.get(key)
        if column and (column in columns or column == "rowid"):
            return Order(column, descending)
    return BEST_FIRST


def hits_per_page(request: Any) -> int:
    """``?_size=N`` (1 to ``MOST_HITS``), else ``HITS``."""
    size = request.args.get("_size") or ""
    return min(int(size), MOST_HITS) if size.isdigit() and int(size) > 0 else HITS


def candidates_sql(table: str, scope: str, order: Order) -> str:
    """The search's candidates (rowid, rank, the order's column), newest stored first.

    ``scope``: ``search_scope.within`` of the page's filters; parameters ``:wic_fts``
    (the FTS5 query) and ``:wic_most`` (the bound), and the filters' own.
    """
    sort_value = "null"
    if order.column == "rowid":
        sort_value = "rowid"
    elif order.column is not None:
        name = escape_sqlite(table)
        sort_value = (
            f"(select {name}.{escape_sqlite(order.column)} from {name} "
            f"where {name}.rowid = [{SEARCH_TABLE}].rowid)"
        )
    return (
        f"select rowid, {RANK_SQL} as rank, {sort_value} as sort_value from [{SEARCH_TABLE}] "
        f"where [{SEARCH_TABLE}] match :wic_fts{scope} order by rowid desc limit :wic_most + 1"
    )


def _sqlite_key(value: object) -> tuple[int, Any]:
    """A value's place in SQLite's order: null, numbers, text, blobs."""
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    return (3, value)  # a blob: compared with other blobs only


def ordered(found: list[tuple[int, float, Any]], order: Order) -> list[int]:
    """The candidates' rowids in ``order``; ties newest stored first, as the bound reads."""
    newest = sorted(found, key=lambda r: -r[0])
    if order.column is None:
        return [r[0] for r in sorted(newest, key=lambda r: r[1])]
    # Stable: ties keep the newest first, in either direction.
    return [r[0] for r in sorted(newest, key=lambda r: _sqlite_key(r[2]),
                                 reverse=order.descending)]  # fmt: skip


def order_links(request: Any, order: Order) -> list[dict[str, str | None]]:
    """The orders offered, each with its address (None: the order shown).

    Following one starts at the first page, the table's too.
    """
    links = []
    for label, sort, sort_desc in ORDERS:
        current = order == Order(sort or sort_desc, bool(sort_desc))
        args = {"_sort": sort, "_sort_desc": sort_desc, "_page": None, "_next": None}
        href = None if current else str(path_with_replaced_args(request, args))
        links.append({"label": label, "href": href})
    if order.column is not None and not any(link["href"] is None for link in links):
        way = "descending" if order.descending else "ascending"
        links.append({"label": f"by {order.column}, {way}", "href": None})
    return links
