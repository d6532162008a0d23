"""Findings kept from one evaluation to the next (rules/reuse.py): a daemon's next cycle
reuses a finding only when everything it was made from is equal, and the answer is
always the one a fresh evaluation gives.

T0 is Monday 2026-03-02 00:00 UTC; the default calendar is UTC Mon-Fri 09:00-18:00.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from connectors.model import Snapshot
from rules import follow_up, risk, unanswered_feedback
from rules.base import Finding, RuleContext
from sync.cache import merge
from tests.rules.conftest import Factory

mk = Factory()
PEOPLE = mk.people(carol="client", tom="team", ann="team")
FOLLOW_UP = follow_up.Options(id="follow-up", kind="follow_up")
RISK = risk.Options(id="risk", kind="risk", stalled_after=3, unowned_after=2,
                    in_progress_labels=["doing"])


def _project() -> Snapshot:
    """Carol opens #1-#3 on Monday; Tom answers each at 10:00 and goes quiet. #1-#3 are in
    milestone 1: #1 and #2 in progress with Tom, #3 nobody's."""
    issues = [mk.issue(n, author="carol", created_at=mk.at(0, 9), milestones=[1],
                       assignees=[] if n == 3 else ["tom"],
                       labels=() if n == 3 else ("doing",)) for n in (1, 2, 3)]
    comments = [mk.comment(f"c{n}", n, "tom", mk.at(0, 10)) for n in (1, 2, 3)]
    return mk.snapshot(issues=issues, milestones=[mk.milestone(1, due_on=mk.at(60).date())],
                       comments=comments, people=PEOPLE)


Evaluate = Callable[[Snapshot, RuleContext], Sequence[Finding]]
RULES: dict[str, Evaluate] = {
    "follow_up": lambda snap, ctx: follow_up.evaluate(snap, ctx, FOLLOW_UP),
    "risk": lambda snap, ctx: risk.evaluate(snap, ctx, RISK),
}


def _steps(evaluate: Evaluate, steps: list[tuple[Snapshot, datetime]]) -> list[list[Finding]]:
    """Each step evaluated with one context shared from step to step (a daemon), checked
    against a fresh evaluation of the same step."""
    derived: dict[str, Any] = {}
    results = []
    for snap, now in steps:
        kept = list(evaluate(snap, dataclasses.replace(mk.ctx(now), derived=derived)))
        assert kept == list(evaluate(snap, mk.ctx(now)))
        results.append(kept)
    return results


def _by_subject(findings: list[Finding]) -> dict[tuple[str, str], Finding]:
    return {(f.subject_key, f.cause): f for f in findings}


def test_an_hour_later_every_issue_finding_is_the_one_of_the_last_cycle() -> None:
    snap = _project()
    for name, evaluate in RULES.items():
        first, later = _steps(evaluate, [(snap, mk.at(3, 11)), (snap, mk.at(3, 12))])
        issues = [(a, b) for a, b in zip(first, later, strict=True) if a.subject_kind == "issue"]
        assert issues, name
        assert all(a is b for a, b in issues), name


def test_what_a_finding_is_made_from_changes_and_only_its_finding_is_made_again() -> None:
    snap = _project()
    renamed = dataclasses.replace(
        snap, issues=(dataclasses.replace(snap.issues[0], title="Login fails on Safari"),
                      *snap.issues[1:]))
    steps = [(snap, mk.at(3, 11)), (renamed, mk.at(3, 12))]
    for name, evaluate in RULES.items():
        before, after = (_by_subject(found) for found in _steps(evaluate, steps))
        assert before.keys() == after.keys(), name
        for (key, cause), finding in after.items():
            if key == mk.issue_key(1):
                assert finding.evidence["title"] == "Login fails on Safari", name
            elif finding.subject_kind == "issue":
                assert finding is before[(key, cause)], name


