"""The database schema, as migrations: table and column names are the public contract."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from loaders.search import rebuild_search_index, reindex_folded_articles

migrations = Migrations("wic-etl")
# How long a writer waits for another run's transaction before giving up.
BUSY_TIMEOUT_MS = 60_000


@migrations()
def create_core_tables(db: Database) -> None:
    db.table("runs").create(
        {
            "id": str,  # the Prefect flow run id
            "flow": str,
            "started": str,
            "finished": str,
            "status": str,
            "sources": str,
            "pages": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "failed": int,
            "skipped": int,
        },
        pk="id",
    )
    db.table("pages").create(
        {
            "sha256": str,  # of the raw bytes: one row per distinct document
            "source": str,  # path or URL it was first read from
            "url": str,
            "format": str,  # text, html
            "encoding": str,
            "size": int,
            "content_type": str,
            "article_id": str,
            "status": str,  # ok, failed, listing, fetch-failed (kept, never extracted)
            "ruleset": str,  # extractor versions that produced the status
            "first_run": str,
            "read_at": str,
            "raw": bytes,
        },
        pk="sha256",
        foreign_keys=[("first_run", "runs", "id")],
    )
    db.table("articles").create(
        {
            "id": str,
            "url": str,
            "site": str,
            "language": str,
            "section": str,
            "title": str,
            "author": str,
            "editor": str,
            "source": str,
            "published": str,
            "body": str,
            "word_count": int,
            "content_sha256": str,
            "record_sha256": str,
            "extractor": str,
            "page_sha256": str,
            "first_run": str,
            "last_changed_run": str,
        },
        pk="id",
        not_null={"site", "title", "body"},
        foreign_keys=[
            ("page_sha256", "pages", "sha256"),
            ("first_run", "runs", "id"),
            ("last_changed_run", "runs", "id"),
        ],
    )
    # pages and articles point at each other; the second key can only follow the second table.
    db.table("pages").add_foreign_key("article_id", "articles", "id")
    db.table("articles").create_index(["site", "published"])
    db.table("articles").enable_fts(["title", "body"], create_triggers=True)
    db.table("images").create(
        {"article_id": str, "position": int, "src": str, "caption": str, "credit": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("organizers").create({"id": int, "name": str}, pk="id", not_null={"name"})
    db.table("organizers").create_index(["name"], unique=True)
    db.table("article_organizers").create(
        {"article_id": str, "position": int, "organizer_id": int},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id"), ("organizer_id", "organizers", "id")],
    )
    db.table("article_organizers").create_index(["organizer_id"])
    db.table("removed_lines").create(
        {"article_id": str, "position": int, "kind": str, "text": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("removed_lines").create_index(["kind"])
    db.table("failures").create(
        {
            "id": int,
            "run_id": str,
            "source": str,
            "stage": str,  # read, decode, extract, load
            "error_class": str,
            "message": str,
            "page_sha256": str,
            "failed_at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id"), ("page_sha256", "pages", "sha256")],
    )
    db.table("failures").create_index(["run_id"])


@migrations()
def add_multipage_articles(db: Database) -> None:
    db.table("articles").add_column("page_count", int)  # pages stitched into the article
    db.table("articles").add_column("pages_expected", int)  # pages its pagination announces
    db.table("article_parts").create(
        {
            "article_id": str,
            "page_number": int,
            "pages_expected": int,
            "page_sha256": str,
            "record": str,  # the page's own extracted record, as JSON
        },
        pk=("article_id", "page_number"),
        foreign_keys=[("page_sha256", "pages", "sha256")],
    )


@migrations()
def add_syndication(db: Database) -> None:
    db.table("articles").add_column("fingerprint", str)  # of the normalised body
    db.table("articles").add_column("duplicate_of", str)  # the first copy with this fingerprint
    db.table("articles").create_index(["fingerprint"])


@migrations()
def add_listings(db: Database) -> None:
    db.table("runs").add_column("listings", int)
    db.table("listing_links").create(
        {"page_sha256": str, "position": int, "url": str, "title": str, "listed": str},
        pk=("page_sha256", "position"),
        foreign_keys=[("page_sha256", "pages", "sha256")],
    )
    db.table("listing_links").create_index(["url"])


@migrations()
def add_browsing(db: Database) -> None:
    db.table("articles").add_column("published_year", int)
    db.execute("update articles set published_year = cast(substr(published, 1, 4) as integer)")
    db.execute(
        """create view articles_with_organizers as
        select a.id, a.published, a.published_year, a.site, a.section, a.language, a.title,
               a.source, a.author, a.url,
               (select json_group_array(name) from (
                    select o.name from article_organizers ao
                    join organizers o on o.id = ao.organizer_id
                    where ao.article_id = a.id order by ao.position)) as organizers
        from articles a"""
    )


@migrations()
def add_fetching(db: Database) -> None:
    # What the server said, kept with the bytes: the archive of every fetched page, and
    # the validators that make the next crawl's request conditional.
    db.table("pages").add_column("http_status", int)
    db.table("pages").add_column("etag", str)
    db.table("pages").add_column("last_modified", str)
    db.table("pages").add_column("headers", str)  # JSON list of [name, value], as received
    db.table("pages").create_index(["source"])
    db.table("pages").create_index(["url"])


@migrations()
def add_run_owner(db: Database) -> None:
    # Which process runs it: a run left 'running' by a process that is gone (killed,
    # crashed, the machine rebooted) is marked 'interrupted' by the next run on that host.
    db.table("runs").add_column("host", str)
    db.table("runs").add_column("pid", int)


@migrations()
def add_article_warnings(db: Database) -> None:
    # The fields an article took from somewhere other than where its profile looks,
    # as a JSON list such as ["published:meta", "section:missing"]; "[]" when none.
    # NULL for rows loaded before this column existed, until they are extracted again.
    db.table("articles").add_column("warnings", str)


@migrations()
def add_chinese_search(db: Database) -> None:
    # unicode61 over the raw text made a run of Han characters one token, so Chinese
    # words were not found; articles_search indexes a segmented copy (loaders/search.py).
    # One index, not two: articles_fts and its triggers go.
    if db["articles_fts"].exists():
        db.table("articles").disable_fts()
    rebuild_search_index(db)


@migrations()
def add_saved_files(db: Database) -> None:
    # What each saved file looked like when last read (device, inode, size, times):
    # how a re-run knows a file unchanged without reading it. A database from before
    # has no rows, so each file is read once more and then known.
    db.table("saved_files").create(
        {
            "path": str,
            "device": int,
            "inode": int,
            "size": int,
            "mtime_ns": int,
            "ctime_ns": int,
            "read_ns": int,  # this host's clock just before the file was read
            "page_sha256": str,
            "run_id": str,
        },
        pk="path",
        foreign_keys=[("page_sha256", "pages", "sha256"), ("run_id", "runs", "id")],
    )


@migrations()
def add_versions(db: Database) -> None:
    """An archive of a changing site: every distinct record of an article, and what happened.

    ``article_versions`` holds one row per distinct extracted record of an article
    (unique ``(article_id, record_sha256)``), numbered 1, 2, 3 in the order first
    seen; ``articles`` shows one of them (``articles.version``), normally the latest.
    ``article_events`` logs edits, removals, restorations and moves. Each version's
    pages stay in ``pages``, so any version can be extracted again.

    Existing articles get version 1 (``first``) from their row: its ``run_id`` is the
    article's first run and ``seen_at`` that run's start. Pages an article kept that
    are not its current page (nor one of its current parts) are earlier records, but
    a migration cannot extract them (the loaders do not import the extractors): they
    are listed in ``unversioned_pages`` and ``wic-etl reextract`` makes them the
    article's earlier versions, ordered by when they were read. For such an article
    version 1 is dated by its own page (its ``read_at`` and ``first_run``), so that
    the older pages, read before it, sort before it. Nothing is deleted.
    """
    db.table("article_versions").create(
        {
            "article_id": str,
            "version": int,  # 1, 2, 3 in the order first seen
            "change": str,  # first, edited, minor, restored
            "previous_version": int,  # the version the article showed when this one came
            # How it is known: load (seen by a load), migration (the article's row when
            # versions began), kept page (a page kept from before, by re-extraction).
            "origin": str,
            "run_id": str,  # the run that first saw it
            "seen_at": str,
            "last_seen_at": str,  # the last load of a page that gave this record
            "record_sha256": str,
            "page_sha256": str,  # the page whose load made this version
            "page_sha256s": str,  # JSON object: page number -> sha256 of each page stitched
            "title": str,
            "author": str,
            "source": str,
            "published": str,
            "section": str,
            "body": str,
            "extractor": str,
        },
        pk=("article_id", "version"),
        not_null={"change", "record_sha256"},
        foreign_keys=[
            ("article_id", "articles", "id"),
            ("run_id", "runs", "id"),
            ("page_sha256", "pages", "sha256"),
        ],
    )
    db.table("article_versions").create_index(["article_id", "record_sha256"], unique=True)
    db.table("article_versions").create_index(["seen_at"])
    # Recent changes with minor edits asked for: minor versions newest first, without
    # walking every version of the archive.
    db.table("article_versions").create_index(["change", "seen_at"])
    db.table("article_events").create(
        {
            "id": int,
            "article_id": str,
            "run_id": str,
            "at": str,
            "kind": str,  # edited, removed, restored, moved
            "http_status": int,
            "url": str,
            "detail": str,
            "version": int,  # the version an edit or a restoration shows; null otherwise
        },
        pk="id",
        not_null={"kind"},
        foreign_keys=[("article_id", "articles", "id"), ("run_id", "runs", "id")],
    )
    db.table("article_events").create_index(["article_id", "at"])
    db.table("article_events").create_index(["at"])  # a recent-changes page
    # Each page of a multi-page article as extracted, by its bytes: a version is
    # stitched from its pages' records, so re-extraction can rebuild any version.
    db.table("part_records").create(
        {"page_sha256": str, "article_id": str, "page_number": int, "record": str},
        pk="page_sha256",
        foreign_keys=[("page_sha256", "pages", "sha256")],
    )
    # Pages kept from before versions were recorded, not yet made into versions.
    db.table("unversioned_pages").create(
        {"page_sha256": str, "article_id": str},
        pk="page_sha256",
        foreign_keys=[("page_sha256", "pages", "sha256"), ("article_id", "articles", "id")],
    )
    # The version it shows: 1 for every article so far. A default, not an UPDATE: that
    # would rewrite every article row, body and all (SQLite keeps an added column's
    # default in the schema until a row is written).
    db.table("articles").add_column("version", int, not_null_default=1)
    db.table("articles").add_column("removed_at", str)  # null unless the site took it down
    # Counted per run (core/accounting.py): edits, minor edits, restorations, removals and
    # 304 answers. Spelt out: a migration must not change when a constant does.
    for name in ("edited", "minor", "restored", "removed", "not_modified"):
        db.table("runs").add_column(name, int)

    db.execute(
        "insert or ignore into part_records (page_sha256, article_id, page_number, record) "
        "select page_sha256, article_id, page_number, record from article_parts "
        "where page_sha256 is not null"
    )
    db.execute(
        """insert or ignore into unversioned_pages (page_sha256, article_id)
        select p.sha256, p.article_id from pages p join articles a on a.id = p.article_id
        where p.status = 'ok' and p.sha256 is not a.page_sha256
          and p.sha256 not in (select page_sha256 from article_parts where article_id = a.id
                               and page_sha256 is not null)
        order by p.read_at, p.rowid"""
    )
    db.execute(
        """insert into article_versions (article_id, version, change, origin, run_id, seen_at,
            last_seen_at, record_sha256, page_sha256, page_sha256s, title, author, source,
            published, section, body, extractor)
        select a.id, 1, 'first', 'migration',
            case when older.article_id is null then a.first_run else coalesce(p.first_run,
                 a.first_run) end,
            case when older.article_id is null then coalesce(first.started, p.read_at)
                 else coalesce(p.read_at, first.started) end,
            coalesce(last.started, first.started, p.read_at),
            a.record_sha256, a.page_sha256,
            coalesce((select nullif(json_group_object(cast(page_number as text), page_sha256),
                                    '{}') from (
                        select page_number, page_sha256 from article_parts
                        where article_id = a.id and page_sha256 is not null
                        order by page_number)),
                     json_object('1', a.page_sha256)),
            a.title, a.author, a.source, a.published, a.section, a.body, a.extractor
        from articles a
        left join pages p on p.sha256 = a.page_sha256
        left join runs first on first.id = a.first_run
        left join runs last on last.id = a.last_changed_run
        left join (select distinct article_id from unversioned_pages) older
            on older.article_id = a.id"""
    )


@migrations()
def add_rechecks(db: Database) -> None:
    """Re-checking known articles (``wic-etl recheck``): when each was looked at, when next.

    ``article_checks``: one row per article (see ``loaders/rechecks.py``). Its times
    are kept up by triggers, whoever loads: a new version (``article_versions``
    inserted) is a change seen, a version seen again (``last_seen_at`` moved) a look,
    an event (edited, removed, restored, moved) both. Each sets ``due_at`` to null,
    to be worked out with the ladder at the next re-check. Existing articles get
    their row from their shown version and latest event.
    """
    db.table("article_checks").create(
        {
            "article_id": str,
            "url": str,  # where its first page is fetched from; null: no web address
            "changed_at": str,  # its shown version first seen, or its latest event
            "checked_at": str,  # last looked at: a re-check answered, or a load saw it
            "due_at": str,  # due again (the ladder); null: to be worked out
            "http_status": int,  # the last re-check's answer
            "outcome": str,  # the last re-check's: not-modified, fetched, removed, moved, failed
            "run_id": str,  # the last re-check's run
        },
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id"), ("run_id", "runs", "id")],
    )
    db.table("article_checks").create_index(["due_at"])
    db.table("article_checks").create_index(["checked_at"])
    # A removal or move names its article by address: without this, a scan of every
    # article (bodies inline) per answer at a million articles.
    db.table("articles").create_index(["url"], if_not_exists=True)
    # The ladder the due times were worked out with (JSON): another one works them out again.
    db.table("recheck_schedule").create({"id": int, "ladder": str}, pk="id")
    db.execute(
        """insert into article_checks (article_id, changed_at, checked_at)
        select a.id, max(coalesce(v.seen_at, ''), coalesce(e.at, '')),
               max(coalesce(v.last_seen_at, ''), coalesce(v.seen_at, ''), coalesce(e.at, ''))
        from articles a
        left join article_versions v on v.article_id = a.id and v.version = a.version
        left join (select article_id, max(at) as at from article_events group by article_id) e
            on e.article_id = a.id"""
    )
    db.execute(
        """create trigger article_checks_version after insert on article_versions begin
            insert into article_checks (article_id, changed_at, checked_at)
            values (new.article_id, coalesce(new.seen_at, ''),
                    max(coalesce(new.last_seen_at, ''), coalesce(new.seen_at, '')))
            on conflict (article_id) do update set
                changed_at = max(coalesce(changed_at, ''), excluded.changed_at),
                checked_at = max(coalesce(checked_at, ''), excluded.checked_at),
                due_at = null;
        end"""
    )
    db.execute(
        """create trigger article_checks_seen after update of last_seen_at on article_versions
        when new.last_seen_at is not null begin
            update article_checks set checked_at = new.last_seen_at, due_at = null
            where article_id = new.article_id and coalesce(checked_at, '') < new.last_seen_at;
        end"""
    )
    db.execute(
        """create trigger article_checks_event after insert on article_events begin
            update article_checks set
                changed_at = max(coalesce(changed_at, ''), new.at),
                checked_at = max(coalesce(checked_at, ''), new.at),
                due_at = null
            where article_id = new.article_id;
        end"""
    )


@migrations()
def add_check_backoff(db: Database) -> None:
    """``article_checks.failed_checks``: the re-checks in a row that had no usable answer.

    A failed check puts the article's next try off by a time that doubles with each
    failure in a row (``loaders/rechecks.py``): left due as it was, an article that
    always fails (a host down, a robots refusal) came first in every run and took
    the run's page budget from the articles that can be checked.
    """
    db.table("article_checks").add_column("failed_checks", int, not_null_default=0)


# Most of a database is raw pages of 40-200 KB, each stored as a chain of overflow
# pages: with SQLite's default 4 KB a 120 KB page is 30 of them, each a WAL frame
# with its own header and checksum, then copied again by the checkpoint. With 16 KB
# pages loading 2,000 such pages took 20% less time (measured; 64 KB gained no more).
# A database created with the default keeps it until a VACUUM.
PAGE_SIZE = 16384


def open_database(path: str | Path) -> Database:
    """Open (creating if need be) a wic-etl database, schema up to date, WAL on.

    Two runs may open one database at once; an exclusive ``flock`` on a sibling
    ``<name>.lock`` file lets one of them switch on WAL and apply the migrations
    while the other waits, then finds nothing left to do. The lock is on a file of
    its own because closing any descriptor of the database file itself would drop
    every POSIX lock this process holds on it, SQLite's included: the next process
    to open and close the database would then delete the WAL under this one (see
    "How To Corrupt An SQLite Database File", section 2.2).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        db = Database(path)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        if db.journal_mode != "wal":
            # Only a database not yet written takes it; WAL fixes the size after that.
            db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            db.enable_wal()
        migrations.apply(db)
    return db


