"""Extraction worker processes, and the head start the command gives them.

Every page is extracted in a worker process, never in the run's own process:
there a page built to be slow would hold the thread that Ctrl-C and SIGTERM
must reach. Each worker extracts under a CPU deadline per page and a memory cap
(``flows/limits.py``). :class:`ExtractionPool` is a Pebble process pool: when a
worker dies (its page ran past the deadline, the kernel's OOM killer, a crash),
Pebble fails that batch alone and starts a new worker; the pool then reads the
batch apart and extracts its pages one by one, so the page that kills a worker
becomes a failure of its own and every other page still loads.

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
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing import forkserver

from pebble import ProcessExpired, ProcessPool

from core.errors import ExtractError, SourceError
from core.records import Failed, Outcome, RawPage, SavedFile
from core.settings import DEFAULTS
from flows.batch import (
    ExtractedBatch,
    ReadResult,
    chunks,
    extract_batch_in_worker,
    extract_in_worker,
    read_in_worker,
    reextract_in_worker,
    stored_pages,
)
from flows.limits import Limits, death_reason, start_worker
from loaders.store import Store

# What a worker process imports before it is forked: extraction, reading, the read-only
# store; not Prefect.
_WORKER_MODULES = ["flows.batch"]

BatchKey = tuple[str, tuple[str, ...], int]  # database, paths, max_bytes
BatchFuture = Future[tuple[ExtractedBatch, int]]


class ExtractionPool:
    """``workers`` extraction processes, forked from a fresh server process.

    Not forked from the flow's process: that holds the run's open SQLite connection
    (a child's copy of it could release the parent's locks) and Prefect's threads
    (a fork copies their locks in whatever state they are). The forkserver starts
    clean, imports the extraction code once, and each worker is a fork of it.
    """

    def __init__(self, workers: int, limits: Limits | None = None) -> None:
        self.workers = workers
        self.limits = limits or Limits()
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_WORKER_MODULES)
        _start_forkserver()
        self._pool = ProcessPool(
            max_workers=workers,
            initializer=start_worker,
            initargs=(self.limits, os.getpid()),
            context=context,
        )

    def submit_batch(self, db: str, paths: Sequence[str], max_bytes: int) -> BatchFuture:
        """Start extracting a batch of saved files; collect it with :meth:`batch_result`."""
        return self._pool.schedule(extract_batch_in_worker, (db, list(paths), max_bytes))

    def batch_result(
        self, future: BatchFuture, db: str, paths: Sequence[str], max_bytes: int
    ) -> tuple[ExtractedBatch, int]:
        """The batch extracted, and the worker's id; a batch whose worker died, page by page."""
        try:
            return future.result()
        except ProcessExpired as exc:
            return self._isolate_files(db, paths, max_bytes), exc.pid or 0

    def extract_batch(
        self, db: str, paths: Sequence[str], max_bytes: int = DEFAULTS.max_bytes
    ) -> tuple[ExtractedBatch, int]:
        """Extract a batch of saved files in a worker and wait for it."""
        return self.batch_result(self.submit_batch(db, paths, max_bytes), db, paths, max_bytes)

    def reextract(self, store: Store, shas: Sequence[str]) -> ExtractedBatch:
        """Stored pages extracted again in a worker; page by page if it dies on one."""
        future = self._pool.schedule(reextract_in_worker, (store.path, list(shas)))
        try:
            return future.result()[0]
        except ProcessExpired:
            return self._isolate_pages(stored_pages(store, shas), set())

    def extract(self, page: RawPage) -> Outcome:
        """One page extracted in a worker (a crawled page); a failure if it kills the worker."""
        try:
            return self._pool.schedule(extract_in_worker, (page,)).result()
        except ProcessExpired as exc:
            return self._died_on(page, exc)

    def _isolate_files(self, db: str, paths: Sequence[str], max_bytes: int) -> ExtractedBatch:
        """A batch whose worker died: each file read on its own, then each page extracted alone."""
        reads = [self._pool.schedule(read_in_worker, (db, [path], max_bytes)) for path in paths]
        read = ReadResult([], [])
        done: set[str] = set()
        for path, future in zip(paths, reads, strict=True):
            try:
                one, one_done = future.result()
            except ProcessExpired as exc:
                reason = death_reason(exc.exitcode, self.limits).replace(" to extract", " to read")
                read.failures.append(Failed(path, SourceError.stage, "SourceError",
                                            f"{path}: {reason}"))  # fmt: skip
                continue
            read.pages.extend(one.pages)
            read.failures.extend(one.failures)
            done |= one_done
        return self._isolate_pages(read, done)

    def _isolate_pages(self, read: ReadResult, done: set[str]) -> ExtractedBatch:
        todo = [page for page in read.pages if page.sha256 not in done]
        futures = [self._pool.schedule(extract_in_worker, (page,)) for page in todo]
        outcomes: list[Outcome] = list(read.failures)
        for page, future in zip(todo, futures, strict=True):
            try:
                outcomes.append(future.result())
            except ProcessExpired as exc:
                outcomes.append(self._died_on(page, exc))
        files = tuple(SavedFile(p.source, p.file, p.sha256) for p in read.pages if p.file)
        return ExtractedBatch(outcomes, len(read.pages) - len(todo),
                              len(read.pages) + len(read.failures), files)  # fmt: skip

    def _died_on(self, page: RawPage, exc: ProcessExpired) -> Failed:
        reason = death_reason(exc.exitcode, self.limits)
        return Failed(page.source, ExtractError.stage, "ExtractError", f"the page {reason}", page)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the workers: after their work (``wait``), or at once."""
        if wait:
            self._pool.close()
        else:
            self._pool.stop()
        self._pool.join()


def _start_forkserver() -> None:
    """Start the forkserver now, deaf to Ctrl-C, as workers will be.

    A terminal's Ctrl-C reaches the whole process group: a forkserver still importing
    the extraction code printed a KeyboardInterrupt traceback under the command's own
    message (it ignores SIGINT only once its imports are done). An ignored signal stays
    ignored across the exec that starts it. Only the main thread may change a handler:
    elsewhere (a pool started by a served deployment's thread) the forkserver starts on
    first use, as before.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The forkserver and its workers write to /dev/null, not the user's terminal: a
    # worker being forked as the command exits printed a traceback there (its parent's
    # semaphores already gone). Whatever befalls a worker comes back as a failure row.
    saved_stderr = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            forkserver.ensure_running()
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        signal.signal(signal.SIGINT, previous)


@contextmanager
def extraction_pool(workers: int, limits: Limits | None = None) -> Iterator[ExtractionPool]:
    """A pool for the length of a block, its workers stopped at the end, however it ends."""
    pool = ExtractionPool(workers, limits)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False)
        raise
    pool.shutdown()


