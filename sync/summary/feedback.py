"""Client feedback as the summary measures it: waits, first responses, SLA compliance.

A *request* starts when a client writes after the last team message (or
opens the issue): the first client message of a wait, as in the
unanswered_feedback rule. It is *answered* by the first team message after
it. Response time is business time of the project's calendar between the
two, less the time a ``pause_labels`` label was on the issue. Bots, unknown
people, forewarn's own comments and restricted comments (a Jira role or group,
a Service Management internal note: the client never saw them) neither ask
nor answer, exactly as in the rule.

KPIs over a period (the last 30 days, or a milestone's life) count the
requests that started in it:

* median time to first response, over the answered ones;
* SLA compliance = answered within the SLA ÷ (those + answered late + still
  waiting past the SLA). A request still waiting within its SLA is *pending*
  and not counted either way; one on an issue closed without a reply is
  left out.

Without an unanswered_feedback rule there is no SLA: the median is still
reported, compliance is not.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from connectors.model import Issue, Snapshot
from rules.calendar import BusinessCalendar
from rules.pauses import paused_periods
from rules.unanswered_feedback import Options as FeedbackOptions
from sync.summary.model import FeedbackKpis

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Request:
    """One client request and its first team answer (None while unanswered)."""

    issue: Issue
    author: str
    asked_at: datetime
    answered_at: datetime | None
    sla: timedelta | None
    paused_now: bool


def requests(snapshot: Snapshot, options: FeedbackOptions | None) -> list[Request]:
    """Every client request in the snapshot, oldest first."""
    kinds = {pid: person.kind for pid, person in snapshot.people.items()}
    by_issue: dict[str, list[tuple[datetime, int, str, str]]] = {}
    issues: dict[str, Issue] = {}
    paused = options.folded(options.pause_labels) if options else frozenset()
    for issue in snapshot.issues:
        if options is not None and (options.only_labels or options.exempt_labels) \
                and not options.in_scope(issue):
            continue
        issues[issue.key] = issue
        kind = kinds.get(issue.author)
        if kind in ("client", "team"):
            # (at, order, author, kind): at one instant a client message sorts first, so
            # a team message at that same instant answers it, as the rule decides.
            by_issue[issue.key] = [(issue.created_at, 0 if kind == "client" else 1, "", kind)]
    for comment in snapshot.comments:
        if comment.is_ours or not comment.is_public or comment.issue_key not in issues:
            continue
        kind = kinds.get(comment.author)
        if kind == "client" or kind == "team":
            by_issue.setdefault(comment.issue_key, []).append(
                (comment.created_at, 0 if kind == "client" else 1, comment.author, kind))

    found: list[Request] = []
    for key, messages in by_issue.items():
        issue = issues[key]
        waiting: tuple[datetime, str] | None = None
        for at, _, author, writer in sorted(messages):
            if writer == "client" and waiting is None:
                waiting = (at, author or issue.author)
            elif writer == "team" and waiting is not None:
                found.append(_request(issue, waiting, at, options, paused))
                waiting = None
        if waiting is not None and issue.is_open:
            found.append(_request(issue, waiting, None, options, paused))
    found.sort(key=lambda request: (request.asked_at, request.issue.key))
    return found


def _request(
    issue: Issue, waiting: tuple[datetime, str], answered_at: datetime | None,
    options: FeedbackOptions | None, paused: frozenset[str],
) -> Request:
    return Request(
        issue=issue, author=waiting[1], asked_at=waiting[0], answered_at=answered_at,
        sla=options.sla.for_issue(issue) if options else None,
        paused_now=bool(paused) and issue.has_label(paused),
    )


class Clock:
    """Business time of one project, with each issue's pauses taken out."""

    def __init__(
        self, snapshot: Snapshot, calendar: BusinessCalendar, options: FeedbackOptions | None,
        keys: Sequence[str],
    ) -> None:
        self.calendar = calendar
        paused = options.folded(options.pause_labels) if options else frozenset()
        self.pauses = paused_periods(snapshot.changes, keys, paused) if paused else {}

    def elapsed(self, issue_key: str, start: datetime, end: datetime) -> timedelta:
        elapsed = self.calendar.business_time(start, end)
        for pause_start, pause_end in self.pauses.get(issue_key, ()):
            if pause_end > start and pause_start < end:
                elapsed -= self.calendar.business_time(max(pause_start, start),
                                                       min(pause_end, end))
        return max(elapsed, timedelta(0))


def kpis(
    found: Sequence[Request], clock: Clock, *, since: datetime, until: datetime,
    now: datetime, zone: tzinfo,
) -> FeedbackKpis:
    """The KPIs of the requests that started in [since, until] (see the module docstring)."""
    answered_hours: list[float] = []
    within = missed = pending = count = 0
    for request in found:
        if not since <= request.asked_at <= until:
            continue
        count += 1
        if request.answered_at is not None:
            waited = clock.elapsed(request.issue.key, request.asked_at, request.answered_at)
            answered_hours.append(waited / HOUR)
            if request.sla is not None:
                if waited <= request.sla:
                    within += 1
                else:
                    missed += 1
            continue
        if request.sla is None or request.paused_now:
            pending += 1
            continue
        waited = clock.elapsed(request.issue.key, request.asked_at, now)
        if waited >= request.sla:
            missed += 1
        else:
            pending += 1
    median = round(statistics.median(answered_hours), 1) if answered_hours else None
    decided = within + missed
    return FeedbackKpis(
        since=since.astimezone(zone), until=until.astimezone(zone), requests=count,
        answered=len(answered_hours), median_first_response_hours=median,
        within_sla=within, missed_sla=missed, pending=pending,
        sla_compliance=round(within / decided, 3) if decided else None,
    )
