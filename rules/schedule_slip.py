"""schedule_slip: milestones that are late, will likely be late, or had their date moved.

A promised date is the expectation a client remembers best. This rule warns
while there is still time (a forecast from the team's recent pace), says
plainly when the date has passed, and keeps the record when a due date is
pushed back.

Options (with defaults)::

    rules:
      - id: slip                  # part of every fingerprint
        kind: schedule_slip
        window: 8w                # weekly throughput sampled over this period
        confidence: 0.85          # at risk when P(done by due date) is below this
        trials: 2000              # Monte Carlo trials (100 to 100000)
        per_issue: true           # also flag open issues past their own due date
        label: schedule-risk      # put on overdue issues (per_issue)
        pause_labels: [waiting-on-client]
        ack_labels: [forewarn-ack]
        only_labels: []
        exempt_labels: []
        notify: []
        notify_channels: []       # channels its alerts and reminders also go to
        remind: []                # working days before an at-risk due date: [3d, 1d]

Semantics, for each **open** milestone with a due date; *today* is the
project calendar's date at ``now`` (its time zone), and a milestone's
*remaining work* is its open, in-scope issues:

* **overdue** — ``due_on`` < today and remaining work is not empty: cause
  ``schedule``, status ``overdue``, CRITICAL, with ``days_overdue``.
* **at risk** — otherwise a Monte Carlo forecast: throughput = the number of
  in-scope issues closed in each of the last ``window`` weeks, project-wide,
  weeks with no closure included. The weeks are rolling, 7 × 24 hours each,
  ending at ``now`` (an issue closed exactly at ``now`` is in the latest
  week), so no week is partial; a ``window`` that is not a whole number of
  weeks is rounded down to one (``10d`` samples 1 week; at least ``1w``).
  Each trial draws a throughput per week until the remaining work is done,
  spreading a week's closures evenly over its 7 calendar days, so the trial
  ends on a day: today is day 0 and the due date counts in full. The
  probability is the share of trials done by ``due_on``; below
  ``confidence`` the milestone is at risk: cause ``schedule``, status
  ``at_risk``, WARNING. ``forecast_on`` is the date by which ``confidence``
  of the trials are done (after ``due_on`` exactly when at risk); it is
  empty when nothing was closed in the window or when that date is more than
  10 years away. At risk and overdue share a fingerprint: overdue is an
  escalation of the same finding.
* **moved** — ``due_on`` is later than the first due date forewarn ever saw
  for the milestone (the state store records each one; trackers keep no
  history of it): cause ``moved``, WARNING, with ``days_moved`` and ``moves``
  (how many times the date changed, this run's value included).
* **issue overdue** (when ``per_issue``) — an open, in-scope issue whose own
  due date (Jira ``duedate``) is before today: cause ``issue_overdue``,
  CRITICAL, labelled, on that issue. Issues carrying a ``pause_labels`` label
  are skipped.

Findings:

============= ========= ================== ======= ===== ===============================
cause         subject   severity           comment label on
============= ========= ================== ======= ===== ===============================
schedule      milestone warning / critical yes     no    the project's status issue
moved         milestone warning            yes     no    the project's status issue
issue_overdue issue     critical           yes     yes   the overdue issue
============= ========= ================== ======= ===== ===============================

Controls: ``only_labels``/``exempt_labels`` decide which issues count as
remaining work, as throughput and for ``issue_overdue``; ``pause_labels``
skip an issue's own overdue finding; ``ack_labels`` acknowledge an
``issue_overdue`` finding (milestone findings are acknowledged with the
checkbox in their alert). ``approved_labels`` do not apply to this rule.

**Points.** Where any in-scope issue of the project carries an estimate
(``Issue.estimate``: Jira story points or the project's ``estimate_field``, a
GitHub Project's number field), remaining work and throughput are counted in
points: the forecast then samples the points closed per week and draws until
the milestone's open points are done, so three open 13-point stories weigh
more than three 1-point ones. An unestimated issue weighs the average estimate
of the project's estimated issues (``rules/sizing.py``). The finding carries
``remaining_points`` (None when counted in issues) and its text says the work
left in points.

The forecast is deterministic: its random generator is seeded from the run's
seed and the milestone key.
"""

