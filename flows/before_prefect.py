"""The part of an ingest that the command does before it imports Prefect.

Importing Prefect and starting a flow run take about a second on one core, so
``wic-etl ingest`` does two things first, in plain code:

- it settles a run with nothing to read (``flows.settled``): every source a saved
  file unchanged since it was loaded. Such a run is recorded without Prefect, and
  there is no flow to run;
- otherwise it gives the run's extraction workers their head start
  (``flows.workers``): they start, and take the run's first batches, while Prefect
  is imported; the flow adopts them. The flow also takes the command's walk of the
  sources and its unchanged check (``flows.walked``) rather than doing them again.

A flow run started any other way (a deployment, a test) skips both: the flow walks
its sources and starts its own pool.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from core.accounting import RunSummary
from flows import walked, workers
from flows.batch import unchanged_files
from flows.limits import Limits
from flows.settled import settle_unchanged
from loaders.store import Store
from readers.sources import SourceList


@contextmanager
def ahead_of_ingest(
    db: str,
    sources: Sequence[str],
    found: SourceList,
    *,
    reread: bool,
    head_start: bool,
    batch_size: int,
    workers_wanted: int,
    max_bytes: int,
    limits: Limits,
) -> Iterator[RunSummary | None]:
    """Settle the run if it has nothing to read, else start its workers ahead of the flow.

    Yields the settled run's summary (there is no flow to run), or None: then run the
    ingest flow inside the block, with the same options. ``found`` is ``sources``
    expanded; ``head_start`` False (a Dask run: its workers are Dask's) starts no
    workers. Workers the flow did not take are stopped when the block ends.
    """
    with Store.open(db) as store:
        unchanged = unchanged_files(store, found.files, reread)
        to_read = [f for f in found.files if f not in unchanged]
        settled = settle_unchanged(store, sources, found, to_read)
    if settled is not None:
        yield settled
        return
    walked.hand_over(walked.Walk(db, tuple(sources), reread, found, frozenset(unchanged)))
    if head_start:
        workers.start_ahead(db, to_read, batch_size, workers_wanted, max_bytes, limits)
    try:
        yield None
    finally:
        workers.release()
        walked.forget()
