"""GitHub Projects REST payloads -> what forewarn plans with (pure functions, no I/O).

Shapes, from GitHub's REST reference (API version 2026-03-10):

* ``GET /orgs/{org}/projectsV2/{number}/fields`` (and ``/users/{user}/...``): a list of
  ``projects-v2-field``: ``id`` (integer), ``name``, ``data_type`` (``iteration``,
  ``single_select``, ``date``, ``number``, ``title``…), single-select ``options``
  (``id``, ``name: {raw, html}``), an iteration field's ``configuration``
  (``duration``, ``start_day``, ``iterations``: ``id``, ``title: {raw, html}``,
  ``start_date``, ``duration``, ``completed`` where given)
  (https://docs.github.com/en/rest/projects/fields).
* ``GET .../items?fields=ID,ID``: a list of ``projects-v2-item-with-content``: ``id``,
  ``content_type`` (``Issue``, ``PullRequest``, ``DraftIssue``), ``content`` (the
  issue, with ``url``/``html_url`` and ``number``; a draft's ``title`` and ``user``),
  ``created_at``, ``updated_at``, ``archived_at`` and ``fields``: ``id``, ``name``,
  ``data_type``, ``value`` (a single select's value is its option, ``{id, name, …}``;
  an iteration's its iteration, ``{id, title, start_date, duration}``; a date's
  ``YYYY-MM-DD``; a number's a number) (https://docs.github.com/en/rest/projects/items).

An item's ``value`` keys follow the documented example: the field's ``data_type``, not
``type`` (github/docs#42983 reports the example once said ``type``; both are read).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from connectors.errors import RecordSkipped
from connectors.model import parse_utc

#: ``…/repos/{owner}/{repo}/issues/{n}`` (API) or ``github.com/{owner}/{repo}/issues/{n}``.
_ISSUE_URL_RE = re.compile(r"/(?:repos/)?([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)/(?:issues|pulls?)/"
                           r"(\d+)/?$")


@dataclass(frozen=True, slots=True)
class Iteration:
    """One iteration of an iteration field: ``start`` for ``days`` days."""

    id: str
    title: str
    start: date
    days: int
    completed: bool | None = None

    @property
    def end(self) -> date:
        """The iteration's last day: its due date."""
        return self.start + timedelta(days=max(self.days, 1) - 1)


@dataclass(frozen=True, slots=True)
class ProjectField:
    """A field of the Project, as far as forewarn reads it."""

    id: int
    name: str
    data_type: str
    options: tuple[tuple[str, str], ...] = ()
    iterations: tuple[Iteration, ...] = ()
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One item of the Project: an issue (``repo``, ``number``) or a draft (``repo`` None)."""

    id: int
    repo: str | None
    number: int | None
    title: str
    creator: str | None
    created_at: datetime
    updated_at: datetime | None
    group: str | None = None
    due: date | None = None
    estimate: float | None = None
    pull_request: bool = False


def _raw(value: Any) -> str | None:
    """A ``{raw, html}`` text, or a plain string."""
    if isinstance(value, Mapping):
        value = value.get("raw")
    return value if isinstance(value, str) else None


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _time(value: Any) -> datetime | None:
    try:
        return parse_utc(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _iterations(config: Any) -> tuple[Iteration, ...]:
    """An iteration field's iterations (``iterations`` and, where sent, ``completed_iterations``);
    an iteration without an id or a start date is left out."""
    if not isinstance(config, Mapping):
        return ()
    found: list[Iteration] = []
    default_days = config.get("duration") if isinstance(config.get("duration"), int) else 14
    for key, completed in (("iterations", None), ("completed_iterations", True)):
        for raw in config.get(key) or ():
            if not isinstance(raw, Mapping):
                continue
            start = _day(raw.get("start_date"))
            ident = raw.get("id")
            if start is None or not isinstance(ident, str | int):
                continue
            duration = raw.get("duration")
            days = duration if isinstance(duration, int) else int(default_days or 14)
            done = raw.get("completed") if isinstance(raw.get("completed"), bool) else completed
            found.append(Iteration(id=str(ident), title=_raw(raw.get("title")) or str(ident),
                                   start=start, days=days, completed=done))
    return tuple(found)


def parse_fields(raws: Iterable[Any]) -> dict[str, ProjectField]:
    """The Project's fields by name (case-folded); a field without id or name is left out."""
    fields: dict[str, ProjectField] = {}
    for raw in raws:
        if not isinstance(raw, Mapping):
            continue
        ident, name = raw.get("id"), raw.get("name")
        kind = raw.get("data_type") or raw.get("type")
        if not isinstance(ident, int) or not isinstance(name, str) or not isinstance(kind, str):
            continue
        options = tuple((str(o.get("id")), _raw(o.get("name")) or str(o.get("id")))
                        for o in raw.get("options") or () if isinstance(o, Mapping))
        fields[name.casefold()] = ProjectField(
            id=ident, name=name, data_type=kind.lower(), options=options,
            iterations=_iterations(raw.get("configuration")),
            updated_at=_time(raw.get("updated_at")))
    return fields


def issue_of(content: Mapping[str, Any]) -> tuple[str, int]:
    """(``owner/repo``, number) of an item's issue, from its API or web URL."""
    for key in ("url", "html_url"):
        url = content.get(key)
        found = _ISSUE_URL_RE.search(url) if isinstance(url, str) else None
        if found is not None:
            return f"{found.group(1)}/{found.group(2)}", int(found.group(3))
    msg = "content has no issue url (url or html_url)"
    raise RecordSkipped(msg)


def _values(raw: Mapping[str, Any]) -> dict[int, Any]:
    values: dict[int, Any] = {}
    for entry in raw.get("fields") or ():
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), int):
            values[entry["id"]] = entry.get("value")
    return values


def _group(value: Any) -> str | None:
    """An iteration's or a single select option's id."""
    if isinstance(value, Mapping) and isinstance(value.get("id"), str | int):
        return str(value["id"])
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def parse_item(raw: Any, *, group: int | None, due: int | None, estimate: int | None) -> Item:
    """One item, its ``group`` (iteration or option), ``due`` and ``estimate`` values read by
    field id; a broken one raises RecordSkipped."""
    if not isinstance(raw, Mapping):
        msg = f"item is {type(raw).__name__}, expected an object"
        raise RecordSkipped(msg)
    ident = raw.get("id")
    created = _time(raw.get("created_at"))
    if not isinstance(ident, int) or created is None:
        msg = "item has no id or created_at"
        raise RecordSkipped(msg)
    kind = raw.get("content_type")
    found = raw.get("content")
    content: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    values = _values(raw)
    repo, number = (None, None)
    if kind in ("Issue", "PullRequest"):
        repo, number = issue_of(content)
    elif kind != "DraftIssue":
        msg = f"unknown content_type {kind!r}"
        raise RecordSkipped(msg)
    user = raw.get("creator") or content.get("user")
    creator = user.get("login") if isinstance(user, Mapping) else None
    return Item(
        id=ident, repo=repo, number=number, title=_raw(content.get("title")) or "",
        creator=creator if isinstance(creator, str) else None, created_at=created,
        updated_at=_time(raw.get("updated_at")),
        group=_group(values.get(group)) if group is not None else None,
        due=_day(values.get(due)) if due is not None else None,
        estimate=_number(values.get(estimate)) if estimate is not None else None,
        pull_request=kind == "PullRequest")


def is_archived(raw: Any) -> bool:
    """An archived item is out of the plan (the Project hides it)."""
    return isinstance(raw, Mapping) and raw.get("archived_at") is not None
