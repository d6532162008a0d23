from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from connectors.model import Change, Issue, Milestone, Snapshot
from rules import scope_creep
from rules.base import Finding, Severity, make_fingerprint
from tests.rules.conftest import Factory, reversed_snapshot

mk = Factory()
M1 = mk.milestone_key(1)
M2 = mk.milestone_key(2)
B = mk.at(1)  # milestone 1 is created at T0; the default grace is 1 day


def options(**overrides: Any) -> scope_creep.Options:
    return scope_creep.Options(id="scope", kind="scope_creep", **overrides)


def evaluate(snapshot: Snapshot, **overrides: Any) -> list[Finding]:
    return scope_creep.evaluate(snapshot, mk.ctx(mk.at(30)), options(**overrides))


def snapshot(issues: Sequence[Issue], changes: Sequence[Change] = (),
             milestones: Sequence[Milestone] | None = None) -> Snapshot:
    return mk.snapshot(issues=issues, changes=changes,
                       milestones=milestones if milestones is not None else [mk.milestone(1)])


def baseline(count: int, first: int = 100) -> list[Issue]:
    return [mk.issue(first + n, created_at=mk.at(0), milestones=[1]) for n in range(count)]


# One issue (#1): created on day `created`, currently in milestone 1 or not,
# with (day, before, after) milestone changes; the issue finding expected.
@pytest.mark.parametrize(
    ("created", "member", "moves", "expected"),
    [
        (0, True, [], None),                                   # there from the start
        (1, True, [], None),                                   # created exactly at B: baseline
        (1 + 1 / 86400, True, [], "added"),                    # one second after B
        (3, True, [], "added"),
        (0, True, [(0.5, None, 1)], None),                     # joined before B
        (0, True, [(1, None, 1)], None),                       # joined exactly at B
        (0, True, [(1.5, None, 1)], "added"),                  # joined after B
        (0, True, [(0.5, None, 1), (1.5, 1, None), (2, None, 1)], "added"),  # re-added
        (0, True, [(2, 1, None), (0.5, None, 1), (1.5, None, 1)], "added"),  # any order
        (0, True, [(3, 1, None)], None),                       # stale history: member now
        (0, False, [(2, 1, None)], "descoped"),                # in at B, removed after
        (0, False, [(0.5, 1, None)], None),                    # removed before B
        (0, False, [(0.5, None, 1), (2, 1, None)], "descoped"),
        (0, False, [(0.5, None, 1), (2, 1, 2)], "descoped"),   # moved to another milestone
        (0, False, [(1.5, None, 1), (2, 1, None)], None),      # joined and left after B
        (0, False, [(0.5, 1, None), (1.5, None, 1), (2, 1, None)], None),
        (2, False, [(3, 1, None)], None),                      # did not exist at B
        (0, False, [], None),
    ],
)
def test_issue_findings(created: float, member: bool, moves: list[tuple[float, int | None,
                        int | None]], expected: str | None) -> None:
    issue = mk.issue(1, created_at=mk.at(created), milestones=[1] if member else [])
    changes = [mk.join(1, after, mk.at(day), before=before) for day, before, after in moves]
    causes = [f.cause for f in evaluate(snapshot([issue], changes)) if f.subject_kind == "issue"]
    assert causes == ([expected] if expected else [])


def test_added_finding() -> None:
    issue = mk.issue(7, created_at=mk.at(0), milestones=[1], title="Export to PDF")
    findings = evaluate(snapshot([issue, *baseline(20)], [mk.join(7, 1, mk.at(2, 10))]))
    assert findings == [
        Finding(
            rule_id="scope",
            kind="scope_creep",
            cause="added",
            subject_kind="issue",
            subject_key="acme/portal#7",
            severity=Severity.WARNING,
            fingerprint=make_fingerprint("scope", "added", "acme/portal#7", M1),
            evidence={
                "milestone": M1,
                "milestone_title": "Milestone 1",
                "joined_at": mk.at(2, 10),
                "baseline_at": B,
                "title": "Export to PDF",
            },
            label="scope-creep",
            comment=True,
            acked=False,
            notify=(),
        )
    ]


