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
growth      milestone warning  yes     no    added ÷ baseline count ≥ ``threshold``
=========== ========= ======== ======= ===== ============================================

``growth`` counts only unapproved additions; approved ones are reported as
``approved_count``. A milestone with an empty baseline and at least one
addition has infinite growth (``growth`` is ``inf``) and always fires.

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

from pydantic import Field

from connectors.model import Issue, Milestone, Snapshot
from rules.base import Finding, RuleContext, Severity, make_fingerprint
from rules.options import Duration, Label, Percent, RuleOptions

KIND = "scope_creep"


class Options(RuleOptions):
    grace: Duration = Field(
        default=timedelta(days=1), description="Baseline = milestone start + grace."
    )
    threshold: Percent = Field(
        default=0.1, description="Growth (added ÷ baseline) that raises the milestone finding."
    )
    label: Label | None = Field(default="scope-creep", description="Put on each added issue.")


MESSAGES: dict[str, dict[str, str]] = {
    "added": {
        "en": (
            "“{title}” joined milestone “{milestone_title}” on {joined_at}, after its scope "
            "baseline of {baseline_at}. Confirm it with the client as a change, or move it "
            "to a later milestone."
        ),
        "zh-CN": (
            "“{title}” 于 {joined_at} 加入里程碑“{milestone_title}”，晚于范围基线 "
            "{baseline_at}。请与客户确认这一变更，或将其移至后续里程碑。"
        ),
    },
    "descoped": {
        "en": (
            "“{title}” left milestone “{milestone_title}” on {left_at}, after its scope "
            "baseline of {baseline_at}: it was descoped."
        ),
        "zh-CN": (
            "“{title}” 于 {left_at} 移出里程碑“{milestone_title}”（范围基线 {baseline_at} "
            "之后）：已从范围中移除。"
        ),
    },
    "growth": {
        "en": (
            "Milestone “{milestone_title}” grew by {growth:.0%} (threshold {threshold:.0%}): "
            "{added_count} issue(s) added after the baseline of {baseline_at}, which held "
            "{baseline_count}; {approved_count} approved change(s), {descoped_count} "
            "descoped. Added: {added}."
        ),
        "zh-CN": (
            "里程碑“{milestone_title}”范围增长 {growth:.0%}（阈值 {threshold:.0%}）："
            "基线 {baseline_at} "
            "时有 {baseline_count} 个事项，之后新增 {added_count} 个；已批准变更 "
            "{approved_count} 个，移出 {descoped_count} 个。新增：{added}。"
        ),
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

    @property
    def baseline_count(self) -> int:
        return len(self.baseline) + len(self.descoped)


def baseline_of(milestone: Milestone, options: Options) -> datetime | None:
    """The instant a milestone's scope is agreed: its start (or creation) plus ``grace``."""
    origin = milestone.start_on or milestone.created_at
    return None if origin is None else origin + options.grace


def measure(
    snapshot: Snapshot, options: Options, milestones: Iterable[Milestone]
) -> dict[str, MilestoneScope]:
    """The scope of each of ``milestones`` that has a baseline (open or closed alike)."""
    baselines: dict[str, datetime] = {}
    chosen: dict[str, Milestone] = {}
    for milestone in milestones:
        baseline_at = baseline_of(milestone, options)
        if baseline_at is None:
            continue
        baselines[milestone.key] = baseline_at
        chosen[milestone.key] = milestone
    if not baselines:
        return {}

    scoped = bool(options.only_labels or options.exempt_labels)
    issues = {
        issue.key: issue for issue in snapshot.issues if not scoped or options.in_scope(issue)
    }
    members: dict[str, list[Issue]] = {key: [] for key in baselines}
    current: set[tuple[str, str]] = set()
    for issue in issues.values():
        for key in issue.milestone_keys:
            if key in members:
                members[key].append(issue)
                current.add((issue.key, key))

    # One pass over the history: latest join per (issue, milestone), and for
    # issues no longer in a milestone the join/leave events that tell whether
    # they were in at B and left after it (only those can be descoped).
    joins: dict[tuple[str, str], datetime] = {}
    # milestone -> issue -> [(at, 1 = joined / 0 = left)]
    moves: dict[str, dict[str, list[tuple[datetime, int]]]] = {key: {} for key in baselines}
    for change in snapshot.changes:
        if change.field != "milestone" or change.issue_key not in issues:
            continue
        after, before = change.after, change.before
        if after in baselines:
            pair = (change.issue_key, after)
            if pair in current:
                if pair not in joins or change.at > joins[pair]:
                    joins[pair] = change.at
            else:
                moves[after].setdefault(change.issue_key, []).append((change.at, 1))
        if before in baselines and (change.issue_key, before) not in current:
            moves[before].setdefault(change.issue_key, []).append((change.at, 0))

    approved_labels = options.folded(options.approved_labels)
    measured: dict[str, MilestoneScope] = {}
    for key, milestone in chosen.items():
        baseline_at = baselines[key]
        baseline: list[Issue] = []
        added: list[tuple[Issue, datetime]] = []
        approved: list[tuple[Issue, datetime]] = []
        for issue in members[key]:
            joined_at = joins.get((issue.key, key), issue.created_at)
            if joined_at <= baseline_at:
                baseline.append(issue)
            elif issue.labels and issue.has_label(approved_labels):
                approved.append((issue, joined_at))
            else:
                added.append((issue, joined_at))
        descoped: list[tuple[Issue, datetime]] = []
        for issue_key, events in moves[key].items():
            left_at = _left_after_baseline(events, issues[issue_key].created_at, baseline_at)
            if left_at is not None:
                descoped.append((issues[issue_key], left_at))
        measured[key] = MilestoneScope(
            milestone=milestone, baseline_at=baseline_at, baseline=tuple(baseline),
            added=tuple(added), approved=tuple(approved), descoped=tuple(descoped),
        )
    return measured


def evaluate(snapshot: Snapshot, ctx: RuleContext, options: Options) -> list[Finding]:
    """Findings for every open milestone of the snapshot (see the module docstring)."""
    if not options.enabled or (options.projects and snapshot.project not in options.projects):
        return []
    scopes = measure(snapshot, options, (m for m in snapshot.milestones if m.state == "open"))
    acks = options.folded(options.ack_labels)
    findings: list[Finding] = []
    for scope in scopes.values():
        milestone, baseline_at = scope.milestone, scope.baseline_at
        for issue, joined_at in scope.added:
            findings.append(_issue_finding(options, issue, milestone, "added", baseline_at,
                                           joined_at, acks))
        for issue, left_at in scope.descoped:
            findings.append(_issue_finding(options, issue, milestone, "descoped",
                                           baseline_at, left_at, acks))
        findings.extend(_growth(options, milestone, baseline_at,
                                baseline_count=scope.baseline_count,
                                added=[issue.key for issue, _ in scope.added],
                                approved_count=len(scope.approved),
                                descoped=len(scope.descoped)))
    findings.sort(key=lambda finding: finding.fingerprint)
    return findings


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


def _issue_finding(
    options: Options,
    issue: Issue,
    milestone: Milestone,
    cause: str,
    baseline_at: datetime,
    at: datetime,
    acks: frozenset[str],
) -> Finding:
    is_added = cause == "added"
    return Finding(
        rule_id=options.id,
        kind=KIND,
        cause=cause,
        subject_kind="issue",
        subject_key=issue.key,
        severity=Severity.WARNING if is_added else Severity.INFO,
        fingerprint=make_fingerprint(options.id, cause, issue.key, milestone.key),
        evidence={
            "milestone": milestone.key,
            "milestone_title": milestone.title,
            "joined_at" if is_added else "left_at": at,
            "baseline_at": baseline_at,
            "title": issue.title,
        },
        label=options.label if is_added else None,
        comment=is_added,
        acked=bool(issue.labels) and issue.has_label(acks),
        notify=options.notify,
    )


def _growth(
    options: Options,
    milestone: Milestone,
    baseline_at: datetime,
    *,
    baseline_count: int,
    added: list[str],
    approved_count: int,
    descoped: int,
) -> list[Finding]:
    if not added:
        return []
    if baseline_count:
        growth = len(added) / baseline_count
        # Tolerate float noise: 1 of 10 is exactly 10%.
        if growth < options.threshold - 1e-9:
            return []
    else:
        growth = math.inf
    return [
        Finding(
            rule_id=options.id,
            kind=KIND,
            cause="growth",
            subject_kind="milestone",
            subject_key=milestone.key,
            severity=Severity.WARNING,
            fingerprint=make_fingerprint(options.id, "growth", milestone.key),
            evidence={
                "milestone_title": milestone.title,
                "baseline_at": baseline_at,
                "baseline_count": baseline_count,
                "added_count": len(added),
                "approved_count": approved_count,
                "descoped_count": descoped,
                "growth": growth,
                "threshold": options.threshold,
                "added": sorted(added),
            },
            label=None,
            comment=True,
            notify=options.notify,
        )
    ]
