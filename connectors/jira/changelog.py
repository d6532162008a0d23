"""Jira changelogs → Change records (connectors/jira/read.py fetches, this reads).

Histories come newest first from the search's ``expand=changelog`` and oldest
first from ``/issue/{id}/changelog``: they are sorted by time. Items:

* ``Sprint`` (custom field, ``fieldId`` = the site's Sprint field): ``from`` and
  ``to`` are comma-separated sprint-id lists (``"38, 40"`` → ``"38, 40, 41"``);
  the difference is one leave and/or join per sprint.
* ``Fix Version`` (``fieldId`` ``fixVersions``): one item per version added
  (``to``) or removed (``from``); ids are matched, names are those of the time.
* ``duedate`` (or the project's ``due_field``, by ``fieldId``): ISO dates
  (``2026-08-14``, or with ``00:00:00.0`` appended).
* ``IssueParentAssociation`` / ``Parent`` (``fieldtype: jira``) and ``Epic Link``
  (the site's field): ``from``/``to`` are issue ids, ``fromString``/``toString``
  keys (DevLake's EE-1, EE-25, K5-2): a leave and/or a join of ``epic:KEY``.
* ``labels``: space-separated sets in ``fromString``/``toString``.
* ``status``: a ``state`` change when the category flips between done and not
  done, from the status category when known (``StatusBook``), else the name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from connectors.jira.epics import keys_named
from connectors.jira.fields import FieldIds
from connectors.jira.milestones import MilestoneMode, reads, sprint_key, version_key
from connectors.jira.parse import person_from
from connectors.jira.values import list_or_empty, need_dict, need_timestamp, parse_day
from connectors.model import Change, ChangeField, Person

#: Changelog item names of a change of parent (older sites: "Parent") and of the Epic Link.
EPIC_ITEMS = ("IssueParentAssociation", "Parent", "Epic Link")
#: Used only when a status's category is unknown (a status deleted since the change).
DONE_STATUS_NAMES = frozenset(
    {"done", "closed", "resolved", "complete", "completed", "cancelled", "canceled"}
)


def split_ids(value: object) -> list[str]:
    """``"38, 40, 41"`` → ``["38", "40", "41"]``; ``""``/None → []."""
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


@dataclass(slots=True)
class StatusBook:
    """Status id → category key (``new``, ``indeterminate``, ``done``).

    Learned from every issue's current status and from ``GET /rest/api/2/status``;
    a status nobody has seen falls back to its name (``DONE_STATUS_NAMES``).
    """

    categories: dict[str, str] = field(default_factory=dict)

    def learn(self, status: object) -> None:
        if not isinstance(status, dict) or status.get("id") is None:
            return
        category = status.get("statusCategory")
        if isinstance(category, dict) and isinstance(category.get("key"), str):
            self.categories[str(status["id"])] = category["key"]

    def knows(self, status_id: object) -> bool:
        return status_id is None or str(status_id) in self.categories

    def is_done(self, status_id: object, name: object) -> bool:
        if status_id is not None and str(status_id) in self.categories:
            return self.categories[str(status_id)] == "done"
        return isinstance(name, str) and name.strip().casefold() in DONE_STATUS_NAMES

    def to_json(self) -> str:
        return json.dumps(self.categories, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> StatusBook:
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except ValueError:
            return cls()  # relearnt
        return cls({str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {})


def _is_sprint_item(item: Mapping[str, Any], ids: FieldIds) -> bool:
    if ids.sprint and item.get("fieldId") == ids.sprint:
        return True
    return item.get("field") == "Sprint" and item.get("fieldtype") == "custom"


def _history_order(history: Mapping[str, Any]) -> tuple[datetime, int]:
    when = need_timestamp(history.get("created"), "changelog created")
    hid = str(history.get("id") or "")
    return when, int(hid) if hid.isdigit() else 0


Triple = tuple[ChangeField, str | None, str | None]


def _item_changes(
    item: Mapping[str, Any], *, ids: FieldIds, mode: MilestoneMode, statuses: StatusBook
) -> list[Triple]:
    """One changelog item → (field, before, after) triples."""
    name = item.get("fieldId") or item.get("field")
    if _is_sprint_item(item, ids):
        return _sprint_changes(item) if reads(mode, "sprint") else []
    if name == "fixVersions" or item.get("field") == "Fix Version":
        return _version_changes(item) if reads(mode, "version") else []
    if _is_epic_item(item, ids):
        return _epic_changes(item) if reads(mode, "epic") else []
    if name == ids.due:
        return _due_changes(item)
    if name == "labels":
        old = str(item.get("fromString") or "").split()
        new = str(item.get("toString") or "").split()
        return [*(("label", label, None) for label in old if label not in new),
                *(("label", None, label) for label in new if label not in old)]
    if name == "status":
        was_done = statuses.is_done(item.get("from"), item.get("fromString"))
        is_done = statuses.is_done(item.get("to"), item.get("toString"))
        if was_done != is_done:
            return [("state", "closed" if was_done else "open", "closed" if is_done else "open")]
    return []


def _sprint_changes(item: Mapping[str, Any]) -> list[Triple]:
    before, after = split_ids(item.get("from")), split_ids(item.get("to"))
    return [*(("milestone", sprint_key(s), None) for s in before if s not in after),
            *(("milestone", None, sprint_key(s)) for s in after if s not in before)]


def _version_changes(item: Mapping[str, Any]) -> list[Triple]:
    out: list[Triple] = []
    if item.get("from"):
        out.append(("milestone", version_key(item["from"]), None))
    if item.get("to"):
        out.append(("milestone", None, version_key(item["to"])))
    return out


def _is_epic_item(item: Mapping[str, Any], ids: FieldIds) -> bool:
    """A change of parent (``IssueParentAssociation``; ``Parent`` on older sites) or of the
    Epic Link: ``from``/``to`` are issue ids, ``fromString``/``toString`` their keys."""
    if ids.epic_link and item.get("fieldId") == ids.epic_link:
        return True
    return item.get("field") in EPIC_ITEMS or item.get("fieldId") == "parent"


def _epic_changes(item: Mapping[str, Any]) -> list[Triple]:
    """A leave and/or a join, named by the keys in ``fromString``/``toString``. A parent that
    is not an epic (a sub-task's story) names no epic milestone: its change matches none."""
    old = keys_named([item.get("fromString")])
    new = keys_named([item.get("toString")])
    return [*(("milestone", key, None) for key in old if key not in new),
            *(("milestone", None, key) for key in new if key not in old)]


def _due_changes(item: Mapping[str, Any]) -> list[Triple]:
    """The due field (``duedate``, or the project's ``due_field``) moved: ISO dates. A value
    that is not an ISO date (a custom field's localised ``fromString``) is read as unknown."""
    old_day, new_day = _day_of(item, "from"), _day_of(item, "to")
    if old_day == new_day:
        return []
    return [("due_on", old_day.isoformat() if old_day else None,
             new_day.isoformat() if new_day else None)]


def _day_of(item: Mapping[str, Any], side: str) -> date | None:
    for value in (item.get(side), item.get(f"{side}String")):
        try:
            day = parse_day(value)
        except (TypeError, ValueError):
            continue
        if day is not None:
            return day
    return None


def changes_from(
    issue_key: str,
    histories: Iterable[object],
    *,
    ids: FieldIds,
    mode: MilestoneMode,
    statuses: StatusBook,
    since: datetime | None = None,
    epic: str | None = None,
) -> tuple[list[Change], list[Person]]:
    """Changelog histories (any order, any endpoint) → Change records, oldest first.

    The search's ``expand=changelog`` lists newest first and
    ``/issue/{key}/changelog`` oldest first, so histories are sorted by time.
    With ``since``, only changes at or after it are returned (a delta). ``epic`` is
    the issue's milestone key when it is an epic (``milestones: epic``): its due
    field's changes are the milestone's (``Change.issue_key`` is ``epic:KEY``).
    A company-managed site records one move into an epic twice, as Epic Link and as
    ``IssueParentAssociation`` (DevLake's K5-2, 22 ms apart): the second is dropped.
    """
    ordered = sorted((need_dict(h, f"{issue_key} history") for h in histories), key=_history_order)
    changes: list[Change] = []
    people: list[Person] = []
    for history in ordered:
        at = need_timestamp(history.get("created"), "changelog created")
        if since is not None and at < since:
            continue
        author = person_from(history.get("author"))
        if author is not None:
            people.append(author)
        found: list[tuple[ChangeField, str | None, str | None]] = []
        for item in list_or_empty(history.get("items")):
            if isinstance(item, dict):
                found.extend(_item_changes(item, ids=ids, mode=mode, statuses=statuses))
        actor = author.id if author else None
        for kind, before, after in found:
            if kind == "milestone" and _repeated_join(changes, before, after):
                continue
            subject = epic if epic is not None and kind == "due_on" else issue_key
            changes.append(Change(subject, kind, at, before=before, after=after, actor=actor))
    return changes, people


def _repeated_join(changes: list[Change], before: str | None, after: str | None) -> bool:
    """A join into the epic the issue's last epic change already put it in."""
    if before is not None or after is None or not after.startswith("epic:"):
        return False
    last = next((c for c in reversed(changes) if c.field == "milestone"
                 and (c.after or c.before or "").startswith("epic:")), None)
    return last is not None and last.after == after


def status_ids_in(histories: Iterable[object]) -> set[str]:
    """Status ids named by status changes (to look up their categories)."""
    found: set[str] = set()
    for history in histories:
        if not isinstance(history, dict):
            continue
        for item in list_or_empty(history.get("items")):
            if isinstance(item, dict) and (item.get("fieldId") or item.get("field")) == "status":
                found.update(str(v) for v in (item.get("from"), item.get("to")) if v)
    return found


def covers(histories: list[Any], since: datetime | None) -> bool:
    """True when a capped changelog still reaches back to ``since``: a delta needs no more."""
    if since is None or not histories:
        return False
    oldest = min(
        need_timestamp(h.get("created") if isinstance(h, dict) else None, "changelog created")
        for h in histories
    )
    return oldest <= since
