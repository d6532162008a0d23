"""The team digest's text (sync/digest.py): team voice, both languages, both markups."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.markers import Marker
from connectors.model import Issue
from rules import unanswered_feedback
from rules.base import Finding, Severity
from sync import digest
from sync.render import Style
from sync.store.state import FindingRecord

NOW = datetime(2026, 7, 29, 15, 0, tzinfo=UTC)
ASKED = datetime(2026, 7, 27, 9, 0, tzinfo=UTC)
OPTIONS = unanswered_feedback.Options(id="feedback", kind="unanswered_feedback", label=None)


def waiting(number: int, severity: Severity, *, acked: bool = False) -> Finding:
    issue = Issue(key=f"BILL-{number}", title=f"Question {number} @all [x]", url="",
                  state="open", created_at=ASKED, author="ana")
    finding = OPTIONS.finding(issue, "awaiting_reply", severity=severity, evidence={
        "title": issue.title, "asked_at": ASKED, "client": "Ana", "sla_hours": 16.0,
        "day_hours": 8.0,
        "deadline": datetime(2026, 7, 28, 16, 0, tzinfo=UTC), "assignees": []})
    return Finding(**{**{f: getattr(finding, f) for f in finding.__slots__}, "acked": acked})


def issues(*numbers: int) -> dict[str, Issue]:
    return {f"BILL-{n}": Issue(key=f"BILL-{n}", title="", state="open", created_at=ASKED,
                               author="ana", url=f"https://acme.atlassian.net/browse/BILL-{n}")
            for n in numbers}


def records(*findings: Finding, backfilled: bool = False) -> dict[str, FindingRecord]:
    return {f.fingerprint: FindingRecord(
        fingerprint=f.fingerprint, rule_id=f.rule_id, kind=f.kind, cause=f.cause,
        subject_key=f.subject_key, severity=int(f.severity), evidence=dict(f.evidence),
        first_seen=NOW, backfilled=int(f.severity) if backfilled else 0) for f in findings}


def body(findings: list[Finding], style: Style, *, backfill: bool = False) -> str:
    return digest.digest_body(project="billing", findings=findings,
                              records=records(*findings, backfilled=backfill),
                              issues=issues(2, 3), style=style,
                              marker=digest.marker_for("billing", backfill=backfill),
                              notify=["712020:pm"], backfill=backfill)


def test_jira_digest_in_english() -> None:
    found = [waiting(3, Severity.WARNING, acked=True), waiting(2, Severity.CRITICAL)]
    assert body(found, Style(markup="jira")) == (
        "{anchor:forewarn-digest.billing@info}\n"
        "h3. forewarn: open findings in billing\n\n"
        "Open: 2, most severe first. This comment is edited as they change (an edit notifies "
        "nobody); none is written on the client's issues.\n\n"
        "cc [~accountid:712020:pm]\n\n"
        "* (x) [BILL\\-2|https://acme.atlassian.net/browse/BILL-2]: Ana asked on Jul 27, 2026, "
        "09:00 (UTC) about “Question 2 @\u200ball \\[x\\]” and is still waiting for a reply. The "
        "reply time agreed with the client is 16 working hours (2 working days), so a reply is "
        "due by Jul 28, 2026, 16:00 (UTC). _(since Jul 29, 2026, 15:00 (UTC))_\n"
        "* (!) [BILL\\-3|https://acme.atlassian.net/browse/BILL-3]: Ana asked on Jul 27, 2026, "
        "09:00 (UTC) about “Question 3 @\u200ball \\[x\\]” and is still waiting for a reply. The "
        "reply time agreed with the client is 16 working hours (2 working days), so a reply is "
        "due by Jul 28, 2026, 16:00 (UTC). _(since Jul 29, 2026, 15:00 (UTC) · acknowledged)_\n\n"
        "{color:#707070}forewarn · team digest{color}\n")


def test_markdown_backfill_digest_in_chinese() -> None:
    text = body([waiting(2, Severity.CRITICAL)], Style(language="zh-CN", timezone="Asia/Shanghai"),
                backfill=True)
    assert text.splitlines()[:5] == [
        "<!-- forewarn:backfill.billing:info -->",
        "### forewarn：开始关注 billing 时已存在的问题",
        "",
        "forewarn 首次检查时（2026年7月29日 23:00 UTC+8）这些问题已经存在：每个事项都已加上标签，"
        "但没有单独发表评论。之后出现或加重的问题会单独提醒。",
        "",
    ]
    assert "抄送 @712020:pm" in text
    assert "- 🚨 [BILL\\-2](https://acme.atlassian.net/browse/BILL-2): " in text
    assert "<sub>(自 2026年7月29日 23:00 UTC+8 起)</sub>" in text
    assert text.endswith("<sub>forewarn · 团队摘要</sub>\n")


@pytest.mark.parametrize(
    ("backfill", "language", "expected"),
    [
        (False, "en", "Nothing open in billing."),
        (True, "en", "Everything forewarn found already there when it first looked is "
                     "resolved."),
        (False, "zh-CN", "billing 中没有未解决的问题。"),
        (True, "zh-CN", "forewarn 首次检查时已存在的问题均已解决。"),
    ],
)
def test_an_empty_digest_says_so_and_mentions_nobody(backfill: bool, language: str,
                                                     expected: str) -> None:
    text = body([], Style(language=language), backfill=backfill)
    assert expected in text
    assert "@712020" not in text


def test_a_digest_too_long_for_a_comment_says_how_many_more() -> None:
    many = [waiting(n, Severity.CRITICAL) for n in range(1, 400)]
    text = body(many, Style(markup="jira"))
    assert len(text) < 32_767  # Jira Cloud's limit for a comment
    shown = text.count("\n* (x) ")
    assert 80 < shown < 399
    assert f"… and {399 - shown} more, each labelled on its issue." in text


def test_the_marker_names_the_project() -> None:
    assert digest.marker_for("billing", backfill=False) == Marker("digest.billing")
    assert str(digest.marker_for("billing", backfill=True)) == "backfill.billing:info"
