"""Run the real sync cycle until it is quiet, then check what a person would see.

``check`` is the promise the issue asks to prove after faults clear: every
finding that deserves a comment has exactly one, no marker appears on two of
forewarn's comments, each issue carries exactly the labels of its live findings
plus the labels people put there, and nothing a person wrote changed. It reads
a ``View`` of the tracker, taken from a World (tests/fakes/: the GitHub and Jira
fakes) or from a local tracker file.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path

from connectors.base import Connector, DictMemo
from connectors.markers import find_marker
from rules import registry
from rules.base import Finding, Severity
from rules.calendar import BusinessCalendar
from sync.cycle import CycleReport, ProjectRuntime, run_cycle
from sync.reconcile import marker_for
from sync.render import Style
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.fakes.world import CLIENT, World

#: Business time = real time: the scenario's ages read directly as SLA hours.
ALWAYS_OPEN = BusinessCalendar(workdays=range(7), start=time(0), end=time(0))
RULES = (
    {"id": "scope", "kind": "scope_creep", "label": "scope-creep"},
    {"id": "feedback", "kind": "unanswered_feedback", "sla": "16h", "label": "awaiting-reply"},
)


def examples(default: int) -> int:
    """hypothesis examples per test: small by default (a fast suite), more for a hunt with
    ``FOREWARN_HYPOTHESIS_EXAMPLES=500``."""
    return int(os.environ.get("FOREWARN_HYPOTHESIS_EXAMPLES") or default)


def runtime(connector: Connector, *, name: str, status_issue: str, memo: DictMemo,
            budget: int = 50) -> ProjectRuntime:
    rules = []
    for entry in RULES:
        rule = registry.get(str(entry["kind"]))
        rules.append((rule, rule.Options.model_validate(entry)))
    return ProjectRuntime(
        name=name, connector=connector, rules=rules, calendar=ALWAYS_OPEN,
        style=Style(markup=connector.markup, timezone="UTC"), memo=memo,
        status_issue=status_issue, clients=[CLIENT], write_budget=budget,
    )


def run_until_quiet(rt: ProjectRuntime, store: StateStore, clock: Clock, *,
                    limit: int = 10) -> list[CycleReport]:
    """Cycles 15 minutes apart until one succeeds and has nothing left to write."""
    reports = []
    for _ in range(limit):
        report = run_cycle(rt, store, clock=clock)
        reports.append(report)
        clock.advance(minutes=15)
        if report.ok and not report.plan.writes and report.first_sync is None:
            return reports
    msg = f"still writing after {limit} cycles: {[r.errors for r in reports]}"
    raise AssertionError(msg)


@dataclass(frozen=True)
class View:
    """A tracker as a person sees it; keys are the tracker's issue keys."""

    #: (issue key, body) of every comment of forewarn's
    ours: list[tuple[str, str]]
    #: issue key -> its labels, case-folded
    labels: dict[str, set[str]]
    #: comment id -> (issue key, author, body) of everyone else's comments
    comments: dict[str, tuple[str, str, str]]
    titles: dict[str, str]


def world_view(world: World, key: Callable[[int], str]) -> View:
    return View(
        ours=[(key(c.number), c.body) for c in world.ours()],
        labels={key(n): {name.casefold() for name in i.labels} for n, i in world.issues.items()},
        comments={str(c.id): (key(c.number), c.author, c.body) for c in world.comments.values()
                  if c.author != world.me},
        titles={key(n): i.title for n, i in world.issues.items()},
    )


def person_labels(world: World, key: Callable[[int], str]) -> set[tuple[str, str]]:
    """Labels people put on issues and that are still there."""
    return {(key(e.number), e.after.casefold()) for e in world.events
            if e.field == "label" and e.actor != world.me and e.after
            and e.after.casefold() in {n.casefold() for n in world.issues[e.number].labels}}


def local_view(path: Path) -> View:
    data = json.loads(path.read_text(encoding="utf-8"))
    me = data.get("me", "forewarn")
    return View(
        ours=[(c["issue_key"], c["body"]) for c in data["comments"] if c["author"] == me],
        labels={i["key"]: {name.casefold() for name in i["labels"]} for i in data["issues"]},
        comments={c["id"]: (c["issue_key"], c["author"], c["body"]) for c in data["comments"]
                  if c["author"] != me},
        titles={i["key"]: i["title"] for i in data["issues"]},
    )


def live(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity > Severity.INFO]


def check(view: View, findings: Sequence[Finding], *, before: View,
          person_labels: set[tuple[str, str]], status_issue: str) -> None:
    """The promises, on the tracker as it stands against ``before`` (what people wrote)."""
    markers = Counter(find_marker(body) for _, body in view.ours)
    assert None not in markers, "a comment of forewarn's without its marker"
    assert all(n == 1 for n in markers.values()), f"a marker on two comments: {markers}"
    for finding in live(findings):
        target = finding.subject_key if finding.subject_kind == "issue" else status_issue
        marker = str(marker_for(finding))
        # A finding for the team alone is not commented where the client reads (the demo).
        if finding.comment and not finding.acked and not finding.team_only:
            where = [key for key, body in view.ours if find_marker(body) == marker]
            assert where == [target], (finding, where)
    wanted: dict[str, set[str]] = {key: set() for key in view.labels}
    for finding in live(findings):
        if finding.label and finding.subject_kind == "issue":
            wanted[finding.subject_key].add(finding.label.casefold())
    for key, label in person_labels:
        wanted[key].add(label)
    assert view.labels == wanted
    assert view.titles == before.titles
    assert {k: v for k, v in view.comments.items() if k in before.comments} == before.comments


def check_resolved(view: View, resolved: Callable[[str], bool] | None = None) -> None:
    """After findings went away, each of their alerts says it is resolved."""
    for key, body in view.ours:
        if resolved is None or resolved(key):
            assert "Resolved" in body, body
