"""Running a flow from the command: a Prefect server to report to, a progress bar, the summary.

Prefect is imported here only once the command's own checks have passed: its
import alone takes about a second.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console

from core.accounting import RunSummary
from wic_etl.cli.exits import EXIT_FAILURES, EXIT_OK
from wic_etl.cli.render import announce_start, print_summary, say


def run_flow(
    args: argparse.Namespace,
    console: Console,
    command: str,
    call: Callable[[], RunSummary],
    started: float,
) -> int:
    """Check the Prefect server, run one flow, print its summary (the database is checked;
    ``started``: when the command's own work began, for the time it reports)."""
    url = connect_prefect(console, verbose=args.verbose)
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    # Prefect read its settings when check_api imported it: a URL chosen after that
    # (the local server's) must be handed to it, or it starts a temporary server.
    # No flow heartbeats from a command's run: Prefect joins its heartbeat thread at the
    # end of every run, and that thread sleeps in 1 s steps (0.5-1 s added to each
    # command, measured). They feed Prefect's detection of runs that died silently; a
    # command is watched by its user, and the next run marks a killed one 'interrupted'
    # in `runs`. Deployment runs (`wic-etl serve`) keep Prefect's heartbeats.
    updates: dict[Any, Any] = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    if url:
        updates[PREFECT_API_URL] = url
    with temporary_settings(updates=updates), _progress(args, console):
        summary = call()  # imports Prefect: after the quick checks above
    print_summary(console, summary, time.perf_counter() - started, command)
    from wic_etl.dashboard import dashboard_url, flow_run_page

    if url and (dashboard := dashboard_url(url)) is not None:
        # Printed after the summary: it is where the run's logs and artifact are.
        console.print(f"In Prefect's dashboard: {flow_run_page(dashboard, summary.run_id)}",
                      markup=False, highlight=False, soft_wrap=True)  # fmt: skip
    return EXIT_OK if summary.ok else EXIT_FAILURES


@contextlib.contextmanager
def _progress(args: argparse.Namespace, console: Console) -> Iterator[None]:
    """A progress bar while the flow runs, on a terminal unless --quiet."""
    if args.quiet or not console.is_terminal:
        yield
        return
    from flows.progress import watch
    from wic_etl.progress import ProgressBar

    bar = ProgressBar(console)
    try:
        with watch(bar):
            yield
    finally:
        bar.stop()


def connect_prefect(console: Console, verbose: bool = False) -> str | None:
    """Point Prefect at a server: the configured one, else wic-etl's local one.

    None means Prefect's temporary in-run server (the local one switched off).
    """
    from wic_etl import local_server, prefect_env

    prefect_env.configure(verbose=verbose)
    if (url := prefect_env.check_api()) is not None:
        return url
    if not local_server.enabled():
        return None
    server, started = local_server.ensure(announce=announce_start(console), say=say(console))
    os.environ["PREFECT_API_URL"] = server.url
    if started:
        console.print(
            f"Local Prefect server at {server.url} (pid {server.pid}); later runs reuse it, "
            "[bold]wic-etl server stop[/bold] stops it."
        )
    return server.url
