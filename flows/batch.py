"""One batch of saved pages: read, skip what is already done, extract, load.

Plain functions, callable without Prefect; the flow runs one task per batch,
because Prefect's cost per task would dominate at one task per page.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Sequence, Set
from dataclasses import dataclass, replace
from datetime import datetime

from core.accounting import RunCounts
from core.errors import SourceError
from core.records import Extracted, Failed, Outcome, RawPage, storable_text
from core.settings import DEFAULTS
from extractors.extract import RULESET, extract_page
from loaders.search import search_row
from loaders.store import Store
from readers.archives import ArchiveRead, is_archive, read_archive
from readers.sources import read_page


def chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@dataclass(frozen=True)
class ReadResult:
    """The pages a batch of files gave, and the files that failed."""

    pages: list[RawPage]
    failures: list[Failed]


def read_pages(paths: Sequence[str], max_bytes: int = DEFAULTS.max_bytes) -> ReadResult:
    """Read each file; an MHTML or WARC file gives the HTML documents inside it.

    Whatever goes wrong with one file is a failure of that file alone: the batch's
    other files are still read and loaded.
    """
    pages: list[RawPage] = []
    failures: list[Failed] = []
    for path in paths:
        try:
            read = _read_one(path, max_bytes)
        except Exception as exc:  # a bug on one odd file must not lose the batch
            message = (
                f"{path}: unexpected {type(exc).__name__} while reading it ({exc}); this is "
                "a wic-etl bug: report it with the file attached"
            )
            failures.append(Failed(path, SourceError.stage, type(exc).__name__, message))
            continue
        pages.extend(read.pages)
        failures.extend(read.failures)
    return ReadResult(pages, failures)


def _read_one(path: str, max_bytes: int) -> ReadResult:
    try:
        page = read_page(path, max_bytes)
    except SourceError as exc:
        return ReadResult([], [Failed.from_error(path, exc)])
    if not is_archive(path):
        return ReadResult([page], [])
    return _archive_result(page, read_archive(path, page.data, max_bytes))


def _archive_result(archive_page: RawPage, archive: ArchiveRead) -> ReadResult:
    """An archive's pages, and its failures each kept with the archive's bytes.

    Kept so, ``reextract`` reads the archive again and meets the same damage.
    """
    failures = [Failed.from_error(f.source, f.error, archive_page) for f in archive.failures]
    if (exc := archive.error) is not None:
        failures.append(Failed.from_error(archive_page.source, exc, archive_page))
    return ReadResult(list(archive.pages), failures)


def missing_source_failures(missing: Sequence[str]) -> list[Failed]:
    """A failure for each named source that does not exist."""
    return [
        Failed(
            source,
            SourceError.stage,
            SourceError.__name__,
            f"{source} does not exist; check the path (sources are files, folders or @list.txt)",
        )
        for source in missing
    ]


@dataclass(frozen=True)
class ExtractedBatch:
    """A batch extracted but not yet loaded: what a worker hands to the single writer."""

    outcomes: list[Outcome]
    unchanged: int  # pages already stored exactly so: not extracted, nothing to load
    pages: int


def _extract(read: ReadResult, done: Set[str] = frozenset()) -> ExtractedBatch:
    """Extract the pages read, but those in ``done`` (already extracted exactly so)."""
    outcomes: list[Outcome] = list(read.failures)
    outcomes.extend(extract_page(page) for page in read.pages if page.sha256 not in done)
    unchanged = sum(1 for page in read.pages if page.sha256 in done)
    return ExtractedBatch(outcomes, unchanged, len(read.pages) + len(read.failures))


def extract_batch(
    db_path: str, paths: Sequence[str], max_bytes: int = DEFAULTS.max_bytes
) -> ExtractedBatch:
    """Read and extract a batch, skipping pages already done; reads the database, never writes.

    Runs anywhere the files and the database can be read (a worker process, a Dask
    worker); the flow loads the result, so SQLite has one writer whatever runs it.
    """
    read = read_pages(paths, max_bytes)
    with Store.open_read_only(db_path) as store:
        done = store.unchanged_pages((page.sha256 for page in read.pages), RULESET)
    return _extract(read, done)


def ignore_interrupts() -> None:
    """A worker process's start: Ctrl-C is the flow's to handle, not each worker's.

    A terminal sends SIGINT to the whole process group; a worker that took it would
    print its own traceback while the flow is already winding the run down.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def extract_batch_in_worker(
    db_path: str, paths: Sequence[str], max_bytes: int = DEFAULTS.max_bytes
) -> tuple[ExtractedBatch, int]:
    """``extract_batch`` in a worker process, and that process's id (for the run's log).

    Imports nothing of Prefect: a worker process only loads what extraction needs.
    What goes back to the writer is made smaller and cheaper to load: the article's
    derived values (word count, hashes, search-index columns with their Chinese word
    segmentation) are computed here, so the run's one writer only writes them; and
    the decoded text is left behind (the loader keeps the raw bytes and only the
    decoding's name and format), which halves what is pickled and held per batch in
    flight.
    """
    extracted = extract_batch(db_path, paths, max_bytes)
    outcomes = [_for_the_writer(outcome) for outcome in extracted.outcomes]
    return replace(extracted, outcomes=outcomes), os.getpid()


