"""Desired state (this run's findings) vs actual state (what forewarn wrote) -> a Plan.

Pure: no I/O. The plan holds only differences, so a run with nothing new
plans nothing. Rules of the game:

* one comment per finding and level; the first alert and each escalation
  (warning -> critical) is a new comment that mentions the people in config,
  later evidence changes edit the newest comment silently;
* an acknowledged finding (ack label, or the ticked checkbox) gets no new
  comment, only silent edits;
* a comment found in the tracker by its marker but unknown to the state store
  (lost database, lost response) is adopted, never posted again;
* labels are added while a finding lasts and removed when it ends, and only
  labels forewarn itself added are ever removed. The state store says which
  those are; the tracker's label history (who added it last) says it too, so
  a label whose record was lost (a crash right after adding it, a lost
  database) is still removed, and one a person added again is left alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.model import Change, Comment, Snapshot
from rules.base import Finding, Severity
from sync.render import (
    Style,
    alert_body,
    alert_key,
    body_hash,
    parse_evidence,
    resolved_body,
)
from sync.store.state import CommentRecord, FindingRecord

LABEL_COLORS = {"scope_creep": "fbca04", "schedule_slip": "d93f0b", "unanswered_feedback": "5319e7"}
LABEL_DESCRIPTIONS = {
    "scope_creep": "forewarn: added to a milestone after its scope was baselined",
    "schedule_slip": "forewarn: due date passed or at risk",
    "unanswered_feedback": "forewarn: client feedback awaiting a reply",
}


@dataclass(frozen=True, slots=True)
class CreateComment:
    target: str
    marker: str
    fingerprint: str
    body: str
    input_hash: str = ""

    def describe(self) -> str:
        return f"comment on {self.target} ({self.marker})"


@dataclass(frozen=True, slots=True)
class EditComment:
    target: str
    marker: str
    fingerprint: str
    comment_id: str
    body: str
    resolved: bool = False
    input_hash: str = ""

    def describe(self) -> str:
        what = "resolve" if self.resolved else "edit"
        return f"{what} comment {self.comment_id} on {self.target} ({self.marker})"


@dataclass(frozen=True, slots=True)
class AdoptComment:
    """State-only: a comment of ours found by its marker is recorded, not re-posted."""

    target: str
    marker: str
    fingerprint: str
    comment_id: str
    body_hash: str
    input_hash: str = ""

    def describe(self) -> str:
        return f"adopt comment {self.comment_id} on {self.target} ({self.marker})"


@dataclass(frozen=True, slots=True)
class EnsureLabel:
    label: str
    color: str
    description: str

    def describe(self) -> str:
        return f"ensure label {self.label!r} exists"


@dataclass(frozen=True, slots=True)
class AddLabel:
    target: str
    label: str

    def describe(self) -> str:
        return f"add label {self.label!r} to {self.target}"


@dataclass(frozen=True, slots=True)
class RemoveLabel:
    target: str
    label: str

    def describe(self) -> str:
        return f"remove label {self.label!r} from {self.target}"


@dataclass(frozen=True, slots=True)
class ForgetLabel:
    """State-only: a label forewarn added is already gone from the issue."""

    target: str
    label: str

    def describe(self) -> str:
        return f"forget label {self.label!r} on {self.target}"


Action = (
    CreateComment | EditComment | AdoptComment | EnsureLabel | AddLabel | RemoveLabel | ForgetLabel
)
WRITES = (CreateComment, EditComment, EnsureLabel, AddLabel, RemoveLabel)


@dataclass(frozen=True, slots=True)
class Plan:
    actions: tuple[Action, ...] = ()
    records: tuple[FindingRecord, ...] = ()

    @property
    def writes(self) -> tuple[Action, ...]:
        return tuple(action for action in self.actions if isinstance(action, WRITES))


@dataclass(frozen=True, slots=True)
class Actual:
    """What the state store says forewarn has written for one project."""

    comments: Mapping[str, CommentRecord] = field(default_factory=dict)
    labels: frozenset[tuple[str, str]] = frozenset()
    findings: Mapping[str, FindingRecord] = field(default_factory=dict)


def marker_of(fingerprint: str, severity: Severity) -> str:
    return f"{fingerprint}:{severity.label}"


def _level(marker: str) -> int:
    name = marker.rsplit(":", 1)[-1].upper()
    return Severity[name].value if name in Severity.__members__ else 0


def plan(
    *, findings: Sequence[Finding], snapshot: Snapshot, actual: Actual, style: Style,
    now: datetime, status_issue: str | None = None, notify: Sequence[str] = (),
    me: str | None = None,
) -> Plan:
    """``me`` is forewarn's own account (the connector's ``whoami()``); with it the
    tracker's label history decides whose a label is when the state store cannot."""
    issues = {issue.key: issue for issue in snapshot.issues}
    ours: dict[str, Comment] = {
        comment.marker: comment
        for comment in snapshot.comments
        if comment.is_ours and comment.marker
    }
    acked_fps = {marker.rsplit(":", 1)[0] for marker, c in ours.items() if c.acked}
    open_comments: dict[str, list[CommentRecord]] = defaultdict(list)
    for record in actual.comments.values():
        if not record.resolved:
            open_comments[record.fingerprint].append(record)

    actions: list[Action] = []
    records: list[FindingRecord] = []
    desired_labels: dict[tuple[str, str], str] = {}
    active = sorted(
        (f for f in findings if f.severity > Severity.INFO), key=lambda f: f.fingerprint
    )
    for finding in active:
        records.append(_record(finding, actual, now))
        target = finding.subject_key if finding.subject_kind == "issue" else status_issue
        if target is None or target not in issues:
            continue
        if finding.label and finding.subject_kind == "issue":
            desired_labels[(target, finding.label)] = finding.kind
        acked = finding.acked or finding.fingerprint in acked_fps
        marker = marker_of(finding.fingerprint, finding.severity)
        existing = _existing(finding, marker, target, actual, open_comments, ours, acked=acked)
        # An older-level comment being edited keeps its own marker.
        writing_marker = existing[0].marker if existing else marker
        inputs: dict[str, Any] = {
            "kind": finding.kind, "cause": finding.cause, "rule_id": finding.rule_id,
            "subject": finding.subject_key, "severity": finding.severity,
            "evidence": finding.evidence, "marker": writing_marker,
            "notify": _unique([*finding.notify, *notify]), "acked": acked, "style": style,
        }
        key = alert_key(**inputs)
        if existing is not None and existing[1] is None and existing[0].input_hash == key:
            continue  # rendered from these very inputs before: the body cannot differ
        body = alert_body(**inputs)
        if existing is None:
            if finding.comment and not acked:
                actions.append(CreateComment(target, marker, finding.fingerprint, body, key))
            continue
        record, adopted = existing
        if adopted is not None:
            # The excerpt is the whole body when it is short: then nothing needs editing.
            matches = adopted.body_excerpt.rstrip() == body.rstrip()
            actions.append(AdoptComment(record.target, record.marker, finding.fingerprint,
                                        record.comment_id, body_hash(body) if matches else "",
                                        key if matches else ""))
            if matches:
                continue
        elif record.body_hash == body_hash(body):
            continue
        else:
            seen = ours.get(record.marker)
            if seen is not None and seen.body_excerpt.rstrip() == body.rstrip():
                # The tracker already shows this text (someone ticked the checkbox):
                # record it, do not write it again.
                actions.append(AdoptComment(record.target, record.marker, finding.fingerprint,
                                            record.comment_id, body_hash(body), key))
                continue
        actions.append(EditComment(record.target, record.marker, finding.fingerprint,
                                   record.comment_id, body, input_hash=key))

    active_fps = {finding.fingerprint for finding in active}
    for fingerprint, open_records in sorted(open_comments.items()):
        if fingerprint in active_fps:
            continue
        known = actual.findings.get(fingerprint)
        for record in open_records:
            actions.append(EditComment(
                record.target, record.marker, fingerprint, record.comment_id,
                _resolved(known, record, snapshot, style, now), resolved=True,
            ))

    # Labels are added before comments and removed after them, so that a budget
    # cut never leaves an alert comment without its label.
    labelling = _label_actions(desired_labels, actual, issues,
                               _last_added_by(snapshot.changes) if me else {}, me)
    first: list[Action] = [a for a in labelling if isinstance(a, EnsureLabel | AddLabel)]
    last: list[Action] = [a for a in labelling if not isinstance(a, EnsureLabel | AddLabel)]
    return Plan(actions=tuple(first + actions + last), records=tuple(records))


