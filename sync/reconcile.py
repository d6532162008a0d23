"""Desired state (this run's findings) vs actual state (what forewarn wrote) -> a Plan.

Pure: no I/O. The plan holds only differences, so a run with nothing new
plans nothing. Rules of the game:

* one comment per finding and level; the first alert and each escalation
  (warning -> critical) is a new comment that mentions the people in config,
  later evidence changes edit the newest comment silently;
* an acknowledged finding (ack label, or the ticked checkbox) gets no new
  comment, only silent edits;
* a finding for the team alone (``team_only``: a reminder, an escalation) gets
  a comment only where the team reads the alerts; on a public one, its label;
* a comment found in the tracker by its marker but unknown to the state store
  (lost database, lost response) is adopted, never posted again;
* with ``alerts.to: internal`` every comment is written restricted (a Jira role
  or group, a Service Management internal note); with ``alerts.to: digest`` no
  finding gets a comment of its own (``sync/digest.py`` lists them all);
* a first cycle with ``backfill: digest`` writes no alert for the findings it
  finds already there: they are recorded as backfilled at their severity and
  listed in one digest; only an escalation past that severity, or a finding
  that begins later, gets its own alert;
* labels are added while a finding lasts (unless ``alerts.labels: false``) and
  removed when it ends, and only labels forewarn itself added are ever
  removed. The state store says which
  those are; the tracker's label history (who added it last) says it too, so
  a label whose record was lost (a crash right after adding it, a lost
  database) is still removed, and one a person added again is left alone.

``upsert`` is the one way any comment of forewarn's (an alert, a summary, a
retrospective, a digest) is created, edited or adopted: ``sync/summary/plan.py`` uses it
too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any

from connectors.markers import Level, Marker, is_resolved, is_subject
from connectors.model import (
    ISSUE_OF,
    PUBLIC,
    Change,
    Comment,
    Issue,
    Snapshot,
    Visibility,
    is_draft,
    picked,
)
from rules import registry
from rules.base import Finding, Severity
from sync.actions import (
    Action,
    AddLabel,
    AdoptComment,
    CommentKind,
    CreateComment,
    EditComment,
    EnsureLabel,
    ForgetLabel,
    Plan,
    RemoveLabel,
    SummaryRecord,
)
from sync.occurrences import Occurrences
from sync.render import (
    Style,
    alert_body,
    alert_key,
    body_hash,
    headline_in,
    parse_evidence,
    resolved_body,
)
from sync.routing import Routing
from sync.store.state import CommentRecord, FindingRecord


@dataclass(frozen=True, slots=True)
class Actual:
    """What the state store says forewarn has written for one project."""

    comments: Mapping[str, CommentRecord] = field(default_factory=dict)
    labels: frozenset[tuple[str, str]] = frozenset()
    findings: Mapping[str, FindingRecord] = field(default_factory=dict)
    #: Since when the state store remembers the project (its first run): a comment of
    #: forewarn's older than that, and unknown to it, was recorded in a database since lost.
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Seen:
    """What the tracker shows of forewarn's own comments, by marker (``str(Marker)``)."""

    ours: Mapping[str, Comment]

    @classmethod
    def of(cls, snapshot: Snapshot) -> Seen:
        return cls({c.marker: c for c in snapshot.comments if c.is_ours and c.marker})

    def on(self, marker: Marker, target: str) -> Comment | None:
        comment = self.ours.get(str(marker))
        return comment if comment is not None and comment.issue_key == target else None

    def acked(self) -> frozenset[str]:
        """Fingerprints whose alert someone acknowledged by ticking its checkbox."""
        return frozenset(Marker.parse(marker).subject for marker, c in self.ours.items()
                         if c.acked)

    def fingerprints(self) -> frozenset[str]:
        """What forewarn's comments in the tracker are about, at whatever level."""
        return frozenset(marker.rsplit(":", 1)[0] for marker in self.ours)


_LEVELS: dict[Severity, Level] = {
    Severity.INFO: "info", Severity.WARNING: "warning", Severity.CRITICAL: "critical"}


def marker_for(finding: Finding) -> Marker:
    """One marker per finding and level: an escalation is a new comment."""
    return Marker(finding.fingerprint, _LEVELS[finding.severity])


def level_of(marker: Marker) -> int:
    """A marker's level as a severity value: escalations compare by it."""
    return Severity[marker.level.upper()].value


# -- the one upsert ---------------------------------------------------------------------------


