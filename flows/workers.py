"""Extraction worker processes, and the head start the command gives them.

Importing Prefect and starting a flow run take about a second on one core
(measured: 0.6-0.8 s to import, 0.15-0.2 s to start the run), during which the
machine's other cores have nothing to do. So ``wic-etl ingest`` starts the
run's worker processes and hands them the run's first batches *before* it
imports Prefect (:func:`start_ahead`); the flow, once its run is recorded,
keeps the batches that are still its own (:func:`adopt`), takes that pool
(:func:`take_pool`), and each of its extraction tasks collects its batch's
result if it was started ahead (:func:`claim`), else submits it as usual. The
batches are the flow's own: the same files (those not unchanged), the same
size, no more than the flow keeps in flight, so memory is bounded as before.
Nothing here imports Prefect; a flow run started any other way (a deployment,
a test) finds no head start and starts its own pool.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

from flows.batch import (
    CHANGE_MARGIN_S,
    ExtractedBatch,
    chunks,
    extract_batch_in_worker,
    ignore_interrupts,
)

# What a worker process imports before it is forked: extraction, reading, the read-only
# store; not Prefect.
_WORKER_MODULES = ["flows.batch"]

BatchKey = tuple[str, tuple[str, ...], int]  # database, paths, max_bytes


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` extraction processes, forked from a fresh server process.

    Not forked from the flow's process: that holds the run's open SQLite connection
    (a child's copy of it could release the parent's locks) and Prefect's threads
    (a fork copies their locks in whatever state they are). The forkserver starts
    clean, imports the extraction code once, and each worker is a fork of it.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_WORKER_MODULES)
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=ignore_interrupts
    )


def processes_for(files: int, batch_size: int, workers: int) -> int:
    """Worker processes worth starting: no more than batches (a start costs 0.2-0.4 s)."""
    return min(workers, -(-files // batch_size))


def batches_in_flight(workers: int) -> int:
    """Batches extracted ahead of the one being loaded: one per worker, and one more."""
    return workers + 1


@dataclass
class HeadStart:
    """A pool started before the flow, and the batches already submitted to it."""

    pool: ProcessPoolExecutor
    workers: int
    started: float  # before any file was read (time.time())
    batches: dict[BatchKey, Future[tuple[ExtractedBatch, int]]] = field(default_factory=dict)
    taken: bool = False


_ahead: HeadStart | None = None


def start_ahead(
    db: str, files: Sequence[str], batch_size: int, workers: int, max_bytes: int
) -> None:
    """Start the worker processes a run of ``files`` will use, with its first batches."""
    global _ahead
    release()
    workers = processes_for(len(files), batch_size, workers)
    if workers <= 1:
        return  # the flow extracts in its own process: nothing to start
    ahead = HeadStart(worker_pool(workers), workers, time.time())
    for batch in islice(chunks(files, batch_size), batches_in_flight(workers)):
        key = (db, tuple(batch), max_bytes)
        ahead.batches[key] = ahead.pool.submit(extract_batch_in_worker, db, batch, max_bytes)
    _ahead = ahead


def take_pool(workers: int) -> ProcessPoolExecutor | None:
    """The pool started ahead, if it has ``workers`` processes; the taker shuts it down."""
    if _ahead is None or _ahead.taken or _ahead.workers != workers:
        return None
    _ahead.taken = True
    return _ahead.pool


def adopt(db: str, files: Sequence[str], batch_size: int, max_bytes: int, workers: int) -> None:
    """Keep the batches started ahead that are this run's and still true; drop the rest.

    Call it in the flow once its run is recorded as started, before submitting. The
    flow checks again which files to read: if the list changed meanwhile, a batch
    started ahead may be none of this run's (its results would only take memory). A
    file written since the head start began may have been read before the write,
    yet under a run that started after it: ``unchanged_files`` would take the stored
    bytes as current for good, so such a file's batch is extracted again. Dropped
    batches are cancelled, or left to finish and freed.
    """
    if _ahead is None:
        return
    if _ahead.workers != workers:
        release()  # the flow starts a pool of its own size
        return
    ahead = _ahead
    own = {(db, tuple(batch), max_bytes) for batch in chunks(files, batch_size)}
    since = ahead.started - CHANGE_MARGIN_S  # the file system's clock may run a little ahead
    stale = [
        key for key in ahead.batches
        if key not in own or any(_written_since(path, since) for path in key[1])
    ]  # fmt: skip
    for key in stale:
        ahead.batches.pop(key).cancel()


def _written_since(path: str, since: float) -> bool:
    try:
        info = os.stat(path)
    except OSError:
        return True  # gone or unreadable: let the flow's own read say what it is
    return max(info.st_mtime, info.st_ctime) >= since


def claim(
    db: str, paths: Sequence[str], max_bytes: int
) -> Future[tuple[ExtractedBatch, int]] | None:
    """The extraction of this batch if it was started ahead and adopted (once), else None."""
    if _ahead is None or not _ahead.taken:
        return None
    return _ahead.batches.pop((db, tuple(paths), max_bytes), None)


def release() -> None:
    """Forget the head start; stop its processes if no flow took them."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is not None and not ahead.taken:
        ahead.pool.shutdown(wait=False, cancel_futures=True)
