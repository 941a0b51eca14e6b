"""Ctrl-C: the run stops at once, its runs are marked 'interrupted', the process exits 130.

The first Ctrl-C raises KeyboardInterrupt in the main thread, so the command
unwinds (``main`` then calls :func:`record_interrupt`); if the unwinding takes
longer than ``INTERRUPT_GRACE_S``, or Ctrl-C is pressed again, the process
exits at once. Batches already loaded are committed and stay; the open one
rolls back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sqlite3
import sys
import threading
from pathlib import Path
from types import FrameType

from wic_etl.cli.exits import EXIT_INTERRUPTED

# After Ctrl-C, how long the run may take to wind down before the process just exits.
# Prefect reports the interrupted run to its API; with a temporary server that the
# same Ctrl-C has stopped, it would retry the dead address for over a minute.
INTERRUPT_GRACE_S = 5.0
INTERRUPTED_MESSAGE = "wic-etl: interrupted; batches already loaded are kept, run again to finish"

_told = threading.Event()
# Set by the first Ctrl-C. Its KeyboardInterrupt may reach ``main`` inside another
# error: raised in a library's callback (pydantic's serializers, which Prefect's
# models run), it comes out as that library's own exception.
_pressed = threading.Event()


def interrupted() -> bool:
    """Whether Ctrl-C was pressed in this process: how the command then ends is its doing."""
    return _pressed.is_set()


def record_interrupt(db: str | None, loads: bool = True) -> None:
    """Mark this process's runs 'interrupted' and say so, once (``loads``: of batches kept)."""
    if _told.is_set():
        return
    _told.set()
    if db and Path(db).is_file():
        from loaders.store import Store

        with contextlib.suppress(sqlite3.Error):
            Store.interrupt_runs_of_this_process(db)
    sys.stderr.write((INTERRUPTED_MESSAGE if loads else "wic-etl: interrupted") + "\n")
    sys.stderr.flush()


def _exit_interrupted(db: str | None, loads: bool = True) -> None:
    """The hard way out: committed batches are safe on disk, the open one rolls back."""
    record_interrupt(db, loads)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    os._exit(EXIT_INTERRUPTED)


def watch_interrupts(db: str | None, loads: bool = True) -> None:
    """Ctrl-C stops the run at once, and the process within ``INTERRUPT_GRACE_S``."""

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if _pressed.is_set():  # pressed twice: no more waiting
            _exit_interrupted(db, loads)
        _pressed.set()
        # What Prefect would log from here on is about a server that is gone.
        logging.disable(logging.CRITICAL)
        timer = threading.Timer(INTERRUPT_GRACE_S, _exit_interrupted, args=(db, loads))
        timer.daemon = True
        timer.start()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_interrupt)
