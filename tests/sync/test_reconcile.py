"""Planning: only differences are written, nothing twice, and only forewarn's own labels go."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from connectors.markers import Marker
from connectors.model import Comment, Issue, Person, Snapshot
from rules.base import Finding, Severity, make_fingerprint
from sync import actions as act
from sync.reconcile import Actual, plan
from sync.render import Style, body_hash
from sync.store.state import GONE, CommentRecord, FindingRecord

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
#: The team's voice (mentions, the checkbox): what reconcile does with both is the same.
STYLE = Style(markup="markdown", timezone="Asia/Shanghai", audience="team")


def issue(key: str, *labels: str) -> Issue:
    return Issue(key=key, title=f"title of {key}", url="", state="open",
                 created_at=NOW - timedelta(days=30), author="alice", labels=labels)


def snapshot(*issues: Issue, comments: tuple[Comment, ...] = ()) -> Snapshot:
    people = {"alice": Person("alice", "Alice", "team"),
              "carol": Person("carol", "Carol", "client"),
              "forewarn": Person("forewarn", "forewarn", "bot")}
    return Snapshot(project="p", fetched_at=NOW, issues=issues, comments=comments, people=people)


def finding(subject: str = "p#1", *, severity: Severity = Severity.WARNING, cause: str = "added",
            kind: str = "scope_creep", label: str | None = "scope-creep", comment: bool = True,
            acked: bool = False, subject_kind: str = "issue", **evidence: object) -> Finding:
    return Finding(
        rule_id="scope", kind=kind, cause=cause, subject_kind=subject_kind,  # type: ignore[arg-type]
        subject_key=subject, severity=severity,
        fingerprint=make_fingerprint("scope", cause, subject), label=label, comment=comment,
        acked=acked, evidence={"milestone_title": "v1.0", "title": "t", **evidence},
    )


def apply(result: act.Plan, actual: Actual, snap: Snapshot) -> tuple[Actual, Snapshot]:
    """What the publisher would record and the tracker would show after the plan."""
    comments = dict(actual.comments)
    labels = set(actual.labels)
    issues = {i.key: i for i in snap.issues}
    for number, action in enumerate(result.actions):
        if isinstance(action, act.CreateComment):
            comments[str(action.marker)] = CommentRecord(
                marker=action.marker, kind=action.kind, target=action.target,
                comment_id=f"c{number}", body_hash=body_hash(action.body),
                input_hash=action.input_hash)
        elif isinstance(action, act.EditComment):
            old = comments[str(action.marker)]
            comments[str(action.marker)] = replace(old, body_hash=body_hash(action.body),
                                                   resolved=action.resolved,
                                                   input_hash=action.input_hash)
        elif isinstance(action, act.AdoptComment):
            comments[str(action.marker)] = CommentRecord(
                marker=action.marker, kind=action.kind, target=action.target,
                comment_id=action.comment_id, body_hash=action.body_hash)
        elif isinstance(action, act.AddLabel):
            labels.add((action.target, action.label))
            old_issue = issues[action.target]
            issues[action.target] = replace(old_issue, labels=(*old_issue.labels, action.label))
        elif isinstance(action, act.RemoveLabel | act.ForgetLabel):
            labels.discard((action.target, action.label))
            old_issue = issues[action.target]
            issues[action.target] = replace(
                old_issue, labels=tuple(n for n in old_issue.labels if n != action.label))
    records = {record.fingerprint: record for record in result.records}
    return (Actual(comments=comments, labels=frozenset(labels), findings=records),
            replace(snap, issues=tuple(issues.values())))


def kinds(result: act.Plan) -> list[str]:
    return [type(action).__name__ for action in result.actions]


def test_new_finding_gets_label_then_comment_and_second_plan_is_empty() -> None:
    snap = snapshot(issue("p#1"))
    first = plan(findings=[finding()], snapshot=snap, actual=Actual(), style=STYLE, now=NOW,
                 notify=["alice"])
    assert kinds(first) == ["EnsureLabel", "AddLabel", "CreateComment"]
    create = first.actions[2]
    assert isinstance(create, act.CreateComment)
    assert str(create.marker) == finding().fingerprint + ":warning"
    assert f"<!-- forewarn:{create.marker} -->" in create.body
    assert "cc @alice" in create.body
    actual, snap = apply(first, Actual(), snap)
    assert plan(findings=[finding()], snapshot=snap, actual=actual, style=STYLE, now=NOW,
                notify=["alice"]).actions == ()


def test_changed_evidence_edits_the_comment_silently() -> None:
    snap = snapshot(issue("p#1"))
    actual, snap = apply(plan(findings=[finding()], snapshot=snap, actual=Actual(), style=STYLE,
                              now=NOW), Actual(), snap)
    moved = finding(milestone_title="v1.0 (renamed)")
    result = plan(findings=[moved], snapshot=snap, actual=actual, style=STYLE, now=NOW)
    assert kinds(result) == ["EditComment"]
    assert "v1\\.0 \\(renamed\\)" in result.actions[0].body  # type: ignore[union-attr]


def test_escalation_is_a_new_comment_unless_acknowledged() -> None:
    snap = snapshot(issue("p#1"))
    warn = finding(kind="unanswered_feedback", cause="awaiting_reply", label="awaiting-reply")
    actual, snap = apply(plan(findings=[warn], snapshot=snap, actual=Actual(), style=STYLE,
                              now=NOW), Actual(), snap)
    breach = replace(warn, severity=Severity.CRITICAL)
    escalated = plan(findings=[breach], snapshot=snap, actual=actual, style=STYLE, now=NOW)
    assert kinds(escalated) == ["CreateComment"]
    assert str(escalated.actions[0].marker).endswith(":critical")  # type: ignore[union-attr]
    acked = plan(findings=[replace(breach, acked=True)], snapshot=snap, actual=actual,
                 style=STYLE, now=NOW)
    assert kinds(acked) == ["EditComment"]  # the checkbox is ticked in place, no notification
    assert "- [x]" in acked.actions[0].body  # type: ignore[union-attr]


def test_ticked_checkbox_stops_escalation_comments() -> None:
    warn = finding(kind="schedule_slip", cause="schedule", label=None)
    snap = snapshot(issue("p#1"))
    actual, snap = apply(plan(findings=[warn], snapshot=snap, actual=Actual(), style=STYLE,
                              now=NOW), Actual(), snap)
    (record,) = actual.comments.values()
    ticked = Comment(id=record.comment_id, issue_key="p#1", author="forewarn", created_at=NOW,
                     is_ours=True, marker=str(record.marker), acked=True)
    snap = replace(snap, comments=(ticked,))
    result = plan(findings=[replace(warn, severity=Severity.CRITICAL)], snapshot=snap,
                  actual=actual, style=STYLE, now=NOW)
    assert not any(isinstance(action, act.CreateComment) for action in result.actions)


def test_resolution_edits_the_comment_and_removes_only_our_label() -> None:
    snap = snapshot(issue("p#1", "scope-creep"), issue("p#2"))
    mine = finding("p#2")
    theirs = finding("p#1")  # the label was already there: a person put it
    actual, snap = apply(plan(findings=[mine, theirs], snapshot=snap, actual=Actual(),
                              style=STYLE, now=NOW), Actual(), snap)
    assert actual.labels == {("p#2", "scope-creep")}
    result = plan(findings=[], snapshot=snap, actual=actual, style=STYLE, now=NOW)
    assert sorted(kinds(result)) == ["EditComment", "EditComment", "RemoveLabel"]
    assert [a.target for a in result.actions if isinstance(a, act.RemoveLabel)] == ["p#2"]
    edits = [a for a in result.actions if isinstance(a, act.EditComment)]
    assert all(a.resolved and "**Resolved:** No longer detected as of Nov 25, 2026, 16:00 (UTC+8)"
               in a.body for a in edits)
    actual, snap = apply(result, actual, snap)
    assert plan(findings=[], snapshot=snap, actual=actual, style=STYLE, now=NOW).actions == ()


def test_answered_feedback_says_who_answered_and_when() -> None:
    asked = NOW - timedelta(days=2)
    warn = finding(kind="unanswered_feedback", cause="awaiting_reply", label="awaiting-reply",
                   severity=Severity.CRITICAL, asked_at=asked)
    snap = snapshot(issue("p#1"))
    actual, snap = apply(plan(findings=[warn], snapshot=snap, actual=Actual(), style=STYLE,
                              now=NOW), Actual(), snap)
    actual = replace(actual, findings={warn.fingerprint: FindingRecord(
        warn.fingerprint, "scope", "unanswered_feedback", "awaiting_reply", "p#1", 30,
        {"asked_at": asked.isoformat(), "title": "t"}, asked)})
    reply = Comment(id="9", issue_key="p#1", author="alice", created_at=NOW - timedelta(hours=1))
    result = plan(findings=[], snapshot=replace(snap, comments=(reply,)), actual=actual,
                  style=STYLE, now=NOW)
    (edit,) = [a for a in result.actions if isinstance(a, act.EditComment)]
    assert "Answered by Alice on Nov 25, 2026, 15:00 (UTC+8)." in edit.body


def test_lost_state_adopts_our_comment_instead_of_posting_again() -> None:
    snap = snapshot(issue("p#1"))
    first = plan(findings=[finding()], snapshot=snap, actual=Actual(), style=STYLE, now=NOW)
    create = next(a for a in first.actions if isinstance(a, act.CreateComment))
    ours = Comment(id="555", issue_key="p#1", author="forewarn", created_at=NOW, is_ours=True,
                   marker=str(create.marker), body_excerpt=create.body)
    snap = replace(snapshot(issue("p#1", "scope-creep")), comments=(ours,))
    again = plan(findings=[finding()], snapshot=snap, actual=Actual(), style=STYLE, now=NOW)
    assert kinds(again) == ["AdoptComment"]
    assert again.actions[0].comment_id == "555"  # type: ignore[union-attr]


def test_spoofed_marker_is_not_adopted() -> None:
    snap = snapshot(issue("p#1"))
    marker = finding().fingerprint + ":warning"
    spoof = Comment(id="7", issue_key="p#1", author="carol", created_at=NOW, is_ours=False,
                    marker=None, body_excerpt=f"<!-- forewarn:{marker} -->")
    result = plan(findings=[finding()], snapshot=replace(snap, comments=(spoof,)),
                  actual=Actual(), style=STYLE, now=NOW)
    assert "CreateComment" in kinds(result)


def test_milestone_findings_go_to_the_status_issue_without_labels() -> None:
    growth = finding("p/milestones/1", cause="growth", subject_kind="milestone", label=None)
    snap = snapshot(issue("p#1"), issue("p#100"))
    with_status = plan(findings=[growth], snapshot=snap, actual=Actual(), style=STYLE, now=NOW,
                       status_issue="p#100")
    assert kinds(with_status) == ["CreateComment"]
    assert with_status.actions[0].target == "p#100"  # type: ignore[union-attr]
    assert with_status.undelivered == ()
    without = plan(findings=[growth], snapshot=snap, actual=Actual(), style=STYLE, now=NOW)
    assert without.actions == ()
    assert [r.fingerprint for r in without.records] == [growth.fingerprint]
    assert without.undelivered == (growth,)  # never dropped in silence: the run reports it


@pytest.mark.parametrize("status_issue", [None, "p#404"])
def test_milestone_alerts_with_nowhere_to_go_are_undelivered(status_issue: str | None) -> None:
    overdue = finding("p/milestones/1", cause="overdue", subject_kind="milestone", label=None)
    quiet = finding("p/milestones/1", cause="moved", subject_kind="milestone", label=None,
                    comment=False)
    on_issue = finding("p#1")
    result = plan(findings=[overdue, quiet, on_issue], snapshot=snapshot(issue("p#1")),
                  actual=Actual(), style=STYLE, now=NOW, status_issue=status_issue)
    assert result.undelivered == (overdue,)
    assert [a.target for a in result.actions if isinstance(a, act.CreateComment)] == ["p#1"]


def test_info_and_label_only_findings() -> None:
    snap = snapshot(issue("p#1"), issue("p#2"))
    info = finding("p#1", severity=Severity.INFO, cause="descoped", label=None, comment=False)
    label_only = finding("p#2", kind="unanswered_feedback", cause="awaiting_reply",
                         label="awaiting-reply", comment=False)
    result = plan(findings=[info, label_only], snapshot=snap, actual=Actual(), style=STYLE,
                  now=NOW)
    assert result.actions == (
        act.EnsureLabel(label="awaiting-reply", color="5319e7",
                    description="forewarn: client feedback awaiting a reply"),
        act.AddLabel(target="p#2", label="awaiting-reply"))


def test_hostile_title_is_inert_in_the_comment() -> None:
    hostile = finding(title="@everyone <!-- forewarn:x --> **pwn** ![i](http://x)")
    result = plan(findings=[hostile], snapshot=snapshot(issue("p#1")), actual=Actual(),
                  style=STYLE, now=NOW)
    body = next(a for a in result.actions if isinstance(a, act.CreateComment)).body
    assert "@everyone" not in body
    assert body.count("<!--") == 2  # our marker and the checkbox tag, nothing injected
    assert "**pwn**" not in body


def test_unchanged_alerts_are_not_even_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    snap = snapshot(issue("p#1"), issue("p#2"))
    found = [finding("p#1"), finding("p#2", kind="unanswered_feedback", cause="awaiting_reply",
                                      severity=Severity.CRITICAL, label="awaiting-reply")]
    actual, snap = apply(plan(findings=found, snapshot=snap, actual=Actual(), style=STYLE,
                              now=NOW), Actual(), snap)

    def must_not_render(**_: object) -> str:
        raise AssertionError("rendered an alert whose inputs did not change")

    monkeypatch.setattr("sync.reconcile.alert_body", must_not_render)
    assert plan(findings=found, snapshot=snap, actual=actual, style=STYLE, now=NOW).actions == ()
    # A record written before input hashes existed is rendered and compared by body instead.
    legacy = {m: replace(r, input_hash=None) for m, r in actual.comments.items()}
    monkeypatch.undo()
    assert plan(findings=found, snapshot=snap, actual=replace(actual, comments=legacy),
                style=STYLE, now=NOW).actions == ()


def test_a_new_render_version_renders_again_but_edits_only_real_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    snap = snapshot(issue("p#1"))
    actual, snap = apply(plan(findings=[finding()], snapshot=snap, actual=Actual(), style=STYLE,
                              now=NOW), Actual(), snap)
    monkeypatch.setattr("sync.render.render_version", lambda: "an-upgrade")
    assert plan(findings=[finding()], snapshot=snap, actual=actual, style=STYLE,
                now=NOW).actions == ()


def test_a_ticked_checkbox_is_recorded_without_writing_the_same_text_again() -> None:
    snap = snapshot(issue("p#1"))
    warn = finding(kind="schedule_slip", cause="schedule", label=None)
    first = plan(findings=[warn], snapshot=snap, actual=Actual(), style=STYLE, now=NOW)
    actual, snap = apply(first, Actual(), snap)
    (create,) = [a for a in first.actions if isinstance(a, act.CreateComment)]
    (record,) = actual.comments.values()
    ticked = create.body.replace("- [ ]", "- [x]", 1)
    seen = Comment(id=record.comment_id, issue_key="p#1", author="forewarn", created_at=NOW,
                   is_ours=True, marker=str(record.marker), acked=True, body_excerpt=ticked)
    result = plan(findings=[warn], snapshot=replace(snap, comments=(seen,)), actual=actual,
                  style=STYLE, now=NOW)
    assert kinds(result) == ["AdoptComment"]
    assert result.writes == ()
    actual, snap = apply(result, actual, replace(snap, comments=(seen,)))
    assert plan(findings=[warn], snapshot=snap, actual=actual, style=STYLE,
                now=NOW).actions == ()


# -- a finding that ends and comes back (sync/occurrences.py) ---------------------------------

MARKER_1 = make_fingerprint("scope", "added", "p#1") + ":warning"


def resolved_record(marker: str, *, ago: timedelta, comment_id: str = "c1") -> CommentRecord:
    return CommentRecord(marker=Marker.parse(marker), kind="alert", target="p#1",
                         comment_id=comment_id, body_hash="old", resolved=True,
                         resolved_at=NOW - ago)


def ours(marker: str, *, comment_id: str, resolved: bool, edited_ago: timedelta) -> Comment:
    """forewarn's comment as the tracker shows it (a resolved one carries the tag)."""
    body = f"<!-- forewarn:{marker} -->" + ("<!-- forewarn-resolved -->" if resolved else "")
    return Comment(id=comment_id, issue_key="p#1", author="forewarn",
                   created_at=NOW - timedelta(days=9), updated_at=NOW - edited_ago,
                   body_excerpt=body + "\nan alert", is_ours=True, marker=marker)


