"""Tracker-neutral records: the only types that cross package boundaries.

Every timestamp is timezone-aware UTC; calendar dates (due dates, release
dates) are plain ``date`` values because trackers store them as dates and
comparing them as instants is off by a day across time zones.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import compress
from operator import attrgetter
from typing import Literal, TypeVar

from connectors.immutable import immutable

PersonKind = Literal["team", "client", "bot", "unknown"]
IssueState = Literal["open", "closed"]
#: Jira's status categories (``statusCategory.key``): to do, in progress, done.
StatusCategory = Literal["new", "indeterminate", "done"]
MilestoneKind = Literal["milestone", "sprint", "version", "epic"]
ChangeField = Literal["milestone", "due_on", "label", "state", "title"]
#: Who may read a comment: anyone who sees the issue (``public``), a Jira project
#: ``role`` or ``group`` (by name), or the team only (``internal``: a Jira Service
#: Management internal note).
VisibilityKind = Literal["public", "role", "group", "internal"]
MembershipKind = Literal["role", "group"]
#: What a draft's key holds: an item of a plan that is no issue (a GitHub Project's draft,
#: ``acme/projects/5/drafts/17``): counted in the plan, never commented on or labelled.
DRAFT_MARK = "/drafts/"
#: A comment keeps this much of its body: enough for forewarn's own alerts to be
#: compared whole when a lost state database makes it adopt them.
EXCERPT_CHARS = 500


def is_draft(key: str) -> bool:
    """Whether a record key names a draft item (see ``DRAFT_MARK``): nothing is written to it."""
    return DRAFT_MARK in key


def utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC; a naive one is refused, never guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        msg = f"naive datetime {value.isoformat()} (every timestamp must carry a zone)"
        raise ValueError(msg)
    return value.astimezone(UTC)


def parse_utc(text: str) -> datetime:
    """An ISO 8601 timestamp (``Z`` or an offset) as aware UTC; ValueError when it is not one."""
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def now() -> datetime:
    """The wall clock, aware UTC: the default of every ``clock`` (tests pass their own)."""
    return datetime.now(UTC)


@immutable
class Person:
    """Someone who writes in the tracker.

    ``kind`` is what the connector knows for sure (``bot`` for app accounts,
    otherwise ``unknown``); the project's ``clients``/``team`` settings decide
    the rest before rules run. ``association`` is GitHub's author_association;
    ``account_type`` is Jira Cloud's ``accountType`` (``atlassian``, ``app``, or
    ``customer`` for a Jira Service Management customer). ``email`` is None where
    the tracker hides it (Jira Cloud profile visibility).
    """

    id: str
    name: str = ""
    kind: PersonKind = "unknown"
    email: str | None = None
    association: str | None = None
    account_type: str | None = None


@dataclass(frozen=True, slots=True, order=True)
class Membership:
    """A Jira project role or group, by name: ``team: {role: Developers}``."""

    kind: MembershipKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


@immutable
class Visibility:
    """Who may read a comment (see ``VisibilityKind``); ``name`` is the role or group."""

    kind: VisibilityKind = "public"
    name: str = ""

    @property
    def is_public(self) -> bool:
        return self.kind == "public"

    def __str__(self) -> str:
        if self.kind in ("role", "group"):
            return f"{self.kind} {self.name}"
        return self.kind


PUBLIC = Visibility()


@immutable
class Issue:
    """An issue. ``blocked_by`` holds the keys of the issues that blocked it and were not
    done when it was read (Jira "is blocked by" links); ``open_blockers`` is the count a
    tracker keeps itself (GitHub ``issue_dependencies_summary.blocked_by``), None where
    it keeps none; ``flagged`` is Jira's Flagged (Impediment); ``status_category`` is
    Jira's, None on trackers without one."""

    key: str
    title: str
    url: str
    state: IssueState
    created_at: datetime
    author: str
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    assignees: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    milestone_keys: tuple[str, ...] = ()
    due_on: date | None = None
    estimate: float | None = None
    priority: str | None = None
    blocked_by: tuple[str, ...] = ()
    open_blockers: int | None = None
    flagged: bool = False
    status_category: StatusCategory | None = None

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    def has_label(self, names: frozenset[str]) -> bool:
        """Label names compare case-insensitively, as GitHub does. (A loop, not ``any``: rules
        ask this of every issue, for each of their controls.)"""
        for label in self.labels:  # noqa: SIM110 (any() with a generator costs 4x here)
            if label.casefold() in names:
                return True
        return False


@immutable
class Milestone:
    """A GitHub milestone, a Jira sprint, fix version or epic."""

    key: str
    title: str
    kind: MilestoneKind = "milestone"
    state: IssueState = "open"
    created_at: datetime | None = None
    start_on: datetime | None = None
    due_on: date | None = None
    closed_at: datetime | None = None


@immutable
class Comment:
    """A comment; ``marker`` and ``acked`` are only set on forewarn's own comments.

    ``visibility`` says who can read it: a restricted comment (a Jira role or group,
    a Jira Service Management internal note) was never seen by the client, so it
    neither answers a client nor starts a wait. GitHub comments are always public.
    """

    id: str
    issue_key: str
    author: str
    created_at: datetime
    body_excerpt: str = ""
    is_ours: bool = False
    marker: str | None = None
    acked: bool = False
    updated_at: datetime | None = None
    visibility: Visibility = PUBLIC

    @property
    def is_public(self) -> bool:
        return self.visibility.kind == "public"


@immutable
class Change:
    """One field change from an issue's history (GitHub events, Jira changelog).

    For ``milestone`` the values are milestone keys; for ``label`` ``after`` is
    the label added and ``before`` the label removed; ``due_on`` uses ISO dates.
    """

    issue_key: str
    field: ChangeField
    at: datetime
    before: str | None = None
    after: str | None = None
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one fetch saw of one project: complete, or a delta since a cursor."""

    project: str
    fetched_at: datetime
    issues: tuple[Issue, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    comments: tuple[Comment, ...] = ()
    changes: tuple[Change, ...] = ()
    people: Mapping[str, Person] = field(default_factory=dict)

    def person(self, person_id: str) -> Person:
        return self.people.get(person_id) or Person(id=person_id, name=person_id)


R = TypeVar("R")

#: An issue's key; a comment's or a change's issue.
ISSUE_KEY = attrgetter("key")
ISSUE_OF = attrgetter("issue_key")


def picked(records: Sequence[R], keys: Container[str], key: Callable[[R], str]) -> Iterator[R]:
    """The records whose ``key`` is among ``keys``, in order: picked in C loops, no Python
    call per record (a million comments in a few hundredths of a second)."""
    return compress(records, map(keys.__contains__, map(key, records)))
