"""unanswered_feedback: a client wrote and nobody on the team has answered yet.

Answering quickly is the cheapest way to keep a client's trust. This rule
counts, in business hours, how long a client's message has waited for a team
reply: a warning (label only) half-way through the SLA, an alert comment that
names the assignees once the SLA is reached.

Options (with defaults)::

    rules:
      - id: feedback              # part of every fingerprint
        kind: unanswered_feedback
        sla: 16h                  # or a table: {gold: 4h, p1: 4h, bug: 8h, default: 16h}
        warn_at: 0.5              # warn once this share of the SLA has passed
        escalate: []              # e.g. [{at: 1, notify: [assignees]}, {at: 2, notify: [pm]}]
        label: awaiting-reply     # on the issue while it waits past warn_at
        pause_labels: [waiting-on-client]
        ack_labels: [forewarn-ack]
        only_labels: []
        exempt_labels: []
        notify: []
        notify_channels: []       # channels its alerts and reminders also go to
        remind: []                # reminders before the deadline: [50%, 2h] (rules/reminders.py)

Semantics, for each **open**, in-scope issue:

* The *messages* are the issue itself (its author, at its creation) and its
  public comments. forewarn's own comments, bots and people whose kind is
  ``unknown`` are left out: an unknown person neither starts nor answers a
  wait (``clients``/``team`` in the project config decide who is who). A
  restricted comment (a Jira comment visible to a role or group only, a Jira
  Service Management internal note) is left out too: the client never saw
  it, so it answers nobody, and nobody waits for an answer to it.
* The issue *awaits a reply* when a client wrote after the last team
  message. The wait starts at the **first** client message after the last
  team message (a follow-up does not restart the clock); that message is the
  anchor of the finding, so a new question after a team reply is a new
  finding.
* *Elapsed* = business time of the project calendar (time zone, workdays,
  hours, public holidays) from the anchor to now, minus the business time
  the issue spent carrying a ``pause_labels`` label (from the label history;
  a pause whose start predates the history counts from the anchor). An issue
  that carries a pause label now is not reported at all.
* The SLA is ``sla``, or the first entry of an SLA table (in the order written)
  whose key is the client organisation of the client who asked (a key of the
  project's ``clients`` mapping), one of the issue's labels or its priority
  (``default`` otherwise). It is looked up every cycle: a tier that changes
  mid-wait applies to the whole wait, and the deadline moves with it.
* Business time runs in the calendar of the asking client's organisation
  (``client_calendars``), else in the project's.
* Elapsed ≥ SLA → **breach**: CRITICAL, an alert comment, the label.
  Elapsed ≥ ``warn_at`` × SLA → **warning**: WARNING, the label only. Both
  are cause ``awaiting_reply`` with one fingerprint, so the breach is an
  escalation of the warning. ``deadline`` is the instant the SLA is (or was)
  reached, pauses included.
* A team reply resolves it: the finding disappears (the sync layer removes the
  label and edits the alert to say it was answered).
* **Escalation** (``escalate``): each step names a multiple of the SLA and who
  is told (logins or account ids, or ``assignees``). A step at ``1`` is the
  breach alert itself: its people are mentioned in it. Any other step becomes,
  once elapsed ≥ ``at`` × SLA, a finding of its own (cause ``escalated``, one
  fingerprint per step, team audience only) whose comment mentions the step's
  people: each step notifies once, through the same comments, markers and
  state as every alert, so neither a restart nor a lost database repeats it.

Findings:

=============== ======= ================== ==================== =====
cause           subject severity           comment              label
=============== ======= ================== ==================== =====
awaiting_reply  issue   warning / critical breach only          yes
escalated       issue   critical           team audience only   no
=============== ======= ================== ==================== =====

Controls: ``only_labels``/``exempt_labels`` choose the issues;
``pause_labels`` stop the clock; an SLA table picks the SLA by label or
priority; ``ack_labels`` acknowledge the finding (still reported, no more
notifications). ``approved_labels`` do not apply to this rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.model import ISSUE_KEY, ISSUE_OF, Comment, Issue, PersonKind, Snapshot, picked
from rules.base import Finding, Messages, RuleContext, Severity, SubjectKind, make_fingerprint
from rules.calendar import BusinessCalendar
from rules.options import Label, RuleOptions, SlaTable, sla_field
from rules.pauses import intervals as paused_intervals
from rules.pauses import pause_changes
from rules.people import mentionable, organisation_index
from rules.reminders import ReplyPoints
from rules.reuse import by_issue
from rules.threads import EMPTY, threads

KIND = "unanswered_feedback"
#: How the tracker shows this rule's label where forewarn creates it (GitHub).
LABEL_COLOR = "5319e7"
LABEL_DESCRIPTION = "forewarn: client feedback awaiting a reply"
#: What its findings are about: a milestone's go to the project's status issue.
SUBJECTS: tuple[SubjectKind, ...] = ("issue",)
#: The fingerprint anchor when the issue itself is the unanswered message.
ISSUE_ANCHOR = "issue"
#: The one cause of this rule's findings.
CAUSE = "awaiting_reply"
#: In an escalation step's ``notify``: the issue's assignees.
ASSIGNEES = "assignees"

if TYPE_CHECKING:
    Sla = SlaTable
else:
    Sla = sla_field("16h")


class Step(BaseModel):
    """One escalation step: at ``at`` × the SLA, ``notify`` these people (once)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: float = Field(gt=0, le=100, description="A multiple of the SLA: 1 is the breach.")
    notify: tuple[str, ...] = Field(
        min_length=1, description='Logins or account ids to mention, or "assignees".')