def test_descoped_finding() -> None:
    gone = mk.issue(7, created_at=mk.at(0), title="Legacy import")
    findings = evaluate(snapshot([gone, *baseline(20)], [mk.join(7, None, mk.at(3), before=1)]))
    assert findings == [
        Finding(
            rule_id="scope",
            kind="scope_creep",
            cause="descoped",
            subject_kind="issue",
            subject_key="acme/portal#7",
            severity=Severity.INFO,
            fingerprint=make_fingerprint("scope", "descoped", "acme/portal#7", M1),
            evidence={
                "milestone": M1,
                "milestone_title": "Milestone 1",
                "left_at": mk.at(3),
                "baseline_at": B,
                "title": "Legacy import",
            },
            label=None,
            comment=False,
        )
    ]


# baseline members, added, approved additions, descoped, threshold -> growth evidence
@pytest.mark.parametrize(
    ("members", "added", "approved", "descoped", "threshold", "growth"),
    [
        (10, 1, 0, 0, "10%", 0.1),                 # exactly the threshold fires
        (11, 1, 0, 0, "10%", None),
        (10, 0, 0, 0, "10%", None),
        (10, 0, 3, 0, "10%", None),                # approved changes are not creep
        (10, 1, 3, 0, "10%", 0.1),
        (9, 1, 0, 1, "10%", 0.1),                  # descoped issues were in the baseline
        (4, 1, 0, 0, "25%", 0.25),
        (4, 1, 0, 0, 0.3, None),
        (0, 1, 0, 0, "10%", math.inf),             # empty baseline: infinite growth
        (0, 0, 2, 0, "10%", None),
        (3, 2, 0, 0, "0%", 2 / 3),
    ],
)
def test_growth(members: int, added: int, approved: int, descoped: int, threshold: Any,
                growth: float | None) -> None:
    issues = baseline(members)
    issues += [mk.issue(200 + n, created_at=mk.at(5), milestones=[1]) for n in range(added)]
    issues += [mk.issue(300 + n, created_at=mk.at(5), milestones=[1], labels=["Change-Approved"])
               for n in range(approved)]
    issues += [mk.issue(400 + n, created_at=mk.at(0)) for n in range(descoped)]
    changes = [mk.join(400 + n, None, mk.at(4), before=1) for n in range(descoped)]
    findings = [f for f in evaluate(snapshot(issues, changes), threshold=threshold)
                if f.cause == "growth"]
    if growth is None:
        assert findings == []
        return
    (finding,) = findings
    assert (finding.subject_kind, finding.subject_key, finding.severity, finding.label,
            finding.comment) == ("milestone", M1, Severity.WARNING, None, True)
    assert finding.fingerprint == make_fingerprint("scope", "growth", M1)
    assert finding.evidence == {
        "milestone_title": "Milestone 1",
        "baseline_at": B,
        "baseline_count": members + descoped,
        "added_count": added,
        "approved_count": approved,
        "descoped_count": descoped,
        "growth": growth,
        "threshold": scope_creep.Options.model_validate(
            {"id": "x", "kind": "scope_creep", "threshold": threshold}).threshold,
        "added": sorted(mk.issue_key(200 + n) for n in range(added)),
    }


def test_added_list_is_sorted_and_counts_closed_issues() -> None:
    issues = [*baseline(1),
              mk.issue(12, created_at=mk.at(5), milestones=[1]),
              mk.issue(3, created_at=mk.at(5), milestones=[1], state="closed",
                       closed_at=mk.at(6))]
    (growth,) = [f for f in evaluate(snapshot(issues)) if f.cause == "growth"]
    assert growth.evidence["added"] == ["acme/portal#12", "acme/portal#3"]
    assert growth.evidence["growth"] == 2.0


