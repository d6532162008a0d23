from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.model import PUBLIC, Change, Comment, Issue, Snapshot, Visibility
from rules import unanswered_feedback
from rules.base import Finding, Severity, make_fingerprint
from rules.calendar import BusinessCalendar
from tests.rules.conftest import Factory, reversed_snapshot

mk = Factory()
KEY = "acme/portal#1"
PEOPLE = mk.people(carol="client", cleo="client", tom="team", tina="team", uma="unknown",
                   **{"ci[bot]": "bot", "forewarn": "bot"})
PAUSE = "waiting-on-client"


def options(**overrides: Any) -> unanswered_feedback.Options:
    return unanswered_feedback.Options(id="feedback", kind="unanswered_feedback", **overrides)


def evaluate(snapshot: Snapshot, now: datetime, *, calendar: BusinessCalendar | None = None,
             **overrides: Any) -> list[Finding]:
    ctx = mk.ctx(now, calendar=calendar)
    return unanswered_feedback.evaluate(snapshot, ctx, options(**overrides))


def snapshot(issues: Sequence[Issue], comments: Sequence[Comment] = (),
             changes: Sequence[Change] = ()) -> Snapshot:
    return mk.snapshot(issues=issues, comments=comments, changes=changes, people=PEOPLE)


def one(comments: Sequence[tuple[Any, ...]] = (), *, author: str = "carol",
        created_at: datetime | None = None, **issue: Any) -> Snapshot:
    """Issue #1 opened on Monday 09:00 by ``author``, with (id, author, day, hour[, ours])."""
    rows = [mk.comment(row[0], 1, row[1], mk.at(row[2], row[3]),
                       is_ours=len(row) > 4 and row[4]) for row in comments]
    return snapshot([mk.issue(1, author=author, created_at=created_at or mk.at(0, 9),
                              assignees=["tom"], **issue)], rows)


def level(findings: list[Finding]) -> tuple[str, str] | None:
    """(severity, fingerprint anchor) of the only finding, or None."""
    if not findings:
        return None
    (finding,) = findings
    anchors = {make_fingerprint("feedback", "awaiting_reply", KEY, anchor): anchor
               for anchor in ("issue", "c1", "c2", "c3", "c9", "c10")}
    return finding.severity.label, anchors[finding.fingerprint]


# comments (id, author, day, hour[, is_ours]), now (day, hour, minute) -> (level, anchor)
@pytest.mark.parametrize(
    ("comments", "now", "expected"),
    [
        ([], (0, 16, 59), None),                                     # 7h59m of 16h
        ([], (0, 17, 0), ("warning", "issue")),                      # 8h: half the SLA
        ([], (1, 15, 59), ("warning", "issue")),
        ([], (1, 16, 0), ("critical", "issue")),                     # 16h reached
        ([], (1, 20, 0), ("critical", "issue")),                     # after hours: still late
        ([("c1", "tom", 0, 10)], (3, 9, 0), None),                   # the team replied
        ([("c1", "tom", 0, 10), ("c2", "carol", 0, 11)], (1, 12, 0), ("warning", "c2")),
        ([("c1", "tom", 0, 10), ("c2", "carol", 0, 11), ("c3", "carol", 1, 10)],
         (1, 18, 0), ("critical", "c2")),                            # follow-ups keep the anchor
        ([("c2", "carol", 0, 11), ("c3", "cleo", 1, 10)], (1, 17, 0), ("critical", "issue")),
        ([("c1", "ci[bot]", 0, 10)], (1, 16, 0), ("critical", "issue")),  # bots do not answer
        ([("c1", "tom", 0, 10, True)], (1, 16, 0), ("critical", "issue")),  # nor do we
        ([("c1", "uma", 0, 10)], (1, 16, 0), ("critical", "issue")),  # unknown: does not answer
        ([("c1", "tom", 0, 10), ("c2", "uma", 0, 11)], (3, 9, 0), None),  # ...nor start a wait
        ([("c1", "tom", 0, 9)], (3, 9, 0), None),                    # same instant: answered
        ([("c1", "tom", 0, 10), ("c2", "carol", 0, 10)], (3, 9, 0), None),
        ([("c1", "tom", 0, 10), ("c9", "carol", 0, 11), ("c10", "cleo", 0, 11)], (1, 12, 0),
         ("warning", "c10")),                                       # a tie: the smallest id
    ],
)
def test_who_waits(comments: list[tuple[Any, ...]], now: tuple[int, int, int],
                   expected: tuple[str, str] | None) -> None:
    snap = one(comments)
    at = mk.at(now[0], now[1], now[2])
    assert level(evaluate(snap, at)) == expected
    assert evaluate(reversed_snapshot(snap), at) == evaluate(snap, at)


