"""Datasette plugin hooks of wic-etl (registered by ``make_datasette``).

They give the templates in ``templates/`` what a news archive shows: the article
page's parts, search hits with a highlighted snippet, organizer links; and they keep
every search within the bounds of ``loaders.search`` (a sentence, not a search, past
them).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any
from urllib.parse import quote

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import tilde_decode
from datasette.utils.asgi import BadRequest
from markupsafe import Markup, escape

from loaders.search import SEARCH_TABLE, search_query, search_refusal, unsegment

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
# to replace it, so that a Chinese term becomes the phrase the index can find (and a
# search over the bounds finds nothing, at once).
@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("escape_fts", 1, search_query, deterministic=True)


def raw_search_mode(datasette: Any, database: str, table: str, request: Any) -> bool:
    """Whether Datasette reads this request's search as FTS5 syntax (as its filters.py)."""
    mode = request.args.get("_searchmode")
    if mode in ("raw", "escaped"):
        return bool(mode == "raw")
    return bool(datasette.table_metadata(database, table).get("searchmode") == "raw")


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    """A search over the bounds, or not FTS5 syntax in raw mode, matches no row.

    Datasette's own search filter still adds its FTS5 clause; SQLite tests a constant
    false clause such as the one added here before any other, so it runs no search at
    all (nor reads the raw query's syntax: no "Invalid SQL" page). The page says why
    (``_table.html``); JSON and CSV are a 400 with the same sentence, not an empty
    answer a program would trust.
    """

    async def refuse() -> FilterArguments | None:
        searches = [request.args[key] for key in request.args
                    if key.startswith("_search") and key != "_searchmode"]  # fmt: skip
        if not searches:
            return None
        db = datasette.get_database(database)
        fts_table = (
            request.args.get("_fts_table")
            or datasette.table_metadata(database, table).get("fts_table")
            or await db.fts_table(table)
        )
        if not fts_table:
            return None  # Datasette ignores the search: so does this
        raw = raw_search_mode(datasette, database, table, request)
        for search in searches:
            if (sentence := search_refusal(search, raw=raw)) is not None:
                break
        else:
            return None
        if request.url_vars.get("format") not in (None, "html"):
            raise BadRequest(sentence)
        return FilterArguments(["0"], extra_context={"wic_search_refused": sentence})

    return refuse


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
            raw = raw_search_mode(datasette, database, table, request)
            return {"wic_hits": await _hits(db, request.args["_search"], raw)}
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


async def _hits(db: Any, query: str, raw: bool) -> dict[str, Any]:
    """The best ``HITS`` articles for a search, with a marked title and snippet each.

    Raw mode reads the query as FTS5 syntax, as Datasette's table then does. A search
    the bounds refuse runs no query: ``filters_from_request`` has put its sentence on
    the page.
    """
    if search_refusal(query, raw=raw) is not None:
        return {}
    sql = (
        f"select a.id, a.title, a.published, a.site, a.section, a.language, "
        f"highlight([{SEARCH_TABLE}], 0, '{START}', '{END}') as title_marked, "
        f"snippet([{SEARCH_TABLE}], 1, '{START}', '{END}', '…', {SNIPPET_TOKENS}) as snippet "
        f"from [{SEARCH_TABLE}] s join articles a on a.rowid = s.rowid "
        f"where [{SEARCH_TABLE}] match :fts order by s.rank limit {HITS}"
    )
    try:
        rows = (await db.execute(sql, {"fts": query if raw else search_query(query)})).rows
    except Exception:  # the table view itself says what is wrong with the query
        return {"error": True, "rows": []}
    hits = [
        dict(row)
        | {"snippet": highlighted(row["snippet"]), "title_marked": highlighted(row["title_marked"])}
        for row in rows
    ]
    return {"error": False, "rows": hits, "limit": HITS}
