"""Snapshot + findings + history -> the summary models (``sync/summary/model.py``).

Pure: no I/O and no clock reads. The numbers come from the same places as
the alerts, so a summary never contradicts them:

* **health** — the schedule_slip rule's ``schedule`` finding (``at_risk`` →
  at risk, ``overdue`` → off track); an open milestone with a due date and
  no such finding is on track; without a due date there is no health. When
  no schedule_slip rule applies, the same test runs with the rule's default
  options.
* **forecast** — the finding's ``probability`` and ``forecast_on``; for a
  milestone without a finding the same seeded Monte Carlo forecast is run
  (same options, same seed: the same numbers the rule would give).
* **scope** — ``rules.scope_creep.measure`` with the scope_creep rule's
  options (or its defaults), for every open milestone that has a baseline;
  ``over_threshold`` when the rule reports a ``growth`` finding.
* **due date moves** — the due dates in the history (what the state store
  saw and the tracker's own due-date changes), first one vs now.
* **feedback** — ``sync/summary/feedback.py``; an awaiting item's status is
  its unanswered_feedback finding's severity when there is one.
* **burn-up** — ``sync/summary/burnup.py``, from each issue's periods in the
  milestone (``membership``);
* **what changed** — ``sync/summary/changes.py``, against the summary recorded
  for the previous period.

Where one kind of rule is configured several times for a project, the first
entry that applies gives the options.
"""

from __future__ import annotations

import math
import random
import zlib
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from connectors.codec import iso
from connectors.model import Issue, Milestone, Snapshot
from rules import risk, schedule_slip, scope_creep, unanswered_feedback
from rules.base import Finding, History, RuleContext, Severity
from rules.calendar import BusinessCalendar
from rules.options import RuleOptions
from rules.sizing import Sizing, rounded, sizing
from sync.summary.burnup import burnup, membership, milestone_moves
from sync.summary.changes import compare
from sync.summary.feedback import HOUR, Clock, kpis, requests
from sync.summary.model import (
    AwaitingReply,
    DueDate,
    Feedback,
    FeedbackKpis,
    Forecast,
    Health,
    IssueRef,
    MilestoneSummary,
    Progress,
    ProjectSummary,
    Retrospective,
    Risk,
    Scope,
    Subject,
    WaitStatus,
)

#: Client feedback KPIs look back this far.
KPI_WINDOW = timedelta(days=30)
_O = TypeVar("_O", bound=RuleOptions)
_SEVERITIES: dict[Severity, Literal["info", "warning", "critical"]] = {
    Severity.INFO: "info", Severity.WARNING: "warning", Severity.CRITICAL: "critical"}


def _language(value: str) -> Literal["en", "zh-CN"]:
    return "zh-CN" if value == "zh-CN" else "en"


class SummaryInput:
    """What one summary is built from: a cycle's results and the project's settings."""

    def __init__(
        self, *, project: str, snapshot: Snapshot | None, findings: Sequence[Finding],
        history: History, calendar: BusinessCalendar, rules: Sequence[RuleOptions],
        seed: int, language: str, status_issue: str | None = None,
        errors: Sequence[str] = (), skipped: Sequence[str] = (),
    ) -> None:
        self.project = project
        self.snapshot = snapshot
        self.findings = list(findings)
        self.history = history
        self.calendar = calendar
        self.rules = list(rules)
        self.seed = seed
        self.language = language
        self.status_issue = status_issue
        self.errors = list(errors)
        self.skipped = list(skipped)
        self.zone = ZoneInfo(calendar.timezone)
        self._by_subject: dict[tuple[str, str, str], Finding] | None = None

    def options(self, kind: str, model: type[_O]) -> _O | None:
        """The first enabled rule entry of this kind that applies to the project."""
        for options in self.rules:
            if options.kind == kind and options.enabled and isinstance(options, model) and (
                    not options.projects or self.project in options.projects):
                return options
        return None

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def finding(self, kind: str, cause: str, subject: str) -> Finding | None:
        """The first finding of this kind and cause on this subject, if any."""
        if self._by_subject is None:
            self._by_subject = {}
            for finding in self.findings:
                self._by_subject.setdefault((finding.kind, finding.cause, finding.subject_key),
                                            finding)
        return self._by_subject.get((kind, cause, subject))


