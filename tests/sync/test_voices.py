"""Every rule's alert, for each audience, language and markup, pinned by snapshots.

The client reads a public comment on its own issue: facts, and that the team has been
alerted. The team reads who asked, the SLA, who is assigned, what to do, the mentions
and how to acknowledge. Update the snapshots after an intended change with
``pytest --snapshot-update`` and read the diff (``__snapshots__/test_voices.ambr``).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from connectors.markers import Marker
from rules import cadence, follow_up, risk, schedule_slip, scope_creep, unanswered_feedback
from rules.base import Finding
from sync.render import Audience, Style, alert_body, resolved_body
from tests.rules.test_rule_messages import every_cause

pytest.importorskip("syrupy", reason="syrupy is a dev dependency (snapshot tests)")


def _findings() -> list[Finding]:
    """One finding per rule, cause and status, the feedback one with an assignee."""
    found: dict[tuple[str, str, Any], Finding] = {}
    for module in (scope_creep, schedule_slip, unanswered_feedback, risk, follow_up, cadence):
        for finding in every_cause(module):
            found.setdefault((finding.kind, finding.cause, finding.evidence.get("status")),
                             finding)
    feedback = found[("unanswered_feedback", "awaiting_reply", None)]
    found[("unanswered_feedback", "awaiting_reply", None)] = dataclasses.replace(
        feedback, evidence={**feedback.evidence, "assignees": ["Tom Team", "zoe"]})
    return [found[key] for key in sorted(found, key=str)]


FINDINGS = _findings()
CASES = [
    pytest.param(finding, audience, language, markup,
                 id=f"{finding.kind}-{finding.cause}-{finding.evidence.get('status') or '-'}"
                    f"-{audience}-{language}-{markup}")
    for finding in FINDINGS
    for audience in (("team",) if finding.team_only else ("client", "team"))
    for language in ("en", "zh-CN")
    for markup in ("markdown", "jira")
]
#: What a client must never read on its issue: instructions to the PM, internal SLA
#: wording, assignees, thresholds, rule names.
FOR_THE_TEAM_ONLY = [
    "Confirm", "move it", "move them", "请与客户确认", "移至后续", "agreed with the client",
    "与客户约定", "Assigned to", "负责人", "threshold", "阈值", "target", "目标", "rule ",
    "规则", "cc ", "抄送", "Acknowledge", "确认此提醒", "acknowledge",
]
CJK = "\u3400-\u9fff\uff00-\uffef\u3000-\u303f"


def render(finding: Finding, audience: Audience, language: str, markup: Any) -> str:
    style = Style(markup=markup, language=language, timezone="Asia/Shanghai",
                  audience=audience)
    return alert_body(
        kind=finding.kind, cause=finding.cause, rule_id=finding.rule_id,
        subject=finding.subject_key, severity=finding.severity, evidence=finding.evidence,
        marker=Marker(finding.fingerprint, "warning"), notify=["alice"], acked=False,
        style=style,
    )


@pytest.mark.parametrize(("finding", "audience", "language", "markup"), CASES)
def test_every_alert_in_every_voice(finding: Finding, audience: Audience, language: str,
                                    markup: Any, snapshot: Any) -> None:
    assert render(finding, audience, language, markup) == snapshot


@pytest.mark.parametrize(("finding", "audience", "language", "markup"), CASES)
def test_alerts_read_well(finding: Finding, audience: Audience, language: str,
                          markup: Any) -> None:
    body = render(finding, audience, language, markup)
    assert "(s)" not in body
    assert not re.search(r"\b\d+(\.\d+)?[wdhm]\b", body), body  # "1d", "16h": never
    assert "CST" not in body
    assert "—" not in body  # nothing empty is written out
    if language == "zh-CN":
        # Chinese punctuation between Chinese words: no ASCII comma, colon or semicolon.
        assert not re.search(f"[{CJK}]\\s*[,;:]|[,;:]\\s*[{CJK}]", body), body
    if audience == "client":
        assert not any(words in body for words in FOR_THE_TEAM_ONLY), body
        assert "@alice" not in body and "[~" not in body  # no mention
        assert "Carol" not in body  # nobody's name
        assert "Tom Team" not in body
    else:
        assert "@alice" in body or "[~accountid:alice]" in body


@pytest.mark.parametrize(
    ("audience", "language", "expected"),
    [
        ("client", "en", "The question asked on Mar 2, 2026, 08:00 (UTC+8) about “Issue 3” "
                         "is still waiting for a reply from the team."),
        ("team", "en", "Carol Client asked on Mar 2, 2026, 08:00 (UTC+8) about “Issue 3” and "
                       "is still waiting for a reply. The reply time agreed with the client is "
                       "16 working hours (1 working day and 7 working hours), so a reply is due "
                       "by"),
        ("team", "zh-CN", "与客户约定的响应时限为 16 个工作小时（1 个工作日零 7 个工作小时），"),
    ],
)
def test_the_feedback_alert_says_what_each_reader_needs(audience: Audience, language: str,
                                                        expected: str) -> None:
    finding = next(f for f in FINDINGS if f.cause == "awaiting_reply")
    assert expected in render(finding, audience, language, "markdown")


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ("client", "✅ **Resolved:** Answered.\n\n~~The question asked on Mar 2, 2026, 08:00 "
                   "(UTC+8) about “Issue 3” is still waiting for a reply from the team.~~\n\n"
                   "<sub>An automatic note from forewarn.</sub>\n"),
        ("team", "<sub>forewarn · rule r · Resolved</sub>\n"),
    ],
)
def test_a_resolved_alert_keeps_its_voice(audience: Audience, expected: str) -> None:
    finding = next(f for f in FINDINGS if f.cause == "awaiting_reply")
    body = resolved_body(
        kind=finding.kind, cause=finding.cause, rule_id=finding.rule_id,
        subject=finding.subject_key, evidence=finding.evidence,
        marker=Marker(finding.fingerprint, "critical"), resolution="Answered.",
        style=Style(timezone="Asia/Shanghai", audience=audience),
    )
    assert body.endswith(expected)
