"""The ``wic-etl`` command."""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import logging
import os
import shutil
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

from rich import box
from rich.console import Console
from rich.table import Table

from core.accounting import RunSummary
from core.errors import NothingToReadError, WicEtlError
from core.records import storable_text
from core.settings import DEFAULTS
from wic_etl import __version__

if TYPE_CHECKING:
    from readers.sources import SourceList

CONSOLE_FAILURES = 50  # the rest are in the failures table
EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_CRASH, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_CODES = f"""exit codes:
  {EXIT_OK}    everything done
  {EXIT_FAILURES}    some inputs failed (each named, with its reason; see `wic-etl status`),
       or nothing to read
  {EXIT_USAGE}    usage or environment error: bad argument, unusable --db, full or
       read-only disk, Prefect server not answering
  {EXIT_CRASH}    unexpected error (one line; --debug shows the traceback)
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C); batches already loaded are kept
"""
STATUS_RUNS = 10


def build_parser() -> argparse.ArgumentParser:
    """The command line: ingest, reextract, serve, datasette, server."""
    parser = argparse.ArgumentParser(
        prog="wic-etl",
        description="Turn China Daily and World Internet Conference pages into SQLite records.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"wic-etl {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ingest = commands.add_parser(
        "ingest",
        help="read saved pages or crawl web pages into the database",
        description="Read saved pages and crawl web addresses into the database, as one "
        "Prefect flow run.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ingest.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="a saved page, a folder (walked recursively), a web address (article, section "
        "listing, RSS feed or sitemap) or @list.txt (one source per line)",
    )
    ingest.add_argument("--db", default=DEFAULTS.db, help="SQLite database (default: %(default)s)")
    ingest.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULTS.batch_size,
        help="pages per Prefect task (default: %(default)s)",
    )
    ingest.add_argument(
        "--dask", metavar="SPEC",
        help="extract saved pages on Dask: local, local:N (N worker processes) or a "
        "scheduler address tcp://HOST:8786 (workers must see the same paths)",
    )  # fmt: skip
    ingest.add_argument(
        "--max-bytes", type=int, default=DEFAULTS.max_bytes, metavar="N",
        help="largest saved file, page inside an archive (decompressed) or fetched body to "
        "read, in bytes; larger ones are failures (default: %(default)s)",
    )  # fmt: skip
    ingest.add_argument(
        "--reread", action="store_true",
        help="read every saved file, even those known unchanged since they were loaded",
    )  # fmt: skip
    _add_extraction_options(ingest, "saved")
    crawl = ingest.add_argument_group("crawling (web addresses only)")
    crawl.add_argument(
        "--allow-host", action="append", default=[], metavar="HOST", dest="allow_hosts",
        help="also crawl HOST (repeatable); chinadaily.com.cn and wicwuzhen.cn are allowed; "
        "naming a loopback or private host is what allows reaching it",
    )  # fmt: skip
    crawl.add_argument(
        "--max-pages", type=int, default=DEFAULTS.max_pages, metavar="N",
        help="fetch at most N pages per start address (default: %(default)s)",
    )  # fmt: skip
    crawl.add_argument(
        "--since", type=_iso_date, metavar="YYYY-MM-DD",
        help="do not fetch items listed before this date",
    )  # fmt: skip
    crawl.add_argument(
        "--stop-after-known", type=int, default=DEFAULTS.stop_after_known, metavar="N",
        help="stop a listing after N already-stored articles in a row (default: %(default)s)",
    )  # fmt: skip
    crawl.add_argument(
        "--rate-limit", type=float, metavar="PER_S",
        help="requests per second per host (default: 1 for public hosts)",
    )  # fmt: skip
    crawl.add_argument(
        "--timeout", type=float, default=DEFAULTS.timeout, metavar="S",
        help="seconds to wait for an answer (default: %(default)s)",
    )  # fmt: skip
    crawl.add_argument(
        "--retries", type=int, default=DEFAULTS.retries, metavar="N",
        help="tries after a timeout, 5xx or 429, with backoff (default: %(default)s)",
    )  # fmt: skip
    ingest.add_argument("-v", "--verbose", action="store_true", help="show Prefect's run logs")
    ingest.add_argument("-q", "--quiet", action="store_true", help=QUIET_HELP)
    ingest.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected error"
    )
    again = commands.add_parser(
        "reextract",
        help="extract every stored page again (after an extractor change); no files needed",
        description="Rebuild every article from the raw pages kept in the database.",
    )
    again.add_argument("--db", default=DEFAULTS.db, help="SQLite database (default: %(default)s)")
    _add_extraction_options(again, "stored")
    again.add_argument("-v", "--verbose", action="store_true", help="show Prefect's run logs")
    again.add_argument("-q", "--quiet", action="store_true", help=QUIET_HELP)
    again.add_argument("--debug", action="store_true", help="show the traceback of an error")
    served = commands.add_parser(
        "serve",
        help="serve the deployments ingest/daily, ingest/saved and reextract/all",
        description="Serve wic-etl's deployments; start runs with `prefect deployment run`.",
    )
    served.add_argument("--db", default=DEFAULTS.db, help="default database of the runs")
    served.add_argument("--saved", default=DEFAULTS.saved, help="default saved-pages folder")
    served.add_argument(
        "--start-page", action="append", metavar="URL", dest="start_pages",
        help="where ingest/daily starts crawling (repeatable; default: China Daily's "
        "society, tech and Asia-Pacific listings)",
    )  # fmt: skip
    served.add_argument(
        "--allow-host", action="append", default=[], metavar="HOST", dest="allow_hosts",
        help="also let ingest/daily crawl HOST (repeatable)",
    )  # fmt: skip
    served.add_argument(
        "--cron", default=DEFAULTS.daily_cron,
        help="ingest/daily's schedule, Beijing time (default: %(default)s)",
    )  # fmt: skip
    status = commands.add_parser(
        "status",
        help="the last runs with their counts, and why the last run's failed inputs failed",
        description="Show the last runs (flow, start, end, status, counts) and the last "
        "run's failures grouped by reason. Reads the database only.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    status.add_argument("--db", default=DEFAULTS.db, help="SQLite database (default: %(default)s)")
    status.add_argument(
        "--runs", type=int, default=STATUS_RUNS, metavar="N",
        help="how many runs to show (default: %(default)s)",
    )  # fmt: skip
    browse = commands.add_parser(
        "datasette",
        help="browse the database in Datasette: search, facets, canned queries",
        description="Serve the database with Datasette and wic-etl's metadata.",
    )
    browse.add_argument("--db", default=DEFAULTS.db, help="SQLite database (default: %(default)s)")
    browse.add_argument(
        "--host", default=DEFAULTS.datasette_host, help="address (default: %(default)s)"
    )
    browse.add_argument(
        "--port", type=int, default=DEFAULTS.datasette_port, help="port (default: %(default)s)"
    )
    server = commands.add_parser(
        "server",
        help="the local Prefect server wic-etl starts for runs when PREFECT_API_URL is not set",
        description="Show, start or stop the local Prefect server that wic-etl starts in the "
        "background on first use (set WIC_ETL_LOCAL_SERVER=off to use Prefect's temporary "
        "server in each run instead).",
    )
    server.add_argument("action", choices=("status", "start", "stop"), help="what to do")
    server.add_argument("--debug", action="store_true", help="show the traceback of an error")
    return parser


QUIET_HELP = "no progress bar (there is none anyway when the output is not a terminal)"


def run_status(args: argparse.Namespace, console: Console) -> int:
    """Print the last runs and the last run's failures grouped by reason."""
    from loaders.schema import ReadOnlyMediaError
    from loaders.status import connect_read_only, failure_groups, last_runs

    _require_database(args.db)
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
    if not runs:
        console.print(f"No runs in {args.db} yet: run [bold]wic-etl ingest[/bold] first.")
        return EXIT_OK
    # Fits an 80-column terminal: no outer borders, the start as month-day hour:minute;
    # how long each run took, listings and skipped only on a wider one.
    wide = console.width >= 110
    counters = [c for c in runs[0].counts if wide or c not in LESSER_COUNTERS]
    table = Table(
        title=f"last runs in {args.db}", title_justify="left", box=box.SIMPLE_HEAD,
        pad_edge=False, padding=(0, 1), collapse_padding=True, show_edge=False,
    )  # fmt: skip
    columns = ("run", "flow", "started UTC", *(("took",) if wide else ()), "status", *counters)
    for name in columns:
        table.add_column(name, justify="right" if name in counters else "left",
                         no_wrap=name != "status")  # fmt: skip
    for run in runs:
        status = run.status or ""
        style = {"completed": "green", "running": "yellow"}.get(status, "red")
        shown = status if wide else status.replace("completed with failures", "failures")
        table.add_row(
            run.id[:8], run.flow, _when(run.started),
            *((_took(run.started, run.finished),) if wide else ()),
            f"[{style}]{shown}[/{style}]", *(str(run.counts[c]) for c in counters),
        )  # fmt: skip
    console.print(table)
    last = runs[0]
    if not groups:
        console.print(f"The last run ({last.id}) has no failures.")
        return EXIT_OK
    failed = Table(title=f"failures of the last run ({last.id}), by reason", title_justify="left")
    for name, justify in (("count", "right"), ("stage", "left"), ("error", "left"),
                          ("reason", "left"), ("for example", "left")):  # fmt: skip
        failed.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for group in groups:
        failed.add_row(str(group.count), group.stage, group.error_class, group.reason,
                       group.example)  # fmt: skip
    console.print(failed)
    console.print(
        "Each failure, with its whole message: the [bold]failures[/bold] table, or "
        f"[bold]{_browse_hint(args.db)}[/bold] (canned query: failures of the last run)."
    )
    return EXIT_OK


LESSER_COUNTERS = ("listings", "skipped")  # shown by `wic-etl status` on wide terminals only


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


def _add_extraction_options(parser: argparse.ArgumentParser, pages: str) -> None:
    """The extraction processes and what bounds one page, for every command that extracts."""
    parser.add_argument(
        "--workers", type=int, default=DEFAULTS.workers, metavar="N",
        help=f"processes extracting {pages} pages (default: every core, %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--page-deadline", type=_positive_float, default=DEFAULTS.page_deadline, metavar="S",
        help="CPU seconds one page may take to extract; a page that takes longer is "
        "stopped and recorded as a failure (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--max-memory", type=_memory_mb, default=DEFAULTS.max_memory_mb, metavar="MB",
        help="memory an extraction process may take beyond its own code, in MB; a page "
        "that needs more is a failure (default: %(default)s)",
    )  # fmt: skip


# Below this a worker cannot even unpickle a 10 MB page and its extracted record.
MIN_MEMORY_MB = 64


def _memory_mb(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of MB") from None
    if value < MIN_MEMORY_MB:
        raise argparse.ArgumentTypeError(f"{value} MB is too little: give {MIN_MEMORY_MB} or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not more than 0 seconds")
    return value


def run_reextract(args: argparse.Namespace, console: Console) -> int:
    """``wic-etl reextract``: rebuild every article from the stored pages."""
    _require_database(args.db)
    _check_database(args.db)  # brings an older schema up to date

    def call() -> RunSummary:
        from flows.reextract import reextract

        return reextract(
            db=args.db,
            workers=args.workers,
            page_deadline=args.page_deadline,
            max_memory_mb=args.max_memory,
        )

    return _run_flow(args, console, "reextract", call, time.perf_counter())


def run_serve(args: argparse.Namespace, console: Console) -> int:
    """``wic-etl serve``: serve the deployments until stopped."""
    if (url := _connect_prefect(console)) is None:
        raise WicEtlError(
            "serving deployments needs a Prefect server: start one (`make server`) and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api, or let wic-etl start its local one "
            "(unset WIC_ETL_LOCAL_SERVER)"
        )
    from flows.deployments import serve_all

    console.print("Serving ingest/daily, ingest/saved and reextract/all (Ctrl-C stops); "
                  "start a run with [bold]prefect deployment run 'ingest/saved' --watch"
                  "[/bold]")  # fmt: skip
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url}):
        serve_all(
            db=str(Path(args.db).resolve()),
            saved=str(Path(args.saved).resolve()),
            start_pages=args.start_pages or DEFAULTS.daily_start_pages,
            allow_hosts=args.allow_hosts,
            cron=args.cron,
        )
    return EXIT_OK


def run_datasette(args: argparse.Namespace, console: Console) -> int:
    """``wic-etl datasette``: browse the database with wic-etl's metadata."""
    _require_database(args.db)
    _up_to_date_for_browsing(args.db)
    import uvicorn

    from loaders.datasette_app import make_datasette

    name = Path(args.db).stem
    app = make_datasette(args.db).app()
    console.print(f"Serving {args.db} at [bold]http://{args.host}:{args.port}/{name}[/bold] "
                  "(Ctrl-C stops it)")  # fmt: skip
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return EXIT_OK


def _up_to_date_for_browsing(path: str) -> None:
    """Bring the schema up to date only if it needs it: browsing writes nothing else.

    A database that needs no migration is only read (no ``.lock`` file, no WAL
    switch), so it can be browsed from read-only media; one that needs a migration
    there cannot be, and the message says so and what to do.
    """
    from loaders.schema import ReadOnlyMediaError, cannot_write_beside, pending_migrations

    try:
        pending = pending_migrations(path)
    except ReadOnlyMediaError as exc:
        raise WicEtlError(str(exc)) from exc
    except sqlite3.Error:
        pending = None  # not readable as it stands: _check_database says why
    if pending == []:
        return
    if pending and (why := cannot_write_beside(path)) is not None:
        raise WicEtlError(
            f"{path} was made by an older wic-etl: before it can be browsed its schema "
            f"must be brought up to date ({', '.join(pending)}), which writes to it, and "
            f"it cannot be written here ({why}). Copy it to a writable folder and point "
            "--db at the copy, or run this command once where it can be written"
        )
    _check_database(path)


def _read_only_message(path: str, exc: BaseException) -> str:
    folder = Path(path).resolve().parent
    return (
        f"{path} cannot be written ({exc}): wic-etl writes the database and, in the same "
        f"folder ({folder}), its -wal, -shm and .lock files. Make that folder and the "
        "database writable for this user, or copy the database to a writable place and "
        "point --db at the copy"
    )


def _check_database(path: str) -> None:
    """Fail before Prefect starts (seconds of work) if the database cannot be used."""
    from loaders.schema import open_database

    try:
        open_database(path).close()
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise WicEtlError(_read_only_message(path, exc)) from exc
        if exc.errno == errno.ENOSPC:
            raise WicEtlError(f"the disk holding {path} is full; free some space") from exc
        raise WicEtlError(f"cannot open {path} ({exc}); check the path given to --db") from exc
    except sqlite3.Error as exc:
        if (message := _storage_trouble(exc, path)) is not None:
            raise WicEtlError(message) from exc
        raise WicEtlError(
            f"cannot use {path} as the wic-etl database ({exc}): it is not an SQLite "
            "database wic-etl can use; give --db a new file name or an existing wic-etl "
            "database"
        ) from exc


def _browse_hint(db: str) -> str:
    command = str(Path(sys.argv[0]).resolve()) if sys.argv[0] else "wic-etl"
    if shutil.which("wic-etl") == command:
        command = "wic-etl"
    else:
        relative = os.path.relpath(command)
        command = command if relative.startswith("..") else relative
    return f"{command} datasette --db {db}"


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
        f"Done in {seconds:.1f} s. Browse the result: [bold]{_browse_hint(summary.db)}[/bold]"
    )


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-01") from None


