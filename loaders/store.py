"""Write outcomes to the database: one transaction per batch, nothing written twice.

A page is stored once per distinct content (keyed by sha256, raw bytes kept),
an article once per id; an article is rewritten, children and all, only when
its record differs from the stored one, so loading the same input again
changes nothing. ``runs`` and ``failures`` are logs: each run adds its own row
and its own failures.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import UTC, date, datetime

from sqlite_utils import Database

from core.accounting import FailureNote, RunCounts
from core.errors import ImageError, LoadError
from core.processes import process_alive
from core.records import (
    ArchivedRecord,
    Article,
    Extracted,
    Failed,
    FileStamp,
    ImageFile,
    Listed,
    Outcome,
    RawPage,
    SavedFile,
    article_from_dict,
    sha256_hex,
    storable_text,
)
from core.schedule import Ladder
from core.stitch import stitch
from core.urls import split_http
from loaders.crawl_state import StoredCrawlState
from loaders.exports import (
    archived_pages,
    article_ids,
    articles_with_children,
    image_addresses,
    images_of,
    pages_of,
)
from loaders.history import (
    Seen,
    StoredArticle,
    first_version,
    keep_part_record,
    part_pages,
    place_record,
    record_move,
    record_removal,
)
from loaders.raw_pages import stored_raw_pages
from loaders.raw_store import bucket_of, pack, train_due, training_due
from loaders.rechecks import Check, DueArticle, due, next_due, record_checks, schedule
from loaders.search import index_article_for_search
from loaders.warc_index import add_records, latest_response, with_payload

FETCH_FAILED = "fetch-failed"
# A page that says its article is gone (a 404/410 body, a site's "page not found" page
# served with 200): kept to look at, never extracted, never a version.
NOT_FOUND = "not-found"
EMPTY_SHA256 = sha256_hex(b"")


def now() -> str:
    # Milliseconds: runs started within one second must still sort in order.
    """The time now, UTC, ISO 8601 to the millisecond (runs must sort in order)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _article_row(article: Article) -> dict[str, object]:
    """An article's ``articles`` row."""
    return {
        "id": article.id,
        "url": article.url,
        "site": article.site,
        "language": article.language,
        "section": article.section,
        "title": article.title,
        "author": article.author,
        "editor": article.editor,
        "source": article.source,
        "published": article.published,
        "body": article.body,
        "word_count": article.word_count,
        "content_sha256": article.content_sha256,
        "fingerprint": article.fingerprint,
        "record_sha256": article.record_sha256,
        "extractor": article.extractor,
        "published_year": int(article.published[:4]) if article.published else None,
        "page_count": article.page_count,
        "pages_expected": article.pages_expected,
        "warnings": json.dumps(list(article.warnings), ensure_ascii=False),
        "subheads": json.dumps(list(article.subheads), ensure_ascii=False),
    }


def _unchanged_pages(
    db: Database, shas: Iterable[str], ruleset: str, live: bool = False
) -> set[str]:
    """Pages already turned into articles by these same extractor versions: no need to redo.

    ``live``: the pages were just fetched, a fresh look at the site. Then a page is done
    only if it is a page of the version its article shows, and the article is not
    marked removed: the site serving an earlier version's bytes again, or an article
    it had taken down, is news for the loader (a version shown again, ``restored``).
    """
    shas = list(shas)
    if not shas:
        return set()
    marks = ",".join("?" * len(shas))
    current = (
        " and exists (select 1 from articles a join article_versions v "
        "on v.article_id = a.id and v.version = a.version, json_each(v.page_sha256s) j "
        "where a.id = p.article_id and a.removed_at is null and j.value = p.sha256)"
    )
    rows = db.execute(
        f"select p.sha256 from pages p where p.sha256 in ({marks}) and p.status = 'ok' "
        "and p.ruleset = ? and p.article_id is not null" + (current if live else ""),
        [*shas, ruleset],
    ).fetchall()
    return {row[0] for row in rows}


