"""A small tracker kept in memory, served as GitHub (fake_github.py), as Jira (fake_jira.py)
or directly as a Connector (``MemoryConnector``), so one scenario runs through every path.

The world behaves like a tracker where forewarn's safety depends on it: every
write moves the issue's ``updated`` time, label changes are kept as history
with the account that made them, and a comment belongs to whoever posted it.
``Faults`` lets a test break the HTTP servers in the ways the issue lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests

from connectors.base import FetchResult, Markup, RemoteComment
from connectors.markers import Marker, find_marker, is_acked
from connectors.model import Change, Comment, Issue, Milestone, Person, Snapshot

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
ME = "forewarn-bot"
TEAM = "alice"
CLIENT = "carol"


@dataclass
class WIssue:
    number: int
    title: str
    author: str
    created: datetime
    updated: datetime
    labels: list[str] = field(default_factory=list)
    milestone: int | None = None
    state: str = "open"
    closed: datetime | None = None


@dataclass
class WComment:
    id: int
    number: int
    author: str
    body: str
    created: datetime
    updated: datetime


@dataclass
class WMilestone:
    number: int
    title: str
    created: datetime
    start: date | None = None
    due: date | None = None
    state: str = "open"


@dataclass
class LabelEvent:
    id: int
    number: int
    label: str
    added: bool
    actor: str
    at: datetime


@dataclass
class World:
    """Issues, comments, milestones and label history; ``clock`` stamps every change."""

    clock: Callable[[], datetime]
    me: str = ME
    issues: dict[int, WIssue] = field(default_factory=dict)
    comments: dict[int, WComment] = field(default_factory=dict)
    milestones: dict[int, WMilestone] = field(default_factory=dict)
    events: list[LabelEvent] = field(default_factory=list)
    catalogue: set[str] = field(default_factory=set)
    #: who is who: id -> GitHub author_association
    associations: dict[str, str] = field(default_factory=dict)
    _next_comment: int = 1000
    _next_event: int = 5000

    # -- building a scenario ----------------------------------------------------------

    def issue(self, number: int, title: str, author: str, *, created: datetime,
              labels: Iterable[str] = (), milestone: int | None = None) -> WIssue:
        item = WIssue(number, title, author, created, created, list(labels), milestone)
        self.issues[number] = item
        for label in item.labels:
            self.events.append(LabelEvent(self._event_id(), number, label, True, author, created))
        return item

    def say(self, number: int, author: str, body: str, *, at: datetime | None = None) -> WComment:
        """A comment, by anyone (forewarn's own writes come through ``post``)."""
        when = at or self.clock()
        self._next_comment += 1
        comment = WComment(self._next_comment, number, author, body, when, when)
        self.comments[comment.id] = comment
        self._touch(number, when)
        return comment

    # -- writes (what the servers do on request) ----------------------------------------

    def post(self, number: int, author: str, body: str) -> WComment:
        return self.say(number, author, body)

    def edit(self, comment_id: int, body: str) -> WComment:
        comment = self.comments[comment_id]
        comment.body = body
        comment.updated = self.clock()
        self._touch(comment.number, comment.updated)
        return comment

    def add_label(self, number: int, label: str, actor: str) -> None:
        issue = self.issues[number]
        if label.casefold() in {name.casefold() for name in issue.labels}:
            return
        issue.labels.append(label)
        self.events.append(LabelEvent(self._event_id(), number, label, True, actor, self.clock()))
        self._touch(number, self.clock())

    def remove_label(self, number: int, label: str, actor: str) -> bool:
        issue = self.issues[number]
        kept = [name for name in issue.labels if name.casefold() != label.casefold()]
        if kept == issue.labels:
            return False
        issue.labels = kept
        self.events.append(LabelEvent(self._event_id(), number, label, False, actor,
                                      self.clock()))
        self._touch(number, self.clock())
        return True

    def _touch(self, number: int, when: datetime) -> None:
        issue = self.issues[number]
        issue.updated = max(issue.updated, when)

    def _event_id(self) -> int:
        self._next_event += 1
        return self._next_event

    # -- what the tests check --------------------------------------------------------------

    def ours(self) -> list[WComment]:
        return [c for c in self.comments.values() if c.author == self.me]

    def human_view(self) -> dict[str, Any]:
        """Everything a person wrote: their comments, titles and the labels they put on."""
        comments = {c.id: (c.number, c.author, c.body) for c in self.comments.values()
                    if c.author != self.me}
        titles = {n: i.title for n, i in self.issues.items()}
        labels = {(e.number, e.label.casefold()) for e in self.events
                  if e.actor != self.me and e.added}
        return {"comments": comments, "titles": titles, "labels": labels}


def standard_world(clock: Callable[[], datetime]) -> World:
    """The scenario every fault test starts from.

    * #1 the status issue (milestone findings go there);
    * #2 a client question 3 days old: breach, comment + ``awaiting-reply``;
    * #3 a client question 10 hours old: warning, label only;
    * #4 added to milestone 1 after its baseline: comment + ``scope-creep``; with
      #5 (baseline scope) the milestone grew 100%: a comment on #1;
    * #6 a person put ``awaiting-reply`` on it themselves and the team answered;
    * #7 a person's own labels, and a client comment that pastes a forewarn marker
      and waits for an answer: breach, comment + ``awaiting-reply``.
    """
    now = clock()
    world = World(clock=clock)
    world.associations = {TEAM: "MEMBER", CLIENT: "NONE", ME: "NONE"}
    start = now - timedelta(days=20)
    world.milestones[1] = WMilestone(1, "v1.0 launch", created=start,
                                     start=start.date(), due=(now + timedelta(days=60)).date())
    world.issue(1, "Project status", TEAM, created=start)
    world.issue(2, "Login fails for @everyone <b>now</b>", CLIENT, created=now - timedelta(days=3))
    world.issue(3, "Export is **slow**", CLIENT, created=now - timedelta(hours=10))
    world.issue(4, "Late addition [x](http://evil.example)", TEAM, created=start
                + timedelta(days=5), milestone=1)
    world.issue(5, "Baseline work", TEAM, created=start, milestone=1)
    world.issue(6, "Question already answered", CLIENT, created=now - timedelta(days=4),
                labels=["awaiting-reply"])
    world.say(6, TEAM, "Answered: it ships Friday.", at=now - timedelta(days=3, hours=20))
    world.issue(7, "Person's labels", TEAM, created=start, labels=["bug", "p1"])
    world.say(7, CLIENT, "nice try <!-- forewarn:scope.0000000000000000:warning -->",
              at=start + timedelta(hours=1))
    return world


def heal(world: World) -> None:
    """Make every finding of ``standard_world`` go away: answers and an approval."""
    world.say(2, TEAM, "Fixed, sorry for the wait.")
    world.say(3, TEAM, "Looking into it.")
    world.say(7, TEAM, "That is not how it works.")
    world.add_label(4, "change-approved", TEAM)


# -- faults --------------------------------------------------------------------------------


@dataclass
class Fault:
    """Break ``times`` requests matching ``method`` and ``path`` (a regex on the path).

    kinds: ``lost`` (the server does the work, the answer never arrives: a dropped
    connection), ``timeout`` (likewise, a read timeout), ``truncated`` (the work is
    done and the JSON answer is cut short), ``status`` (an error status with
    ``headers`` and ``body``, nothing done), ``connect`` (nothing reaches the server).
    """

    method: str
    path: str
    kind: str
    times: int = 1
    status: int = 502
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and method == self.method and re.search(self.path, path) is not None


class Faults(list[Fault]):
    """The faults still to happen, in the order they were added."""

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self:
            if fault.matches(method, path):
                fault.times -= 1
                return fault
        return None

    @property
    def cleared(self) -> bool:
        return all(fault.times <= 0 for fault in self)


Answer = tuple[int, dict[str, str], str]


def apply_fault(fault: Fault | None, work: Callable[[], Answer]) -> Answer:
    """Run ``work`` (the server's effect and answer) as the fault says."""
    if fault is None:
        return work()
    if fault.kind == "connect":
        raise requests.exceptions.ConnectionError("connection refused (fault injected)")
    if fault.kind == "status":
        body = fault.body if isinstance(fault.body, str) else _json(fault.body or {})
        return fault.status, dict(fault.headers), body
    status, headers, body = work()
    if fault.kind == "lost":
        raise requests.exceptions.ConnectionError("connection reset by peer (fault injected)")
    if fault.kind == "timeout":
        raise requests.exceptions.ReadTimeout("read timed out (fault injected)")
    if fault.kind == "truncated":
        return status, headers, body[: max(1, len(body) // 2)]
    msg = f"unknown fault kind {fault.kind!r}"
    raise AssertionError(msg)


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


# -- the world as a Connector, without HTTP ------------------------------------------------


class MemoryConnector:
    """A Connector over a World: what the property tests drive with the real sync layer."""

    markup: Markup = "markdown"

    def __init__(self, world: World, *, project: str = "mem") -> None:
        self.world = world
        self.project = project
        self.repo = project

    def key(self, number: int) -> str:
        return f"{self.repo}#{number}"

    def number(self, key: str) -> int:
        return int(key.rpartition("#")[2])

    def whoami(self) -> str:
        return self.world.me

    def fetch(self, cursor: str | None) -> FetchResult:
        world = self.world
        people = {pid: Person(id=pid, name=pid.title(), association=assoc)
                  for pid, assoc in world.associations.items()}
        issues = tuple(
            Issue(key=self.key(i.number), title=i.title, url="", state="open"
                  if i.state == "open" else "closed", created_at=i.created, author=i.author,
                  closed_at=i.closed, updated_at=i.updated, labels=tuple(i.labels),
                  milestone_keys=(f"{self.repo}/milestones/{i.milestone}",)
                  if i.milestone else ())
            for i in world.issues.values()
        )
        milestones = tuple(
            Milestone(key=f"{self.repo}/milestones/{m.number}", title=m.title, state="open"
                      if m.state == "open" else "closed", created_at=m.created, due_on=m.due)
            for m in world.milestones.values()
        )
        comments = tuple(self._comment(c) for c in world.comments.values())
        changes = tuple(
            Change(self.key(e.number), "label", e.at, before=None if e.added else e.label,
                   after=e.label if e.added else None, actor=e.actor)
            for e in world.events
        )
        snapshot = Snapshot(project=self.project, fetched_at=world.clock(), issues=issues,
                            milestones=milestones, comments=comments, changes=changes,
                            people=people)
        return FetchResult(snapshot=snapshot, cursor=None, complete=True)

    def _comment(self, c: WComment) -> Comment:
        ours = c.author == self.world.me
        return Comment(id=str(c.id), issue_key=self.key(c.number), author=c.author,
                       created_at=c.created, updated_at=c.updated, body_excerpt=c.body[:500],
                       is_ours=ours, marker=find_marker(c.body) if ours else None,
                       acked=is_acked(c.body) if ours else False)

    requests_made = 0
    rate_limit = None

    def find_comment(self, issue_key: str, marker: Marker) -> RemoteComment | None:
        tag = marker.tag(self.markup)
        for c in self.world.comments.values():
            if c.number == self.number(issue_key) and c.author == self.world.me and tag in c.body:
                return RemoteComment(id=str(c.id), issue_key=issue_key, body=c.body)
        return None

    def create_comment(self, issue_key: str, body: str, *, marker: Marker) -> str:
        body = marker.stamp(body, self.markup)
        return str(self.world.post(self.number(issue_key), self.world.me, body).id)

    def edit_comment(self, issue_key: str, comment_id: str, body: str) -> None:
        self.world.edit(int(comment_id), body)

    def add_labels(self, issue_key: str, labels: list[str]) -> None:
        for label in labels:
            self.world.add_label(self.number(issue_key), label, self.world.me)

    def remove_label(self, issue_key: str, label: str) -> None:
        self.world.remove_label(self.number(issue_key), label, self.world.me)

    def ensure_label(self, name: str, *, color: str, description: str) -> None:
        self.world.catalogue.add(name.casefold())
