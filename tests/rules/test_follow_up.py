"""follow_up: the team wrote last on a client's open issue, then nothing for N working days.

T0 is Monday 2026-03-02 00:00 UTC; the default calendar is UTC Mon-Fri 09:00-18:00.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest

from connectors.model import Change, Snapshot, Visibility
from rules import follow_up
from rules.base import Finding, RuleContext
from rules.calendar import BusinessCalendar
from tests.rules.conftest import Factory, reversed_snapshot

mk = Factory()
PEOPLE = mk.people(carol="client", tom="team", ann="team", uma="unknown",
                   **{"ci[bot]": "bot", "forewarn": "bot"})


def options(**overrides: Any) -> follow_up.Options:
    return follow_up.Options(id="follow-up", kind="follow_up", **overrides)


def one(rows: list[tuple[Any, ...]], *, author: str = "carol", labels: tuple[str, ...] = (),
        changes: tuple[Change, ...] = (), state: str = "open") -> Snapshot:
    """Issue #1 opened Monday 09:00 by ``author``; comments (id, author, day, hour[, ours])."""
    comments = [mk.comment(row[0], 1, row[1], mk.at(row[2], row[3]),
                           is_ours=len(row) > 4 and row[4]) for row in rows]
    issue = mk.issue(1, author=author, created_at=mk.at(0, 9), assignees=["tom", "x y"],
                     labels=labels, state=state)
    return mk.snapshot(issues=[issue], comments=comments, changes=changes, people=PEOPLE)


def anchor(findings: list[Finding]) -> str | None:
    """The anchor (the team message) of the only finding, or None."""
    if not findings:
        return None
    (finding,) = findings
    return next(a for a in ("issue", "c1", "c2", "c3")
                if finding.fingerprint == follow_up.Options(id="follow-up", kind="follow_up")
                .finding(mk.issue(1), "follow_up", severity=finding.severity, evidence={},
                         anchor=a).fingerprint)


# comments, now -> the anchor of the reminder, or None
@pytest.mark.parametrize(
    ("rows", "now", "expected"),
    [
        ([("c1", "tom", 0, 10)], (3, 10), "c1"),             # 3 working days after Monday 10:00
        ([("c1", "tom", 0, 10)], (3, 9, 59), None),          # a minute short
        ([("c1", "tom", 0, 10), ("c2", "carol", 1, 9)], (9, 9), None),  # client wrote last
        ([("c1", "tom", 0, 10), ("c2", "carol", 1, 9), ("c3", "ann", 1, 10)], (4, 10), "c3"),
        ([("c1", "tom", 0, 10), ("c2", "tom", 0, 10, True)], (3, 10), "c1"),  # ours: no update
        ([("c1", "tom", 0, 10), ("c2", "ci[bot]", 2, 10)], (3, 10), "c1"),  # a bot: neither
        ([("c1", "tom", 0, 10), ("c2", "uma", 2, 10)], (3, 10), "c1"),     # unknown: neither
        ([("c1", "tom", 0, 10), ("c2", "carol", 0, 10)], (3, 10), "c1"),   # a tie: team last
        ([], (9, 9), None),                                  # nobody on the team wrote
    ],
)
def test_who_owes_an_update(rows: list[tuple[Any, ...]], now: tuple[int, ...],
                            expected: str | None) -> None:
    snap = one(rows)
    ctx = mk.ctx(mk.at(*now))
    found = follow_up.evaluate(snap, ctx, options())
    assert anchor(found) == expected
    assert found == follow_up.evaluate(reversed_snapshot(snap), ctx, options())


def test_an_issue_the_team_opened_with_no_client_is_not_watched() -> None:
    snap = one([("c1", "ann", 0, 10)], author="tom")
    assert follow_up.evaluate(snap, mk.ctx(mk.at(9, 9)), options()) == []
    # ... until a client takes part
    snap = one([("c1", "carol", 0, 10), ("c2", "ann", 0, 11)], author="tom")
    assert anchor(follow_up.evaluate(snap, mk.ctx(mk.at(9, 9)), options())) == "c2"