from __future__ import annotations

import math
import random
import zlib
from bisect import bisect_left
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import pairwise
from operator import add
from typing import Any

from pydantic import Field, field_validator

from connectors.model import Issue, Milestone, Snapshot
from rules.base import Finding, Messages, RuleContext, Severity, SubjectKind
from rules.options import Duration, Label, RuleOptions
from rules.reminders import WorkingDays
from rules.sizing import Sizing, rounded, sizing

KIND = "schedule_slip"
#: How the tracker shows this rule's label where forewarn creates it (GitHub).
LABEL_COLOR = "d93f0b"
LABEL_DESCRIPTION = "forewarn: due date passed or at risk"
#: What its findings are about: a milestone's go to the project's status issue.
SUBJECTS: tuple[SubjectKind, ...] = ("issue", "milestone")
WEEK = timedelta(weeks=1)
#: A forecast stops looking this many weeks ahead (about 10 years).
HORIZON_WEEKS = 520


class Options(RuleOptions):
    rule_kind = KIND
    window: Duration = Field(
        default=timedelta(weeks=8), description="Weekly throughput is sampled over this period."
    )
    confidence: float = Field(
        default=0.85, gt=0, lt=1, description="At risk when P(done by the due date) is below this."
    )
    trials: int = Field(default=2000, ge=100, le=100_000, description="Monte Carlo trials.")
    per_issue: bool = Field(
        default=True, description="Also report open issues past their own due date."
    )
    label: Label | None = Field(default="schedule-risk", description="Put on overdue issues.")
    remind: WorkingDays = Field(
        default=(), description="Working days before an at-risk milestone's due date: [3d, 1d]."
    )

    @field_validator("window")
    @classmethod
    def _whole_week(cls, value: timedelta) -> timedelta:
        if value < WEEK:
            msg = "window must be at least 1w (throughput is sampled per week)"
            raise ValueError(msg)
        return value


#: Texts per cause, audience and language (sync/render.py; docs/rules.md, "Message texts").
#: ``schedule`` has a variant per ``status`` (``schedule.at_risk``, ``schedule.overdue``);
#: the client reads the dates and what is left, the team also the odds and their target.
MESSAGES: Messages = {
    "schedule": {
        "en": ("Milestone “{milestone_title}” is due on {due_on} with {open_count:open_issue}; "
               "the chance to finish by then is {probability:percent}.",),
        "zh-CN": ("里程碑“{milestone_title}”的截止日期为 {due_on}，尚有 {open_count:open_issue}；"
                  "按期完成的概率为 {probability:percent}。",),
    },
    "schedule.at_risk": {
        "client": {
            "en": ("Milestone “{milestone_title}” may not be finished by its due date "
                   "{due_on}: {open_count:open_issue} left.",
                   "That is {remaining_points:point} of work.",
                   "At the team's recent pace, the forecast completion is {forecast_on}."),
            "zh-CN": ("里程碑“{milestone_title}”可能无法在截止日期 {due_on} 前完成：尚有 "
                      "{open_count:open_issue}。",
                      "剩余工作量为 {remaining_points:point}。",
                      "按团队近期的速度，预计完成日期为 {forecast_on}。"),
        },
        "team": {
            "en": ("Milestone “{milestone_title}” is at risk: {open_count:open_issue} left and "
                   "a {probability:percent} chance to finish by its due date {due_on} at the "
                   "team's pace of the last weeks (target {confidence:percent}).",
                   "Work left: {remaining_points:point}.",
                   "Forecast completion: {forecast_on}."),
            "zh-CN": ("里程碑“{milestone_title}”存在延期风险：尚有 {open_count:open_issue}，按团队"
                      "近几周的速度，在截止日期 {due_on} 前完成的概率为 {probability:percent}"
                      "（目标 {confidence:percent}）。",
                      "剩余工作量：{remaining_points:point}。",
                      "预计完成日期：{forecast_on}。"),
        },
    },
    "schedule.overdue": {
        "en": ("Milestone “{milestone_title}” is {days_overdue:day} overdue: it was due on "
               "{due_on}, with {open_count:open_issue} left.",
               "That is {remaining_points:point} of work.",
               "Forecast completion: {forecast_on}."),
        "zh-CN": ("里程碑“{milestone_title}”已逾期 {days_overdue:day}：截止日期为 {due_on}，"
                  "仍有 {open_count:open_issue}。",
                  "剩余工作量为 {remaining_points:point}。",
                  "预计完成日期：{forecast_on}。"),
    },
    "moved": {
        "en": ("The due date of milestone “{milestone_title}” moved from {first_due_on} to "
               "{due_on}: {days_moved:day} later, after {moves:change}.",),
        "zh-CN": ("里程碑“{milestone_title}”的截止日期已从 {first_due_on} 推迟到 {due_on}："
                  "延后 {days_moved:day}，共 {moves:change}。",),
    },
    "issue_overdue": {
        "en": ("“{title}” was due on {due_on} and is still open: {days_overdue:day} overdue.",),
        "zh-CN": ("“{title}”的截止日期为 {due_on}，至今未完成：已逾期 {days_overdue:day}。",),
    },
}


