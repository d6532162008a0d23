"""When a reminder before a deadline is due (rules/reminders.py): points, hours, working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from connectors.model import Issue
from rules.base import Finding, Severity
from rules.calendar import BusinessCalendar
from rules.reminders import (
    RemindPoint,
    in_business_hours,
    milestone_reminders,
    reply_reminders,
    working_days_left,
)
from rules.schedule_slip import Options as SlipOptions
from rules.unanswered_feedback import Options as FeedbackOptions
from rules.unanswered_feedback import Waiting

SHANGHAI = BusinessCalendar(timezone="Asia/Shanghai", start=time(9), end=time(18), holidays="CN")
TUESDAY_1305 = datetime(2026, 11, 24, 5, 5, tzinfo=UTC)


def wait(elapsed_hours: float, sla_hours: float = 24) -> Waiting:
    issue = Issue(key="p#7", title="Login fails", url="https://t.example/7", state="open",
                  created_at=TUESDAY_1305 - timedelta(days=3), author="carol")
    return Waiting(issue=issue, asked_at=TUESDAY_1305 - timedelta(days=1), anchor="c1",
                   client="Carol", assignees=("Alice",), sla=timedelta(hours=sla_hours),
                   elapsed=timedelta(hours=elapsed_hours),
                   deadline=TUESDAY_1305 + timedelta(hours=20), fingerprint="feedback.1")


@pytest.mark.parametrize(("written", "expected"), [
    (["50%"], ("50%",)),
    (["2h", "50%", "2h"], ("2h", "50%")),
    ("25%", ("25%",)),
    (["90m"], ("90m",)),
])
def test_reply_points_as_written(written: object, expected: tuple[str, ...]) -> None:
    options = FeedbackOptions.model_validate(
        {"id": "f", "kind": "unanswered_feedback", "remind": written})
    assert tuple(point.text for point in options.remind) == expected
    assert options.model_dump()["remind"] == list(expected)


@pytest.mark.parametrize(("written", "message"), [
    (["100%"], "a share of the SLA is between 0% and 100%, not '100%'"),
    (["soon"], "not a reminder point: 'soon' (a share of the SLA like 50%, or time left "
               "like 2h)"),
    ([0], "not a reminder point: 0 (a share of the SLA like 50%, or time left like 2h)"),
])
def test_bad_reply_points_are_refused(written: object, message: str) -> None:
    with pytest.raises(ValueError, match="remind") as raised:
        FeedbackOptions.model_validate({"id": "f", "kind": "unanswered_feedback",
                                        "remind": written})
    assert message in str(raised.value)


@pytest.mark.parametrize(("written", "expected"), [
    (["3d", "1d"], (3, 1)), ([1, "3d", 1], (3, 1)), ("2d", (2,)),
])
def test_milestone_points_are_working_days(written: object, expected: tuple[int, ...]) -> None:
    options = SlipOptions.model_validate({"id": "s", "kind": "schedule_slip", "remind": written})
    assert options.remind == expected


@pytest.mark.parametrize(("point", "sla", "threshold"), [
    (RemindPoint("50%", share=0.5), 24, 12),
    (RemindPoint("2h", before=timedelta(hours=2)), 24, 22),
    (RemindPoint("30h", before=timedelta(hours=30)), 24, None),  # before the question
    (RemindPoint("24h", before=timedelta(hours=24)), 24, 0),
])
def test_a_point_is_an_elapsed_threshold(point: RemindPoint, sla: int,
                                         threshold: int | None) -> None:
    got = point.threshold(timedelta(hours=sla))
    assert got == (None if threshold is None else timedelta(hours=threshold))


POINTS = (RemindPoint("50%", share=0.5), RemindPoint("2h", before=timedelta(hours=2)))


@pytest.mark.parametrize(("elapsed", "due"), [
    (11.9, None), (12, ("50%",)), (21.9, ("50%",)), (22, ("50%", "2h")),
    (24, None),  # breached: the alert says it now
])
def test_reply_reminders_due(elapsed: float, due: tuple[str, ...] | None) -> None:
    found = reply_reminders([wait(elapsed)], POINTS, rule_id="feedback", calendar=SHANGHAI,
                            now=TUESDAY_1305)
    assert [item.points for item in found] == ([] if due is None else [due])


@pytest.mark.parametrize(("now", "open_"), [
    (datetime(2026, 11, 24, 1, 0, tzinfo=UTC), True),     # Tuesday 09:00
    (datetime(2026, 11, 24, 9, 59, tzinfo=UTC), True),    # 17:59
    (datetime(2026, 11, 24, 10, 0, tzinfo=UTC), False),   # 18:00
    (datetime(2026, 11, 24, 19, 0, tzinfo=UTC), False),   # 03:00 on Wednesday
    (datetime(2026, 11, 28, 3, 0, tzinfo=UTC), False),    # Saturday 11:00
    (datetime(2026, 10, 1, 3, 0, tzinfo=UTC), False),     # National Day
])
def test_reminders_wait_for_business_hours(now: datetime, open_: bool) -> None:
    assert in_business_hours(SHANGHAI, now) is open_
    found = reply_reminders([wait(13)], POINTS, rule_id="f", calendar=SHANGHAI, now=now)
    assert bool(found) is open_


def at_risk(due_on: date, status: str = "at_risk") -> Finding:
    return Finding(rule_id="slip", kind="schedule_slip", cause="schedule",
                   subject_kind="milestone", subject_key="p/milestones/1",
                   severity=Severity.WARNING, fingerprint="slip.1",
                   evidence={"milestone_title": "v1.0", "due_on": due_on, "status": status,
                             "probability": 0.4})


@pytest.mark.parametrize(("due_on", "left", "due"), [
    (date(2026, 11, 30), 4, []),                 # Tuesday -> next Monday: 4 working days
    (date(2026, 11, 27), 3, ["3d"]),             # -> Friday: Wed, Thu, Fri
    (date(2026, 11, 25), 1, ["3d", "1d"]),       # -> tomorrow
    (date(2026, 11, 24), 0, ["3d", "1d"]),       # due today
])
def test_milestone_reminders_count_working_days(due_on: date, left: int,
                                                due: list[str]) -> None:
    assert working_days_left(SHANGHAI, date(2026, 11, 24), due_on) == left
    found = milestone_reminders([at_risk(due_on)], (3, 1), rule_id="slip", calendar=SHANGHAI,
                                now=TUESDAY_1305)
    assert [list(item.points) for item in found] == ([due] if due else [])


def test_only_a_forecast_slip_is_reminded() -> None:
    overdue = at_risk(date(2026, 11, 20), status="overdue")
    assert milestone_reminders([overdue], (3,), rule_id="slip", calendar=SHANGHAI,
                               now=TUESDAY_1305) == []