@pytest.mark.parametrize(
    ("milestone", "created", "expected"),
    [
        (mk.milestone(1, start_on=mk.at(3)), 2, None),           # start_on wins over created_at
        (mk.milestone(1, start_on=mk.at(3)), 4, None),           # B = start + grace = day 4
        (mk.milestone(1, start_on=mk.at(3)), 4.5, "added"),
        (mk.milestone(1, created_at=None, start_on=None), 5, None),  # no baseline: skipped
        (mk.milestone(1, state="closed"), 5, None),              # closed milestones: skipped
        (mk.milestone(1), 5, "added"),
    ],
)
def test_baseline_time(milestone: Milestone, created: float, expected: str | None) -> None:
    issue = mk.issue(1, created_at=mk.at(created), milestones=[1])
    findings = evaluate(snapshot([issue, *baseline(20)], milestones=[milestone]))
    assert [f.cause for f in findings] == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("grace", "created", "expected"),
    [
        ("0h", 0 + 1 / 86400, "added"),
        ("2d", 1.5, None),
        ("2d", 2, None),
        ("2d", 2.5, "added"),
    ],
)
def test_grace(grace: str, created: float, expected: str | None) -> None:
    issue = mk.issue(1, created_at=mk.at(created), milestones=[1])
    findings = evaluate(snapshot([issue, *baseline(20)]), grace=grace)
    assert [f.cause for f in findings] == ([expected] if expected else [])


def test_moved_between_milestones() -> None:
    milestones = [mk.milestone(1), mk.milestone(2)]
    moved = mk.issue(1, created_at=mk.at(0), milestones=[2])
    issues = [moved, *baseline(20), *[mk.issue(50 + n, milestones=[2]) for n in range(20)]]
    findings = evaluate(snapshot(issues, [mk.join(1, 2, mk.at(3), before=1)], milestones))
    assert [(f.cause, f.subject_key, f.evidence["milestone"]) for f in findings
            if f.subject_kind == "issue"] == sorted(
        [("descoped", "acme/portal#1", M1), ("added", "acme/portal#1", M2)],
        key=lambda row: make_fingerprint("scope", row[0], row[1], row[2]),
    )


@pytest.mark.parametrize(
    ("labels", "overrides", "expected"),
    [
        ((), {}, ["added", "growth"]),
        (("change-approved",), {}, []),
        (("signed-off",), {"approved_labels": "signed-off"}, []),
        (("chore",), {"exempt_labels": ["chore"]}, []),
        ((), {"only_labels": ["feature"]}, []),            # nothing in scope at all
        (("feature",), {"only_labels": ["feature"]}, ["added", "growth"]),  # baseline of 0
        ((), {"enabled": False}, []),
        ((), {"projects": ["billing"]}, []),
        ((), {"projects": ["portal"]}, ["added", "growth"]),
    ],
)
def test_controls(labels: tuple[str, ...], overrides: dict[str, Any],
                  expected: list[str]) -> None:
    issues = [*baseline(5), mk.issue(1, created_at=mk.at(5), milestones=[1], labels=labels)]
    findings = evaluate(snapshot(issues), **overrides)
    assert sorted(f.cause for f in findings) == expected


def test_only_labels_growth_counts_only_scoped_issues() -> None:
    issues = [*baseline(5),
              mk.issue(1, created_at=mk.at(0), milestones=[1], labels=["feature"]),
              mk.issue(2, created_at=mk.at(5), milestones=[1], labels=["feature"])]
    (growth,) = [f for f in evaluate(snapshot(issues), only_labels="feature")
                 if f.cause == "growth"]
    assert (growth.evidence["baseline_count"], growth.evidence["added_count"]) == (1, 1)


def test_ack_label_marks_the_issue_finding() -> None:
    issues = [*baseline(20), mk.issue(1, created_at=mk.at(5), milestones=[1],
                                      labels=["Forewarn-Ack"])]
    (finding,) = evaluate(snapshot(issues))
    assert (finding.cause, finding.acked) == ("added", True)


def test_custom_label_and_notify() -> None:
    issues = [*baseline(20), mk.issue(1, created_at=mk.at(5), milestones=[1])]
    (finding,) = evaluate(snapshot(issues), label="creep", notify=["pm"])
    assert (finding.label, finding.notify) == ("creep", ("pm",))