@contextmanager
def _write_transaction(db: Database) -> Iterator[None]:
    """A transaction that takes the write lock up front.

    A deferred one that reads before it writes cannot wait for another run's
    lock (SQLite answers 'database is locked' at once to avoid a deadlock);
    IMMEDIATE waits up to the busy timeout instead.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    db.commit()


def _close_abandoned_runs(db: Database) -> list[str]:
    """Mark 'interrupted' the runs of this host still 'running' whose process is gone.

    A run on another host cannot be checked from here and is left as it is.
    """
    host = socket.gethostname()
    rows = db.execute(
        "select id, pid from runs where status = 'running' and host = ? and pid is not null",
        [host],
    ).fetchall()
    gone = [run_id for run_id, pid in rows if pid != os.getpid() and not process_alive(pid)]
    if gone:
        marks = ",".join("?" * len(gone))
        with _write_transaction(db):
            db.execute(f"update runs set status = 'interrupted' where id in ({marks})", gone)
    return gone


def _start_run(db: Database, run_id: str, flow: str, sources: Sequence[str]) -> None:
    """Record a run as 'running', naming this host and process."""
    _close_abandoned_runs(db)
    row = {
        "id": run_id,
        "flow": flow,
        "started": now(),
        "status": "running",
        "sources": json.dumps([storable_text(s) for s in sources], ensure_ascii=False),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    with _write_transaction(db):
        # A Prefect retry starts the same flow run again: it keeps the first start, the
        # time the run's first reads may date from.
        if db.execute("select 1 from runs where id = ?", [run_id]).fetchone():
            rest = {k: v for k, v in row.items() if k not in ("id", "started")}
            _update(db, "runs", "id", run_id, {**rest, "finished": None})
        else:
            _insert(db, "runs", row)


def _store_page(
    db: Database,
    page: RawPage,
    run_id: str,
    *,
    extractor: str | None = None,
    site: str | None = None,
    **fields: object,
) -> None:
    """Insert the page, or update its fields if these bytes are stored already.

    Give every field at once (``article_id`` included): an UPDATE rewrites the whole
    row, raw bytes and all, so a second write of a page costs as much as the first.
    The bytes are stored compressed (loaders/raw_store.py); ``extractor`` and ``site``,
    those of the page's article, pick the dictionary (as training groups pages).
    """
    row: dict[str, object] = {
        "sha256": page.sha256,
        "source": storable_text(page.source),
        "url": page.url,
        "size": len(page.data),
        "content_type": page.content_type,
        "first_run": run_id,
        "read_at": now(),
    }
    if page.status is not None:
        fetched = {
            "http_status": page.status,
            "etag": page.header("etag"),
            "last_modified": page.header("last-modified"),
            "headers": json.dumps(page.headers, ensure_ascii=False),
        }
        row |= fetched
        fields = {**fetched, **fields}
    if _page_stored(db, page.sha256):
        _update(db, "pages", "sha256", page.sha256, fields)
    else:
        if _bytes_left_out(page):
            # Handed over without its bytes (``RawPage.without_bytes``) as a page stored
            # before, but no longer there: an empty row would stand for bytes lost.
            raise ValueError(
                f"page {page.sha256} came without its bytes and is not stored; "
                "run the command again to read it afresh"
            )
        url = str(fields.get("url") or page.url or "") or None
        stored = pack(db, page.data, page.sha256, url, bucket_of(url, extractor, site))
        _insert(db, "pages", {**row, **fields, **stored.columns()})


def _page_stored(db: Database, sha256: str) -> bool:
    return db.conn.execute("select 1 from pages where sha256 = ?", [sha256]).fetchone() is not None


def _bytes_left_out(page: RawPage) -> bool:
    """Whether ``page`` came without its bytes (``RawPage.without_bytes``)."""
    return not page.data and page.sha256 != EMPTY_SHA256


# The per-page writes below are plain SQL: sqlite-utils' table methods inspect the
# schema on every call, which cost more than the writes themselves on large runs.
def _insert(db: Database, table: str, row: Mapping[str, object]) -> int:
    """Insert ``row``; the new row's rowid."""
    columns = ", ".join(f'"{name}"' for name in row)
    marks = ", ".join("?" * len(row))
    sql = f'insert into "{table}" ({columns}) values ({marks})'
    rowid = db.conn.execute(sql, list(row.values())).lastrowid
    assert rowid is not None  # None only on a cursor that has inserted nothing
    return rowid


