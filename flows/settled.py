"""An ingest with nothing to do, settled without Prefect.

When every source is a saved file unchanged since a run made it into an article
(``unchanged_files``: the same file, not written since a run read it), the run has
nothing to read, extract or load. Starting Prefect for it would cost more than
everything else together (importing Prefect and starting and ending a flow run:
about 1.3 s of a 1.6 s re-run of 2,000 files, measured), so the command records
such a run itself: a ``runs`` row, like any run's, whose id is a fresh UUID that
no Prefect flow run has. A run with anything else to do (a changed, new or
missing file, an archive, a web address) is a Prefect flow run as always.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from core.accounting import RunCounts, RunSummary
from flows.batch import unchanged_files
from loaders.store import Store
from readers.sources import SourceList

SETTLED_NOTE = (
    "nothing to do: every file is unchanged since it was loaded, so no Prefect flow run "
    "was started (the run is recorded in runs)"
)


def files_to_read(store: Store, files: Sequence[str], reread: bool = False) -> list[str]:
    """The files a run must read, in order: the others are unchanged since they were loaded."""
    unchanged = unchanged_files(store, files, reread)
    return [f for f in files if f not in unchanged]


def settle_unchanged(
    store: Store, sources: Sequence[str], found: SourceList, to_read: Sequence[str]
) -> RunSummary | None:
    """Record and summarise the run if it has nothing to read or fetch; else None."""
    if found.urls or found.missing or not found.files or to_read:
        return None
    run_id = str(uuid.uuid4())
    n = len(found.files)
    counts = RunCounts(pages=n, unchanged=n, skipped=found.skipped)
    store.start_run(run_id, "ingest", sources)
    store.finish_run(run_id, counts, "completed")
    return RunSummary(run_id, store.path, counts, notes=(SETTLED_NOTE,))
