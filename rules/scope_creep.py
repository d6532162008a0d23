"""scope_creep: work added to a milestone after its scope was agreed.

A milestone's scope is agreed when it starts. Every issue that joins it later
is a change to that agreement: either the client approved it (a label says
so) or it is creep. This rule names each added issue and warns when a
milestone has grown by more than ``threshold``.

Options (with defaults)::

    rules:
      - id: scope                 # part of every fingerprint
        kind: scope_creep
        grace: 1d                 # baseline = milestone start + grace
        threshold: 10%            # growth that raises the milestone finding
        label: scope-creep        # put on each added issue
        approved_labels: [change-approved]
        ack_labels: [forewarn-ack]
        only_labels: []           # look only at issues with one of these
        exempt_labels: []         # ignore issues with one of these
        notify: []

Semantics, for each **open** milestone:

* **Baseline** ``B`` = the milestone's ``start_on`` (a Jira sprint or version
  start) or else its ``created_at`` (GitHub), plus ``grace``. A milestone with
  neither is skipped.
* An issue's **join** = its latest ``milestone`` change into the milestone;
  without one, the issue's creation time. An issue currently in the milestone
  is **added** when its join is strictly after ``B``; a join exactly at ``B``
  is baseline scope. An issue taken out and put back after ``B`` is added
  again: the re-add is a new scope decision.
* **Baseline count** = issues in the milestone at ``B``: current members that
  joined at or before ``B`` plus the descoped ones.
* **Descoped** = issues that were in the milestone at ``B``, left it after
  ``B`` and are not in it now. Taking work out is not creep: it is reported
  for the record (INFO, no comment, no label).
* Closed issues count like open ones: scope is scope, done or not.

Findings:

=========== ========= ======== ======= ===== ============================================
cause       subject   severity comment label when
=========== ========= ======== ======= ===== ============================================
added       issue     warning  yes     yes   an added issue without an approved label
descoped    issue     info     no      no    an issue left the milestone after ``B``
growth      milestone warning  yes     no    added ÷ baseline ≥ ``threshold``
=========== ========= ======== ======= ===== ============================================

``growth`` counts only unapproved additions; approved ones are reported as
``approved_count``. A milestone with an empty baseline and at least one
addition has infinite growth (``growth`` is ``inf``) and always fires.

**Points.** Where any issue of the milestone (in its baseline, added, approved or
descoped) carries an estimate (``Issue.estimate``: Jira story points or the
project's ``estimate_field``, a GitHub Project's number field), growth is counted
in points: 13 points added to a 20-point epic is 65% growth, where counted in
issues it would be 1 in 4. An unestimated issue there weighs the average
estimate of the milestone's estimated ones (``rules/sizing.py``). The finding
then says so (``unit: points``, ``added_points``, ``baseline_points``,
``unestimated_count``); an added issue's alert names its estimate.

Controls: ``only_labels``/``exempt_labels`` decide which issues the rule
counts at all (added, baseline, descoped); ``approved_labels`` turn an
addition into an approved change; ``ack_labels`` on an issue mark its
``added``/``descoped`` finding acknowledged (still reported, no new
notifications); a milestone finding is acknowledged with the checkbox in its
alert. ``pause_labels`` do not apply to this rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from connectors.model import Change, Issue, Milestone, Snapshot
from rules.base import Finding, Messages, RuleContext, Severity, SubjectKind
from rules.options import Duration, Label, Percent, RuleOptions
from rules.sizing import ISSUES, Sizing, rounded, sizing

KIND = "scope_creep"
#: How the tracker shows this rule's label where forewarn creates it (GitHub).
LABEL_COLOR = "fbca04"
LABEL_DESCRIPTION = "forewarn: added to a milestone after its scope was baselined"
#: What its findings are about: a milestone's go to the project's status issue.
SUBJECTS: tuple[SubjectKind, ...] = ("issue", "milestone")


class Options(RuleOptions):
    rule_kind = KIND
    grace: Duration = Field(
        default=timedelta(days=1), description="Baseline = milestone start + grace."
    )
    threshold: Percent = Field(
        default=0.1, description="Growth (added ÷ baseline) that raises the milestone finding."
    )
    label: Label | None = Field(default="scope-creep", description="Put on each added issue.")


#: Texts per cause, audience and language (sync/render.py; docs/rules.md, "Message texts").
#: The client reads what changed in the agreed scope; the team also reads the threshold,
#: the issues by key and what to do about them.
MESSAGES: Messages = {
    "added": {
        "client": {
            "en": ("“{title}” was added to milestone “{milestone_title}” on {joined_at}, after "
                   "the milestone's scope was agreed on {baseline_at}: it is a change to the "
                   "agreed scope.",),
            "zh-CN": ("“{title}”于 {joined_at} 加入里程碑“{milestone_title}”，晚于该里程碑范围"
                      "确定的时间 {baseline_at}：这是对已确定范围的变更。",),
        },
        "team": {
            "en": ("“{title}” joined milestone “{milestone_title}” on {joined_at}, after its "
                   "scope baseline of {baseline_at}.",
                   "Confirm it with the client as a change, or move it to a later milestone."),
            "zh-CN": ("“{title}”于 {joined_at} 加入里程碑“{milestone_title}”，晚于范围基线 "
                      "{baseline_at}。",
                      "请与客户确认这一变更，或将其移至后续里程碑。"),
        },
    },
    # An estimated addition (evidence ``status: points``) also says how much work it adds.
    "added.points": {
        "client": {
            "en": ("“{title}” was added to milestone “{milestone_title}” on {joined_at}, after "
                   "the milestone's scope was agreed on {baseline_at}: it is a change to the "
                   "agreed scope.",
                   "It adds {estimate:point} of work."),
            "zh-CN": ("“{title}”于 {joined_at} 加入里程碑“{milestone_title}”，晚于该里程碑范围"
                      "确定的时间 {baseline_at}：这是对已确定范围的变更。",
                      "其工作量为 {estimate:point}。"),
        },
        "team": {
            "en": ("“{title}” ({estimate:point}) joined milestone “{milestone_title}” on "
                   "{joined_at}, after its scope baseline of {baseline_at}.",
                   "Confirm it with the client as a change, or move it to a later milestone."),
            "zh-CN": ("“{title}”（{estimate:point}）于 {joined_at} 加入里程碑“{milestone_title}”，"
                      "晚于范围基线 {baseline_at}。",
                      "请与客户确认这一变更，或将其移至后续里程碑。"),
        },
    },
    "descoped": {
        "en": ("“{title}” was taken out of milestone “{milestone_title}” on {left_at}, after "
               "its scope was agreed on {baseline_at}.",),
        "zh-CN": ("“{title}”于 {left_at} 移出里程碑“{milestone_title}”（该里程碑的范围已于 "
                  "{baseline_at} 确定）。",),
    },
    "growth": {
        "client": {
            "en": ("Milestone “{milestone_title}” has grown by {growth:percent} since its scope "
                   "was agreed on {baseline_at}: {added_count:issue} added to the "
                   "{baseline_count:issue} agreed.",
                   "{approved_count:approved_change?} also joined it.",
                   "{descoped_count:issue?} left it."),
            "zh-CN": ("里程碑“{milestone_title}”自范围于 {baseline_at} 确定以来增长了 "
                      "{growth:percent}：在确定的 {baseline_count:issue}之外新增 "
                      "{added_count:issue}。",
                      "另有 {approved_count:approved_change?}加入。",
                      "移出 {descoped_count:issue?}。"),
        },
        "team": {
            "en": ("Milestone “{milestone_title}” grew by {growth:percent} (threshold "
                   "{threshold:percent}): {added_count:issue} added after the baseline of "
                   "{baseline_at}, which held {baseline_count:issue}.",
                   "{approved_count:approved_change?} also joined it.",
                   "{descoped_count:issue?} left it (descoped).",
                   "Added: {added}.",
                   "Confirm the additions with the client as changes, or move them to a later "
                   "milestone."),
            "zh-CN": ("里程碑“{milestone_title}”范围增长 {growth:percent}（阈值 "
                      "{threshold:percent}）：基线 {baseline_at} 时有 {baseline_count:issue}，"
                      "之后新增 {added_count:issue}。",
                      "另有 {approved_count:approved_change?}加入。",
                      "移出 {descoped_count:issue?}。",
                      "新增：{added}。",
                      "请与客户确认这些变更，或将其移至后续里程碑。"),
        },
    },
    # The same finding counted in points (evidence ``status: points``).
    "growth.points": {
        "client": {
            "en": ("Milestone “{milestone_title}” has grown by {growth:percent} since its scope "
                   "was agreed on {baseline_at}: {added_points:point} of work "
                   "({added_count:issue}) added to the {baseline_points:point} agreed.",
                   "{approved_count:approved_change?} also joined it.",
                   "{descoped_count:issue?} left it."),
            "zh-CN": ("里程碑“{milestone_title}”自范围于 {baseline_at} 确定以来增长了 "
                      "{growth:percent}：在确定的 {baseline_points:point}之外新增 "
                      "{added_points:point}（{added_count:issue}）。",
                      "另有 {approved_count:approved_change?}加入。",
                      "移出 {descoped_count:issue?}。"),
        },
        "team": {
            "en": ("Milestone “{milestone_title}” grew by {growth:percent} in points (threshold "
                   "{threshold:percent}): {added_points:point} ({added_count:issue}) added "
                   "after the baseline of {baseline_at}, which held {baseline_points:point}.",
                   "{unestimated_count:issue?} without an estimate counted at the average "
                   "estimate.",
                   "{approved_count:approved_change?} also joined it.",
                   "{descoped_count:issue?} left it (descoped).",
                   "Added: {added}.",
                   "Confirm the additions with the client as changes, or move them to a later "
                   "milestone."),
            "zh-CN": ("里程碑“{milestone_title}”按故事点计范围增长 {growth:percent}（阈值 "
                      "{threshold:percent}）：基线 {baseline_at} 时有 {baseline_points:point}，"
                      "之后新增 {added_points:point}（{added_count:issue}）。",
                      "{unestimated_count:issue?}没有估算，按平均估算计入。",
                      "另有 {approved_count:approved_change?}加入。",
                      "移出 {descoped_count:issue?}。",
                      "新增：{added}。",
                      "请与客户确认这些变更，或将其移至后续里程碑。"),
        },
    },
}


@dataclass(frozen=True, slots=True)
class MilestoneScope:
    """How one milestone's scope moved after its baseline: what ``evaluate`` reports on.

    The expectation summary reads the same numbers, for milestones with or
    without a ``growth`` finding, and for closed ones (the retrospective).
    """

    milestone: Milestone
    baseline_at: datetime
    #: Current members that joined at or before the baseline.
    baseline: tuple[Issue, ...] = ()
    #: Unapproved additions after the baseline, with their join time.
    added: tuple[tuple[Issue, datetime], ...] = ()
    #: Additions carrying an ``approved_labels`` label, with their join time.
    approved: tuple[tuple[Issue, datetime], ...] = ()
    #: Issues in the milestone at the baseline that left it after, with the time they left.
    descoped: tuple[tuple[Issue, datetime], ...] = ()
    #: Counted in issues, or in points where any of these issues is estimated.
    sizing: Sizing = ISSUES

    @property
    def baseline_count(self) -> int:
        return len(self.baseline) + len(self.descoped)

    @property
    def baseline_size(self) -> float:
        """The baseline in the milestone's unit (issues, or points)."""
        return self.sizing.total([*self.baseline, *(issue for issue, _ in self.descoped)])

    @property
    def added_size(self) -> float:
        return self.sizing.total(issue for issue, _ in self.added)

    @property
    def current_size(self) -> float:
        return self.sizing.total([*self.baseline, *(i for i, _ in (*self.added, *self.approved))])

    @property
    def growth(self) -> float | None:
        """added ÷ baseline in the unit; inf for additions to an empty baseline, None for
        neither."""
        if self.baseline_size:
            return self.added_size / self.baseline_size
        return math.inf if self.added else None

    @property
    def unestimated(self) -> int:
        """Issues of the milestone counted at the average estimate (points only)."""
        return self.sizing.unestimated([*self.baseline, *(i for i, _ in self.added),
                                        *(i for i, _ in self.approved),
                                        *(i for i, _ in self.descoped)])


