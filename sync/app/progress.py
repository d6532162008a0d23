"""Progress on a terminal: a live line per project while it reads and writes.

``forewarn run --once`` on a terminal shows, per project, the pages read so
far (and of which listing) and then the writes done of those planned with the
time left at the pace so far; the display goes away when the run ends, the
tables stay. Without a terminal (CI, a pipe) the run prints
``sync.progress.LineProgress`` lines instead.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)


class LiveProgress:
    """``sync.progress.CycleProgress`` as a rich display; use it as a context manager."""

    def __init__(self, console: Console) -> None:
        self.display = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeRemainingColumn(), console=console, transient=True,
        )
        self._reading: dict[str, TaskID] = {}
        self._writing: dict[str, TaskID] = {}
        self._pages: dict[str, int] = {}

    def __enter__(self) -> LiveProgress:
        self.display.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.display.stop()

    def read(self, project: str, listing: str, pages: int, total: int | None) -> None:
        count = self._pages[project] = self._pages.get(project, 0) + 1
        task = self._reading.get(project)
        if task is None:
            task = self._reading[project] = self.display.add_task(project, total=None)
        of = f" of {total}" if total else ""
        self.display.update(task, completed=count,
                            description=f"{project}: reading {listing}, page {pages}{of}")

    def wrote(self, project: str, done: int, planned: int) -> None:
        task = self._writing.get(project)
        if task is None:
            if project in self._reading:
                self.display.update(self._reading[project], visible=False)
            task = self._writing[project] = self.display.add_task(
                f"{project}: writing", total=planned)
        self.display.update(task, completed=done, total=planned)

    def finish(self, project: str) -> None:
        """The project's cycle is over: its lines leave the display."""
        for tasks in (self._reading, self._writing):
            task = tasks.pop(project, None)
            if task is not None:
                self.display.remove_task(task)
