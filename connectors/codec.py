"""JSON for the tracker-neutral records: the local tracker's file and the cached snapshot.

One codec for both so that a local tracker file is exactly a serialised
Snapshot (plus the tracker's own bookkeeping) and nothing drifts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar, get_args

from connectors.model import (
    PUBLIC,
    Change,
    Comment,
    Issue,
    Milestone,
    MilestoneKind,
    Person,
    Snapshot,
    StatusCategory,
    Visibility,
    parse_utc,
    utc,
)

T = TypeVar("T")


def text_or_none(value: object, what: str) -> str | None:
    """A JSON string; None when missing or empty, TypeError naming ``what`` for anything else."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        msg = f"expected {what}, got {type(value).__name__}"
        raise TypeError(msg)
    return value


def dt(value: Any) -> datetime | None:
    text = text_or_none(value, "an ISO timestamp")
    return None if text is None else parse_utc(text)


def need_dt(value: Any) -> datetime:
    parsed = dt(value)
    if parsed is None:
        msg = "missing timestamp"
        raise ValueError(msg)
    return parsed


def day(value: Any) -> date | None:
    text = text_or_none(value, "an ISO date")
    return None if text is None else date.fromisoformat(text[:10])


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return utc(value).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        msg = "expected a list of strings"
        raise TypeError(msg)
    return tuple(value)


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int):
        msg = f"expected a string, got {type(value).__name__}"
        raise TypeError(msg)
    return str(value)


def person_from(data: Mapping[str, Any]) -> Person:
    kind = data.get("kind", "unknown")
    if kind not in ("team", "client", "bot", "unknown"):
        msg = f"unknown person kind {kind!r}"
        raise ValueError(msg)
    return Person(
        id=str(data["id"]),
        name=str(data.get("name") or data["id"]),
        kind=kind,
        email=_opt_str(data.get("email")),
        association=_opt_str(data.get("association")),
        account_type=_opt_str(data.get("account_type")),
    )


def person_to(person: Person) -> dict[str, Any]:
    data = {"id": person.id, "name": person.name, "kind": person.kind,
            "email": person.email, "association": person.association}
    if person.account_type is not None:
        data["account_type"] = person.account_type
    return data


def issue_from(data: Mapping[str, Any]) -> Issue:
    state = data.get("state", "open")
    if state not in ("open", "closed"):
        msg = f"unknown issue state {state!r}"
        raise ValueError(msg)
    estimate = data.get("estimate")
    return Issue(
        key=str(data["key"]),
        title=str(data.get("title", "")),
        url=str(data.get("url", "")),
        state=state,
        created_at=need_dt(data.get("created_at")),
        author=str(data["author"]),
        closed_at=dt(data.get("closed_at")),
        updated_at=dt(data.get("updated_at")),
        assignees=_strings(data.get("assignees")),
        labels=_strings(data.get("labels")),
        milestone_keys=_strings(data.get("milestone_keys")),
        due_on=day(data.get("due_on")),
        estimate=float(estimate) if estimate is not None else None,
        priority=_opt_str(data.get("priority")),
        blocked_by=_strings(data.get("blocked_by")),
        open_blockers=_count(data.get("open_blockers")),
        flagged=bool(data.get("flagged", False)),
        status_category=_status_category(data.get("status_category")),
    )


def _count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"expected a count, got {value!r}"
        raise TypeError(msg)
    return value


def _status_category(value: Any) -> StatusCategory | None:
    if value is None:
        return None
    if value not in ("new", "indeterminate", "done"):
        msg = f"unknown status category {value!r}"
        raise ValueError(msg)
    category: StatusCategory = value
    return category


def issue_to(issue: Issue) -> dict[str, Any]:
    return {
        "key": issue.key, "title": issue.title, "url": issue.url, "state": issue.state,
        "created_at": iso(issue.created_at), "closed_at": iso(issue.closed_at),
        "updated_at": iso(issue.updated_at), "author": issue.author,
        "assignees": list(issue.assignees), "labels": list(issue.labels),
        "milestone_keys": list(issue.milestone_keys), "due_on": iso(issue.due_on),
        "estimate": issue.estimate, "priority": issue.priority,
        "blocked_by": list(issue.blocked_by), "open_blockers": issue.open_blockers,
        "flagged": issue.flagged, "status_category": issue.status_category,
    }


def milestone_from(data: Mapping[str, Any]) -> Milestone:
    kind = data.get("kind", "milestone")
    state = data.get("state", "open")
    if kind not in get_args(MilestoneKind) or state not in ("open", "closed"):
        msg = f"unknown milestone kind or state {kind!r}/{state!r}"
        raise ValueError(msg)
    return Milestone(
        key=str(data["key"]),
        title=str(data.get("title", "")),
        kind=kind,
        state=state,
        created_at=dt(data.get("created_at")),
        start_on=dt(data.get("start_on")),
        due_on=day(data.get("due_on")),
        closed_at=dt(data.get("closed_at")),
    )


