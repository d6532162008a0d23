from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from rules.calendar import BusinessCalendar

T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: float, hour: float = 0, minute: float = 0, second: float = 0) -> datetime:
    return T0 + timedelta(days=day, hours=hour, minutes=minute, seconds=second)


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=zone).astimezone(UTC)


UTC_CAL = BusinessCalendar()
CN_CAL = BusinessCalendar(timezone="Asia/Shanghai", holidays="CN")
BERLIN_CAL = BusinessCalendar(timezone="Europe/Berlin", holidays="DE", subdiv="BE")
ALWAYS_BERLIN = BusinessCalendar(timezone="Europe/Berlin", workdays=range(7), start=time(0),
                                 end=time(0))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(0, 9), at(0, 18), 9 * H),                 # one whole working day
        (at(0, 10), at(0, 12), 2 * H),                # inside the hours
        (at(0, 7), at(0, 8), 0 * H),                  # before opening
        (at(0, 17), at(1, 10), 2 * H),                # across a night
        (at(4, 17), at(7, 10), 2 * H),                # Friday to Monday: the weekend is free
        (at(5, 10), at(6, 23), 0 * H),                # inside a weekend
        (at(0, 12), at(0, 10), 0 * H),                # end before start
        (at(0, 0), at(7, 0), 45 * H),                 # a week
        (at(0, 0), at(28, 0), 180 * H),               # four weeks
        (at(0, 9, 30, 15), at(0, 9, 45), timedelta(minutes=14, seconds=45)),
    ],
)
def test_business_time_utc(start: datetime, end: datetime, expected: timedelta) -> None:
    assert UTC_CAL.business_time(start, end) == expected


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        (at(0, 9), 9 * H, at(0, 18)),                 # ends exactly at closing, not next morning
        (at(0, 17), 2 * H, at(1, 10)),
        (at(4, 17), 2 * H, at(7, 10)),                # over the weekend
        (at(5, 12), 1 * H, at(7, 10)),                # asked on Saturday
        (at(0, 20), timedelta(minutes=30), at(1, 9, 30)),
        (at(0, 10), 0 * H, at(0, 10)),
        (at(0, 7), 9 * H, at(0, 18)),
        (at(0, 18), timedelta(seconds=1), at(1, 9, 0, 1)),
        (at(0, 9), 45 * H, at(4, 18)),
    ],
)
def test_add_business_time_utc(start: datetime, amount: timedelta, expected: datetime) -> None:
    result = UTC_CAL.add_business_time(start, amount)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [
        # Berlin springs forward on Sunday 2026-03-29: Monday opens at 07:00 UTC, not 08:00.
        (BERLIN_CAL, local(BERLIN, 2026, 3, 27, 9), local(BERLIN, 2026, 3, 30, 10), 10 * H),
        (BERLIN_CAL, datetime(2026, 3, 27, 8, tzinfo=UTC), datetime(2026, 3, 30, 8, tzinfo=UTC),
         10 * H),
        # Round the clock: the local weekend of the change lasts 47 real hours...
        (ALWAYS_BERLIN, local(BERLIN, 2026, 3, 28), local(BERLIN, 2026, 3, 30), 47 * H),
        # ...and the Sunday clocks fall back lasts 25.
        (ALWAYS_BERLIN, local(BERLIN, 2026, 10, 25), local(BERLIN, 2026, 10, 26), 25 * H),
        # Easter Monday 2026-04-06 is a public holiday in Berlin.
        (BERLIN_CAL, local(BERLIN, 2026, 4, 3, 9), local(BERLIN, 2026, 4, 7, 18), 9 * H),
    ],
)
def test_business_time_across_dst_and_holidays(
    calendar: BusinessCalendar, start: datetime, end: datetime, expected: timedelta
) -> None:
    assert calendar.business_time(start, end) == expected


def test_add_business_time_across_dst() -> None:
    start = local(BERLIN, 2026, 3, 27, 9)
    assert BERLIN_CAL.add_business_time(start, 10 * H) == datetime(2026, 3, 30, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 9, 30), True),                    # Wednesday before National Day
        (date(2026, 10, 1), False),                   # National Day
        (date(2026, 10, 4), False),                   # Sunday inside the Golden Week
        (date(2026, 10, 7), False),                   # Wednesday, still a holiday
        (date(2026, 10, 8), True),                    # back to work
        (date(2026, 10, 10), True),                   # Saturday make-up working day
        (date(2026, 10, 11), False),                  # an ordinary Sunday
        (date(2026, 9, 20), True),                    # Sunday make-up working day
        (date(2026, 9, 19), False),                   # an ordinary Saturday
        (date(2026, 2, 17), False),                   # Spring Festival
    ],
)
def test_cn_business_days(day: date, expected: bool) -> None:
    assert CN_CAL.is_business_day(day) is expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Wednesday 30 Sep 09:00 to Friday 9 Oct 18:00 (Shanghai): 3 working days, not 8.
        (local(SHANGHAI, 2026, 9, 30, 9), local(SHANGHAI, 2026, 10, 9, 18), 27 * H),
        (local(SHANGHAI, 2026, 9, 30, 17), local(SHANGHAI, 2026, 10, 8, 10), 2 * H),
        (local(SHANGHAI, 2026, 10, 2, 9), local(SHANGHAI, 2026, 10, 6, 18), 0 * H),
        # The make-up Saturday counts.
        (local(SHANGHAI, 2026, 10, 9, 17), local(SHANGHAI, 2026, 10, 12, 10), 11 * H),
    ],
)
def test_cn_business_time(start: datetime, end: datetime, expected: timedelta) -> None:
    assert CN_CAL.business_time(start, end) == expected


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        (local(SHANGHAI, 2026, 9, 30, 9), 16 * H, local(SHANGHAI, 2026, 10, 8, 16)),
        (local(SHANGHAI, 2026, 9, 30, 9), 9 * H, local(SHANGHAI, 2026, 9, 30, 18)),
        (local(SHANGHAI, 2026, 9, 30, 18), timedelta(seconds=1),
         local(SHANGHAI, 2026, 10, 8, 9) + timedelta(seconds=1)),
        (local(SHANGHAI, 2026, 10, 3, 12), 1 * H, local(SHANGHAI, 2026, 10, 8, 10)),
    ],
)
def test_cn_add_business_time(start: datetime, amount: timedelta, expected: datetime) -> None:
    assert CN_CAL.add_business_time(start, amount) == expected


