"""A small tracker kept in memory: what the fakes serve, as GitHub (github.py), as Jira
(jira.py) or directly as a Connector (memory.py), so one scenario runs through every path.

The world behaves like a tracker where forewarn's safety depends on it: every
write moves the issue's ``updated`` time, label, milestone and status changes
are kept as history with the account that made them, and a comment belongs to
whoever posted it. People are ids; each fake spells them its own way (a GitHub
login, a Jira account id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from connectors.model import PUBLIC, Visibility
from tests.conftest import Clock

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
ME = "forewarn-bot"
TEAM = "alice"
CLIENT = "carol"
#: Workflow statuses (Jira's recorded ones); GitHub shows DONE as closed, the others as open.
TO_DO, IN_PROGRESS, DONE = "To Do", "In Progress", "Done"


@dataclass
class WPerson:
    id: str
    name: str
    #: None where the tracker hides it (Jira Cloud profile visibility)
    email: str | None
    #: GitHub's author_association of what the person writes
    association: str = "NONE"
    #: Jira Cloud's accountType: atlassian, app, or customer (Service Management)
    account_type: str = "atlassian"


@dataclass
class WIssue:
    number: int
    title: str
    author: str
    created: datetime
    updated: datetime
    labels: list[str] = field(default_factory=list)
    milestone: int | None = None
    status: str = TO_DO
    closed: datetime | None = None
    assignees: tuple[str, ...] = ()
    due: date | None = None

    @property
    def state(self) -> str:
        return "closed" if self.status == DONE else "open"


@dataclass
class WComment:
    id: int
    number: int
    author: str
    body: str
    created: datetime
    updated: datetime
    #: Who may read it: public, a Jira role or group, or a service desk internal note.
    visibility: Visibility = PUBLIC


@dataclass
class WMilestone:
    """A GitHub milestone, a Jira version, or (``kind="sprint"``) a Jira sprint."""

    number: int
    title: str
    created: datetime
    start: datetime | None = None
    due: date | None = None
    state: str = "open"
    closed: datetime | None = None
    kind: str = "milestone"
    updated: datetime | None = None
    #: A sprint's board (Jira); None: the project's first board.
    board: int | None = None


@dataclass
class WLabel:
    """An entry of the label catalogue (GitHub's; Jira labels are free text)."""

    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass
class Event:
    """One change to an issue: ``field`` is ``label`` (names), ``milestone`` (numbers as
    text) or ``status``; ``before``/``after`` None where there was or is none."""

    id: int
    number: int
    field: str
    before: str | None
    after: str | None
    actor: str
    at: datetime


@dataclass
class World:
    """Issues, comments, milestones, labels, people and history; ``clock`` stamps writes."""

    clock: Callable[[], datetime]
    me: str = ME
    issues: dict[int, WIssue] = field(default_factory=dict)
    comments: dict[int, WComment] = field(default_factory=dict)
    milestones: dict[int, WMilestone] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    catalogue: dict[str, WLabel] = field(default_factory=dict)
    people: dict[str, WPerson] = field(default_factory=dict)
    #: Jira project roles and groups: name -> the ids of the people in it.
    roles: dict[str, list[str]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    _next_comment: int = 1000
    _next_event: int = 5000

    # -- building a scenario ----------------------------------------------------------

    def person(self, pid: str, *, association: str = "NONE", name: str | None = None,
               email: str | None = None, hide_email: bool = False,
               account_type: str = "atlassian") -> WPerson:
        """Someone with a say in the project (``name`` and ``email`` made up from the id);
        ``hide_email`` as Jira Cloud does for a profile that keeps it private."""
        address = None if hide_email else email or f"{pid}@example.com"
        who = WPerson(pid, name or pid.title(), address, association, account_type)
        self.people[pid] = who
        return who

    def find(self, pid: str) -> WPerson:
        return self.people.get(pid) or WPerson(pid, pid.title(), f"{pid}@example.com")

    def milestone(self, number: int, title: str, *, created: datetime,
                  start: datetime | None = None, due: date | None = None, state: str = "open",
                  closed: datetime | None = None, kind: str = "milestone",
                  board: int | None = None) -> WMilestone:
        item = WMilestone(number, title, created, start, due, state, closed, kind, board=board)
        self.milestones[number] = item
        return item

    def issue(self, number: int, title: str, author: str, *, created: datetime,
              labels: Iterable[str] = (), milestone: int | None = None, status: str = TO_DO,
              closed: datetime | None = None, assignees: tuple[str, ...] = (),
              due: date | None = None) -> WIssue:
        """An issue as it was created (labels given at creation are history too)."""
        item = WIssue(number, title, author, created, closed or created, list(labels),
                      milestone, status, closed, assignees, due)
        self.issues[number] = item
        for label in item.labels:
            self.create_label(label)
            self._event(number, "label", None, label, author, created)
        return item

    def say(self, number: int, author: str, body: str, *, at: datetime | None = None,
            visibility: Visibility = PUBLIC) -> WComment:
        """A comment, by anyone (forewarn's own writes come through ``post``); a restricted
        one (``visibility``) only the team sees."""
        when = at or self.clock()
        self._next_comment += 1
        comment = WComment(self._next_comment, number, author, body, when, when, visibility)
        self.comments[comment.id] = comment
        self._touch(number, when)
        return comment

    def join(self, number: int, milestone: int, *, actor: str, at: datetime | None = None
             ) -> None:
        """Someone puts the issue in a milestone (a sprint, a version)."""
        issue = self.issues[number]
        before, issue.milestone = issue.milestone, milestone
        self._event(number, "milestone", _text(before), str(milestone), actor, at or self.clock())

    def set_status(self, number: int, status: str, *, actor: str, at: datetime | None = None
                   ) -> None:
        issue, when = self.issues[number], at or self.clock()
        before, issue.status = issue.status, status
        issue.closed = when if status == DONE else None
        self._event(number, "status", before, status, actor, when)

    def move_due(self, number: int, due: date) -> None:
        """A PM edits the milestone's due date (no issue is touched)."""
        milestone = self.milestones[number]
        milestone.due, milestone.updated = due, self.clock()

    # -- writes (what the servers do on request) ----------------------------------------

    def post(self, number: int, author: str, body: str, *,
             visibility: Visibility = PUBLIC) -> WComment:
        return self.say(number, author, body, visibility=visibility)

    def edit(self, comment_id: int, body: str, *, visibility: Visibility | None = None
             ) -> WComment:
        comment = self.comments[comment_id]
        comment.body = body
        if visibility is not None:
            comment.visibility = visibility
        comment.updated = self.clock()
        self._touch(comment.number, comment.updated)
        return comment

    def add_label(self, number: int, label: str, actor: str, *, at: datetime | None = None
                  ) -> None:
        issue = self.issues[number]
        if label.casefold() in {name.casefold() for name in issue.labels}:
            return
        self.create_label(label)  # as GitHub does when a label is put on an issue
        issue.labels.append(label)
        self._event(number, "label", None, label, actor, at or self.clock())

    def remove_label(self, number: int, label: str, actor: str) -> bool:
        issue = self.issues[number]
        kept = [name for name in issue.labels if name.casefold() != label.casefold()]
        if kept == issue.labels:
            return False
        issue.labels = kept
        self._event(number, "label", label, None, actor, self.clock())
        return True

    def create_label(self, name: str, *, color: str = "ededed", description: str | None = None
                     ) -> WLabel | None:
        """A catalogue entry; None when the name is taken (in any case)."""
        if name.casefold() in self.catalogue:
            return None
        label = self.catalogue[name.casefold()] = WLabel(name, color, description)
        return label

    def _event(self, number: int, what: str, before: str | None, after: str | None, actor: str,
               at: datetime) -> None:
        self._next_event += 1
        self.events.append(Event(self._next_event, number, what, before, after, actor, at))
        self._touch(number, at)

    def _touch(self, number: int, when: datetime) -> None:
        issue = self.issues[number]
        issue.updated = max(issue.updated, when)

    # -- what the tests check --------------------------------------------------------------

    def ours(self) -> list[WComment]:
        return [c for c in self.comments.values() if c.author == self.me]

    def comments_on(self, number: int) -> list[WComment]:
        return [c for c in self.comments.values() if c.number == number]


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def standard_world(clock: Clock) -> World:
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
    world.person(TEAM, association="MEMBER")
    world.person(CLIENT)
    world.person(ME)
    start = now - timedelta(days=20)
    world.milestone(1, "v1.0 launch", created=start, start=start,
                    due=(now + timedelta(days=60)).date())
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
