"""Notification bodies: Markdown (Apprise turns it into HTML for e-mail, and into what each
chat service shows), in the project's language and the channel's audience.

A finding reads as the rule's own message in the channel's voice
(``sync.render.headline`` with ``Style(audience=...)``); everything from the
tracker is escaped there. Subjects are built from the project's name, the rule
id and the severity only: no tracker text reaches a mail header.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rules.base import Finding, Severity
from rules.reminders import Due
from sync.notify.text import text
from sync.render import Style, fill, headline

#: At most this many items in one section of a digest or one folded alert message.
SECTION_ITEMS = 30
_ICON = {Severity.INFO: "ℹ️", Severity.WARNING: "⚠️", Severity.CRITICAL: "🚨"}


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class DigestSections:
    """A digest's lines, each already rendered (Markdown, escaped)."""

    breached: Sequence[str] = ()
    today: Sequence[str] = ()
    at_risk: Sequence[str] = ()
    resolved: Sequence[str] = ()


def _plain(template: str, **values: Any) -> str:
    """A text whose values are forewarn's own (project name, rule id, counts): not escaped."""
    return template.format(**values)


def link(key: str, url: str | None, style: Style) -> str:
    """``[Open acme/portal#7](https://…)``; nothing when the tracker gave no web address."""
    if not url or not url.startswith(("https://", "http://")):
        return ""
    target = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    label = fill(text(style.language, "open"), {"key": key}, style)
    return f"[{label}]({target})"


def finding_line(finding: Finding, style: Style, url: str | None = None) -> str:
    """One finding on one line: its icon, the rule's message, a link, acknowledged or not."""
    words = headline(finding.kind, finding.cause, finding.subject_key, finding.evidence, style)
    parts = [f"{_ICON.get(finding.severity, '')} {words}".strip()]
    if finding.acked:
        parts.append(text(style.language, "acked"))
    if (where := link(finding.subject_key, url, style)):
        parts.append(f"— {where}")
    return " ".join(parts)


def _footer(project: str, style: Style) -> str:
    return f"_{_plain(text(style.language, 'footer'), project=project)}_"


def alert_message(
    findings: Sequence[Finding], *, project: str, style: Style, urls: Mapping[str, str],
) -> Message:
    """One finding's alert, or several new ones folded into one message."""
    language = style.language
    if len(findings) == 1:
        finding = findings[0]
        severity = finding.severity.label
        subject = _plain(text(language, "subject.alert"), project=project, severity=severity,
                         rule=finding.rule_id)
        intro = _plain(text(language, "alert.new"), project=project)
        line = finding_line(finding, style, urls.get(finding.subject_key))
        return Message(subject, f"{intro}\n\n{line}\n\n{_footer(project, style)}\n")
    subject = _plain(text(language, "subject.alerts"), project=project, count=len(findings))
    intro = _plain(text(language, "alerts.new"), project=project, count=len(findings))
    lines = _bullets([finding_line(f, style, urls.get(f.subject_key)) for f in findings], style)
    return Message(subject, f"{intro}\n\n{lines}\n\n{_footer(project, style)}\n")


def reminder_message(due: Due, kind: str, *, project: str, style: Style) -> Message:
    """A reminder before a deadline, in the team's voice: who waits, until when, what to do."""
    key = "reminder.reply" if kind == "unanswered_feedback" else "reminder.milestone"
    subject = _plain(text(style.language, "subject.reminder"), project=project, rule=due.rule_id)
    body = fill(text(style.language, key), due.evidence, style)
    url = due.evidence.get("url")
    where = link(due.subject_key, url if isinstance(url, str) else None, style)
    parts = [f"⏰ {body}", where, _footer(project, style)]
    return Message(subject, "\n\n".join(part for part in parts if part) + "\n")


def digest_message(
    sections: DigestSections, *, project: str, period: str, weekly: bool, style: Style,
) -> Message:
    """The channel digest: breached, breaching today, at risk, resolved; one message."""
    language = style.language
    name = "subject.digest.weekly" if weekly else "subject.digest.daily"
    subject = _plain(text(language, name), project=project, period=period)
    blocks: list[str] = []
    for heading, lines in (("digest.breached", sections.breached),
                           ("digest.today", sections.today),
                           ("digest.at_risk", sections.at_risk),
                           ("digest.resolved", sections.resolved)):
        if lines:
            title = _plain(text(language, heading), count=len(lines))
            blocks.append(f"**{title}**\n\n{_bullets(lines, style)}")
    if not (sections.breached or sections.today or sections.at_risk):
        blocks.insert(0, text(language, "digest.clear"))
    blocks.append(_footer(project, style))
    return Message(subject, "\n\n".join(blocks) + "\n")


def waiting_line(evidence: Mapping[str, Any], style: Style) -> str:
    """A client waiting for a reply that is not a finding yet (a digest's "breaches today")."""
    words = fill(text(style.language, "digest.waiting"), evidence, style)
    url = evidence.get("url")
    where = link(str(evidence.get("key", "")), url if isinstance(url, str) else None, style)
    return f"⏳ {words}" + (f" — {where}" if where else "")


def test_message(channel: str, language: str) -> Message:
    body = _plain(text(language, "test"), channel=channel)
    return Message(text(language, "subject.test"), f"{body}\n")


def _bullets(lines: Sequence[str], style: Style) -> str:
    shown = [f"- {line}" for line in lines[:SECTION_ITEMS]]
    if len(lines) > SECTION_ITEMS:
        more = _plain(text(style.language, "digest.more"), count=len(lines) - SECTION_ITEMS)
        shown.append(f"- {more}")
    return "\n".join(shown)
