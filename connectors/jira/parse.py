"""Jira payloads (REST v2, agile 1.0) → forewarn's tracker-neutral records.

Pure functions, no I/O: ``connectors/jira/connector.py`` fetches, this module reads.
Everything here works on the JSON Jira sends (plain dicts), so it is tested
straight against recorded responses. The shapes it relies on, with where each
was checked, are listed in ``docs/jira.md``; the points that bite:

* Timestamps carry a ``±hhmm`` offset (``2026-07-28T18:16:29.633-0300``),
  agile dates end in ``Z``; due and release dates are plain ``yyyy-mm-dd``.
* The Sprint field is a site-specific custom field (schema
  ``com.pyxis.greenhopper.jira:gh-sprint``): found by schema, never by id.
  Its value is a list of sprint objects (Cloud, recent Data Center) or of
  ``…Sprint@1a2b[id=7,rapidViewId=…]`` strings (older Server).
* Changelog ``Sprint`` items hold comma-separated sprint-id lists
  (``"38, 40"`` → ``"38, 40, 41"``); ``Fix Version`` items hold one version
  each; ``labels`` items hold space-separated names. Names in changelogs are
  the names at the time, so only ids are matched.
* ``/rest/api/2`` gives comment bodies as wiki strings; a v3 (ADF) body is
  flattened to text so that an excerpt can still be shown.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from connectors.codec import text_or_none
from connectors.markers import find_marker, is_acked
from connectors.model import (
    EXCERPT_CHARS,
    Comment,
    Issue,
    Milestone,
    Person,
    parse_utc,
    utc,
)

MilestoneMode = Literal["sprint", "version"]
Json = dict[str, Any]

SPRINT_SCHEMA = "com.pyxis.greenhopper.jira:gh-sprint"
#: Company-managed projects call it "Story Points", team-managed ones "Story point estimate".
STORY_POINT_NAMES = ("Story Points", "Story point estimate")
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
)
_LEGACY_SPRINT_ID = re.compile(r"\[(?:.*?,)?\s*id=(\d+)")
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})")


# --- scalars -----------------------------------------------------------------


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


def _obj(value: object) -> Json:
    return value if isinstance(value, dict) else {}


def list_or_empty(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _estimate(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        return float(value)
    return None


# --- people and text ---------------------------------------------------------


def person_id(user: object) -> str | None:
    """accountId on Cloud, name (or key) on Server/Data Center."""
    if not isinstance(user, dict):
        return None
    for key in ("accountId", "name", "key"):
        value = user.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def person_from(user: object) -> Person | None:
    pid = person_id(user)
    if pid is None or not isinstance(user, dict):
        return None
    email = user.get("emailAddress")
    return Person(
        id=pid,
        name=str(user.get("displayName") or pid),
        kind="bot" if user.get("accountType") == "app" else "unknown",
        email=email if isinstance(email, str) and email else None,
    )


def adf_text(node: object) -> str:
    """Atlassian Document Format (v3 rich text) flattened to plain text."""
    if isinstance(node, list):
        return "".join(adf_text(child) for child in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    attrs = _obj(node.get("attrs"))
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji"):
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind in ("inlineCard", "blockCard"):
        return str(attrs.get("url") or "")
    inner = adf_text(node.get("content", []))
    if kind in ("paragraph", "heading", "listItem", "codeBlock", "blockquote", "rule"):
        return inner + "\n"
    return inner


def body_text(body: object) -> str:
    """A comment body as text: wiki strings as they are, ADF flattened."""
    if isinstance(body, str):
        return body
    if isinstance(body, dict):
        return adf_text(body).strip()
    return ""


def comment_from(raw: object, issue_key: str, *, me: str | None) -> tuple[Comment, Person | None]:
    """One comment; marker and acknowledgement are read only from our own comments."""
    data = need_dict(raw, "comment")
    author = person_from(data.get("author"))
    text = body_text(data.get("body"))
    ours = me is not None and author is not None and author.id == me
    comment = Comment(
        id=str(data["id"]),
        issue_key=issue_key,
        author=author.id if author else "",
        created_at=need_timestamp(data.get("created"), "comment created"),
        updated_at=parse_timestamp(data.get("updated")),
        body_excerpt=text[:EXCERPT_CHARS],
        is_ours=ours,
        marker=find_marker(text) if ours else None,
        acked=is_acked(text) if ours else False,
    )
    return comment, author


# --- custom fields -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldIds:
    """Site-specific custom field ids, found by schema and name, kept in the memo."""

    sprint: str | None = None
    story_points: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"sprint": self.sprint, "story_points": list(self.story_points)})

    @classmethod
    def from_json(cls, text: str) -> FieldIds:
        data = json.loads(text)
        sprint = data.get("sprint")
        points = data.get("story_points") or []
        return cls(
            sprint=sprint if isinstance(sprint, str) else None,
            story_points=tuple(str(p) for p in points),
        )


def discover_fields(fields: object) -> FieldIds:
    """Read ``GET /rest/api/2/field``: the Sprint field by schema, story points by name."""
    sprint: str | None = None
    points: list[str] = []
    for item in list_or_empty(fields):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        schema = _obj(item.get("schema"))
        if sprint is None and schema.get("custom") == SPRINT_SCHEMA:
            sprint = item["id"]
        if item.get("name") in STORY_POINT_NAMES:
            points.append(item["id"])
    return FieldIds(sprint=sprint, story_points=tuple(points))


def search_fields(ids: FieldIds, mode: MilestoneMode) -> list[str]:
    wanted = list(BASE_FIELDS)
    if mode == "sprint" and ids.sprint:
        wanted.append(ids.sprint)
    wanted.extend(ids.story_points)
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


# --- milestones --------------------------------------------------------------


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


# --- issues ------------------------------------------------------------------


def issue_from(
    raw: object,
    *,
    site: str,
    ids: FieldIds,
    mode: MilestoneMode,
) -> tuple[Issue, list[Person]]:
    """One search result → an Issue and the people it names."""
    data = need_dict(raw, "issue")
    key = data.get("key")
    if not isinstance(key, str) or not key:
        msg = "issue without a key"
        raise ValueError(msg)
    fields = need_dict(data.get("fields"), f"{key} fields")
    status = need_dict(fields.get("status"), f"{key} status")
    closed = _obj(status.get("statusCategory")).get("key") == "done"
    assignee = person_id(fields.get("assignee"))
    closed_at = _closed_at(fields) if closed else None
    estimate = _story_points(fields, ids)
    issue = Issue(
        key=key,
        title=str(fields.get("summary") or ""),
        url=f"{site}/browse/{key}",
        state="closed" if closed else "open",
        created_at=need_timestamp(fields.get("created"), "created"),
        updated_at=parse_timestamp(fields.get("updated")),
        closed_at=closed_at,
        author=person_id(fields.get("reporter")) or person_id(fields.get("creator")) or "",
        assignees=(assignee,) if assignee else (),
        labels=tuple(str(label) for label in list_or_empty(fields.get("labels"))),
        milestone_keys=tuple(dict.fromkeys(_milestone_keys(fields, ids, mode=mode))),
        due_on=parse_day(fields.get("duedate")),
        estimate=estimate,
        priority=str(_obj(fields.get("priority")).get("name") or "") or None,
    )
    return issue, _people_named(fields)


def _people_named(fields: Json) -> list[Person]:
    """Reporter, creator and assignee, those that are set."""
    named = (person_from(fields.get(role)) for role in ("reporter", "creator", "assignee"))
    return [person for person in named if person is not None]


def _closed_at(fields: Json) -> datetime | None:
    """When a done issue was resolved, else when its status category last changed."""
    return parse_timestamp(fields.get("resolutiondate")) or parse_timestamp(
        fields.get("statuscategorychangedate")
    )


def _milestone_keys(fields: Json, ids: FieldIds, *, mode: MilestoneMode) -> list[str]:
    if mode == "sprint":
        return [sprint_key(s) for s in sprint_ids(fields.get(ids.sprint))] if ids.sprint else []
    return [
        version_key(v["id"])
        for v in list_or_empty(fields.get("fixVersions"))
        if isinstance(v, dict) and v.get("id") is not None
    ]


def _story_points(fields: Json, ids: FieldIds) -> float | None:
    """The first story-point field that holds a number."""
    for field_id in ids.story_points:
        estimate = _estimate(fields.get(field_id))
        if estimate is not None:
            return estimate
    return None


def embedded_comments(raw: object) -> tuple[list[Any], int]:
    """The comments a search result carries and how many the issue has."""
    fields = need_dict(need_dict(raw, "issue").get("fields"), "fields")
    page = fields.get("comment")
    if not isinstance(page, dict):
        return [], 0
    comments = list_or_empty(page.get("comments"))
    total = page.get("total")
    return comments, total if isinstance(total, int) else len(comments)


def embedded_histories(raw: object) -> tuple[list[Any], int]:
    """The changelog a search result carries (newest first, capped) and its total."""
    changelog = need_dict(raw, "issue").get("changelog")
    if not isinstance(changelog, dict):
        return [], 0
    histories = list_or_empty(changelog.get("histories"))
    total = changelog.get("total")
    return histories, total if isinstance(total, int) else len(histories)


# --- JQL and labels ----------------------------------------------------------


def jql_for(project_key: str, since: datetime | None, *, zone: tzinfo) -> str:
    """The search for one project, oldest change first.

    JQL reads ``"yyyy/MM/dd HH:mm"`` in the searching user's time zone and to
    the minute, so ``since`` is converted to that zone and floored to the
    minute; callers subtract a safety margin first. The overlap this causes
    is harmless: the sync merge is idempotent.
    """
    quoted = json.dumps(project_key)
    if since is None:
        return f"project = {quoted} ORDER BY updated ASC"
    local = since.astimezone(zone).strftime("%Y/%m/%d %H:%M")
    return f'project = {quoted} AND updated >= "{local}" ORDER BY updated ASC'


def validate_label(name: str) -> str | None:
    """Why ``name`` cannot be a Jira label, or None when it can.

    Jira labels are single words: a space splits them (the changelog even
    stores label sets space-separated), and they hold at most 255 characters.
    """
    if not name or not name.strip():
        return "a Jira label cannot be empty"
    if any(ch.isspace() for ch in name):
        suggestion = "-".join(name.split())
        return f"Jira labels cannot contain spaces: {name!r} (use {suggestion!r})"
    if len(name) > 255:
        return f"Jira labels are at most 255 characters: {name[:40]!r}… has {len(name)}"
    return None


def cursor_margin(zone_known: bool) -> timedelta:
    """How far back a delta search reaches before the cursor.

    One minute covers JQL's minute resolution and index lag; without the
    account's time zone, 14 hours more covers any UTC offset.
    """
    return timedelta(minutes=1) if zone_known else timedelta(hours=14, minutes=1)


# --- what the connector reads around records ---------------------------------


def parse_cursor(cursor: str | None) -> datetime | None:
    """A stored cursor (ISO); None for a full sync. Unreadable → None, and a full sync."""
    if not cursor:
        return None
    try:
        parsed = datetime.fromisoformat(cursor)
    except ValueError:
        return None
    return utc(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def raw_name(raw: object) -> str:
    """How a warning names a search result that could not be read."""
    if isinstance(raw, dict):
        for key in ("key", "id"):
            if raw.get(key):
                return str(raw[key])
    return "<issue without key>"


def raw_updated(raw: object) -> datetime | None:
    """A search result's ``updated``, even when the rest of it cannot be read."""
    try:
        return parse_timestamp(_obj(_obj(raw).get("fields")).get("updated"))
    except (TypeError, ValueError):
        return None


def error_detail(data: object) -> str:
    """Jira's own error text (errorMessages / errors / message), short."""
    parts: list[str] = []
    if isinstance(data, dict):
        messages = data.get("errorMessages")
        if isinstance(messages, list):
            parts.extend(str(m) for m in messages)
        errors = data.get("errors")
        if isinstance(errors, dict):
            parts.extend(f"{k}: {v}" for k, v in errors.items())
        if isinstance(data.get("message"), str):
            parts.append(data["message"])
    text = "; ".join(parts)
    return text if len(text) <= 300 else text[:299] + "…"


def memo_json(text: str | None) -> Any:
    """A JSON value kept in the memo, or None when absent or unreadable (then relearnt)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
