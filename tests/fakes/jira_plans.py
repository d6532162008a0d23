"""The planning parts of the fake Jira site: epics, parents, and custom date and number fields.

A mixin of ``FakeJira`` (tests/fakes/jira.py), with the same sources: an epic's
``issuetype`` is SAM1-1's (Epic, ``hierarchyLevel: 1``), other issues' SAM1-6's
(Task); a child's ``parent`` is SAM1-6's recorded parent object with its id, key
and summary changed; a move into an epic is K5-2's recorded
``IssueParentAssociation`` item (ids in ``from``/``to``, keys in the strings,
DevLake); a custom date field's change is EE-14's recorded "End date" item renamed
(``to: "2020-06-12"``, ``toString: "12/Jun/20"``). ``/field`` adds "Target end"
(the recorded "Start date" datepicker, ``customfield_10015``, renamed
``customfield_10042``) and "Story Points" (the same bean with the number schema of
Jira's float field type, as Atlassian documents custom field types).
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

from tests.fakes.http import Json
from tests.fakes.jira_recorded import recorded_item, sam1
from tests.fakes.world import Event, World

#: The recorded site's "Start date" (when an epic starts), and two fields built from it:
#: Advanced Roadmaps' "Target end" (a date) and "Story Points" (a number).
START_DATE = "customfield_10015"
TARGET_END = "customfield_10042"
STORY_POINTS = "customfield_10016"


def _text(value: object) -> str | None:
    """A changelog value as the World keeps it (numbers and dates as text)."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def plan_fields(fields: list[Json]) -> list[Json]:
    """The field beans of "Target end" and "Story Points", built from the recorded list."""
    # The recorded "Start date" (a datepicker) renamed as "Target end", and as "Story
    # Points" with the number schema of Jira's float custom field type.
    start = next(f for f in fields if f["id"] == START_DATE)
    target = copy.deepcopy(start)
    target.update(id=TARGET_END, key=TARGET_END, name="Target end",
                  untranslatedName="Target end", clauseNames=["cf[10042]", "Target end"])
    target["schema"].update(customId=10042)
    points = copy.deepcopy(start)
    points.update(id=STORY_POINTS, key=STORY_POINTS, name="Story Points",
                  untranslatedName="Story Points", clauseNames=["cf[10016]", "Story Points"],
                  schema={"type": "number",
                          "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float",
                          "customId": 10016})
    return [target, points]


class JiraPlans:
    """Which issues are epics, whose child each is, their custom field values."""

    projects: dict[str, World]
    site: str

    def __init__(self) -> None:
        #: By (project, number): which are epics, whose child each is, and their custom
        #: field values (by field id).
        self.epics: set[tuple[str, int]] = set()
        self.parents: dict[tuple[str, int], int] = {}
        self.values: dict[tuple[str, int], dict[str, Any]] = {}

    def _issue_id(self, project: str, number: int) -> str:
        raise NotImplementedError

    def make_epic(self, number: int, *, project: str | None = None,
                  **values: Any) -> None:
        """The world's issue ``number`` is an epic, with custom field values by id."""
        project = project or next(iter(self.projects))
        self.epics.add((project, number))
        self.values.setdefault((project, number), {}).update(values)

    def set_parent(self, number: int, epic: int | None, *, actor: str, at: datetime | None = None,
                   project: str | None = None) -> None:
        """Someone puts the issue in an epic (or takes it out): a changelog entry when ``at``
        is given, else how it was created."""
        project = project or next(iter(self.projects))
        before = self.parents.pop((project, number), None)
        if epic is not None:
            self.parents[(project, number)] = epic
        if at is not None:
            self.projects[project]._event(number, "parent", _text(before), _text(epic), actor, at)

    def set_field(self, number: int, field_id: str, value: Any, *, actor: str,
                  at: datetime | None = None, project: str | None = None) -> None:
        """A custom field's value: a changelog entry when ``at`` is given (dates only)."""
        project = project or next(iter(self.projects))
        values = self.values.setdefault((project, number), {})
        before, values[field_id] = values.get(field_id), value
        if at is not None:
            self.projects[project]._event(number, f"field:{field_id}", _text(before),
                                          _text(value), actor, at)

    def _jira_parts(self, project: str, number: int, fields: Json) -> None:
        """Issue type (SAM1-1's Epic or SAM1-6's Task), parent (SAM1-6's, renamed) and the
        custom fields the scenario set."""
        key = (project, number)
        fields["issuetype"] = sam1("SAM1-1" if key in self.epics else "SAM1-6")["fields"][
            "issuetype"]
        fields.pop("parent", None)
        epic = self.parents.get(key)
        if epic is not None:
            parent: Json = sam1("SAM1-6")["fields"]["parent"]
            ident = self._issue_id(project, epic)
            parent.update(id=ident, key=f"{project}-{epic}",
                          self=f"{self.site}/rest/api/2/issue/{ident}")
            parent["fields"].update(summary=self.projects[project].issues[epic].title,
                                    issuetype=sam1("SAM1-1")["fields"]["issuetype"])
            fields["parent"] = parent
        for field_id in (START_DATE, TARGET_END, STORY_POINTS):
            value = self.values.get(key, {}).get(field_id)
            fields[field_id] = value.isoformat() if isinstance(value, date) else value

    def _plan_item(self, project: str, e: Event) -> Json | None:
        """The changelog item of a parent or custom field change; None for other fields."""
        if e.field == "parent":
            # K5-2's recorded IssueParentAssociation item: ids in from/to, keys in the strings.
            item = recorded_item("K5-2", "IssueParentAssociation")
            olds, news = (f"{project}-{n}" if n else None for n in (e.before, e.after))
            item.update(**{"from": e.before and self._issue_id(project, int(e.before)),
                           "to": e.after and self._issue_id(project, int(e.after))},
                        fromString=olds, toString=news)
            return item
        if e.field.startswith("field:"):
            # EE-14's recorded "End date" item (a date custom field), renamed.
            item = recorded_item("EE-14", "End date")
            ident = e.field.removeprefix("field:")
            days = [date.fromisoformat(v) if v and v != "None" else None
                    for v in (e.before, e.after)]
            item.update(field=self._field_name(ident), fieldId=ident,
                        **{"from": days[0] and days[0].isoformat(),
                           "to": days[1] and days[1].isoformat()},
                        fromString=days[0] and days[0].strftime("%d/%b/%y"),
                        toString=days[1] and days[1].strftime("%d/%b/%y"))
            return item
        return None

    @staticmethod
    def _field_name(ident: str) -> str:
        return {START_DATE: "Start date", TARGET_END: "Target end",
                STORY_POINTS: "Story Points"}.get(ident, ident)
