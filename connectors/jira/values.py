"""The values inside Jira payloads: timestamps, date-only fields, parts that must be objects.

Pure functions on the JSON Jira sends. Timestamps carry a ``±hhmm`` offset
(``2026-07-28T18:16:29.633-0300``), agile dates end in ``Z``; due and release
dates are plain ``yyyy-mm-dd``. A part that has the wrong shape raises
(TypeError, ValueError): the record it belongs to is skipped, not the fetch.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from connectors.codec import text_or_none
from connectors.model import parse_utc

Json = dict[str, Any]

_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def parse_timestamp(value: object) -> datetime | None:
    """``2026-07-28T18:16:29.633-0300`` or ``2020-06-12T00:38:51.882Z`` → aware UTC."""
    text = text_or_none(value, "a timestamp")
    return None if text is None else parse_utc(text)


def need_timestamp(value: object, what: str) -> datetime:
    parsed = parse_timestamp(value)
    if parsed is None:
        msg = f"missing {what}"
        raise ValueError(msg)
    return parsed


def parse_day(value: object) -> date | None:
    """A date-only field (``2026-08-14``); changelogs may add ``00:00:00.0``."""
    text = text_or_none(value, "a date")
    if text is None:
        return None
    match = _DAY.match(text.strip())
    if not match:
        msg = f"not an ISO date: {text!r}"
        raise ValueError(msg)
    return date.fromisoformat(match.group(1))


def local_day(value: object, zone: tzinfo | None) -> date | None:
    """The calendar date of a timestamp as the account's users see it."""
    text = text_or_none(value, "a timestamp")
    if text is None:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (parsed.astimezone(zone) if zone is not None else parsed).date()


def midnight_utc(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0, 0), tzinfo=UTC)


def need_dict(value: object, what: str) -> Json:
    """A payload part that must be an object (else the record is skipped)."""
    if not isinstance(value, dict):
        msg = f"{what} is not an object"
        raise TypeError(msg)
    return value


def obj_or_empty(value: object) -> Json:
    return value if isinstance(value, dict) else {}


def list_or_empty(value: object) -> list[Any]:
    return value if isinstance(value, list) else []