def baseline_of(milestone: Milestone, options: Options) -> datetime | None:
    """The instant a milestone's scope is agreed: its start (or creation) plus ``grace``."""
    origin = milestone.start_on or milestone.created_at
    return None if origin is None else origin + options.grace


def measure(
    snapshot: Snapshot, options: Options, milestones: Iterable[Milestone]
) -> dict[str, MilestoneScope]:
    """The scope of each of ``milestones`` that has a baseline (open or closed alike)."""
    baselines = _baselines(milestones, options)
    if not baselines:
        return {}
    issues = _issues_in_scope(snapshot, options)
    members, current = _members(issues, baselines)
    joins, moves = _joins_and_moves(snapshot.changes, issues, milestones=baselines,
                                    current=current)
    approved = options.folded(options.approved_labels)
    return {
        key: _scope(milestone, baseline_at, members=members[key], joins=joins,
                    moves=moves[key], issues=issues, approved_labels=approved)
        for key, (milestone, baseline_at) in baselines.items()
    }


def evaluate(snapshot: Snapshot, ctx: RuleContext, options: Options) -> list[Finding]:
    """Findings for every open milestone of the snapshot (see the module docstring)."""
    if not options.enabled or (options.projects and snapshot.project not in options.projects):
        return []
    scopes = measure(snapshot, options, (m for m in snapshot.milestones if m.state == "open"))
    findings: list[Finding] = []
    for scope in scopes.values():
        milestone, baseline_at = scope.milestone, scope.baseline_at
        for issue, joined_at in scope.added:
            evidence = _issue_evidence(issue, milestone, baseline_at=baseline_at,
                                       joined_at=joined_at)
            if issue.estimate is not None:  # its own text names the size
                evidence.update(status="points", estimate=rounded(issue.estimate))
            findings.append(options.finding(
                issue, "added", severity=Severity.WARNING, anchor=milestone.key,
                evidence=evidence,
            ))
        for issue, left_at in scope.descoped:
            findings.append(options.finding(
                issue, "descoped", severity=Severity.INFO, anchor=milestone.key,
                evidence=_issue_evidence(issue, milestone, baseline_at=baseline_at,
                                         left_at=left_at),
                comment=False, labelled=False,
            ))
        findings.extend(_growth(options, scope))
    findings.sort(key=lambda finding: finding.fingerprint)
    return findings


