"""The ``wic-etl`` command."""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from extractors.records import storable_text
from wic_etl import __version__
from wic_etl.errors import WicEtlError
from wic_etl.limits import MAX_BYTES

if TYPE_CHECKING:  # importing flows means importing Prefect: seconds, so only for types
    from flows.reporting import RunSummary

CONSOLE_FAILURES = 50  # the rest are in the failures table
EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_CRASH, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wic-etl",
        description="Turn China Daily and World Internet Conference pages into SQLite records.",
    )
    parser.add_argument("--version", action="version", version=f"wic-etl {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ingest = commands.add_parser(
        "ingest",
        help="read saved pages or crawl web pages into the database",
        description="Read saved pages and crawl web addresses into the database, as one "
        "Prefect flow run.",
    )
    ingest.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="a saved page, a folder (walked recursively), a web address (article, section "
        "listing, RSS feed or sitemap) or @list.txt (one source per line)",
    )
    ingest.add_argument(
        "--db", default="data/wic.db", help="SQLite database (default: %(default)s)"
    )
    ingest.add_argument(
        "--batch-size", type=int, default=250, help="pages per Prefect task (default: %(default)s)"
    )
    ingest.add_argument(
        "--dask", metavar="SPEC",
        help="extract saved pages on Dask: local, local:N (N worker processes) or a "
        "scheduler address tcp://HOST:8786 (workers must see the same paths)",
    )  # fmt: skip
    ingest.add_argument(
        "--max-bytes", type=int, default=MAX_BYTES, metavar="N",
        help="largest saved file, page inside an archive (decompressed) or fetched body to "
        "read, in bytes; larger ones are failures (default: %(default)s)",
    )  # fmt: skip
    crawl = ingest.add_argument_group("crawling (web addresses only)")
    crawl.add_argument(
        "--allow-host", action="append", default=[], metavar="HOST", dest="allow_hosts",
        help="also crawl HOST (repeatable); chinadaily.com.cn and wicwuzhen.cn are allowed; "
        "naming a loopback or private host is what allows reaching it",
    )  # fmt: skip
    crawl.add_argument(
        "--max-pages", type=int, default=200, metavar="N",
        help="fetch at most N pages per start address (default: %(default)s)",
    )  # fmt: skip
    crawl.add_argument(
        "--since", type=_iso_date, metavar="YYYY-MM-DD",
        help="do not fetch items listed before this date",
    )  # fmt: skip
    crawl.add_argument(
        "--stop-after-known", type=int, default=20, metavar="N",
        help="stop a listing after N already-stored articles in a row (default: %(default)s)",
    )  # fmt: skip
    crawl.add_argument(
        "--rate-limit", type=float, metavar="PER_S",
        help="requests per second per host (default: 1 for public hosts)",
    )  # fmt: skip
    crawl.add_argument(
        "--timeout", type=float, default=30.0, metavar="S",
        help="seconds to wait for an answer (default: %(default)s)",
    )  # fmt: skip
    crawl.add_argument(
        "--retries", type=int, default=3, metavar="N",
        help="tries after a timeout, 5xx or 429, with backoff (default: %(default)s)",
    )  # fmt: skip
    ingest.add_argument("-v", "--verbose", action="store_true", help="show Prefect's run logs")
    ingest.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected error"
    )
    again = commands.add_parser(
        "reextract",
        help="extract every stored page again (after an extractor change); no files needed",
        description="Rebuild every article from the raw pages kept in the database.",
    )
    again.add_argument("--db", default="data/wic.db", help="SQLite database (default: %(default)s)")
    again.add_argument("-v", "--verbose", action="store_true", help="show Prefect's run logs")
    again.add_argument("--debug", action="store_true", help="show the traceback of an error")
    served = commands.add_parser(
        "serve",
        help="serve the deployments ingest/daily, ingest/saved and reextract/all",
        description="Serve wic-etl's deployments; start runs with `prefect deployment run`.",
    )
    served.add_argument("--db", default="data/wic.db", help="default database of the runs")
    served.add_argument("--saved", default="fixtures/saved", help="default saved-pages folder")
    served.add_argument(
        "--start-page", action="append", metavar="URL", dest="start_pages",
        help="where ingest/daily starts crawling (repeatable; default: China Daily's "
        "society, tech and Asia-Pacific listings)",
    )  # fmt: skip
    served.add_argument(
        "--allow-host", action="append", default=[], metavar="HOST", dest="allow_hosts",
        help="also let ingest/daily crawl HOST (repeatable)",
    )  # fmt: skip
    served.add_argument("--cron", help="ingest/daily's schedule, Beijing time (default: 0 6 * * *)")
    browse = commands.add_parser(
        "datasette",
        help="browse the database in Datasette: search, facets, canned queries",
        description="Serve the database with Datasette and wic-etl's metadata.",
    )
    browse.add_argument(
        "--db", default="data/wic.db", help="SQLite database (default: %(default)s)"
    )
    browse.add_argument("--host", default="127.0.0.1", help="address (default: %(default)s)")
    browse.add_argument("--port", type=int, default=8001, help="port (default: %(default)s)")
    return parser