ROLE = Visibility("role", "Developers")
GROUP = Visibility("group", "acme-team")
NOTE = Visibility("internal")


# comments (id, author, day, hour, visibility) -> (level, anchor) on Tuesday 17:00
@pytest.mark.parametrize(
    ("comments", "expected"),
    [
        ([("c1", "tom", 0, 10, ROLE)], ("critical", "issue")),    # the client never saw it
        ([("c1", "tom", 0, 10, GROUP)], ("critical", "issue")),
        ([("c1", "tom", 0, 10, NOTE)], ("critical", "issue")),    # a service desk internal note
        ([("c1", "tom", 0, 10, PUBLIC)], None),                   # a public reply answers
        ([("c1", "tom", 0, 10, NOTE), ("c2", "tina", 0, 11, PUBLIC)], None),
        # a restricted comment starts no wait either, whoever wrote it
        ([("c1", "tom", 0, 10, PUBLIC), ("c2", "carol", 0, 11, NOTE)], None),
        ([("c1", "tom", 0, 10, PUBLIC), ("c2", "carol", 0, 11, ROLE),
          ("c3", "carol", 0, 12, PUBLIC)], ("warning", "c3")),      # 14h of 16h
    ],
)
def test_restricted_comments_neither_answer_nor_ask(
    comments: list[tuple[Any, ...]], expected: tuple[str, str] | None
) -> None:
    rows = [mk.comment(cid, 1, who, mk.at(day, hour), visibility=seen)
            for cid, who, day, hour, seen in comments]
    snap = snapshot([mk.issue(1, author="carol", created_at=mk.at(0, 9))], rows)
    assert level(evaluate(snap, mk.at(1, 17))) == expected


@pytest.mark.parametrize(
    ("author", "comments", "now", "expected"),
    [
        ("tom", [], (3, 9), None),                                   # the team opened it
        ("tom", [("c1", "carol", 0, 10)], (1, 16), ("warning", "c1")),
        ("tom", [("c1", "carol", 0, 10)], (1, 17), ("critical", "c1")),
        ("uma", [], (3, 9), None),                                   # unknown author
        ("uma", [("c1", "carol", 0, 10)], (1, 17), ("critical", "c1")),
        ("ci[bot]", [("c1", "carol", 0, 10)], (1, 17), ("critical", "c1")),
        ("nobody", [], (3, 9), None),                                # not in people: unknown
    ],
)
def test_issue_author(author: str, comments: list[tuple[Any, ...]], now: tuple[int, int],
                      expected: tuple[str, str] | None) -> None:
    assert level(evaluate(one(comments, author=author), mk.at(*now))) == expected


def test_breach_finding() -> None:
    snap = snapshot([mk.issue(1, created_at=mk.at(0, 9), title="Login fails",
                              assignees=["tom", "zoe"])])
    assert evaluate(snap, mk.at(1, 17)) == [
        Finding(
            rule_id="feedback",
            kind="unanswered_feedback",
            cause="awaiting_reply",
            subject_kind="issue",
            subject_key=KEY,
            severity=Severity.CRITICAL,
            fingerprint=make_fingerprint("feedback", "awaiting_reply", KEY, "issue"),
            evidence={
                "title": "Login fails",
                "asked_at": mk.at(0, 9),
                "client": "Carol Client",
                "sla_hours": 16.0,
                "day_hours": 9.0,
                "deadline": mk.at(1, 16),
                "elapsed_hours": 17.0,
                "assignees": ["Tom Team", "zoe"],
            },
            label="awaiting-reply",
            comment=True,
            acked=False,
        )
    ]


