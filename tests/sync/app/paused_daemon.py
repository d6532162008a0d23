"""``python -m tests.sync.app.paused_daemon N daemon ...``: the CLI, paused before write N+1.

The daemon stops before its write N+1 and waits there until it is told to
stop, so a test can kill it in the middle of a cycle, or hold a project's
lease while a second replica tries to take it. A test's hook, kept out of
the product: it wraps the question the publisher asks before each write.
"""

from __future__ import annotations

import logging
import sys
import threading

from sync.app import cli
from sync.app.daemon import Daemon
from sync.app.slots import Slot

log = logging.getLogger("forewarn.daemon")


def pause_after(limit: int) -> None:
    ask = Daemon._why_stop
    lock = threading.Lock()
    seen = 0

    def why_stop(daemon: Daemon, slot: Slot) -> str | None:
        nonlocal seen
        with lock:
            seen += 1
            count = seen
        if count > limit:
            log.warning("paused before write %d: waiting to be stopped", count)
            daemon.stopping.wait()
        return ask(daemon, slot)

    Daemon._why_stop = why_stop  # type: ignore[method-assign]


if __name__ == "__main__":
    pause_after(int(sys.argv[1]))
    sys.exit(cli.main(sys.argv[2:]))