def upsert(
    *, target: str, marker: Marker, kind: CommentKind, render: Callable[[], str],
    record: CommentRecord | None, seen: Comment | None, create: bool = True,
    edit: bool = True, input_hash: str = "", summary: SummaryRecord | None = None,
    visibility: Visibility = PUBLIC,
) -> list[Action]:
    """Create, edit or adopt the one comment that carries ``marker``.

    ``record`` is the state store's row for it (None when unknown), ``seen`` the
    comment as the tracker shows it (None when absent). An unknown comment that
    the tracker shows is adopted (a lost database or a lost response), and edited
    only when its text differs. ``render`` is called only when a body is needed;
    a record rendered from the same ``input_hash`` is not rendered again.
    ``visibility`` restricts who may read the comment, on creation and on each edit.
    """
    if record is not None and input_hash and record.input_hash == input_hash:
        return []  # rendered from these very inputs before: the body cannot differ
    if record is None and seen is None:
        if not create:
            return []
        return [CreateComment(target=target, marker=marker, kind=kind, body=render(),
                              input_hash=input_hash, summary=summary, visibility=visibility)]
    if record is None:
        assert seen is not None
        return _adopt(target=target, marker=marker, kind=kind, render=render, seen=seen,
                      edit=edit, input_hash=input_hash, summary=summary,
                      visibility=visibility)
    if not edit:
        return []
    body = render()
    if record.body_hash == body_hash(body):
        return []
    if seen is not None and seen.body_excerpt.rstrip() == body.rstrip():
        # The tracker already shows this text (someone ticked the checkbox):
        # record it, do not write it again.
        return [AdoptComment(target=record.target, marker=record.marker, kind=kind,
                             comment_id=record.comment_id, body_hash=body_hash(body),
                             input_hash=input_hash, summary=summary)]
    return [EditComment(target=record.target, marker=record.marker, kind=kind,
                        comment_id=record.comment_id, body=body, input_hash=input_hash,
                        summary=summary, repost_if_gone=kind != "alert", visibility=visibility)]


def _adopt(
    *, target: str, marker: Marker, kind: CommentKind, render: Callable[[], str],
    seen: Comment, edit: bool, input_hash: str, summary: SummaryRecord | None,
    visibility: Visibility,
) -> list[Action]:
    if not edit:
        return [AdoptComment(target=target, marker=marker, kind=kind, comment_id=seen.id,
                             summary=summary)]
    body = render()
    # The excerpt is the whole body when it is short: then nothing needs editing.
    matches = seen.body_excerpt.rstrip() == body.rstrip()
    adopt = AdoptComment(target=target, marker=marker, kind=kind, comment_id=seen.id,
                         body_hash=body_hash(body) if matches else "",
                         input_hash=input_hash if matches else "",
                         summary=summary if matches else None)
    if matches:
        return [adopt]
    return [adopt, EditComment(target=target, marker=marker, kind=kind, comment_id=seen.id,
                               body=body, input_hash=input_hash, summary=summary,
                               repost_if_gone=kind != "alert", visibility=visibility)]


# -- alerts -----------------------------------------------------------------------------------


def plan(
    *, findings: Sequence[Finding], snapshot: Snapshot, actual: Actual, style: Style,
    now: datetime, status_issue: str | None = None, notify: Sequence[str] = (),
    me: str | None = None, routing: Routing | None = None, backfill: bool = False,
) -> Plan:
    """The alerts and labels of this run's findings. ``me`` is forewarn's own account
    (the connector's ``whoami()``); with it the tracker's label history decides whose
    a label is when the state store cannot. ``routing`` says where alerts go;
    ``backfill`` that this is a first cycle whose findings go to the backfill digest."""
    routing = routing or Routing()
    issues = {issue.key: issue for issue in snapshot.issues}
    seen = Seen.of(snapshot)
    alerts = _Alerts(actual=actual, seen=seen, style=style, notify=notify, now=now,
                     visibility=routing.visibility)
    commented = alerts.commented() if backfill else frozenset()
    records: list[FindingRecord] = []
    undelivered: list[Finding] = []
    desired_labels: dict[tuple[str, str], str] = {}
    active = sorted((f for f in findings if f.severity > Severity.INFO),
                    key=attrgetter("fingerprint"))  # sorted already by run_cycle: one pass
    per_finding, labels = routing.per_finding, routing.labels
    for finding in active:
        record = _record(finding, actual.findings.get(finding.fingerprint), now,
                         backfilled=backfill and finding.fingerprint not in commented)
        records.append(record)
        target = finding.subject_key if finding.subject_kind == "issue" else status_issue
        if target is None or target not in issues or is_draft(target):
            # A milestone alert of its own needs the status issue; a digest lists it anyway.
            # A draft item of a plan has nowhere to hold a comment or a label.
            if (finding.comment and finding.subject_kind == "milestone"
                    and per_finding and not record.backfilled):
                undelivered.append(finding)
            continue
        if labels and finding.label and finding.subject_kind == "issue":
            desired_labels[(target, finding.label)] = finding.kind
        if per_finding:
            alerts.plan_finding(finding, target, held=record.backfilled)
    fingerprints = {finding.fingerprint for finding in active}
    alerts.plan_resolutions(fingerprints, snapshot, now)
    alerts.plan_orphans(fingerprints, snapshot, now)
    # Labels are added before comments and removed after them, so that a budget
    # cut never leaves an alert comment without its label.
    adding = _labels_to_add(desired_labels, actual, issues)
    removing = _labels_to_remove(desired_labels, actual, issues,
                                 _last_added_by(snapshot.changes) if me else {}, me)
    return Plan(actions=(*adding, *alerts.actions, *removing), records=tuple(records),
                undelivered=tuple(undelivered))


