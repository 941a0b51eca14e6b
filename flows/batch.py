"""One batch of saved pages: read, skip what is already done, extract, load.

Plain functions, callable without Prefect; the flow runs one task per batch,
because Prefect's cost per task would dominate at one task per page.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator, Sequence, Set
from dataclasses import dataclass, replace

from core.accounting import RunCounts
from core.errors import SourceError
from core.records import (
    Extracted,
    Failed,
    ImageFile,
    Listed,
    Outcome,
    RawPage,
    SavedFile,
    storable_text,
)
from core.settings import DEFAULTS
from extractors.extract import RULESET, extract_page
from flows.limits import guarded_extract
from loaders.search import search_row
from loaders.store import Store
from readers.archives import ArchiveRead, is_archive, read_archive
from readers.filesystems import TimeTrust
from readers.saved_images import saved_images
from readers.sources import read_page

Extractor = Callable[[RawPage], Outcome]


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

    outcomes: list[Outcome | ImageFile]
    unchanged: int  # pages already stored exactly so: not extracted, nothing to load
    pages: int
    # The saved files read whole, with their stamps: unchanged ones too, so that a file
    # touched but not changed is known by its new stamp from now on.
    files: tuple[SavedFile, ...] = ()


def _extract(
    read: ReadResult,
    done: Set[str] = frozenset(),
    extract: Extractor = extract_page,
    max_bytes: int = DEFAULTS.max_bytes,
) -> ExtractedBatch:
    """Extract the pages read, but those in ``done`` (already extracted exactly so)."""
    extracted = [extract(page) for page in read.pages if page.sha256 not in done]
    return batch_of(read, done, extracted, max_bytes)


def batch_of(
    read: ReadResult,
    done: Set[str],
    extracted: Sequence[Outcome],
    max_bytes: int = DEFAULTS.max_bytes,
) -> ExtractedBatch:
    """The batch of the pages ``read``: their failures, then ``extracted`` (the pages not
    in ``done``, in order), counted, with the saved files they were read from.

    Each article's page carries on the images saved with it that the article shows
    (see ``with_saved_images``); an image that could not be read is a failure after it.
    """
    unchanged = sum(1 for page in read.pages if page.sha256 in done)
    files = tuple(SavedFile(p.source, p.file, p.sha256) for p in read.pages if p.file is not None)
    outcomes: list[Outcome | ImageFile] = [*read.failures]
    for outcome in extracted:
        outcomes.extend(with_saved_images(outcome, max_bytes))
    return ExtractedBatch(outcomes, unchanged, len(read.pages) + len(read.failures), files)


def with_saved_images(outcome: Outcome, max_bytes: int = DEFAULTS.max_bytes) -> list[Outcome]:
    """The outcome with only the saved images its article shows on its page, then a
    failure for each such image found but not readable as one.

    An archive's images (MHTML parts, WARC responses) came with the page from the
    reader; those of an HTML save are read here, from its ``Name_files/`` folder, now
    that the article says which: a batch carries to the writer only what it keeps.
    """
    if not isinstance(outcome, Extracted):
        if outcome.page is None or not outcome.page.resources:
            return [outcome]
        stripped = replace(outcome.page, resources=())
        if isinstance(outcome, Listed):
            return [replace(outcome, page=stripped)]
        return [replace(outcome, page=stripped)]
    page = outcome.page
    shown = {image.src for image in outcome.article.images if image.src}
    kept = [image for image in page.resources if image.url in shown]
    failures: list[Outcome] = []
    if page.file is not None:  # an HTML save read whole: its images beside it
        found, failed = saved_images(page.source, sorted(shown), max_bytes)
        kept += found
        failures += failed
    if not kept and not page.resources:
        return [outcome, *failures]
    return [replace(outcome, page=replace(page, resources=tuple(kept))), *failures]


def read_batch(
    db_path: str, paths: Sequence[str], max_bytes: int = DEFAULTS.max_bytes
) -> tuple[ReadResult, set[str]]:
    """Read a batch, and which of its pages are already done; reads the database, never writes."""
    read = read_pages(paths, max_bytes)
    with Store.open_read_only(db_path) as store:
        done = store.unchanged_pages((page.sha256 for page in read.pages), RULESET)
    return read, done


def extract_batch(
    db_path: str,
    paths: Sequence[str],
    max_bytes: int = DEFAULTS.max_bytes,
    extract: Extractor = extract_page,
) -> ExtractedBatch:
    """Read and extract a batch, skipping pages already done; reads the database, never writes.

    Runs anywhere the files and the database can be read (a worker process, a Dask
    worker); the flow loads the result, so SQLite has one writer whatever runs it.
    """
    return _extract(*read_batch(db_path, paths, max_bytes), extract, max_bytes)


def extract_batch_in_worker(
    db_path: str, paths: Sequence[str], max_bytes: int = DEFAULTS.max_bytes
) -> tuple[ExtractedBatch, int]:
    """``extract_batch`` in a worker process, and that process's id (for the run's log).

    Each page runs under the worker's deadline and memory cap (``flows/limits.py``).
    Imports nothing of Prefect: a worker process only loads what extraction needs.
    What goes back to the writer is made smaller and cheaper to load: the article's
    derived values (word count, hashes, search-index columns with their Chinese word
    segmentation) are computed here, so the run's one writer only writes them; and
    the decoded text is left behind (the loader keeps the raw bytes and only the
    decoding's name and format), which halves what is pickled and held per batch in
    flight.
    """
    return extract_batch(db_path, paths, max_bytes, extract_in_worker), os.getpid()


def reextract_in_worker(db_path: str, shas: Sequence[str]) -> tuple[ExtractedBatch, int]:
    """Stored pages extracted again in a worker process, as ``extract_batch_in_worker``."""
    with Store.open_read_only(db_path) as store:
        read = stored_pages(store, shas)
    extracted = _extract(read, extract=extract_in_worker)
    # The writer has these pages' bytes stored: handed back without them, a batch of
    # 100 pages is pickled, piped and unpickled as 1 MB instead of 14.
    stored = set(shas)
    outcomes = [_without_stored_bytes(outcome, stored) for outcome in extracted.outcomes]
    return replace(extracted, outcomes=outcomes), os.getpid()


def _without_stored_bytes(outcome: Outcome | ImageFile, stored: Set[str]) -> Outcome | ImageFile:
    page = getattr(outcome, "page", None)
    if page is None or page.sha256 not in stored:
        return outcome  # an image, or a page read anew from a stored archive
    return replace(outcome, page=page.without_bytes())


def extract_in_worker(page: RawPage) -> Outcome:
    """One page extracted and made ready for the writer (see ``extract_batch_in_worker``),
    all under its deadline and memory cap."""
    return guarded_extract(page, _for_the_writer)


def _for_the_writer(outcome: Outcome) -> Outcome:
    if isinstance(outcome, Extracted):
        article = outcome.article
        if not article.is_part:  # a part is indexed as the article stitched from all parts
            outcome = replace(outcome, search=search_row(article.title, article.body))
        article.word_count, article.content_sha256, article.fingerprint, article.record_sha256  # noqa: B018
    if outcome.document is None:
        return outcome
    return replace(outcome, document=replace(outcome.document, text=""))


# A file read within this long after its last write may have been written again in the
# same tick of the file system's clock (the kernel stamps ctimes from a coarse clock):
# its stamp does not prove it unchanged, so the next run reads it once more.
CHANGE_MARGIN_S = 2.0


def unchanged_files(store: Store, files: Sequence[str], reread: bool = False) -> set[str]:
    """Saved files not changed since a run made them into articles: no need to read them.

    A re-run would otherwise read and hash every file to find it unchanged. A file
    is unchanged when its last read page is an article of these extractor versions
    and either:

    - its file system keeps trustworthy times (local POSIX ones, see
      ``readers/filesystems.py``), and its device, inode, size, mtime and ctime are
      all as when it was read, that read at least ``CHANGE_MARGIN_S`` after its last
      write. Any write, rename into place or copy over it moves the ctime, which no
      tool can set back; another file at the same path (a folder swapped by rename,
      another disk at the same mount point) has another inode or device; or
    - its times cannot be trusted (FAT, exFAT, network and FUSE file systems, or
      this host's clock is earlier than a recorded read: it went back): its bytes
      are read here and their SHA-256 is the stored page's.

    Archives are always read: one holds many pages. ``reread`` reads every file.
    """
    if reread:
        return set()
    # saved_files.path holds each name as storable_text wrote it (bytes not UTF-8 as \xNN).
    by_stored_name = {storable_text(f): f for f in files if not is_archive(f)}
    known = store.done_files(list(by_stored_name), RULESET)
    if not known:
        return set()
    trust = TimeTrust()
    clock_sane = time.time_ns() >= max(file.stamp.read_ns for file in known.values())
    margin = int(CHANGE_MARGIN_S * 1e9)
    unchanged = set()
    for name, file in known.items():
        path = by_stored_name[name]
        try:
            info = os.stat(path)
        except OSError:
            continue  # gone or unreadable: the read says what it is
        if info.st_size != file.stamp.size:
            continue
        if clock_sane and trust.trusted(path):
            stamp = file.stamp
            if stamp.same_file(info) and stamp.ctime_ns < stamp.read_ns - margin:
                unchanged.add(path)
        elif _content_sha256(path, info.st_size) == file.sha256:
            unchanged.add(path)
    return unchanged


def _content_sha256(path: str, size: int) -> str | None:
    """SHA-256 of a file's bytes, or None if it cannot be read as they were."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def load_batch(
    store: Store, batch: ExtractedBatch, run_id: str, reextracting: bool = False
) -> RunCounts:
    """Load an extracted batch: one transaction, counted.

    ``reextracting``: stored pages extracted again (``reextract``), not news from the
    sites: versions are rewritten from their pages, none added, no event logged.
    """
    counts = store.load(batch.outcomes, run_id, RULESET, batch.files, reextracting=reextracting)
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
    return load_batch(store, _extract(stored_pages(store, shas)), run_id, reextracting=True)


class OutcomeWriter:
    """The single writer of a crawl: outcomes come one by one, go to SQLite a batch at a time.

    A page the same extractors already made into an article (same bytes, a 304) is
    counted unchanged and not written again, as for saved pages, if it is what its
    article shows: fetched, an earlier version's bytes (the site went back to it) or
    the page of an article marked removed (it is back) are loaded, as news.
    """

    def __init__(self, store: Store, run_id: str, batch_size: int) -> None:
        self.store = store
        self.run_id = run_id
        self.batch_size = batch_size
        self.counts = RunCounts()
        self._buffer: list[Outcome | ImageFile] = []

    def __call__(self, outcome: Outcome | ImageFile) -> None:
        self._buffer.append(outcome)
        if len(self._buffer) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write the outcomes held so far as one batch."""
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        shas = [o.page.sha256 for o in batch if isinstance(o, Extracted)]
        # Fetched: the site serving an earlier version again is news (live).
        done = self.store.unchanged_pages(shas, RULESET, live=True)
        fresh = [o for o in batch if not (isinstance(o, Extracted) and o.page.sha256 in done)]
        extracted = ExtractedBatch(fresh, len(batch) - len(fresh), len(batch))
        self.counts.add(load_batch(self.store, extracted, self.run_id))


def record_failures(store: Store, failures: Sequence[Failed], run_id: str) -> RunCounts:
    """Inputs that failed before any page was read (a missing path): failure rows, counted."""
    return load_batch(store, _extract(ReadResult([], list(failures))), run_id)
