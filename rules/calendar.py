"""Business time: the project's time zone, workdays, working hours and public holidays.

``unanswered_feedback`` counts its SLA in business time and ``schedule_slip``
asks this calendar what "today" is. A calendar is declared once in the YAML
and named by each project::

    calendars:
      shanghai: {timezone: Asia/Shanghai, workdays: [mon, tue, wed, thu, fri],
                 hours: "09:00-18:00", holidays: CN}

Semantics:

* A *business day* is a local date whose weekday is a workday and which is not
  a public holiday of the ``holidays`` country (and ``subdiv``, a state or
  province) nor one of ``extra_holidays``. Make-up working days that the
  ``holidays`` package knows (China moves weekends around its Golden Weeks:
  Sunday 2026-09-20 and Saturday 2026-10-10 are working days) count as
  business days even though they fall on a weekend.
* Business hours run from ``start`` to ``end`` local wall-clock time on each
  business day; ``end=time(0)`` means midnight at the end of the day. The time
  between two instants is the sum of the real (UTC) time they share with those
  windows, so a DST change inside business hours is counted as the clock
  actually ran.
* Holidays are loaded lazily, one year at a time, and cached; day windows are
  kept in a prefix-sum table, so ``business_time`` costs two look-ups and
  ``add_business_time`` one bisection, whatever the span.

Every argument and result datetime is timezone-aware (results are UTC); a
naive datetime is refused rather than guessed.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

#: Days of table built around the first day asked for, and added per extension.
_CHUNK_DAYS = 400
#: add_business_time gives up when no business day follows within this many days.
_MAX_SEARCH_DAYS = 3660


@dataclass(slots=True)
class _Table:
    """Day windows of the ordinals [lo, lo + len(starts)).

    ``midnights[i]`` is the instant local day i begins (one more entry marks the
    end of the last day), ``starts``/``ends`` its business window (equal on a
    day off) and ``prefix[i]`` the business seconds of days [lo, lo + i). All
    instants are POSIX timestamps.
    """

    lo: int
    midnights: list[float]
    starts: list[float]
    ends: list[float]
    prefix: list[float]


class BusinessCalendar:
    """Business hours of one project (see the module docstring)."""

    def __init__(
        self,
        *,
        timezone: str = "UTC",
        workdays: Iterable[int] = (0, 1, 2, 3, 4),
        start: time = time(9),
        end: time = time(18),
        holidays: str | None = None,
        subdiv: str | None = None,
        extra_holidays: Iterable[date] = (),
    ) -> None:
        try:
            self._tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone: {timezone!r}"
            raise ValueError(msg) from None
        self.timezone = timezone
        self.workdays = frozenset(workdays)
        if not self.workdays <= set(range(7)):
            msg = f"workdays are 0 (Monday) to 6 (Sunday), not {sorted(self.workdays)}"
            raise ValueError(msg)
        if start.tzinfo is not None or end.tzinfo is not None:
            msg = "business hours are local wall-clock times without a zone"
            raise ValueError(msg)
        self._until_midnight = end == time(0)
        if not self._until_midnight and end <= start:
            msg = f"business hours end ({end.isoformat()}) before they start ({start.isoformat()})"
            raise ValueError(msg)
        self.start = start
        self.end = end
        self.holidays = holidays.upper() if holidays else None
        self.subdiv = subdiv
        if self.holidays:
            try:
                holidays_lib.country_holidays(self.holidays, subdiv=subdiv, years=())
            except NotImplementedError as exc:
                msg = f"unknown public holiday calendar {self.holidays!r}: {exc}"
                raise ValueError(msg) from None
        self.extra_holidays = frozenset(extra_holidays)
        self._years: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
        self._table: _Table | None = None
        self._end_memo: tuple[datetime, tuple[_Table, int, float]] | None = None
        self._lock = threading.Lock()
        self._day_seconds = self.day_hours * 3600

    def __repr__(self) -> str:
        hours = f"{self.start.isoformat('minutes')}-{self.end.isoformat('minutes')}"
        return (
            f"BusinessCalendar(timezone={self.timezone!r}, workdays={sorted(self.workdays)}, "
            f"hours={hours!r}, holidays={self.holidays!r}, subdiv={self.subdiv!r})"
        )

    @property
    def day_hours(self) -> float:
        """Hours in one working day (9:00-18:00 is 9): what a "working day" of an SLA means."""
        start = self.start.hour + self.start.minute / 60 + self.start.second / 3600
        if self._until_midnight:
            return 24 - start
        end = self.end.hour + self.end.minute / 60 + self.end.second / 3600
        return end - start

    # -- days -------------------------------------------------------------

    def _year(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        """(public holidays, make-up working days) of one year, loaded once."""
        cached = self._years.get(year)
        if cached is None:
            if self.holidays:
                table = holidays_lib.country_holidays(self.holidays, subdiv=self.subdiv, years=year)
                off = frozenset(day for day in table if day.year == year)
                make_up = getattr(table, "weekend_workdays", ()) or ()
                on = frozenset(day for day in make_up if day.year == year)
                cached = (off, on)
            else:
                cached = (frozenset(), frozenset())
            self._years[year] = cached
        return cached

    def is_business_day(self, day: date) -> bool:
        if day in self.extra_holidays:
            return False
        off, on = self._year(day.year)
        if day in off:
            return False
        return day.weekday() in self.workdays or day in on

    def local_date(self, at: datetime) -> date:
        """The date on the project's wall calendar at an instant ("today" for ``now``)."""
        return _aware(at).astimezone(self._tz).date()

    def _midnight(self, ordinal: int) -> float:
        return datetime.combine(date.fromordinal(ordinal), time(0), tzinfo=self._tz).timestamp()

    def _window(self, ordinal: int) -> tuple[float, float]:
        day = date.fromordinal(ordinal)
        if not self.is_business_day(day):
            return (0.0, 0.0)
        opens = datetime.combine(day, self.start, tzinfo=self._tz).timestamp()
        if self._until_midnight:
            closes = self._midnight(ordinal + 1)
        else:
            closes = datetime.combine(day, self.end, tzinfo=self._tz).timestamp()
        return (opens, max(opens, closes))

    # -- the prefix table -------------------------------------------------

    def _build(self, lo: int, hi: int, old: _Table | None) -> _Table:
        """A table for ordinals [lo, hi), reusing the day windows ``old`` already holds."""
        midnights: list[float] = []
        starts: list[float] = []
        ends: list[float] = []
        prefix = [0.0]
        total = 0.0
        for ordinal in range(lo, hi):
            index = ordinal - old.lo if old is not None else -1
            if old is not None and 0 <= index < len(old.starts):
                midnight, opens, closes = old.midnights[index], old.starts[index], old.ends[index]
            else:
                midnight = self._midnight(ordinal)
                opens, closes = self._window(ordinal)
            midnights.append(midnight)
            starts.append(opens)
            ends.append(closes)
            total += closes - opens
            prefix.append(total)
        midnights.append(self._midnight(hi))
        return _Table(lo, midnights, starts, ends, prefix)

    def _grow(self, ordinal: int) -> _Table:
        """The table grown (rarely) so that it holds ``ordinal``."""
        with self._lock:
            table = self._table
            if table is None:
                table = self._build(ordinal - _CHUNK_DAYS, ordinal + _CHUNK_DAYS, None)
            else:
                hi = table.lo + len(table.starts)
                if ordinal < table.lo:
                    table = self._build(ordinal - _CHUNK_DAYS, hi, table)
                elif ordinal >= hi:
                    table = self._build(table.lo, ordinal + _CHUNK_DAYS, table)
            # Replaced whole so that a concurrent reader never sees half a table.
            self._table = table
            return table

    def _cumulative(self, at: datetime) -> tuple[_Table, int, float]:
        """(table, day index, business seconds from the table's first day to ``at``)."""
        if at.tzinfo is None:
            _aware(at)
        moment = at.timestamp()
        table = self._table
        # Finding the local day by bisecting midnights is several times cheaper
        # than converting each instant to the project's zone.
        if table is None or not table.midnights[0] <= moment < table.midnights[-1]:
            table = self._grow(at.astimezone(self._tz).toordinal())
        index = bisect_right(table.midnights, moment) - 1
        opens = table.starts[index]
        closes = table.ends[index]
        if moment <= opens:
            partial = 0.0
        elif moment >= closes:
            partial = closes - opens
        else:
            partial = moment - opens
        return table, index, table.prefix[index] + partial

    # -- business time ----------------------------------------------------

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants (zero when ``end`` is not after ``start``)."""
        return timedelta(seconds=self._business_seconds(start, end))

    def working_days(self, start: datetime, end: datetime) -> float:
        """Business time between two instants in working days of this calendar's length.

        "5 working days without activity" is 45 business hours with 9-hour days:
        holidays, weekends and nights do not count, a DST change counts as it ran.
        """
        return self._business_seconds(start, end) / self._day_seconds

    def after_working_days(self, start: datetime, days: float) -> datetime:
        """When ``days`` working days of business time have passed since ``start``: the
        instant ``working_days(start, ...)`` reaches ``days`` (UTC)."""
        return self.add_business_time(start, timedelta(seconds=days * self._day_seconds))

    def _business_seconds(self, start: datetime, end: datetime) -> float:
        # Rules ask "from X until now" thousands of times: remember the last end.
        memo = self._end_memo
        if memo is not None and memo[0] is end:
            high = memo[1]
        else:
            high = self._cumulative(end)
            self._end_memo = (end, high)
        low = self._cumulative(start)
        while high[0] is not low[0]:  # the table grew in between: look both up again
            high = self._cumulative(end)
            low = self._cumulative(start)
        return max(0.0, high[2] - low[2])

    def add_business_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant when ``amount`` of business time has passed since ``start`` (UTC).

        The result is inside a business window (the end of one when the amount
        runs out exactly there: 9 hours from Monday 09:00 is Monday 18:00).
        """
        start = _aware(start)
        seconds = amount.total_seconds()
        if seconds <= 0:
            return start.astimezone(UTC)
        while True:
            table, index, base = self._cumulative(start)
            target = base + seconds
            found = bisect_left(table.prefix, target, index + 1)
            if found < len(table.prefix):
                day = found - 1
                moment = min(table.starts[day] + (target - table.prefix[day]), table.ends[day])
                return datetime.fromtimestamp(moment, UTC)
            if len(table.starts) - index > _MAX_SEARCH_DAYS:
                msg = f"no business time within {_MAX_SEARCH_DAYS} days after {start.isoformat()}"
                raise ValueError(msg)
            self._grow(table.lo + len(table.starts))

def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        msg = f"naive datetime {value.isoformat()} (every timestamp must carry a zone)"
        raise ValueError(msg)
    return value
