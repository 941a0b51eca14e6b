"""``wic-etl compact``: store the database's raw pages compressed, dictionaries trained."""

from __future__ import annotations

import argparse
import sqlite3
from typing import TYPE_CHECKING

from rich.console import Console

from core.errors import WicEtlError
from wic_etl.cli.checks import check_database, require_database
from wic_etl.cli.command import Commands
from wic_etl.cli.exits import EXIT_OK
from wic_etl.cli.options import database, debug

if TYPE_CHECKING:
    from sqlite_utils import Database

# A batch waits this long for a run's transaction before compact gives up with a
# sentence (a run's own writes wait a minute: compact yields to them).
BUSY_TIMEOUT_MS = 10_000
MB = 1024 * 1024
BATCH_PAGES = 200  # loaders.compaction.BATCH_PAGES, without importing the loaders for --help


def compact(commands: Commands) -> None:
    """Convert the raw pages to the compact store; train the dictionaries."""
    parser = commands.add(
        "compact",
        run_compact,
        help="store the raw pages compressed (converts an older database); resumable",
        description="Train a zstd dictionary per site and layout from the stored pages, "
        "then store every page still kept as its bytes, or compressed without a "
        "dictionary, with its dictionary or as a delta of another version of its "
        "address. Every converted page is read back and checked by SHA-256 before its "
        "batch is committed; stopped at any point, run it again to finish.",
        parents=[database(), debug()],
        exit_codes=True,
        loads_batches=True,  # a Ctrl-C keeps the batches committed: run again to finish
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=BATCH_PAGES,
        metavar="N",
        help="pages converted per transaction (default: %(default)s)",
    )


def run_compact(args: argparse.Namespace, console: Console) -> int:
    """Train, convert batch by batch with progress, then print a summary."""
    from loaders.compaction import live_runs

    if args.batch_size < 1:
        raise WicEtlError("--batch-size must be at least 1")
    require_database(args.db)
    check_database(args.db)  # brings an older schema up to date: the raw store's columns
    db = _open(args.db)
    try:
        running = live_runs(db)
        if running:
            run_id, flow, pid = running[0]
            raise WicEtlError(
                f"{args.db} is in use by a {flow} run ({run_id}, process {pid}); "
                "run wic-etl compact again when it has finished"
            )
        _compact(db, args.db, args.batch_size, console)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise WicEtlError(
                f"{args.db} is busy: another process is writing it ({exc}); the pages "
                "converted so far are kept: run wic-etl compact again when it is done"
            ) from exc
        raise
    finally:
        db.close()
    return EXIT_OK


def _open(path: str) -> Database:
    from sqlite_utils import Database

    db = Database(path)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    return db


def _compact(db: Database, path: str, batch_size: int, console: Console) -> None:
    from loaders.compaction import (
        convert_batch,
        newest_dictionaries,
        store_size,
        train_dictionaries,
    )

    start = store_size(db)
    console.print(
        f"{path}: {start.pages:,} pages, {start.original / MB:,.1f} MB of page bytes "
        f"stored in {start.stored / MB:,.1f} MB; {start.uncompressed:,} still uncompressed"
    )
    made = train_dictionaries(db)
    for bucket, dictionary_id in made:
        console.print(
            f"dictionary {dictionary_id} trained for {bucket.site or '(no site)'} / {bucket.layout}"
        )
    newest = newest_dictionaries(db)
    looked = changed = before = after = 0
    rowid = 0
    while True:
        batch = convert_batch(db, rowid, batch_size, newest)
        if batch.last_rowid is None:
            break
        rowid = batch.last_rowid
        looked += batch.pages
        changed += batch.changed
        before += batch.before
        after += batch.after
        console.print(
            f"converted {changed:,} of {looked:,} pages looked at "
            f"({before / MB:,.1f} MB -> {after / MB:,.1f} MB)"
        )
    end = store_size(db)
    ratio = f"{before / after:.1f}x" if after else "-"
    console.print(
        f"Done: {changed:,} pages converted and checked by SHA-256, {before:,} bytes -> "
        f"{after:,} bytes ({ratio}); {len(made)} dictionaries trained. The raw store now "
        f"holds {end.original / MB:,.1f} MB of pages in {end.stored / MB:,.1f} MB"
        + (f" ({end.original / end.stored:.1f}x)." if end.stored else ".")
    )
    if end.free_bytes:
        console.print(
            f"{end.free_bytes / MB:,.1f} MB of {path} is now free space, reused by the next "
            "runs before the file grows again (docs/database.md says how to shrink the file)."
        )