def test_order_independent_and_repeatable() -> None:
    milestones = [mk.milestone(1), mk.milestone(2, created_at=mk.at(2))]
    issues = [mk.issue(i, created_at=mk.at(i % 7), milestones=[1 + i % 2]) for i in range(12)]
    issues.append(mk.issue(20, created_at=mk.at(0)))
    changes = [mk.join(i, 1 + i % 2, mk.at(i % 5 + 0.5)) for i in range(0, 12, 3)]
    changes.append(mk.join(20, None, mk.at(4), before=1))
    snap = snapshot(issues, changes, milestones)
    first = evaluate(snap)
    assert first == evaluate(snap)
    assert first == evaluate(reversed_snapshot(snap))
    assert [f.fingerprint for f in first] == sorted(f.fingerprint for f in first)
    assert {f.cause for f in first} == {"added", "descoped", "growth"}
    assert {f.subject_key for f in first if f.cause == "growth"} == {M1, M2}


def test_grace_default_is_one_day() -> None:
    assert options().grace == timedelta(days=1)
    assert options().threshold == 0.1
    assert options().label == "scope-creep"


# -- points: growth weighs each issue by its estimate where issues carry one ---------------


def sized(number: int, estimate: float | None, *, added: bool = False) -> Issue:
    """An issue in milestone 1: there from the start, or created after its baseline."""
    issue = mk.issue(number, created_at=mk.at(3 if added else 0), milestones=[1])
    return dataclasses.replace(issue, estimate=estimate)


def growth_of(issues: Sequence[Issue]) -> dict[str, Any] | None:
    found = [f for f in evaluate(snapshot(issues)) if f.cause == "growth"]
    return found[0].evidence if found else None


# (baseline estimates, added estimates) -> growth, unit, points added / baseline, unestimated
@pytest.mark.parametrize(
    ("planned", "added", "growth", "points"),
    [
        ([5, 5, 5, 5], [13], 0.65, (13, 20, 0)),           # 13 points on 20: 65%, not 1 in 4
        ([5, 5, 5, 5], [1], None, None),                    # 1 point on 20: 5%, under 10%
        ([8, 8, 4], [None], 6.67 / 20, (6.67, 20, 1)),      # unestimated: the average (6.67)
        ([None, None], [None], 0.5, None),                  # no estimate anywhere: issues
        ([0, 0], [3], math.inf, (3, 0, 0)),                 # a 0-point baseline is empty
    ],
)
def test_growth_in_points(planned: list[float | None], added: list[float | None],
                          growth: float | None, points: tuple[float, float, int] | None) -> None:
    issues = [sized(100 + n, e) for n, e in enumerate(planned)]
    issues += [sized(200 + n, e, added=True) for n, e in enumerate(added)]
    evidence = growth_of(issues)
    if growth is None:
        assert evidence is None
        return
    assert evidence is not None
    assert evidence["growth"] == pytest.approx(growth, rel=1e-3)
    if points is None:
        assert "added_points" not in evidence and "status" not in evidence
    else:
        assert evidence["status"] == "points"
        assert (evidence["added_points"], evidence["baseline_points"],
                evidence["unestimated_count"]) == points


def test_a_13_point_addition_outweighs_a_1_point_one() -> None:
    planned = [sized(100 + n, 5) for n in range(4)]
    big = growth_of([*planned, sized(1, 13, added=True)])
    small = growth_of([*planned, sized(1, 1, added=True), sized(2, 1, added=True)])
    assert big is not None and big["growth"] == pytest.approx(0.65)
    assert small is not None and small["growth"] == pytest.approx(0.1)  # two issues, 2 points


def test_an_estimated_addition_names_its_size() -> None:
    findings = evaluate(snapshot([*(sized(100 + n, 3) for n in range(10)),
                                  sized(7, 13, added=True)]))
    added = next(f for f in findings if f.cause == "added")
    assert (added.evidence["status"], added.evidence["estimate"]) == ("points", 13)