def test_warning_is_label_only_and_shares_the_fingerprint() -> None:
    snap = one()
    (warning,) = evaluate(snap, mk.at(0, 17, 20))
    (breach,) = evaluate(snap, mk.at(1, 16))
    assert (warning.severity, warning.comment, warning.label) == (
        Severity.WARNING, False, "awaiting-reply")
    assert warning.evidence["elapsed_hours"] == 8.3
    assert warning.evidence["deadline"] == breach.evidence["deadline"] == mk.at(1, 16)
    assert warning.fingerprint == breach.fingerprint


@pytest.mark.parametrize(
    ("asked", "now", "expected", "elapsed", "deadline"),
    [
        # Friday 17:00 -> Monday 17:00 is 1 + 8 business hours.
        (mk.at(4, 17), mk.at(7, 17), "warning", 9.0, mk.at(8, 15)),
        (mk.at(4, 17), mk.at(8, 16), "critical", 17.0, mk.at(8, 15)),
        # Asked on Saturday: the clock starts on Monday morning.
        (mk.at(5, 11), mk.at(7, 16, 59), None, 7.98, mk.at(8, 16)),
        (mk.at(5, 11), mk.at(8, 16), "critical", 16.0, mk.at(8, 16)),
    ],
)
def test_weekends(asked: datetime, now: datetime, expected: str | None, elapsed: float,
                  deadline: datetime) -> None:
    findings = evaluate(one(created_at=asked), now)
    if expected is None:
        assert findings == []
        return
    (finding,) = findings
    assert finding.severity.label == expected
    assert (finding.evidence["elapsed_hours"], finding.evidence["deadline"]) == (
        elapsed, deadline)


SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = BusinessCalendar(timezone="Asia/Shanghai", holidays="CN")


def cst(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "expected", "elapsed"),
    [
        (cst(10, 7, 23), "warning", 9.0),        # the whole Golden Week is not business time
        (cst(10, 8, 15), "warning", 15.0),
        (cst(10, 8, 16), "critical", 16.0),
    ],
)
def test_holidays(now: datetime, expected: str, elapsed: float) -> None:
    (finding,) = evaluate(one(created_at=cst(9, 30, 9)), now, calendar=CN)
    assert finding.severity.label == expected
    assert finding.evidence["elapsed_hours"] == elapsed
    assert finding.evidence["deadline"] == cst(10, 8, 16)


