"""``wic-etl status``: the last runs and the last run's failures, from the database alone."""

from __future__ import annotations

import argparse
import sqlite3

from rich.console import Console

from core.errors import WicEtlError
from wic_etl.cli.checks import require_database
from wic_etl.cli.command import Commands
from wic_etl.cli.exits import EXIT_OK
from wic_etl.cli.options import database
from wic_etl.cli.render import print_runs

STATUS_RUNS = 10


def status(commands: Commands) -> None:
    """The last runs with their counts, and why the last run's failed inputs failed."""
    parser = commands.add(
        "status",
        run_status,
        help="the last runs with their counts, and why the last run's failed inputs failed",
        description="Show the last runs (flow, start, end, status, counts) and the last "
        "run's failures grouped by reason. Reads the database only.",
        parents=[database()],
        exit_codes=True,
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=STATUS_RUNS,
        metavar="N",
        help="how many runs to show (default: %(default)s)",
    )


def run_status(args: argparse.Namespace, console: Console) -> int:
    """Print the last runs and the last run's failures grouped by reason."""
    from loaders.schema import ReadOnlyMediaError
    from loaders.status import connect_read_only, failure_groups, last_runs

    require_database(args.db)
    if args.runs < 1:
        raise WicEtlError("--runs must be at least 1")
    try:
        conn = connect_read_only(args.db)
        runs = last_runs(conn, args.runs)
        groups = failure_groups(conn, runs[0].id) if runs else []
    except ReadOnlyMediaError as exc:
        raise WicEtlError(str(exc)) from exc
    except sqlite3.Error as exc:
        raise WicEtlError(
            f"cannot read the runs in {args.db} ({exc}); is it a wic-etl database?"
        ) from exc
    print_runs(console, args.db, runs, groups)
    return EXIT_OK