@pytest.mark.parametrize(
    ("labels", "changes", "overrides", "now", "found"),
    [
        (("waiting-on-client",), (), {}, (9, 9), False),         # the client's move
        ((), (), {"exempt_labels": ["internal"]}, (9, 9), True),
        (("internal",), (), {"exempt_labels": ["internal"]}, (9, 9), False),
        ((), (), {"after": 5}, (4, 10), False),
        # paused a whole working day (Tuesday 09:00 to Wednesday 09:00): one more day needed
        ((), (Change(mk.issue_key(1), "label", mk.at(1, 9), after="waiting-on-client"),
              Change(mk.issue_key(1), "label", mk.at(2, 9), before="waiting-on-client")),
         {}, (3, 10), False),
        ((), (Change(mk.issue_key(1), "label", mk.at(1, 9), after="waiting-on-client"),
              Change(mk.issue_key(1), "label", mk.at(2, 9), before="waiting-on-client")),
         {}, (4, 10), True),
    ],
)
def test_controls(labels: tuple[str, ...], changes: tuple[Change, ...],
                  overrides: dict[str, Any], now: tuple[int, ...], found: bool) -> None:
    snap = one([("c1", "tom", 0, 10)], labels=labels, changes=changes)
    assert bool(follow_up.evaluate(snap, mk.ctx(mk.at(*now)), options(**overrides))) is found


def test_the_reminder_is_for_the_team_and_names_the_assignees() -> None:
    (finding,) = follow_up.evaluate(one([("c1", "ann", 0, 10)]), mk.ctx(mk.at(3, 10)),
                                    options(notify=["pm"], label="follow-up-due"))
    assert finding.team_only and finding.comment
    assert finding.label == "follow-up-due"
    # Mentions: the assignees whose ids can be mentioned, then notify.
    assert finding.notify == ("tom", "pm")
    assert {key: finding.evidence[key] for key in ("client", "replied_by", "replied_at",
                                                   "idle_days", "assignees")} == {
        "client": "Carol Client", "replied_by": "Ann Team", "replied_at": mk.at(0, 10),
        "idle_days": 3, "assignees": ["Tom Team", "x y"]}


def _berlin_ctx(now: datetime) -> RuleContext:
    berlin = BusinessCalendar(timezone="Europe/Berlin", holidays="DE")
    return dataclasses.replace(mk.ctx(now), organisations={"initech": ["carol"]},
                               client_calendars={"initech": berlin})


def test_the_clock_runs_in_the_clients_calendar_across_its_public_holiday() -> None:
    # The team wrote on Wednesday 2026-04-01 at 10:00 Berlin (08:00 UTC). Good Friday
    # (3 April) and Easter Monday (6 April) are German holidays: 3 working days are
    # Thursday, Tuesday and Wednesday, due on Wednesday 8 April 10:00 Berlin, not on
    # Monday 6 April as the project's UTC calendar would say.
    snap = mk.snapshot(
        issues=[mk.issue(1, created_at=mk.at(30, 7), assignees=["tom"])],
        comments=[mk.comment("c1", 1, "tom", mk.at(30, 8))], people=PEOPLE)
    assert follow_up.evaluate(snap, mk.ctx(mk.at(35, 8)), options())  # UTC calendar: due
    assert follow_up.evaluate(snap, _berlin_ctx(mk.at(35, 8)), options()) == []
    assert follow_up.evaluate(snap, _berlin_ctx(mk.at(37, 7, 59)), options()) == []
    assert follow_up.evaluate(snap, _berlin_ctx(mk.at(37, 8)), options())


def test_a_closed_issue_owes_nothing() -> None:
    snap = one([("c1", "tom", 0, 10)], state="closed")
    assert follow_up.evaluate(snap, mk.ctx(mk.at(9, 9)), options()) == []


@pytest.mark.parametrize("note", [Visibility("role", "Developers"), Visibility("internal")])
def test_a_note_the_client_could_not_read_is_no_update(note: Visibility) -> None:
    # Tom answered on Monday; Ann's Wednesday note was restricted: the client has heard
    # nothing since Monday, and by Thursday 10:00 three working days have passed.
    snap = one([("c1", "tom", 0, 10)])
    restricted = mk.comment("c2", 1, "ann", mk.at(2, 10), visibility=note)
    snap = dataclasses.replace(snap, comments=(*snap.comments, restricted))
    found = follow_up.evaluate(snap, mk.ctx(mk.at(3, 10)), options())
    assert anchor(found) == "c1"