# pause label changes (day, hour, added, removed), labels now, now -> (level, elapsed, deadline)
@pytest.mark.parametrize(
    ("changes", "labels", "now", "expected"),
    [
        # Paused Monday 10:00 to Tuesday 10:00: 9 business hours do not count.
        ([(0, 10, PAUSE, None), (1, 10, None, PAUSE)], (), mk.at(2, 9),
         ("warning", 9.0, mk.at(2, 16))),
        ([(0, 10, PAUSE, None), (1, 10, None, PAUSE)], (), mk.at(2, 16),
         ("critical", 16.0, mk.at(2, 16))),
        # Carrying the label now: the clock is stopped, nothing to report.
        ([(0, 10, PAUSE, None)], (PAUSE,), mk.at(5, 9), None),
        ([], ("Waiting-On-Client",), mk.at(5, 9), None),
        # Removed with no addition in the history: paused since before the question.
        ([(1, 10, None, PAUSE)], (), mk.at(2, 9), ("warning", 8.0, mk.at(2, 17))),
        # Added, never removed, yet not on the issue now: a gap in the history, ignored.
        ([(0, 10, PAUSE, None)], (), mk.at(1, 16), ("critical", 16.0, mk.at(1, 16))),
        # Two pause labels overlapping count once.
        ([(0, 10, PAUSE, None), (0, 12, "on-hold", None), (0, 14, None, PAUSE),
          (1, 10, None, "on-hold")], (), mk.at(2, 9), ("warning", 9.0, mk.at(2, 16))),
        # A pause that ended before the question does not matter.
        ([(-3, 10, PAUSE, None), (0, 8, None, PAUSE)], (), mk.at(1, 16),
         ("critical", 16.0, mk.at(1, 16))),
        # Other labels are not pauses.
        ([(0, 10, "bug", None), (1, 10, None, "bug")], (), mk.at(1, 16),
         ("critical", 16.0, mk.at(1, 16))),
    ],
)
def test_pause_labels(changes: list[tuple[int, int, str | None, str | None]],
                      labels: tuple[str, ...], now: datetime,
                      expected: tuple[str, float, datetime] | None) -> None:
    snap = one(labels=labels)
    history = [mk.label(1, mk.at(day, hour), added=added, removed=removed)
               for day, hour, added, removed in changes]
    snap = snapshot(snap.issues, snap.comments, history)
    findings = evaluate(snap, now, pause_labels=[PAUSE, "On-Hold"])
    assert evaluate(reversed_snapshot(snap), now, pause_labels=[PAUSE, "on-hold"]) == findings
    if expected is None:
        assert findings == []
        return
    (finding,) = findings
    assert (finding.severity.label, finding.evidence["elapsed_hours"],
            finding.evidence["deadline"]) == expected


# SLA table, the issue's labels and priority, now -> (level, SLA in hours)
@pytest.mark.parametrize(
    ("sla", "labels", "priority", "now", "expected"),
    [
        ({"bug": "4h", "p1": "2h", "default": "16h"}, ("Bug",), None, mk.at(0, 13),
         ("critical", 4.0)),
        ({"bug": "4h", "p1": "2h", "default": "16h"}, (), "P1", mk.at(0, 11),
         ("critical", 2.0)),
        ({"bug": "4h", "p1": "2h", "default": "16h"}, ("bug",), "P1", mk.at(0, 11),
         ("warning", 4.0)),                       # the first match wins
        ({"p1": "2h", "bug": "4h", "default": "16h"}, ("bug",), "P1", mk.at(0, 11),
         ("critical", 2.0)),
        ({"bug": "4h", "p1": "2h", "default": "16h"}, (), None, mk.at(0, 13), None),
        ({"bug": "4h", "p1": "2h", "default": "16h"}, (), None, mk.at(1, 16),
         ("critical", 16.0)),
        ({"bug": "4h"}, (), None, mk.at(1, 16), ("critical", 16.0)),  # default default: 16h
        ({"default": "1d"}, (), None, mk.at(1, 16), ("warning", 24.0)),  # 24 business hours
        ("4h", (), None, mk.at(0, 13), ("critical", 4.0)),
        ("90m", (), None, mk.at(0, 10), ("warning", 1.5)),
    ],
)
def test_sla_tables(sla: Any, labels: tuple[str, ...], priority: str | None, now: datetime,
                    expected: tuple[str, float] | None) -> None:
    findings = evaluate(one(labels=labels, priority=priority), now, sla=sla)
    assert [(f.severity.label, f.evidence["sla_hours"]) for f in findings] == (
        [expected] if expected else [])


@pytest.mark.parametrize(
    ("issue", "overrides", "expected"),
    [
        ({}, {}, "critical"),
        ({"state": "closed"}, {}, None),
        ({"labels": ["chore"]}, {"exempt_labels": ["chore"]}, None),
        ({}, {"only_labels": ["client-request"]}, None),
        ({"labels": ["client-request"]}, {"only_labels": ["client-request"]}, "critical"),
        ({}, {"enabled": False}, None),
        ({}, {"projects": ["billing"]}, None),
    ],
)
def test_controls(issue: dict[str, Any], overrides: dict[str, Any], expected: str | None) -> None:
    findings = evaluate(one(**issue), mk.at(1, 17), **overrides)
    assert [f.severity.label for f in findings] == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("labels", "acked"),
    [((), False), (("forewarn-ack",), True), (("FOREWARN-ACK",), True)],
)
def test_ack(labels: tuple[str, ...], acked: bool) -> None:
    (finding,) = evaluate(one(labels=labels), mk.at(1, 17))
    assert finding.acked is acked
    assert finding.label == "awaiting-reply"  # the label stays on an acknowledged issue


