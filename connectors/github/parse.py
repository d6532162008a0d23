"""GitHub REST payloads -> tracker-neutral records (pure functions, no I/O, no PyGithub).

Each ``parse_*`` function takes one decoded JSON item as GitHub sent it and
either returns records or raises ``RecordSkipped`` with a reason that names
the field at fault; the connector logs it, lists it in
``FetchResult.skipped`` and goes on with the rest of the page.

Quirks handled here, with the recordings that show them
(tests/fixtures/github/SOURCES.md):

* The issues list includes pull requests; they carry a ``pull_request`` key
  (github3py ``Repository_issues_state_all``: 67 of 150 items), which 2012-era
  payloads also put, all null, on plain issues.
* A milestone's ``due_on`` is midnight US-Pacific (``T07:00:00Z`` in summer,
  ``T08:00:00Z`` in winter): its calendar date is taken in America/Los_Angeles.
* ``milestoned``/``demilestoned`` events name the milestone by title only;
  ``TitleHistory`` maps a title back to a milestone number, renames included.
* A comment on a pull request has an ``html_url`` under ``/pull/``.
* ``issue_dependencies_summary`` (issue dependencies, GA 2025) counts blockers only:
  ``blocked_by`` the open ones (GitHub recounts as they close), ``total_blocked_by``
  all of them (PyGithub ``Repository.testGetIssuesWithTypeWildcard``, 2025-09-19).
  Which issues block costs one ``GET …/issues/{n}/dependencies/blocked_by`` per
  blocked issue: forewarn reads the count, at no extra request. Older payloads and
  GitHub Enterprise Server before dependencies have no such key: no count (None).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.errors import RecordSkipped
from connectors.markers import find_marker, is_acked
from connectors.model import (
    EXCERPT_CHARS,
    Change,
    ChangeField,
    Comment,
    Issue,
    IssueState,
    Milestone,
    Person,
    parse_utc,
    utc,
)

PACIFIC = ZoneInfo("America/Los_Angeles")
#: Event types that become ``Change`` records; all others are read past.
EVENT_FIELDS: dict[str, ChangeField] = {
    "milestoned": "milestone",
    "demilestoned": "milestone",
    "labeled": "label",
    "unlabeled": "label",
    "closed": "state",
    "reopened": "state",
}


# -- field access ---------------------------------------------------------------


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        msg = f"{what} is {_type(value)}, expected an object"
        raise RecordSkipped(msg)
    return value


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _need(raw: Mapping[str, Any], name: str) -> Any:
    if name not in raw:
        msg = f"missing field {name!r}"
        raise RecordSkipped(msg)
    value = raw[name]
    if value is None:
        msg = f"field {name!r} is null"
        raise RecordSkipped(msg)
    return value


def _str(raw: Mapping[str, Any], name: str) -> str:
    value = _need(raw, name)
    if not isinstance(value, str):
        msg = f"field {name!r} is {_type(value)}, expected str"
        raise RecordSkipped(msg)
    return value


def _int(raw: Mapping[str, Any], name: str) -> int:
    value = _need(raw, name)
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"field {name!r} is {_type(value)}, expected int"
        raise RecordSkipped(msg)
    return value


def _time(raw: Mapping[str, Any], name: str) -> datetime:
    return _parse_time(_str(raw, name), name)


def _opt_time(raw: Mapping[str, Any], name: str) -> datetime | None:
    if raw.get(name) is None:
        return None
    return _time(raw, name)


def _parse_time(text: str, name: str) -> datetime:
    try:
        return parse_utc(text)
    except ValueError:
        msg = f"field {name!r} is not an ISO timestamp: {text[:40]!r}"
        raise RecordSkipped(msg) from None


def _state(raw: Mapping[str, Any]) -> IssueState:
    state = _str(raw, "state")
    if state not in ("open", "closed"):
        msg = f"field 'state' is {state!r}, expected open or closed"
        raise RecordSkipped(msg)
    return "open" if state == "open" else "closed"


def _list(raw: Mapping[str, Any], name: str) -> list[Any]:
    value = raw.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        msg = f"field {name!r} is {_type(value)}, expected a list"
        raise RecordSkipped(msg)
    return value


def format_timestamp(value: datetime) -> str:
    """The ``YYYY-MM-DDTHH:MM:SSZ`` form GitHub's ``since`` parameter documents."""
    return utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def pacific_date(value: datetime) -> date:
    """GitHub stores a milestone's due date as midnight US-Pacific: that is its date."""
    return value.astimezone(PACIFIC).date()


# -- names and keys ---------------------------------------------------------------


def milestone_key(repo: str, number: int) -> str:
    return f"{repo}/milestones/{number}"


def issue_key(repo: str, number: int) -> str:
    return f"{repo}#{number}"