# -- the summary ---------------------------------------------------------------------------


def build_summary(
    data: SummaryInput, *, now: datetime, period: str,
    previous: Mapping[str, Any] | None = None,
) -> ProjectSummary:
    """The summary of one project for ``period``; ``previous`` is a stored summary row."""
    snapshot = data.snapshot
    language = _language(data.language)
    if snapshot is None:
        empty = _empty_kpis(data, now)
        return ProjectSummary(
            project=data.project, period=period, generated_at=data.local(now),
            timezone=data.calendar.timezone, language=language,
            status_issue=data.status_issue,
            feedback=Feedback(watched=False, clients=0, last_30_days=empty),
            errors=data.errors or ["the tracker could not be read"], skipped=data.skipped,
        )
    chosen = sorted((m for m in snapshot.milestones if m.state == "open"),
                    key=lambda m: (m.due_on is None, m.due_on or date.max, m.title, m.key))
    index = _Index(data, snapshot, chosen, now=now)
    milestones = [_milestone(data, index, milestone, now=now) for milestone in chosen]
    summary = ProjectSummary(
        project=data.project, period=period, generated_at=data.local(now),
        timezone=data.calendar.timezone, language=language,
        status_issue=data.status_issue, milestones=milestones,
        feedback=feedback_of(data, snapshot, now=now), risks=_risks(data),
        risk_register=_register(data),
        errors=data.errors, skipped=data.skipped,
    )
    return summary.model_copy(update={"changes": compare(summary, previous)})