class _Alerts:
    """Plans the comments of findings: new, escalated, edited, adopted, resolved."""

    def __init__(self, *, actual: Actual, seen: Seen, style: Style,
                 notify: Sequence[str], now: datetime,
                 visibility: Visibility = PUBLIC) -> None:
        self.actual = actual
        self.seen = seen
        self.style = style
        self.notify = notify
        self.now = now
        self.visibility = visibility
        self.acked = seen.acked()
        self.occurrences = Occurrences(actual.comments.values(), seen.ours)
        self.actions: list[Action] = []
        self.open: dict[str, list[CommentRecord]] = defaultdict(list)
        for record in actual.comments.values():
            if record.kind == "alert" and not record.resolved and not record.gone:
                self.open[record.fingerprint].append(record)

    def commented(self) -> frozenset[str]:
        """Findings that have a comment already, recorded or seen: adopted, not backfilled."""
        recorded = {record.fingerprint for record in self.actual.comments.values()
                    if record.kind == "alert"}
        return frozenset(recorded) | self.seen.fingerprints()

    def plan_finding(self, finding: Finding, target: str, *, held: int = 0) -> None:
        """Its comment: new, escalated, edited or adopted. ``held`` is the severity the
        backfill digest listed it at: no comment of its own is created up to there."""
        acked = finding.acked or finding.fingerprint in self.acked
        create = (finding.comment and not acked and finding.severity > held
                  and (not finding.team_only or self.style.audience == "team"))
        if not create and finding.fingerprint not in self.occurrences.subjects:
            # Nothing to create, nothing to find (most findings of a steady state); a
            # fingerprint no marker can carry is refused as ever.
            if not is_subject(finding.fingerprint):
                marker_for(finding)
            return
        # An older-level comment being edited keeps its own marker, an occurrence its own.
        writing, record, seen = self._existing(finding, marker_for(finding), target,
                                               acked=acked)
        if record is None and seen is None and not create:
            return  # no comment to write or keep (label only, acknowledged, held back)
        inputs: dict[str, Any] = {
            "kind": finding.kind, "cause": finding.cause, "rule_id": finding.rule_id,
            "subject": finding.subject_key, "severity": finding.severity,
            "evidence": finding.evidence, "marker": writing,
            "notify": list(dict.fromkeys([*finding.notify, *self.notify])), "acked": acked,
            "style": self.style,
        }
        self.actions += upsert(
            target=target, marker=writing, kind="alert", render=lambda: alert_body(**inputs),
            record=record, seen=seen,
            create=create, edit=record is None or not record.gone,
            input_hash=alert_key(**inputs), visibility=self.visibility,
        )

    def _existing(
        self, finding: Finding, marker: Marker, target: str, *, acked: bool
    ) -> tuple[Marker, CommentRecord | None, Comment | None]:
        """The comment to write, and its marker: the newest occurrence at this level while
        it is open (recorded, else as the tracker shows it), else a higher one still open
        (a de-escalation), else, once acknowledged, a lower one (an escalation that must
        not notify), else the newest occurrence reopened in place or a new occurrence
        (``sync/occurrences.py``)."""
        if finding.fingerprint not in self.occurrences.subjects:
            return marker, None, None  # its first comment: nothing recorded, shown or open
        latest = self.occurrences.latest(marker, target)
        if latest is not None and latest.record is not None and latest.record.gone:
            return latest.marker, latest.record, None  # deleted by someone: left alone
        if latest is not None and not latest.resolved:
            return latest.marker, latest.record, latest.seen
        candidates = sorted(self.open.get(finding.fingerprint, ()),
                            key=lambda r: level_of(r.marker))
        higher = [r for r in candidates if level_of(r.marker) > finding.severity.value]
        if higher:
            return higher[-1].marker, higher[-1], self.seen.on(higher[-1].marker,
                                                               higher[-1].target)
        if acked and candidates:
            lower = candidates[-1]
            return lower.marker, lower, self.seen.on(lower.marker, lower.target)
        if latest is None:
            return marker, None, None
        if latest.reopens(self.now):
            return latest.marker, latest.record, latest.seen
        new = latest.marker.next()
        return new, None, self.seen.on(new, target)

    def plan_resolutions(self, active: set[str], snapshot: Snapshot, now: datetime) -> None:
        """Every open alert whose finding is gone is edited to say so."""
        gone = sorted(self.open.keys() - active)
        answered = _comments_of(snapshot, {
            known.subject_key for fingerprint in gone
            if (known := self.actual.findings.get(fingerprint)) is not None
            and known.kind == "unanswered_feedback"})
        for fingerprint in gone:
            open_records = self.open[fingerprint]
            known = self.actual.findings.get(fingerprint)
            for record in open_records:
                shown = self.seen.on(record.marker, record.target)
                self.actions.append(EditComment(
                    target=record.target, marker=record.marker, kind="alert",
                    comment_id=record.comment_id,
                    body=_resolved(known, record, snapshot, self.style, now, shown=shown,
                                   comments=answered.get(known.subject_key, ())
                                   if known else ()),
                    resolved=True, visibility=self.visibility,
                ))

    def plan_orphans(self, active: set[str], snapshot: Snapshot, now: datetime) -> None:
        """Open alerts the tracker shows that the state store never recorded, older than
        its memory of the project (the database was lost): those whose finding is not
        active now are adopted and resolved, with the headline they showed."""
        since = self.actual.since or now
        for text, shown in sorted(self.seen.ours.items()):
            if text in self.actual.comments or shown.created_at >= since:
                continue  # recorded (the common case), or written since the store began
            marker = Marker.parse(text)
            if (marker.level == "info" or marker.subject in active
                    or is_resolved(shown.body_excerpt)):
                continue
            record = CommentRecord(marker=marker, kind="alert", target=shown.issue_key,
                                   comment_id=shown.id, body_hash="")
            body = _resolved(None, record, snapshot, self.style, now, shown=shown)
            self.actions += [
                AdoptComment(target=shown.issue_key, marker=marker, kind="alert",
                             comment_id=shown.id),
                EditComment(target=shown.issue_key, marker=marker, kind="alert",
                            comment_id=shown.id, body=body, resolved=True),
            ]