@pytest.mark.parametrize(
    ("warn_at", "now", "expected"),
    [(0.25, mk.at(0, 12, 59), None), (0.25, mk.at(0, 13), "warning"),
     (0.9, mk.at(1, 14), None), (0.9, mk.at(1, 14, 30), "warning")],
)
def test_warn_at(warn_at: float, now: datetime, expected: str | None) -> None:
    findings = evaluate(one(), now, warn_at=warn_at)
    assert [f.severity.label for f in findings] == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"warn_at": 1}, "less than 1"),
        ({"warn_at": 0}, "greater than 0"),
        ({"sla": 16}, "a duration needs a unit"),
        ({"sla": {"bug": "soon"}}, "not a duration"),
    ],
)
def test_invalid_options(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        options(**overrides)


def test_defaults() -> None:
    defaults = options()
    assert defaults.sla.default == timedelta(hours=16)
    assert defaults.sla.entries == ()
    assert (defaults.warn_at, defaults.label, defaults.pause_labels) == (
        0.5, "awaiting-reply", (PAUSE,))


def test_many_issues_order_independent() -> None:
    issues = [mk.issue(n, author=("carol", "tom", "uma")[n % 3], created_at=mk.at(0, 9 + n % 8))
              for n in range(1, 60)]
    comments = [mk.comment(f"c{n}", 1 + n % 59, ("carol", "tom", "cleo", "ci[bot]")[n % 4],
                           mk.at(n % 3, 9 + n % 9)) for n in range(400)]
    snap = snapshot(issues, comments)
    first = evaluate(snap, mk.at(2, 17))
    assert first == evaluate(reversed_snapshot(snap), mk.at(2, 17))
    assert [f.fingerprint for f in first] == sorted(f.fingerprint for f in first)
    assert {f.severity for f in first} == {Severity.WARNING, Severity.CRITICAL}


# -- client tiers: SLA by organisation, the organisation's calendar, escalation ---------------

ORGS = {"initech": ["carol"], "umbrella": ["cleo"]}


def tiered(now: datetime, *, calendars: dict[str, BusinessCalendar] | None = None,
           labels: tuple[str, ...] = (), author: str = "carol",
           **overrides: Any) -> list[Finding]:
    ctx = dataclasses.replace(mk.ctx(now), organisations=ORGS,
                              client_calendars=calendars or {})
    snap = one(author=author, labels=labels)
    return unanswered_feedback.evaluate(snap, ctx, options(**overrides))


@pytest.mark.parametrize(
    ("sla", "author", "labels", "now", "expected"),
    [
        ({"initech": "4h", "default": "16h"}, "carol", (), (0, 13), "critical"),
        ({"initech": "4h", "default": "16h"}, "cleo", (), (0, 13), None),
        # first match wins, in the order written
        ({"bug": "16h", "initech": "4h"}, "carol", ("bug",), (0, 13), None),
        ({"initech": "4h", "bug": "16h"}, "carol", ("bug",), (0, 13), "critical"),
        ({"INITECH": "4h"}, "carol", (), (0, 13), "critical"),   # case-insensitive
    ],
)
def test_an_sla_table_keyed_by_client_organisation(
        sla: dict[str, str], author: str, labels: tuple[str, ...], now: tuple[int, int],
        expected: str | None) -> None:
    found = tiered(mk.at(*now), sla=sla, author=author, labels=labels)
    assert ([f.severity.label for f in found] or [None]) == [expected]


def test_a_tier_change_mid_wait_applies_to_the_whole_wait() -> None:
    # Monday 09:00 the client asks; the default 16h SLA. At 12:00 (3 h) a warning is far
    # off. The issue is then labelled gold (4h): the same wait, now past its SLA, with the
    # same fingerprint (an escalation of the same alert) and the deadline moved forward.
    before = tiered(mk.at(0, 12), sla={"gold": "4h", "default": "16h"})
    assert before == []
    (warning,) = tiered(mk.at(0, 17), sla={"gold": "4h", "default": "16h"})
    (breach,) = tiered(mk.at(0, 17), sla={"gold": "4h", "default": "16h"}, labels=("gold",))
    assert (warning.severity.label, breach.severity.label) == ("warning", "critical")
    assert warning.fingerprint == breach.fingerprint
    assert (warning.evidence["deadline"], breach.evidence["deadline"]) == (mk.at(1, 16),
                                                                          mk.at(0, 13))


def test_the_wait_is_counted_in_the_organisations_calendar() -> None:
    # Shanghai client: 09:00-18:00 UTC+8 is 01:00-10:00 UTC. The question (Monday 09:00
    # UTC = 17:00 Shanghai) waits 1 Shanghai hour on Monday, then 9 on Tuesday.
    shanghai = BusinessCalendar(timezone="Asia/Shanghai", holidays="CN")
    (found,) = tiered(mk.at(1, 10), calendars={"initech": shanghai})
    assert found.evidence["elapsed_hours"] == 10.0
    assert found.evidence["day_hours"] == 9.0
    (other,) = tiered(mk.at(1, 10), calendars={"umbrella": shanghai})  # carol is initech
    assert other.evidence["elapsed_hours"] == 10.0  # UTC: Monday 09:00 to Tuesday 10:00


STEPS = [{"at": 1, "notify": ["assignees"]}, {"at": 2, "notify": ["pm"]},
         {"at": 3, "notify": ["lead", "assignees"]}]


@pytest.mark.parametrize(
    ("now", "steps"),
    [
        ((1, 15, 59), []),
        ((1, 16), []),                 # the breach: its alert mentions the assignees
        ((3, 13, 59), []),
        ((3, 14), [2]),                # 32 business hours: the PM
        ((5, 11), [2]),                # a weekend counts nothing
        ((7, 12), [2, 3]),             # 48 business hours: the account lead, the assignees
    ],
)
def test_escalation_steps(now: tuple[int, int], steps: list[int]) -> None:
    found = tiered(mk.at(*now), escalate=STEPS, notify=["alice"])
    escalated = sorted((f for f in found if f.cause == "escalated"),
                       key=lambda f: f.evidence["multiple"])
    assert [f.evidence["multiple"] for f in escalated] == steps
    assert all(f.team_only and f.comment and f.label is None for f in escalated)
    assert [f.notify for f in escalated] == [
        {2: ("pm",), 3: ("lead", "tom")}[step] for step in steps]
    breach = [f for f in found if f.cause == "awaiting_reply"]
    if now >= (1, 16):
        assert breach[0].notify == ("alice", "tom")


def test_each_step_has_its_own_fingerprint_that_stays() -> None:
    first = tiered(mk.at(3, 14), escalate=STEPS)
    later = tiered(mk.at(7, 12), escalate=STEPS)
    prints = {f.evidence.get("multiple"): f.fingerprint for f in later}
    assert {f.evidence.get("multiple"): f.fingerprint for f in first}.items() <= prints.items()
    assert len(set(prints.values())) == 3


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([{"at": 2, "notify": ["pm"]}, {"at": 1, "notify": ["x"]}], "must rise"),
        ([{"at": 2, "notify": ["pm"]}, {"at": 2, "notify": ["x"]}], "must rise"),
        ([{"at": 0, "notify": ["pm"]}], "greater than 0"),
        ([{"at": 2, "notify": []}], "at least 1 item"),
        ([{"at": 2, "mention": ["pm"]}], "Extra inputs are not permitted"),
    ],
)
def test_escalation_steps_are_checked(steps: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        options(escalate=steps)
