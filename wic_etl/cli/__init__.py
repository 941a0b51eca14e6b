"""The ``wic-etl`` command: parse the command line, run the command, give its exit code.

Its rooms: ``parser`` (the command line, from ``commands``: one module per command,
its options and its handler), ``options`` (options shared by several commands),
``checks`` (what is checked before any work), ``flow_runs`` (running a flow:
Prefect server, progress bar), ``render`` (what is printed), ``interrupts``
(Ctrl-C), ``exits`` (the exit codes).
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from typing import NoReturn

from rich.console import Console

from core.errors import NothingToReadError, WicEtlError
from wic_etl.cli.checks import storage_trouble
from wic_etl.cli.command import Handler
from wic_etl.cli.exits import (
    EXIT_CRASH,
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
)
from wic_etl.cli.interrupts import interrupted, record_interrupt, watch_interrupts
from wic_etl.cli.parser import build_parser

__all__ = [
    "EXIT_CRASH",
    "EXIT_FAILURES",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "main",
    "run",
]


def main(argv: list[str] | None = None, started: float | None = None) -> int:
    """Run the command; the exit code (0, 1 failures, 2 usage, 3 unexpected, 130 Ctrl-C).

    ``started``: the ``time.perf_counter()`` the command's time counts from (now if
    not given).
    """
    started = time.perf_counter() if started is None else started
    args = build_parser().parse_args(argv)
    args.started = started  # the summary's "Done in": the command's whole time
    console = Console()
    errors = Console(stderr=True)
    db: str | None = getattr(args, "db", None)  # the server command has none
    loads: bool = args.loads_batches
    if threading.current_thread() is threading.main_thread():
        watch_interrupts(db, loads)
    handler: Handler = args.func
    try:
        return handler(args, console)
    except WicEtlError as exc:
        errors.print(f"[red]wic-etl: {exc}[/red]")
        # Nothing to read is an outcome of the run (1), any other one a usage error (2).
        return EXIT_FAILURES if isinstance(exc, NothingToReadError) else EXIT_USAGE
    except KeyboardInterrupt:
        record_interrupt(db, loads)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if interrupted():  # the KeyboardInterrupt came back wrapped in a library's error
            record_interrupt(db, loads)
            return EXIT_INTERRUPTED
        if getattr(args, "debug", False):
            raise
        if (message := storage_trouble(exc, db, loads)) is not None:
            errors.print(f"[red]wic-etl: {message}[/red]", markup=True, highlight=False)
            return EXIT_USAGE
        kept = "Batches already loaded are kept. " if loads else ""
        errors.print(
            f"[red]wic-etl: unexpected {type(exc).__name__}: {exc}[/red]\n"
            f"{kept}Run again with --debug to see the traceback."
        )
        return EXIT_CRASH


def seconds_since_process_start() -> float:
    """How long ago this process started (Linux); 0 where that cannot be read.

    The summary's "Done in" is the time a user waited: the interpreter's start and
    the imports before ``main`` (0.25-0.3 s, measured) count too.
    """
    try:
        with open("/proc/self/stat", "rb") as stat, open("/proc/uptime", "rb") as uptime:
            # The fields after the command name, which may hold spaces and parentheses.
            fields = stat.read().rsplit(b")", 1)[1].split()
            booted_seconds = float(uptime.read().split()[0])
        return max(0.0, booted_seconds - int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def run() -> NoReturn:
    """The ``wic-etl`` console script: ``main``, then exit with its code.

    Before the exit, every object left is frozen out of the garbage collector: the
    interpreter's final collections would otherwise walk all of Prefect's and
    pydantic's objects once more, 0.15-0.2 s of every command (measured), to free
    memory the exit frees anyway. Finalizers and atexit handlers (Prefect's flush
    of its logs and events) still run.
    """
    code = main(started=time.perf_counter() - seconds_since_process_start())
    gc.freeze()
    sys.exit(code)
