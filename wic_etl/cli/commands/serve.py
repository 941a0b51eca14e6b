"""``wic-etl serve``: serve the deployments ingest/daily, recheck/daily, ingest/saved and
reextract/all."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from core.errors import WicEtlError
from core.settings import DEFAULTS
from wic_etl.cli.checks import database_to_create
from wic_etl.cli.command import Commands
from wic_etl.cli.exits import EXIT_OK
from wic_etl.cli.flow_runs import connect_prefect
from wic_etl.cli.options import database
from wic_etl.cli.render import say


def serve(commands: Commands) -> None:
    """Serve wic-etl's deployments until stopped; runs start with `prefect deployment run`."""
    parser = commands.add(
        "serve",
        run_serve,
        help="serve the deployments ingest/daily, recheck/daily, ingest/saved and reextract/all",
        description="Serve wic-etl's deployments; start runs with `prefect deployment run`.",
        parents=[database("default database of the runs")],
        loads_batches=True,
    )
    parser.add_argument("--saved", default=DEFAULTS.saved, help="default saved-pages folder")
    parser.add_argument(
        "--start-page",
        action="append",
        metavar="URL",
        dest="start_pages",
        help="where ingest/daily starts crawling (repeatable; default: China Daily's "
        "society, tech and Asia-Pacific listings)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST",
        dest="allow_hosts",
        help="also let ingest/daily and recheck/daily fetch from HOST (repeatable)",
    )
    parser.add_argument(
        "--cron",
        default=DEFAULTS.daily_cron,
        help="ingest/daily's schedule, Beijing time (default: %(default)s)",
    )
    parser.add_argument(
        "--recheck-cron",
        default=DEFAULTS.recheck_cron,
        metavar="CRON",
        help="recheck/daily's schedule, Beijing time (default: %(default)s, every hour)",
    )


def run_serve(args: argparse.Namespace, console: Console) -> int:
    """Serve the deployments until stopped (Ctrl-C or SIGTERM)."""
    database_to_create(args.db, say(console), later=True)
    if (url := connect_prefect(console)) is None:
        raise WicEtlError(
            "serving deployments needs a Prefect server: start one (`make server`) and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api, or let wic-etl start its local one "
            "(unset WIC_ETL_LOCAL_SERVER)"
        )
    from flows.deployments import serve_all

    console.print(
        "Serving ingest/daily, recheck/daily, ingest/saved and reextract/all (Ctrl-C stops); "
        "start a run "
        "with [bold]prefect deployment run 'ingest/saved' --watch[/bold]"
    )
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url}):
        serve_all(
            db=str(Path(args.db).resolve()),
            saved=str(Path(args.saved).resolve()),
            start_pages=args.start_pages or DEFAULTS.daily_start_pages,
            allow_hosts=args.allow_hosts,
            cron=args.cron,
            recheck_cron=args.recheck_cron,
        )
    return EXIT_OK
