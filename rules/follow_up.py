"""follow_up: the team answered a client, then went quiet.

``unanswered_feedback`` fires when the client wrote last. "Working on it, will
update tomorrow" followed by days of silence on the client's issue is the same
broken promise with the team's message last. This rule reminds the assignees
that the client is owed news; the client is never written to.

Options (with defaults)::

    rules:
      - id: follow-up             # part of every fingerprint
        kind: follow_up
        after: 3                  # working days since the team's last message
        label: follow-up-due      # on the issue while the update is owed
        pause_labels: [waiting-on-client]
        ack_labels: [forewarn-ack]
        only_labels: []
        exempt_labels: []
        notify: []                # mentioned besides the assignees

Semantics, for each **open**, in-scope issue that a client opened or commented on:

* The *messages* are the issue itself (its author, at creation) and its comments
  by the team or a client; forewarn's own, bots' and unknown people's are left
  out, and so are restricted comments once the tracker says which they are
  (the client never read them).
* An update is **owed** when the last message is the team's (a client message at
  the same instant comes first) and at least ``after`` working days have passed
  since it, in the calendar of the client's organisation (``client_calendars``;
  the project's calendar otherwise), without the business time the issue spent
  under a ``pause_labels`` label. An issue carrying one now is not reported:
  the next move is the client's.
* The team's message anchors the finding: a new team message resolves it and
  starts a new clock.

Findings:

========== ======= ======== ===================================== =====
cause      subject severity comment                               label
========== ======= ======== ===================================== =====
follow_up  issue   warning  team audience only, naming assignees  yes
========== ======= ======== ===================================== =====

The reminder is for the team (``team_only``): where alerts are public comments
on the client's issue (``alerts.to: issue``, the default) the issue gets the
label and no comment; where the team reads the alerts (restricted comments, a
digest, a channel) the comment mentions the assignees and ``notify``.

Controls: ``only_labels``/``exempt_labels`` choose the issues; ``pause_labels``
stop the clock; ``ack_labels`` acknowledge it. ``approved_labels`` do not apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field

from connectors.model import ISSUE_KEY, ISSUE_OF, Comment, Issue, Snapshot, picked
from rules.base import Finding, Messages, RuleContext, Severity, SubjectKind
from rules.calendar import BusinessCalendar
from rules.options import Label, RuleOptions
from rules.pauses import paused_periods
from rules.people import mentionable, organisation_index
from rules.reuse import by_issue
from rules.threads import EMPTY, Thread, threads

KIND = "follow_up"
#: How the tracker shows this rule's label where forewarn creates it (GitHub).
LABEL_COLOR = "fef2c0"
LABEL_DESCRIPTION = "forewarn: the client is owed an update"
#: What its findings are about: milestone findings need a status issue to go to.
SUBJECTS: tuple[SubjectKind, ...] = ("issue",)


class Options(RuleOptions):
    rule_kind = KIND
    after: int = Field(default=3, ge=1, le=260,
                       description="Working days after the team's last message.")
    label: Label | None = Field(default="follow-up-due",
                                description="Put on the issue while an update is owed.")


#: For the team only (the reminder is never written where the client reads).
MESSAGES: Messages = {
    "follow_up": {
        "team": {
            "en": ("{replied_by} last wrote to {client} about “{title}” on {replied_at}; the "
                   "issue is still open and nothing has been said since.",
                   "Updates are due every {after:working_day}.",
                   "Assigned to {assignees}.",
                   "Post an update for the client, or label the issue "
                   "{pause_label} if the next move is theirs."),
            "zh-CN": ("{replied_by} 于 {replied_at} 最后一次就“{title}”答复 {client}，"
                      "该事项仍未关闭，此后没有任何更新。",
                      "应每 {after:working_day}更新一次。",
                      "负责人：{assignees}。",
                      "请给客户发布进展，如需客户先行动，请添加标签 {pause_label}。"),
        },
    },
}


def evaluate(snapshot: Snapshot, ctx: RuleContext, options: Options) -> list[Finding]:
    """Findings for every open client issue whose team went quiet (see the docstring)."""
    if not options.enabled or (options.projects and snapshot.project not in options.projects):
        return []
    kinds = {pid: person.kind for pid, person in snapshot.people.items()
             if person.kind in ("team", "client")}
    paused = options.folded(options.pause_labels)
    memory = _Memory.of(snapshot, ctx, options)
    last = by_issue(snapshot, ctx, f"{options.id}:last", (options, kinds), lambda only: (
        _last_messages(snapshot, ctx, options, kinds=kinds, paused=paused, only=only)))
    owed = {key: state for key, state in last.items()
            if state.client is not None and kinds.get(state.author) == "team"}
    if not owed:
        return []
    known, now = memory.owed, ctx.now
    again = {key for key, state in owed.items()
             if (held := known.get(key)) is None or not held.holds(state, now)}
    pauses = paused_periods(picked(snapshot.changes, again, ISSUE_OF), again,
                            paused) if again else {}
    orgs = organisation_index(snapshot.people, ctx.organisations) if ctx.organisations else {}
    names = {pid: person.name or pid for pid, person in snapshot.people.items()}
    pause_label = options.pause_labels[0] if options.pause_labels else ""
    findings: list[Finding] = []
    for key, state in owed.items():
        held = known.get(key)
        if key in again:
            assert state.client is not None
            calendar = ctx.calendar_of(orgs.get(state.client))
            idle = calendar.working_days(state.at, now)
            counted = idle
            for start, end in pauses.get(key, ()):
                if end > state.at and start < now:
                    idle -= calendar.working_days(max(start, state.at), min(end, now))
            days = int(idle + 1e-9)
            if idle + 1e-9 < options.after:
                finding = None
            elif held is not None and held.state is state and held.days == days:
                finding = held.finding  # the same message, as many days: as it was
            else:
                finding = _finding(options, state, names=names, idle=idle,
                                   pause_label=pause_label)
            held = _Owed(state, days, counted - idle, calendar, finding, since=now)
        assert held is not None
        memory.owed_now[key] = held
        if held.finding is not None:
            findings.append(held.finding)
    findings.sort(key=lambda finding: finding.fingerprint)
    return findings


class _Owed:
    """An owed update as evaluated: the message it is owed for, its whole idle days, the
    working days its pauses held the clock, and its finding (None below ``after``).

    It holds, unchanged, while the issue is untouched (the same ``_Last``) and the
    next whole day has not come: the pauses so far stay as they are, and a pause
    yet to come would only hold the clock longer, so that instant is never late. It
    is worked out when a next evaluation first asks (a ``run --once`` never does)."""

    __slots__ = ("calendar", "days", "finding", "paused", "since", "state", "until")

    def __init__(self, state: _Last, days: int, paused: float, calendar: BusinessCalendar,
                 finding: Finding | None, *, since: datetime) -> None:
        self.state, self.days, self.paused = state, days, paused
        self.calendar, self.finding, self.since = calendar, finding, since
        self.until: datetime | None = None

    def holds(self, state: _Last, now: datetime) -> bool:
        if state is not self.state or now < self.since:  # a clock set back: work it out
            return False
        if self.until is None:
            try:  # a second early: no rounding makes it late
                self.until = self.calendar.after_working_days(
                    state.at, self.days + 1 + self.paused) - timedelta(seconds=1)
            except ValueError:  # no business time ahead at all: the days never change
                self.until = datetime.max.replace(tzinfo=UTC)
        return now < self.until


class _Memory:
    """What ``follow_up`` keeps of each owed update from one evaluation to the next in the
    rule context (a daemon's cycles); dropped when anything it was made from besides
    the issues (options, people, calendars) differs."""

    __slots__ = ("guard", "owed", "owed_now")

    def __init__(self, guard: tuple[Any, ...], owed: dict[str, _Owed]) -> None:
        self.guard, self.owed = guard, owed
        self.owed_now: dict[str, _Owed] = {}

    @classmethod
    def of(cls, snapshot: Snapshot, ctx: RuleContext, options: Options) -> _Memory:
        name = f"{KIND}:{options.id}"
        guard = (options, snapshot.people, ctx.calendar, ctx.client_calendars,
                 ctx.organisations)
        held: _Memory | None = ctx.derived.get(name)
        fresh = cls(guard, held.owed_now if held is not None and held.guard == guard else {})
        ctx.derived[name] = fresh
        return fresh


class _Last:
    """The latest message of an issue (team or client) and its latest client; the issue
    itself is the first message when a team member or a client opened it."""

    __slots__ = ("at", "author", "client", "id", "issue", "rank")

    def __init__(self, issue: Issue, kind: str | None, thread: Thread) -> None:
        self.issue = issue
        self.at: datetime = (issue.created_at if kind is not None
                             else datetime.min.replace(tzinfo=issue.created_at.tzinfo))
        #: At one instant the team's message (1) comes after a client's (0): it answered.
        self.rank = -1 if kind is None else 1 if kind == "team" else 0
        self.id = "" if kind is None else "issue"
        self.author = "" if kind is None else issue.author
        self.client: str | None = issue.author if kind == "client" else None
        latest = thread.client
        if latest is not None:
            self.client = thread.clients[-1].author
            if latest.created_at > self.at or (latest.created_at == self.at and self.rank <= 0):
                self._take(latest, 0)
        team = thread.team
        if team is not None and team.created_at >= self.at:  # the team answered at that instant
            self._take(team, 1)

    def _take(self, comment: Comment, rank: int) -> None:
        self.at, self.rank, self.id, self.author = (comment.created_at, rank, comment.id,
                                                    comment.author)


def _last_messages(
    snapshot: Snapshot, ctx: RuleContext, options: Options, *, kinds: Mapping[str, str],
    paused: frozenset[str], only: frozenset[str] | None = None,
) -> dict[str, _Last]:
    """Per watched issue (of ``only``, if given), its latest message, from the issue's
    public comments by the team or a client (rules/threads.py: restricted comments never
    reached the client)."""
    scoped = bool(options.only_labels or options.exempt_labels)
    conversations = threads(snapshot, ctx)
    found: dict[str, _Last] = {}
    issues: Iterable[Issue] = (snapshot.issues if only is None
                               else picked(snapshot.issues, only, ISSUE_KEY))
    for issue in issues:
        if not issue.is_open or (scoped and not options.in_scope(issue)):
            continue
        if issue.labels and issue.has_label(paused):
            continue
        found[issue.key] = _Last(issue, kinds.get(issue.author),
                                 conversations.get(issue.key, EMPTY))
    return found


def _finding(options: Options, state: _Last, *, names: Mapping[str, str], idle: float,
             pause_label: str) -> Finding:
    issue = state.issue
    assert state.client is not None
    evidence: dict[str, Any] = {
        "title": issue.title,
        "client": names.get(state.client, state.client),
        "replied_by": names.get(state.author, state.author),
        "replied_at": state.at,
        "idle_days": int(idle + 1e-9),
        "after": options.after,
        "assignees": [names.get(pid, pid) for pid in issue.assignees],
        "pause_label": pause_label,
    }
    return options.finding(issue, "follow_up", severity=Severity.WARNING, evidence=evidence,
                           anchor=state.id, team_only=True,
                           notify=(*mentionable(issue.assignees), *options.notify))