def test_extra_holidays() -> None:
    calendar = BusinessCalendar(extra_holidays=[date(2026, 3, 3)])
    assert calendar.business_time(at(0, 9), at(2, 18)) == 18 * H
    assert calendar.add_business_time(at(0, 18), 1 * H) == at(2, 10)
    assert not calendar.is_business_day(date(2026, 3, 3))


def test_custom_workdays_and_hours() -> None:
    calendar = BusinessCalendar(workdays=[6, 0], start=time(8), end=time(12))  # Sun and Mon
    assert calendar.business_time(at(0, 0), at(7, 0)) == 8 * H
    assert calendar.add_business_time(at(0, 11), 2 * H) == at(6, 9)


@pytest.mark.parametrize(
    ("zone", "instant", "expected"),
    [
        ("UTC", datetime(2026, 3, 1, 20, tzinfo=UTC), date(2026, 3, 1)),
        ("Asia/Shanghai", datetime(2026, 3, 1, 20, tzinfo=UTC), date(2026, 3, 2)),
        ("America/Los_Angeles", datetime(2026, 3, 2, 5, tzinfo=UTC), date(2026, 3, 1)),
    ],
)
def test_local_date(zone: str, instant: datetime, expected: date) -> None:
    assert BusinessCalendar(timezone=zone).local_date(instant) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone: 'Mars/Olympus'"),
        ({"workdays": [7]}, "workdays are 0 (Monday) to 6 (Sunday), not [7]"),
        ({"start": time(18), "end": time(9)},
         "business hours end (09:00:00) before they start (18:00:00)"),
        ({"holidays": "XX"}, "unknown public holiday calendar 'XX'"),
        ({"holidays": "US", "subdiv": "ZZ"}, "unknown public holiday calendar 'US'"),
    ],
)
def test_invalid_calendar(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        UTC_CAL.business_time(datetime(2026, 3, 2), at(1))
    with pytest.raises(ValueError, match="naive datetime"):
        UTC_CAL.add_business_time(datetime(2026, 3, 2), H)


def test_no_business_days_at_all() -> None:
    calendar = BusinessCalendar(workdays=[])
    assert calendar.business_time(at(0), at(30)) == timedelta(0)
    with pytest.raises(ValueError, match="no business time within"):
        calendar.add_business_time(at(0), H)


def test_far_apart_instants_grow_the_table_both_ways() -> None:
    calendar = BusinessCalendar()
    assert calendar.business_time(at(0, 9), at(0, 10)) == H
    # 2020 and 2030 are outside the table built for 2026: it grows, results stay exact.
    early = datetime(2020, 1, 6, 9, tzinfo=UTC)  # a Monday
    late = datetime(2030, 1, 7, 9, tzinfo=UTC)  # a Monday
    weeks = (late - early).days // 7
    assert calendar.business_time(early, late) == weeks * 45 * H
    assert calendar.add_business_time(early, weeks * 45 * H) == datetime(2030, 1, 4, 18,
                                                                         tzinfo=UTC)


BERLIN_HOLIDAYS = holidays.country_holidays("DE", subdiv="BE", years=range(2025, 2028))


def _reference_business_time(start: datetime, end: datetime) -> timedelta:
    """Day by day, straight from the definition (Berlin, 09:00-18:00, DE-BE holidays)."""
    off = BERLIN_HOLIDAYS
    total = timedelta(0)
    day = start.astimezone(BERLIN).date() - timedelta(days=1)
    while day <= end.astimezone(BERLIN).date() + timedelta(days=1):
        if day.weekday() < 5 and day not in off:
            opens = datetime.combine(day, time(9), tzinfo=BERLIN)
            closes = datetime.combine(day, time(18), tzinfo=BERLIN)
            overlap = min(closes, end) - max(opens, start)
            total += max(overlap, timedelta(0))
        day += timedelta(days=1)
    return total


def test_matches_the_definition_on_random_spans() -> None:
    rng = random.Random(7)
    base = datetime(2026, 3, 1, tzinfo=UTC)
    for _ in range(200):
        start = base + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
        end = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 40))
        expected = _reference_business_time(start, end)
        assert BERLIN_CAL.business_time(start, end) == expected
        amount = timedelta(minutes=rng.randrange(1, 60 * 100))
        deadline = BERLIN_CAL.add_business_time(start, amount)
        assert BERLIN_CAL.business_time(start, deadline) == amount
        assert _reference_business_time(start, deadline) == amount
