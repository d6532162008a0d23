"""The daemon's parts in-process: summary times, the summary hook, failures, reloads.

(tests/sync/app/test_daemon_process.py runs the real process with signals.)
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from config import load_settings
from connectors.errors import FatalError
from connectors.local import LocalConnector
from connectors.markers import Marker, find_marker
from connectors.model import Visibility
from sync.app.daemon import Daemon, DaemonOptions
from tests.conftest import Clock


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@contextmanager
def in_process(config: Path, clock: Clock | None = None, **options: Any) -> Iterator[Daemon]:
    """A daemon without its loop or signals: tests call its ticks themselves."""
    settings = load_settings()
    opts = DaemonOptions(config_path=config, http_port=0, interval=timedelta(hours=1), **options)
    daemon = Daemon(opts, settings, clock=clock) if clock else Daemon(opts, settings)
    daemon.start()
    try:
        settle(daemon)
        yield daemon
    finally:
        daemon._shutdown()


def settle(daemon: Daemon) -> None:
    for slot in list(daemon.slots.values()):
        if slot.thread is not None:
            slot.thread.join(timeout=30)
            assert not slot.thread.is_alive()


def count(daemon: Daemon, name: str, **labels: str) -> float:
    value = daemon.metrics.registry.get_sample_value(name, labels)
    return value or 0.0


def summaries_in(tracker: Path) -> list[str]:
    """The markers of the summary comments forewarn wrote into the demo tracker."""
    data = json.loads(tracker.read_text(encoding="utf-8"))
    found = (find_marker(c["body"]) or "" for c in data["comments"] if c["author"] == "forewarn")
    return [marker for marker in found if marker.startswith("summary.")]


def test_at_summary_time_the_cycle_posts_the_summary(
    demo_config: Path, demo_tracker: Path, clock: Clock
) -> None:
    with in_process(demo_config, clock) as daemon:
        slot = daemon.slots["demo"]
        # The demo's summary: monday 09:00 in Asia/Shanghai; the clock says Wednesday.
        assert slot.next_summary == utc("2026-11-30T01:00")
        daemon._summaries()
        settle(daemon)
        assert summaries_in(demo_tracker) == []
        clock.now = utc("2026-11-30T01:00")
        daemon._summaries()
        settle(daemon)
        assert summaries_in(demo_tracker) == ["summary.2026-W49:info"]
        assert slot.next_summary == utc("2026-12-07T01:00") and not slot.summary_pending
        assert count(daemon, "forewarn_summaries_total", project="demo", status="ok") == 1
        assert count(daemon, "forewarn_cycles_total", project="demo", status="ok") == 2


def test_a_summary_the_budget_deferred_is_posted_by_the_next_cycle(
    demo_config: Path, demo_tracker: Path, clock: Clock
) -> None:
    text = demo_config.read_text(encoding="utf-8")
    budget = text.replace("    status_issue: 1\n", "    status_issue: 1\n    write_budget: 5\n")
    demo_config.write_text(budget, encoding="utf-8")
    # 8 alerts and 5 labels to write at 5 a cycle: the summary waits behind the alerts.
    with in_process(demo_config, clock) as daemon:
        clock.now = utc("2026-11-30T01:00")
        daemon._summaries()
        settle(daemon)
        assert summaries_in(demo_tracker) == [] and daemon.slots["demo"].summary_pending
        for _ in range(2):  # 3 alerts + summary + retrospective, then the last one
            daemon._tick("demo")
            settle(daemon)
        assert summaries_in(demo_tracker) == ["summary.2026-W49:info"]
        assert not daemon.slots["demo"].summary_pending
        assert count(daemon, "forewarn_summaries_total", project="demo", status="ok") == 1


def test_a_summary_that_cannot_be_posted_is_logged_and_counted(
    demo_config: Path, clock: Clock, caplog: pytest.LogCaptureFixture,
) -> None:
    text = demo_config.read_text(encoding="utf-8")
    demo_config.write_text(text.replace("status_issue: 1", "status_issue: 999"),
                           encoding="utf-8")
    with in_process(demo_config, clock) as daemon:
        clock.now = utc("2026-11-30T01:00")
        daemon._summaries()
        settle(daemon)
        assert count(daemon, "forewarn_summaries_total", project="demo", status="failed") == 1
        assert not daemon.slots["demo"].summary_pending  # tried again at its next time
    assert ("demo: the summary for 2026-W49 failed: status_issue demo#999 was not found in "
            "the tracker: the summary (and milestone alerts) cannot be posted") in caplog.messages


def test_a_summary_the_tracker_refused_is_counted_as_failed(
    demo_config: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    create = LocalConnector.create_comment

    def refuse_summaries(self: LocalConnector, issue_key: str, body: str, *,
                         marker: Marker, visibility: Visibility | None = None) -> str:
        if marker.subject.startswith("summary."):
            raise FatalError("403 locked issue")
        return create(self, issue_key, body, marker=marker, visibility=visibility)

    monkeypatch.setattr(LocalConnector, "create_comment", refuse_summaries)
    with in_process(demo_config, clock) as daemon:
        clock.now = utc("2026-11-30T01:00")
        daemon._summaries()
        settle(daemon)
        assert count(daemon, "forewarn_summaries_total", project="demo", status="failed") == 1
        assert count(daemon, "forewarn_summaries_total", project="demo", status="ok") == 0
    assert "demo: the summary for 2026-W49 failed: 403 locked issue" in caplog.messages


def add_project(config: Path, name: str, tracker_file: str) -> None:
    text = config.read_text(encoding="utf-8")
    text = text.replace("trackers:\n",
                        f"trackers:\n  {name}: {{kind: local, path: {tracker_file}}}\n")
    # Issue-level rules only: milestone alerts would need a status issue of its own.
    text = text.replace("rules:\n",
                        f"  - {{name: {name}, tracker: {name}, rules: [feedback]}}\nrules:\n")
    config.write_text(text, encoding="utf-8")


def test_a_failing_project_is_retried_on_its_next_tick_and_spares_the_others(
    demo_config: Path, demo_tracker: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    add_project(demo_config, "later", "later.json")
    caplog.set_level(logging.INFO)
    with in_process(demo_config, clock) as daemon:
        assert count(daemon, "forewarn_cycles_total", project="later", status="failed") == 1
        assert count(daemon, "forewarn_cycles_total", project="demo", status="ok") == 1
        failed = [r for r in caplog.records if getattr(r, "project", "") == "later"
                  and getattr(r, "status", "") == "failed"]
        assert failed and "local tracker file not found" in failed[0].getMessage()
        shutil.copy(demo_tracker, demo_config.parent / "later.json")
        daemon._tick("later")
        settle(daemon)
        assert count(daemon, "forewarn_cycles_total", project="later", status="ok") == 1


def test_a_job_that_raises_does_not_end_the_schedule(
    demo_config: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with in_process(demo_config, clock) as daemon:
        def broken(name: str) -> None:
            raise RuntimeError("bug")

        monkeypatch.setattr(daemon, "_tick", broken)
        daemon._guarded(daemon._tick, "demo")  # what schedule calls: it must not raise
    assert any("scheduled job" in message for message in caplog.messages)


def test_a_reload_rebuilds_only_the_changed_projects(
    demo_config: Path, demo_tracker: Path, clock: Clock
) -> None:
    shutil.copy(demo_tracker, demo_config.parent / "other.json")
    add_project(demo_config, "other", "other.json")
    with in_process(demo_config, clock) as daemon:
        demo_runtime = daemon.slots["demo"].runtime
        other_runtime = daemon.slots["other"].runtime
        assert demo_runtime is not None and other_runtime is not None
        text = demo_config.read_text(encoding="utf-8")
        demo_config.write_text(text.replace("{name: other, tracker: other,",
                                            "{name: other, tracker: other, write_budget: 3,"),
                               encoding="utf-8")
        assert daemon.reload("test")
        settle(daemon)
        # The unchanged project keeps its connector (a Jira client lives as long as the daemon).
        assert daemon.slots["demo"].runtime is demo_runtime
        assert daemon.slots["other"].runtime is not other_runtime
        demo_config.write_text(text.replace(
            "  - {name: other, tracker: other, rules: [feedback]}\n", ""),
                               encoding="utf-8")
        assert daemon.reload("test")
        daemon._reap()
        assert set(daemon.slots) == {"demo"}
        demo_config.write_text("version: 2\n", encoding="utf-8")
        assert not daemon.reload("test")  # refused: the old config stays
        assert set(daemon.slots) == {"demo"}


def test_readiness_names_each_project(demo_config: Path) -> None:
    with in_process(demo_config) as daemon:
        ok, body = daemon.ready()
        assert ok and body["state"] == "ok"
        assert body["projects"]["demo"]["fresh"] is True
        assert body["projects"]["demo"]["max_age_seconds"] == 3 * 3600
        assert daemon.alive()[0]
    ok, body = daemon.ready()  # stopping: no longer ready
    assert not ok and body["stopping"] is True


def test_with_the_real_summary_module(demo_config: Path, demo_tracker: Path,
                                      clock: Clock) -> None:
    with in_process(demo_config, clock) as daemon:
        clock.now = utc("2026-11-30T01:00")
        daemon._summaries()
        settle(daemon)
        assert count(daemon, "forewarn_summaries_total", project="demo", status="ok") == 1
