"""Reminders before a deadline: when each one is due. Pure, like the rules they serve.

A rule's ``remind`` option lists the points; the notification planner
(sync/notify/plan.py) sends each one once, to the channels of the rule and
the project::

    rules:
      - {id: feedback, kind: unanswered_feedback, sla: 24h, remind: [50%, 2h]}
      - {id: slip, kind: schedule_slip, remind: [3d, 1d]}

* **A reply SLA** (``unanswered_feedback``): ``50%`` is due once half the SLA
  has passed, ``2h`` once two business hours are left before the deadline.
  Both count business time of the project calendar, paused time excluded, like
  the SLA itself; a point at or past the deadline is never due (the breach
  alert says it then). A reminder may come before the rule reports anything
  (its warning starts at ``warn_at``): it is planned from the waits
  (``unanswered_feedback.waiting``), not from the findings.
* **A milestone** (``schedule_slip``): ``3d`` is due on the third working day
  before the due date when the forecast says the milestone will slip (its
  ``at_risk`` finding), and on every later day until the due date.

A reminder is due only inside the calendar's business hours: one that becomes
due at 18:05 goes out at the first cycle after the next day's opening. Points
that became due together (a daemon that was down) make one reminder, the
latest of them, which stands for the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, PlainSerializer

from rules.base import Finding
from rules.options import format_duration, parse_duration

if TYPE_CHECKING:
    from rules.calendar import BusinessCalendar
    from rules.unanswered_feedback import Waiting

_PERCENT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_DAYS_RE = re.compile(r"^\s*(\d+)\s*d\s*$")
#: Working days looked at before a due date (a reminder further ahead is refused).
MAX_DAYS = 60


@dataclass(frozen=True, slots=True)
class RemindPoint:
    """A point before a reply deadline: a share of the SLA passed, or time left."""

    text: str
    share: float | None = None
    before: timedelta | None = None

    def threshold(self, sla: timedelta) -> timedelta | None:
        """Business time elapsed when it is due; None when it would be at or past the SLA."""
        at = sla * self.share if self.share is not None else sla - (self.before or sla)
        return at if timedelta(0) <= at < sla else None


def _point(value: Any) -> RemindPoint:
    if isinstance(value, RemindPoint):
        return value
    if isinstance(value, str) and (match := _PERCENT_RE.match(value)):
        share = float(match.group(1)) / 100
        if not 0 < share < 1:
            msg = f"a share of the SLA is between 0% and 100%, not {value!r}"
            raise ValueError(msg)
        return RemindPoint(text=f"{match.group(1)}%", share=share)
    try:
        before = parse_duration(value)
    except ValueError:
        msg = f"not a reminder point: {value!r} (a share of the SLA like 50%, or time left like 2h)"
        raise ValueError(msg) from None
    if before <= timedelta(0):
        msg = f"a reminder needs time left before the deadline, not {value!r}"
        raise ValueError(msg)
    return RemindPoint(text=format_duration(before), before=before)


def _points(value: Any) -> Any:
    if value is None:
        return ()
    items = [value] if isinstance(value, str | int | float) else value
    if not isinstance(items, list | tuple):
        return value
    return tuple(dict.fromkeys(_point(item) for item in items))


def _days(value: Any) -> Any:
    if value is None:
        return ()
    items = [value] if isinstance(value, str | int) else value
    if not isinstance(items, list | tuple):
        return value
    days: list[int] = []
    for item in items:
        match = _DAYS_RE.match(item) if isinstance(item, str) else None
        number = int(match.group(1)) if match else item
        if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= MAX_DAYS:
            msg = f"not a number of working days: {item!r} (like 3d, at most {MAX_DAYS}d)"
            raise ValueError(msg)
        days.append(number)
    return tuple(sorted(set(days), reverse=True))


ReplyPoints = Annotated[
    tuple[RemindPoint, ...],
    BeforeValidator(_points),
    PlainSerializer(lambda points: [point.text for point in points], return_type=list[str]),
    Field(json_schema_extra={"type": "array", "items": {"type": "string"}}),
]
WorkingDays = Annotated[
    tuple[int, ...],
    BeforeValidator(_days),
    PlainSerializer(lambda days: [f"{day}d" for day in days], return_type=list[str]),
    Field(json_schema_extra={"type": "array", "items": {"type": ["string", "integer"]}}),
]


@dataclass(frozen=True, slots=True)
class Due:
    """A reminder due now: the points it stands for (the last one is its name)."""

    rule_id: str
    fingerprint: str
    subject_key: str
    points: tuple[str, ...]
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def point(self) -> str:
        return self.points[-1]


def in_business_hours(calendar: BusinessCalendar, at: datetime) -> bool:
    """Whether ``at`` falls inside the calendar's working hours (a business day, open)."""
    local = at.astimezone(ZoneInfo(calendar.timezone))
    if not calendar.is_business_day(local.date()):
        return False
    opens = local.replace(hour=calendar.start.hour, minute=calendar.start.minute, second=0,
                          microsecond=0)
    if calendar.end.hour == 0 and calendar.end.minute == 0:
        return local >= opens
    closes = local.replace(hour=calendar.end.hour, minute=calendar.end.minute, second=0,
                           microsecond=0)
    return opens <= local < closes


