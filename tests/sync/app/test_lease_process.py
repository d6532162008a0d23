"""Several forewarn processes on one state store, as operators start them by accident.

Real processes on SQLite and on a real PostgreSQL (``FOREWARN_TEST_DATABASE_URL``),
the demo tracker as their tracker: two ``run --once`` started together, a
``run --once`` beside a daemon, a daemon stopped with SIGSTOP past its lease
while another takes over, and two daemons given one replica id. Each time:
no comment twice, and the tracker ends as one clean run leaves it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from sync.app.cli import EXIT_BUSY
from tests.sync.app.daemon_support import DaemonProcess, daemon, our_markers
from tests.sync.app.test_daemon_process import STOP_LIMIT, reference_markers

#: What the second process prints when the first holds the project (then exit 75).
BUSY = re.compile(
    r"demo: another forewarn process is working on this project \(its lease is (held by "
    r"\S+:\d+/[0-9a-f]{8} until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC|being taken by another "
    r"process at this very moment)\); nothing was done: run again later, or give --wait")


def says_busy(process: DaemonProcess) -> bool:
    """Its standard output names the holder (rich wraps long lines at spaces)."""
    return BUSY.search(" ".join(" ".join(process.out).split())) is not None


@pytest.fixture
def state_url(database_url: str) -> str:
    """The state store every process of a test shares: SQLite, then PostgreSQL."""
    return database_url


def no_duplicates(tracker: Path, tmp_path: Path) -> None:
    markers = our_markers(tracker)
    assert [marker for marker, n in Counter(markers).items() if n > 1] == []
    assert sorted(markers) == sorted(reference_markers(tmp_path))


def clean_output(*processes: DaemonProcess) -> None:
    """No traceback and no SQL (a UniqueViolation and its statement) reaches the user."""
    for process in processes:
        text = "\n".join([*process.raw, *process.out])
        for bad in ("Traceback", "UniqueViolation", "IntegrityError", "[SQL:"):
            assert bad not in text, text


def run_once(config: Path, state_url: str, *args: str, pause_after_writes: int | None = None,
             sigstop: bool = False) -> DaemonProcess:
    return DaemonProcess(config, "--once", *args, command="run",
                         env={"FOREWARN_STATE_URL": state_url},
                         pause_after_writes=pause_after_writes, sigstop=sigstop)


def test_two_runs_started_together_post_each_alert_once(
    state_url: str, demo_config: Path, demo_tracker: Path, tmp_path: Path,
) -> None:
    first, second = run_once(demo_config, state_url), run_once(demo_config, state_url)
    codes = sorted([first.wait_exit(), second.wait_exit()])
    # One wrote; the other waited its turn (and had nothing left to do), or was told.
    assert codes in ([0, 0], [0, EXIT_BUSY]), (codes, first.out, second.out)
    if codes == [0, EXIT_BUSY]:
        busy = first if first.process.returncode == EXIT_BUSY else second
        assert says_busy(busy), busy.out
    clean_output(first, second)
    no_duplicates(demo_tracker, tmp_path)


def test_a_second_run_while_the_first_writes_exits_75_and_says_who_holds_the_project(
    state_url: str, demo_config: Path, demo_tracker: Path, tmp_path: Path,
) -> None:
    first = run_once(demo_config, state_url, pause_after_writes=10, sigstop=True)
    try:
        first.wait_until(first.is_stopped, what="the first run stopped before write 11")
        paused = our_markers(demo_tracker)
        second = run_once(demo_config, state_url)
        assert second.wait_exit() == EXIT_BUSY
        assert says_busy(second), second.out
        assert our_markers(demo_tracker) == paused
        first.resume()
        assert first.wait_exit() == 0
        third = run_once(demo_config, state_url)
        assert third.wait_exit() == 0  # nothing left to do
    finally:
        first.kill()
    clean_output(first, second, third)
    no_duplicates(demo_tracker, tmp_path)


def test_a_run_beside_a_daemon_waits_its_turn(
    state_url: str, demo_config: Path, demo_tracker: Path, tmp_path: Path,
) -> None:
    """An admin "just checking" with ``run --once`` while the daemon writes."""
    env = {"FOREWARN_STATE_URL": state_url}
    with daemon(demo_config, "--interval", "1s", env=env, pause_after_writes=10) as busy:
        busy.wait_for_line(lambda line: "paused before write 11" in line.get("message", ""))
        beside = run_once(demo_config, state_url)
        assert beside.wait_exit() == EXIT_BUSY
        assert says_busy(beside), beside.out
        code, took = busy.stop()
    assert code == 0 and took < STOP_LIMIT
    after = run_once(demo_config, state_url)
    assert after.wait_exit() == 0
    clean_output(beside, after)
    no_duplicates(demo_tracker, tmp_path)


def test_run_wait_takes_the_project_when_the_daemon_lets_it_go(
    demo_config: Path, demo_tracker: Path, tmp_path: Path,
) -> None:
    state_url = f"sqlite:///{tmp_path / 'shared.db'}"
    env = {"FOREWARN_STATE_URL": state_url}
    with daemon(demo_config, "--interval", "1s", env=env, pause_after_writes=10) as busy:
        busy.wait_for_line(lambda line: "paused before write 11" in line.get("message", ""))
        waiting = run_once(demo_config, state_url, "--wait", "60s")
        code, _ = busy.stop()
        assert code == 0
    assert waiting.wait_exit() == 0
    clean_output(waiting)
    no_duplicates(demo_tracker, tmp_path)


def test_a_lease_holder_stopped_past_its_lease_writes_nothing_once_resumed(
    state_url: str, demo_config: Path, demo_tracker: Path, tmp_path: Path,
) -> None:
    """SIGSTOP in the middle of its writes for longer than the lease's time to live;
    another replica takes the project over and finishes; SIGCONT: not one more write."""
    env = {"FOREWARN_STATE_URL": state_url}
    options = ("--interval", "1s", "--lease-ttl", "2s")
    with daemon(demo_config, *options, "--replica-id", "a", env=env, pause_after_writes=10,
                sigstop=True) as a:
        a.wait_until(a.is_stopped, what="a stopped before its write 11")
        with daemon(demo_config, *options, "--replica-id", "b", env=env) as b:
            b.wait_until(
                lambda: b.metric("forewarn_cycles_total", project="demo", status="ok") >= 2,
                timeout=60, what="b took the project over and finished its job")
            done = our_markers(demo_tracker)
            a.resume()
            a.wait_for_line(lambda line: "resumed (SIGCONT)" in line.get("message", ""))
            # Stopped by the fence (or first by the cycle's deadline, which passed as well).
            a.wait_for_line(lambda line: str(line.get("message")).startswith(
                "demo: stopped writing: "))
            failed = a.wait_for_line(lambda line: line.get("status") == "failed")
            assert "another process took this project over (its lease ran out)" in (
                failed["errors"])
            written_by_a = sum(value for (name, labels), value in a.metrics().items()
                               if name == "forewarn_writes_total")
            assert written_by_a == 10  # the ten before the pause, none after
            assert our_markers(demo_tracker) == done
            code_b, _ = b.stop()
        code_a, _ = a.stop()
    assert (code_a, code_b) == (0, 0)
    clean_output(a, b)
    no_duplicates(demo_tracker, tmp_path)
