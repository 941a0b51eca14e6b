"""How far a run has got, for whoever watches it (the command's progress bar).

Not a Prefect parameter: the watcher is an object of the process that runs the
flow, set by the command (``watch``) and called by the flow as batches load. A
flow run by a deployment has no watcher, and tells nobody.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class ProgressWatcher(Protocol):
    """Told the size of each stage of a run, then each step done."""

    def start(self, what: str, total: int) -> None:
        """A stage of ``total`` items (``what``: "files", "stored pages") begins."""

    def advance(self, done: int) -> None:
        """``done`` more items of the stage are read, extracted and loaded."""


class _Nobody:
    def start(self, what: str, total: int) -> None:
        pass

    def advance(self, done: int) -> None:
        pass


_watcher: ProgressWatcher = _Nobody()


def watcher() -> ProgressWatcher:
    """Whoever watches the runs of this process (nobody, unless the command said so)."""
    return _watcher


@contextmanager
def watch(observer: ProgressWatcher) -> Iterator[None]:
    """Tell ``observer`` the progress of the runs made in this block."""
    global _watcher
    previous, _watcher = _watcher, observer
    try:
        yield
    finally:
        _watcher = previous