def _for_the_writer(outcome: Outcome) -> Outcome:
    if isinstance(outcome, Extracted):
        article = outcome.article
        if not article.is_part:  # a part is indexed as the article stitched from all parts
            outcome = replace(outcome, search=search_row(article.title, article.body))
        article.word_count, article.content_sha256, article.fingerprint, article.record_sha256  # noqa: B018
    if outcome.document is None:
        return outcome
    return replace(outcome, document=replace(outcome.document, text=""))


# A file is taken as unchanged only if it last changed this long before the run that
# stored it began: clocks of file systems and of this process may disagree a little.
CHANGE_MARGIN_S = 2.0


def unchanged_files(store: Store, files: Sequence[str]) -> set[str]:
    """Saved files not changed since a run made them into articles: no need to read them.

    A re-run would otherwise read and hash every file to find it unchanged. A file is
    unchanged here when its latest stored page is an article of these extractor
    versions, its size is the same, and neither its mtime nor its ctime is later
    than the start of the run that stored it (less ``CHANGE_MARGIN_S``): any write
    after that run began moves the ctime, which, unlike the mtime, no tool can set
    back (``cp -p``, ``rsync -t``, ``touch -d``). Archives are always read: one holds
    many pages. Anything in doubt is read, and the SHA-256 decides as before.
    """
    # pages.source holds each name as storable_text wrote it (bytes not UTF-8 as \xNN).
    by_stored_name = {storable_text(f): f for f in files if not is_archive(f)}
    stored = store.done_sources(list(by_stored_name), RULESET)
    unchanged = set()
    for name, (size, started) in stored.items():
        path = by_stored_name[name]
        try:
            info = os.stat(path)
            since = datetime.fromisoformat(started).timestamp() - CHANGE_MARGIN_S
        except (OSError, ValueError):
            continue
        if info.st_size == size and max(info.st_mtime, info.st_ctime) < since:
            unchanged.add(path)
    return unchanged


def load_batch(store: Store, batch: ExtractedBatch, run_id: str) -> RunCounts:
    """Load an extracted batch: one transaction, counted."""
    counts = store.load(batch.outcomes, run_id, RULESET)
    counts.unchanged += batch.unchanged
    counts.pages = batch.pages
    return counts


def ingest_batch(
    store: Store, paths: Sequence[str], run_id: str, max_bytes: int = DEFAULTS.max_bytes
) -> RunCounts:
    """One batch of the ingest flow as plain calls: extract, then load."""
    return load_batch(store, extract_batch(store.path, paths, max_bytes), run_id)


def stored_pages(store: Store, shas: Sequence[str]) -> ReadResult:
    """Pages as they were read or fetched, from the database: no file or network needed."""
    pages: list[RawPage] = []
    failures: list[Failed] = []
    for page in store.stored_raw_pages(shas):
        source, raw = page.source, page.data
        # An archive whose HTML documents were read is kept as those documents (HTML,
        # starting with "<"); only a damaged archive is kept whole, to be read again.
        if "#" in source or not is_archive(source) or raw.lstrip()[:1] == b"<":
            pages.append(page)
            continue
        read = _archive_result(page, read_archive(source, raw))
        pages.extend(read.pages)
        failures.extend(read.failures)
    return ReadResult(pages, failures)


def reextract_batch(store: Store, shas: Sequence[str], run_id: str) -> RunCounts:
    """Extract stored pages again (after an extractor change) and load what changed."""
    return load_batch(store, _extract(stored_pages(store, shas)), run_id)


class OutcomeWriter:
    """The single writer of a crawl: outcomes come one by one, go to SQLite a batch at a time.

    A page the same extractors already made into an article (same bytes, a 304) is
    counted unchanged and not written again, as for saved pages.
    """

    def __init__(self, store: Store, run_id: str, batch_size: int) -> None:
        self.store = store
        self.run_id = run_id
        self.batch_size = batch_size
        self.counts = RunCounts()
        self._buffer: list[Outcome] = []

    def __call__(self, outcome: Outcome) -> None:
        self._buffer.append(outcome)
        if len(self._buffer) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write the outcomes held so far as one batch."""
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        shas = [o.page.sha256 for o in batch if isinstance(o, Extracted)]
        done = self.store.unchanged_pages(shas, RULESET)
        fresh = [o for o in batch if not (isinstance(o, Extracted) and o.page.sha256 in done)]
        extracted = ExtractedBatch(fresh, len(batch) - len(fresh), len(batch))
        self.counts.add(load_batch(self.store, extracted, self.run_id))


def record_failures(store: Store, failures: Sequence[Failed], run_id: str) -> RunCounts:
    """Inputs that failed before any page was read (a missing path): failure rows, counted."""
    return load_batch(store, _extract(ReadResult([], list(failures))), run_id)
