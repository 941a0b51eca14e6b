"""The WARC of a crawl run: each exchange the fetcher has written, indexed through the Store.

The fetcher hands every exchange to ``CrawlArchive.exchange`` (``FetchSettings.on_exchange``);
the extracted articles pass by ``CrawlArchive.tap``, which writes each one's record as a
``metadata`` record referring to the answer it came from. Records are indexed in
``warc_records``, through the run's one Store, so that a later run writes an identical
answer as a revisit and an export finds the records of an article.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from importlib.metadata import version
from typing import TypeVar

from core.records import ArchivedRecord, Exchange, Extracted, RawPage
from fetchers.http import USER_AGENT
from loaders.store import Store
from writers.warc import WarcFiles, recover, warc_folder

# Index rows held before they are written: a killed run loses at most these, and the
# next run finds the records again when it closes the file the kill left open.
INDEX_BATCH = 50

T = TypeVar("T")


def warcinfo() -> dict[str, str]:
    """The ``warcinfo`` of each file: what wrote it and how it crawls (nothing of the operator)."""
    return {
        "software": f"wic-etl/{version('wic-etl')} (warcio/{version('warcio')}, "
        f"httpx/{version('httpx')})",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
        "warc-format/warc-1.1/",
        "http-header-user-agent": USER_AGENT,
        "robots": "obey",
        "description": "Every live fetch of a wic-etl crawl (pages, robots.txt, feeds, "
        "sitemaps, listings, redirects hop by hop, re-checks): requests as sent, answers "
        "as received (Content-Encoding kept); a metadata record per extracted article",
    }


class CrawlArchive:
    """One run's WARC: files written, records indexed, articles' records added."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        files: WarcFiles,
        log: logging.Logger | logging.LoggerAdapter[logging.Logger],
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.files = files
        self.log = log
        self.notes: list[str] = []
        self.counts: Counter[str] = Counter()
        self.bytes = 0
        self.stopped: str | None = None  # why writing stopped (a full disk, say)
        self._rows: list[ArchivedRecord] = []
        self._by_digest: dict[str, ArchivedRecord] = {}  # this run's responses
        self._by_uri: dict[str, ArchivedRecord] = {}
        self._answers: dict[str, ArchivedRecord] = {}  # address -> latest answer this run
        self._by_page: dict[str, ArchivedRecord] = {}  # page sha256 -> its answer

    # ArchiveIndex: what the archive already holds, this run's records first.

    def same_payload(self, digest: str) -> ArchivedRecord | None:
        """The first response record with this payload digest, this run's or earlier."""
        return self._by_digest.get(digest) or self.store.archived_payload(digest)

    def last_response(self, uri: str) -> ArchivedRecord | None:
        """The latest response record of this address, this run's or earlier."""
        return self._by_uri.get(uri) or self.store.archived_response(uri)

    # What the crawl hands in.

    def exchange(self, exchange: Exchange) -> None:
        """Write one exchange (the fetcher's ``on_exchange``)."""
        self._write(lambda: self.files.write_exchange(exchange, self))

    def tap(self, sink: Callable[[T], None]) -> Callable[[T], None]:
        """``sink``, with each extracted article's record written to the WARC on the way."""

        def tapped(item: T) -> None:
            outcome = getattr(item, "outcome", item)  # a re-check's answer carries one
            if isinstance(outcome, Extracted):
                self.article(outcome)
            sink(item)

        return tapped

    def article(self, extracted: Extracted) -> None:
        """A ``metadata`` record of an article fetched in this run: its record, as JSON."""
        page = extracted.page
        answer = self._by_page.get(page.sha256) or self._answers.get(page.url or page.source)
        if answer is None:
            return  # not fetched by this run (a saved page)
        payload = json.dumps(
            {"article": asdict(extracted.article), "page": _page(page)},
            ensure_ascii=False,
            sort_keys=True,
        ).encode("utf-8")
        self._write(
            lambda: self.files.write_metadata(
                answer.target_uri or page.url or page.source,
                payload,
                "application/json",
                answer.record_id,
                extracted.article.id,
            )
        )

    def flush(self) -> None:
        """Index the records written so far (``warc_records``)."""
        rows, self._rows = self._rows, []
        if rows:
            self.store.record_warc(rows, self.run_id)

    def summary(self) -> list[str]:
        """The run's lines about its WARC: recovered files, what was written, where."""
        lines = list(self.notes)
        if self.counts:
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()))
            lines.append(
                f"WARC: {kinds} records, {self.bytes:,} bytes in {len(self.files.files)} "
                f"files in {self.files.folder}"
            )
        if self.stopped:
            lines.append(self.stopped)
        return lines

    def _write(self, write: Callable[[], list[ArchivedRecord]]) -> None:
        if self.stopped:
            return
        try:
            records = write()
        except OSError as exc:  # a full disk, a folder gone: the crawl goes on without
            self.files.abandon()  # a record may be half written: the next run cuts it off
            self.stopped = (
                f"WARC: writing stopped ({exc}); the rest of the run was not archived: "
                "free space or fix the folder, then run again"
            )
            self.log.error("%s", self.stopped)
            return
        for record in records:
            self.counts[record.record_type] += 1
            self.bytes += record.length
            if record.record_type in ("response", "revisit") and record.target_uri:
                self._answers[record.target_uri] = record
                if record.page_sha256:
                    self._by_page[record.page_sha256] = record
            if record.record_type == "response":
                if record.payload_digest:
                    self._by_digest.setdefault(record.payload_digest, record)
                if record.target_uri:
                    self._by_uri[record.target_uri] = record
        if records and self._rows and records[0].file != self._rows[-1].file:
            # A file just closed (rotated): its rows now, as a killed run's next run
            # recovers only the file left open.
            self.flush()
        self._rows += records
        if len(self._rows) >= INDEX_BATCH:
            self.flush()


@contextmanager
def crawl_archive(
    store: Store,
    run_id: str,
    enabled: bool,
    file_size: int,
    log: logging.Logger | logging.LoggerAdapter[logging.Logger],
) -> Iterator[CrawlArchive | None]:
    """The run's WARC (None if ``enabled`` is off): files left open by a killed run closed
    first, and this run's closed however it ends (Ctrl-C and errors included)."""
    if not enabled:
        yield None
        return
    folder = warc_folder(store.path)
    archive = CrawlArchive(store, run_id, WarcFiles(folder, warcinfo(), file_size), log)
    for found in recover(folder):
        archive.notes.append(found.describe())
        log.warning("%s", found.describe())
        store.record_warc(found.records, None)
    try:
        yield archive
    except BaseException:
        with suppress(Exception):  # the first error is the one to report
            archive.files.close()
            archive.flush()
        raise
    archive.files.close()
    archive.flush()


def _page(page: RawPage) -> dict[str, object]:
    return {"source": page.source, "url": page.url, "sha256": page.sha256, "status": page.status}
