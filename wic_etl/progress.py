"""The progress bar a person sees on a terminal while a run reads, extracts and loads."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Items per second, once there is a rate to show."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} {self.unit}/s" if speed else f"- {self.unit}/s")


class ProgressBar:
    """A flows.progress watcher drawing one rich bar per stage of the run."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def start(self, what: str, total: int) -> None:
        """Draw a new bar for a stage of ``total`` ``what``."""
        self.stop()
        self._progress = Progress(
            TextColumn(f"{what} read, extracted and loaded"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(what.split()[-1]),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=self.console,
            # The summary table follows: the bar has done its job once the run ends.
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(what, total=total)

    def advance(self, done: int) -> None:
        """Move the bar on by ``done`` items."""
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, done)

    def stop(self) -> None:
        """Take the bar off the screen (at the end of the run, or of a stage)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
