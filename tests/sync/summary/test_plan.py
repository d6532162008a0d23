"""The summary's comment: one per period, planned with the cycle, edited in place, never twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.markers import find_marker
from sync.actions import AdoptComment, CreateComment, EditComment, RecordSummary
from sync.cycle import CycleReport, ProjectRuntime, run_cycle
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.sync.summary.support import ours, runtime_for, set_language

STATUS = "demo#1"
SUMMARY = "summary.2026-W48:info"
RETRO = "retro.e80162f61d32cbec:info"  # the closed milestone "Discovery"


def post(config: Path, store: StateStore, clock: Clock, *, dry_run: bool = False,
         runtime: ProjectRuntime | None = None) -> CycleReport:
    runtime = runtime or runtime_for(config, clock)
    return run_cycle(runtime, store, clock=clock, dry_run=dry_run, summary=True)


def done(report: CycleReport) -> list[tuple[str, str]]:
    """(action, marker) of the summary and retrospective writes the cycle made."""
    assert report.outcome is not None
    return [(type(action).__name__, str(action.marker)) for action in report.outcome.done
            if isinstance(action, CreateComment | EditComment | AdoptComment)
            and action.kind != "alert"]


def posts(tracker: Path) -> list[dict[str, str]]:
    """forewarn's summary and retrospective comments on the status issue (not its alerts)."""
    return [c for c in ours(tracker, STATUS)
            if (find_marker(c["body"]) or "").startswith(("summary.", "retro."))]


def markers(tracker: Path) -> list[str | None]:
    return [find_marker(c["body"]) for c in posts(tracker)]


@pytest.fixture
def state(store: StateStore) -> StateStore:
    """SQLite, and PostgreSQL where CI provides one (tests/conftest.py)."""
    return store


