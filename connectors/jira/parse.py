"""Jira issues and comments (REST v2) → forewarn's tracker-neutral records.

Pure functions, no I/O: ``connectors/jira/read.py`` fetches, this module reads.
Everything here works on the JSON Jira sends (plain dicts), so it is tested
straight against recorded responses. The shapes it relies on, with where each
was checked, are listed in ``docs/jira.md``; values (timestamps, dates) are
read by ``values.py``, the site's custom fields by ``fields.py``, sprints and
versions by ``milestones.py``, changelogs by ``changelog.py``. The points that
bite here:

* ``/rest/api/2`` gives comment bodies as wiki strings; a v3 (ADF) body is
  flattened to text so that an excerpt can still be shown.
* A search result embeds its newest comments and changelog entries only, with
  their totals: the connector completes them when the totals say so.
* A comment is restricted three ways, and each means the client never saw it:
  ``visibility`` (a project role or group; Cloud and Data Center), ``jsdPublic:
  false`` (a Jira Service Management internal note, Cloud), or the comment
  property ``sd.public.comment`` holding ``{"internal": true}`` (how Service
  Management stores the note; listed with ``expand=properties``).
* ``issuelinks``: a link of the "Blocks" type (inward "is blocked by", outward
  "blocks": Atlassian's issue linking model) that names an ``inwardIssue`` is shown
  on this issue with the inward text: "this issue is blocked by that one"
  (IssueBean examples in the platform REST reference). A site may rename the type or its
  texts: either the name "Blocks" or the inward text "is blocked by" is enough. The
  linked issue comes with its status; one whose ``statusCategory`` is done no
  longer blocks. Flagged is a
  non-empty value of the site's Flagged field, or the agile API's ``flagged: true``.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from connectors.errors import masked
from connectors.jira.epics import due_of, epic_key, epic_of, is_epic
from connectors.jira.fields import FieldIds, sprint_ids
from connectors.jira.milestones import MilestoneMode, reads, sprint_key, version_key
from connectors.jira.values import (
    Json,
    list_or_empty,
    need_dict,
    need_timestamp,
    obj_or_empty,
    parse_day,
    parse_timestamp,
)
from connectors.markers import find_marker, is_acked
from connectors.model import (
    EXCERPT_CHARS,
    PUBLIC,
    Comment,
    Issue,
    Person,
    StatusCategory,
    Visibility,
    utc,
)

#: The comment property Jira Service Management keeps an internal note's flag in.
INTERNAL_PROPERTY = "sd.public.comment"
#: Jira's default "Blocks" link type and its inward description.
BLOCKS = "blocks"
BLOCKED_BY = "is blocked by"

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
    account_type = user.get("accountType")
    return Person(
        id=pid,
        name=str(user.get("displayName") or pid),
        kind="bot" if account_type == "app" else "unknown",
        email=email if isinstance(email, str) and email else None,
        account_type=account_type if isinstance(account_type, str) and account_type else None,
    )


def comment_visibility(data: Json) -> Visibility:
    """Who may read a comment (see the module docstring); public unless Jira says otherwise."""
    restriction = obj_or_empty(data.get("visibility"))
    kind, name = restriction.get("type"), restriction.get("value")
    if kind in ("role", "group") and isinstance(name, str) and name:
        return Visibility("role" if kind == "role" else "group", name)
    if data.get("jsdPublic") is False:
        return Visibility("internal")
    for prop in list_or_empty(data.get("properties")):
        if isinstance(prop, dict) and prop.get("key") == INTERNAL_PROPERTY \
                and obj_or_empty(prop.get("value")).get("internal") is True:
            return Visibility("internal")
    return PUBLIC


def adf_text(node: object) -> str:
    """Atlassian Document Format (v3 rich text) flattened to plain text."""
    if isinstance(node, list):
        return "".join(adf_text(child) for child in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    attrs = obj_or_empty(node.get("attrs"))
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


def comment_payload(body: str, visibility: Visibility | None) -> Json:
    """A platform comment's POST/PUT body: restricted by ``visibility`` (a role or a group)
    or, for a Service Management internal note (edited here, created through the Service
    Management API), by the ``sd.public.comment`` property that keeps its flag."""
    payload: Json = {"body": body}
    if visibility is None or visibility.is_public:
        return payload
    if visibility.kind == "internal":
        payload["properties"] = [{"key": INTERNAL_PROPERTY, "value": {"internal": True}}]
    else:
        payload["visibility"] = {"type": visibility.kind, "value": visibility.name}
    return payload


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
        visibility=comment_visibility(data),
    )
    return comment, author

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
    category = _category(status)
    closed = category == "done"
    assignee = person_id(fields.get("assignee"))
    closed_at = _closed_at(fields) if closed else None
    estimate = _story_points(fields, ids)
    # An epic's promise is its milestone's due date: not also its own (one alert, not two).
    epic = reads(mode, "epic") and is_epic(fields.get("issuetype"))
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
        due_on=None if epic else parse_day(due_of(fields, ids)),
        estimate=estimate,
        priority=str(obj_or_empty(fields.get("priority")).get("name") or "") or None,
        blocked_by=blockers(fields.get("issuelinks")),
        flagged=_flagged(fields, ids),
        status_category=category,
    )
    return issue, _people_named(fields)


def _category(status: Json) -> StatusCategory | None:
    key = obj_or_empty(status.get("statusCategory")).get("key")
    if key == "new" or key == "indeterminate" or key == "done":
        return key  # type: ignore[no-any-return]
    return None


def blockers(links: object) -> tuple[str, ...]:
    """Keys of the issues this one "is blocked by" that were not done when it was read."""
    found: list[str] = []
    for link in list_or_empty(links):
        link = obj_or_empty(link)
        other = obj_or_empty(link.get("inwardIssue"))
        kind = obj_or_empty(link.get("type"))
        blocks = (str(kind.get("name") or "").casefold() == BLOCKS
                  or str(kind.get("inward") or "").casefold() == BLOCKED_BY)
        if not other or not blocks:
            continue
        status = obj_or_empty(obj_or_empty(other.get("fields")).get("status"))
        if isinstance(other.get("key"), str) and _category(status) != "done":
            found.append(other["key"])
    return tuple(dict.fromkeys(found))


def _flagged(fields: Json, ids: FieldIds) -> bool:
    if fields.get("flagged") is True:
        return True
    return bool(ids.flagged and list_or_empty(fields.get(ids.flagged)))


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
    keys: list[str] = []
    if reads(mode, "sprint") and ids.sprint:
        keys += [sprint_key(s) for s in sprint_ids(fields.get(ids.sprint))]
    if reads(mode, "version"):
        keys += [version_key(v["id"]) for v in list_or_empty(fields.get("fixVersions"))
                 if isinstance(v, dict) and v.get("id") is not None]
    if reads(mode, "epic"):
        epic = epic_of(fields, ids)
        keys += [epic_key(epic)] if epic else []
    return keys


def _story_points(fields: Json, ids: FieldIds) -> float | None:
    """The first story-point field that holds a number."""
    for field_id in ids.story_points:
        estimate = _estimate(fields.get(field_id))
        if estimate is not None:
            return estimate
    return None


def _estimate(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        return float(value)
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


def comments_changed(comments: list[Any], since: datetime | None) -> bool:
    """Whether any of these comments is new or edited since the cursor (any, without one)."""
    for raw in comments:
        if since is None:
            return True
        stamp = raw.get("updated") or raw.get("created") if isinstance(raw, dict) else None
        changed = parse_timestamp(stamp) if isinstance(stamp, str) else None
        if changed is None or changed >= since:
            return True
    return False


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
        return parse_timestamp(obj_or_empty(obj_or_empty(raw).get("fields")).get("updated"))
    except (TypeError, ValueError):
        return None


def error_detail(data: object, secrets: Collection[str] = ()) -> str:
    """Jira's own error text (errorMessages / errors / message), short, without a secret
    it may echo."""
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
    text = masked("; ".join(parts), secrets)
    return text if len(text) <= 300 else text[:299] + "…"


def memo_json(text: str | None) -> Any:
    """A JSON value kept in the memo, or None when absent or unreadable (then relearnt)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