def run_ingest(args: argparse.Namespace, console: Console) -> int:
    """``wic-etl ingest``: check the arguments, then run the ingest flow."""
    for name, least in (("batch_size", 1), ("max_pages", 1), ("stop_after_known", 1),
                        ("retries", 0), ("max_bytes", 1), ("workers", 1)):  # fmt: skip
        if getattr(args, name) < least:
            raise WicEtlError(f"--{name.replace('_', '-')} must be at least {least}")
    for name in ("timeout", "rate_limit"):
        if (value := getattr(args, name)) is not None and value <= 0:
            raise WicEtlError(f"--{name.replace('_', '-')} must be more than 0")

    for source in args.sources:
        if source != storable_text(source):
            # Prefect records a run's parameters as JSON, which cannot carry such bytes.
            raise WicEtlError(
                f"the name {storable_text(source)} is not UTF-8 and cannot be a parameter of "
                "the run; name its folder, or list it in @list.txt, instead"
            )
    found = _check_sources(args.sources)
    if args.dask:
        from flows.runners import local_workers

        local_workers(args.dask)  # a bad spec is a usage error, before anything runs

    def call() -> RunSummary:
        from flows.ingest import ingest

        return ingest(
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
        )

    _check_database(args.db)  # creates it, or brings an older schema up to date
    started = time.perf_counter()
    from flows.before_prefect import ahead_of_ingest
    from flows.limits import Limits

    with ahead_of_ingest(
        args.db,
        list(args.sources),
        found,
        reread=args.reread,
        head_start=not args.dask,
        batch_size=args.batch_size,
        workers_wanted=args.workers,
        max_bytes=args.max_bytes,
        limits=Limits(args.page_deadline, args.max_memory),
    ) as settled:
        if settled is not None:
            print_summary(console, settled, time.perf_counter() - started)
            return EXIT_OK
        return _run_flow(args, console, "ingest", call, started)


