"""What every step of `make container-check` shares: its PASS/FAIL/SKIP lines, timing, commands."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


PREFIX = "container-check:"


class Skip(Exception):
    """The check cannot run on this machine: say why."""


class Failed(Exception):
    """A check failed: the message, and what to show under it."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def say(text: str) -> None:
    print(f"{PREFIX} {text}", flush=True)


class Step:
    """Times one step; ``ok()`` prints its PASS line with the time it took."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.started = time.monotonic()

    def seconds(self) -> float:
        return time.monotonic() - self.started

    def ok(self, detail: str) -> None:
        say(f"PASS {self.name}: {detail} ({self.seconds():.1f} s)")


def run(argv: Sequence[str], *, timeout: float = 120, check: bool = True,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """One command, its output captured (stderr into stdout); Failed when it fails."""
    try:
        done = subprocess.run(  # noqa: S603 - our own argv, absolute executables
            list(argv), capture_output=True, text=True, timeout=timeout, check=False, env=env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as error:
        msg = f"timed out after {timeout:.0f} s: {' '.join(argv[:4])} ..."
        raise Failed(msg, str(error.output or "")) from None
    done.stdout = (done.stdout or "") + (done.stderr or "")
    if check and done.returncode != 0:
        msg = f"exit {done.returncode}: {' '.join(argv)}"
        raise Failed(msg, done.stdout)
    return done


def mib(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


def tail(text: str, lines: int) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])