def describe(kind: str, raw: Any, repo: str) -> str:
    """How a log line names a record, even a broken one."""
    if isinstance(raw, Mapping):
        number = raw.get("number")
        if isinstance(number, int) and not isinstance(number, bool):
            return f"{kind} {repo}#{number}" if kind != "milestone" else f"{kind} {number}"
        ident = raw.get("id")
        if isinstance(ident, int | str) and not isinstance(ident, bool):
            return f"{kind} {ident}"
    return f"{kind} (unidentified)"


def is_pull_request(raw: Any) -> bool:
    """True for a pull request in an issues list, from the raw item alone.

    Never read PyGithub's ``issue.pull_request``: on a lazy object it costs a GET
    per issue. Old payloads (2012, PyGithub ``Repository.testGetIssuesWithArguments``)
    give plain issues ``pull_request: {html_url: null, ...}``: all-null is not a PR.
    """
    if not isinstance(raw, Mapping) or raw.get("pull_request") is None:
        return False
    link = raw["pull_request"]
    if isinstance(link, Mapping):
        return any(value is not None for value in link.values())
    return bool(link)


def is_pull_request_comment(raw: Any) -> bool:
    """A comment listed under /issues/comments that belongs to a pull request."""
    if not isinstance(raw, Mapping):
        return False
    url = raw.get("html_url")
    return isinstance(url, str) and "/pull/" in url


# -- people -----------------------------------------------------------------------


def person(user: Any, *, association: Any = None, what: str = "user") -> Person:
    data = _obj(user, what)
    login = _str(data, "login")
    bot = data.get("type") == "Bot" or login.endswith("[bot]")
    return Person(
        id=login,
        name=login,
        kind="bot" if bot else "unknown",
        association=association if isinstance(association, str) else None,
    )


def add_person(people: dict[str, Person], new: Person) -> None:
    """Keep one record per login; one that knows the author_association wins."""
    old = people.get(new.id)
    if old is None:
        people[new.id] = new
        return
    kind = "bot" if "bot" in (old.kind, new.kind) else new.kind
    association = new.association if new.association is not None else old.association
    if (kind, association) != (old.kind, old.association):
        people[new.id] = Person(id=new.id, name=new.name, kind=kind, association=association)


# -- records ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedIssue:
    issue: Issue
    people: tuple[Person, ...]


def parse_milestone(raw: Any, repo: str) -> Milestone:
    data = _obj(raw, "milestone")
    number = _int(data, "number")
    state = _state(data)
    due = _opt_time(data, "due_on")
    return Milestone(
        key=milestone_key(repo, number),
        title=_str(data, "title"),
        kind="milestone",
        state=state,
        created_at=_opt_time(data, "created_at"),
        start_on=None,
        due_on=pacific_date(due) if due is not None else None,
        closed_at=_opt_time(data, "closed_at"),
    )


def parse_issue(raw: Any, repo: str) -> ParsedIssue:
    data = _obj(raw, "issue")
    number = _int(data, "number")
    state = _state(data)
    author = person(_need(data, "user"), association=data.get("author_association"), what="user")
    assignees = [person(item, what="assignee") for item in _list(data, "assignees")]
    if not assignees and data.get("assignee") is not None:
        assignees = [person(data["assignee"], what="assignee")]
    labels: list[str] = []
    for item in _list(data, "labels"):
        # Labels are objects in every current payload; a bare string is accepted too.
        labels.append(item if isinstance(item, str) else _str(_obj(item, "label"), "name"))
    milestones: tuple[str, ...] = ()
    if data.get("milestone") is not None:
        milestones = (milestone_key(repo, _int(_obj(data["milestone"], "milestone"), "number")),)
    issue = Issue(
        key=issue_key(repo, number),
        title=_str(data, "title"),
        url=_str(data, "html_url"),
        state=state,
        created_at=_time(data, "created_at"),
        author=author.id,
        closed_at=_opt_time(data, "closed_at"),
        updated_at=_opt_time(data, "updated_at"),
        assignees=tuple(p.id for p in assignees),
        labels=tuple(labels),
        milestone_keys=milestones,
        open_blockers=_open_blockers(data),
    )
    return ParsedIssue(issue=issue, people=(author, *assignees))


def _open_blockers(data: Mapping[str, Any]) -> int | None:
    """``issue_dependencies_summary.blocked_by``: how many open issues block this one."""
    summary = data.get("issue_dependencies_summary")
    if summary is None:
        return None
    count = _obj(summary, "issue_dependencies_summary").get("blocked_by")
    if count is None:
        return None
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        msg = f"field 'issue_dependencies_summary.blocked_by' is {_type(count)}, expected int"
        raise RecordSkipped(msg)
    return count


def comment_issue_number(data: Mapping[str, Any]) -> int:
    url = _str(data, "issue_url")
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    if not tail.isdigit():
        msg = f"field 'issue_url' names no issue number: {url[:80]!r}"
        raise RecordSkipped(msg)
    return int(tail)


