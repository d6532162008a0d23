"""Posting the summary: one comment per period, edited in place, never a duplicate."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.markers import find_marker
from sync.cycle import CycleReport, ProjectRuntime, run_cycle
from sync.store.state import StateStore
from sync.summary.post import SummaryOutcome, post_summary
from tests.conftest import Clock
from tests.sync.summary.support import ours, runtime_for, set_language

STATUS = "demo#1"
RETRO = "retro.e80162f61d32cbec:info"  # the closed milestone "Discovery"


def post(config: Path, store: StateStore, clock: Clock, *, dry_run: bool = False,
         runtime: ProjectRuntime | None = None) -> SummaryOutcome:
    runtime = runtime or runtime_for(config, clock)
    report: CycleReport = run_cycle(runtime, store, clock=clock, dry_run=True)
    return post_summary(runtime, store, report, now=clock(), dry_run=dry_run)


def markers(tracker: Path) -> list[str | None]:
    return [find_marker(c["body"]) for c in ours(tracker, STATUS)]


@pytest.fixture
def state(store: StateStore) -> StateStore:
    """SQLite, and PostgreSQL where CI provides one (tests/conftest.py)."""
    return store


def test_first_post_creates_the_periods_comment_and_the_retrospective(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    outcome = post(demo_config, state, clock)
    assert outcome.post.action == "create" and outcome.writes == 2
    assert markers(demo_tracker) == ["summary.2026-W48:info", RETRO]
    body = ours(demo_tracker, STATUS)[0]["body"]
    assert body.startswith("<!-- forewarn:summary.2026-W48:info -->\n## 📋 Expectation summary")
    assert "cc @alice" in body
    row = state.summary("demo", "2026-W48")
    assert row is not None and row["comment_id"] == outcome.post.comment_id
    assert row["payload"]["milestones"][0]["title"] == "Beta feedback round"


def test_a_second_post_in_the_period_edits_and_a_new_period_creates(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    first = post(demo_config, state, clock)
    clock.advance(hours=20)  # Thursday: the same week
    second = post(demo_config, state, clock)
    assert (second.post.action, second.post.comment_id) == ("edit", first.post.comment_id)
    assert second.retrospectives == [] and second.writes == 1
    assert markers(demo_tracker) == ["summary.2026-W48:info", RETRO]
    assert "As of 2026-11-26 12:00 CST" in ours(demo_tracker, STATUS)[0]["body"]
    again = post(demo_config, state, clock)  # nothing changed: no edit either
    assert again.post.action == "unchanged" and again.writes == 0
    clock.advance(days=5)  # Tuesday of the next week
    third = post(demo_config, state, clock)
    assert third.post.action == "create" and third.period == "2026-W49"
    assert markers(demo_tracker) == ["summary.2026-W48:info", RETRO, "summary.2026-W49:info"]
    assert third.summary.changes.previous_period == "2026-W48"
    assert "Compared with the summary of 2026-W48." in ours(demo_tracker, STATUS)[2]["body"]


def test_a_lost_state_database_finds_the_comment_by_its_marker(
    demo_config: Path, demo_tracker: Path, tmp_path: Path, clock: Clock
) -> None:
    first = StateStore(f"sqlite:///{tmp_path / 'a.db'}")
    post(demo_config, first, clock)
    first.close()
    fresh = StateStore(f"sqlite:///{tmp_path / 'b.db'}")  # the database was lost
    clock.advance(hours=2)
    outcome = post(demo_config, fresh, clock)
    assert outcome.post.action == "edit" and outcome.retrospectives[0].action == "adopt"
    assert markers(demo_tracker) == ["summary.2026-W48:info", RETRO]
    assert outcome.writes == 1
    assert post(demo_config, fresh, clock).writes == 0  # and it is remembered now


def test_a_deleted_summary_comment_is_posted_again(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    post(demo_config, state, clock)
    data = json.loads(demo_tracker.read_text(encoding="utf-8"))
    data["comments"] = [c for c in data["comments"]
                        if find_marker(c["body"]) != "summary.2026-W48:info"]
    demo_tracker.write_text(json.dumps(data), encoding="utf-8")
    clock.advance(hours=1)
    outcome = post(demo_config, state, clock)
    assert (outcome.post.action, outcome.post.reason) == ("create", "the comment was deleted")
    assert markers(demo_tracker) == [RETRO, "summary.2026-W48:info"]


def test_the_retrospective_is_posted_once(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    post(demo_config, state, clock)
    for days in (1, 7, 14):
        clock.advance(days=days)
        assert post(demo_config, state, clock).retrospectives == []
    assert markers(demo_tracker).count(RETRO) == 1
    body = next(c["body"] for c in ours(demo_tracker, STATUS) if find_marker(c["body"]) == RETRO)
    assert "## 🏁 Milestone retrospective: Discovery" in body
    assert "Closed on 2026-11-06 15:00 CST; due 2026-11-06: on the due date." in body
    assert "Delivered: 6 of 6 issue(s), 6 of the 6 baselined." in body


@pytest.mark.parametrize(("days", "posted"), [(0, True), (29, True), (31, False)])
def test_only_a_recently_closed_milestone_gets_a_retrospective(
    demo_config: Path, demo_tracker: Path, state: StateStore, days: int, posted: bool
) -> None:
    clock = Clock(datetime(2026, 11, 6, 7, tzinfo=UTC) + timedelta(days=days))  # closed_at + days
    outcome = post(demo_config, state, clock)
    assert bool(outcome.retrospectives) is posted
    assert (RETRO in markers(demo_tracker)) is posted


def test_dry_run_writes_nothing_anywhere(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    before = demo_tracker.read_text(encoding="utf-8")
    outcome = post(demo_config, state, clock, dry_run=True)
    assert outcome.post.action == "create" and outcome.writes == 0
    assert outcome.post.body.startswith("<!-- forewarn:summary.2026-W48:info -->")
    assert demo_tracker.read_text(encoding="utf-8") == before
    assert state.summary("demo", "2026-W48") is None


@pytest.mark.parametrize(("edit", "reason"), [
    (lambda t: t.replace("to: status_issue", "to: none"), "summary.to is none"),
    (lambda t: t.replace("    status_issue: 1\n", ""), "the project has no status_issue"),
])
def test_a_summary_that_goes_nowhere_is_not_posted(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock, edit, reason: str  # type: ignore[no-untyped-def]
) -> None:
    demo_config.write_text(edit(demo_config.read_text(encoding="utf-8")), encoding="utf-8")
    outcome = post(demo_config, state, clock)
    assert (outcome.post.action, outcome.post.reason) == ("skip", reason)
    assert outcome.retrospectives == [] and markers(demo_tracker) == []
    row = state.summary("demo", "2026-W48")  # still the base of the next "what changed"
    assert row is not None and row["comment_id"] is None


def test_posted_in_the_projects_language(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    set_language(demo_config, "zh-CN")
    post(demo_config, state, clock)
    summary, retro = (c["body"] for c in ours(demo_tracker, STATUS))
    assert "## 📋 预期摘要：demo" in summary and "抄送 @alice" in summary
    assert "## 🏁 里程碑回顾：Discovery" in retro


def test_a_stopping_daemon_posts_nothing(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    runtime = runtime_for(demo_config, clock)
    runtime.stop = lambda: "shutting down"
    outcome = post(demo_config, state, clock, runtime=runtime)
    assert (outcome.post.action, outcome.post.reason) == ("skip", "shutting down")
    assert markers(demo_tracker) == []


def test_an_unreadable_tracker_keeps_the_last_good_summary(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    post(demo_config, state, clock)
    before = demo_tracker.read_text(encoding="utf-8")
    runtime = runtime_for(demo_config, clock)
    moved = demo_tracker.rename(demo_tracker.with_suffix(".gone"))
    report = run_cycle(runtime, state, clock=clock, dry_run=True)
    outcome = post_summary(runtime, state, report, now=clock())
    assert (outcome.post.action, outcome.post.reason) == ("fail",
                                                          "the tracker could not be read")
    assert not outcome.ok and outcome.writes == 0
    assert moved.read_text(encoding="utf-8") == before
