"""Where the extraction tasks of a run execute: worker processes, the flow's process, or Dask.

``workers`` (default: every core) worker processes extract saved pages, a batch
each at a time, each page under a deadline and a memory cap (``flows/workers.py``);
no page is extracted in the flow's own process. ``dask`` instead runs the extraction
on Dask: ``"local"`` or ``"local:N"``
(a temporary Dask LocalCluster of N worker processes, one thread each; N defaults
to the CPU count), or a scheduler address such as ``"tcp://10.0.0.5:8786"`` (an
existing cluster whose workers can read the same paths). Only extraction runs
elsewhere: the flow itself loads every batch, so SQLite always has exactly one
writer.

Worker processes are a Pebble pool of our own (``flows/workers.py``), not Prefect's
``ProcessPoolTaskRunner``: that one spawns each worker with all of Prefect and
the flow's modules (seconds of start-up per process, measured), and its task
runs report to the API from every worker. Here each batch stays one Prefect task
run in a thread of the flow, which hands the batch to a worker and waits; the
workers import only the extraction code.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from core.errors import WicEtlError
from flows.limits import Limits
from flows.workers import ExtractionPool, batches_in_flight, take_pool


@dataclass(frozen=True)
class Runner:
    """A task runner and how many batches may run ahead of the load."""

    task_runner: TaskRunner
    in_flight: int  # batches submitted ahead of the one being loaded
    pool: ExtractionPool | None = None  # worker processes the extraction task hands its batch to


_SPEC = re.compile(r"^(?:local(?::(?P<workers>[1-9]\d*))?|(?:tcp|tls|ucx|inproc)://\S+)$")


def local_workers(spec: str) -> int | None:
    """Workers of a ``local[:N]`` spec; None for a scheduler address; WicEtlError if neither."""
    match = _SPEC.match(spec)
    if match is None:
        raise WicEtlError(
            f"--dask {spec!r}: say local, local:N (N worker processes) or a scheduler "
            "address like tcp://10.0.0.5:8786"
        )
    if not spec.startswith("local"):
        return None
    return int(match["workers"] or os.cpu_count() or 1)


@contextmanager
def task_runner(
    dask: str | None, workers: int = 1, limits: Limits | None = None
) -> Iterator[Runner]:
    """The runner of a run's extraction tasks; see the module's docstring."""
    limits = limits or Limits()
    if dask:
        with _dask_runner(dask) as runner:
            yield runner
        return
    # One batch per worker in flight besides the one the flow is loading: every worker
    # extracts while the flow loads, and no more batches than that wait in memory.
    in_flight = batches_in_flight(workers)
    taken = take_pool(workers, limits)
    with (
        taken or ExtractionPool(workers, limits) as pool,  # a head start's ends here too
        ThreadPoolTaskRunner[object](max_workers=in_flight) as runner,
    ):
        yield Runner(runner, in_flight, pool)


@contextmanager
def _dask_runner(dask: str) -> Iterator[Runner]:
    from prefect_dask.task_runners import DaskTaskRunner

    workers = local_workers(dask)
    if workers is not None:
        with tempfile.TemporaryDirectory(prefix="wic-etl-dask-") as scratch:
            cluster = {
                "n_workers": workers,
                "threads_per_worker": 1,  # extraction holds the GIL: processes, not threads
                "processes": True,
                "dashboard_address": None,
                "local_directory": scratch,
            }
            with DaskTaskRunner(cluster_kwargs=cluster) as runner:
                yield Runner(runner, 2 * workers)
        return
    with DaskTaskRunner(address=dask) as runner:
        yield Runner(runner, 8)
