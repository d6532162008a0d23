"""risk: work in a promised milestone that is blocked, stalled or has nobody on it.

A milestone is a promise to the client; the work in it that cannot move is
the risk to that promise. This rule lists, per open milestone, the issues that
are blocked, stalled or unowned, in one alert edited as the list changes, and
labels each of them when asked.

Options (with defaults)::

    rules:
      - id: risks                 # part of every fingerprint
        kind: risk
        stalled_after: 5          # working days without activity: stalled
        unowned_after: 2          # working days in the milestone without an assignee
        priority_labels: [p0, p1, blocker, critical, highest]
        in_progress_labels: []    # trackers without status categories (GitHub)
        label: null               # e.g. at-risk: put on each issue at risk
        approved_labels: [risk-accepted]
        pause_labels: [waiting-on-client]
        ack_labels: [forewarn-ack]
        only_labels: []
        exempt_labels: []
        notify: []

Semantics, for each **open** in-scope issue in an **open** milestone:

* **Blocked** — Jira's Flagged field is set (an impediment); or an issue it "is
  blocked by" (Jira links) is still open: a blocker in the snapshot by its state
  now, one outside it (another project) by its status when the issue was read;
  or the tracker counts open blockers (GitHub ``issue_dependencies_summary``,
  recounted by GitHub as blockers close, as of the issue's last read: GitHub
  names no blocker without a request per issue, so none is named).
* **Stalled** — in progress and no activity for ``stalled_after`` working days
  of the project calendar. In progress: Jira status category "In Progress"
  (``indeterminate``); without status categories (GitHub, the local tracker),
  open, assigned and, when ``in_progress_labels`` are given, carrying one.
  Activity: the issue's creation, any comment by a person (not a bot, not
  forewarn), any change in its history made by a person. ``updated_at`` is not
  activity: forewarn's own labels and comments move it. A blocked issue is
  reported as blocked only; one carrying a ``pause_labels`` label is not stalled
  (it waits on the client).
* **Unowned** — nobody assigned, and either a priority in ``priority_labels``
  (a label or the tracker's priority, case-insensitive: at once) or in the
  milestone for ``unowned_after`` working days (since it last joined it, or was
  created).

Findings:

=========== ========= ======== ======= ======================================
cause       subject   severity comment label
=========== ========= ======== ======= ======================================
at_risk     milestone warning  yes     no: one alert listing the issues below
blocked     issue     warning  no      ``label`` when set
stalled     issue     warning  no      ``label`` when set
unowned     issue     warning  no      ``label`` when set
=========== ========= ======== ======= ======================================

The milestone alert keeps one fingerprint: as issues join or leave the list, it
is edited in place (nobody is notified of an edit); it is resolved when the list
is empty. An issue in two open milestones is listed in both.

Controls: ``only_labels``/``exempt_labels`` choose the issues; an issue with an
``approved_labels`` label is an accepted risk (counted as ``accepted_count``,
neither listed nor labelled); ``pause_labels`` keep an issue from being stalled;
``ack_labels`` acknowledge an issue's findings; the milestone alert is
acknowledged with its checkbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import Field

from connectors.model import ISSUE_OF, Issue, Milestone, Snapshot, picked
from rules.base import Finding, Messages, RuleContext, Severity, SubjectKind
from rules.calendar import BusinessCalendar
from rules.options import Label, LabelList, RuleOptions
from rules.reuse import Kept, by_issue, kept
from rules.threads import threads

KIND = "risk"
#: How the tracker shows this rule's label where forewarn creates it (GitHub).
LABEL_COLOR = "d93f0b"
LABEL_DESCRIPTION = "forewarn: blocked, stalled or unowned in a promised milestone"
#: What its findings are about: milestone findings need a status issue to go to.
SUBJECTS: tuple[SubjectKind, ...] = ("issue", "milestone")
REASONS = ("blocked", "stalled", "unowned")


class Options(RuleOptions):
    rule_kind = KIND
    stalled_after: int = Field(
        default=5, ge=1, le=260,
        description="Working days without activity after which work in progress is stalled.")
    unowned_after: int = Field(
        default=2, ge=0, le=260,
        description="Working days in the milestone without an assignee: unowned.")
    priority_labels: LabelList = Field(
        default=("p0", "p1", "blocker", "critical", "highest"),
        description="Labels or priorities that must have an assignee at once.")
    in_progress_labels: LabelList = Field(
        default=(), description="Without status categories (GitHub): labels that mean in "
                                "progress; empty: every open, assigned issue is.")
    approved_labels: LabelList = Field(
        default=("risk-accepted",), description="An accepted risk: counted, not listed.")
    label: Label | None = Field(default=None, description="Put on each issue at risk.")


#: Texts per cause, audience and language (sync/render.py; docs/rules.md, "Message texts").
#: The client reads how much of a milestone may hold it up and why, in plain words; the
#: team reads which issues, for how long, who has them and what to do.
MESSAGES: Messages = {
    "at_risk": {
        "client": {
            "en": ("{risk_count:issue} in milestone “{milestone_title}” may hold it up.",
                   "{blocked_count:issue?} waiting on other work.",
                   "{stalled_count:issue?} without progress for {stalled_after:working_day} "
                   "or more.",
                   "{unowned_count:issue?} not picked up by the team yet."),
            "zh-CN": ("里程碑“{milestone_title}”中有 {risk_count:issue}可能拖延进度。",
                      "{blocked_count:issue?}在等待其他工作完成。",
                      "{stalled_count:issue?}已有 {stalled_after:working_day}或更久没有进展。",
                      "{unowned_count:issue?}尚未有人接手。"),
        },
        "team": {
            "en": ("Milestone “{milestone_title}” has {risk_count:issue} at risk.",
                   "Blocked: {blocked}.",
                   "No activity for {stalled_after:working_day} or more: {stalled}.",
                   "Unassigned: {unowned}.",
                   "{accepted_count:accepted_risk?} not listed.",
                   "Unblock, restart or assign them, or tell the client what it means for "
                   "the due date."),
            "zh-CN": ("里程碑“{milestone_title}”有 {risk_count:issue}存在风险。",
                      "被阻塞：{blocked}。",
                      "{stalled_after:working_day}或更久无动态：{stalled}。",
                      "无人负责：{unowned}。",
                      "未列出 {accepted_count:accepted_risk?}。",
                      "请解除阻塞、恢复推进或指派负责人，或告知客户这对截止日期的影响。"),
        },
    },
    "blocked.linked": {
        "client": {
            "en": ("“{title}” is waiting on other work before it can go on.",),
            "zh-CN": ("“{title}”需等待其他工作完成后才能继续。",),
        },
        "team": {
            "en": ("“{title}” in milestone “{milestone_title}” is blocked by "
                   "{blocker_count:open_issue}.",
                   "Blockers: {blockers}."),
            "zh-CN": ("“{title}”（里程碑“{milestone_title}”）被 {blocker_count:open_issue}阻塞。",
                      "阻塞项：{blockers}。"),
        },
    },
    "blocked.flagged": {
        "client": {
            "en": ("“{title}” is waiting on other work before it can go on.",),
            "zh-CN": ("“{title}”需等待其他工作完成后才能继续。",),
        },
        "team": {
            "en": ("“{title}” in milestone “{milestone_title}” is flagged as an impediment.",
                   "Blockers: {blockers}."),
            "zh-CN": ("“{title}”（里程碑“{milestone_title}”）被标记为受阻。",
                      "阻塞项：{blockers}。"),
        },
    },
    "stalled": {
        "client": {
            "en": ("“{title}” has seen no progress since {last_activity_at}.",),
            "zh-CN": ("“{title}”自 {last_activity_at} 以来没有进展。",),
        },
        "team": {
            "en": ("“{title}” in milestone “{milestone_title}” has had no activity for "
                   "{idle_days:working_day}, since {last_activity_at}.",
                   "Assigned to {assignees}."),
            "zh-CN": ("“{title}”（里程碑“{milestone_title}”）已 {idle_days:working_day}没有动态"
                      "（自 {last_activity_at} 起）。",
                      "负责人：{assignees}。"),
        },
    },
    "unowned.priority": {
        "client": {
            "en": ("“{title}” in milestone “{milestone_title}” has not been picked up by the "
                   "team yet.",),
            "zh-CN": ("“{title}”（里程碑“{milestone_title}”）尚未有人接手。",),
        },
        "team": {
            "en": ("“{title}” in milestone “{milestone_title}” has priority {priority} and "
                   "nobody assigned.",),
            "zh-CN": ("“{title}”（里程碑“{milestone_title}”）的优先级为 {priority}，但尚未指派"
                      "任何人。",),
        },
    },
    "unowned.waiting": {
        "client": {
            "en": ("“{title}” in milestone “{milestone_title}” has not been picked up by the "
                   "team yet.",),
            "zh-CN": ("“{title}”（里程碑“{milestone_title}”）尚未有人接手。",),
        },
        "team": {
            "en": ("“{title}” has been in milestone “{milestone_title}” without an assignee "
                   "for {idle_days:working_day}, since {since}.",),
            "zh-CN": ("“{title}”在里程碑“{milestone_title}”中已 {idle_days:working_day}无人"
                      "负责（自 {since} 起）。",),
        },
    },
}


@dataclass(slots=True)
class _Register:
    """One open milestone's issues at risk, by reason, as the alert lists them."""

    milestone: Milestone
    listed: dict[str, list[str]] = field(default_factory=lambda: {r: [] for r in REASONS})
    accepted: int = 0


