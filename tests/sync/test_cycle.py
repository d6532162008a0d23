"""Whole cycles on the demo tracker: findings become comments and labels exactly once."""

from __future__ import annotations

import json
import time
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from config import load_config, load_settings
from connectors.local import LocalConnector
from sync.app.runtime import build_runtime
from sync.cycle import CycleReport, run_cycle
from sync.store.state import StateStore, snapshots
from tests.conftest import Clock, run_log


def cycle(config_path: Path, store: StateStore, clock: Clock, *, dry_run: bool = False,
          budget: int | None = None) -> CycleReport:
    config = load_config(config_path)
    runtime = build_runtime(config, config.project("demo"), settings=load_settings(),
                            clock=clock)
    if budget is not None:
        runtime.write_budget = budget
    return run_cycle(runtime, store, clock=clock, dry_run=dry_run)


def tracker(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text(encoding="utf-8"))


def ours(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [c for c in tracker(path)["comments"] if c["author"] == "forewarn"]


def labels(path: Path, key: str) -> list[str]:
    return next(i["labels"] for i in tracker(path)["issues"] if i["key"] == key)


def test_every_rule_fires_on_the_demo(demo_config: Path, demo_tracker: Path, store: StateStore,
                                      clock: Clock) -> None:
    report = cycle(demo_config, store, clock)
    assert report.ok, report.errors
    causes = {(f.kind, f.cause, f.subject_key) for f in report.findings}
    assert {
        ("scope_creep", "added", "demo#12"), ("scope_creep", "added", "demo#14"),
        ("scope_creep", "descoped", "demo#15"), ("scope_creep", "growth", "demo/milestones/1"),
        ("schedule_slip", "schedule", "demo/milestones/1"),
        ("schedule_slip", "schedule", "demo/milestones/2"),
        ("schedule_slip", "moved", "demo/milestones/3"),
        ("schedule_slip", "issue_overdue", "demo#17"),
        ("unanswered_feedback", "awaiting_reply", "demo#20"),
        ("unanswered_feedback", "awaiting_reply", "demo#21"),
    } == causes
    assert not any(f.subject_key == "demo#13" for f in report.findings)  # approved change
    assert not any(f.subject_key == "demo#22" for f in report.findings)  # answered
    assert labels(demo_tracker, "demo#12") == ["scope-creep"]
    assert labels(demo_tracker, "demo#13") == ["change-approved"]
    assert labels(demo_tracker, "demo#21") == ["awaiting-reply"]  # warning: label only
    assert {c["issue_key"] for c in ours(demo_tracker)} == {"demo#1", "demo#12", "demo#14",
                                                            "demo#17", "demo#20"}
    breach = next(c["body"] for c in ours(demo_tracker) if c["issue_key"] == "demo#20")
    assert "cc @alice" in breach and "Bob Li" in breach


def test_second_cycle_writes_nothing(demo_config: Path, demo_tracker: Path, store: StateStore,
                                     clock: Clock) -> None:
    first = cycle(demo_config, store, clock)
    assert first.outcome is not None and len(first.outcome.writes) == 16
    before = demo_tracker.read_text()
    clock.advance(minutes=15)
    second = cycle(demo_config, store, clock)
    assert second.plan.writes == () and second.outcome is not None
    assert second.outcome.writes == ()
    assert demo_tracker.read_text() == before


def test_dry_run_writes_and_saves_nothing(demo_config: Path, demo_tracker: Path,
                                          store: StateStore, clock: Clock) -> None:
    before = demo_tracker.read_text()
    report = cycle(demo_config, store, clock, dry_run=True)
    assert len(report.plan.writes) == 16
    assert demo_tracker.read_text() == before
    assert store.cursor("demo") is None and run_log(store, "demo") == []


def test_team_reply_resolves_the_alert(demo_config: Path, demo_tracker: Path,
                                       store: StateStore, clock: Clock) -> None:
    cycle(demo_config, store, clock)
    clock.advance(hours=1)
    LocalConnector(demo_tracker, clock=clock)  # the team answers through the tracker
    data = tracker(demo_tracker)
    data["comments"].append({"id": "500", "issue_key": "demo#20", "author": "bob",
                             "created_at": "2026-11-25T09:00:00Z",
                             "updated_at": "2026-11-25T09:00:00Z", "body": "Fixed in 2.3."})
    issue = next(i for i in data["issues"] if i["key"] == "demo#20")
    issue["updated_at"] = "2026-11-25T09:00:00Z"
    demo_tracker.write_text(json.dumps(data))
    report = cycle(demo_config, store, clock)
    assert [a.describe() for a in report.plan.writes] == [
        next(a.describe() for a in report.plan.writes if "resolve" in a.describe()),
        "remove label 'awaiting-reply' from demo#20",
    ]
    body = next(c["body"] for c in ours(demo_tracker) if c["issue_key"] == "demo#20")
    assert "**Resolved:** Answered by Bob Li on 2026-11-25 17:00 CST." in body
    assert labels(demo_tracker, "demo#20") == []
    clock.advance(minutes=15)
    assert cycle(demo_config, store, clock).plan.writes == ()


def test_lost_state_database_does_not_duplicate_comments(
    demo_config: Path, demo_tracker: Path, tmp_path: Path, clock: Clock
) -> None:
    first = StateStore(f"sqlite:///{tmp_path / 'a.db'}")
    cycle(demo_config, first, clock)
    first.close()
    count = len(ours(demo_tracker))
    fresh = StateStore(f"sqlite:///{tmp_path / 'b.db'}")  # the database was lost
    clock.advance(minutes=15)
    report = cycle(demo_config, fresh, clock)
    assert report.outcome is not None
    assert len(ours(demo_tracker)) == count
    assert report.outcome.writes == ()
    assert sum(a.describe().startswith("adopt") for a in report.plan.actions) == count
    fresh.close()


@pytest.mark.parametrize("budget", [0, 3, 9])
def test_write_budget_defers_the_rest_to_the_next_cycle(
    demo_config: Path, demo_tracker: Path, store: StateStore, clock: Clock, budget: int
) -> None:
    report = cycle(demo_config, store, clock, budget=budget)
    assert report.outcome is not None
    assert report.outcome.budgeted == budget
    assert report.outcome.stopped == (
        f"write budget of {budget} reached; the rest waits for the next cycle")
    for _ in range(20):
        clock.advance(minutes=15)
        report = cycle(demo_config, store, clock, budget=max(budget, 1))
        if not report.plan.writes:
            break
    assert len(ours(demo_tracker)) == 8  # every alert exactly once in the end


@pytest.mark.parametrize("payload", [b"not zlib at all", zlib.compress(b"{not json"),
                                     zlib.compress(b'{"project": "demo", "issues": [7]}')],
                         ids=["not compressed", "not JSON", "not a snapshot"])
def test_a_corrupt_cached_snapshot_is_dropped_and_the_project_fetched_whole(
    demo_config: Path, demo_tracker: Path, store: StateStore, clock: Clock,
    caplog: pytest.LogCaptureFixture, payload: bytes,
) -> None:
    """Issue 17: a corrupt row failed the project on every cycle and never recovered."""
    assert cycle(demo_config, store, clock).ok
    before = demo_tracker.read_text()
    with store.transaction() as connection:
        connection.execute(update(snapshots).values(payload=payload))
    clock.advance(minutes=15)
    again = cycle(demo_config, store, clock)
    assert again.ok, again.errors
    assert again.outcome is not None and again.outcome.writes == ()  # nothing twice
    assert demo_tracker.read_text() == before
    (warning,) = [r for r in caplog.records if "cached snapshot" in r.getMessage()]
    assert warning.levelname == "WARNING" and warning.getMessage().startswith(
        "demo: the cached snapshot cannot be read (")
    assert warning.getMessage().endswith("); dropping it and fetching the whole project again")
    assert store.load_snapshot("demo") is not None  # cached again, readable
    clock.advance(minutes=15)
    assert cycle(demo_config, store, clock).ok
    assert len([r for r in caplog.records if "cached snapshot" in r.getMessage()]) == 1


def test_a_cycle_past_its_deadline_leaves_the_rest_of_its_writes_for_the_next(
    demo_config: Path, demo_tracker: Path, store: StateStore, clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 17: with Jira answering each write only after 60 s, one run took 1,090 s."""
    real, late = time.monotonic, [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: real() + late[0])
    config = load_config(demo_config)
    runtime = build_runtime(config, config.project("demo"), settings=load_settings(),
                            clock=clock)
    runtime.deadline = timedelta(minutes=5)
    for name in ("ensure_label", "add_labels", "create_comment", "edit_comment"):
        write = getattr(runtime.connector, name)

        def slow(*args: object, _write=write, **kwargs: object) -> object:  # type: ignore[no-untyped-def]
            late[0] += 60.0  # each write answers after a minute
            return _write(*args, **kwargs)

        monkeypatch.setattr(runtime.connector, name, slow)
    reports = [run_cycle(runtime, store, clock=clock) for _ in range(4)]
    first = reports[0]
    assert first.ok and first.outcome is not None
    assert len(first.outcome.writes) == 5 and len(first.outcome.deferred) == 11
    assert first.outcome.stopped == ("the cycle's deadline of 5m passed; the rest waits for "
                                     "the next cycle")
    assert [len(r.outcome.writes) for r in reports if r.outcome] == [5, 5, 5, 1]
    markers = [c["body"].splitlines()[0] for c in ours(demo_tracker)]
    assert len(markers) == len(set(markers)) == 8
