"""`make container-check`: the image built from the project's Dockerfile, and run for real.

Builds the image with podman and checks, one line each, with how long each step took:

* the image builds (on a local Debian base, see below) and its size;
* ``forewarn demo`` exits 0 (without a network); ``forewarn check-config`` passes on
  ``examples/forewarn.yaml`` mounted where the image looks for its config;
* ``forewarn daemon``, as deploy/kubernetes runs it (read-only root file system, no
  capabilities, no privilege escalation, a ``/data`` volume), against a fake GitHub
  repository served by this script on the host (tests/fakes/github.py over HTTP):
  it runs as uid 10001; ``/healthz``, ``/readyz``, ``/metrics`` and the image's
  ``HEALTHCHECK`` answer; it writes its 4 alerts and 2 labels with the token given in
  the environment, then nothing more; its logs are JSON and never show the token;
  ``podman stop`` ends it with status 0 within 10 s;
* a new container on the same volume carries on from the state in ``/data`` (the first
  container's runs are still there, its cycles write nothing, no comment is doubled)
  and stops as cleanly.

The public base (``python:3.11-slim-bookworm``, the Dockerfile's default) cannot be
pulled where only package registries are reachable, so the base is made here from
Debian's packages (``debootstrap --variant=minbase``, trimmed of documentation, man
pages, locales and apt's lists as debian:bookworm-slim is), imported with ``podman
import`` and passed as ``--build-arg PYTHON_IMAGE``. It is kept in podman's storage
under a tag derived from how it is made, so later runs reuse it (``--rebuild-base``
makes it again). ``--base IMAGE`` uses any other base instead, the public one where it
can be pulled. The build's pip reaches PyPI (or the host's http(s) index, through a
pip.conf) with the host's CA bundle mounted over the base's, for the build only:
nothing of this machine ends up in the image.

    make container-check         # or: scripts/container_check.py [--base IMAGE] [--rebuild-base]

Without podman (or where podman cannot run a container, or the base cannot be made)
the check prints ``SKIP`` with the reason and exits 0; ``FOREWARN_CONTAINER_STRICT=1``
(set by .ci/run, which installs podman) makes that a failure. Every other problem is a
``FAIL`` line, the container's log, and exit 1.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from container.daemon import daemon_checks
from container.image import Podman, build, check_config, check_demo, local_base
from container.steps import Failed, Skip, say


@contextlib.contextmanager
def one_at_a_time() -> Iterator[None]:
    """One check per machine at a time: checkouts share the base and the image's tag."""
    path = Path(tempfile.gettempdir()) / "forewarn-container-check.lock"
    with path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another container-check on this machine ({path})")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", metavar="IMAGE",
                        help="build on this base instead of the local Debian one "
                             "(python:3.11-slim-bookworm where it can be pulled)")
    parser.add_argument("--rebuild-base", action="store_true",
                        help="make the local Debian base again even if one is kept")
    args = parser.parse_args(argv)
    strict = os.environ.get("FOREWARN_CONTAINER_STRICT") == "1"
    started = time.monotonic()
    try:
        podman = Podman()
        version = podman.preflight()
        say(f"podman {version}, {podman.runtime}, cgroupfs")
        with one_at_a_time(), \
                tempfile.TemporaryDirectory(prefix="forewarn-container-check-") as folder:
            base = args.base or local_base(podman, rebuild=args.rebuild_base)
            work = Path(folder)
            build(podman, base, work)
            check_demo(podman)
            check_config(podman)
            daemon_checks(podman, work)
    except Skip as skip:
        if strict:
            say(f"FAIL (FOREWARN_CONTAINER_STRICT=1, no skipping): {skip}")
            return 1
        say(f"SKIP: {skip}")
        return 0
    except Failed as failed:
        say(f"FAIL {failed}")
        if failed.detail:
            print(failed.detail, file=sys.stderr)
        return 1
    say(f"OK: the image builds and runs ({time.monotonic() - started:.0f} s)")
    return 0



if __name__ == "__main__":
    sys.exit(main())
