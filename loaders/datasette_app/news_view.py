"""The articles table as a news list: date, title, section, site and author.

Twenty-odd columns, four of them hashes, made /DB/articles a wall of hex with rows
150 px tall (the body's first 160 characters in each). Only the HTML page is a news
list: Datasette's own ``?_col=``/``?_nocol=`` choose columns as before, and ``.json``
and ``.csv`` give every column (exports and programs lose nothing). ``?_columns=all``
shows every column on the page, the link "All columns" leads there.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils import path_with_removed_args, path_with_replaced_args

# In reading order: when, what, where, who.
NEWS_COLUMNS = ("published", "title", "section", "site", "author")
ALL_COLUMNS = "_columns"  # ?_columns=all: every column on the page


def news_vars(request: Any) -> dict[str, Any]:
    """What the table templates need: the news columns, or the way back to them."""
    args = request.args
    if "_col" in args or "_nocol" in args:
        return {}  # the reader chose the columns: Datasette's own table
    if args.get(ALL_COLUMNS) == "all":
        back = path_with_removed_args(request, {ALL_COLUMNS: "all"})
        return {"wic_news_back": str(back)}
    every = path_with_replaced_args(request, {ALL_COLUMNS: "all", "_next": None})
    # Sorted by another column (?_sort=word_count): that column too, or the order is
    # one the reader cannot see.
    sort = args.get("_sort") or args.get("_sort_desc")
    columns = NEWS_COLUMNS + ((sort,) if sort and sort not in NEWS_COLUMNS else ())
    return {"wic_news": {"columns": columns, "all_columns": str(every)}}


@hookimpl
def extra_template_vars(view_name: str, table: str | None, request: Any) -> dict[str, Any]:
    if view_name != "table" or table != "articles" or request is None:
        return {}
    return news_vars(request)
