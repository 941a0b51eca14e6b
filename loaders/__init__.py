"""Records to SQLite: the schema (migrations), the run's Store, Datasette's metadata."""

from loaders.datasette_metadata import metadata
from loaders.schema import open_database
from loaders.store import Store

__all__ = ["Store", "metadata", "open_database"]
