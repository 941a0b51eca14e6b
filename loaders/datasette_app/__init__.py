"""wic-etl's Datasette: metadata, templates and a small plugin, as one app.

``wic-etl datasette`` serves what :func:`make_datasette` builds; the tests browse
the same object, so what they check is what a person sees.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasette.facets
import datasette.filters
from datasette.app import Datasette
from datasette.plugins import pm

from loaders.datasette_app import (
    facets,
    filters,
    news_view,
    plugin,
    provenance,
    removed_kinds,
    timeline,
)
from loaders.datasette_metadata import metadata
from loaders.schema import reads_as_immutable

TEMPLATES = Path(__file__).parent / "templates"
PLUGIN_NAME = "wic-etl"
SETTINGS: dict[str, Any] = {
    # Bodies run to thousands of characters: a table view shows the start of each.
    "truncate_cells_html": 160,
    # Datasette offers the whole file for download when it serves it as immutable (a
    # database on read-only media): raw pages and all, gigabytes. Never, as for any other.
    "allow_download": False,
    # Datasette suggests facets by running one query per column, each with the page's
    # search in it: a search of articles ran 89 queries, where the configured facets
    # (loaders/datasette_metadata.py) need 4.
    "suggest_facets": False,
}


def register_plugin() -> None:
    """Register wic-etl's plugin hooks with Datasette (once per process).

    Datasette's own filters give way to the same ones with every search bounded
    (``filters``), and its facets to the same ones with the articles table's counted
    by the loader (``facets``), under Datasette's names for them.
    """
    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(plugin, name=PLUGIN_NAME)
    for name, module in (
        ("news-view", news_view),
        ("provenance", provenance),
        ("timeline", timeline),
        ("removed-kinds", removed_kinds),
    ):
        if pm.get_plugin(f"{PLUGIN_NAME}-{name}") is None:
            pm.register(module, name=f"{PLUGIN_NAME}-{name}")
    if pm.get_plugin("datasette.filters") is datasette.filters:
        pm.unregister(datasette.filters)
        pm.register(filters, name="datasette.filters")
    if pm.get_plugin("datasette.facets") is datasette.facets:
        pm.unregister(datasette.facets)
        pm.register(facets, name="datasette.facets")


def make_datasette(db_path: str | Path, sites: Sequence[str]) -> Datasette:
    """A Datasette serving one wic-etl database, under its file's stem, as wic-etl shows it.

    ``sites``: the sites wic-etl has profiles for, named in the descriptions.

    A database on read-only media is served as immutable: Datasette's usual read-only
    connection cannot open a WAL database where no ``-shm`` file can be made.
    """
    register_plugin()
    try:
        immutable = reads_as_immutable(db_path)
    except sqlite3.Error:
        immutable = False  # Datasette opens it as any file, and says what is wrong
    files = [str(db_path)]
    return Datasette(
        [] if immutable else files,
        immutables=files if immutable else None,
        metadata=metadata(Path(db_path).stem, sites),
        template_dir=str(TEMPLATES),
        settings=SETTINGS,
    )
