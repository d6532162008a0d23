"""The benchmarks still run on today's code: docs/benchmarks.md quotes them, and one that
no longer runs cannot be re-measured when a change needs it.

Each runs here at a size small enough for the suite. Their own checks hold at every
size: evaluation is deterministic, a recorded plan plans nothing again, a steady-state
cycle writes nothing, a steady state asks no more than its cursor. The figures
themselves are measured by running the benchmarks at full size, never here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SMALL = {
    "rules_eval": ["--size", "2000", "--runs", "1"],
    "cycle": ["--sizes", "2000", "--databases", "sqlite", "--cycles", "1"],
    "notify_plan": ["--size", "2000", "--runs", "1"],
    "bot_suspects": ["--size", "2000", "--runs", "1"],
    # Fixed sizes, 5 to 20 seconds each.
    "github_requests": [],
    "github_project_requests": [],
    "jira_requests": [],
}
#: Too long for the suite (about 100 s on 2 cores); tests/sync/test_backfill.py covers
#: what it measures.
ONLY_BY_HAND = {"backfill"}


def test_every_benchmark_has_a_small_run() -> None:
    on_disk = {path.stem for path in (ROOT / "benchmarks").glob("*.py")}
    assert set(SMALL) <= on_disk
    assert on_disk - set(SMALL) <= ONLY_BY_HAND, "a new benchmark: give it a small run here"


@pytest.mark.parametrize(("name", "args"), sorted(SMALL.items()), ids=sorted(SMALL))
def test_a_benchmark_runs_at_a_small_size(name: str, args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *args],
        capture_output=True, text=True, timeout=900, cwd=ROOT, check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