def _update(db: Database, table: str, key: str, value: object, row: dict[str, object]) -> None:
    sets = ", ".join(f'"{name}" = ?' for name in row)
    db.conn.execute(f'update "{table}" set {sets} where "{key}" = ?', [*row.values(), value])


def _record_failure(db: Database, failure: Failed, run_id: str, ruleset: str) -> FailureNote:
    """Write a failure row (and the page's bytes, if any were read)."""
    page = failure.page
    if page is not None and _bytes_left_out(page) and not _page_stored(db, page.sha256):
        failure = replace(failure, page=None)  # nothing to keep: noted, not stored empty
    if failure.page is not None:
        document = failure.document
        _store_page(
            db,
            failure.page,
            run_id,
            # Bytes of a fetch that went wrong (cut short, an error page) are kept to
            # look at, never extracted: half a page must not become half an article.
            status=FETCH_FAILED if failure.stage == "fetch" else "failed",
            ruleset=ruleset,
            format=document.format if document else None,
            encoding=document.encoding if document else None,
        )
    source, message = storable_text(failure.source), storable_text(failure.message)
    row = {
        "run_id": run_id,
        "source": source,
        "stage": failure.stage,
        "error_class": failure.error_class,
        "message": message,
        "page_sha256": failure.page.sha256 if failure.page else None,
        "failed_at": now(),
    }
    _insert(db, "failures", row)
    return FailureNote(
        source, failure.stage, failure.error_class, message, raw_kept=failure.page is not None
    )


def _with_other_parts(db: Database, part: Article) -> Article:
    """The article stitched from this page and the other stored pages of its article."""
    rows = db.execute(
        "select record from article_parts where article_id = ? and page_number != ?",
        [part.id, part.page_number],
    ).fetchall()
    return stitch([*(article_from_dict(json.loads(row[0])) for row in rows), part])


def _store_part(db: Database, part: Article, page_sha256: str) -> None:
    """Keep one page of a multi-page article (its page row must be stored first)."""
    db.table("article_parts").upsert(
        {
            "article_id": part.id,
            "page_number": part.page_number,
            "pages_expected": part.pages_expected,
            "page_sha256": page_sha256,
            "record": json.dumps(asdict(part), ensure_ascii=False),
        },
        pk=("article_id", "page_number"),
    )
    keep_part_record(db, part, page_sha256)


