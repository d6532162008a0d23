"""What `forewarn run --once` prints after a cycle (sync/app/output.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rich.console import Console

from sync.app.output import print_cycle
from sync.cycle import CycleReport
from sync.render import Style

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
PAUSED = ("read so far: 4,100 issues, 12,000 comments, 0 events; stopped in the comments "
          "listing: 100 requests of the quota left until 2026-11-25 09:00 UTC; it continues then")


@pytest.mark.parametrize(("first_sync", "line"), [
    (None, "portal: nothing to write (the tracker is up to date)."),
    (PAUSED, f"portal: first sync in progress, no rule evaluated yet: {PAUSED}"),
])
def test_a_first_sync_in_progress_says_so(first_sync: str | None, line: str) -> None:
    console = Console(width=400, record=True, color_system=None)
    report = CycleReport(project="portal", started_at=NOW, dry_run=False, first_sync=first_sync,
                         requests=41)
    print_cycle(console, report, Style(markup="markdown"))
    lines = console.export_text().splitlines()
    assert line in lines
    assert lines[-1] == ("portal: 0 findings, 0 writes planned, 0 done, 41 tracker requests, "
                         "0.00 s")
