"""The burn-up of a milestone: scope and done at the end of each week since it started.

Per open milestone, at the end of each ISO week (project time zone) since it
started, and now: issues in the milestone then (from the milestone history)
and how many of them were closed by then; the latest ``BURNUP_WEEKS`` points.
Where the milestone is counted in points (``rules/sizing.py``), each point also
carries scope and done in points, and the chart draws those.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from connectors.model import Change, Issue, Milestone
from rules.sizing import ISSUES, Sizing, rounded
from sync.summary.model import BurnupPoint

Periods = list[tuple[datetime, datetime | None]]

#: At most this many weekly points in a burn-up.
BURNUP_WEEKS = 26


def burnup(
    members: Sequence[tuple[Issue, Periods]],
    milestone: Milestone, *, now: datetime, zone: ZoneInfo, size: Sizing = ISSUES,
) -> list[BurnupPoint]:
    """Scope and done at the end of each local ISO week since the milestone started, and now
    (also in points with a ``size`` in points)."""
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
        weighed = _in_points(members, at, size) if size.in_points else (None, None)
        points.append(BurnupPoint(on=day, week=f"{year}-W{week:02d}", scope=scope, done=done,
                                  scope_points=weighed[0], done_points=weighed[1]))
    return points


def _in_points(members: Sequence[tuple[Issue, Periods]], at: datetime, size: Sizing,
               ) -> tuple[float, float]:
    """Scope and done at ``at`` in points: each issue in the milestone then weighs its size."""
    scope = done = 0.0
    for issue, periods in members:
        if any(begin <= at and (until is None or at < until) for begin, until in periods):
            weight = size.weight(issue)
            scope += weight
            closed = issue.closed_at if not issue.is_open else None
            done += weight if closed is not None and closed <= at else 0.0
    return float(rounded(scope)), float(rounded(done))


def membership(milestone_key: str, *, members: Sequence[Issue],
               moved: dict[str, list[tuple[datetime, int]]], by_key: dict[str, Issue],
               ) -> list[tuple[Issue, Periods]]:
    """Per issue ever in the milestone, the periods it was in (end None: still in);
    ``moved``: issue key -> its (at, 1 = joined / 0 = left) events for this milestone."""
    keys = dict.fromkeys([issue.key for issue in members] + list(moved))
    found: list[tuple[Issue, Periods]] = []
    for key in keys:
        issue = by_key.get(key)
        if issue is None:
            continue
        periods = _periods(issue, milestone_key in issue.milestone_keys,
                           sorted(moved.get(key, ())))
        if periods:
            found.append((issue, periods))
    return found


def _periods(issue: Issue, member: bool, moves: list[tuple[datetime, int]]) -> Periods:
    periods: Periods = []
    start = issue.created_at if moves and moves[0][1] == 0 else None
    for at, kind in moves:
        if kind == 1 and start is None:
            start = at
        elif kind == 0 and start is not None:
            periods.append((start, at))
            start = None
    if start is not None:
        periods.append((start, None))
    if member and (not periods or periods[-1][1] is not None):
        # The history missed the latest join: in since the last event (or creation).
        periods.append((moves[-1][0] if moves else issue.created_at, None))
    if not member and periods and periods[-1][1] is None:
        periods.pop()  # the history missed the leave: left at an unknown time
    return periods


def milestone_moves(changes: Sequence[Change], keys: set[str],
                    ) -> dict[str, dict[str, list[tuple[datetime, int]]]]:
    """milestone -> issue key -> [(at, 1 = joined / 0 = left)], from the history."""
    moves: dict[str, dict[str, list[tuple[datetime, int]]]] = {key: {} for key in keys}
    for change in changes:
        if change.field != "milestone":
            continue
        if change.after in moves:
            moves[change.after].setdefault(change.issue_key, []).append((change.at, 1))
        if change.before in moves:
            moves[change.before].setdefault(change.issue_key, []).append((change.at, 0))
    return moves