def _store_article(
    db: Database,
    item: Extracted,
    run_id: str,
    ruleset: str,
    counts: RunCounts,
    reextracting: bool = False,
) -> str:
    """Write one article and its children, and place its record among the article's
    versions (loaders/history.py); return new, updated or unchanged.

    ``pages`` and ``articles`` point at each other (``article_id``, ``page_sha256``)
    and foreign keys are checked at once, so one row must be written before the
    other can point at it. The page's row, which holds its raw bytes (often 100 KB
    and more), is written once and whole; a new article's row is written first
    without its page and given it after, a second write of a few KB. A version row
    points at both, so it comes last. The common cases cost one small write more
    than before versions: a new article's version 1, or an unchanged record's
    ``last_seen_at``; only a changed record reads the article's other versions.
    """
    part, page = item.article, item.page
    article = _with_other_parts(db, part) if part.is_part else part
    row = _article_row(article)
    found = db.execute(
        "select rowid, record_sha256, first_run, version, removed_at, pages_expected "
        "from articles where id = ?",
        [article.id],
    ).fetchone()
    stored = StoredArticle(*found) if found else None
    if stored is None:
        first = {"first_run": run_id, "last_changed_run": run_id, "version": 1}
        rowid = _insert(db, "articles", {**row, "page_sha256": None, **first})
    _store_page(
        db,
        page,
        run_id,
        status="ok",
        ruleset=ruleset,
        format=item.document.format,
        encoding=item.document.encoding,
        url=page.url or item.document.url,  # the page's own address, not the article's
        article_id=article.id,
        extractor=article.extractor,
        site=article.site,
    )
    if part.is_part:
        _store_part(db, part, page.sha256)
    # Images saved with the page: kept before the article's rows are (re)written, and
    # kept even when its record is unchanged (a database from before images were kept).
    named = {image.src for image in part.images}
    kept = {
        image.url: _keep_image(db, image, run_id, counts, article.id)
        for image in page.resources
        if image.url in named
    }
    seen = Seen(run_id, now(), page.url or item.document.url or article.url, page.status)
    if stored is None:
        _update(db, "articles", "id", article.id, {"page_sha256": page.sha256})
        pages = part_pages(db, article.id) if part.is_part else {1: page.sha256}
        if reextracting:  # a page stored before, first made an article now: seen when read
            seen = Seen(*db.execute(
                "select first_run, read_at from pages where sha256 = ?", [page.sha256]
            ).fetchone())  # fmt: skip
        first_version(db, article, page.sha256, pages, seen)
        outcome = "new"
    else:
        rowid = stored.rowid
        placed = place_record(db, stored, article, part, page.sha256, seen, reextracting)
        for name, n in placed.counted.items():
            setattr(counts, name, getattr(counts, name) + n)
        shown = placed.record
        if shown is None or shown.record_sha256 == stored.record_sha256:
            return "unchanged"
        article, row = shown, _article_row(shown)
        _update(db, "articles", "id", article.id, {**row, "page_sha256": page.sha256,
                "version": placed.version, "last_changed_run": run_id})  # fmt: skip
        # Another page of an article this run created is part of something new.
        outcome = "new" if stored.first_run == run_id else "updated"
    # A stitched article is not the page the worker indexed: its columns are made here.
    columns = item.search if article is part else None
    index_article_for_search(db, rowid, article.title, article.body, columns)
    _replace_children(db, article, kept)
    _mark_copies(db, article.fingerprint)
    return outcome


def _mark_copies(db: Database, fingerprint: str) -> None:
    """Point every later copy of a story at its first copy (earliest published, then loaded)."""
    first = db.execute(
        "select id from articles where fingerprint = ? "
        "order by published is null, substr(published, 1, 19), rowid limit 1",
        [fingerprint],
    ).fetchone()[0]
    db.execute(
        "update articles set duplicate_of = case when id = :first then null else :first end "
        "where fingerprint = :fingerprint "
        "and duplicate_of is not (case when id = :first then null else :first end)",
        {"first": first, "fingerprint": fingerprint},
    )


def _keep_image(
    db: Database, image: ImageFile, run_id: str, counts: RunCounts, article_id: str | None = None
) -> tuple[str, str, int]:
    """Keep an image's bytes (once per distinct bytes) and point the ``images`` rows that
    name it at them; the row's ``sha256``, ``content_type`` and ``size``.

    Rows are matched by their ``src``: the address the image was fetched from, or, for
    an image saved with a page, the address the page gives it (a ``Name_files/`` path
    only within that page's article: the same relative path in two saves is two images).
    """
    found = db.conn.execute(
        "select content_type, size from image_files where sha256 = ?", [image.sha256]
    ).fetchone()
    if found is None:
        found = (image.content_type, len(image.data))
        _insert(db, "image_files", {
            "sha256": image.sha256, "content_type": image.content_type,
            "size": len(image.data), "url": storable_text(image.url),
            "source": storable_text(image.source), "first_run": run_id, "kept_at": now(),
            "data": image.data,
        })  # fmt: skip
        counts.images += 1
    kept = (image.sha256, *found)
    if split_http(image.url) is not None:
        db.conn.execute(
            "update images set sha256 = ?, content_type = ?, size = ? where src = ?",
            [*kept, image.url],
        )
    elif article_id is not None:
        db.conn.execute(
            "update images set sha256 = ?, content_type = ?, size = ? "
            "where article_id = ? and src = ?",
            [*kept, article_id, image.url],
        )
    return kept


