"""Datasette plugin hooks of wic-etl (registered by ``make_datasette``)."""

from __future__ import annotations

import sqlite3

from datasette import hookimpl

from loaders.search import search_query


# trylast: Datasette's own prepare_connection registers escape_fts, which its
# search box and ?_search= pass every query through; ours must be registered after it
# to replace it, so that a Chinese term becomes the phrase the index can find.
@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("escape_fts", 1, search_query, deterministic=True)
