"""Jira epics as milestones (``milestones: epic``): which issue is an epic, what it promises,
which issues are in it, and the epics kept from cycle to cycle.

An epic is an issue whose type sits at hierarchy level 1 (Cloud says
``issuetype.hierarchyLevel: 1``, whatever the type is called: "Epic" on the
specharness and DevLake sites); a site that does not say (older Data Center) is
read by the type's name, "Epic". Its milestone key is ``epic:`` and the epic's
issue key (``epic:BILL-1``): every way Jira names an epic from its children
names it by key (``parent.key``, the Epic Link value, the changelog's
``toString``), and Jira redirects an old key when a project is renamed.

* **Members**: the issues whose ``parent`` is an epic (team-managed projects and
  every Cloud project since 2022: the parent's own ``issuetype`` says it is one),
  or whose Epic Link names one (company-managed projects, Data Center). The epic
  itself is not a member, and a sub-task belongs to its story, not to the epic.
* **Due date**: the epic's ``due_field`` when the project names one (like
  Advanced Roadmaps' "Target end"), else its Due date.
* **Start** (what "started" means for scope creep): the epic's "Start date" (the
  Timeline's) or "Target start" (Advanced Roadmaps') when set, else nothing, and
  scope creep then counts from the epic's creation, as for a GitHub milestone.
* **Closed** when the epic's status is in the done category, at its resolution.

The search reads only what changed, but a fetch must return every milestone: the
epics are kept in the connector's memo (``jira.epics``: key → milestone) and
updated from each epic the search returns; a full sync rebuilds them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from connectors.base import Memo
from connectors.codec import milestone_from, milestone_to
from connectors.jira.fields import FieldIds
from connectors.jira.values import Json, midnight_utc, obj_or_empty, parse_day, parse_timestamp
from connectors.model import Milestone

log = logging.getLogger(__name__)

MEMO_EPICS = "jira.epics"
#: The hierarchy level of epics in Jira Cloud (stories are 0, sub-tasks -1).
EPIC_LEVEL = 1
EPIC_NAME = "epic"
_ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-[1-9][0-9]*$")


def epic_key(issue_key: str) -> str:
    return f"epic:{issue_key}"


def is_issue_key(value: object) -> bool:
    return isinstance(value, str) and bool(_ISSUE_KEY.match(value))


def is_epic(issuetype: object) -> bool:
    """Whether an ``issuetype`` object is the epic level (by hierarchy, else by name)."""
    kind = obj_or_empty(issuetype)
    level = kind.get("hierarchyLevel")
    if isinstance(level, int) and not isinstance(level, bool):
        return level == EPIC_LEVEL
    return str(kind.get("name") or "").strip().casefold() == EPIC_NAME


def epic_of(fields: Json, ids: FieldIds) -> str | None:
    """The key of the epic an issue is in: its parent when that is an epic, else the issue
    its Epic Link names."""
    parent = obj_or_empty(fields.get("parent"))
    if is_issue_key(parent.get("key")) and is_epic(
            obj_or_empty(parent.get("fields")).get("issuetype")):
        return str(parent["key"])
    link = fields.get(ids.epic_link) if ids.epic_link else None
    return link if is_issue_key(link) else None


def due_of(fields: Json, ids: FieldIds) -> object:
    """The raw value of the field that holds the promise (``due_field``, else Due date)."""
    return fields.get(ids.due)


def epic_milestone(key: str, fields: Json, ids: FieldIds) -> Milestone:
    """One epic issue as a milestone (see the module docstring); raises on bad data."""
    done = obj_or_empty(obj_or_empty(fields.get("status")).get("statusCategory")).get(
        "key") == "done"
    start = next((day for day in (parse_day(fields.get(f)) for f in ids.start) if day), None)
    closed = parse_timestamp(fields.get("resolutiondate")) or parse_timestamp(
        fields.get("statuscategorychangedate"))
    return Milestone(
        key=epic_key(key),
        title=str(fields.get("summary") or key),
        kind="epic",
        state="closed" if done else "open",
        created_at=parse_timestamp(fields.get("created")),
        start_on=midnight_utc(start),
        due_on=parse_day(due_of(fields, ids)),
        closed_at=closed if done else None,
    )


@dataclass
class EpicBook:
    """The project's epics as milestones, kept in the memo between cycles."""

    memo: Memo
    epics: dict[str, Milestone] = field(default_factory=dict)

    @classmethod
    def load(cls, memo: Memo, *, whole: bool) -> EpicBook:
        """The epics the memo keeps; none for a full sync (``whole``), which finds them all."""
        book = cls(memo)
        text = memo.get(MEMO_EPICS)
        if whole or not text:
            return book
        try:
            book.epics = {item["key"]: milestone_from(item) for item in json.loads(text)}
        except (ValueError, TypeError, KeyError) as error:
            log.warning("the epics kept in the memo cannot be read (%s): they come back as "
                        "their issues change, or all on the next full sync", error)
        return book

    def saw(self, milestone: Milestone | None, issue_key: str) -> None:
        """An issue the search returned: an epic now (its milestone), or not (None)."""
        if milestone is None:
            self.epics.pop(epic_key(issue_key), None)
        else:
            self.epics[milestone.key] = milestone

    def save(self) -> list[Milestone]:
        listed = sorted(self.epics.values(), key=lambda m: m.key)
        self.memo.set(MEMO_EPICS, json.dumps([milestone_to(m) for m in listed],
                                             ensure_ascii=False, sort_keys=True))
        return listed


def keys_named(values: Iterable[object]) -> list[str]:
    """Epic milestone keys of the issue keys among ``values`` (a changelog's strings)."""
    return [epic_key(str(value)) for value in values if is_issue_key(value)]