def _check_sources(sources: list[str]) -> SourceList:
    """Before Prefect starts (seconds): a run with nothing to read is a mistake to report now."""
    from readers.sources import SAVED_PAGE_SUFFIXES, expand_sources

    found = expand_sources(sources)
    if found.files or found.urls:
        return found  # a missing source beside readable ones is a failure row of the run
    if found.missing:
        named = ", ".join(found.missing)
        raise WicEtlError(f"{named}: no such file or folder; check the path")
    skipped = f" (skipped: {found.skipped_text()})" if found.skipped else ""
    raise NothingToReadError(
        f"no saved pages found in {', '.join(sources)}{skipped}; wic-etl reads saved pages "
        f"named {', '.join(SAVED_PAGE_SUFFIXES)}: name such files, or a folder holding them"
    )


def _run_flow(
    args: argparse.Namespace,
    console: Console,
    command: str,
    call: Callable[[], RunSummary],
    started: float,
) -> int:
    """Check the Prefect server, run one flow, print its summary (the database is checked;
    ``started``: when the command's own work began, for the time it reports)."""
    url = _connect_prefect(console, verbose=args.verbose)
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


def _connect_prefect(console: Console, verbose: bool = False) -> str | None:
    """Point Prefect at a server: the configured one, else wic-etl's local one.

    None means Prefect's temporary in-run server (the local one switched off).
    """
    from wic_etl import local_server, prefect_env

    prefect_env.configure(verbose=verbose)
    if (url := prefect_env.check_api()) is not None:
        return url
    if not local_server.enabled():
        return None
    server, started = local_server.ensure(announce=_announce_start(console), say=_say(console))
    os.environ["PREFECT_API_URL"] = server.url
    if started:
        console.print(
            f"Local Prefect server at {server.url} (pid {server.pid}); later runs reuse it, "
            "[bold]wic-etl server stop[/bold] stops it."
        )
    return server.url