@pytest.mark.parametrize(("records", "shown", "expected"), [
    # Back within a day of its resolution: the same comment, reopened (an edit notifies nobody).
    ([resolved_record(MARKER_1, ago=timedelta(hours=3))], [],
     [("EditComment", MARKER_1, "c1")]),
    # Back later: a new comment, under the marker of its second occurrence.
    ([resolved_record(MARKER_1, ago=timedelta(days=3))], [],
     [("CreateComment", MARKER_1 + ":2", None)]),
    ([resolved_record(MARKER_1, ago=timedelta(days=9)),
      resolved_record(MARKER_1 + ":2", ago=timedelta(days=2), comment_id="c2")], [],
     [("CreateComment", MARKER_1 + ":3", None)]),
    ([resolved_record(MARKER_1, ago=timedelta(days=9)),
      resolved_record(MARKER_1 + ":2", ago=timedelta(hours=2), comment_id="c2")], [],
     [("EditComment", MARKER_1 + ":2", "c2")]),
    # The second occurrence was posted but its response lost: adopted, not posted again.
    ([resolved_record(MARKER_1, ago=timedelta(days=3))],
     [ours(MARKER_1 + ":2", comment_id="c9", resolved=False, edited_ago=timedelta(0))],
     [("AdoptComment", MARKER_1 + ":2", "c9"), ("EditComment", MARKER_1 + ":2", "c9")]),
    # The state database was lost: the tracker's resolved comment says when it was resolved.
    ([], [ours(MARKER_1, comment_id="c7", resolved=True, edited_ago=timedelta(hours=5))],
     [("AdoptComment", MARKER_1, "c7"), ("EditComment", MARKER_1, "c7")]),
    ([], [ours(MARKER_1, comment_id="c7", resolved=True, edited_ago=timedelta(days=5))],
     [("CreateComment", MARKER_1 + ":2", None)]),
], ids=["reopened", "second", "third", "second reopened", "lost response", "lost db, reopened",
        "lost db, posted"])