class Options(RuleOptions):
    rule_kind = KIND
    sla: Sla = Field(
        default=SlaTable(entries=(), default=timedelta(hours=16)),
        description="Business time a client may wait: 16h, or a table by client organisation, "
                    "label or priority: {gold: 4h, p1: 4h, bug: 8h, default: 16h}.",
    )
    warn_at: float = Field(
        default=0.5, gt=0, lt=1, description="Share of the SLA after which a warning appears."
    )
    label: Label | None = Field(default="awaiting-reply", description="Put on a waiting issue.")
    remind: ReplyPoints = Field(
        default=(), description="Reminders before the deadline: 50% of the SLA, 2h left."
    )
    escalate: tuple[Step, ...] = Field(
        default=(), description="Who is told at which multiple of the SLA, each step once.")

    @field_validator("escalate")
    @classmethod
    def _steps_in_order(cls, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        multiples = [step.at for step in steps]
        if multiples != sorted(set(multiples)):
            msg = f"escalation steps must rise, each multiple once: {multiples}"
            raise ValueError(msg)
        return steps


#: Texts per cause, audience and language (sync/render.py; docs/rules.md, "Message texts").
#: The client reads that the question waits; the team reads who asked, the SLA and who
#: is assigned.
MESSAGES: Messages = {
    "awaiting_reply": {
        "client": {
            "en": ("The question asked on {asked_at} about “{title}” is still waiting for a "
                   "reply from the team.",),
            "zh-CN": ("{asked_at} 就“{title}”提出的问题仍在等待团队答复。",),
        },
        "team": {
            "en": (
                "{client} asked on {asked_at} about “{title}” and is still waiting for a reply.",
                "The reply time agreed with the client is {sla_hours:working_hours}, so a "
                "reply is due by {deadline}.",
                "Assigned to {assignees}.",
            ),
            "zh-CN": (
                "{client} 于 {asked_at} 就“{title}”提出的问题仍在等待答复。",
                "与客户约定的响应时限为 {sla_hours:working_hours}，应于 {deadline} 前答复。",
                "负责人：{assignees}。",
            ),
        },
    },
    "escalated": {
        "team": {
            "en": (
                "{client} asked on {asked_at} about “{title}” and is still waiting for a reply.",
                "The reply time agreed with the client is {sla_hours:working_hours}; "
                "{multiple}× that passed on {deadline}.",
                "Escalated to {escalated_to}.",
                "Assigned to {assignees}.",
            ),
            "zh-CN": (
                "{client} 于 {asked_at} 就“{title}”提出的问题仍在等待答复。",
                "与客户约定的响应时限为 {sla_hours:working_hours}，其 {multiple} 倍已于 "
                "{deadline} 到期。",
                "已升级至 {escalated_to}。",
                "负责人：{assignees}。",
            ),
        },
    },
}


def evaluate(snapshot: Snapshot, ctx: RuleContext, options: Options) -> list[Finding]:
    """Findings for every open issue whose client waits for a reply (see the module docstring)."""
    findings = [finding for wait in waiting(snapshot, ctx, options)
                for finding in _findings(options, wait)]
    findings.sort(key=lambda finding: finding.fingerprint)
    return findings


@dataclass(frozen=True, slots=True)
class Waiting:
    """A client waiting for a reply, whether or not it is a finding yet: what reminders
    before the deadline are planned from (rules/reminders.py)."""

    issue: Issue
    asked_at: datetime
    anchor: str
    client: str
    assignees: tuple[str, ...]
    sla: timedelta
    elapsed: timedelta
    #: When the SLA is (or was) reached, pauses included.
    deadline: datetime
    #: The fingerprint its finding has (or will have).
    fingerprint: str
    #: The client organisation of whoever asked, and the calendar their wait is counted in.
    organisation: str | None = None
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar, compare=False)
    #: The periods a pause label stopped the clock.
    pauses: tuple[tuple[datetime, datetime], ...] = ()
    #: Display names by person id (for escalation steps).
    names: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