def evaluate(snapshot: Snapshot, ctx: RuleContext, options: Options) -> list[Finding]:
    """Findings for every open milestone with work at risk (see the module docstring)."""
    if not options.enabled or (options.projects and snapshot.project not in options.projects):
        return []
    registers = {m.key: _Register(m) for m in snapshot.milestones if m.state == "open"}
    members = [issue for issue in snapshot.issues if issue.is_open
               and any(key in registers for key in issue.milestone_keys)
               and (not (options.only_labels or options.exempt_labels)
                    or options.in_scope(issue))]
    if not members:
        return []
    judge = _Judge.of(snapshot, ctx, options, members)
    findings: list[Finding] = []
    accepted = options.folded(options.approved_labels)
    for issue in members:
        is_accepted = bool(issue.labels) and issue.has_label(accepted)
        for key in issue.milestone_keys:
            register = registers.get(key)
            if register is None:
                continue
            found = judge.findings(issue, register.milestone)
            if found and is_accepted:
                register.accepted += 1
                continue
            for finding in found:
                register.listed[finding.cause].append(issue.key)
            findings.extend(found)
    findings.extend(_milestone_finding(options, register) for register in registers.values()
                    if any(register.listed.values()))
    findings.sort(key=lambda finding: finding.fingerprint)
    return findings


