"""``wic-etl reextract``: rebuild every article from the raw pages kept in the database."""

from __future__ import annotations

import argparse
import time

from rich.console import Console

from core.accounting import RunSummary
from core.errors import WicEtlError
from core.settings import DEFAULTS
from wic_etl.cli.checks import check_database, require_database
from wic_etl.cli.command import Commands
from wic_etl.cli.flow_runs import run_flow
from wic_etl.cli.options import database, debug, extraction, flow_output


def reextract(commands: Commands) -> None:
    """Extract every stored page again, after an extractor change; no files needed."""
    commands.add(
        "reextract",
        run_reextract,
        help="extract every stored page again (after an extractor change); no files needed",
        description="Rebuild every article from the raw pages kept in the database.",
        parents=[database(), extraction("stored"), flow_output(), debug()],
        loads_batches=True,
    )


def run_reextract(args: argparse.Namespace, console: Console) -> int:
    """Check the database, then run the reextract flow."""
    if args.workers < 1:
        raise WicEtlError("--workers must be at least 1")  # as ingest says it
    require_database(args.db)
    check_database(args.db)  # brings an older schema up to date

    def call() -> RunSummary:
        from flows.reextract import reextract as reextract_flow

        return reextract_flow(
            db=args.db,
            batch_size=DEFAULTS.reextract_batch_size,
            workers=args.workers,
            page_deadline=args.page_deadline,
            max_memory_mb=args.max_memory,
        )

    from flows import workers
    from flows.limits import Limits

    # The workers start, with the first batches, while Prefect is imported (about 2 s
    # on one core, the other idle); the flow takes them (flows/workers.py).
    limits = Limits(args.page_deadline, args.max_memory)
    workers.start_reextract_ahead(args.db, DEFAULTS.reextract_batch_size, args.workers, limits)
    try:
        started = getattr(args, "started", time.perf_counter())
        return run_flow(args, console, "reextract", call, started)
    finally:
        workers.release()