# -- measuring, step by step ---------------------------------------------------------

#: Per milestone, per issue no longer in it: (at, 1 = joined / 0 = left) events.
_Moves = dict[str, dict[str, list[tuple[datetime, int]]]]


def _baselines(
    milestones: Iterable[Milestone], options: Options
) -> dict[str, tuple[Milestone, datetime]]:
    """The milestones that have a baseline, by key, with it."""
    found: dict[str, tuple[Milestone, datetime]] = {}
    for milestone in milestones:
        baseline_at = baseline_of(milestone, options)
        if baseline_at is not None:
            found[milestone.key] = (milestone, baseline_at)
    return found


def _issues_in_scope(snapshot: Snapshot, options: Options) -> dict[str, Issue]:
    if not (options.only_labels or options.exempt_labels):
        return {issue.key: issue for issue in snapshot.issues}
    return {issue.key: issue for issue in snapshot.issues if options.in_scope(issue)}


def _members(
    issues: dict[str, Issue], milestones: Iterable[str]
) -> tuple[dict[str, list[Issue]], set[tuple[str, str]]]:
    """Each milestone's current issues, and the (issue, milestone) pairs they make."""
    members: dict[str, list[Issue]] = {key: [] for key in milestones}
    current: set[tuple[str, str]] = set()
    for issue in issues.values():
        for key in issue.milestone_keys:
            if key in members:
                members[key].append(issue)
                current.add((issue.key, key))
    return members, current


