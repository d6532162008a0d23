"""Signals for the daemon's main loop: a handler only records them, a self-pipe wakes the loop.

A handler runs between two bytecodes of whatever the main thread was doing,
maybe holding a lock the logging module needs, so it does nothing but record
the signal; ``signal.set_wakeup_fd`` writes a byte to a pipe the loop waits
on, and the loop acts at once. One exception: a second stop signal (SIGTERM or
SIGINT) exits on the spot with status 130, writing one line to stderr itself.
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections import deque
from contextlib import suppress
from types import FrameType
from typing import Any

EXIT_FORCED = 130
HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class SignalInbox:
    """The signals received and not yet acted on, and the pipe that wakes whoever waits."""

    def __init__(self) -> None:
        self.received: deque[int] = deque()
        self._stop_signals = 0
        self._wakeup: tuple[int, int] | None = None
        self._previous_wakeup = -1
        self._previous_handlers: dict[int, Any] = {}

    def install(self) -> None:
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)
        self._wakeup = (read, write)
        # The handler only records the signal; the wakeup fd makes select() return at once.
        self._previous_wakeup = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        self._previous_handlers = {
            signum: signal.signal(signum, self._on_signal) for signum in HANDLED
        }

    def restore(self) -> None:
        signal.set_wakeup_fd(self._previous_wakeup)
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        if self._wakeup is not None:
            for fd in self._wakeup:
                os.close(fd)
            self._wakeup = None

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum in (signal.SIGTERM, signal.SIGINT):
            if self._stop_signals:
                # Second stop signal: no logging here (its locks may be held), just go.
                os.write(2, b"forewarn: second stop signal; exiting now\n")
                os._exit(EXIT_FORCED)
            self._stop_signals += 1
        self.received.append(signum)

    def wait(self, seconds: float) -> None:
        """Sleep up to ``seconds``; a signal or :meth:`wake` ends the wait early."""
        if self._wakeup is None:
            time.sleep(seconds)
            return
        readable, _, _ = select.select([self._wakeup[0]], [], [], seconds)
        if readable:
            with suppress(BlockingIOError):
                os.read(self._wakeup[0], 512)

    def wake(self) -> None:
        """End a :meth:`wait` at once, so that the loop looks again (a task has ended)."""
        if self._wakeup is not None:
            with suppress(BlockingIOError):
                os.write(self._wakeup[1], b"\0")
