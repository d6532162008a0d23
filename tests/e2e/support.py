"""What both fakes share: a clock the test moves, and the log of requests they answered."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sync.app.cli import main

WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


class Clock:
    """The time of the fake tracker (and of ``--now``): only the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True, slots=True)
class Call:
    """One request a fake answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    def __str__(self) -> str:
        query = urllib.parse.urlencode(sorted(self.query.items()), safe=":")
        return f"{self.method} {self.path}" + (f"?{query}" if query else "") + f" -> {self.status}"


def run_once(config: Path, now: datetime, capsys: pytest.CaptureFixture[str],
             secret: str) -> str:
    """``forewarn run --once`` in-process: it must succeed and never print ``secret``."""
    code = main(["run", "--once", "-c", str(config), "--now", now.isoformat()])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert secret not in out + err
    return out