def _announce_start(console: Console) -> Callable[[], None]:
    return lambda: console.print(
        "Starting a local Prefect server for this and later runs (15-30 s, once)..."
    )


def _say(console: Console) -> Callable[[str], None]:
    """Where the local server's one-line notes go: paths and all, as written."""
    return lambda line: console.print(line, markup=False, highlight=False, soft_wrap=True)


def run_server(args: argparse.Namespace, console: Console) -> int:
    """``wic-etl server status|start|stop``: the local Prefect server."""
    from wic_etl import local_server

    say = _say(console)
    if args.action == "stop":
        stopped = local_server.stop(say=say)
        say(f"Stopped the local Prefect server (pid {stopped.pid})." if stopped
            else "No local Prefect server is running.")  # fmt: skip
        return EXIT_OK
    server: local_server.LocalServer | None
    if args.action == "start":
        server, _ = local_server.ensure(announce=_announce_start(console), say=say)
    else:
        server = local_server.status(say=say)
    if server is None:
        say(f"No local Prefect server is running (PREFECT_HOME: {local_server.prefect_home()}).")
        return EXIT_FAILURES
    where = f"(pid {server.pid}, PREFECT_HOME {server.home}, log {server.log})"
    if server.status == local_server.STARTING:
        say(f"A local Prefect server is starting at {server.url} {where}.")
        return EXIT_FAILURES
    if server.status == local_server.NOT_ANSWERING:
        say(f"The local Prefect server at {server.url} does not answer {where}; "
            "`wic-etl server stop` stops it.")  # fmt: skip
        return EXIT_FAILURES
    say(f"Local Prefect server running at {server.url} {where}.")
    return EXIT_OK