def evaluate(snapshot: Snapshot, ctx: RuleContext, options: Options) -> list[Finding]:
    """Findings for milestones with a due date and, with ``per_issue``, for issues."""
    if not options.enabled or (options.projects and snapshot.project not in options.projects):
        return []
    today = ctx.calendar.local_date(ctx.now)
    milestones = {
        m.key: (m, m.due_on) for m in snapshot.milestones if m.state == "open" and m.due_on
    }
    if options.only_labels or options.exempt_labels:
        issues = [issue for issue in snapshot.issues if options.in_scope(issue)]
    else:
        issues = list(snapshot.issues)
    findings: list[Finding] = []
    size = sizing(issues)

    remaining: dict[str, int] = dict.fromkeys(milestones, 0)
    work: dict[str, float] = dict.fromkeys(milestones, 0.0)
    paused = options.folded(options.pause_labels)
    for issue in issues:
        if not issue.is_open:
            continue
        for key in issue.milestone_keys:
            if key in remaining:
                remaining[key] += 1
                work[key] += size.weight(issue)
        if (
            options.per_issue
            and issue.due_on is not None
            and issue.due_on < today
            and not (issue.labels and issue.has_label(paused))
        ):
            findings.append(_issue_overdue(options, issue, due_on=issue.due_on, today=today))

    samples: list[float] | None = None
    for key, (milestone, due_on) in milestones.items():
        findings.extend(_moved(options, milestone, due_on, ctx))
        if not remaining[key]:
            continue
        if samples is None:
            samples = weekly_throughput(issues, ctx, weeks=max(1, options.window // WEEK),
                                        size=size)
        # A forecast, not a secret: a seeded generator keeps runs reproducible.
        rng = random.Random((ctx.seed << 32) ^ zlib.crc32(key.encode()))  # noqa: S311
        findings.extend(
            _schedule(options, milestone, (remaining[key], work[key]), samples, due_on=due_on,
                      today=today, rng=rng, size=size)
        )
    findings.sort(key=lambda finding: finding.fingerprint)
    return findings


def weekly_throughput(issues: Sequence[Issue], ctx: RuleContext, *, weeks: int,
                      size: Sizing | None = None) -> list[float]:
    """Work closed in each of the ``weeks`` rolling weeks ending at ``ctx.now``, newest first:
    issues, or points with a ``size`` in points."""
    counts: list[float] = [0] * weeks
    now = ctx.now
    for issue in issues:
        closed_at = issue.closed_at
        if issue.is_open or closed_at is None or closed_at > now:
            continue
        week = (now - closed_at) // WEEK
        if week < weeks:
            counts[week] += size.weight(issue) if size is not None else 1
    return counts


def finish_offsets(
    samples: Sequence[float], remaining: float, *, trials: int, rng: random.Random
) -> list[int]:
    """Per trial, the day (0 = today) the remaining work is done; unfinished trials are left out.

    A week's sampled throughput is spread evenly over its 7 days, so a trial
    that needs 2 more issues in a week that closes 7 ends on that week's 2nd day.
    All trials advance together, one week at a time, so the work per week is
    a few list operations rather than a Python loop per trial.
    """
    offsets: list[int] = []
    best = max(samples, default=0)
    if remaining <= 0 or best == 0 or remaining > best * HORIZON_WEEKS:
        return offsets
    done: list[float] = [0] * trials  # closed so far, per unfinished trial
    for week in range(HORIZON_WEEKS):
        draws = _draw(rng, samples, len(done))
        totals = list(map(add, done, draws))
        if max(totals) >= remaining:
            first_day = 7 * week - 1
            offsets.extend(
                first_day - int((7 * (before - remaining)) // drawn)
                for before, drawn, total in zip(done, draws, totals, strict=True)
                if total >= remaining
            )
            totals = [total for total in totals if total < remaining]
            if not totals:
                break
        done = totals
    return offsets


def _draw(rng: random.Random, samples: Sequence[float], count: int) -> list[float]:
    """``count`` weekly throughputs drawn uniformly, with replacement, from ``samples``.

    Random bytes mapped through a translation table do in C what
    ``rng.choices`` does one Python step at a time; bytes that would bias
    the choice (256 is not a multiple of the number of samples) are dropped.
    """
    size = len(samples)
    if size == 1:
        return [samples[0]] * count
    if size > 255:
        return rng.choices(list(samples), k=count)
    table = _TABLES.get(size)
    if table is None:
        limit = 256 - 256 % size
        table = _TABLES[size] = bytes(b % size if b < limit else 255 for b in range(256))
    picks = b""
    while len(picks) < count:
        picks += rng.randbytes(count - len(picks) + 8).translate(table).replace(b"\xff", b"")
    return list(map(samples.__getitem__, picks[:count]))


_TABLES: dict[int, bytes] = {}


def _schedule(
    options: Options,
    milestone: Milestone,
    left: tuple[int, float],
    samples: Sequence[float],
    *,
    due_on: date,
    today: date,
    rng: random.Random,
    size: Sizing,
) -> list[Finding]:
    """``left``: the open issues and the work they weigh (``size``'s unit)."""
    open_count, work = left
    # Open issues that weigh nothing (0 points) are done as far as a forecast can tell.
    offsets = sorted(finish_offsets(samples, work, trials=options.trials, rng=rng)) \
        if work > 0 else [0] * options.trials
    due_offset = (due_on - today).days
    on_time = bisect_left(offsets, due_offset + 1)  # trials with offset <= due_offset
    probability = on_time / options.trials
    needed = max(1, math.ceil(options.confidence * options.trials - 1e-9))
    forecast_on = today + timedelta(days=offsets[needed - 1]) if len(offsets) >= needed else None
    overdue = due_offset < 0
    if not overdue and probability >= options.confidence:
        return []
    evidence: dict[str, Any] = {
        "milestone_title": milestone.title,
        "due_on": due_on,
        "open_count": open_count,
        "probability": round(probability, 3),
        "confidence": options.confidence,
        "forecast_on": forecast_on,
        "status": "overdue" if overdue else "at_risk",
        "days_overdue": max(0, -due_offset),
        "remaining_points": rounded(work) if size.in_points else None,
    }
    severity = Severity.CRITICAL if overdue else Severity.WARNING
    return [options.finding(milestone, "schedule", severity=severity, evidence=evidence)]


def _moved(options: Options, milestone: Milestone, due_on: date, ctx: RuleContext) -> list[Finding]:
    seen = sorted(ctx.history.due_dates.get(milestone.key, ()), key=lambda obs: obs.seen_at)
    dates = [obs.due_on for obs in seen if obs.due_on is not None]
    if not dates or due_on <= dates[0]:
        return []
    dates.append(due_on)
    moves = sum(1 for earlier, later in pairwise(dates) if earlier != later)
    evidence = {
        "milestone_title": milestone.title,
        "first_due_on": dates[0],
        "due_on": due_on,
        "days_moved": (due_on - dates[0]).days,
        "moves": moves,
    }
    return [options.finding(milestone, "moved", severity=Severity.WARNING, evidence=evidence)]


def _issue_overdue(options: Options, issue: Issue, *, due_on: date, today: date) -> Finding:
    evidence = {"title": issue.title, "due_on": due_on, "days_overdue": (today - due_on).days}
    return options.finding(issue, "issue_overdue", severity=Severity.CRITICAL, evidence=evidence)