def _record(finding: Finding, previous: FindingRecord | None, now: datetime, *,
            backfilled: bool = False) -> FindingRecord:
    """What the state store keeps of a finding (``previous``: last cycle's); ``backfilled``
    holds its severity when the backfill digest lists it, and stays so on every later cycle."""
    severity, evidence = int(finding.severity), finding.evidence
    if (previous is not None and type(previous.evidence) is dict
            and previous.severity == severity and previous.cause == finding.cause
            and previous.subject_key == finding.subject_key
            and previous.rule_id == finding.rule_id and previous.kind == finding.kind
            and (previous.evidence is evidence or previous.evidence == evidence)):
        return previous  # a daemon's steady state: the record as it is, nothing to write
    first_seen, held = ((previous.first_seen, previous.backfilled) if previous is not None
                        else (now, severity if backfilled else 0))
    return FindingRecord(
        fingerprint=finding.fingerprint, rule_id=finding.rule_id, kind=finding.kind,
        cause=finding.cause, subject_key=finding.subject_key, severity=severity,
        # A finding's evidence is a dict no one changes once the rule made it: kept, not
        # copied (83,000 a cycle); another mapping becomes a dict, as the store expects.
        evidence=evidence if type(evidence) is dict else dict(evidence),
        first_seen=first_seen, backfilled=held,
    )


def _comments_of(snapshot: Snapshot, keys: Iterable[str]) -> dict[str, list[Comment]]:
    """The comments of a few issues, in the order listed: one pass over all of them (a
    million at 100,000 issues), not one per issue."""
    found: dict[str, list[Comment]] = {key: [] for key in keys}
    if found:
        for comment in picked(snapshot.comments, found, ISSUE_OF):
            found[comment.issue_key].append(comment)
    return found


_FIELD = attrgetter("field")


