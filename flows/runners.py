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
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from core.errors import WicEtlError


@dataclass(frozen=True)
class Runner:
    """A task runner and how many batches may run ahead of the load."""

    task_runner: TaskRunner
    in_flight: int  # batches submitted ahead of the one being loaded


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
def task_runner(dask: str | None) -> Iterator[Runner]:
    """The runner the extraction tasks go to: in-process, or Dask."""
    if not dask:
        with ThreadPoolTaskRunner[object](max_workers=1) as runner:
            yield Runner(runner, 1)
        return
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