def test_a_finding_back_is_reopened_within_a_day_else_posted_under_its_next_marker(
    records: list[CommentRecord], shown: list[Comment],
    expected: list[tuple[str, str, str | None]],
) -> None:
    snap = snapshot(issue("p#1", "scope-creep"), comments=tuple(shown))
    actual = Actual(comments={str(record.marker): record for record in records},
                    labels=frozenset({("p#1", "scope-creep")}))
    result = plan(findings=[finding()], snapshot=snap, actual=actual, style=STYLE, now=NOW)
    assert [(type(action).__name__, str(action.marker), getattr(action, "comment_id", None))
            for action in result.actions] == expected
    for action in result.actions:
        if isinstance(action, act.EditComment):
            assert not action.resolved and "Resolved" not in action.body
        if isinstance(action, act.CreateComment | act.EditComment):
            assert action.body.startswith(f"<!-- forewarn:{action.marker} -->\n")


@pytest.mark.parametrize(("severity", "expected"), [
    # Someone deleted the warning: nothing more at that level, while it lasts or comes back.
    (Severity.WARNING, []),
    # It escalates: a new comment, as any escalation.
    (Severity.CRITICAL, [("CreateComment", MARKER_1.replace(":warning", ":critical"))]),
])
def test_a_deleted_alert_is_left_alone_unless_its_finding_escalates(
    severity: Severity, expected: list[tuple[str, str]],
) -> None:
    deleted = CommentRecord(marker=Marker.parse(MARKER_1), kind="alert", target="p#1",
                            comment_id="c1", body_hash=GONE)
    actual = Actual(comments={MARKER_1: deleted}, labels=frozenset({("p#1", "scope-creep")}))
    snap = snapshot(issue("p#1", "scope-creep"))
    result = plan(findings=[finding(severity=severity)], snapshot=snap, actual=actual,
                  style=STYLE, now=NOW)
    assert [(type(a).__name__, str(a.marker)) for a in result.actions] == expected
    ended = plan(findings=[], snapshot=snap, actual=actual, style=STYLE, now=NOW)
    assert kinds(ended) == ["RemoveLabel"]  # no resolution edit of a deleted comment


