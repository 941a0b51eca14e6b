"""wic-etl's Datasette: metadata, templates and a small plugin, as one app.

``wic-etl datasette`` serves what :func:`make_datasette` builds; the tests browse
the same object, so what they check is what a person sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette.app import Datasette
from datasette.plugins import pm

from loaders.datasette_app import plugin
from loaders.datasette_metadata import metadata

TEMPLATES = Path(__file__).parent / "templates"
PLUGIN_NAME = "wic-etl"
SETTINGS: dict[str, Any] = {
    # Bodies run to thousands of characters: a table view shows the start of each.
    "truncate_cells_html": 160,
}


def register_plugin() -> None:
    """Register wic-etl's plugin hooks with Datasette (once per process)."""
    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(plugin, name=PLUGIN_NAME)


def make_datasette(db_path: str | Path) -> Datasette:
    """A Datasette serving one wic-etl database, under its file's stem, as wic-etl shows it."""
    register_plugin()
    return Datasette(
        [str(db_path)],
        metadata=metadata(Path(db_path).stem),
        template_dir=str(TEMPLATES),
        settings=SETTINGS,
    )
