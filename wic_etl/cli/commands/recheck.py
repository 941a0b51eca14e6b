"""``wic-etl recheck``: fetch known articles again when due, and record what changed."""

from __future__ import annotations

import argparse
import time

from rich.console import Console

from core.accounting import RunSummary
from core.errors import WicEtlError
from wic_etl.cli.checks import check_database, require_database
from wic_etl.cli.command import Commands
from wic_etl.cli.flow_runs import run_flow
from wic_etl.cli.options import AllowHost, archiving, database, debug, flow_output

ALLOW_HOST_HELP = (
    "also fetch known articles from HOST (repeatable); {hosts} are allowed; "
    "naming a loopback or private host is what allows reaching it"
)


def recheck(commands: Commands) -> None:
    """Fetch known articles again (conditionally) when due, as one flow run."""
    parser = commands.add(
        "recheck",
        run_recheck,
        help="fetch known articles again when due; record edits, removals and moves",
        description="Fetch known articles again when they are due (the re-check ladder: "
        "hourly in their first day, then daily, weekly, monthly), each page asked for "
        "conditionally, and record new versions and removed, restored and moved articles, "
        "as one Prefect flow run.",
        parents=[
            database(),
            archiving(),
            flow_output(),
            debug("show the traceback of an unexpected error"),
        ],
        exit_codes=True,
        loads_batches=True,
    )
    parser.add_argument(
        "--all",
        action="store_true",
        dest="everything",
        help="re-check every known article now, due or not (least recently checked first)",
    )
    parser.add_argument(
        "--max-pages",
        type=int,
        metavar="N",
        help="fetch at most N pages; every page of an article counts (default: every due article)",
    )
    parser.add_argument(
        "--allow-host",
        action=AllowHost,
        default=[],
        metavar="HOST",
        dest="allow_hosts",
        help=ALLOW_HOST_HELP,
    )


def run_recheck(args: argparse.Namespace, console: Console) -> int:
    """Check the arguments and the database, then run the recheck flow."""
    if args.max_pages is not None and args.max_pages < 1:
        raise WicEtlError("--max-pages must be at least 1")
    if args.warc_file_size < 1:
        raise WicEtlError("--warc-file-size must be at least 1")
    require_database(args.db)
    check_database(args.db)  # brings an older schema up to date
    started = time.perf_counter()

    def call() -> RunSummary:
        from flows.recheck import recheck as recheck_flow

        return recheck_flow(
            db=args.db,
            all=args.everything,
            max_pages=args.max_pages,
            allow_hosts=args.allow_hosts,
            warc=args.warc,
            warc_file_size=args.warc_file_size,
        )

    return run_flow(args, console, "recheck", call, started)
