"""What the commands print: a run's summary, the last runs and their failures, one-line notes."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, JustifyMethod
from rich.table import Table

from core.accounting import RunSummary

if TYPE_CHECKING:
    from loaders.status import FailureGroup, RunRow

CONSOLE_FAILURES = 50  # the rest are in the failures table
LESSER_COUNTERS = ("listings", "skipped")  # shown by `wic-etl status` on wide terminals only
WIDE = 110  # columns from which `wic-etl status` shows the lesser counters and run times
FAILURE_GROUP_COLUMNS: tuple[tuple[str, JustifyMethod], ...] = (
    ("count", "right"),
    ("stage", "left"),
    ("error", "left"),
    ("reason", "left"),
    ("for example", "left"),
)


def print_summary(
    console: Console, summary: RunSummary, seconds: float, command: str = "ingest"
) -> None:
    """The counters, notes, fallbacks and failed inputs of a run, then where to look."""
    counts = summary.counts
    table = Table(title=f"wic-etl {command} -> {summary.db}", title_justify="left")
    cells = []
    for name, value in counts.as_row().items():
        table.add_column(name, justify="right")
        cells.append(f"[red]{value}[/red]" if name == "failed" and value else str(value))
    table.add_row(*cells)
    console.print(table)
    for note in summary.notes:
        console.print(note, markup=False, highlight=False)
    for line in summary.fallbacks:  # layout drift: fields taken from meta tags or trafilatura
        console.print(line, markup=False, highlight=False)
    if counts.failures:
        failures = Table(title="failed inputs", title_justify="left", show_lines=False)
        failures.add_column("source", overflow="fold")
        failures.add_column("stage")
        failures.add_column("reason", overflow="fold")
        for failure in counts.failures[:CONSOLE_FAILURES]:
            failures.add_row(failure.source, failure.stage, failure.message)
        console.print(failures)
        if (more := len(counts.failures) - CONSOLE_FAILURES) > 0:
            console.print(f"... and {more} more failed inputs.")
        kept = sum(f.raw_kept for f in counts.failures)
        where = "The reasons are in [bold]failures[/bold]"
        if kept == len(counts.failures):
            where += "; their raw bytes are kept in [bold]pages[/bold]."
        elif kept:
            where += (
                f"; the raw bytes of the {kept} that could be read are kept in [bold]pages[/bold]."
            )
        else:
            where += " (none of them could be read, so no bytes were kept)."
        console.print(where)
    console.print(
        f"Done in {seconds:.1f} s. Browse the result: [bold]{browse_hint(summary.db)}[/bold]"
    )


def print_runs(
    console: Console, db: str, runs: Sequence[RunRow], groups: Sequence[FailureGroup]
) -> None:
    """``wic-etl status``: the last runs, newest first, then the last run's failures by reason."""
    if not runs:
        console.print(f"No runs in {db} yet: run [bold]wic-etl ingest[/bold] first.")
        return
    console.print(_runs_table(console, db, runs))
    last = runs[0]
    if not groups:
        console.print(f"The last run ({last.id}) has no failures.")
        return
    failed = Table(title=f"failures of the last run ({last.id}), by reason", title_justify="left")
    for name, justify in FAILURE_GROUP_COLUMNS:
        failed.add_column(name, justify=justify, overflow="fold")
    for group in groups:
        failed.add_row(
            str(group.count), group.stage, group.error_class, group.reason, group.example
        )
    console.print(failed)
    console.print(
        "Each failure, with its whole message: the [bold]failures[/bold] table, or "
        f"[bold]{browse_hint(db)}[/bold] (canned query: failures of the last run)."
    )


def _runs_table(console: Console, db: str, runs: Sequence[RunRow]) -> Table:
    # Fits an 80-column terminal: no outer borders, the start as month-day hour:minute;
    # how long each run took, listings and skipped only on a wider one.
    wide = console.width >= WIDE
    counters = [c for c in runs[0].counts if wide or c not in LESSER_COUNTERS]
    table = Table(
        title=f"last runs in {db}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
        show_edge=False,
    )
    took = ("took",) if wide else ()
    for name in ("run", "flow", "started UTC", *took, "status", *counters):
        justify: JustifyMethod = "right" if name in counters else "left"
        table.add_column(name, justify=justify, no_wrap=name != "status")
    for run in runs:
        status = run.status or ""
        style = {"completed": "green", "running": "yellow"}.get(status, "red")
        shown = status if wide else status.replace("completed with failures", "failures")
        table.add_row(
            run.id[:8],
            run.flow,
            _when(run.started),
            *((_took(run.started, run.finished),) if wide else ()),
            f"[{style}]{shown}[/{style}]",
            *(str(run.counts[c]) for c in counters),
        )
    return table


def _when(stamp: str | None) -> str:
    """``05-01 10:04`` (UTC) from a stored ISO time."""
    return stamp[5:16].replace("T", " ") if stamp else "-"


def _took(started: str | None, finished: str | None) -> str:
    """How long a run took, ``42 s`` or ``3 min``; ``-`` while it runs or if unknown."""
    if not started or not finished:
        return "-"
    try:
        seconds = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).seconds
    except ValueError:
        return "-"
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"


def browse_hint(db: str) -> str:
    """The command that browses ``db``, as this user can type it."""
    command = str(Path(sys.argv[0]).resolve()) if sys.argv[0] else "wic-etl"
    if shutil.which("wic-etl") == command:
        command = "wic-etl"
    else:
        relative = os.path.relpath(command)
        command = command if relative.startswith("..") else relative
    return f"{command} datasette --db {db}"


def say(console: Console) -> Callable[[str], None]:
    """Where the local server's one-line notes go: paths and all, as written."""
    return lambda line: console.print(line, markup=False, highlight=False, soft_wrap=True)


def announce_start(console: Console) -> Callable[[], None]:
    """The note printed when a command has to start the local Prefect server."""
    return lambda: console.print(
        "Starting a local Prefect server for this and later runs (15-30 s, once)..."
    )