class ReadOnlyMediaError(sqlite3.OperationalError):
    """A database on read-only media that SQLite cannot read as it stands."""


def read_only_connection(path: str | Path, timeout: float) -> sqlite3.Connection:
    """A connection that cannot write (``mode=ro``), so it never takes the write lock.

    It waits up to ``timeout`` seconds for a lock another connection holds. The one
    read-only opener: ``wic-etl status``, ``wic-etl datasette``'s checks and the
    extraction workers' ``Store``.

    On read-only media (a folder this process cannot write in) a WAL database cannot
    be opened so: even a reader needs the ``-shm`` file beside it, and SQLite cannot
    make one. There nothing can be writing it either, so it is read as an immutable
    file (``immutable=1``: no locks, no ``-shm``), unless changes are still in a
    ``-wal`` file beside it, which only a connection that can write would read.
    """
    return _read_only(Path(path).resolve(), timeout)[0]


def reads_as_immutable(path: str | Path) -> bool:
    """Whether ``path`` can only be read as an immutable file (see read_only_connection)."""
    conn, immutable = _read_only(Path(path).resolve(), timeout=BUSY_TIMEOUT_MS / 1000)
    conn.close()
    return immutable


def pending_migrations(path: str | Path) -> list[str]:
    """The migrations ``path`` still needs, by name, found without writing to it."""
    conn = read_only_connection(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        return [migration.name for migration in migrations.pending(Database(conn))]
    finally:
        conn.close()


def cannot_write_beside(path: str | Path) -> str | None:
    """Why ``path`` or its folder cannot be written by this process, or None if they can.

    Asked of the system (``access``, ``statvfs``), not by writing: a read-only mount
    says so even to root.
    """
    path = Path(path).resolve()
    for target in (path.parent, path):
        if target.exists() and not os.access(target, os.W_OK):
            if os.statvfs(target).f_flag & os.ST_RDONLY:
                return f"{target} is on a read-only file system"
            return f"this user may not write {target}"
    return None


def _read_only(path: Path, timeout: float) -> tuple[sqlite3.Connection, bool]:
    """A read-only connection to ``path``, and whether it had to be immutable."""
    conn = sqlite3.connect(_uri(path, "mode=ro"), uri=True, timeout=timeout)
    try:
        conn.execute("select count(*) from sqlite_master").fetchone()  # opens the file
        return conn, False
    except sqlite3.OperationalError:
        conn.close()
        if cannot_write_beside(path) is None:
            raise
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise ReadOnlyMediaError(
            f"{path} is on read-only media with changes still in {wal.name}, which SQLite "
            f"reads only where it can write: copy {path.name} and {wal.name} together to a "
            "writable folder and point --db at the copy"
        )
    return sqlite3.connect(_uri(path, "immutable=1"), uri=True, timeout=timeout), True


def _uri(path: Path, options: str) -> str:
    # Quoted: a ? or # in a folder name would otherwise end SQLite's file name there.
    return f"file:{quote(str(path))}?{options}"


@migrations()
def add_image_files(db: Database) -> None:
    """Images of articles kept in the archive, not only linked on the live site.

    ``image_files``: one row per distinct image (its bytes' SHA-256), bytes stored as
    they came (images are compressed already), with the type its bytes show, the
    address it was first kept from (``url``), where the bytes were read (``source``:
    the address fetched, a saved file, ``archive#address``) and the run. ``images``
    rows point at it (``sha256``, with the image's ``content_type`` and ``size``),
    null while the image is not kept. ``runs`` counts images kept and not kept.
    """
    db.table("image_files").create(
        {
            "sha256": str,
            "content_type": str,
            "size": int,
            "url": str,
            "source": str,
            "first_run": str,
            "kept_at": str,
            "data": bytes,
        },
        pk="sha256",
        not_null={"content_type", "size", "data"},
        foreign_keys=[("first_run", "runs", "id")],
        if_not_exists=True,
    )
    db.table("image_files").create_index(["url"], if_not_exists=True)
    images = db.table("images")
    have = set(images.columns_dict)
    if "sha256" not in have:
        images.add_column("sha256", str, fk="image_files", fk_col="sha256")
    for name, kind in (("content_type", str), ("size", int)):
        if name not in have:
            images.add_column(name, kind)
    images.create_index(["src"], if_not_exists=True)
    images.create_index(["sha256"], if_not_exists=True)
    runs = db.table("runs")
    for name in ("images", "images_failed"):
        if name not in runs.columns_dict:
            runs.add_column(name, int)


@migrations()
def add_warc_records(db: Database) -> None:
    """The WARC of the crawl, indexed: one row per record written to a WARC file.

    ``warc_records`` says where each record is (``file`` in the WARC folder beside the
    database, ``offset`` and ``length`` of its gzip member), what it is (``record_type``,
    ``record_id``, ``target_uri``, ``date``, ``status``), the answer's ``payload_digest``
    (what a later identical answer is written as a revisit of), the ``page_sha256`` of
    the page it became (``pages.sha256``) and, for a metadata record, its ``article_id``:
    how an export finds the records of an article.
    """
    db.table("warc_records").create(
        {
            "id": int,
            "file": str,
            "offset": int,
            "length": int,
            "record_type": str,
            "record_id": str,
            "target_uri": str,
            "date": str,
            "status": int,
            "payload_digest": str,
            "page_sha256": str,
            "refers_to": str,
            "article_id": str,
            "run_id": str,
        },
        pk="id",
        not_null={"file", "offset", "length", "record_type", "record_id", "date"},
    )
    table = db.table("warc_records")
    table.create_index(["file", "offset"], unique=True)
    table.create_index(["payload_digest"])
    table.create_index(["target_uri", "date"])
    table.create_index(["page_sha256"])
    table.create_index(["article_id"])


@migrations()
def add_browsing_indexes(db: Database) -> None:
    """The indexes browsing needs, so no page reads the whole archive (measured: bench/scale.py).

    - ``pages.article_id``, ``unversioned_pages.article_id``: an article's page counts
      the rows of every table that points at it ("links from other tables"); without
      these, two scans of every page per article viewed (a second at 150,000 pages).
    - ``articles.published``: the articles table is shown newest first.
    - ``articles.language``, ``section``, ``published_year``: the table's facets count
      these over every article; an index of one column is read instead of the rows,
      bodies and all (``site`` has one, with ``published``).
    """
    db.table("pages").create_index(["article_id"], if_not_exists=True)
    db.table("unversioned_pages").create_index(["article_id"], if_not_exists=True)
    for column in ("published", "language", "section", "published_year"):
        db.table("articles").create_index([column], if_not_exists=True)


# The articles table's facets whose counts the database keeps (add_facet_counts).
COUNTED_FACETS = ("site", "section", "language", "published_year")


@migrations()
def add_facet_counts(db: Database) -> None:
    """``article_facet_counts``: how many articles have each value of the table's facets.

    Kept by triggers, whoever writes ``articles``, so the articles table's page reads
    its facets' counts rather than counting every article again (a scan of the whole
    table, or of an index, growing with the archive: a second and more at 3 million).
    A value no article has any more keeps its row, at 0.
    """
    db.execute(
        "create table article_facet_counts (facet text not null, value, "
        "articles integer not null, primary key (facet, value))"
    )
    for column in COUNTED_FACETS:
        db.execute(
            f"insert into article_facet_counts (facet, value, articles) select '{column}', "
            f"[{column}], count(*) from articles where [{column}] is not null group by [{column}]"
        )

    def add(column: str, when: str = "") -> str:
        return (
            f"insert into article_facet_counts (facet, value, articles) "
            f"select '{column}', new.[{column}], 1 where new.[{column}] is not null{when} "
            "on conflict (facet, value) do update set articles = articles + 1;"
        )

    def remove(column: str, when: str = "") -> str:
        return (
            "update article_facet_counts set articles = articles - 1 "
            f"where facet = '{column}' and value = old.[{column}]{when};"
        )

    moved = " and old.[{0}] is not new.[{0}]"
    db.execute(
        "create trigger article_facet_counts_insert after insert on articles begin "
        + " ".join(add(c) for c in COUNTED_FACETS) + " end"
    )  # fmt: skip
    db.execute(
        "create trigger article_facet_counts_delete after delete on articles begin "
        + " ".join(remove(c) for c in COUNTED_FACETS) + " end"
    )  # fmt: skip
    db.execute(
        f"create trigger article_facet_counts_update after update of {', '.join(COUNTED_FACETS)} "
        "on articles begin "
        + " ".join(remove(c, moved.format(c)) + " " + add(c, moved.format(c))
                   for c in COUNTED_FACETS)
        + " end"
    )  # fmt: skip


@migrations()
def add_compact_raw_store(db: Database) -> None:
    """Raw pages stored compressed (loaders/raw_store.py): zstd, with a dictionary per
    site and layout, or against another version of the same address.

    Existing pages keep their bytes as they are (``compression`` null) until
    ``wic-etl compact`` converts them: adding columns rewrites no row.
    """
    db.table("raw_dictionaries").create(
        {
            "id": int,
            "site": str,  # host family: chinadaily.com.cn, wicwuzhen.cn ("" for none)
            "layout": str,  # the extractor profile of the pages' articles ("none": no article)
            "trained_at": str,
            "samples": int,  # pages it was made from
            "pages": int,  # pages of its site and layout then: compact retrains at twice that
            "size": int,
            "sha256": str,  # of the dictionary: caches key on it
            "dictionary": bytes,
        },
        pk="id",
        not_null={"site", "layout", "dictionary"},
    )
    db.table("raw_dictionaries").create_index(["site", "layout"])
    db.table("pages").add_column("compression", str)  # null: raw is the bytes; zstd
    db.table("pages").add_column("dictionary_id", int)  # raw_dictionaries.id, if any
    db.table("pages").add_column("base_sha256", str)  # raw is a delta against that page
    db.execute(
        "create index pages_delta_bases on pages (base_sha256) where base_sha256 is not null"
    )
    # The pages still waiting for a dictionary: a few hundred at most, found at once
    # after every batch a run loads.
    db.execute(
        "create index pages_without_dictionary on pages (sha256) where compression = 'zstd' "
        "and dictionary_id is null and base_sha256 is null"
    )


@migrations()
def fold_search_letters(db: Database) -> None:
    """The search index with letters and digits folded (``５Ｇ`` is indexed as ``5G``).

    Only articles whose text has a letter or digit to fold are indexed again; the
    others' rows are what they were (loaders/search.py).
    """
    reindex_folded_articles(db)


# The month of a ``published`` value (YYYY-MM), null where it does not start with a date.
_MONTH_OF = "case when {0} glob '[0-9][0-9][0-9][0-9]-[0-1][0-9]*' then substr({0}, 1, 7) end"


@migrations()
def add_month_counts(db: Database) -> None:
    """``article_month_counts``: how many articles were published in each month (YYYY-MM).

    The articles page's timeline reads it: one row per month, kept by triggers as
    ``article_facet_counts`` is, so the chart costs the same at any size. A month no
    article has any more keeps its row, at 0.
    """
    db.execute(
        "create table article_month_counts (month text primary key, articles integer not null)"
    )
    month = _MONTH_OF.format("published")
    db.execute(
        f"insert into article_month_counts (month, articles) select {month} as m, count(*) "
        "from articles where m is not null group by m"
    )
    new, old = _MONTH_OF.format("new.published"), _MONTH_OF.format("old.published")
    add = (
        f"insert into article_month_counts (month, articles) select {new}, 1 "
        f"where {new} is not null "
        "on conflict (month) do update set articles = articles + 1;"
    )
    remove = f"update article_month_counts set articles = articles - 1 where month = {old};"
    db.execute(
        f"create trigger article_month_counts_insert after insert on articles begin {add} end"
    )
    db.execute(
        f"create trigger article_month_counts_delete after delete on articles begin {remove} end"
    )
    db.execute(
        "create trigger article_month_counts_update after update of published on articles "
        f"when {old} is not {new} begin {remove} {add} end"
    )


@migrations()
def add_article_subheads(db: Database) -> None:
    # The paragraphs of the body the page set as subheads, as a JSON list of their
    # texts ("[]": none); the article page shows them as headings. NULL for rows loaded
    # before this column existed, until they are extracted again (wic-etl reextract).
    db.table("articles").add_column("subheads", str)


@migrations()
def add_copies_index(db: Database) -> None:
    """An index of ``articles.duplicate_of``, for the few articles that are copies.

    An article's page lists the later copies of it ("Also published at"): without
    the index, a scan of every article per view (475 ms at 100,000 articles).
    Partial: only copies have the column set, so the index is as small as they are few.
    """
    db.execute(
        "create index if not exists idx_articles_duplicate_of on articles (duplicate_of) "
        "where duplicate_of is not null"
    )
