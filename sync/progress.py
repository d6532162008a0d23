"""How long work is going: what a cycle tells while it reads and writes.

A first sync reads hundreds of pages and a first run may write dozens of
comments at one a second: silent, that looks hung. Connectors and the
publisher never print; they call a callback (``connectors.base.FetchProgress``,
``sync.publish.WriteProgress``) and the cycle passes what it hears to the
project's ``CycleProgress``. The application chooses how to show it: a live
display on a terminal (``sync/app/progress.py``, rich) or, in logs, a line every
few pages and writes (``LineProgress`` here).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)
#: Pages read between two progress lines, and writes done between two.
PAGES_PER_LINE = 10
WRITES_PER_LINE = 10
#: Seconds left below which a line does not bother to say.
MIN_WORTH_SAYING = 5


class CycleProgress(Protocol):
    """Hears a project's cycle: pages read (``total`` when the tracker says), writes done
    (``done`` is 0 when the writing starts)."""

    def read(self, project: str, listing: str, pages: int, total: int | None) -> None: ...

    def wrote(self, project: str, done: int, planned: int) -> None: ...


def left(elapsed: float, done: int, planned: int) -> str:
    """``about 37 s left`` (``1 min``, ``2 h 5 min``) at the pace so far; nothing when
    it is a matter of seconds."""
    if done <= 0 or planned <= done:
        return ""
    seconds = round(elapsed / done * (planned - done))
    if seconds < MIN_WORTH_SAYING:
        return ""
    if seconds < 60:
        return f"about {seconds} s left"
    minutes = round(seconds / 60)
    return f"about {minutes} min left" if minutes < 60 else \
        f"about {minutes // 60} h {minutes % 60} min left"


@dataclass
class LineProgress:
    """A line every ``pages`` pages and every ``writes`` writes (and at the last write of
    a long plan), for logs and output that is not a terminal."""

    emit: Callable[[str], None]
    pages: int = PAGES_PER_LINE
    writes: int = WRITES_PER_LINE
    monotonic: Callable[[], float] = time.monotonic
    _read: dict[str, int] = field(default_factory=dict)
    _started: dict[str, float] = field(default_factory=dict)

    def read(self, project: str, listing: str, pages: int, total: int | None) -> None:
        count = self._read[project] = self._read.get(project, 0) + 1
        if count % self.pages == 0:
            of = f" of {total}" if total else ""
            self.emit(f"{project}: {count} pages read ({listing}: page {pages}{of})")

    def wrote(self, project: str, done: int, planned: int) -> None:
        now = self.monotonic()
        if done == 0:  # the writing starts: the clock for "time left" too
            self._started[project] = now
            return
        started = self._started.get(project, now)
        if planned < self.writes or (done % self.writes and done != planned):
            return
        eta = left(now - started, done, planned)
        self.emit(f"{project}: {done} of {planned} writes done" + (f" ({eta})" if eta else ""))


def log_progress() -> LineProgress:
    """Progress as INFO log lines: what the daemon (and any run without a terminal) shows."""
    return LineProgress(emit=log.info)
