"""Reconcile's shortcuts give the plan the long way gives.

``plan`` skips the comment lookup (``_Alerts._existing``) for a finding that has no
comment to create and no comment about it at any level, recorded or shown (most
findings of a steady state: label only, team only, acknowledged). Each case here is
planned twice, once with that shortcut and once with every fingerprint treated as having
comments, and the plans must be the same; the cases a user would notice are also
asserted outright.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import timedelta

import pytest

from connectors.markers import Marker
from connectors.model import Comment, Snapshot
from rules.base import Finding, Severity
from sync import actions as act
from sync.occurrences import Occurrences
from sync.reconcile import Actual, plan
from sync.render import Style
from sync.store.state import GONE, CommentRecord, FindingRecord
from tests.sync.test_reconcile import NOW, STYLE, apply, finding, issue, kinds, snapshot

CLIENT = replace(STYLE, audience="client")


class _Every(set[str]):
    """Every fingerprint has comments: the shortcut is never taken."""

    def __contains__(self, item: object) -> bool:
        return True


class _LongWay(Occurrences):
    def __init__(self, records: Iterable[CommentRecord], shown: Mapping[str, Comment]) -> None:
        super().__init__(records, shown)
        self.subjects = _Every()


def both_ways(monkeypatch: pytest.MonkeyPatch, **kwargs: object) -> act.Plan:
    """The plan with the shortcut, after checking it equals the plan without it."""
    short = plan(**kwargs)  # type: ignore[arg-type]
    with monkeypatch.context() as patched:
        patched.setattr("sync.reconcile.Occurrences", _LongWay)
        long = plan(**kwargs)  # type: ignore[arg-type]
    assert short == long
    return short


def written(found: Finding, style: Style = STYLE) -> tuple[Actual, Snapshot]:
    """The state store and the tracker once the finding's alert was written."""
    snap = snapshot(issue("p#1"))
    first = plan(findings=[found], snapshot=snap, actual=Actual(), style=style, now=NOW)
    actual, snap = apply(first, Actual(), snap)
    shown = tuple(
        Comment(id=r.comment_id, issue_key=r.target, author="forewarn", created_at=NOW,
                is_ours=True, marker=str(r.marker)) for r in actual.comments.values())
    return actual, replace(snap, comments=shown)


WARN = finding()
CRIT = replace(WARN, severity=Severity.CRITICAL)

Case = Callable[[], tuple[list[Finding], Actual, Snapshot, Style]]


def _edited_acked() -> tuple[list[Finding], Actual, Snapshot, Style]:
    actual, snap = written(WARN)
    return [replace(finding(milestone_title="v2.0"), acked=True)], actual, snap, STYLE


def _team_only_lost_record() -> tuple[list[Finding], Actual, Snapshot, Style]:
    actual, snap = written(WARN)
    return [replace(WARN, team_only=True)], replace(actual, comments={}), snap, CLIENT


def _label_only_deleted() -> tuple[list[Finding], Actual, Snapshot, Style]:
    actual, snap = written(WARN)
    gone = {m: replace(r, body_hash=GONE) for m, r in actual.comments.items()}
    return [replace(WARN, comment=False)], replace(actual, comments=gone), snap, STYLE


def _acked_deescalation() -> tuple[list[Finding], Actual, Snapshot, Style]:
    actual, snap = written(CRIT)
    return [replace(WARN, acked=True)], actual, snap, STYLE


def _ticked_lower_escalates() -> tuple[list[Finding], Actual, Snapshot, Style]:
    actual, snap = written(WARN)
    ticked = tuple(replace(c, acked=True) for c in snap.comments)
    return [CRIT], actual, replace(snap, comments=ticked), STYLE


def _held_by_backfill() -> tuple[list[Finding], Actual, Snapshot, Style]:
    actual, snap = written(WARN)
    record = FindingRecord(fingerprint=WARN.fingerprint, rule_id="scope", kind=WARN.kind,
                           cause=WARN.cause, subject_key="p#1", severity=2, evidence={},
                           first_seen=NOW, backfilled=int(Severity.CRITICAL))
    edited = finding(milestone_title="v3.0")
    return [edited], replace(actual, findings={WARN.fingerprint: record}), snap, STYLE


def _resolved_long_ago_comment_only() -> tuple[list[Finding], Actual, Snapshot, Style]:
    actual, snap = written(WARN)
    old = {m: replace(r, resolved=True, resolved_at=NOW - timedelta(days=9))
           for m, r in actual.comments.items()}
    return [replace(WARN, comment=False)], replace(actual, comments=old), snap, STYLE


def _another_findings_comment() -> tuple[list[Finding], Actual, Snapshot, Style]:
    other = finding(cause="removed")
    actual, snap = written(other, CLIENT)
    return [other, replace(WARN, team_only=True)], actual, snap, CLIENT


CASES: dict[str, tuple[Case, list[str]]] = {
    # An edited evidence re-renders an acknowledged finding's alert, silently.
    "edited acked": (_edited_acked, ["EditComment"]),
    # A team-only finding in the client's voice creates nothing, but adopts its comment
    # (and edits it: the tracker's excerpt here is not the body).
    "team only, record lost": (_team_only_lost_record, ["AdoptComment", "EditComment"]),
    # A comment someone deleted is left alone.
    "label only, deleted": (_label_only_deleted, []),
    # Acknowledged and lower now: the open critical comment is edited in place.
    "acked de-escalation": (_acked_deescalation, ["EditComment"]),
    # The checkbox ticked on the warning: its escalation edits it, notifying nobody.
    "ticked, escalates": (_ticked_lower_escalates, ["EditComment"]),
    # Held back by the backfill digest: its own comment still follows its evidence.
    "held, edited": (_held_by_backfill, ["EditComment"]),
    "label only, resolved long ago": (_resolved_long_ago_comment_only, []),
    "another finding's comment": (_another_findings_comment, []),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_shortcut_plans_what_the_long_way_plans(
    name: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    case, expected = CASES[name]
    found, actual, snap, style = case()
    result = both_ways(monkeypatch, findings=found, snapshot=snap, actual=actual, style=style,
                       now=NOW)
    assert [k for k in kinds(result) if k.endswith("Comment")] == expected


def test_an_acked_alert_edited_keeps_its_marker_and_ticks_its_box(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found, actual, snap, style = _edited_acked()
    (edit,) = both_ways(monkeypatch, findings=found, snapshot=snap, actual=actual,
                        style=style, now=NOW).actions
    assert isinstance(edit, act.EditComment)
    assert edit.marker == Marker(WARN.fingerprint, "warning")
    assert "- [x]" in edit.body and "v2\\.0" in edit.body


def test_a_fingerprint_no_marker_can_carry_is_refused_with_or_without_a_comment() -> None:
    bad = replace(WARN, fingerprint="not a marker", comment=False)
    with pytest.raises(ValueError, match="not a marker"):
        plan(findings=[bad], snapshot=snapshot(issue("p#1")), actual=Actual(), style=STYLE,
             now=NOW)


def test_a_recorded_label_that_differs_only_in_case_is_kept() -> None:
    snap = snapshot(issue("p#1", "scope-creep"))
    actual = Actual(labels=frozenset({("p#1", "scope-creep")}))
    result = plan(findings=[finding(label="Scope-Creep", comment=False)], snapshot=snap,
                  actual=actual, style=STYLE, now=NOW, me="forewarn")
    assert result.actions == ()
