"""What bounds an extraction process: a CPU deadline per page, a memory cap, its parent's life.

A page can be built to keep a parser busy for minutes (libxml2 is quadratic in
the attributes of one tag) or to need gigabytes (a 10 MB table). Python cannot
interrupt a C call, so a deadline that waits for the call to return is no
deadline: here the kernel enforces both. Before each page the process's CPU
limit (``RLIMIT_CPU``) is set to the CPU time it has used plus the deadline;
a page that runs past it gets SIGXCPU, whose default action ends the process,
wherever it is. Its address space is capped (``RLIMIT_AS``) at what it holds
once started plus ``max_memory_mb``: an allocation past it fails, Python raises
``MemoryError`` (or the process dies), and the page fails alone. The pool that
runs these processes (``flows/workers.py``) replaces a dead one and tells which
page it was on.

Nothing here imports Prefect: it runs in the worker processes.
"""

from __future__ import annotations

import ctypes
import math
import os
import resource
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from core.errors import ExtractError
from core.processes import process_alive
from core.records import Failed, Outcome, RawPage
from core.settings import DEFAULTS
from extractors.extract import extract_page

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Limits:
    """How long one page may take and how much memory a process may add while on it."""

    page_deadline: float = DEFAULTS.page_deadline  # CPU seconds
    max_memory_mb: int = DEFAULTS.max_memory_mb

    def deadline_text(self) -> str:
        return (
            f"took longer than {self.page_deadline:g} s of CPU to extract and was stopped "
            "(raise --page-deadline if the page is real)"
        )

    def memory_text(self) -> str:
        return (
            f"needed more than the {self.max_memory_mb:,} MB of memory an extraction "
            "process may take (raise --max-memory if the page is real)"
        )


_limits = Limits()


def use_limits(limits: Limits) -> None:
    """The deadline ``guarded_extract`` applies in this process (a Dask worker's, say)."""
    global _limits
    _limits = limits


def start_worker(limits: Limits, parent_pid: int) -> None:
    """The start of every extraction process: its limits, and its end with its parent's."""
    use_limits(limits)
    # Ctrl-C reaches the whole process group; the run, not each worker, answers it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A page stopped by its deadline must not leave a core file of the process behind.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _die_with(parent_pid)
    _cap_memory(limits.max_memory_mb)


def _die_with(parent_pid: int) -> None:
    """End this process when the run's process ends, however it ends (SIGKILL included).

    Its parent is the forkserver, not the run: PR_SET_PDEATHSIG covers the forkserver's
    death, and a thread waiting on a pidfd of the run's process covers the run's.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the pidfd (or polling) thread below still watches the run
    threading.Thread(target=_watch, args=(parent_pid,), name="wic-etl-parent", daemon=True).start()


def _watch(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except (OSError, AttributeError):
        while process_alive(pid):
            time.sleep(1.0)
    else:
        select.select([fd], [], [])  # readable once the process has ended
    os._exit(1)


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


_cap: int | None = None  # this process's address-space cap, in bytes


def _cap_memory(max_memory_mb: int) -> None:
    global _cap
    try:
        held = _address_space()
    except OSError:
        return  # no /proc: no cap to measure from
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = held + max_memory_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    _cap = cap


def _peak() -> int:
    """The most address space this process has held (VmPeak), in bytes; 0 if unknown."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


_spent = False  # a page has taken this process near its cap: its peak says nothing more
# A page that takes less CPU than this cannot have filled hundreds of MB: its peak is
# not read (a read of /proc costs 50 us, a twentieth of a page's extraction).
_PEAK_WORTH_READING_S = 0.02


def _took_the_memory(failed: bool, cpu_spent: float) -> bool:
    """Whether the page just extracted took this process to its memory cap, and failed.

    Libraries catch a failed allocation themselves (trafilatura gives up and says
    it found no text; libxml2 stops building the tree), so a page that ran out of
    memory can come back as an ordinary failure: the process's peak tells it apart.
    The peak only ever grows: once a page (failed or not) has taken it near the cap,
    no later page of this process is blamed for it.
    """
    global _spent
    if _cap is None or _spent or not (failed or cpu_spent >= _PEAK_WORTH_READING_S):
        return False
    _spent = _peak() >= _cap - 16 * 1024 * 1024  # a failed allocation came this close
    return _spent and failed


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def deadline() -> Iterator[float]:
    """Run the block under the CPU deadline of one page (whole seconds: the kernel's unit).

    Gives the CPU time used before the block; the limit set before it is restored.
    """
    before = resource.getrlimit(resource.RLIMIT_CPU)
    soft, hard = before
    used = _cpu_seconds()
    limit = math.ceil(used + _limits.page_deadline)
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
    try:
        yield used
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, before)


def guarded_extract(page: RawPage, finish: Callable[[Outcome], Outcome] | None = None) -> Outcome:
    """``extract_page`` under the page's deadline; running out of memory fails the page alone.

    ``finish`` (what the writer needs computed, such as the search index's Chinese
    words) runs under the same deadline and memory cap: a page is not done until then.
    """
    used = 0.0
    try:
        with deadline() as used:
            outcome = extract_page(page)
            if finish is not None:
                outcome = finish(outcome)
    except MemoryError:
        outcome = Failed(page.source, ExtractError.stage, "ExtractError", "", page)
    failed = isinstance(outcome, Failed)
    out_of_memory = isinstance(outcome, Failed) and not outcome.message
    if out_of_memory or _took_the_memory(failed, _cpu_seconds() - used):
        return Failed(page.source, ExtractError.stage, "ExtractError", _limits.memory_text(),
                      page, outcome.document)  # fmt: skip
    return outcome


def death_reason(exitcode: int | None, limits: Limits, doing: str = "extract") -> str:
    """Why a worker ended while on a page (``doing`` it: extract or read), from its exit code."""
    if exitcode == -signal.SIGXCPU:
        return "the page " + limits.deadline_text().replace(" to extract", f" to {doing}")
    if exitcode == -signal.SIGKILL:
        why = "SIGKILL: most likely the system ran out of memory, or someone stopped it"
    elif exitcode is not None and exitcode < 0:
        why = f"it crashed with {signal.Signals(-exitcode).name}"
    else:
        why = f"it ended with exit code {exitcode}"
    return (
        f"the process that was to {doing} the page died on it ({why}); the run went on without it"
    )