#: As alert.md.j2 writes it in the team's voice (the headline on the line after the marker).
OPEN_ALERT = (f"<!-- forewarn:{MARKER_1} -->\n⚠️ Issue p\\#1 joined v1\\.0 late\n\n"
              "- [ ] Acknowledge this alert <!-- forewarn-ack -->")


@pytest.mark.parametrize(("since", "body", "active", "planned"), [
    # The database is younger than the comment: it was lost; the alert is resolved.
    (NOW - timedelta(hours=1), OPEN_ALERT, False, ["AdoptComment", "EditComment"]),
    (None, OPEN_ALERT, False, ["AdoptComment", "EditComment"]),  # a dry run's first look
    # Written since this database began (a crash before its record): left to its finding.
    (NOW - timedelta(days=30), OPEN_ALERT, False, []),
    # Resolved already, or its finding is back: nothing to resolve.
    (NOW - timedelta(hours=1), OPEN_ALERT.replace("-->\n", "--><!-- forewarn-resolved -->\n", 1),
     False, []),
    (NOW - timedelta(hours=1), OPEN_ALERT, True, ["AdoptComment"]),  # adopted, kept open
], ids=["lost database", "no run yet", "newer than the database", "resolved", "active"])
def test_an_open_alert_the_database_lost_is_resolved_when_its_finding_ended(
    since: datetime | None, body: str, active: bool, planned: list[str],
) -> None:
    shown = Comment(id="c5", issue_key="p#1", author="forewarn",
                    created_at=NOW - timedelta(days=2), body_excerpt=body, is_ours=True,
                    marker=MARKER_1)
    snap = snapshot(issue("p#1"), comments=(shown,))
    result = plan(findings=[finding()] if active else [], snapshot=snap,
                  actual=Actual(since=since), style=STYLE, now=NOW)
    comments = [a for a in result.actions if isinstance(a, act.COMMENTS)]
    assert [type(action).__name__ for action in comments][:len(planned)] == planned
    resolving = [a for a in comments if isinstance(a, act.EditComment) and a.resolved]
    assert len(resolving) == (1 if "EditComment" in planned else 0)
    if planned == ["AdoptComment", "EditComment"]:
        resolve = comments[1]
        assert isinstance(resolve, act.EditComment) and resolve.resolved
        assert resolve.comment_id == "c5"
        assert "~~Issue p\\#1 joined v1\\.0 late~~" in resolve.body
        assert resolve.body.startswith(f"<!-- forewarn:{MARKER_1} --><!-- forewarn-resolved -->")
