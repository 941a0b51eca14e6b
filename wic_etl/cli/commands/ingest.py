"""``wic-etl ingest``: read saved pages and crawl web addresses into the database."""

from __future__ import annotations

import argparse
import time

from rich.console import Console

from core.accounting import RunSummary
from core.errors import WicEtlError
from core.records import storable_text
from core.settings import DEFAULTS
from wic_etl.cli.checks import check_database, check_sources, database_to_create
from wic_etl.cli.command import Commands
from wic_etl.cli.exits import EXIT_OK
from wic_etl.cli.flow_runs import run_flow
from wic_etl.cli.options import (
    AllowHost,
    archiving,
    database,
    debug,
    extraction,
    flow_output,
    iso_date,
    parent,
)
from wic_etl.cli.render import print_summary, say

# The options whose value has a floor, with it; checked before anything runs.
AT_LEAST = {
    "batch_size": 1,
    "max_pages": 1,
    "stop_after_known": 1,
    "retries": 0,
    "max_bytes": 1,
    "workers": 1,
    "warc_file_size": 1,
}
ABOVE_ZERO = ("timeout", "rate_limit")


def ingest(commands: Commands) -> None:
    """Read saved pages and crawl web addresses into the database, as one flow run."""
    reading = parent()
    reading.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULTS.batch_size,
        help="pages per Prefect task (default: %(default)s)",
    )
    reading.add_argument(
        "--dask",
        metavar="SPEC",
        help="extract saved pages on Dask: local, local:N (N worker processes) or a "
        "scheduler address tcp://HOST:8786 (workers must see the same paths)",
    )
    reading.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULTS.max_bytes,
        metavar="N",
        help="largest saved file, page inside an archive (decompressed) or fetched body to "
        "read, in bytes; larger ones are failures (default: %(default)s)",
    )
    reading.add_argument(
        "--reread",
        action="store_true",
        help="read every saved file, even those known unchanged since they were loaded",
    )
    crawling = parent()
    crawl = crawling.add_argument_group("crawling (web addresses only)")
    crawl.add_argument(
        "--allow-host", action=AllowHost, default=[], metavar="HOST", dest="allow_hosts"
    )
    crawl.add_argument(
        "--max-pages",
        type=int,
        default=DEFAULTS.max_pages,
        metavar="N",
        help="fetch at most N pages per start address (default: %(default)s)",
    )
    crawl.add_argument(
        "--since",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="do not fetch items listed before this date",
    )
    crawl.add_argument(
        "--stop-after-known",
        type=int,
        default=DEFAULTS.stop_after_known,
        metavar="N",
        help="stop a listing after N already-stored articles in a row (default: %(default)s)",
    )
    crawl.add_argument(
        "--rate-limit",
        type=float,
        metavar="PER_S",
        help="requests per second per host (default: 1 for public hosts)",
    )
    crawl.add_argument(
        "--timeout",
        type=float,
        default=DEFAULTS.timeout,
        metavar="S",
        help="seconds to wait for an answer (default: %(default)s)",
    )
    crawl.add_argument(
        "--retries",
        type=int,
        default=DEFAULTS.retries,
        metavar="N",
        help="tries after a timeout, 5xx or 429, with backoff (default: %(default)s)",
    )
    parser = commands.add(
        "ingest",
        run_ingest,
        help="read saved pages or crawl web pages into the database",
        description="Read saved pages and crawl web addresses into the database, as one "
        "Prefect flow run.",
        # The ingest's own options are parents too: argparse lists parents first, and
        # --help keeps this order.
        parents=[
            database(),
            reading,
            extraction("saved"),
            crawling,
            archiving(),
            flow_output(),
            debug("show the traceback of an unexpected error"),
        ],
        exit_codes=True,
        loads_batches=True,
    )
    parser.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="a saved page, a folder (walked recursively), a web address (article, section "
        "listing, RSS feed or sitemap) or @list.txt (one source per line)",
    )


def run_ingest(args: argparse.Namespace, console: Console) -> int:
    """Check the arguments, the sources and the database, then run the ingest flow."""
    # From the command's start (main): the walk and the checks are part of the run's time.
    started = getattr(args, "started", time.perf_counter())
    _check_arguments(args)
    found = check_sources(args.sources)
    if args.dask:
        from flows.runners import local_workers

        local_workers(args.dask)  # a bad spec is a usage error, before anything runs

    def call() -> RunSummary:
        from flows.ingest import ingest as ingest_flow

        return ingest_flow(
            sources=list(args.sources),
            db=args.db,
            batch_size=args.batch_size,
            allow_hosts=args.allow_hosts,
            max_pages=args.max_pages,
            since=args.since,
            stop_after_known=args.stop_after_known,
            rate_limit=args.rate_limit,
            timeout=args.timeout,
            retries=args.retries,
            dask=args.dask,
            max_bytes=args.max_bytes,
            workers=args.workers,
            reread=args.reread,
            page_deadline=args.page_deadline,
            max_memory_mb=args.max_memory,
            warc=args.warc,
            warc_file_size=args.warc_file_size,
        )

    database_to_create(args.db, say(console))
    check_database(args.db)  # creates it, or brings an older schema up to date
    from flows.before_prefect import ahead_of_ingest
    from flows.limits import Limits

    with ahead_of_ingest(
        args.db,
        list(args.sources),
        found,
        reread=args.reread,
        head_start=not args.dask,  # a Dask run's workers are Dask's
        batch_size=args.batch_size,
        workers_wanted=args.workers,
        max_bytes=args.max_bytes,
        limits=Limits(args.page_deadline, args.max_memory),
    ) as settled:
        if settled is not None:
            print_summary(console, settled, time.perf_counter() - started)
            return EXIT_OK
        return run_flow(args, console, "ingest", call, started)


def _check_arguments(args: argparse.Namespace) -> None:
    for name, least in AT_LEAST.items():
        if getattr(args, name) < least:
            raise WicEtlError(f"--{name.replace('_', '-')} must be at least {least}")
    for name in ABOVE_ZERO:
        if (value := getattr(args, name)) is not None and value <= 0:
            raise WicEtlError(f"--{name.replace('_', '-')} must be more than 0")
    for source in args.sources:
        if source != storable_text(source):
            # Prefect records a run's parameters as JSON, which cannot carry such bytes.
            raise WicEtlError(
                f"the name {storable_text(source)} is not UTF-8 and cannot be a parameter of "
                "the run; name its folder, or list it in @list.txt, instead"
            )