def processes_for(files: int, batch_size: int, workers: int) -> int:
    """Worker processes worth starting: no more than batches (a start costs 0.2-0.4 s)."""
    return max(1, min(workers, -(-files // batch_size)))


def batches_in_flight(workers: int) -> int:
    """Batches extracted ahead of the one being loaded: one per worker, and one more."""
    return workers + 1


@dataclass
class HeadStart:
    """A pool started before the flow, and the batches already submitted to it."""

    pool: ExtractionPool
    started: float  # before any file was read (time.time())
    batches: dict[BatchKey, BatchFuture] = field(default_factory=dict)
    taken: bool = False


_ahead: HeadStart | None = None


def start_ahead(
    db: str,
    files: Sequence[str],
    batch_size: int,
    workers: int,
    max_bytes: int,
    limits: Limits | None = None,
) -> None:
    """Start the worker processes a run of ``files`` will use, with its first batches."""
    global _ahead
    release()
    if not files:
        return
    workers = processes_for(len(files), batch_size, workers)
    ahead = HeadStart(ExtractionPool(workers, limits), time.time())
    for batch in islice(chunks(files, batch_size), batches_in_flight(workers)):
        ahead.batches[(db, tuple(batch), max_bytes)] = ahead.pool.submit_batch(db, batch, max_bytes)
    _ahead = ahead


def take_pool(workers: int, limits: Limits) -> ExtractionPool | None:
    """The pool started ahead, if it fits this run; the taker shuts it down."""
    if _ahead is None or _ahead.taken:
        return None
    if _ahead.pool.workers != workers or _ahead.pool.limits != limits:
        return None
    _ahead.taken = True
    return _ahead.pool


def adopt(
    db: str,
    files: Sequence[str],
    batch_size: int,
    max_bytes: int,
    workers: int,
    limits: Limits | None = None,
) -> None:
    """Keep the batches started ahead that are this run's; drop the rest.

    Call it in the flow once its run is recorded as started, before submitting. The
    flow checks again which files to read: if the list changed meanwhile, a batch
    started ahead may be none of this run's (its results would only take memory).
    A file written after its batch read it is no worry: the stamp the read took is
    what is recorded, so the next run sees the write. Dropped batches are cancelled,
    or left to finish and freed.
    """
    if _ahead is None:
        return
    if _ahead.pool.workers != workers or _ahead.pool.limits != (limits or Limits()):
        release()  # the flow starts a pool of its own
        return
    own = {(db, tuple(batch), max_bytes) for batch in chunks(files, batch_size)}
    for key in [key for key in _ahead.batches if key not in own]:
        _ahead.batches.pop(key).cancel()


def claim(db: str, paths: Sequence[str], max_bytes: int) -> BatchFuture | None:
    """The extraction of this batch if it was started ahead and adopted (once), else None."""
    if _ahead is None or not _ahead.taken:
        return None
    return _ahead.batches.pop((db, tuple(paths), max_bytes), None)


def release() -> None:
    """Forget the head start; stop its processes if no flow took them."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is not None and not ahead.taken:
        ahead.pool.shutdown(wait=False)
