"""``wic-etl compact``: the raw pages of a database converted to the compact store.

Work goes in batches, each one transaction: every page's new form is read back and
its SHA-256 compared with the page's before the batch commits, so a page is never
replaced by bytes that do not give it back. A process killed half-way loses at most
its open batch (rolled back by SQLite); run again, it starts over from the first page
and skips those already converted.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlite_utils import Database

from core.processes import process_alive
from loaders.raw_store import (
    PLAIN,
    Bucket,
    bucket_tails,
    newest_dictionary,
    page_buckets,
    recompress,
    train,
)

BATCH_PAGES = 200


@dataclass(frozen=True)
class Converted:
    """What one batch did: pages looked at and changed, stored bytes before and after."""

    last_rowid: int | None  # None: no page left to look at
    pages: int
    changed: int
    before: int
    after: int


@dataclass(frozen=True)
class StoreSize:
    """The raw store as a whole: pages, their own bytes, the bytes stored for them."""

    pages: int
    original: int
    stored: int
    uncompressed: int  # pages still stored as their bytes
    free_bytes: int  # of the file, free (reused by later writes before it grows)


@contextmanager
def write_transaction(db: Database) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    db.commit()


def live_runs(db: Database) -> list[tuple[str, str, int]]:
    """(id, flow, pid) of the runs of this host still running in a live process."""
    rows = db.execute(
        "select id, flow, pid from runs where status = 'running' and host = ? and pid is not null",
        [socket.gethostname()],
    ).fetchall()
    return [(r, f, p) for r, f, p in rows if p != os.getpid() and process_alive(p)]


def train_dictionaries(db: Database) -> list[tuple[Bucket, int]]:
    """A dictionary for each site and layout with none yet, or grown to twice the pages
    it had when its newest was made: (bucket, new id) of each made. One transaction
    each; older dictionaries stay, their pages readable."""
    made = []
    for bucket, (pages, shas) in bucket_tails(db).items():
        newest = newest_dictionary(db, bucket)
        if newest is not None:
            (then,) = db.execute(
                "select pages from raw_dictionaries where id = ?", [newest]
            ).fetchone()
            if pages < 2 * (then or 0):
                continue
        with write_transaction(db):
            dictionary_id = train(db, bucket, shas, pages)
        if dictionary_id is not None:
            made.append((bucket, dictionary_id))
    return made


def newest_dictionaries(db: Database) -> list[int]:
    """The newest dictionary of each site and layout."""
    rows = db.execute("select max(id) from raw_dictionaries group by site, layout")
    return [row[0] for row in rows]


def convert_batch(
    db: Database, after_rowid: int, size: int = BATCH_PAGES, newest: Sequence[int] = ()
) -> Converted:
    """Convert, in one transaction, the next ``size`` pages after ``after_rowid`` that
    are stored as their bytes, compressed without a dictionary, or with a dictionary
    not in ``newest`` (an older one of their site and layout: a page moves to the
    newest only if that stores it smaller)."""
    # (SQLite's "x not in ()" is true even for a null x: no dictionaries, no older ones.)
    older = f"p.dictionary_id not in ({','.join(str(int(i)) for i in newest)})" if newest else "0"
    with write_transaction(db):
        rows = db.execute(
            "select p.rowid, p.sha256 from pages p where p.rowid > ? and p.raw is not null "
            f"and (p.compression is null or ({PLAIN}) or {older}) order by p.rowid limit ?",
            [after_rowid, size],
        ).fetchall()
        if not rows:
            return Converted(None, 0, 0, 0, 0)
        marks = ",".join("?" * len(rows))
        buckets = page_buckets(db, f"p.sha256 in ({marks})", [sha for _, sha in rows])
        changed = before = after = 0
        for bucket, shas in buckets.items():
            c, b, a = recompress(db, shas, bucket)
            changed, before, after = changed + c, before + b, after + a
    return Converted(rows[-1][0], len(rows), changed, before, after)


def store_size(db: Database) -> StoreSize:
    pages, original, stored, uncompressed = db.execute(
        "select count(*), coalesce(sum(size), 0), coalesce(sum(length(raw)), 0), "
        "coalesce(sum(compression is null and raw is not null), 0) from pages"
    ).fetchone()
    free = db.execute("pragma freelist_count").fetchone()[0]
    page_size = db.execute("pragma page_size").fetchone()[0]
    return StoreSize(pages, original, stored, uncompressed, free * page_size)
