"""The fields the search asks for, and the site's own: Sprint, Epic Link, points, dates.

The Sprint field is a site-specific custom field (schema
``com.pyxis.greenhopper.jira:gh-sprint``): found by schema, never by id. Its
value is a list of sprint objects (Cloud, recent Data Center) or of
``…Sprint@1a2b[id=7,rapidViewId=…]`` strings (older Server). Epic Link (schema
``com.pyxis.greenhopper.jira:gh-epic-link``, ``customfield_10014`` on DevLake's
site) holds the epic's key on company-managed projects and Data Center; Cloud
also gives every child its ``parent``. Story points are found by name ("Story
Points", "Story point estimate", or the project's ``estimate_field``), and so are
Flagged (a multi-checkbox custom field whose one option is "Impediment":
``customfield_10021`` on the specharness site, another id elsewhere), an epic's
start ("Start date", ``customfield_10015`` there; Advanced Roadmaps' "Target
start") and the project's ``due_field`` (like Advanced Roadmaps' "Target end"): a
name given in the config is matched case-insensitively, or as the field's id.
What discovery finds is kept in the connector's memo, with the names it looked for.
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
EPIC_LINK_SCHEMA = "com.pyxis.greenhopper.jira:gh-epic-link"
#: When an epic starts: the Timeline's "Start date", else Advanced Roadmaps' "Target start".
START_NAMES = ("Start date", "Target start")
#: Schema types a named field must have to be read as a date or as a size.
DATE_TYPES = ("date", "datetime")
NUMBER_TYPES = ("number",)
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
#: What the search also asks for with ``milestones: epic``: which issue is an epic, whose
#: child an issue is.
EPIC_FIELDS = ("issuetype", "parent")
_LEGACY_SPRINT_ID = re.compile(r"\[(?:.*?,)?\s*id=(\d+)")


@dataclass(frozen=True, slots=True)
class FieldIds:
    """Site-specific custom field ids, found by schema and name, kept in the memo.

    ``due`` is the id of the project's ``due_field`` (``duedate`` without one);
    ``wanted`` the (due, estimate) names they were found for, so that a changed
    config is looked up again; ``missing`` says which named field the site lacks
    (or holds with another type), one line each.
    """

    sprint: str | None = None
    story_points: tuple[str, ...] = ()
    flagged: str | None = None
    epic_link: str | None = None
    start: tuple[str, ...] = ()
    due: str = "duedate"
    wanted: tuple[str | None, str | None] = (None, None)
    missing: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"sprint": self.sprint, "story_points": list(self.story_points),
                           "flagged": self.flagged, "epic_link": self.epic_link,
                           "start": list(self.start), "due": self.due,
                           "wanted": list(self.wanted), "missing": list(self.missing)})

    @classmethod
    def from_json(cls, text: str) -> FieldIds:
        data = json.loads(text)

        def text_or_none(value: object) -> str | None:
            return value if isinstance(value, str) else None

        wanted = data.get("wanted")
        pair = (text_or_none(wanted[0]), text_or_none(wanted[1])) \
            if isinstance(wanted, list) and len(wanted) == 2 else (None, None)
        return cls(
            sprint=text_or_none(data.get("sprint")),
            story_points=tuple(str(p) for p in data.get("story_points") or []),
            flagged=text_or_none(data.get("flagged")),
            epic_link=text_or_none(data.get("epic_link")),
            start=tuple(str(p) for p in data.get("start") or []),
            due=text_or_none(data.get("due")) or "duedate",
            wanted=pair,
            missing=tuple(str(p) for p in data.get("missing") or []),
        )


def discover_fields(fields: object, *, due: str | None = None,
                    estimate: str | None = None) -> FieldIds:
    """Read ``GET /rest/api/2/field``: Sprint and Epic Link by schema, story points, Flagged
    and start dates by name, and the fields the config names (``due``, ``estimate``)."""
    sprint = flagged = epic_link = None
    points: list[str] = []
    starts: dict[str, str] = {}
    items = [item for item in list_or_empty(fields)
             if isinstance(item, dict) and isinstance(item.get("id"), str)]
    for item in items:
        schema = obj_or_empty(item.get("schema"))
        if sprint is None and schema.get("custom") == SPRINT_SCHEMA:
            sprint = item["id"]
        if epic_link is None and schema.get("custom") == EPIC_LINK_SCHEMA:
            epic_link = item["id"]
        if item.get("name") in STORY_POINT_NAMES:
            points.append(item["id"])
        if flagged is None and item.get("name") == FLAGGED_NAME and item.get("custom"):
            flagged = item["id"]
        if item.get("name") in START_NAMES and schema.get("type") in DATE_TYPES:
            starts.setdefault(str(item["name"]), item["id"])
    missing: list[str] = []
    due_id, problem = named_field(items, due, DATE_TYPES, "due_field") if due else ("duedate", None)
    missing += [problem] if problem else []
    if estimate:
        estimate_id, problem = named_field(items, estimate, NUMBER_TYPES, "estimate_field")
        points = [estimate_id] if estimate_id else []
        missing += [problem] if problem else []
    return FieldIds(sprint=sprint, story_points=tuple(points), flagged=flagged,
                    epic_link=epic_link, start=tuple(starts[n] for n in START_NAMES if n in starts),
                    due=due_id or "duedate", wanted=(due, estimate), missing=tuple(missing))


def named_field(items: list[dict[str, object]], name: str, types: tuple[str, ...],
                option: str) -> tuple[str | None, str | None]:
    """(id, None) of the field the config names, or (None, why not): no field has that name
    (or id), or the one that has holds another type than ``types``."""
    wanted = name.strip().casefold()
    found = [item for item in items
             if str(item.get("name") or "").strip().casefold() == wanted
             or str(item["id"]).casefold() == wanted]
    typed = [item for item in found if obj_or_empty(item.get("schema")).get("type") in types]
    if typed:
        return str(typed[0]["id"]), None
    if found:
        kind = obj_or_empty(found[0].get("schema")).get("type") or "unknown"
        return None, (f'{option}: "{name}" ({found[0]["id"]}) holds a {kind}, not a '
                      f'{" or ".join(types)}')
    return None, f'{option}: no field named "{name}" on this site'


def search_fields(ids: FieldIds, mode: MilestoneMode) -> list[str]:
    wanted = list(BASE_FIELDS)
    if reads(mode, "sprint") and ids.sprint:
        wanted.append(ids.sprint)
    wanted.extend(ids.story_points)
    if ids.flagged:
        wanted.append(ids.flagged)
    if reads(mode, "epic"):
        wanted.extend(field for field in (*EPIC_FIELDS, ids.epic_link, *ids.start) if field)
    if ids.due not in wanted:
        wanted.append(ids.due)
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