def _existing(
    finding: Finding, marker: str, target: str, actual: Actual,
    open_comments: Mapping[str, list[CommentRecord]], ours: Mapping[str, Comment], *,
    acked: bool,
) -> tuple[CommentRecord, Comment | None] | None:
    """The comment to edit: same level, else a higher one still open (a de-escalation),
    else, once acknowledged, a lower one (an escalation that must not notify)."""
    record = actual.comments.get(marker)
    if record is not None and not record.resolved:
        return record, None
    if record is None and marker in ours and ours[marker].issue_key == target:
        comment = ours[marker]
        return CommentRecord(marker, finding.fingerprint, target, comment.id, "", False), comment
    candidates = sorted(open_comments.get(finding.fingerprint, ()), key=lambda r: _level(r.marker))
    higher = [r for r in candidates if _level(r.marker) > finding.severity.value]
    if higher:
        return higher[-1], None
    if acked and candidates:
        return candidates[-1], None
    return None


def _record(finding: Finding, actual: Actual, now: datetime) -> FindingRecord:
    previous = actual.findings.get(finding.fingerprint)
    return FindingRecord(
        fingerprint=finding.fingerprint, rule_id=finding.rule_id, kind=finding.kind,
        cause=finding.cause, subject_key=finding.subject_key, severity=int(finding.severity),
        evidence=dict(finding.evidence), first_seen=previous.first_seen if previous else now,
    )