def test_a_new_working_day_or_a_renamed_person_makes_new_evidence() -> None:
    snap = _project()
    tom_renamed = dataclasses.replace(snap, people={
        **PEOPLE, "tom": dataclasses.replace(PEOPLE["tom"], name="Thomas")})
    (first, next_day, renamed) = _steps(RULES["follow_up"], [
        (snap, mk.at(3, 11)), (snap, mk.at(4, 11)), (tom_renamed, mk.at(4, 12))])
    assert {f.evidence["idle_days"] for f in first} == {3}
    assert {f.evidence["idle_days"] for f in next_day} == {4}
    assert {f.evidence["replied_by"] for f in renamed} == {"Thomas"}
    (stalled_first, stalled_next) = _steps(RULES["risk"], [(snap, mk.at(3, 11)),
                                                           (snap, mk.at(4, 11))])
    assert [f.evidence["idle_days"] for f in stalled_first if f.cause == "stalled"] == [3, 3]
    assert [f.evidence["idle_days"] for f in stalled_next if f.cause == "stalled"] == [4, 4]


def test_a_daemons_cycles_find_what_a_fresh_evaluation_finds_as_the_project_moves() -> None:
    # Each cycle merges a delta into the cached tuples as sync/cache.py does, and the
    # clock moves; the rules keep what they read per issue (rules/reuse.py, follow_up's
    # owed updates) and work again only on what was touched or whose day came. Every
    # cycle must find exactly what a fresh evaluation finds.
    feedback = unanswered_feedback.Options(id="feedback", kind="unanswered_feedback",
                                           sla="8h")
    rules: dict[str, Evaluate] = {
        **RULES, "unanswered_feedback": lambda snap, ctx: (
            unanswered_feedback.evaluate(snap, ctx, feedback))}
    people = {**PEOPLE, **mk.people(ann="client")}
    issues = [mk.issue(n, author="carol" if n % 3 else "ann", created_at=mk.at(0, 9),
                       milestones=[1 + n % 2], assignees=["tom"] if n % 4 else [],
                       labels=("doing",) if n % 2 else ()) for n in range(1, 25)]
    comments = [mk.comment(f"c{n}", n, "tom" if n % 5 else "carol", mk.at(0, 10))
                for n in range(1, 25)]
    snap = mk.snapshot(issues=issues, comments=comments, people=people,
                       milestones=[mk.milestone(1, due_on=mk.at(60).date()),
                                   mk.milestone(2, due_on=mk.at(60).date())],
                       changes=[mk.join(n, 1 + n % 2, mk.at(0, 9)) for n in range(1, 25)])
    deltas = [
        mk.snapshot(),  # nothing changed
        mk.snapshot(comments=[mk.comment("n1", 3, "carol", mk.at(3, 12)),
                              mk.comment("n2", 4, "tom", mk.at(3, 12))]),
        mk.snapshot(changes=[mk.label(6, mk.at(3, 13), added="waiting-on-client")],
                    issues=[dataclasses.replace(issues[5], labels=("waiting-on-client",))]),
        mk.snapshot(changes=[mk.label(6, mk.at(4, 10), removed="waiting-on-client"),
                             mk.join(8, 2, mk.at(4, 10), before=1)],
                    issues=[dataclasses.replace(issues[5], labels=()),
                            dataclasses.replace(issues[7], milestone_keys=(
                                mk.milestone_key(2),))]),
        mk.snapshot(issues=[dataclasses.replace(issues[9], state="closed")]),
        mk.snapshot(),
    ]
    derived: dict[str, Any] = {}
    now = mk.at(3, 11)
    for step, delta in enumerate(deltas):
        snap = merge(snap, dataclasses.replace(delta, people=people))
        # The same hour, later that day, the next day: then the next step's time, earlier
        # than that (a clock set back must not keep a day that has not come).
        for hours in (0, 4, 30):
            at = now + timedelta(hours=hours + 24 * step)
            shared = dataclasses.replace(mk.ctx(at), derived=derived)
            for name, evaluate in rules.items():
                assert list(evaluate(snap, shared)) == list(evaluate(snap, mk.ctx(at))), (
                    name, step, hours)