def milestone_to(milestone: Milestone) -> dict[str, Any]:
    return {
        "key": milestone.key, "title": milestone.title, "kind": milestone.kind,
        "state": milestone.state, "created_at": iso(milestone.created_at),
        "start_on": iso(milestone.start_on), "due_on": iso(milestone.due_on),
        "closed_at": iso(milestone.closed_at),
    }


def visibility_from(value: Any) -> Visibility:
    """``{"kind": "role", "name": "Developers"}``; absent means public."""
    if value is None:
        return PUBLIC
    if not isinstance(value, Mapping):
        msg = f"expected a visibility object, got {type(value).__name__}"
        raise TypeError(msg)
    kind = value.get("kind", "public")
    if kind not in ("public", "role", "group", "internal"):
        msg = f"unknown comment visibility {kind!r}"
        raise ValueError(msg)
    return Visibility(kind, str(value.get("name") or ""))


def comment_from(data: Mapping[str, Any]) -> Comment:
    return Comment(
        id=str(data["id"]),
        issue_key=str(data["issue_key"]),
        author=str(data["author"]),
        created_at=need_dt(data.get("created_at")),
        body_excerpt=str(data.get("body_excerpt", "")),
        is_ours=bool(data.get("is_ours", False)),
        marker=_opt_str(data.get("marker")),
        acked=bool(data.get("acked", False)),
        updated_at=dt(data.get("updated_at")),
        visibility=visibility_from(data.get("visibility")),
    )


def comment_to(comment: Comment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": comment.id, "issue_key": comment.issue_key, "author": comment.author,
        "created_at": iso(comment.created_at), "body_excerpt": comment.body_excerpt,
        "is_ours": comment.is_ours, "marker": comment.marker, "acked": comment.acked,
        "updated_at": iso(comment.updated_at),
    }
    if not comment.is_public:
        data["visibility"] = {"kind": comment.visibility.kind, "name": comment.visibility.name}
    return data


def change_from(data: Mapping[str, Any]) -> Change:
    field = data.get("field")
    if field not in ("milestone", "due_on", "label", "state", "title"):
        msg = f"unknown change field {field!r}"
        raise ValueError(msg)
    return Change(
        issue_key=str(data["issue_key"]),
        field=field,
        at=need_dt(data.get("at")),
        before=_opt_str(data.get("before")),
        after=_opt_str(data.get("after")),
        actor=_opt_str(data.get("actor")),
    )


def change_to(change: Change) -> dict[str, Any]:
    return {"issue_key": change.issue_key, "field": change.field, "at": iso(change.at),
            "before": change.before, "after": change.after, "actor": change.actor}


def parse_each(
    items: Iterable[Any], parse: Callable[[Mapping[str, Any]], T], what: str,
    skipped: list[str],
) -> list[T]:
    """Parse every record; a broken one is listed in ``skipped`` and the rest go on."""
    parsed: list[T] = []
    for index, item in enumerate(items):
        try:
            if not isinstance(item, Mapping):
                msg = f"expected an object, got {type(item).__name__}"
                raise TypeError(msg)
            parsed.append(parse(item))
        except (KeyError, TypeError, ValueError) as error:
            name = item.get("key") or item.get("id") if isinstance(item, Mapping) else None
            reason = f"missing field {error}" if isinstance(error, KeyError) else str(error)
            skipped.append(f"{what} {name or '#' + str(index)}: {reason}")
    return parsed


def snapshot_to(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "project": snapshot.project,
        "fetched_at": iso(snapshot.fetched_at),
        "people": [person_to(person) for person in snapshot.people.values()],
        "milestones": [milestone_to(item) for item in snapshot.milestones],
        "issues": [issue_to(item) for item in snapshot.issues],
        "comments": [comment_to(item) for item in snapshot.comments],
        "changes": [change_to(item) for item in snapshot.changes],
    }


def snapshot_from(data: Mapping[str, Any], skipped: list[str] | None = None) -> Snapshot:
    skipped = skipped if skipped is not None else []
    people = parse_each(data.get("people") or [], person_from, "person", skipped)
    return Snapshot(
        project=str(data.get("project", "")),
        fetched_at=need_dt(data.get("fetched_at")),
        people={person.id: person for person in people},
        milestones=tuple(parse_each(data.get("milestones") or [], milestone_from, "milestone",
                                    skipped)),
        issues=tuple(parse_each(data.get("issues") or [], issue_from, "issue", skipped)),
        comments=tuple(parse_each(data.get("comments") or [], comment_from, "comment", skipped)),
        changes=tuple(parse_each(data.get("changes") or [], change_from, "change", skipped)),
    )