def _stored_images(
    db: Database, article: Article, kept: Mapping[str, tuple[str, str, int]]
) -> dict[str, tuple[str, str, int]]:
    """The kept image (sha256, type, size) of each of the article's image addresses known.

    Asked before its rows are replaced: its own rows say what was kept for it before.
    An address on the web is known from any article's rows or the address an image was
    first kept from; a saved page's relative path only from this article's own rows.
    """
    srcs = [image.src for image in article.images if image.src and image.src not in kept]
    if not srcs:
        return dict(kept)
    marks = ",".join("?" * len(srcs))
    rows = db.conn.execute(
        f"select src, sha256, content_type, size, article_id = ? from images "
        f"where src in ({marks}) and sha256 is not null",
        [article.id, *srcs],
    ).fetchall()
    found: dict[str, tuple[str, str, int]] = {}
    for src, sha, kind, size, own in rows:
        if own or split_http(src) is not None:
            found[src] = (sha, kind, size)
    web = [src for src in srcs if src not in found and split_http(src) is not None]
    if web:
        marks = ",".join("?" * len(web))
        for url, sha, kind, size in db.conn.execute(
            f"select url, sha256, content_type, size from image_files where url in ({marks})",
            web,
        ):
            found.setdefault(url, (sha, kind, size))
    return found | dict(kept)


def _replace_children(
    db: Database, article: Article, kept: Mapping[str, tuple[str, str, int]] | None = None
) -> None:
    conn = db.conn
    stored = _stored_images(db, article, kept or {})
    for table in ("images", "article_organizers", "removed_lines"):
        conn.execute(f"delete from {table} where article_id = ?", [article.id])
    none = (None, None, None)
    conn.executemany(
        "insert into images (article_id, position, src, caption, credit, sha256, content_type, "
        "size) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [(article.id, i.position, i.src, i.caption, i.credit, *stored.get(i.src or "", none))
         for i in article.images],
    )  # fmt: skip
    names = list(article.organizers)
    if names:
        conn.executemany(
            "insert or ignore into organizers (name) values (?)", [(n,) for n in names]
        )
        marks = ", ".join("?" * len(names))
        ids = dict(conn.execute(f"select name, id from organizers where name in ({marks})", names))
        conn.executemany(
            "insert into article_organizers (article_id, position, organizer_id) values (?, ?, ?)",
            [(article.id, position, ids[name]) for position, name in enumerate(names, start=1)],
        )
    conn.executemany(
        "insert into removed_lines (article_id, position, kind, text) values (?, ?, ?, ?)",
        [(article.id, n, line.kind, line.text) for n, line in enumerate(article.removed, start=1)],
    )


def _load_outcomes(
    db: Database,
    outcomes: Sequence[Outcome | ImageFile],
    run_id: str,
    ruleset: str,
    files: Sequence[SavedFile] = (),
    reextracting: bool = False,
) -> RunCounts:
    """Store a batch in one transaction: a crash leaves the batch wholly in or wholly out.

    ``files`` are the saved files the batch read whole, recorded with their pages in
    the same transaction: a file is never known as read unless its page is stored.
    """
    counts = RunCounts()
    with _write_transaction(db):
        for outcome in outcomes:
            _load_one(db, outcome, run_id, ruleset, counts, reextracting)
        _record_files(db, files, run_id)
    # A site and layout with enough pages stored without a dictionary gets one, and
    # those pages are recompressed with it (docs/database.md); a re-extraction stores
    # no page, nothing new to train on.
    if not reextracting and training_due(db):
        with _write_transaction(db):
            train_due(db)
    return counts


def _record_files(db: Database, files: Sequence[SavedFile], run_id: str) -> None:
    for file in files:
        if not _page_stored(db, file.sha256):
            continue  # its page was refused: nothing to know the file by
        stamp = file.stamp
        db.conn.execute(
            "insert or replace into saved_files (path, device, inode, size, mtime_ns, ctime_ns, "
            "read_ns, page_sha256, run_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [storable_text(file.path), stamp.device, stamp.inode, stamp.size, stamp.mtime_ns,
             stamp.ctime_ns, stamp.read_ns, file.sha256, run_id],
        )  # fmt: skip