def run_reextract(args: argparse.Namespace, console: Console) -> int:
    _require_database(args.db)

    def call() -> RunSummary:
        from flows.reextract import reextract

        return reextract(db=args.db)

    return _run_flow(args, console, "reextract", call)


def run_serve(args: argparse.Namespace, console: Console) -> int:
    from wic_etl import prefect_env

    prefect_env.configure(verbose=False)
    if prefect_env.check_api() is None:
        raise WicEtlError(
            "serving deployments needs a Prefect server: start one (`make server`) and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    from flows.deployments import DAILY_CRON, DAILY_START_PAGES, serve_all

    console.print("Serving ingest/daily, ingest/saved and reextract/all (Ctrl-C stops); "
                  "start a run with [bold]prefect deployment run 'ingest/saved' --watch"
                  "[/bold]")  # fmt: skip
    serve_all(
        db=str(Path(args.db).resolve()),
        saved=str(Path(args.saved).resolve()),
        start_pages=args.start_pages or DAILY_START_PAGES,
        allow_hosts=args.allow_hosts,
        cron=args.cron or DAILY_CRON,
    )
    return EXIT_OK


def run_datasette(args: argparse.Namespace, console: Console) -> int:
    _require_database(args.db)
    _check_database(args.db)  # brings an older database's schema up to date
    import uvicorn
    from datasette.app import Datasette

    from loaders.datasette_metadata import metadata

    name = Path(args.db).stem
    app = Datasette([args.db], metadata=metadata(name)).app()
    console.print(f"Serving {args.db} at [bold]http://{args.host}:{args.port}/{name}[/bold] "
                  "(Ctrl-C stops it)")  # fmt: skip
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return EXIT_OK


def _check_database(path: str) -> None:
    """Fail before Prefect starts (seconds of work) if the database cannot be used."""
    from loaders.schema import open_database

    try:
        open_database(path).close()
    except (sqlite3.Error, OSError) as exc:
        raise WicEtlError(
            f"cannot use {path} as the wic-etl database ({exc}); "
            "give --db a new file name or a wic-etl database"
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
    table = Table(title=f"wic-etl {command} -> {summary.db}", title_justify="left")
    for column in ("pages", "new", "updated", "unchanged", "failed", "listings", "skipped"):
        table.add_column(column, justify="right")
    table.add_row(
        *(str(getattr(summary, c)) for c in ("pages", "new", "updated", "unchanged")),
        f"[red]{summary.failed}[/red]" if summary.failed else "0",
        str(summary.listings),
        str(summary.skipped),
    )
    console.print(table)
    for note in summary.notes:
        console.print(note, markup=False, highlight=False)
    if summary.failures:
        failures = Table(title="failed inputs", title_justify="left", show_lines=False)
        failures.add_column("source", overflow="fold")
        failures.add_column("stage")
        failures.add_column("reason", overflow="fold")
        for failure in summary.failures[:CONSOLE_FAILURES]:
            failures.add_row(failure["source"], failure["stage"], failure["message"])
        console.print(failures)
        if (more := len(summary.failures) - CONSOLE_FAILURES) > 0:
            console.print(f"... and {more} more failed inputs.")
        console.print(
            "Their raw bytes are kept in the [bold]pages[/bold] table; the reasons are in "
            "[bold]failures[/bold]."
        )
    console.print(
        f"Done in {seconds:.1f} s. Browse the result: [bold]{_browse_hint(summary.db)}[/bold]"
    )


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-01") from None


def run_ingest(args: argparse.Namespace, console: Console) -> int:
    for name, least in (("batch_size", 1), ("max_pages", 1), ("stop_after_known", 1),
                        ("retries", 0), ("max_bytes", 1)):  # fmt: skip
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
        )

    return _run_flow(args, console, "ingest", call)


def _run_flow(
    args: argparse.Namespace, console: Console, command: str, call: Callable[[], RunSummary]
) -> int:
    """Check the database and the Prefect server, run one flow, print its summary."""
    from wic_etl import prefect_env

    _check_database(args.db)  # creates it, or brings an older schema up to date
    started = time.perf_counter()
    prefect_env.configure(verbose=args.verbose)
    prefect_env.check_api()
    summary = call()  # imports Prefect: after the quick checks above
    print_summary(console, summary, time.perf_counter() - started, command)
    return EXIT_OK if summary.ok else EXIT_FAILURES


def _require_database(path: str) -> None:
    if not Path(path).is_file():
        raise WicEtlError(f"there is no database at {path}; run `wic-etl ingest` first")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console()
    errors = Console(stderr=True)
    try:
        if args.command == "ingest":
            return run_ingest(args, console)
        if args.command == "reextract":
            return run_reextract(args, console)
        if args.command == "serve":
            return run_serve(args, console)
        if args.command == "datasette":
            return run_datasette(args, console)
    except WicEtlError as exc:
        errors.print(f"[red]wic-etl: {exc}[/red]")
        return EXIT_USAGE
    except KeyboardInterrupt:
        errors.print("wic-etl: interrupted; batches already loaded are kept, run again to finish")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if getattr(args, "debug", False):
            raise
        errors.print(
            f"[red]wic-etl: unexpected {type(exc).__name__}: {exc}[/red]\n"
            "Batches already loaded are kept. Run again with --debug to see the traceback."
        )
        return EXIT_CRASH
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