def _joins_and_moves(
    changes: Iterable[Change],
    issues: dict[str, Issue],
    *,
    milestones: dict[str, tuple[Milestone, datetime]],
    current: set[tuple[str, str]],
) -> tuple[dict[tuple[str, str], datetime], _Moves]:
    """One pass over the history: the latest join per current (issue, milestone) pair,
    and for issues no longer in a milestone the join/leave events that tell whether
    they were in at B and left after it (only those can be descoped)."""
    joins: dict[tuple[str, str], datetime] = {}
    moves: _Moves = {key: {} for key in milestones}
    for change in changes:
        if change.field != "milestone" or change.issue_key not in issues:
            continue
        after, before = change.after, change.before
        if after in milestones:
            pair = (change.issue_key, after)
            if pair in current:
                if pair not in joins or change.at > joins[pair]:
                    joins[pair] = change.at
            else:
                moves[after].setdefault(change.issue_key, []).append((change.at, 1))
        if before in milestones and (change.issue_key, before) not in current:
            moves[before].setdefault(change.issue_key, []).append((change.at, 0))
    return joins, moves


def _scope(
    milestone: Milestone,
    baseline_at: datetime,
    *,
    members: list[Issue],
    joins: dict[tuple[str, str], datetime],
    moves: dict[str, list[tuple[datetime, int]]],
    issues: dict[str, Issue],
    approved_labels: frozenset[str],
) -> MilestoneScope:
    """One milestone's members sorted into baseline, added and approved; its descoped issues."""
    key = milestone.key
    baseline: list[Issue] = []
    added: list[tuple[Issue, datetime]] = []
    approved: list[tuple[Issue, datetime]] = []
    for issue in members:
        joined_at = joins.get((issue.key, key), issue.created_at)
        if joined_at <= baseline_at:
            baseline.append(issue)
        elif issue.labels and issue.has_label(approved_labels):
            approved.append((issue, joined_at))
        else:
            added.append((issue, joined_at))
    descoped: list[tuple[Issue, datetime]] = []
    for issue_key, events in moves.items():
        left_at = _left_after_baseline(events, issues[issue_key].created_at, baseline_at)
        if left_at is not None:
            descoped.append((issues[issue_key], left_at))
    involved = [*baseline, *(i for i, _ in added), *(i for i, _ in approved),
                *(i for i, _ in descoped)]
    return MilestoneScope(
        milestone=milestone, baseline_at=baseline_at, baseline=tuple(baseline),
        added=tuple(added), approved=tuple(approved), descoped=tuple(descoped),
        sizing=sizing(involved),
    )


