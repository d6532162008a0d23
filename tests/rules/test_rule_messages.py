"""Every cause a rule emits has a message in every language, filled by its evidence alone."""

from __future__ import annotations

import dataclasses
import string
from datetime import date, timedelta
from types import ModuleType
from typing import Any

import pytest

from connectors.model import Comment, Issue
from rules import cadence, follow_up, risk, schedule_slip, scope_creep, unanswered_feedback
from rules.base import Finding, RuleContext
from tests.rules.conftest import Factory

mk = Factory()
LANGUAGES = {"en", "zh-CN"}


def every_cause(module: ModuleType, *, estimate: float | None = None) -> list[Finding]:
    """A project where the rule produces each of its causes at least once (each issue
    sized ``estimate``, when given)."""
    now = mk.at(14, 12)
    today = date(2026, 3, 16)
    issues = [
        mk.issue(1, created_at=mk.at(0), milestones=[1]),
        mk.issue(2, created_at=mk.at(5), milestones=[1], due_on=today - timedelta(days=2)),
        mk.issue(3, created_at=mk.at(0)),
        mk.issue(4, state="closed", closed_at=now - timedelta(days=3)),
    ]
    milestones = [mk.milestone(1, due_on=today + timedelta(days=1)),
                  mk.milestone(2, due_on=today - timedelta(days=1))]
    issues.append(mk.issue(5, milestones=[2]))
    if estimate is not None:
        issues = [dataclasses.replace(issue, estimate=estimate) for issue in issues]
    snap = mk.snapshot(
        issues=issues,
        milestones=milestones,
        changes=[mk.join(3, None, mk.at(2), before=1)],
        people=mk.people(carol="client", tom="team"),
    )
    ctx = mk.ctx(now, due_dates={mk.milestone_key(1): [(mk.at(-5), today)]})
    options: Any = module.Options(id="r", kind=module.KIND, **OPTIONS.get(module, {}))
    if module in EXTRA:
        snap, ctx = EXTRA[module](now)
    findings: list[Finding] = module.evaluate(snap, ctx, options)
    return findings


def _risky(now: Any) -> tuple[Any, RuleContext]:
    """A milestone with each kind of risk: linked and flagged blockers, a stall, and two
    unowned issues (one by priority, one by time)."""
    m = [1]
    issues: list[Issue] = [
        mk.issue(1, milestones=m, assignees=["tom"]),
        mk.issue(2, milestones=m, assignees=["tom"]),
        mk.issue(3, milestones=m, assignees=["tom"], created_at=mk.at(1)),
        mk.issue(4, milestones=m, labels=["p1"], created_at=mk.at(14)),
        mk.issue(5, milestones=m),
        mk.issue(6, milestones=m, assignees=["tom"]),
    ]
    issues[0] = dataclasses.replace(issues[0], blocked_by=(mk.issue_key(6),))
    issues[1] = dataclasses.replace(issues[1], flagged=True)
    snap = mk.snapshot(issues=issues, milestones=[mk.milestone(1)],
                       comments=[mk.comment("c1", 6, "tom", mk.at(13))],
                       people=mk.people(carol="client", tom="team"))
    return snap, mk.ctx(now)


def _quiet(now: Any) -> tuple[Any, RuleContext]:
    """A client's issue the team answered once, long ago; the status issue, silent."""
    comments: list[Comment] = [mk.comment("c1", 1, "tom", mk.at(0, 10))]
    snap = mk.snapshot(issues=[mk.issue(1, assignees=["tom"])], comments=comments,
                       people=mk.people(carol="client", tom="team"))
    return snap, dataclasses.replace(mk.ctx(now), status_issue=mk.issue_key(1))


OPTIONS: dict[ModuleType, dict[str, Any]] = {
    unanswered_feedback: {"escalate": [{"at": 1, "notify": ["assignees"]},
                                       {"at": 2, "notify": ["pm"]}]},
}
EXTRA = {risk: _risky, follow_up: _quiet, cadence: _quiet}


@pytest.mark.parametrize(
    ("module", "causes"),
    [
        (scope_creep, {"added", "descoped", "growth"}),
        (schedule_slip, {"schedule", "moved", "issue_overdue"}),
        (unanswered_feedback, {"awaiting_reply", "escalated"}),
        (risk, {"at_risk", "blocked", "stalled", "unowned"}),
        (follow_up, {"follow_up"}),
        (cadence, {"cadence"}),
    ],
)
def test_messages_cover_every_cause(module: ModuleType, causes: set[str]) -> None:
    """Each cause has a text for each audience and language, named values all in evidence."""
    findings = every_cause(module)
    if module is scope_creep:  # counted in points where issues carry estimates
        findings += every_cause(module, estimate=5.0)
    assert {f.cause for f in findings} == causes
    # A message key is a cause, or ``cause.status`` for a variant chosen by the
    # finding's ``status`` evidence (sync/render.py picks it).
    assert {key.split(".")[0] for key in module.MESSAGES} == causes
    variants = {f"{f.cause}.{f.evidence.get('status')}" for f in findings}
    assert {key for key in module.MESSAGES if "." in key} <= variants  # each variant is used
    for finding in findings:
        variant = f"{finding.cause}.{finding.evidence.get('status')}"
        entry = module.MESSAGES.get(variant) or module.MESSAGES[finding.cause]
        # A finding for the team alone has the team's text only: the client never reads it.
        assert (set(entry) == {"team"}) is finding.team_only, finding.cause
        voices = entry if set(entry) & {"client", "team"} else {"client": entry, "team": entry}
        for voice in voices.values():
            assert set(voice) == LANGUAGES
            for text in voice.values():
                for sentence in (text,) if isinstance(text, str) else text:
                    fields = {name for _, name, _, _ in string.Formatter().parse(sentence)
                              if name}
                    assert fields <= set(finding.evidence), (
                        finding.cause, fields - set(finding.evidence))