def _resolved(
    known: FindingRecord | None, record: CommentRecord, snapshot: Snapshot, style: Style,
    now: datetime,
) -> str:
    evidence: dict[str, Any] = parse_evidence(known.evidence) if known else {}
    resolution = style.text("no_longer", when=style.when(now))
    if known and known.kind == "unanswered_feedback":
        asked = evidence.get("asked_at")
        replies = sorted(
            (c for c in snapshot.comments
             if c.issue_key == known.subject_key and not c.is_ours
             and snapshot.person(c.author).kind == "team"
             and (not isinstance(asked, datetime) or c.created_at > asked)),
            key=lambda c: c.created_at,
        )
        if replies:
            who = snapshot.person(replies[0].author)
            resolution = style.text("answered", who=style.escape(who.name or who.id, 80),
                                    when=style.when(replies[0].created_at))
    return resolved_body(
        kind=known.kind if known else "", cause=known.cause if known else "",
        rule_id=known.rule_id if known else record.fingerprint.split(".")[0],
        subject=known.subject_key if known else record.target, evidence=evidence,
        marker=record.marker, resolution=resolution, style=style,
    )


def _last_added_by(changes: Iterable[Change]) -> dict[tuple[str, str], str | None]:
    """(issue, label case-folded) -> who added the label last, from the tracker's history."""
    latest: dict[tuple[str, str], tuple[datetime, str | None]] = {}
    for change in changes:
        if change.field != "label" or not change.after:
            continue
        pair = (change.issue_key, change.after.casefold())
        if pair not in latest or change.at >= latest[pair][0]:
            latest[pair] = (change.at, change.actor)
    return {pair: actor for pair, (_, actor) in latest.items()}


def _label_actions(
    desired: Mapping[tuple[str, str], str], actual: Actual, issues: Mapping[str, Any],
    added_by: Mapping[tuple[str, str], str | None], me: str | None,
) -> list[Action]:
    def last_added_by_me(target: str, label: str) -> bool | None:
        """True/False when the history names who added it last, None when it does not."""
        actor = added_by.get((target, label.casefold()))
        if actor is None or me is None:
            return None
        return actor.casefold() == me.casefold()

    actions: list[Action] = []
    ensured: set[str] = set()
    for (target, label), kind in sorted(desired.items()):
        present = {name.casefold() for name in issues[target].labels}
        if label.casefold() in present or (target, label) in actual.labels:
            continue
        if label not in ensured:
            ensured.add(label)
            actions.append(EnsureLabel(label, LABEL_COLORS.get(kind, "ededed"),
                                       LABEL_DESCRIPTIONS.get(kind, "forewarn")))
        actions.append(AddLabel(target, label))
    # Ours: what the store recorded, and what the history says forewarn added last
    # although the store does not know it (the record was lost).
    recorded = {(target, label.casefold()) for target, label in actual.labels}
    unrecorded: set[tuple[str, str]] = set()
    me_folded = me.casefold() if me else None
    for (target, folded), actor in added_by.items():
        if actor is None or actor.casefold() != me_folded or (target, folded) in recorded:
            continue
        issue = issues.get(target)
        if issue is not None:
            unrecorded.update((target, name) for name in issue.labels if name.casefold() == folded)
    wanted = {(target, label.casefold()) for target, label in desired}
    for target, label in sorted(actual.labels | unrecorded):
        if (target, label.casefold()) in wanted:
            continue
        issue = issues.get(target)
        on_issue = issue is not None and label.casefold() in {
            name.casefold() for name in issue.labels}
        if on_issue and last_added_by_me(target, label) is not False:
            actions.append(RemoveLabel(target, label))
        elif (target, label) in actual.labels:
            # Gone already, or a person put it back since: either way no longer ours.
            actions.append(ForgetLabel(target, label))
    return actions


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))