def waiting(snapshot: Snapshot, ctx: RuleContext, options: Options) -> list[Waiting]:
    """Every open, in-scope, unpaused issue whose client waits for a reply, however long."""
    if not options.enabled or (options.projects and snapshot.project not in options.projects):
        return []
    team = _people_of_kind(snapshot, "team")
    clients = _people_of_kind(snapshot, "client")
    paused = options.folded(options.pause_labels)
    anchors = by_issue(snapshot, ctx, f"{options.id}:anchors", (options, team, clients),
                       lambda only: _anchors(snapshot, ctx, options, team=team,
                                             clients=clients, paused=paused, only=only))
    if not anchors:
        return []
    pauses = pause_changes(picked(snapshot.changes, anchors, ISSUE_OF), anchors, paused)
    names = _Names(snapshot)
    orgs = organisation_index(snapshot.people, ctx.organisations) if ctx.organisations else {}
    waits: list[Waiting] = []
    for key, (issue, asked_at, anchor_id, author) in anchors.items():
        changes = pauses.get(key)
        intervals = tuple(paused_intervals(changes, paused)) if changes else ()
        organisation = orgs.get(author)
        calendar = ctx.calendar_of(organisation)
        sla = (options.sla.for_issue(issue, organisation) if options.sla.entries
               else options.sla.default)
        waits.append(Waiting(
            issue=issue, asked_at=asked_at, anchor=anchor_id, client=names[author],
            assignees=tuple(names[person_id] for person_id in issue.assignees), sla=sla,
            elapsed=_elapsed(calendar, ctx.now, asked_at, intervals),
            deadline=_deadline(calendar, asked_at, sla, intervals),
            fingerprint=make_fingerprint(options.id, CAUSE, issue.key, anchor_id),
            organisation=organisation, calendar=calendar, pauses=intervals, names=names,
        ))
    return waits


# -- who waits, step by step ----------------------------------------------------------

def _people_of_kind(snapshot: Snapshot, kind: PersonKind) -> frozenset[str]:
    return frozenset(pid for pid, person in snapshot.people.items() if person.kind == kind)


def _anchors(
    snapshot: Snapshot, ctx: RuleContext, options: Options, *, team: frozenset[str],
    clients: frozenset[str], paused: frozenset[str], only: frozenset[str] | None = None,
) -> dict[str, tuple[Issue, datetime, str, str]]:
    """Per open, in-scope issue (of ``only``, if given) without a pause label whose client
    waits: (issue, asked at, anchor id, author) of the message that started the wait.
    Public comments only (rules/threads.py): a restricted one was never seen by the
    client."""
    scoped = bool(options.only_labels or options.exempt_labels)
    conversations = threads(snapshot, ctx)
    anchors: dict[str, tuple[Issue, datetime, str, str]] = {}
    issues: Iterable[Issue] = (snapshot.issues if only is None
                               else picked(snapshot.issues, only, ISSUE_KEY))
    for issue in issues:
        if not issue.is_open or (scoped and not options.in_scope(issue)):
            continue
        if issue.labels and issue.has_label(paused):
            continue
        thread = conversations.get(issue.key, EMPTY)
        body = issue.author in clients
        if not body and not thread.clients:
            continue
        team_at = issue.created_at if issue.author in team else None
        if thread.team is not None and (team_at is None or thread.team.created_at > team_at):
            team_at = thread.team.created_at
        anchor = _first_after(issue, thread.clients, team_at, body=body)
        if anchor is not None:
            anchors[issue.key] = (issue, *anchor)
    return anchors