def _milestone_finding(options: Options, register: _Register) -> Finding:
    listed = {reason: sorted(keys) for reason, keys in register.listed.items()}
    at_risk = {key for keys in listed.values() for key in keys}
    evidence = {
        "milestone_title": register.milestone.title,
        "due_on": register.milestone.due_on,
        "risk_count": len(at_risk),
        **{f"{reason}_count": len(keys) for reason, keys in listed.items()},
        **listed,
        "accepted_count": register.accepted,
        "stalled_after": options.stalled_after,
    }
    return options.finding(register.milestone, "at_risk", severity=Severity.WARNING,
                           evidence=evidence)


class _Judge:
    """Decides, issue by issue, what holds it up; built once per evaluation."""

    def __init__(self, *, ctx: RuleContext, options: Options, open_now: Mapping[str, bool],
                 activity: Mapping[str, datetime], joins: Mapping[str, Mapping[str, datetime]],
                 names: Mapping[str, str]) -> None:
        self.ctx = ctx
        self.calendar: BusinessCalendar = ctx.calendar
        self.options = options
        self.open_now = open_now
        self.activity = activity
        self.joins = joins
        self.names = names
        self.paused = options.folded(options.pause_labels)
        self.progress = options.folded(options.in_progress_labels)
        self.priorities = options.folded(options.priority_labels)
        #: Last evaluation's findings, reused where made from equal inputs (rules/reuse.py).
        self.kept: Kept[Finding] = kept(ctx, options.id, options)

    @classmethod
    def of(cls, snapshot: Snapshot, ctx: RuleContext, options: Options,
           members: list[Issue]) -> _Judge:
        keys = frozenset(issue.key for issue in members)
        people = {pid: person.kind for pid, person in snapshot.people.items()}
        # Per member issue, kept from one evaluation to the next (rules/reuse.py): a
        # daemon's next cycle reads again only the issues touched in between.
        guard = (keys, people)
        return cls(
            ctx=ctx, options=options,
            open_now={issue.key: issue.is_open for issue in snapshot.issues},
            activity=by_issue(snapshot, ctx, f"{options.id}:activity", guard, lambda only: (
                _last_activity(snapshot, ctx, keys if only is None else keys & only, people))),
            joins=by_issue(snapshot, ctx, f"{options.id}:joins", guard, lambda only: (
                _joins(snapshot, keys if only is None else keys & only))),
            names={pid: person.name or pid for pid, person in snapshot.people.items()},
        )

    def findings(self, issue: Issue, milestone: Milestone) -> list[Finding]:
        base = {"title": issue.title, "milestone": milestone.key,
                "milestone_title": milestone.title}
        found: list[Finding] = []
        blocked = self._blocked(issue)
        if blocked is not None:
            found.append(self._finding(issue, milestone, "blocked", {**base, **blocked}))
        elif (stalled := self._stalled(issue)) is not None:
            found.append(self._finding(issue, milestone, "stalled", {**base, **stalled}))
        unowned = self._unowned(issue, milestone)
        if unowned is not None:
            found.append(self._finding(issue, milestone, "unowned", {**base, **unowned}))
        return found

    def _finding(self, issue: Issue, milestone: Milestone, cause: str,
                 evidence: dict[str, Any]) -> Finding:
        return self.kept.result((issue.key, milestone.key, cause), (issue, evidence), lambda: (
            self.options.finding(issue, cause, severity=Severity.WARNING, anchor=milestone.key,
                                 evidence=evidence, comment=False)))

    def _blocked(self, issue: Issue) -> dict[str, Any] | None:
        # A blocker the snapshot holds is judged by its state now (it may have closed
        # since this issue was read); one outside it by its status then.
        blockers = [key for key in issue.blocked_by if self.open_now.get(key, True)]
        count = max(len(blockers), issue.open_blockers or 0)
        if not (issue.flagged or count):
            return None
        return {"status": "flagged" if issue.flagged else "linked", "blockers": blockers,
                "blocker_count": count}

    def _in_progress(self, issue: Issue) -> bool:
        if issue.status_category is not None:
            return issue.status_category == "indeterminate"
        if not issue.assignees:
            return False
        return not self.progress or issue.has_label(self.progress)

    def _stalled(self, issue: Issue) -> dict[str, Any] | None:
        if not self._in_progress(issue) or (issue.labels and issue.has_label(self.paused)):
            return None
        last = self.activity.get(issue.key, issue.created_at)
        idle = self.calendar.working_days(last, self.ctx.now)
        if idle < self.options.stalled_after:
            return None
        return {"last_activity_at": last, "idle_days": int(idle + 1e-9),
                "assignees": [self.names.get(pid, pid) for pid in issue.assignees]}

    def _unowned(self, issue: Issue, milestone: Milestone) -> dict[str, Any] | None:
        if issue.assignees:
            return None
        priority = next((name for name in (*issue.labels, issue.priority or "")
                         if name and name.casefold() in self.priorities), None)
        since = self.joins.get(issue.key, {}).get(milestone.key, issue.created_at)
        idle = self.calendar.working_days(since, self.ctx.now)
        if priority is None and idle < self.options.unowned_after:
            return None
        return {"status": "priority" if priority else "waiting", "priority": priority,
                "since": since, "idle_days": int(idle + 1e-9)}


