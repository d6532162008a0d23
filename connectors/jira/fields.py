"""The fields the search asks for, and the site's own: the Sprint field and story points.

The Sprint field is a site-specific custom field (schema
``com.pyxis.greenhopper.jira:gh-sprint``): found by schema, never by id. Its
value is a list of sprint objects (Cloud, recent Data Center) or of
``…Sprint@1a2b[id=7,rapidViewId=…]`` strings (older Server). Story points
are found by name, and so is Flagged (a multi-checkbox custom field whose one
option is "Impediment": ``customfield_10021`` on the specharness site, another id
elsewhere). What discovery finds is kept in the connector's memo.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from connectors.jira.milestones import MilestoneMode, reads
from connectors.jira.values import list_or_empty, obj_or_empty

SPRINT_SCHEMA = "com.pyxis.greenhopper.jira:gh-sprint"
#: Company-managed projects call it "Story Points", team-managed ones "Story point estimate".
STORY_POINT_NAMES = ("Story Points", "Story point estimate")
#: The field Jira Software sets when someone flags an issue ("Add flag": an impediment).
FLAGGED_NAME = "Flagged"
#: Fields the search asks for (the Sprint and story-point fields are added by id).
BASE_FIELDS = (
    "summary",
    "status",
    "created",
    "updated",
    "resolutiondate",
    "statuscategorychangedate",
    "reporter",
    "creator",
    "assignee",
    "labels",
    "duedate",
    "priority",
    "fixVersions",
    "comment",
    "issuelinks",
)
_LEGACY_SPRINT_ID = re.compile(r"\[(?:.*?,)?\s*id=(\d+)")


@dataclass(frozen=True, slots=True)
class FieldIds:
    """Site-specific custom field ids, found by schema and name, kept in the memo."""

    sprint: str | None = None
    story_points: tuple[str, ...] = ()
    flagged: str | None = None

    def to_json(self) -> str:
        return json.dumps({"sprint": self.sprint, "story_points": list(self.story_points),
                           "flagged": self.flagged})

    @classmethod
    def from_json(cls, text: str) -> FieldIds:
        data = json.loads(text)
        sprint = data.get("sprint")
        points = data.get("story_points") or []
        flagged = data.get("flagged")
        return cls(
            sprint=sprint if isinstance(sprint, str) else None,
            story_points=tuple(str(p) for p in points),
            flagged=flagged if isinstance(flagged, str) else None,
        )


def discover_fields(fields: object) -> FieldIds:
    """Read ``GET /rest/api/2/field``: the Sprint field by schema, story points and
    Flagged by name."""
    sprint: str | None = None
    flagged: str | None = None
    points: list[str] = []
    for item in list_or_empty(fields):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        schema = obj_or_empty(item.get("schema"))
        if sprint is None and schema.get("custom") == SPRINT_SCHEMA:
            sprint = item["id"]
        if item.get("name") in STORY_POINT_NAMES:
            points.append(item["id"])
        if flagged is None and item.get("name") == FLAGGED_NAME and item.get("custom"):
            flagged = item["id"]
    return FieldIds(sprint=sprint, story_points=tuple(points), flagged=flagged)


def search_fields(ids: FieldIds, mode: MilestoneMode) -> list[str]:
    wanted = list(BASE_FIELDS)
    if reads(mode, "sprint") and ids.sprint:
        wanted.append(ids.sprint)
    wanted.extend(ids.story_points)
    if ids.flagged:
        wanted.append(ids.flagged)
    return wanted


def sprint_ids(value: object) -> list[str]:
    """Sprint ids from a Sprint field value (objects, or legacy ``Sprint@…[id=7,…]`` strings)."""
    found: list[str] = []
    for item in list_or_empty(value):
        if isinstance(item, dict) and item.get("id") is not None:
            found.append(str(item["id"]))
        elif isinstance(item, str):
            match = _LEGACY_SPRINT_ID.search(item)
            if match:
                found.append(match.group(1))
    return found
