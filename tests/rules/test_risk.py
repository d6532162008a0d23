"""risk: blocked, stalled and unowned work in open milestones, one alert per milestone.

Times on the factory's week: T0 is Monday 2026-03-02 00:00 UTC; the calendar is
UTC Monday-Friday 09:00-18:00 (9-hour days).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from connectors.model import Change, Comment, Issue, Snapshot
from rules import risk
from rules.base import Finding
from rules.calendar import BusinessCalendar
from tests.rules.conftest import Factory, reversed_snapshot

mk = Factory()
PEOPLE = mk.people(carol="client", tom="team", forewarn="bot")
NOW = mk.at(14, 12)  # Monday of the third week, 12:00: 10 working days after T0 Monday 09:00


def options(**overrides: Any) -> risk.Options:
    return risk.Options(id="risks", kind="risk", **overrides)


def snapshot(issues: list[Issue], *, comments: tuple[Comment, ...] = (),
             changes: tuple[Change, ...] = (), milestone_state: str = "open") -> Snapshot:
    return mk.snapshot(issues=issues, milestones=[mk.milestone(1, state=milestone_state)],
                       comments=comments, changes=changes, people=PEOPLE)


def causes(findings: list[Finding]) -> dict[str, tuple[str, ...]]:
    """Per issue number (or "M" for the milestone), its causes (with their status)."""
    found: dict[str, list[str]] = {}
    for finding in findings:
        who = "M" if finding.subject_kind == "milestone" else finding.subject_key.split("#")[1]
        status = finding.evidence.get("status")
        found.setdefault(who, []).append(finding.cause + (f".{status}" if status else ""))
    return {key: tuple(sorted(value)) for key, value in found.items()}


def issue(number: int, **fields: Any) -> Issue:
    extra = {key: fields.pop(key) for key in ("blocked_by", "open_blockers", "flagged",
                                              "status_category") if key in fields}
    fields.setdefault("milestones", [1])
    fields.setdefault("created_at", mk.at(0, 9))
    return dataclasses.replace(mk.issue(number, **fields), **extra)


BLOCKER = issue(9, assignees=["tom"], state="open")
TALK = (mk.comment("c1", 9, "tom", mk.at(14, 9)),)  # keeps the blocker itself active


@pytest.mark.parametrize(
    ("issues", "expected"),
    [
        # blocked by an open issue in the snapshot
        ([issue(1, assignees=["tom"], blocked_by=(mk.issue_key(9),)), BLOCKER],
         {"1": ("blocked.linked",), "M": ("at_risk",)}),
        # ... whose blocker closed: resolved
        ([issue(1, assignees=["tom"], blocked_by=(mk.issue_key(9),)),
          dataclasses.replace(BLOCKER, state="closed", closed_at=mk.at(13))], {"1": ("stalled",),
                                                                              "M": ("at_risk",)}),
        # a blocker in another project: as read (open)
        ([issue(1, assignees=["tom"], blocked_by=("OTHER-7",), status_category="new")],
         {"1": ("blocked.linked",), "M": ("at_risk",)}),
        # GitHub counts open blockers; none open any more: not blocked
        ([issue(1, assignees=["tom"], open_blockers=2, status_category="new")],
         {"1": ("blocked.linked",), "M": ("at_risk",)}),
        ([issue(1, assignees=["tom"], open_blockers=0, status_category="new")], {}),
        # Jira's Flagged
        ([issue(1, assignees=["tom"], flagged=True, status_category="new")],
         {"1": ("blocked.flagged",), "M": ("at_risk",)}),
        # stalled: in progress by status category, no activity for 10 working days
        ([issue(1, assignees=["tom"], status_category="indeterminate")],
         {"1": ("stalled",), "M": ("at_risk",)}),
        # to do is not in progress
        ([issue(1, assignees=["tom"], status_category="new")], {}),
        # unowned: no assignee for 10 working days; a priority without one at once
        ([issue(1)], {"1": ("unowned.waiting",), "M": ("at_risk",)}),
        ([issue(1, created_at=mk.at(14, 11), labels=["P1"])],
         {"1": ("unowned.priority",), "M": ("at_risk",)}),
        ([issue(1, created_at=mk.at(14, 11), priority="Highest")],
         {"1": ("unowned.priority",), "M": ("at_risk",)}),
        ([issue(1, created_at=mk.at(14, 11))], {}),  # 2 working days not yet passed
        # closed issues and issues outside open milestones are not at risk
        ([issue(1, state="closed", closed_at=mk.at(13))], {}),
        ([issue(1, milestones=[])], {}),
        # blocked and unowned at once: two findings, listed once in the milestone's count
        ([issue(1, flagged=True)], {"1": ("blocked.flagged", "unowned.waiting"),
                                    "M": ("at_risk",)}),
    ],
)
def test_what_is_at_risk(issues: list[Issue], expected: dict[str, tuple[str, ...]]) -> None:
    snap = snapshot(issues, comments=TALK)
    found = risk.evaluate(snap, mk.ctx(NOW), options())
    assert causes(found) == expected
    assert found == risk.evaluate(reversed_snapshot(snap), mk.ctx(NOW), options())


@pytest.mark.parametrize(
    ("activity", "now", "stalled"),
    [
        ((), mk.at(4, 18), True),                     # Monday 09:00 to Friday 18:00: 5 days
        ((), mk.at(4, 17, 59), False),                # a minute short
        ((mk.comment("c1", 1, "carol", mk.at(10, 9)),), NOW, False),    # the client wrote
        ((mk.comment("c1", 1, "tom", mk.at(10, 9), is_ours=True),), NOW, True),  # we did
        ((mk.comment("c1", 1, "forewarn", mk.at(10, 9)),), NOW, True),  # a bot did
        ((Change(mk.issue_key(1), "label", mk.at(10, 9), after="ui", actor="tom"),), NOW,
         False),
        ((Change(mk.issue_key(1), "label", mk.at(10, 9), after="at-risk", actor="forewarn"),),
         NOW, True),                                                   # our own label
    ],
)
def test_stalled_counts_working_days_since_a_person_last_did_something(
        activity: tuple[Any, ...], now: Any, stalled: bool) -> None:
    comments = tuple(item for item in activity if isinstance(item, Comment))
    changes = tuple(item for item in activity if isinstance(item, Change))
    snap = snapshot([issue(1, assignees=["tom"], status_category="indeterminate")],
                    comments=comments, changes=changes)
    found = causes(risk.evaluate(snap, mk.ctx(now), options()))
    assert found.get("1") == ("stalled",) if stalled else "1" not in found


def test_a_public_holiday_does_not_count_as_a_working_day() -> None:
    # Germany: Good Friday 2026-04-03 and Easter Monday 2026-04-06 are holidays. Work
    # last touched on Thursday 2 April 18:00: on Thursday 9 April 18:00 only Tue, Wed,
    # Thu (3 days) have passed, not 5.
    berlin = BusinessCalendar(timezone="Europe/Berlin", holidays="DE")
    last = mk.at(31, 16)  # 2026-04-02 16:00 UTC = 18:00 Berlin
    snap = snapshot([issue(1, assignees=["tom"], created_at=last,
                           status_category="indeterminate")])
    assert risk.evaluate(snap, mk.ctx(mk.at(38, 16), calendar=berlin), options()) == []
    assert causes(risk.evaluate(snap, mk.ctx(mk.at(38, 16), calendar=berlin),
                                options(stalled_after=3))) == {"1": ("stalled",),
                                                                "M": ("at_risk",)}


@pytest.mark.parametrize(
    ("labels", "overrides", "expected"),
    [
        # GitHub: open and assigned is in progress, unless in_progress_labels say otherwise
        ((), {}, {"1": ("stalled",), "M": ("at_risk",)}),
        ((), {"in_progress_labels": ["doing"]}, {}),
        (("Doing",), {"in_progress_labels": ["doing"]}, {"1": ("stalled",), "M": ("at_risk",)}),
        # waiting on the client is not stalled
        (("waiting-on-client",), {}, {}),
        # an accepted risk is counted, not listed
        (("risk-accepted",), {}, {}),
        # scope
        (("chore",), {"exempt_labels": ["chore"]}, {}),
        ((), {"only_labels": ["client"]}, {}),
    ],
)
def test_controls(labels: tuple[str, ...], overrides: dict[str, Any],
                  expected: dict[str, tuple[str, ...]]) -> None:
    snap = snapshot([issue(1, assignees=["tom"], labels=labels)])
    assert causes(risk.evaluate(snap, mk.ctx(NOW), options(**overrides))) == expected


def test_one_milestone_alert_lists_the_issues_and_keeps_its_fingerprint() -> None:
    one = snapshot([issue(1), issue(2, assignees=["tom"], flagged=True),
                    issue(3, labels=["risk-accepted"])])
    first = next(f for f in risk.evaluate(one, mk.ctx(NOW), options())
                 if f.subject_kind == "milestone")
    assert {key: first.evidence[key] for key in (
        "risk_count", "blocked", "stalled", "unowned", "accepted_count", "blocked_count")} == {
        "risk_count": 2, "blocked": [mk.issue_key(2)], "stalled": [],
        "unowned": [mk.issue_key(1)], "accepted_count": 1, "blocked_count": 1}
    assert (first.comment, first.label, first.team_only) == (True, None, False)
    # The list changes: the same alert (fingerprint) with new evidence, edited in place.
    two = snapshot([issue(1, assignees=["tom"], created_at=mk.at(14, 11)),
                    issue(2, assignees=["tom"], flagged=True)])
    second = next(f for f in risk.evaluate(two, mk.ctx(NOW), options())
                  if f.subject_kind == "milestone")
    assert second.fingerprint == first.fingerprint
    assert second.evidence["unowned"] == [] and second.evidence["risk_count"] == 1


def test_issues_are_labelled_only_when_asked_and_never_commented() -> None:
    snap = snapshot([issue(1)])
    plain = [f for f in risk.evaluate(snap, mk.ctx(NOW), options()) if f.cause == "unowned"]
    labelled = [f for f in risk.evaluate(snap, mk.ctx(NOW), options(label="at-risk"))
                if f.cause == "unowned"]
    assert [(f.label, f.comment) for f in plain] == [(None, False)]
    assert [(f.label, f.comment) for f in labelled] == [("at-risk", False)]


def test_closed_milestones_are_not_watched() -> None:
    assert risk.evaluate(snapshot([issue(1)], milestone_state="closed"), mk.ctx(NOW),
                         options()) == []