def _require_database(path: str) -> None:
    if not Path(path).is_file():
        raise WicEtlError(f"there is no database at {path}; run `wic-etl ingest` first")


# After Ctrl-C, how long the run may take to wind down before the process just exits.
# Prefect reports the interrupted run to its API; with a temporary server that the
# same Ctrl-C has stopped, it would retry the dead address for over a minute.
INTERRUPT_GRACE_S = 5.0
INTERRUPTED_MESSAGE = "wic-etl: interrupted; batches already loaded are kept, run again to finish"
# The commands that load batches: only their messages speak of batches kept.
LOADING_COMMANDS = ("ingest", "reextract", "serve")


_told = threading.Event()


def _record_interrupt(db: str | None, loads: bool = True) -> None:
    """Mark this process's runs 'interrupted' and say so, once (``loads``: of batches kept)."""
    if _told.is_set():
        return
    _told.set()
    if db and Path(db).is_file():
        from loaders.store import interrupt_runs_of_this_process

        with contextlib.suppress(sqlite3.Error):
            interrupt_runs_of_this_process(db)
    sys.stderr.write((INTERRUPTED_MESSAGE if loads else "wic-etl: interrupted") + "\n")
    sys.stderr.flush()


def _exit_interrupted(db: str | None, loads: bool = True) -> None:
    """The hard way out: committed batches are safe on disk, the open one rolls back."""
    _record_interrupt(db, loads)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    os._exit(EXIT_INTERRUPTED)


