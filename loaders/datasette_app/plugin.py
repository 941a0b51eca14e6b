"""Datasette plugin hooks of wic-etl (registered by ``make_datasette``).

They give the templates in ``templates/`` what a news archive shows: the article
page's parts, search hits with a highlighted snippet, organizer links.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any
from urllib.parse import quote

from datasette import hookimpl
from datasette.utils import tilde_decode
from markupsafe import Markup, escape

from loaders.search import SEARCH_TABLE, search_query, unsegment

HITS = 100  # search hits listed, best first
# Snippet marks no page text can hold: the snippet is escaped first, then marked up.
START, END = "\x02", "\x03"
SNIPPET_TOKENS = 40
_WEB_ADDRESS = re.compile(r"https?://", re.IGNORECASE)
# The project's tables first on the database page, in reading order; the rest after.
TABLE_ORDER = (
    "articles", "images", "organizers", "article_organizers", "removed_lines",
    "article_parts", "pages", "listing_links", "runs", "failures",
)  # fmt: skip


# trylast: Datasette's own prepare_connection registers escape_fts, which its
# search box and ?_search= pass every query through; ours must be registered after it
# to replace it, so that a Chinese term becomes the phrase the index can find.
@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("escape_fts", 1, search_query, deterministic=True)


def highlighted(snippet: str | None) -> Markup:
    """An FTS5 snippet as safe HTML: the page's text escaped, the matches in <mark>."""
    text = str(escape(unsegment(snippet or "")))
    return Markup(text.replace(START, "<mark>").replace(END, "</mark>"))


def web_address(url: str | None) -> str | None:
    """``url`` if it is an http or https address, else None: only those become links.

    Checked on the string as it would go into href, so a javascript: or data: address
    (or one behind spaces or control characters a browser would skip) stays text.
    """
    return url if url and _WEB_ADDRESS.match(url) else None


def organizer_link(datasette: Any, database: str, name: str) -> str:
    """Where an organizer's name leads: the articles whose pages list it."""
    path = datasette.urls.table(database, "articles_by_organizer")
    return f"{path}?organizer={quote(name)}"


@hookimpl
def render_cell(
    value: object, column: str, table: str | None, database: str, datasette: Any
) -> Markup | None:
    if table == "organizers" and column == "name" and isinstance(value, str):
        return Markup('<a href="{}">{}</a>').format(
            organizer_link(datasette, database, value), value
        )
    return None


@hookimpl
def extra_template_vars(
    view_name: str, table: str | None, database: str | None, request: Any, datasette: Any
) -> Any:
    async def article_vars() -> dict[str, Any]:
        if database is None or request is None:
            return {}
        db = datasette.get_database(database)
        if view_name == "row" and table == "articles":
            return {"wic_article": await _article(db, datasette, database, request)}
        if view_name == "table" and table == "articles" and request.args.get("_search"):
            return {"wic_hits": await _hits(db, request.args["_search"])}
        if view_name == "database":
            return {"wic_table_order": TABLE_ORDER}
        return {}

    return article_vars


async def _article(db: Any, datasette: Any, database: str, request: Any) -> dict[str, Any]:
    article_id = tilde_decode(request.url_vars["pks"])
    rows = (await db.execute("select * from articles where id = ?", [article_id])).rows
    if not rows:
        return {}
    article = dict(rows[0])
    related = {
        "images": "select position, src, caption, credit from images where article_id = ? "
        "order by position",
        "organizers": "select o.name from article_organizers ao join organizers o "
        "on o.id = ao.organizer_id where ao.article_id = ? order by ao.position",
        "removed": "select kind, text from removed_lines where article_id = ? order by position",
    }
    for key, sql in related.items():
        article[key] = [dict(r) for r in (await db.execute(sql, [article_id])).rows]
    for organizer in article["organizers"]:
        organizer["link"] = organizer_link(datasette, database, organizer["name"])
    article["paragraphs"] = [p for p in (article["body"] or "").split("\n\n") if p.strip()]
    article["link"] = web_address(article["url"])
    return article


async def _hits(db: Any, query: str) -> dict[str, Any]:
    sql = (
        f"select a.id, a.title, a.published, a.site, a.section, a.language, "
        f"highlight([{SEARCH_TABLE}], 0, '{START}', '{END}') as title_marked, "
        f"snippet([{SEARCH_TABLE}], 1, '{START}', '{END}', '…', {SNIPPET_TOKENS}) as snippet "
        f"from [{SEARCH_TABLE}] s join articles a on a.rowid = s.rowid "
        f"where [{SEARCH_TABLE}] match escape_fts(:q) order by s.rank limit {HITS}"
    )
    try:
        rows = (await db.execute(sql, {"q": query})).rows
    except Exception:  # the table view itself says what is wrong with the query
        return {"error": True, "rows": []}
    hits = [
        dict(row)
        | {"snippet": highlighted(row["snippet"]), "title_marked": highlighted(row["title_marked"])}
        for row in rows
    ]
    return {"error": False, "rows": hits, "limit": HITS}
