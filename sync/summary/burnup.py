"""The burn-up of a milestone: scope and done at the end of each week since it started.

Per open milestone, at the end of each ISO week (project time zone) since it
started, and now: issues in the milestone then (from the milestone history)
and how many of them were closed by then; the latest ``BURNUP_WEEKS`` points.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from connectors.model import Issue, Milestone
from sync.summary.model import BurnupPoint

#: At most this many weekly points in a burn-up.
BURNUP_WEEKS = 26


def burnup(
    members: Sequence[tuple[Issue, list[tuple[datetime, datetime | None]]]],
    milestone: Milestone, *, now: datetime, zone: ZoneInfo,
) -> list[BurnupPoint]:
    """Scope and done at the end of each local ISO week since the milestone started, and now."""
    starts = [periods[0][0] for _, periods in members]
    start = milestone.start_on or milestone.created_at or (min(starts) if starts else None)
    if start is None or start > now:
        return []
    end = milestone.closed_at if milestone.closed_at and milestone.closed_at < now else now
    local_start = start.astimezone(zone).date()
    monday = local_start - timedelta(days=local_start.weekday())
    instants: list[datetime] = []
    while True:
        monday += timedelta(weeks=1)
        week_end = datetime.combine(monday, time(0), tzinfo=zone)
        if week_end >= end:
            instants.append(end)
            break
        instants.append(week_end)
    # In scope at t: a period with begin <= t < end; done at t: closed by t within it.
    # Counted with sorted begins and ends, so a point costs two bisections.
    begins: list[datetime] = []
    ends: list[datetime] = []
    done_begins: list[datetime] = []
    done_ends: list[datetime] = []
    for issue, periods in members:
        closed = issue.closed_at if not issue.is_open else None
        for begin, until in periods:
            begins.append(begin)
            if until is not None:
                ends.append(until)
            if closed is not None and (until is None or closed < until):
                done_begins.append(max(begin, closed))
                if until is not None:
                    done_ends.append(until)
    for values in (begins, ends, done_begins, done_ends):
        values.sort()
    points: list[BurnupPoint] = []
    for at in instants[-BURNUP_WEEKS:]:
        scope = bisect_right(begins, at) - bisect_right(ends, at)
        done = bisect_right(done_begins, at) - bisect_right(done_ends, at)
        day = (at - timedelta(microseconds=1) if at is not end else at).astimezone(zone).date()
        year, week, _ = day.isocalendar()
        points.append(BurnupPoint(on=day, week=f"{year}-W{week:02d}", scope=scope, done=done))
    return points