def _resolved(
    known: FindingRecord | None, record: CommentRecord, snapshot: Snapshot, style: Style,
    now: datetime, *, shown: Comment | None = None, comments: Iterable[Comment] = (),
) -> str:
    """The resolved body; without the finding's record (a lost database) its headline is
    the one the comment shows. ``comments``: those of the finding's issue, where the reply
    that answered a waiting client is looked for."""
    evidence: dict[str, Any] = parse_evidence(known.evidence) if known else {}
    resolution = style.text("no_longer", when=style.when(now))
    if known and known.kind == "unanswered_feedback":
        asked = evidence.get("asked_at")
        replies = sorted(
            (c for c in comments if not c.is_ours and c.is_public
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
        shown=None if known or shown is None else headline_in(shown.body_excerpt, style.markup),
    )


def _last_added_by(changes: Sequence[Change]) -> dict[tuple[str, str], str | None]:
    """(issue, label case-folded) -> who added the label last, from the tracker's history."""
    latest: dict[tuple[str, str], tuple[datetime, str | None]] = {}
    # The label changes picked in C loops (a third of 180,000 at 100,000 issues).
    for change in picked(changes, {"label"}, _FIELD):
        if not change.after:
            continue
        pair = (change.issue_key, change.after.casefold())
        last = latest.get(pair)
        if last is None or change.at >= last[0]:
            latest[pair] = (change.at, change.actor)
    return {pair: actor for pair, (_, actor) in latest.items()}


def _labels_to_add(
    desired: Mapping[tuple[str, str], str], actual: Actual, issues: Mapping[str, Issue],
) -> list[Action]:
    """Labels to add for the findings that last (``_labels_to_remove`` takes off the others)."""
    actions: list[Action] = []
    ensured: set[str] = set()
    # Recorded ones ask nothing more (a steady state: all): only the others are sorted.
    for target, label in sorted(pair for pair in desired if pair not in actual.labels):
        kind = desired[(target, label)]
        folded = label.casefold()
        if any(name.casefold() == folded for name in issues[target].labels):
            continue
        if label not in ensured:
            ensured.add(label)
            color, description = registry.label_style(kind)
            actions.append(EnsureLabel(label=label, color=color, description=description))
        actions.append(AddLabel(target=target, label=label))
    return actions


def _labels_to_remove(
    desired: Mapping[tuple[str, str], str], actual: Actual, issues: Mapping[str, Issue],
    added_by: Mapping[tuple[str, str], str | None], me: str | None,
) -> list[Action]:
    """Ours are what the store recorded, and what the history says forewarn added last
    although the store does not know it (the record was lost)."""
    me_folded = me.casefold() if me else None
    # Only labels not wanted as written are sorted, then matched case-folded by name.
    pending = actual.labels.difference(desired).union(
        _unrecorded(actual, issues, added_by, me).difference(desired))
    wanted: dict[str, list[str]] = defaultdict(list)
    for name in {label for _, label in desired} if pending else ():
        wanted[name.casefold()].append(name)
    actions: list[Action] = []
    for target, label in sorted(pending):
        if any((target, name) in desired for name in wanted.get(label.casefold(), ())):
            continue
        issue = issues.get(target)
        on_issue = issue is not None and label.casefold() in {
            name.casefold() for name in issue.labels}
        actor = added_by.get((target, label.casefold()))
        # Who added it last, when the history says: a person who put it back owns it now.
        mine = actor is None or me_folded is None or actor.casefold() == me_folded
        if on_issue and mine:
            actions.append(RemoveLabel(target=target, label=label))
        elif (target, label) in actual.labels:
            # Gone already, or a person put it back since: either way no longer ours.
            actions.append(ForgetLabel(target=target, label=label))
    return actions


def _unrecorded(
    actual: Actual, issues: Mapping[str, Issue],
    added_by: Mapping[tuple[str, str], str | None], me: str | None,
) -> set[tuple[str, str]]:
    """Labels the history says forewarn added last but the state store does not know."""
    me_folded = me.casefold() if me else None
    recorded: set[tuple[str, str]] | None = None  # folded when forewarn added a label at all
    found: set[tuple[str, str]] = set()
    for (target, folded), actor in added_by.items():
        if actor is None or actor.casefold() != me_folded:
            continue
        if recorded is None:
            recorded = {(key, label.casefold()) for key, label in actual.labels}
        if (target, folded) in recorded:
            continue
        issue = issues.get(target)
        if issue is not None:
            found.update((target, name) for name in issue.labels if name.casefold() == folded)
    return found