def _first_after(
    issue: Issue, comments: Iterable[Comment], team_at: datetime | None, *, body: bool
) -> tuple[datetime, str, str] | None:
    """The first client message after ``team_at``: (asked at, anchor id, author), or None.

    Ties at one instant go to the issue body, then to the smallest comment id,
    so the anchor does not depend on the order the tracker listed comments in.
    A client message at the very instant of the last team message counts as
    answered.
    """
    best: tuple[datetime, int, str, str] | None = None
    if body and (team_at is None or issue.created_at > team_at):
        best = (issue.created_at, 0, ISSUE_ANCHOR, issue.author)
    for comment in comments:
        if team_at is not None and comment.created_at <= team_at:
            continue
        candidate = (comment.created_at, 1, comment.id, comment.author)
        if best is None or candidate < best:
            best = candidate
    if best is None:
        return None
    return best[0], best[2], best[3]


def _elapsed(
    calendar: BusinessCalendar, now: datetime, asked_at: datetime,
    pauses: Sequence[tuple[datetime, datetime]],
) -> timedelta:
    """Business time since ``asked_at``, less the business time spent paused."""
    elapsed = calendar.business_time(asked_at, now)
    for start, end in pauses:
        if end > asked_at and start < now:
            elapsed -= calendar.business_time(max(start, asked_at), min(end, now))
    return elapsed


def _findings(options: Options, wait: Waiting) -> list[Finding]:
    """The wait's finding, if it is one yet, and the escalation steps it has reached."""
    if wait.elapsed >= wait.sla:
        severity = Severity.CRITICAL
    elif wait.elapsed >= wait.sla * options.warn_at:
        severity = Severity.WARNING
    else:
        return []
    issue, calendar = wait.issue, wait.calendar
    evidence = {
        "title": issue.title,
        "asked_at": wait.asked_at,
        "client": wait.client,
        "sla_hours": round(wait.sla.total_seconds() / 3600, 2),
        "day_hours": calendar.day_hours,
        "deadline": wait.deadline,
        "elapsed_hours": round(wait.elapsed.total_seconds() / 3600, 1),
        "assignees": list(wait.assignees),
    }
    breach_notify = tuple(person for step in options.escalate if step.at == 1
                          for person in _people(step, issue))
    found = [options.finding(issue, CAUSE, severity=severity, evidence=evidence,
                             anchor=wait.anchor, comment=severity is Severity.CRITICAL,
                             notify=(*options.notify, *breach_notify))]
    for step in options.escalate:
        if step.at == 1 or wait.elapsed < wait.sla * step.at:
            continue
        people = _people(step, issue)
        found.append(options.finding(
            issue, "escalated", severity=Severity.CRITICAL if step.at > 1 else Severity.WARNING,
            anchor=f"{wait.anchor}@{step.at:g}", labelled=False, team_only=True,
            notify=people,
            evidence={**evidence, "multiple": step.at,
                      "deadline": _deadline(calendar, wait.asked_at, wait.sla * step.at,
                                            wait.pauses),
                      "escalated_to": [wait.names[person] for person in people]},
        ))
    return found


def _people(step: Step, issue: Issue) -> tuple[str, ...]:
    """The step's people, ``assignees`` replaced by the issue's (those that can be mentioned)."""
    people: list[str] = []
    for person in step.notify:
        people.extend(mentionable(issue.assignees) if person == ASSIGNEES else (person,))
    return tuple(dict.fromkeys(people))


def _deadline(
    calendar: BusinessCalendar,
    asked_at: datetime,
    sla: timedelta,
    pauses: Sequence[tuple[datetime, datetime]],
) -> datetime:
    """When ``sla`` of unpaused business time has passed since ``asked_at``."""
    moment = asked_at
    left = sla
    for start, end in pauses:
        if end <= moment:
            continue
        if start > moment:
            running = calendar.business_time(moment, start)
            if running >= left:
                break
            left -= running
        moment = end
    return calendar.add_business_time(moment, left)


class _Names(dict[str, str]):
    """Display names (the name, else the id), looked up once per person."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def __missing__(self, person_id: str) -> str:
        person = self.snapshot.person(person_id)
        name = self[person_id] = person.name or person.id
        return name