def _load_one(
    db: Database,
    outcome: Outcome | ImageFile,
    run_id: str,
    ruleset: str,
    counts: RunCounts,
    reextracting: bool = False,
) -> None:
    if isinstance(outcome, Extracted):
        changes = RunCounts()  # the article's own: lost with it if the database refuses it
        try:
            # A savepoint per article: one the database refuses is rolled back alone
            # and recorded as a failure, and the rest of the batch still commits.
            with db.atomic():
                result = _store_article(db, outcome, run_id, ruleset, changes, reextracting)
        except (sqlite3.IntegrityError, sqlite3.InterfaceError, ValueError) as exc:
            outcome = _refused(outcome, exc)
        else:
            counts.add(changes)
            setattr(counts, result, getattr(counts, result) + 1)
            counts.note_fallbacks(outcome.article)
            return
    if isinstance(outcome, Listed):
        _store_listing(db, outcome, run_id, ruleset)
        counts.listings += 1
        return
    if isinstance(outcome, ImageFile):
        _keep_image(db, outcome, run_id, counts)
        return
    counts.failures.append(_record_failure(db, outcome, run_id, ruleset))
    if outcome.stage == ImageError.stage:
        counts.images_failed += 1  # the article is loaded: an image alone fails no run
    else:
        counts.failed += 1


def _store_listing(db: Database, item: Listed, run_id: str, ruleset: str) -> None:
    document = item.document
    _store_page(db, item.page, run_id, status="listing", ruleset=ruleset,
                format=document.format, encoding=document.encoding,
                url=item.page.url or document.url)  # fmt: skip
    db.execute("delete from listing_links where page_sha256 = ?", [item.page.sha256])
    db.table("listing_links").insert_all(
        {
            "page_sha256": item.page.sha256,
            "position": position,
            "url": link.url,
            "title": link.title,
            "listed": link.listed,
        }
        for position, link in enumerate(item.listing.links, start=1)
    )


def _refused(item: Extracted, exc: Exception) -> Failed:
    error = LoadError(
        f"the database refused article {item.article.id} ({exc}); this is a wic-etl bug: "
        "report it with the page attached"
    )
    return Failed.from_error(item.page.source, error, item.page, item.document)