def reply_reminders(
    waits: Iterable[Waiting], points: Sequence[RemindPoint], *, rule_id: str,
    calendar: BusinessCalendar, now: datetime,
) -> list[Due]:
    """The reminders due now for clients waiting on a reply (see the module docstring)."""
    if not points or not in_business_hours(calendar, now):
        return []
    due: list[Due] = []
    for wait in waits:
        if wait.elapsed >= wait.sla:
            continue
        reached = sorted(
            (threshold, point.text) for point in points
            if (threshold := point.threshold(wait.sla)) is not None and wait.elapsed >= threshold)
        if not reached:
            continue
        evidence = {
            "title": wait.issue.title, "client": wait.client, "asked_at": wait.asked_at,
            "deadline": wait.deadline, "sla": format_duration(wait.sla),
            "left_hours": round((wait.sla - wait.elapsed).total_seconds() / 3600, 1),
            "assignees": list(wait.assignees), "url": wait.issue.url,
        }
        due.append(Due(rule_id=rule_id, fingerprint=wait.fingerprint,
                       subject_key=wait.issue.key,
                       points=tuple(text for _, text in reached), evidence=evidence))
    return due


def working_days_left(calendar: BusinessCalendar, today: date, due_on: date) -> int:
    """Working days after ``today`` up to and including ``due_on``."""
    days = 0
    day = today + timedelta(days=1)
    while day <= due_on and days <= MAX_DAYS:
        days += calendar.is_business_day(day)
        day += timedelta(days=1)
    return days


def milestone_reminders(
    findings: Iterable[Finding], days: Sequence[int], *, rule_id: str,
    calendar: BusinessCalendar, now: datetime,
) -> list[Due]:
    """The reminders due now for milestones forecast to slip (schedule_slip's at_risk)."""
    if not days or not in_business_hours(calendar, now):
        return []
    today = calendar.local_date(now)
    due: list[Due] = []
    for finding in findings:
        evidence = finding.evidence
        due_on = evidence.get("due_on")
        if (finding.rule_id != rule_id or finding.cause != "schedule"
                or evidence.get("status") != "at_risk" or not isinstance(due_on, date)
                or due_on < today):
            continue
        left = working_days_left(calendar, today, due_on)
        reached = [f"{day}d" for day in days if left <= day]
        if reached:
            due.append(Due(rule_id=rule_id, fingerprint=finding.fingerprint,
                           subject_key=finding.subject_key, points=tuple(reached),
                           evidence={**evidence, "days_left": left}))
    return due