def parse_comment(raw: Any, repo: str, *, me: Callable[[], str]) -> tuple[Comment, Person]:
    """``me`` is called only for a well-formed comment (it may cost a request once)."""
    data = _obj(raw, "comment")
    ident = _int(data, "id")
    number = comment_issue_number(data)
    author = person(_need(data, "user"), association=data.get("author_association"))
    body = data.get("body")
    if body is None:
        body = ""
    if not isinstance(body, str):
        msg = f"field 'body' is {_type(body)}, expected str"
        raise RecordSkipped(msg)
    created = _time(data, "created_at")
    updated = _opt_time(data, "updated_at")
    ours = author.id.casefold() == me().casefold()
    comment = Comment(
        id=str(ident),
        issue_key=issue_key(repo, number),
        author=author.id,
        created_at=created,
        body_excerpt=body[:EXCERPT_CHARS],
        is_ours=ours,
        marker=find_marker(body) if ours else None,
        acked=is_acked(body) if ours else False,
        updated_at=updated,
    )
    return comment, author


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    id: int
    created_at: datetime
    issue_number: int
    pull_request: bool
    kind: str
    change: Change | None
    actor: Person | None


def parse_event(
    raw: Any, repo: str, *, milestone_for: Callable[[str, datetime], str]
) -> ParsedEvent:
    """One repo-wide issue event; ``milestone_for(title, at)`` maps a title to a key or raises."""
    data = _obj(raw, "event")
    ident = _int(data, "id")
    kind = _str(data, "event")
    at = _time(data, "created_at")
    issue = _obj(_need(data, "issue"), "field 'issue'")
    number = _int(issue, "number")
    actor = person(data["actor"], what="actor") if data.get("actor") is not None else None
    change: Change | None = None
    field = EVENT_FIELDS.get(kind)
    key = issue_key(repo, number)
    who = actor.id if actor else None
    if field == "milestone":
        title = _str(_obj(_need(data, "milestone"), "field 'milestone'"), "title")
        target = milestone_for(title, at)
        if kind == "milestoned":
            change = Change(key, "milestone", at, before=None, after=target, actor=who)
        else:
            change = Change(key, "milestone", at, before=target, after=None, actor=who)
    elif field == "label":
        name = _str(_obj(_need(data, "label"), "field 'label'"), "name")
        if kind == "labeled":
            change = Change(key, "label", at, before=None, after=name, actor=who)
        else:
            change = Change(key, "label", at, before=name, after=None, actor=who)
    elif field == "state":
        after = "closed" if kind == "closed" else "open"
        before = "open" if kind == "closed" else "closed"
        change = Change(key, "state", at, before=before, after=after, actor=who)
    return ParsedEvent(
        id=ident,
        created_at=at,
        issue_number=number,
        pull_request=is_pull_request(issue),
        kind=kind,
        change=change,
        actor=actor,
    )


# -- milestone title history ----------------------------------------------------------


class TitleHistory:
    """Every title each milestone has had, so that a renamed milestone still matches.

    GitHub's ``milestoned`` events carry ``milestone: {title}`` only; the title at
    the time of the event. Serialised as JSON in the connector's memo:
    ``{"<number>": ["old title", "current title"]}``.
    """

    def __init__(self, titles: Mapping[str, list[str]] | None = None) -> None:
        self.titles: dict[int, list[str]] = {}
        for number, names in (titles or {}).items():
            self.titles[int(number)] = list(names)
        self.created: dict[int, datetime] = {}

    @classmethod
    def loads(cls, text: str | None) -> TitleHistory:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls({str(k): [str(t) for t in v] for k, v in data.items()})
        except (ValueError, TypeError, AttributeError):
            return cls()

    def dumps(self) -> str:
        return json.dumps({str(k): v for k, v in sorted(self.titles.items())}, ensure_ascii=False)

    def observe(self, milestones: Iterable[Milestone]) -> None:
        for milestone in milestones:
            number = int(milestone.key.rsplit("/", 1)[-1])
            names = self.titles.setdefault(number, [])
            if not names or names[-1] != milestone.title:
                if milestone.title in names:
                    names.remove(milestone.title)
                names.append(milestone.title)
            if milestone.created_at is not None:
                self.created[number] = milestone.created_at

    def resolve(self, title: str, at: datetime) -> int | None:
        """The milestone that carried ``title`` at ``at``, as well as can be told.

        Titles are unique within a repository at any one time, so several
        candidates mean a title was freed by a rename and reused: the newest
        milestone that already existed at ``at`` is the one.
        """
        candidates = [n for n, names in self.titles.items() if title in names]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        existing = [n for n in candidates if self.created.get(n) is None or self.created[n] <= at]
        pool = existing or candidates
        return max(pool, key=lambda n: (self.created.get(n) or at, n))
