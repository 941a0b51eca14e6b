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
imports Prefect (:func:`start_ahead`, through ``flows.before_prefect``); the
flow, once its run is recorded, keeps the batches that are still its own
(:func:`adopt`), takes that pool (:func:`take_pool`), and each of its
extraction tasks collects its batch's result if it was started ahead
(:func:`claim`), else submits it as usual. The batches are the flow's own: the
same files (those not unchanged), the same size, no more than the flow keeps in
flight, so memory is bounded as before.
Nothing here imports Prefect; a flow run started any other way (a deployment,
a test) finds no head start and starts its own pool.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing import forkserver
from typing import Any

from pebble import ProcessExpired, ProcessPool

from core.errors import ExtractError, SourceError
from core.records import Failed, Outcome, RawPage
from core.settings import DEFAULTS
from flows.batch import (
    ExtractedBatch,
    ReadResult,
    batch_of,
    chunks,
    extract_batch_in_worker,
    extract_in_worker,
    read_batch,
    reextract_in_worker,
    stored_pages,
)
from flows.limits import Limits, death_reason, start_worker
from loaders.store import Store

# What a worker process imports before it is forked: extraction, reading, the read-only
# store; not Prefect.
_WORKER_MODULES = ["flows.batch"]

# What a batch is ("files" read, or "stored" pages), its database, its paths or page
# ids, and max_bytes (files only).
BatchKey = tuple[str, str, tuple[str, ...], int]
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
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_WORKER_MODULES)
        _start_forkserver()
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPool:
        return ProcessPool(
            max_workers=self.workers,
            initializer=start_worker,
            initargs=(self.limits, os.getpid()),
            context=self._context,
        )

    def _current(self) -> ProcessPool:
        with self._lock:
            return self._pool

    def _renew(self, broken: ProcessPool) -> None:
        """A new Pebble pool in place of one that broke (once, whichever thread sees it first).

        Pebble replaces a worker that dies on a task, but one that dies idle (the OOM
        killer picks the fattest process, busy or not; a killed forkserver takes all
        of them) leaves the whole pool refusing every task.
        """
        with self._lock:
            if self._pool is broken:
                self._pool = self._new_pool()
        broken.stop()

    def _schedule(self, function: Callable[..., Any], args: tuple[Any, ...]) -> Future[Any]:
        pool = self._current()
        try:
            return pool.schedule(function, args)
        except RuntimeError:  # it broke: the next one takes the task
            self._renew(pool)
            return self._current().schedule(function, args)

    def _run_all(self, function: Callable[..., Any], calls: Sequence[tuple[Any, ...]]) -> list[Any]:
        """Each call's result, or the exception that ended it (ProcessExpired: its worker died).

        The calls run at once on every worker. Calls a broken pool never ran are run
        again on a new pool, twice at most.
        """
        results: list[Any] = [None] * len(calls)
        todo = list(range(len(calls)))
        for _ in range(3):
            pool = self._current()
            futures: dict[int, Future[Any]] = {}
            for i in todo:
                try:
                    futures[i] = pool.schedule(function, calls[i])
                except RuntimeError:
                    break  # the pool broke: the rest wait for the next one
            again = []
            for i in todo:
                if i not in futures:
                    again.append(i)
                    continue
                try:
                    results[i] = futures[i].result()
                except ProcessExpired as exc:
                    results[i] = exc
                except Exception as exc:
                    if pool.active:
                        results[i] = exc  # the call's own error
                    else:
                        again.append(i)
            if not again:
                return results
            self._renew(pool)
            todo = again
        for i in todo:
            results[i] = RuntimeError("the extraction processes kept dying before they began")
        return results

    def submit_batch(self, db: str, paths: Sequence[str], max_bytes: int) -> BatchFuture:
        """Start extracting a batch of saved files; collect it with :meth:`batch_result`."""
        return self._schedule(extract_batch_in_worker, (db, list(paths), max_bytes))

    def batch_result(
        self, future: BatchFuture, db: str, paths: Sequence[str], max_bytes: int
    ) -> tuple[ExtractedBatch, int]:
        """The batch extracted, and the worker's id; a batch that did not come back, page by page.

        Its worker died (a page past the deadline, the OOM killer, a crash), the pool
        broke, or the batch raised: each file is then read alone and each page
        extracted alone, so whatever it was fails one page only.
        """
        try:
            return future.result()
        except ProcessExpired as exc:
            return self._isolate_files(db, paths, max_bytes), exc.pid or 0
        except Exception:
            return self._isolate_files(db, paths, max_bytes), 0

    def extract_batch(
        self, db: str, paths: Sequence[str], max_bytes: int = DEFAULTS.max_bytes
    ) -> tuple[ExtractedBatch, int]:
        """Extract a batch of saved files in a worker and wait for it."""
        return self.batch_result(self.submit_batch(db, paths, max_bytes), db, paths, max_bytes)

    def submit_reextract(self, db: str, shas: Sequence[str]) -> BatchFuture:
        """Start extracting stored pages again; collect them with :meth:`reextract`."""
        return self._schedule(reextract_in_worker, (db, list(shas)))

    def reextract(
        self, store: Store, shas: Sequence[str], started: BatchFuture | None = None
    ) -> ExtractedBatch:
        """Stored pages extracted again in a worker (``started`` already, or now); page by
        page if that does not come back."""
        try:
            return (started or self.submit_reextract(store.path, shas)).result()[0]
        except Exception:
            return self._isolate_pages(stored_pages(store, shas), set())

    def extract(self, page: RawPage) -> Outcome:
        """One page extracted in a worker (a crawled page); a failure if it kills the worker."""
        (result,) = self._run_all(extract_in_worker, [(page,)])
        return self._outcome_of(page, result)

    def _isolate_files(self, db: str, paths: Sequence[str], max_bytes: int) -> ExtractedBatch:
        """Each file read on its own, then each page extracted alone."""
        read = ReadResult([], [])
        done: set[str] = set()
        reads = self._run_all(read_batch, [(db, [path], max_bytes) for path in paths])
        for path, result in zip(paths, reads, strict=True):
            if isinstance(result, BaseException):
                reason = (
                    death_reason(result.exitcode, self.limits, "read")
                    if isinstance(result, ProcessExpired)
                    else f"unexpected {type(result).__name__} while reading it ({result}); "
                    "this is a wic-etl bug: report it with the file attached"
                )
                read.failures.append(Failed(path, SourceError.stage, "SourceError",
                                            f"{path}: {reason}"))  # fmt: skip
                continue
            one, one_done = result
            read.pages.extend(one.pages)
            read.failures.extend(one.failures)
            done |= one_done
        return self._isolate_pages(read, done)

    def _isolate_pages(self, read: ReadResult, done: set[str]) -> ExtractedBatch:
        todo = [page for page in read.pages if page.sha256 not in done]
        results = self._run_all(extract_in_worker, [(page,) for page in todo])
        return batch_of(
            read, done, [self._outcome_of(p, r) for p, r in zip(todo, results, strict=True)]
        )

    def _outcome_of(self, page: RawPage, result: Any) -> Outcome:
        if isinstance(result, ProcessExpired):
            reason = death_reason(result.exitcode, self.limits)
        elif isinstance(result, BaseException):
            reason = (
                f"unexpected {type(result).__name__}: {result}. This is a wic-etl bug: "
                "report it with the page attached"
            )
        else:
            return result
        return Failed(page.source, ExtractError.stage, "ExtractError", reason, page)

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        """Its workers stopped at the block's end: after their work, or at once on an error."""
        self.shutdown(wait=kind is None)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the workers: after their work (``wait``), or at once."""
        pool = self._current()
        if wait:
            pool.close()
        else:
            pool.stop()
        pool.join()


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
    ahead = HeadStart(ExtractionPool(workers, limits))
    for batch in islice(chunks(files, batch_size), batches_in_flight(workers)):
        key = _files_key(db, batch, max_bytes)
        ahead.batches[key] = ahead.pool.submit_batch(db, batch, max_bytes)
    _ahead = ahead


def start_reextract_ahead(db: str, batch_size: int, workers: int, limits: Limits) -> None:
    """Start the worker processes of a re-extraction of ``db``, with its first batches.

    Only the first batches' page ids are read here: the flow reads them all.
    """
    global _ahead
    release()
    # Two batches a worker and one more: a worker that finished its first batch before
    # the flow began (Prefect's import and start took 2-5 s, a batch 1.5-3 s) waited
    # idle. They come back without raw bytes: 6 MB a batch at most.
    ahead_batches = batches_in_flight(workers) + workers
    with Store.open_read_only(db) as store:
        first = store.stored_page_ids(ahead_batches * batch_size)
    if not first:
        return
    # As many as the flow will want: it starts no more processes than batches either,
    # and ``first`` holds more pages than the workers' batches if there are that many.
    workers = processes_for(len(first), batch_size, workers)
    ahead = HeadStart(ExtractionPool(workers, limits))
    for batch in islice(chunks(first, batch_size), ahead_batches):
        ahead.batches[_stored_key(db, batch)] = ahead.pool.submit_reextract(db, batch)
    _ahead = ahead


def _files_key(db: str, paths: Sequence[str], max_bytes: int) -> BatchKey:
    return ("files", db, tuple(paths), max_bytes)


def _stored_key(db: str, shas: Sequence[str]) -> BatchKey:
    return ("stored", db, tuple(shas), 0)


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
    own = {_files_key(db, batch, max_bytes) for batch in chunks(files, batch_size)}
    _adopt(own, workers, limits)


def adopt_stored(
    db: str, shas: Sequence[str], batch_size: int, workers: int, limits: Limits
) -> None:
    """``adopt`` for a re-extraction: keep the batches started ahead that are the flow's
    (a page stored meanwhile by another run may have changed them)."""
    _adopt({_stored_key(db, batch) for batch in chunks(shas, batch_size)}, workers, limits)


def _adopt(own: set[BatchKey], workers: int, limits: Limits | None) -> None:
    if _ahead is None:
        return
    if _ahead.pool.workers != workers or _ahead.pool.limits != (limits or Limits()):
        release()  # the flow starts a pool of its own
        return
    for key in [key for key in _ahead.batches if key not in own]:
        _ahead.batches.pop(key).cancel()


def claim(db: str, paths: Sequence[str], max_bytes: int) -> BatchFuture | None:
    """The extraction of this batch if it was started ahead and adopted (once), else None."""
    return _claim(_files_key(db, paths, max_bytes))


def claim_stored(db: str, shas: Sequence[str]) -> BatchFuture | None:
    """``claim`` for a batch of stored pages extracted again."""
    return _claim(_stored_key(db, shas))


def _claim(key: BatchKey) -> BatchFuture | None:
    if _ahead is None or not _ahead.taken:
        return None
    return _ahead.batches.pop(key, None)


def release() -> None:
    """Forget the head start; stop its processes if no flow took them."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is not None and not ahead.taken:
        ahead.pool.shutdown(wait=False)