def _left_after_baseline(
    events: list[tuple[datetime, int]], created_at: datetime, baseline_at: datetime
) -> datetime | None:
    """When an issue that was in the milestone at B last left it after B, else None.

    ``events`` are (at, 1 = joined / 0 = left) for one issue and one milestone.
    """
    events = sorted(events)
    before = [kind for at, kind in events if at <= baseline_at]
    if before:
        was_in = before[-1] == 1
    else:
        # No event up to B: it was in at B when it existed and its next event is a leave.
        after = [kind for at, kind in events if at > baseline_at]
        was_in = created_at <= baseline_at and bool(after) and after[0] == 0
    leaves = [at for at, kind in events if kind == 0 and at > baseline_at]
    if not was_in or not leaves:
        return None
    return leaves[-1]


def _issue_evidence(
    issue: Issue, milestone: Milestone, *, baseline_at: datetime, **at: datetime
) -> dict[str, Any]:
    """``at`` is ``joined_at`` for an addition, ``left_at`` for a descoped issue."""
    return {
        "milestone": milestone.key,
        "milestone_title": milestone.title,
        **at,
        "baseline_at": baseline_at,
        "title": issue.title,
    }


def _growth(options: Options, scope: MilestoneScope) -> list[Finding]:
    added = [issue.key for issue, _ in scope.added]
    growth = scope.growth
    if not added or growth is None:
        return []
    # Tolerate float noise: 1 of 10 is exactly 10%.
    if not math.isinf(growth) and growth < options.threshold - 1e-9:
        return []
    evidence: dict[str, Any] = {
        "milestone_title": scope.milestone.title,
        "baseline_at": scope.baseline_at,
        "baseline_count": scope.baseline_count,
        "added_count": len(added),
        "approved_count": len(scope.approved),
        "descoped_count": len(scope.descoped),
        "growth": growth,
        "threshold": options.threshold,
        "added": sorted(added),
    }
    if scope.sizing.in_points:
        evidence.update(status="points", unit="points",
                        baseline_points=rounded(scope.baseline_size),
                        added_points=rounded(scope.added_size),
                        unestimated_count=scope.unestimated)
    return [options.finding(scope.milestone, "growth", severity=Severity.WARNING,
                            evidence=evidence)]
