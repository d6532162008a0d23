"""Business calendars: the hours feedback clocks run in, and the weekday and HH:MM parsers.

A calendar is checked whole at start-up (the zone exists, the hours end after
they start, the holidays package knows the country and its subdivision), so
no rule meets a calendar it cannot count with. The summary's schedule reads
its weekday and time of day with the same parsers.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import date, time
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, field_validator, model_validator

from config.fields import FrozenModel
from rules.registry import suggest

if TYPE_CHECKING:
    from rules.calendar import BusinessCalendar

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
DEFAULT_CALENDAR_NAME = "default"


@functools.cache
def _countries() -> dict[str, list[str]]:
    import holidays

    supported: dict[str, list[str]] = holidays.list_supported_countries()
    return supported


def parse_clock(text: str) -> time:
    match = _CLOCK_RE.match(text.strip())
    if not match:
        msg = f'not a time of day: "{text}" (write HH:MM, like 09:00)'
        raise ValueError(msg)
    return time(int(match.group(1)), int(match.group(2)))


def parse_weekday(text: str) -> int | None:
    """0 for Monday, as Python counts; None when ``text`` is no weekday."""
    word = text.strip().lower()
    for number, (short, full) in enumerate(zip(WEEKDAYS, DAY_NAMES, strict=True)):
        if word in (short, full):
            return number
    return None


def _day(value: Any) -> Any:
    """``mon`` or ``Monday``, stored as ``mon``."""
    number = parse_weekday(value) if isinstance(value, str) else None
    if number is None:
        msg = f'not a weekday: "{value}" (use mon, tue, wed, thu, fri, sat, sun)'
        raise ValueError(msg)
    return WEEKDAYS[number]


class Calendar(FrozenModel):
    """Business hours: feedback clocks only run inside them."""

    timezone: str = Field(default="UTC", description="IANA time zone, like Asia/Shanghai.")
    workdays: tuple[Annotated[Weekday, BeforeValidator(_day)], ...] = Field(
        default=("mon", "tue", "wed", "thu", "fri"), description="mon..sun."
    )
    hours: str = Field(default="09:00-18:00", description="Working hours, HH:MM-HH:MM.")
    holidays: str | None = Field(
        default=None, description="Country code for public holidays (holidays package): CN, US, DE."
    )
    subdiv: str | None = Field(default=None, description="Subdivision (state, province) code.")
    extra_holidays: tuple[date, ...] = Field(default=(), description="Further days off.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            names = zoneinfo.available_timezones()
            msg = f'unknown time zone "{value}"{suggest(value, names)}'
            raise ValueError(msg) from None
        return value

    @field_validator("workdays")
    @classmethod
    def _distinct(cls, value: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if not value:
            msg = "at least one working day is needed"
            raise ValueError(msg)
        for day in value:
            if value.count(day) > 1:
                msg = f'"{day}" is listed twice'
                raise ValueError(msg)
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parts = value.split("-")
        if len(parts) != 2:
            msg = f'not working hours: "{value}" (write 09:00-18:00)'
            raise ValueError(msg)
        start = parse_clock(parts[0])
        midnight = parts[1].strip() in ("24:00", "00:00", "0:00")
        end = time(0) if midnight else parse_clock(parts[1])
        if not midnight and start >= end:
            msg = f'working hours end before they start: "{value}"'
            raise ValueError(msg)
        return f"{start:%H:%M}-{'24:00' if midnight else f'{end:%H:%M}'}"

    @field_validator("holidays")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if code not in _countries():
            msg = (
                f'no public holidays known for country "{value}" '
                "(use a code the holidays package supports, like CN, US, DE)"
            )
            raise ValueError(msg)
        return code

    @model_validator(mode="after")
    def _subdivision(self) -> Self:
        if self.subdiv is None:
            return self
        if self.holidays is None:
            msg = "subdiv needs holidays (the country it belongs to)"
            raise ValueError(msg)
        import holidays

        try:
            holidays.country_holidays(self.holidays, subdiv=self.subdiv)
        except NotImplementedError:
            known = _countries().get(self.holidays, [])
            listed = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
            hint = f" (one of: {listed})" if known else f" ({self.holidays} has none)"
            msg = f'unknown subdivision "{self.subdiv}" of {self.holidays}{hint}'
            raise ValueError(msg) from None
        return self

    @property
    def start(self) -> time:
        return parse_clock(self.hours.split("-")[0])

    @property
    def end(self) -> time:
        """``time(0)`` when the working day runs until midnight (``24:00``)."""
        text = self.hours.split("-")[1]
        return time(0) if text == "24:00" else parse_clock(text)

    @property
    def weekday_numbers(self) -> tuple[int, ...]:
        """Python's numbering: Monday is 0."""
        return tuple(WEEKDAYS.index(day) for day in self.workdays)

    def business_calendar(self) -> BusinessCalendar:
        """The calendar rules count business hours with."""
        from rules.calendar import BusinessCalendar

        return BusinessCalendar(
            timezone=self.timezone,
            workdays=self.weekday_numbers,
            start=self.start,
            end=self.end,
            holidays=self.holidays,
            subdiv=self.subdiv,
            extra_holidays=self.extra_holidays,
        )


DEFAULT_CALENDAR = Calendar()
