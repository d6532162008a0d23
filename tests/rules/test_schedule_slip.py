from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from connectors.model import Issue, Milestone, Snapshot
from rules import schedule_slip
from rules.base import Finding, Severity, make_fingerprint
from rules.calendar import BusinessCalendar
from rules.sizing import sizing
from tests.rules.conftest import Factory, reversed_snapshot

mk = Factory()
M1 = mk.milestone_key(1)
NOW = mk.at(0, 12)  # Monday 2026-03-02 12:00 UTC
TODAY = date(2026, 3, 2)
WEEK = timedelta(weeks=1)


def options(**overrides: Any) -> schedule_slip.Options:
    return schedule_slip.Options(id="slip", kind="schedule_slip", **overrides)


def evaluate(snapshot: Snapshot, now: datetime = NOW, *,
             calendar: BusinessCalendar | None = None,
             due_dates: Mapping[str, Sequence[tuple[datetime, date | None]]] | None = None,
             seed: int = 0, **overrides: Any) -> list[Finding]:
    ctx = mk.ctx(now, due_dates=due_dates, seed=seed, calendar=calendar)
    return schedule_slip.evaluate(snapshot, ctx, options(**overrides))


def closed(per_week: Sequence[int], first: int = 1000, now: datetime = NOW) -> list[Issue]:
    """Issues closed ``per_week[k]`` times in the k-th week before ``now``."""
    issues = []
    for week, count in enumerate(per_week):
        for n in range(count):
            at = now - week * WEEK - timedelta(hours=1 + n)
            issues.append(mk.issue(first + 100 * week + n, state="closed", closed_at=at))
    return issues


def open_issues(count: int, milestone: int = 1, first: int = 1) -> list[Issue]:
    return [mk.issue(first + n, milestones=[milestone]) for n in range(count)]


def snapshot(issues: Sequence[Issue], milestones: Sequence[Milestone]) -> Snapshot:
    return mk.snapshot(issues=issues, milestones=milestones)


STEADY = [7] * 8  # one issue a day, every day: every trial finishes on the same day


@pytest.mark.parametrize(
    ("closed_at", "week"),
    [
        (NOW, 0),                                        # closed right now: the latest week
        (NOW - timedelta(seconds=1), 0),
        (NOW - WEEK, 1),                                 # a week boundary opens the next week
        (NOW - 8 * WEEK + timedelta(seconds=1), 7),
        (NOW - 8 * WEEK, None),                          # outside the window
        (NOW + timedelta(seconds=1), None),              # in the future: clock skew
    ],
)
def test_weekly_buckets(closed_at: datetime, week: int | None) -> None:
    issue = mk.issue(1, state="closed", closed_at=closed_at)
    counts = schedule_slip.weekly_throughput([issue], mk.ctx(NOW), weeks=8)
    assert counts == [1 if k == week else 0 for k in range(8)]


def test_throughput_ignores_reopened_issues() -> None:
    reopened = mk.issue(1, closed_at=NOW - timedelta(days=1))  # open again
    assert schedule_slip.weekly_throughput([reopened], mk.ctx(NOW), weeks=2) == [0, 0]


