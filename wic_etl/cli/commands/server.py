"""``wic-etl server status|start|stop``: the local Prefect server wic-etl starts for runs."""

from __future__ import annotations

import argparse

from rich.console import Console

from wic_etl.cli.command import Commands
from wic_etl.cli.exits import EXIT_FAILURES, EXIT_OK
from wic_etl.cli.options import debug
from wic_etl.cli.render import announce_start, say


def server(commands: Commands) -> None:
    """Show, start or stop the local Prefect server."""
    parser = commands.add(
        "server",
        run_server,
        help="the local Prefect server wic-etl starts for runs when PREFECT_API_URL is not set",
        description="Show, start or stop the local Prefect server that wic-etl starts in the "
        "background on first use (set WIC_ETL_LOCAL_SERVER=off to use Prefect's temporary "
        "server in each run instead).",
        parents=[debug()],
    )
    parser.add_argument("action", choices=("status", "start", "stop"), help="what to do")


def run_server(args: argparse.Namespace, console: Console) -> int:
    """Show, start or stop the local Prefect server; 1 where none is running and answering."""
    from wic_etl import local_server

    tell = say(console)
    if args.action == "stop":
        stopped = local_server.stop(say=tell)
        tell(
            f"Stopped the local Prefect server (pid {stopped.pid})."
            if stopped
            else "No local Prefect server is running."
        )
        return EXIT_OK
    running: local_server.LocalServer | None
    if args.action == "start":
        running, _ = local_server.ensure(announce=announce_start(console), say=tell)
    else:
        running = local_server.status(say=tell)
    if running is None:
        tell(f"No local Prefect server is running (PREFECT_HOME: {local_server.prefect_home()}).")
        return EXIT_FAILURES
    where = f"(pid {running.pid}, PREFECT_HOME {running.home}, log {running.log})"
    if running.status == local_server.STARTING:
        tell(f"A local Prefect server is starting at {running.url} {where}.")
        return EXIT_FAILURES
    if running.status == local_server.NOT_ANSWERING:
        tell(
            f"The local Prefect server at {running.url} does not answer {where}; "
            "`wic-etl server stop` stops it."
        )
        return EXIT_FAILURES
    tell(f"Local Prefect server running at {running.url} {where}.")
    from wic_etl.dashboard import dashboard_url

    if (dashboard := dashboard_url(running.url)) is not None:
        tell(f"Prefect's dashboard: {dashboard}")
    else:
        tell("Prefect's dashboard is not served by this server (switched off where it was "
             "started: PREFECT_SERVER_UI_ENABLED=false, or an older wic-etl); `wic-etl server "
             "stop`, then start it without that setting, to have it.")  # fmt: skip
    return EXIT_OK