class Store:
    """A run's one connection to its database: every read and write of the run goes here.

    Open it with ``Store.open(path)`` (schema brought up to date, WAL on) for the
    run's writer, or ``Store.open_read_only(path)`` for an extraction worker, which
    only asks which pages are done; close it (or use it as a context manager).
    """

    def __init__(self, db: Database, path: str) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str) -> Store:
        """The writer's store: schema brought up to date, WAL on."""
        from loaders.schema import open_database

        return cls(open_database(path), path)

    @classmethod
    def open_read_only(cls, path: str) -> Store:
        """A reader's store (an extraction worker): no writes, no schema changes."""
        from loaders.schema import BUSY_TIMEOUT_MS, read_only_connection

        return cls(Database(read_only_connection(path, BUSY_TIMEOUT_MS / 1000)), path)

    @staticmethod
    def interrupt_runs_of_this_process(path: str) -> None:
        """Last words of a process stopped by Ctrl-C: its runs are not 'running' any more.

        A connection of its own, short waits: called from a watchdog while the run's
        own connection may be mid-transaction.
        """
        with sqlite3.connect(path, timeout=2) as conn:
            conn.execute(
                "update runs set status = 'interrupted', finished = ? "
                "where status = 'running' and host = ? and pid = ?",
                [now(), socket.gethostname(), os.getpid()],
            )
        conn.close()

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start_run(self, run_id: str, flow: str, sources: Sequence[str]) -> None:
        """Record a run as 'running' (and mark this host's abandoned runs 'interrupted')."""
        _start_run(self.db, run_id, flow, sources)

    def finish_run(self, run_id: str, counts: RunCounts, status: str) -> None:
        """Record how the run ended and its counts."""
        with _write_transaction(self.db):
            self.db.table("runs").update(
                run_id,
                {
                    "finished": now(),
                    "status": status,
                    **counts.table_row(),
                },
            )

    def end_run(self, run_id: str, status: str) -> None:
        """Close a run that did not reach its summary ('interrupted', 'crashed')."""
        with _write_transaction(self.db):
            self.db.execute(
                "update runs set status = ?, finished = ? where id = ? and status = 'running'",
                [status, now(), run_id],
            )

    def unchanged_pages(self, shas: Iterable[str], ruleset: str, live: bool = False) -> set[str]:
        """Pages these extractor versions already made into articles: nothing to redo.

        ``live``: pages just fetched; done only if of the version their article shows,
        and the article not marked removed (the site going back to an earlier version,
        or putting an article back, is news to load).
        """
        return _unchanged_pages(self.db, shas, ruleset, live)

    def done_files(self, paths: Sequence[str], ruleset: str) -> dict[str, SavedFile]:
        """Saved files whose page, when last read, became an article of these extractor
        versions: path (as stored) -> the file as it was then read."""
        done: dict[str, SavedFile] = {}
        for start in range(0, len(paths), 500):  # well under SQLite's bound on parameters
            chunk = list(paths[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "select f.path, f.device, f.inode, f.size, f.mtime_ns, f.ctime_ns, f.read_ns, "
                "f.page_sha256 from saved_files f join pages p on p.sha256 = f.page_sha256 "
                f"where f.path in ({marks}) and p.status = 'ok' and p.ruleset = ? "
                "and p.article_id is not null",
                [*chunk, ruleset],
            ).fetchall()
            for path, *stamp, sha in rows:
                done[path] = SavedFile(path, FileStamp(*stamp), sha)
        return done

    def stored_raw_pages(self, shas: Sequence[str]) -> list[RawPage]:
        """Pages as read or fetched, with their HTTP status and headers."""
        return stored_raw_pages(self.db, shas)

    def export_article_ids(self, since: date | None = None, site: str | None = None) -> list[str]:
        """The articles an export takes (of ``site``, with a page read on or after ``since``)."""
        return article_ids(self.db, since, site)

    def stored_sites(self) -> list[str]:
        """The sites the database holds articles of."""
        return [row[0] for row in self.db.execute("select distinct site from articles")]

    def export_articles(self, ids: Sequence[str]) -> Iterator[dict[str, object]]:
        """These articles, every column, with images, organizers, removed lines, versions."""
        return articles_with_children(self.db, ids)

    def export_pages(
        self, ids: Sequence[str], since: date | None = None
    ) -> list[dict[str, object]]:
        """The stored pages of these articles (metadata; the bytes: ``stored_raw_pages``)."""
        return pages_of(self.db, ids, since)

    def export_image_addresses(self, ids: Sequence[str]) -> set[str]:
        """The addresses of these articles' images."""
        return image_addresses(self.db, ids)

    def export_archived_pages(self, record_ids: Sequence[str]) -> set[str]:
        """The stored pages these WARC response records (by ``WARC-Record-ID``) became."""
        return archived_pages(self.db, record_ids)

    def export_images(self, ids: Sequence[str]) -> list[dict[str, object]]:
        """The kept image files of these articles (none before images were kept)."""
        return images_of(self.db, ids)

    def stored_page_ids(self, first: int | None = None) -> list[str]:
        """Every page that can be extracted again (or the ``first`` of them), in the
        order first stored."""
        rows = self.db.execute(
            "select sha256 from pages where status not in (?, ?) order by rowid limit ?",
            [FETCH_FAILED, NOT_FOUND, -1 if first is None else first],
        ).fetchall()
        return [row[0] for row in rows]

    def crawl_state(self) -> StoredCrawlState:
        """What the crawler asks of the database: validators, stored copies, known articles."""
        return StoredCrawlState(self.db)

    def load(
        self,
        outcomes: Sequence[Outcome | ImageFile],
        run_id: str,
        ruleset: str,
        files: Sequence[SavedFile] = (),
        *,
        reextracting: bool = False,
    ) -> RunCounts:
        """Write a batch in one transaction; an article the database refuses fails alone.

        Each article's record is placed among its versions (``article_versions``):
        a changed record is a new version (``edited``, ``minor`` or ``restored``, with
        its event) or an earlier version shown again; the counts say how many.
        ``reextracting``: the outcomes are stored pages extracted again (``wic-etl
        reextract``, after an extractor change): no version and no event is added;
        the versions made of each page are rewritten from its new record, and
        ``articles`` from the version it shows. A page kept from before versions
        were recorded (``unversioned_pages``) becomes an earlier version.
        """
        return _load_outcomes(self.db, outcomes, run_id, ruleset, files, reextracting)

    def record_removal(
        self, url: str, run_id: str, http_status: int | None, detail: str
    ) -> list[str]:
        """The site took the article(s) at ``url`` down: mark them removed, log why.

        For each article whose ``url`` is ``url`` or one of whose stored pages was read
        or fetched from it: ``removed_at`` set and an event ``removed`` (``url``,
        ``http_status``, ``detail``: a 404/410, a redirect to the home or a section
        page, a soft 404). The article stays in ``articles``, searchable. Returns the
        ids of the articles newly marked: one already marked removed is left alone
        and not returned (still removed is not news), so calling this again, in the
        same run or a later one, adds no second event. An article marked so and
        loaded again later is marked back (``removed_at`` cleared, event
        ``restored``: "back after removal").
        """
        with _write_transaction(self.db):
            seen = Seen(run_id, now())
            return record_removal(self.db, url, seen, http_status, detail)

    def record_move(self, url: str, to_url: str, run_id: str, http_status: int | None) -> list[str]:
        """The address ``url`` now redirects to ``to_url``, another address of the same
        article: an event ``moved`` (detail ``moved to <to_url>``) for each article at
        ``url`` (as ``record_removal`` finds them). Returns the ids given an event; an
        article whose latest event already says it moved there gets no second one.
        The article keeps its id and ``url`` (the id is made from it).
        """
        with _write_transaction(self.db):
            seen = Seen(run_id, now())
            return record_move(self.db, url, to_url, seen, http_status)

    def due_for_recheck(
        self,
        ladder: Ladder,
        limit: int | None = None,
        everything: bool = False,
        at: datetime | None = None,
    ) -> list[DueArticle]:
        """The known articles due to be fetched again at ``at`` (now), most overdue first;
        ``everything``: every article with a web address, least recently checked first.

        Due times still to be worked out (articles loaded since the last re-check, or a
        new ``ladder``) are worked out first, in one transaction.
        """
        with _write_transaction(self.db):
            schedule(self.db, ladder)
        return due(self.db, at or datetime.now(UTC), limit, everything)

    def record_checks(self, checks: Sequence[Check], run_id: str, ladder: Ladder) -> None:
        """What re-checking each article found (``article_checks``), and when each is due
        next: checked now, unless its check failed (then tried again after ``retry_delay``)."""
        with _write_transaction(self.db):
            record_checks(self.db, checks, run_id, now())
            schedule(self.db, ladder)

    def next_recheck(self) -> str | None:
        """When the next known article is due to be fetched again, if any is."""
        return next_due(self.db)

    def keep_not_found_page(self, page: RawPage, run_id: str, ruleset: str) -> None:
        """Keep a page that says its article is gone (a 404/410 body, a soft 404's page),
        with status ``not-found``: to look at, never extracted, never a version. Bytes
        already kept (as part of an article, say) are left as they are."""
        with _write_transaction(self.db):
            if _page_stored(self.db, page.sha256):
                return
            _store_page(self.db, page, run_id, status=NOT_FOUND, ruleset=ruleset)

    def record_warc(self, records: Sequence[ArchivedRecord], run_id: str | None) -> None:
        """Index WARC records written (``warc_records``); those indexed already are kept."""
        with _write_transaction(self.db):
            add_records(self.db, records, run_id)

    def archived_payload(self, digest: str) -> ArchivedRecord | None:
        """The first WARC response record holding a payload of this digest, if any."""
        return with_payload(self.db, digest)

    def archived_response(self, uri: str) -> ArchivedRecord | None:
        """The latest WARC response record of an address, if any."""
        return latest_response(self.db, uri)
