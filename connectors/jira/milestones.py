"""Jira's milestones: a board's sprints or a project's fix versions, as Milestone records.

A project's config says which (``milestones: sprint``, ``version``, ``epic``, or
several: ``[sprint, version]``; epics are ``epics.py``'s). Keys carry the id,
never the name: names change, and changelogs give names of the time.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Literal

from connectors.jira.values import local_day, midnight_utc, need_dict, parse_day, parse_timestamp
from connectors.model import Milestone

JiraMilestone = Literal["sprint", "version", "epic"]
#: What a project's milestones are: sprints, versions, epics, or several
#: (``("sprint", "version")``).
MilestoneMode = JiraMilestone | tuple[JiraMilestone, ...]


def reads(mode: MilestoneMode, kind: JiraMilestone) -> bool:
    """Whether a project in ``mode`` reads milestones of ``kind``."""
    return mode == kind if isinstance(mode, str) else kind in mode


def sprint_key(sprint_id: object) -> str:
    return f"sprint:{sprint_id}"


def version_key(version_id: object) -> str:
    return f"version:{version_id}"


def sprint_milestone(raw: object, *, zone: tzinfo | None = None) -> Milestone:
    """A board sprint. Future sprints have no dates; ``due_on`` is the end date's
    calendar day in the account's time zone (the day the team sees on the board)."""
    data = need_dict(raw, "sprint")
    closed = data.get("state") == "closed"
    return Milestone(
        key=sprint_key(data["id"]),
        title=str(data.get("name") or data["id"]),
        kind="sprint",
        state="closed" if closed else "open",
        created_at=parse_timestamp(data.get("createdDate")),
        start_on=parse_timestamp(data.get("startDate")),
        due_on=local_day(data.get("endDate"), zone),
        closed_at=parse_timestamp(data.get("completeDate")),
    )


def version_milestone(raw: object) -> Milestone:
    """A fix version: starts at its start date (midnight UTC), due on its release date.

    Released or archived versions are closed; Jira keeps no release time, so a
    released version's ``closed_at`` is midnight UTC of its release date.
    """
    data = need_dict(raw, "version")
    released = bool(data.get("released"))
    closed = released or bool(data.get("archived"))
    due = parse_day(data.get("releaseDate"))
    return Milestone(
        key=version_key(data["id"]),
        title=str(data.get("name") or data["id"]),
        kind="version",
        state="closed" if closed else "open",
        start_on=midnight_utc(parse_day(data.get("startDate"))),
        due_on=due,
        closed_at=midnight_utc(due) if released else None,
    )
