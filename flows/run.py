"""The frame every flow run shares: open the database, start the run row, always close both."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from prefect.runtime import flow_run

from loaders.store import Store


@dataclass(frozen=True)
class RunContext:
    """What a flow run works with: its id and its store (``store.path`` is the database)."""

    run_id: str
    store: Store


@contextmanager
def pipeline_run(db: str, flow: str, sources: Sequence[str]) -> Iterator[RunContext]:
    """One run: its ``runs`` row says 'running' while it runs and how it ended after.

    A run that ends in an exception is marked 'interrupted' (Ctrl-C) or 'crashed'
    before the exception goes on, so the table never claims it is still running.
    """
    run_id = str(flow_run.get_id() or "local")
    store = Store.open(db)
    try:
        store.start_run(run_id, flow, sources)
        try:
            yield RunContext(run_id, store)
        except BaseException as exc:
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "crashed"
            # The original error is the one to report, not a failure to record it.
            with suppress(Exception):
                store.end_run(run_id, status)
            raise
    finally:
        store.close()
