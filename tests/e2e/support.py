"""``forewarn run --once`` as a user calls it, for the end-to-end tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sync.app.cli import main


def run_once(config: Path, now: datetime, capsys: pytest.CaptureFixture[str],
             secret: str) -> str:
    """``forewarn run --once`` in-process: it must succeed and never print ``secret``."""
    code = main(["run", "--once", "-c", str(config), "--now", now.isoformat()])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert secret not in out + err
    return out
