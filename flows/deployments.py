"""Deployments served by one long-running process (``wic-etl serve``).

``serve`` is the simplest way to run deployments on one machine: no work pool
or worker, and it picks up runs started with ``prefect deployment run``.
Restart it after changing the code: it keeps what it loaded.
"""

from __future__ import annotations

from prefect import serve

from flows.ingest import ingest
from flows.reextract import reextract

DEFAULT_DB = "data/wic.db"
SAVED_PAGES = "fixtures/saved"


def deployments(db: str = DEFAULT_DB, saved: str = SAVED_PAGES) -> list:
    return [
        ingest.to_deployment(
            name="saved",
            description="Ingest saved pages (files, folders, @lists) into the database. "
            "Parameters: sources (list of paths), db (SQLite path), batch_size.",
            parameters={"sources": [saved], "db": db},
            tags=["wic-etl"],
        ),
        reextract.to_deployment(
            name="all",
            description="Extract every stored page again (after an extractor change). "
            "Parameters: db (SQLite path), batch_size.",
            parameters={"db": db},
            tags=["wic-etl"],
        ),
    ]


def serve_all(db: str = DEFAULT_DB, saved: str = SAVED_PAGES) -> None:
    serve(*deployments(db, saved), print_starting_message=False)
