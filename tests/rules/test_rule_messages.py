"""Every cause a rule emits has a message in every language, filled by its evidence alone."""

from __future__ import annotations

import string
from datetime import date, timedelta
from types import ModuleType
from typing import Any

import pytest

from rules import schedule_slip, scope_creep, unanswered_feedback
from rules.base import Finding
from tests.rules.conftest import Factory

mk = Factory()
LANGUAGES = {"en", "zh-CN"}


def every_cause(module: ModuleType) -> list[Finding]:
    """A project where the rule produces each of its causes at least once."""
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
    snap = mk.snapshot(
        issues=issues,
        milestones=milestones,
        changes=[mk.join(3, None, mk.at(2), before=1)],
        people=mk.people(carol="client", tom="team"),
    )
    ctx = mk.ctx(now, due_dates={mk.milestone_key(1): [(mk.at(-5), today)]})
    options: Any = module.Options(id="r", kind=module.KIND)
    findings: list[Finding] = module.evaluate(snap, ctx, options)
    return findings


@pytest.mark.parametrize(
    ("module", "causes"),
    [
        (scope_creep, {"added", "descoped", "growth"}),
        (schedule_slip, {"schedule", "moved", "issue_overdue"}),
        (unanswered_feedback, {"awaiting_reply"}),
    ],
)
def test_messages_cover_every_cause(module: ModuleType, causes: set[str]) -> None:
    """Each cause has a text for each audience and language, named values all in evidence."""
    findings = every_cause(module)
    assert {f.cause for f in findings} == causes
    # A message key is a cause, or ``cause.status`` for a variant chosen by the
    # finding's ``status`` evidence (sync/render.py picks it).
    assert {key.split(".")[0] for key in module.MESSAGES} == causes
    for finding in findings:
        variant = f"{finding.cause}.{finding.evidence.get('status')}"
        entry = module.MESSAGES.get(variant) or module.MESSAGES[finding.cause]
        voices = entry if set(entry) == {"client", "team"} else {"client": entry, "team": entry}
        for voice in voices.values():
            assert set(voice) == LANGUAGES
            for text in voice.values():
                for sentence in (text,) if isinstance(text, str) else text:
                    fields = {name for _, name, _, _ in string.Formatter().parse(sentence)
                              if name}
                    assert fields <= set(finding.evidence), (
                        finding.cause, fields - set(finding.evidence))
