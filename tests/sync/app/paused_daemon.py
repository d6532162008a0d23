"""``python -m tests.sync.app.paused_daemon N [--sigstop] COMMAND ...``: the CLI, paused
before its write N+1.

Without ``--sigstop`` (a daemon only) it waits there until it is told to stop,
so a test can kill it in the middle of a cycle, or hold a project's lease
while a second replica tries to take it. With ``--sigstop`` (a daemon or
``run --once``) it stops itself with a real SIGSTOP there, as a paused VM or
an operator's ``kill -STOP`` would, and goes on writing when it gets SIGCONT:
what the lease's fencing must then prevent. A test's hook, kept out of the
product: it wraps the question the publisher asks before each write.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from sync.app import cli
from sync.app.daemon import Daemon
from sync.app.slots import Slot
from sync.publish import Publisher

log = logging.getLogger("forewarn.daemon")


def _counter(limit: int) -> Callable[[], int | None]:
    """Counts the writes asked for; the number of the first one past ``limit``, else None."""
    lock = threading.Lock()
    seen = 0

    def count() -> int | None:
        nonlocal seen
        with lock:
            seen += 1
            return seen if seen > limit else None

    return count


def pause_after(limit: int) -> None:
    ask = Daemon._why_stop
    past = _counter(limit)

    def why_stop(daemon: Daemon, slot: Slot) -> str | None:
        count = past()
        if count is not None:
            log.warning("paused before write %d: waiting to be stopped", count)
            daemon.stopping.wait()
        return ask(daemon, slot)

    Daemon._why_stop = why_stop  # type: ignore[method-assign]


def sigstop_after(limit: int) -> None:
    ask = Publisher._why_stop
    past = _counter(limit)
    stopped = threading.Event()

    def why_stop(publisher: Publisher, outcome: Any) -> str | None:
        count = past()
        if count is not None and not stopped.is_set():
            stopped.set()
            log.warning("paused before write %d: stopping itself with SIGSTOP", count)
            for handler in logging.getLogger().handlers:
                handler.flush()
            # Stopped while no other thread of it is inside a state-store transaction (a
            # renewal holds the lease's lock): a stopped process in the middle of one keeps
            # the database's write lock and blocks every other process until it resumes,
            # which is not what this tests (docs/operations.md, several replicas).
            with publisher.lease._lock if publisher.lease else contextlib.nullcontext():
                # To this thread: it stops here, before its next instruction (sent to the
                # process, another thread may take it and this one run on a little).
                signal.pthread_kill(threading.get_ident(), signal.SIGSTOP)
            log.warning("resumed (SIGCONT) before write %d", count)
        return ask(publisher, outcome)

    Publisher._why_stop = why_stop  # type: ignore[method-assign]


if __name__ == "__main__":
    if sys.argv[2] == "--sigstop":
        sigstop_after(int(sys.argv[1]))
        sys.exit(cli.main(sys.argv[3:]))
    pause_after(int(sys.argv[1]))
    sys.exit(cli.main(sys.argv[2:]))