def _last_activity(snapshot: Snapshot, ctx: RuleContext, keys: frozenset[str],
                   kinds: Mapping[str, str]) -> dict[str, datetime]:
    """Per issue of ``keys``, the latest comment (rules/threads.py) or history change by a
    person (not a bot, not us); the changes of those issues picked in a C loop."""
    bots = {pid for pid, kind in kinds.items() if kind == "bot"}
    conversations = threads(snapshot, ctx)
    latest: dict[str, datetime] = {}
    for key in keys:
        thread = conversations.get(key)
        if thread is not None and thread.active is not None:
            latest[key] = thread.active
    for change in picked(snapshot.changes, keys, ISSUE_OF):
        key = change.issue_key
        if change.actor is not None and change.actor in bots:
            continue
        at, prior = change.at, latest.get(key)
        if prior is None or at > prior:
            latest[key] = at
    return latest


def _joins(snapshot: Snapshot, keys: frozenset[str]) -> dict[str, dict[str, datetime]]:
    """Per issue of ``keys``, the latest move into each milestone, from the history."""
    joins: dict[str, dict[str, datetime]] = {}
    for change in picked(snapshot.changes, keys, ISSUE_OF):
        if change.field != "milestone" or not change.after:
            continue
        moves = joins.setdefault(change.issue_key, {})
        if change.after not in moves or change.at > moves[change.after]:
            moves[change.after] = change.at
    return joins

