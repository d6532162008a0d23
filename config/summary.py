"""The expectation summary: when it is posted, in which language, where, with which templates.

``every`` is normalised at start-up (``Monday 9:00`` becomes ``monday 09:00``)
so that the scheduler reads one form only.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator

from config.calendars import DAY_NAMES, parse_clock, parse_weekday
from config.fields import ConfigPath, FrozenModel, Language, Name, issue_ref

_EVERY_RE = re.compile(r"^(?:(?P<day>[a-z]+)\s+)?(?P<clock>\d{1,2}:\d{2})$")
_DAILY = ("day", "daily")


class Summary(FrozenModel):
    """The periodic expectation summary for the PM and the client."""

    every: str = Field(
        default="monday 09:00",
        description="A weekday (or daily) and HH:MM, in the project's calendar time zone.",
    )
    language: Language = "en"
    to: Literal["status_issue", "none"] = Field(
        default="status_issue",
        description="status_issue: upsert a comment there; none: don't post.",
    )
    templates: ConfigPath | None = Field(
        default=None, description="A directory of admin templates, relative to the config file."
    )
    audience: Literal["team", "client"] = Field(
        default="team",
        description="team: the whole summary for the team; client: the client edition (no "
                    "names, no instructions, that client's feedback only), one per client "
                    "organisation where clients names organisations.",
    )
    issues: dict[Name, Annotated[int | str, BeforeValidator(issue_ref)]] = Field(
        default_factory=dict,
        description="Client edition per organisation: organisation -> the issue it is posted "
                    "on (a GitHub issue number or a Jira key).",
    )

    @field_validator("every")
    @classmethod
    def _schedule(cls, value: str) -> str:
        text = " ".join(value.lower().split())
        match = _EVERY_RE.match(text)
        day = match.group("day") if match else None
        if not match or (day is not None and day not in _DAILY and parse_weekday(day) is None):
            msg = f'not a schedule: "{value}" (a weekday or daily, then HH:MM: monday 09:00)'
            raise ValueError(msg)
        clock = parse_clock(match.group("clock"))
        number = None if day is None or day in _DAILY else parse_weekday(day)
        prefix = "daily" if number is None else DAY_NAMES[number]
        return f"{prefix} {clock:%H:%M}"

    @field_validator("templates")
    @classmethod
    def _directory(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is not None and (info.context or {}).get("base_dir") and not value.is_dir():
            msg = f"no such directory: {value}"
            raise ValueError(msg)
        return value

    @property
    def weekday(self) -> int | None:
        """Monday is 0; None means every day."""
        return parse_weekday(self.every.split()[0])

    @property
    def at(self) -> time:
        return parse_clock(self.every.split()[1])