def _watch_interrupts(db: str | None, loads: bool = True) -> None:
    """Ctrl-C stops the run at once, and the process within ``INTERRUPT_GRACE_S``."""
    pressed = threading.Event()

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if pressed.is_set():  # pressed twice: no more waiting
            _exit_interrupted(db, loads)
        pressed.set()
        # What Prefect would log from here on is about a server that is gone.
        logging.disable(logging.CRITICAL)
        timer = threading.Timer(INTERRUPT_GRACE_S, _exit_interrupted, args=(db, loads))
        timer.daemon = True
        timer.start()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_interrupt)


def _storage_trouble(exc: BaseException, db: str | None, loads: bool = True) -> str | None:
    """A message for errors that are the machine's, not wic-etl's: a full or read-only disk."""
    text = str(exc).lower()
    where = f"the disk holding {db}" if db else "the disk"
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "disk is full" in text:
        kept = ": the batches already loaded are kept and will not be read again"
        return f"{where} is full ({exc}); free some space and run again{kept if loads else ''}"
    if "readonly database" in text or "read-only" in text:
        return _read_only_message(db or "the database", exc)
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the command; the exit code (0, 1 failures, 2 usage, 3 unexpected, 130 Ctrl-C)."""
    args = build_parser().parse_args(argv)
    console = Console()
    errors = Console(stderr=True)
    db, loads = getattr(args, "db", None), args.command in LOADING_COMMANDS
    if threading.current_thread() is threading.main_thread():
        _watch_interrupts(db, loads)
    try:
        if args.command == "ingest":
            return run_ingest(args, console)
        if args.command == "reextract":
            return run_reextract(args, console)
        if args.command == "serve":
            return run_serve(args, console)
        if args.command == "status":
            return run_status(args, console)
        if args.command == "datasette":
            return run_datasette(args, console)
        if args.command == "server":
            return run_server(args, console)
    except WicEtlError as exc:
        errors.print(f"[red]wic-etl: {exc}[/red]")
        # Nothing to read is an outcome of the run (1), any other one a usage error (2).
        return EXIT_FAILURES if isinstance(exc, NothingToReadError) else EXIT_USAGE
    except KeyboardInterrupt:
        _record_interrupt(db, loads)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if getattr(args, "debug", False):
            raise
        if (message := _storage_trouble(exc, db, loads)) is not None:
            errors.print(f"[red]wic-etl: {message}[/red]", markup=True, highlight=False)
            return EXIT_USAGE
        kept = "Batches already loaded are kept. " if loads else ""
        errors.print(
            f"[red]wic-etl: unexpected {type(exc).__name__}: {exc}[/red]\n"
            f"{kept}Run again with --debug to see the traceback."
        )
        return EXIT_CRASH
    return EXIT_USAGE


def run() -> NoReturn:
    """The ``wic-etl`` console script: ``main``, then exit with its code.

    Before the exit, every object left is frozen out of the garbage collector: the
    interpreter's final collections would otherwise walk all of Prefect's and
    pydantic's objects once more, 0.15-0.2 s of every command (measured), to free
    memory the exit frees anyway. Finalizers and atexit handlers (Prefect's flush
    of its logs and events) still run.
    """
    code = main()
    gc.freeze()
    sys.exit(code)