def test_first_post_creates_the_periods_comment_and_the_retrospective(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    report = post(demo_config, state, clock)
    assert done(report) == [("CreateComment", SUMMARY), ("CreateComment", RETRO)]
    assert markers(demo_tracker) == [SUMMARY, RETRO]
    body = posts(demo_tracker)[0]["body"]
    assert body.startswith("<!-- forewarn:summary.2026-W48:info -->\n## 📋 Expectation summary")
    assert "cc @alice" in body
    comment = state.comments("demo")[SUMMARY]
    assert (comment.kind, comment.target) == ("summary", STATUS)
    assert comment.comment_id == posts(demo_tracker)[0]["id"]
    row = state.summary("demo", "2026-W48")
    assert row is not None and row["payload"]["milestones"][0]["title"] == "Beta feedback round"
    assert report.summary is not None and report.summary.period == "2026-W48"


def test_a_second_post_in_the_period_edits_and_a_new_period_creates(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    post(demo_config, state, clock)
    first_id = state.comments("demo")[SUMMARY].comment_id
    clock.advance(hours=20)  # Thursday: the same week
    second = post(demo_config, state, clock)
    assert done(second) == [("EditComment", SUMMARY)]
    assert state.comments("demo")[SUMMARY].comment_id == first_id
    assert markers(demo_tracker) == [SUMMARY, RETRO]
    assert "As of Nov 26, 2026, 12:00 (UTC+8)" in posts(demo_tracker)[0]["body"]
    again = post(demo_config, state, clock)  # nothing changed: no edit either
    assert done(again) == [] and again.plan.summary == ()
    clock.advance(days=5)  # Tuesday of the next week
    third = post(demo_config, state, clock)
    assert done(third) == [("CreateComment", "summary.2026-W49:info")]
    assert markers(demo_tracker) == [SUMMARY, RETRO, "summary.2026-W49:info"]
    assert third.summary is not None and third.summary.changes.previous_period == "2026-W48"
    assert "Compared with the summary of 2026-W48." in posts(demo_tracker)[2]["body"]


def test_a_lost_state_database_finds_the_comment_by_its_marker(
    demo_config: Path, demo_tracker: Path, tmp_path: Path, clock: Clock
) -> None:
    first = StateStore(f"sqlite:///{tmp_path / 'a.db'}")
    post(demo_config, first, clock)
    first.close()
    fresh = StateStore(f"sqlite:///{tmp_path / 'b.db'}")  # the database was lost
    clock.advance(hours=2)
    report = post(demo_config, fresh, clock)
    assert done(report) == [("AdoptComment", SUMMARY), ("EditComment", SUMMARY),
                            ("AdoptComment", RETRO)]
    assert markers(demo_tracker) == [SUMMARY, RETRO]
    assert done(post(demo_config, fresh, clock)) == []  # and it is remembered now


def test_a_deleted_summary_comment_is_posted_again(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    post(demo_config, state, clock)
    data = json.loads(demo_tracker.read_text(encoding="utf-8"))
    data["comments"] = [c for c in data["comments"] if find_marker(c["body"]) != SUMMARY]
    demo_tracker.write_text(json.dumps(data), encoding="utf-8")
    clock.advance(hours=1)
    report = post(demo_config, state, clock)
    assert done(report) == [("EditComment", SUMMARY)] and report.ok
    assert markers(demo_tracker) == [RETRO, SUMMARY]
    reposted = posts(demo_tracker)[1]["id"]
    assert state.comments("demo")[SUMMARY].comment_id == reposted


def test_the_retrospective_is_posted_once(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    post(demo_config, state, clock)
    for days in (1, 7, 14):
        clock.advance(days=days)
        assert ("CreateComment", RETRO) not in done(post(demo_config, state, clock))
    assert markers(demo_tracker).count(RETRO) == 1
    body = next(c["body"] for c in posts(demo_tracker) if find_marker(c["body"]) == RETRO)
    assert "## 🏁 Milestone retrospective: Discovery" in body
    assert "Closed on Nov 6, 2026, 15:00 (UTC+8); due Nov 6, 2026: on the due date." in body
    assert "Delivered: 6 of 6 issues, 6 of the 6 baselined." in body


@pytest.mark.parametrize(("days", "posted"), [(0, True), (29, True), (31, False)])
def test_only_a_recently_closed_milestone_gets_a_retrospective(
    demo_config: Path, demo_tracker: Path, state: StateStore, days: int, posted: bool
) -> None:
    clock = Clock(datetime(2026, 11, 6, 7, tzinfo=UTC) + timedelta(days=days))  # closed_at + days
    report = post(demo_config, state, clock)
    assert (("CreateComment", RETRO) in done(report)) is posted
    assert (RETRO in markers(demo_tracker)) is posted


def test_dry_run_plans_the_summary_and_writes_nothing_anywhere(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    before = demo_tracker.read_text(encoding="utf-8")
    report = post(demo_config, state, clock, dry_run=True)
    creates = [a for a in report.plan.summary if isinstance(a, CreateComment)]
    assert [str(a.marker) for a in creates] == [SUMMARY, RETRO]
    assert creates[0].body.startswith("<!-- forewarn:summary.2026-W48:info -->")
    assert report.outcome is None
    assert demo_tracker.read_text(encoding="utf-8") == before
    assert state.summary("demo", "2026-W48") is None


@pytest.mark.parametrize("edit", [
    lambda t: t.replace("to: status_issue", "to: none"),
    # Without a status issue only issue-level rules may run (milestone alerts need one).
    lambda t: t.replace("    status_issue: 1\n", "    rules: [feedback]\n"),
], ids=["to-none", "no-status-issue"])
def test_a_summary_that_goes_nowhere_is_recorded_not_posted(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock, edit  # type: ignore[no-untyped-def]
) -> None:
    demo_config.write_text(edit(demo_config.read_text(encoding="utf-8")), encoding="utf-8")
    report = post(demo_config, state, clock)
    assert [type(a) for a in report.plan.summary] == [RecordSummary]
    assert markers(demo_tracker) == []
    assert state.summary("demo", "2026-W48") is not None  # the base of the next "what changed"


def test_a_status_issue_that_does_not_exist_fails_the_run(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    text = demo_config.read_text(encoding="utf-8")
    demo_config.write_text(text.replace("status_issue: 1", "status_issue: 999"), encoding="utf-8")
    report = post(demo_config, state, clock)
    assert not report.ok
    assert "status_issue demo#999 was not found in the tracker" in "; ".join(report.errors)
    assert report.plan.summary == ()


def test_posted_in_the_projects_language(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    set_language(demo_config, "zh-CN")
    post(demo_config, state, clock)
    summary, retro = (c["body"] for c in posts(demo_tracker))
    assert "## 📋 预期摘要：demo" in summary and "抄送 @alice" in summary
    assert "## 🏁 里程碑回顾：Discovery" in retro


def test_a_stopping_daemon_defers_the_summary(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    runtime = runtime_for(demo_config, clock)
    runtime.stop = lambda: "shutting down"
    report = post(demo_config, state, clock, runtime=runtime)
    assert report.outcome is not None and report.outcome.stopped == "shutting down"
    assert set(report.plan.summary) <= set(report.outcome.deferred)
    assert markers(demo_tracker) == []
    assert state.summary("demo", "2026-W48") is None


def test_a_write_budget_defers_the_summary_like_any_other_write(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    runtime = runtime_for(demo_config, clock)
    runtime.write_budget = 1
    report = post(demo_config, state, clock, runtime=runtime)
    assert report.outcome is not None
    assert report.outcome.stopped == ("write budget of 1 reached; the rest waits for the next "
                                      "cycle")
    assert set(report.plan.summary) <= set(report.outcome.deferred)
    assert markers(demo_tracker) == []


def test_an_unreadable_tracker_keeps_the_last_good_summary(
    demo_config: Path, demo_tracker: Path, state: StateStore, clock: Clock
) -> None:
    post(demo_config, state, clock)
    before = demo_tracker.read_text(encoding="utf-8")
    moved = demo_tracker.rename(demo_tracker.with_suffix(".gone"))
    report = post(demo_config, state, clock)
    assert not report.ok and report.summary is None and report.plan.summary == ()
    assert moved.read_text(encoding="utf-8") == before