class _Index:
    """One pass over the snapshot for all the milestones of a summary, not one per milestone."""

    def __init__(
        self, data: SummaryInput, snapshot: Snapshot, milestones: Sequence[Milestone], *,
        now: datetime,
    ) -> None:
        self.data = data
        self.snapshot = snapshot
        self.now = now
        keys = {milestone.key for milestone in milestones}
        self.members: dict[str, list[Issue]] = {key: [] for key in keys}
        for issue in snapshot.issues:
            for key in issue.milestone_keys:
                if key in self.members:
                    self.members[key].append(issue)
        #: milestone -> issue key -> [(at, 1 = joined / 0 = left)]
        self.moves = milestone_moves(snapshot.changes, keys)
        self.by_key = {issue.key: issue for issue in snapshot.issues}
        watched = data.options(schedule_slip.KIND, schedule_slip.Options)
        self.slip_watched = watched is not None
        self.slip = watched or schedule_slip.Options(id="slip", kind=schedule_slip.KIND)
        self.scope_options = data.options(scope_creep.KIND, scope_creep.Options) or \
            scope_creep.Options(id="scope", kind=scope_creep.KIND)
        self.scopes = scope_creep.measure(snapshot, self.scope_options, milestones)
        self._samples: list[float] | None = None
        self._slip_issues: list[Issue] | None = None
        self._size: Sizing | None = None

    def slip_issues(self) -> list[Issue]:
        if self._slip_issues is None:
            options = self.slip
            scoped = bool(options.only_labels or options.exempt_labels)
            self._slip_issues = [issue for issue in self.snapshot.issues
                                 if not scoped or options.in_scope(issue)]
        return self._slip_issues

    def size(self) -> Sizing:
        """What the schedule_slip rule's forecast counts: points or issues, project-wide."""
        if self._size is None:
            self._size = sizing(self.slip_issues())
        return self._size

    def samples(self) -> list[float]:
        """The weekly throughput the schedule_slip rule samples (computed once)."""
        if self._samples is None:
            ctx = RuleContext(now=self.now, calendar=self.data.calendar,
                              history=self.data.history, seed=self.data.seed)
            self._samples = schedule_slip.weekly_throughput(
                self.slip_issues(), ctx, weeks=max(1, self.slip.window // schedule_slip.WEEK),
                size=self.size())
        return self._samples


def _milestone(
    data: SummaryInput, index: _Index, milestone: Milestone, *, now: datetime
) -> MilestoneSummary:
    members = index.members[milestone.key]
    schedule = data.finding("schedule_slip", "schedule", milestone.key)
    slip, watched = index.slip, index.slip_watched
    today = data.calendar.local_date(now)
    forecast, days_overdue, days_late = Forecast(confidence=slip.confidence), 0, 0
    health: Health = "no_due_date"
    if schedule is not None:
        evidence = schedule.evidence
        health = "off_track" if evidence.get("status") == "overdue" else "at_risk"
        days_overdue = int(evidence.get("days_overdue") or 0)
        forecast = Forecast(forecast_on=evidence.get("forecast_on"),
                            probability=evidence.get("probability"),
                            confidence=evidence.get("confidence", slip.confidence))
    elif members and all(not issue.is_open for issue in members):
        # No work left: done, late when the last issue closed after the due date.
        health, days_late = "done", _days_late(data, milestone, members)
        forecast = Forecast(confidence=slip.confidence)
    elif milestone.due_on is not None:
        probability, forecast_on = _forecast(data, index, milestone, now=now)
        forecast = Forecast(forecast_on=forecast_on, probability=probability,
                            confidence=slip.confidence)
        health = "on_track"
        if not watched and milestone.due_on < today and any(i.is_open for i in members):
            health, days_overdue = "off_track", (today - milestone.due_on).days
        elif not watched and probability is not None and probability < slip.confidence:
            health = "at_risk"
    size = sizing(members)
    return MilestoneSummary(
        key=milestone.key, title=milestone.title, kind=milestone.kind, unit=size.unit,
        health=health,
        days_overdue=days_overdue, days_late=days_late, progress=progress(members),
        due=_due(data.history, milestone),
        forecast=forecast, scope=_scope(data, index, milestone),
        burnup=burnup(membership(milestone.key, members=members, moved=index.moves[milestone.key],
                                 by_key=index.by_key), milestone, now=now, zone=data.zone,
                      size=size),
    )


def _days_late(data: SummaryInput, milestone: Milestone, members: Sequence[Issue]) -> int:
    """Days between the due date and the last closure, in the project's calendar; 0 if on time."""
    closed = [issue.closed_at for issue in members if issue.closed_at is not None]
    if milestone.due_on is None or not closed:
        return 0
    return max(0, (data.calendar.local_date(max(closed)) - milestone.due_on).days)


def progress(members: Sequence[Issue]) -> Progress:
    total = len(members)
    done = sum(not issue.is_open for issue in members)
    estimated = [issue for issue in members if issue.estimate is not None]
    estimate_total = estimate_done = share = None
    if estimated:
        estimate_total = round(sum(issue.estimate or 0.0 for issue in estimated), 2)
        estimate_done = round(sum(issue.estimate or 0.0 for issue in estimated
                                  if not issue.is_open), 2)
        share = round(estimate_done / estimate_total, 3) if estimate_total else None
    return Progress(issues_total=total, issues_done=done,
                    done_share=round(done / total, 3) if total else None,
                    estimate_total=estimate_total, estimate_done=estimate_done,
                    estimate_done_share=share)


def _due(history: History, milestone: Milestone) -> DueDate:
    seen = sorted(history.due_dates.get(milestone.key, ()), key=lambda obs: obs.seen_at)
    dates = [obs.due_on for obs in seen if obs.due_on is not None]
    if milestone.due_on is not None:
        dates.append(milestone.due_on)
    if not dates or milestone.due_on is None:
        return DueDate(due_on=milestone.due_on, first_due_on=dates[0] if dates else None)
    moves = sum(1 for earlier, later in pairwise(dates) if earlier != later)
    return DueDate(due_on=milestone.due_on, first_due_on=dates[0],
                   days_moved=(milestone.due_on - dates[0]).days, moves=moves)


def _forecast(
    data: SummaryInput, index: _Index, milestone: Milestone, *, now: datetime,
) -> tuple[float | None, date | None]:
    """(chance to finish by the due date, forecast date): the rule's own forecast."""
    assert milestone.due_on is not None
    options = index.slip
    scoped = bool(options.only_labels or options.exempt_labels)
    size = index.size()
    left = [issue for issue in index.members[milestone.key]
            if issue.is_open and (not scoped or options.in_scope(issue))]
    remaining = size.total(left)
    if not left or remaining <= 0:
        return 1.0, None
    samples = index.samples()
    # The rule's seeding, so that the numbers match its findings exactly.
    rng = random.Random((data.seed << 32) ^ zlib.crc32(milestone.key.encode()))  # noqa: S311
    offsets = sorted(schedule_slip.finish_offsets(samples, remaining, trials=options.trials,
                                                  rng=rng))
    today = data.calendar.local_date(now)
    on_time = bisect_left(offsets, (milestone.due_on - today).days + 1)
    needed = max(1, math.ceil(options.confidence * options.trials - 1e-9))
    forecast_on = today + timedelta(days=offsets[needed - 1]) if len(offsets) >= needed else None
    return round(on_time / options.trials, 3), forecast_on


def _scope(data: SummaryInput, index: _Index, milestone: Milestone) -> Scope | None:
    measured = index.scopes.get(milestone.key)
    if measured is None:
        return None
    return scope_of(data, measured, index.scope_options,
                    over=data.finding(scope_creep.KIND, "growth", milestone.key))


def scope_of(
    data: SummaryInput, measured: scope_creep.MilestoneScope, options: scope_creep.Options,
    *, over: Finding | None = None,
) -> Scope:
    added = len(measured.added)
    growth = measured.growth
    points = measured.sizing.in_points
    return Scope(
        baseline_at=data.local(measured.baseline_at), baseline_count=measured.baseline_count,
        added_count=added, approved_count=len(measured.approved),
        descoped_count=len(measured.descoped),
        current_count=len(measured.baseline) + added + len(measured.approved),
        growth=0.0 if growth is None else (None if math.isinf(growth) else round(growth, 3)),
        unit=measured.sizing.unit,
        baseline_points=rounded(measured.baseline_size) if points else None,
        added_points=rounded(measured.added_size) if points else None,
        current_points=rounded(measured.current_size) if points else None,
        unestimated_count=measured.unestimated,
        threshold=options.threshold, over_threshold=over is not None,
        added=[ref(issue) for issue, _ in sorted(measured.added, key=_by_time)],
        approved=[ref(issue) for issue, _ in sorted(measured.approved, key=_by_time)],
        descoped=[ref(issue) for issue, _ in sorted(measured.descoped, key=_by_time)],
    )


def _by_time(item: tuple[Issue, datetime]) -> tuple[datetime, str]:
    return item[1], item[0].key


def ref(issue: Issue) -> IssueRef:
    return IssueRef(key=issue.key, title=issue.title, url=issue.url or None,
                    closed=not issue.is_open)


# -- feedback and risks -----------------------------------------------------------------------


def feedback_of(data: SummaryInput, snapshot: Snapshot, *, now: datetime,
              authors: frozenset[str] | None = None) -> Feedback:
    """Waits and KPIs of every client, or of ``authors`` only (a client edition)."""
    options = data.options(unanswered_feedback.KIND, unanswered_feedback.Options)
    found = [request for request in requests(snapshot, options)
             if authors is None or request.author in authors]
    clock = Clock(snapshot, data.calendar, options, sorted({r.issue.key for r in found}))
    names = {pid: person.name or pid for pid, person in snapshot.people.items()}
    awaiting: list[AwaitingReply] = []
    for request in found:
        if request.answered_at is not None or request.paused_now or not request.issue.is_open:
            continue
        waited = clock.elapsed(request.issue.key, request.asked_at, now)
        awaiting.append(AwaitingReply(
            issue=ref(request.issue), client=names.get(request.author, request.author),
            asked_at=data.local(request.asked_at), business_hours=round(waited / HOUR, 1),
            sla_hours=round(request.sla / HOUR, 2) if request.sla is not None else None,
            status=_wait_status(data, request.issue.key, waited, request.sla, options),
        ))
    awaiting.sort(key=lambda item: (-item.business_hours, item.issue.key))
    clients = sum(1 for pid, person in snapshot.people.items()
                  if person.kind == "client" and (authors is None or pid in authors))
    return Feedback(
        watched=options is not None, clients=clients, awaiting=awaiting,
        last_30_days=kpis(found, clock, since=now - KPI_WINDOW, until=now, now=now,
                          zone=data.zone),
    )


def _wait_status(
    data: SummaryInput, issue_key: str, waited: timedelta, sla: timedelta | None,
    options: unanswered_feedback.Options | None,
) -> WaitStatus:
    finding = data.finding(unanswered_feedback.KIND, "awaiting_reply", issue_key)
    if finding is not None:
        return "breach" if finding.severity >= Severity.CRITICAL else "warning"
    if sla is None or options is None:
        return "waiting"
    if waited >= sla:
        return "breach"
    return "warning" if waited >= sla * options.warn_at else "waiting"


def _empty_kpis(data: SummaryInput, now: datetime) -> FeedbackKpis:
    return FeedbackKpis(since=data.local(now - KPI_WINDOW), until=data.local(now), requests=0,
                        answered=0, within_sla=0, missed_sla=0, pending=0)


def _in_register(finding: Finding) -> bool:
    """The risk rule's issue findings make the register; its milestone alert stays a risk."""
    return finding.kind == risk.KIND and finding.subject_kind == "issue"


def _risks(data: SummaryInput) -> list[Risk]:
    active = [f for f in data.findings if f.severity > Severity.INFO and not _in_register(f)]
    active.sort(key=lambda f: (-f.severity, f.kind, f.subject_key, f.fingerprint))
    return [_risk(data, f) for f in active]


def _register(data: SummaryInput) -> list[Risk]:
    """Issues at risk, milestone by milestone, then by issue and reason."""
    found = [f for f in data.findings if _in_register(f)]
    found.sort(key=lambda f: (str(f.evidence.get("milestone_title", "")), f.subject_key,
                              f.cause, f.fingerprint))
    return [_risk(data, f) for f in found]


def _risk(data: SummaryInput, f: Finding) -> Risk:
    return Risk(fingerprint=f.fingerprint, rule=f.rule_id, kind=f.kind, cause=f.cause,
                severity=_SEVERITIES[f.severity],
                subject=Subject(kind=f.subject_kind, key=f.subject_key),
                acked=f.acked, label=f.label, team_only=f.team_only,
                evidence={key: jsonable(value, data.zone) for key, value in f.evidence.items()})


def jsonable(value: Any, zone: ZoneInfo) -> Any:
    """Evidence as JSON: datetimes in the project's zone, ∞ as the string "inf"."""
    if isinstance(value, list | tuple):
        return [jsonable(item, zone) for item in value]
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat()
    if isinstance(value, date):
        return iso(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "inf" if value > 0 else "-inf"
    return value


# -- the retrospective ------------------------------------------------------------------------


def build_retrospective(
    data: SummaryInput, milestone: Milestone, *, now: datetime
) -> Retrospective:
    """What a closed milestone delivered against its baseline, and how feedback went."""
    assert data.snapshot is not None and milestone.closed_at is not None
    snapshot = data.snapshot
    members = [issue for issue in snapshot.issues if milestone.key in issue.milestone_keys]
    options = data.options(scope_creep.KIND, scope_creep.Options) or scope_creep.Options(
        id="scope", kind=scope_creep.KIND)
    measured = scope_creep.measure(snapshot, options, [milestone]).get(milestone.key)
    closed_on = data.calendar.local_date(milestone.closed_at)
    feedback_options = data.options(unanswered_feedback.KIND, unanswered_feedback.Options)
    found = requests(snapshot, feedback_options)
    clock = Clock(snapshot, data.calendar, feedback_options, sorted({r.issue.key for r in found}))
    started = milestone.start_on or milestone.created_at
    since = started or milestone.closed_at - KPI_WINDOW
    baseline_keys = {issue.key for issue in measured.baseline} if measured else set()
    return Retrospective(
        project=data.project, milestone=milestone.key, title=milestone.title,
        kind=milestone.kind, generated_at=data.local(now), timezone=data.calendar.timezone,
        language=_language(data.language),
        started_at=data.local(started) if started else None,
        closed_at=data.local(milestone.closed_at), due_on=milestone.due_on,
        days_late=(closed_on - milestone.due_on).days if milestone.due_on else None,
        scope=scope_of(data, measured, options) if measured else None,
        delivered=sum(not issue.is_open for issue in members),
        delivered_baseline=sum(not i.is_open for i in members if i.key in baseline_keys),
        not_delivered=[ref(issue) for issue in members if issue.is_open],
        feedback=kpis(found, clock, since=since, until=milestone.closed_at, now=now,
                      zone=data.zone),
    )
