"""Where an article came from, on its page: the saved files it was read from, and the
other copies of the same story (``articles.duplicate_of``), named both ways.

An article read from a saved file has no address to show: its page names the file,
what it was read as and when. A copy of a story stored before names and links the
first copy; the first copy lists every later copy ("also published at").
"""

from __future__ import annotations

import sqlite3
from pathlib import PurePath
from typing import Any

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode

from loaders.datasette_app.plugin import web_address

# The article's pages, first to last: each stitched part, else the page it was read from.
_PAGES_SQL = """
select p.source, p.format, p.read_at from pages p
join (select page_sha256 as sha256, page_number as n from article_parts where article_id = :id
      union all select page_sha256, 0 from articles where id = :id
      and not exists (select 1 from article_parts where article_id = :id)) o
  on o.sha256 = p.sha256
order by o.n
"""
_ARTICLE_SQL = "select id, title, url, site, published from articles where id = ?"
_COPIES_SQL = (
    "select id, title, url, site, published from articles where duplicate_of = ? "
    "order by published, id"
)
# What a saved file was read as, by its name: an MHTML save or a WARC record holds an
# HTML page, and pages.format says only "html".
_CONTAINERS = {".mht": "MHTML", ".mhtml": "MHTML", ".warc": "WARC", ".warc.gz": "WARC"}
_FORMATS = {"html": "HTML", "text": "text"}


def saved_files(conn: sqlite3.Connection, article_id: str) -> list[dict[str, Any]]:
    """The saved files an article was read from, in page order (none: it was fetched)."""
    rows = conn.execute(_PAGES_SQL, {"id": article_id}).fetchall()
    files = []
    for source, format_, read_at in rows:
        if not source or web_address(source):
            continue  # fetched from the web: its address is the article's own
        path, _, record = source.partition("#")  # an archive's record: path#address
        name = PurePath(path).name
        files.append(
            {
                "name": name,
                "path": path,
                "record": record or None,
                "format": _format(name, format_),
                "read_at": read_at,
                "read": read_at[:16].replace("T", " ") if read_at else None,
            }
        )
    return files


def _format(name: str, format_: str | None) -> str:
    lower = name.lower()
    for suffix, label in _CONTAINERS.items():
        if lower.endswith(suffix):
            return label
    return _FORMATS.get(format_ or "", format_ or "unknown")


def duplicates(conn: sqlite3.Connection, article_id: str) -> dict[str, Any]:
    """The first copy of this story (if this is a later one) and its later copies."""
    cursor = conn.cursor()  # rows by name here, the connection's own factory untouched
    cursor.row_factory = sqlite3.Row
    row = cursor.execute("select duplicate_of from articles where id = ?", [article_id]).fetchone()
    original = None
    if row is not None and row["duplicate_of"]:
        found = cursor.execute(_ARTICLE_SQL, [row["duplicate_of"]]).fetchone()
        # A first copy no longer stored is still named, by its id.
        original = dict(found) if found else {"id": row["duplicate_of"], "title": None}
    copies = [dict(r) for r in cursor.execute(_COPIES_SQL, [article_id]).fetchall()]
    return {"original": original, "copies": copies}


async def origin_vars(datasette: Any, database: str, article_id: str) -> dict[str, Any]:
    db = datasette.get_database(database)

    def read(conn: sqlite3.Connection) -> dict[str, Any]:
        return {"files": saved_files(conn, article_id), **duplicates(conn, article_id)}

    origin = await db.execute_fn(read)
    for article in [origin["original"], *origin["copies"]]:
        if article is not None:
            article["page"] = datasette.urls.row(database, "articles", tilde_encode(article["id"]))
            article["link"] = web_address(article.get("url"))
    return origin


@hookimpl
def extra_template_vars(
    view_name: str, table: str | None, database: str | None, request: Any, datasette: Any
) -> Any:
    async def origin() -> dict[str, Any]:
        if view_name != "row" or table != "articles" or database is None or request is None:
            return {}
        article_id = tilde_decode(request.url_vars["pks"])
        return {"wic_origin": await origin_vars(datasette, database, article_id)}

    return origin