@pytest.mark.parametrize(
    ("window", "weeks"),
    [("8w", 8), ("1w", 1), ("10d", 1), ("15d", 2), ("56d", 8)],
)
def test_partial_weeks_round_down(window: str, weeks: int) -> None:
    assert max(1, options(window=window).window // WEEK) == weeks


# remaining open issues, due date offset from today, throughput per week ->
# (status, probability, forecast offset) or None
@pytest.mark.parametrize(
    ("remaining", "due_in", "per_week", "expected"),
    [
        (2, 1, STEADY, None),                            # done tomorrow, due tomorrow
        (2, 0, STEADY, ("at_risk", 0.0, 1)),             # due today: one day short
        (1, 0, STEADY, None),                            # today counts in full
        (14, 13, STEADY, None),
        (14, 12, STEADY, ("at_risk", 0.0, 13)),
        (3, 30, [0] * 8, ("at_risk", 0.0, None)),        # nothing closed: no forecast
        (1, -1, STEADY, ("overdue", 0.0, 0)),
        (5, -10, [0] * 8, ("overdue", 0.0, None)),
        (0, -10, STEADY, None),                          # nothing left: not late
        (0, 5, [0] * 8, None),
        (10_000, 30, [1] + [0] * 7, ("at_risk", 0.0, None)),  # beyond the 10-year horizon
    ],
)
def test_schedule(remaining: int, due_in: int, per_week: list[int],
                  expected: tuple[str, float, int | None] | None) -> None:
    milestone = mk.milestone(1, due_on=TODAY + timedelta(days=due_in))
    issues = [*open_issues(remaining), *closed(per_week)]
    findings = [f for f in evaluate(snapshot(issues, [milestone])) if f.cause == "schedule"]
    if expected is None:
        assert findings == []
        return
    status, probability, forecast = expected
    (finding,) = findings
    assert finding.severity == (Severity.CRITICAL if status == "overdue" else Severity.WARNING)
    assert finding.evidence == {
        "milestone_title": "Milestone 1",
        "due_on": TODAY + timedelta(days=due_in),
        "open_count": remaining,
        "probability": probability,
        "confidence": 0.85,
        "forecast_on": None if forecast is None else TODAY + timedelta(days=forecast),
        "status": status,
        "days_overdue": max(0, -due_in),
        "remaining_points": None,  # no estimate anywhere: counted in issues
    }


def test_overdue_finding() -> None:
    milestone = mk.milestone(1, due_on=date(2026, 2, 27), title="Beta")
    findings = evaluate(snapshot([*open_issues(3), *closed(STEADY)], [milestone]),
                        notify=["pm"])
    assert findings == [
        Finding(
            rule_id="slip",
            kind="schedule_slip",
            cause="schedule",
            subject_kind="milestone",
            subject_key=M1,
            severity=Severity.CRITICAL,
            fingerprint=make_fingerprint("slip", "schedule", M1),
            evidence={
                "milestone_title": "Beta",
                "due_on": date(2026, 2, 27),
                "open_count": 3,
                "probability": 0.0,
                "confidence": 0.85,
                "forecast_on": date(2026, 3, 4),
                "status": "overdue",
                "days_overdue": 3,
                "remaining_points": None,
            },
            label=None,
            comment=True,
            notify=("pm",),
        )
    ]


def test_at_risk_escalates_to_overdue_with_the_same_fingerprint() -> None:
    milestone = mk.milestone(1, due_on=TODAY + timedelta(days=2))
    snap = snapshot([*open_issues(10), *closed([1] * 8)], [milestone])
    (at_risk,) = evaluate(snap)
    (overdue,) = evaluate(snap, NOW + timedelta(days=3))
    assert (at_risk.severity, at_risk.evidence["status"]) == (Severity.WARNING, "at_risk")
    assert (overdue.severity, overdue.evidence["status"]) == (Severity.CRITICAL, "overdue")
    assert at_risk.fingerprint == overdue.fingerprint


def test_monte_carlo_probability() -> None:
    # Half the weeks close 10 issues, half none: P(10 issues within the first week) = 1/2.
    milestone = mk.milestone(1, due_on=TODAY + timedelta(days=6))
    snap = snapshot([*open_issues(10), *closed([10, 0] * 4)], [milestone])
    (finding,) = evaluate(snap)
    assert 0.45 < finding.evidence["probability"] < 0.55
    assert finding.evidence["status"] == "at_risk"
    # 87.5% of the trials draw a good week within 3 weeks (75% within 2): the 85% forecast
    # is the last day of the third week.
    assert finding.evidence["forecast_on"] == TODAY + timedelta(days=20)
    assert evaluate(snap) == [finding]                        # the same seed, the same answer
    assert evaluate(reversed_snapshot(snap)) == [finding]     # whatever the order


def test_confidence_decides() -> None:
    milestone = mk.milestone(1, due_on=TODAY + timedelta(days=6))
    snap = snapshot([*open_issues(10), *closed([10, 0] * 4)], [milestone])
    assert evaluate(snap, confidence=0.3) == []
    assert len(evaluate(snap, confidence=0.6)) == 1


def test_finish_offsets_spread_a_week_over_its_days() -> None:
    rng = random.Random(0)
    assert schedule_slip.finish_offsets([7], 2, trials=3, rng=rng) == [1, 1, 1]
    assert schedule_slip.finish_offsets([7], 7, trials=1, rng=rng) == [6]
    assert schedule_slip.finish_offsets([7], 8, trials=1, rng=rng) == [7]
    assert schedule_slip.finish_offsets([3], 1, trials=1, rng=rng) == [2]   # ceil(7/3) - 1
    assert schedule_slip.finish_offsets([3], 4, trials=1, rng=rng) == [9]   # 7 + ceil(7/3) - 1
    assert schedule_slip.finish_offsets([0, 0], 1, trials=5, rng=rng) == []
    assert schedule_slip.finish_offsets([5], 0, trials=5, rng=rng) == []


def test_the_project_time_zone_decides_today() -> None:
    # 20:00 UTC on Monday is already Tuesday in Shanghai.
    now = mk.at(0, 20)
    shanghai = BusinessCalendar(timezone="Asia/Shanghai")
    milestone = mk.milestone(1, due_on=TODAY)
    issue = mk.issue(5, due_on=TODAY)
    snap = snapshot([*open_issues(1), issue, *closed(STEADY, now=now)], [milestone])
    assert [f.cause for f in evaluate(snap, now)] == []
    causes = {f.cause: f.evidence["days_overdue"] for f in evaluate(snap, now, calendar=shanghai)}
    assert causes == {"schedule": 1, "issue_overdue": 1}


D = date(2026, 4, 1)


# due dates seen before (day seen, due date), the current due date -> (first, days, moves)
@pytest.mark.parametrize(
    ("seen", "due_on", "expected"),
    [
        ([], D, None),                                            # first sighting
        ([(0, D)], D, None),
        ([(0, D)], D + timedelta(days=7), (D, 7, 1)),
        ([(0, D), (1, D + timedelta(days=3))], D + timedelta(days=10), (D, 10, 2)),  # twice
        ([(0, D), (1, D + timedelta(days=3)), (2, D + timedelta(days=10))],
         D + timedelta(days=10), (D, 10, 2)),                     # already recorded
        ([(2, D + timedelta(days=3)), (0, D)], D + timedelta(days=3), (D, 3, 1)),  # any order
        ([(0, D)], D - timedelta(days=2), None),                  # brought forward
        ([(0, D), (1, D - timedelta(days=2))], D + timedelta(days=1), (D, 1, 2)),
        ([(0, None), (1, D)], D + timedelta(days=5), (D, 5, 1)),  # no date at first
        ([(0, D), (1, D + timedelta(days=3)), (2, D)], D + timedelta(days=3), (D, 3, 3)),
    ],
)
def test_moved(seen: list[tuple[int, date | None]], due_on: date,
               expected: tuple[date, int, int] | None) -> None:
    milestone = mk.milestone(1, due_on=due_on, title="Launch")
    history = {M1: [(mk.at(-30 + day), value) for day, value in seen]}
    findings = [f for f in evaluate(snapshot([], [milestone]), due_dates=history)
                if f.cause == "moved"]
    if expected is None:
        assert findings == []
        return
    first, days, moves = expected
    (finding,) = findings
    assert (finding.subject_kind, finding.subject_key, finding.severity, finding.label,
            finding.comment) == ("milestone", M1, Severity.WARNING, None, True)
    assert finding.fingerprint == make_fingerprint("slip", "moved", M1)
    assert finding.evidence == {
        "milestone_title": "Launch",
        "first_due_on": first,
        "due_on": due_on,
        "days_moved": days,
        "moves": moves,
    }


def test_moved_ignores_closed_milestones_and_other_keys() -> None:
    history = {M1: [(mk.at(-5), D)], mk.milestone_key(2): [(mk.at(-5), D)]}
    milestones = [mk.milestone(1, due_on=D + timedelta(days=3), state="closed"),
                  mk.milestone(3, due_on=D + timedelta(days=3))]
    assert evaluate(snapshot([], milestones), due_dates=history) == []


# the issue's state, due date offset from today, labels, option overrides -> days overdue
@pytest.mark.parametrize(
    ("state", "due_in", "labels", "overrides", "expected"),
    [
        ("open", -1, (), {}, 1),
        ("open", -30, (), {}, 30),
        ("open", 0, (), {}, None),                                # due today: not yet
        ("open", None, (), {}, None),
        ("closed", -5, (), {}, None),
        ("open", -3, ("Waiting-On-Client",), {}, None),           # paused
        ("open", -3, ("blocked",), {"pause_labels": ["blocked"]}, None),
        ("open", -1, (), {"per_issue": False}, None),
        ("open", -1, ("chore",), {"exempt_labels": "chore"}, None),
        ("open", -1, (), {"only_labels": ["client"]}, None),
    ],
)
def test_issue_overdue(state: str, due_in: int | None, labels: tuple[str, ...],
                       overrides: dict[str, Any], expected: int | None) -> None:
    due_on = None if due_in is None else TODAY + timedelta(days=due_in)
    issue = mk.issue(9, state=state, due_on=due_on, labels=labels, title="Invoice export",
                     closed_at=NOW if state == "closed" else None)
    findings = evaluate(snapshot([issue], []), **overrides)
    if expected is None:
        assert findings == []
        return
    assert findings == [
        Finding(
            rule_id="slip",
            kind="schedule_slip",
            cause="issue_overdue",
            subject_kind="issue",
            subject_key="acme/portal#9",
            severity=Severity.CRITICAL,
            fingerprint=make_fingerprint("slip", "issue_overdue", "acme/portal#9"),
            evidence={"title": "Invoice export", "due_on": due_on, "days_overdue": expected},
            label="schedule-risk",
            comment=True,
        )
    ]


def test_issue_overdue_ack() -> None:
    issue = mk.issue(9, due_on=TODAY - timedelta(days=1), labels=["forewarn-ack"])
    (finding,) = evaluate(snapshot([issue], []))
    assert finding.acked is True


@pytest.mark.parametrize(
    "milestone",
    [
        mk.milestone(1, due_on=None),
        mk.milestone(1, due_on=TODAY - timedelta(days=3), state="closed"),
    ],
)
def test_milestones_without_a_due_date_or_closed_are_skipped(milestone: Milestone) -> None:
    assert evaluate(snapshot([*open_issues(3), *closed(STEADY)], [milestone])) == []


def test_exempt_issues_are_neither_remaining_work_nor_throughput() -> None:
    milestone = mk.milestone(1, due_on=TODAY + timedelta(days=1))
    chores = [mk.issue(n, milestones=[1], labels=["chore"]) for n in range(1, 50)]
    snap = snapshot([*open_issues(2, first=100), *chores, *closed(STEADY)], [milestone])
    assert evaluate(snap, exempt_labels="chore") == []
    (finding,) = evaluate(snap)
    assert finding.evidence["open_count"] == 51


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"window": "3d"}, "window must be at least 1w"),
        ({"confidence": 1}, "less than 1"),
        ({"confidence": 0}, "greater than 0"),
        ({"trials": 99}, "greater than or equal to 100"),
        ({"trials": 100_001}, "less than or equal to 100000"),
        ({"weeks": 8}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_options(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        options(**overrides)


def test_defaults() -> None:
    defaults = options()
    assert (defaults.window, defaults.confidence, defaults.trials, defaults.per_issue,
            defaults.label) == (8 * WEEK, 0.85, 2000, True, "schedule-risk")


def test_order_independent_and_seeded() -> None:
    milestones = [mk.milestone(m, due_on=TODAY + timedelta(days=3 * m)) for m in range(1, 6)]
    issues = [mk.issue(n, milestones=[1 + n % 5], due_on=TODAY - timedelta(days=n % 3))
              for n in range(1, 40)]
    issues += closed([3, 0, 5, 1, 0, 2, 4, 0])
    history = {mk.milestone_key(2): [(mk.at(-9), TODAY)]}
    snap = snapshot(issues, milestones)
    first = evaluate(snap, due_dates=history, seed=42)
    assert first == evaluate(snap, due_dates=history, seed=42)
    assert first == evaluate(reversed_snapshot(snap), due_dates=history, seed=42)
    assert [f.fingerprint for f in first] == sorted(f.fingerprint for f in first)
    assert {f.cause for f in first} == {"schedule", "moved", "issue_overdue"}


# -- points: the forecast draws points closed per week against the open points ------------


def estimated(issues: Sequence[Issue], points: float | None) -> list[Issue]:
    return [dataclasses.replace(issue, estimate=points) for issue in issues]


# Three open issues due in a week; the team closed one issue a day (7 a week), each of
# `done_points`. Sized `open_points` each, they are at risk when 3 × open_points is more
# than a week's points; unestimated ones weigh the average of the estimated ones.
@pytest.mark.parametrize(
    ("open_points", "done_points", "status", "remaining_points"),
    [
        (None, None, None, None),            # counted in issues: 3 of 7 a week, on time
        (1, 1, None, 3),                     # 3 points of 7 a week: on time
        (13, 1, "at_risk", 39),              # 39 points at 7 a week: five more weeks
        (None, 1, None, 3),                  # unestimated: the average (1 point) each
        (13, None, None, None),              # closed unestimated: the average (13), 91 a week
    ],
)
def test_forecast_in_points(open_points: float | None, done_points: float | None,
                            status: str | None, remaining_points: float | None) -> None:
    milestone = mk.milestone(1, due_on=TODAY + timedelta(days=7))
    issues = [*estimated(open_issues(3), open_points), *estimated(closed(STEADY), done_points)]
    found = [f for f in evaluate(snapshot(issues, [milestone])) if f.cause == "schedule"]
    if status is None:
        assert found == []
        return
    (finding,) = found
    assert (finding.evidence["status"], finding.evidence["remaining_points"]) == \
        (status, remaining_points)


def test_weekly_throughput_in_points() -> None:
    issues = [*estimated(closed([1]), 13), *estimated(closed([0, 2], first=2000), 2)]
    size = sizing(issues)
    assert schedule_slip.weekly_throughput(issues, mk.ctx(NOW), weeks=2, size=size) == [13, 4]
