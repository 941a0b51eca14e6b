"""Where the extraction tasks of a run execute: in the flow's process, or on Dask.

``dask`` is ``None`` (default: one batch at a time in the flow's process),
``"local"`` or ``"local:N"`` (a temporary Dask LocalCluster of N worker processes,
one thread each; N defaults to the CPU count), or a scheduler address such as
``"tcp://10.0.0.5:8786"`` (an existing cluster whose workers can read the same
paths). Only extraction runs there: the flow itself loads every batch, so SQLite
always has exactly one writer.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from wic_etl.errors import WicEtlError


@dataclass(frozen=True)
class Runner:
    task_runner: TaskRunner
    in_flight: int  # batches submitted ahead of the one being loaded


def _workers(spec: str) -> int:
    _, _, count = spec.partition(":")
    if not count:
        return os.cpu_count() or 1
    if not count.isdigit() or int(count) < 1:
        raise WicEtlError(f"--dask {spec!r}: say local, local:N (N workers) or a tcp:// address")
    return int(count)


@contextmanager
def task_runner(dask: str | None) -> Iterator[Runner]:
    if not dask:
        with ThreadPoolTaskRunner(max_workers=1) as runner:
            yield Runner(runner, 1)
        return
    from prefect_dask import DaskTaskRunner

    if dask == "local" or dask.startswith("local:"):
        workers = _workers(dask)
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
    if not dask.startswith(("tcp://", "tls://", "ucx://", "inproc://")):
        raise WicEtlError(f"--dask {dask!r}: say local, local:N or a scheduler address tcp://...")
    with DaskTaskRunner(address=dask) as runner:
        yield Runner(runner, 8)
