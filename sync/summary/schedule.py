"""When summaries happen: the period a moment falls in, and the next scheduled time.

``summary.every`` is a weekday (or ``daily``) and HH:MM in the project
calendar's time zone. A weekly schedule's period is the ISO week
(``2026-W48``), a daily one's the local date (``2026-11-25``): one summary
comment per period, edited in place while the period lasts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from config.summary import Summary as SummarySettings


def summary_period(settings: SummarySettings, timezone: str, now: datetime) -> str:
    """The period ``now`` falls in: the ISO week (weekly schedules) or the day, locally."""
    local = now.astimezone(ZoneInfo(timezone)).date()
    if settings.weekday is None:
        return local.isoformat()
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def next_summary_at(settings: SummarySettings, timezone: str, after: datetime) -> datetime:
    """The first scheduled instant strictly after ``after`` (UTC), e.g. next Monday 09:00."""
    zone = ZoneInfo(timezone)
    day: date = after.astimezone(zone).date()
    for offset in range(8):
        candidate_day = day + timedelta(days=offset)
        if settings.weekday is not None and candidate_day.weekday() != settings.weekday:
            continue
        candidate = datetime.combine(candidate_day, settings.at, tzinfo=zone)
        if candidate > after:
            return candidate.astimezone(UTC)
    msg = f"no slot for schedule {settings.every!r}"  # unreachable: a week has every weekday
    raise ValueError(msg)
