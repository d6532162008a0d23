"""Findings -> the comment bodies forewarn writes (Markdown for GitHub, wiki markup for Jira).

Rules own their message text (``MESSAGES`` in each rule module); this module
owns how it is shown: escaping every value that came from the tracker,
dates in the project's timezone, the marker, the acknowledgement checkbox and
the mentions. A body depends only on the finding's evidence, never on the
clock, so re-rendering an unchanged finding gives the same bytes and no edit.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import jinja2

from connectors.base import Markup
from connectors.markers import RESOLVED_TAGS, Marker, ack_checkbox
from rules import registry
from rules.base import Severity
from sync import escape

Audience = Literal["client", "team"]

UI: dict[str, dict[str, str]] = {
    "en": {
        "ack": "Acknowledge this alert (no more notifications)",
        "ack_jira": "Add the label {label} to acknowledge this alert (no more notifications).",
        "resolved": "Resolved",
        "footer": "forewarn · rule {rule} · {severity}",
        "cc": "cc",
        "severity.info": "info",
        "severity.warning": "warning",
        "severity.critical": "critical",
        "no_longer": "No longer detected as of {when}.",
        "answered": "Answered by {who} on {when}.",
        "unknown_finding": "{kind}: {cause} on {subject}",
        "earlier_alert": "An earlier alert of rule {rule} on {subject}",
    },
    "zh-CN": {
        "ack": "确认此提醒（不再通知）",
        "ack_jira": "添加标签 {label} 以确认此提醒（不再通知）。",
        "resolved": "已解决",
        "footer": "forewarn · 规则 {rule} · {severity}",
        "cc": "抄送",
        "severity.info": "提示",
        "severity.warning": "警告",
        "severity.critical": "严重",
        "no_longer": "截至 {when} 已不再检测到。",
        "answered": "{who} 已于 {when} 答复。",
        "unknown_finding": "{kind}：{subject} 上的 {cause}",
        "earlier_alert": "规则 {rule} 在 {subject} 上的先前提醒",
    },
}
LANGUAGES = tuple(UI)
#: At most this many items of a list in evidence are written out.
LIST_ITEMS = 20
_ICON = {Severity.INFO: "ℹ️", Severity.WARNING: "⚠️", Severity.CRITICAL: "🚨"}

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("sync", "templates"),
    autoescape=False,  # noqa: S701 - values are escaped for Markdown/wiki by sync.escape, not HTML
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # packaged templates never change: no stat() per alert rendered
)


@dataclass(frozen=True, slots=True)
class Style:
    """How to write for one tracker and one audience.

    ``audience`` is who reads the text: ``client`` where the client can read it (a
    public comment on a shared tracker: no instructions to the PM, no internal
    jargon, no other client's name), ``team`` where only the team can (a restricted
    comment, a digest on a team issue, a chat channel).
    """

    markup: Markup = "markdown"
    language: str = "en"
    timezone: str = "UTC"
    ack_label: str = "forewarn-ack"
    jira_cloud: bool = True
    audience: Audience = "client"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def text(self, key: str, **values: str) -> str:
        table = UI.get(self.language, UI["en"])
        return table.get(key, UI["en"][key]).format(**values)

    def escape(self, value: str, limit: int = escape.MAX_CHARS) -> str:
        return escape.wiki(value, limit) if self.markup == "jira" else escape.markdown(value, limit)

    def when(self, value: datetime) -> str:
        return value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M %Z")

    def mention(self, person_id: str) -> str:
        """Only ids from the config get here: they are validated there, not escaped."""
        if self.markup == "jira":
            return f"[~accountid:{person_id}]" if self.jira_cloud else f"[~{person_id}]"
        return f"@{person_id}"


class _Value:
    """Formats a raw evidence value on demand, then escapes it for the target markup."""

    def __init__(self, raw: Any, style: Style) -> None:
        self.raw = raw
        self.style = style

    def __format__(self, spec: str) -> str:
        raw = self.raw
        if raw is None:
            return "—"
        if isinstance(raw, bool):
            return str(raw).lower()
        if isinstance(raw, datetime):
            return self.style.when(raw)
        if isinstance(raw, date):
            return raw.isoformat()
        if isinstance(raw, float) and not math.isfinite(raw):
            return "∞" if raw > 0 else "-∞"
        if isinstance(raw, int | float):
            return format(raw, spec)
        if isinstance(raw, list | tuple):
            # A list (issue keys, assignees) may be as long as the project: show the
            # first ones and how many more, so a comment stays far under every limit.
            shown = ", ".join(self.style.escape(str(item), 80) for item in raw[:LIST_ITEMS])
            more = f" … (+{len(raw) - LIST_ITEMS})" if len(raw) > LIST_ITEMS else ""
            return shown + more if shown else "—"
        return self.style.escape(format(str(raw), spec))


class _Evidence(dict[str, _Value]):
    def __missing__(self, key: str) -> _Value:
        return _Value("?", Style())


def parse_evidence(data: Mapping[str, Any]) -> dict[str, Any]:
    """Undo the JSON round trip of the state store (ISO strings back to dates)."""
    restored: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
            try:
                restored[key] = (
                    datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
                )
                continue
            except ValueError:
                pass
        restored[key] = value
    return restored


def headline(
    kind: str, cause: str, subject: str, evidence: Mapping[str, Any], style: Style
) -> str:
    """The rule's message for this cause, in the style's language, with escaped values."""
    values = _Evidence({key: _Value(raw, style) for key, raw in evidence.items()})
    values.setdefault("subject", _Value(subject, style))
    try:
        messages = registry.get(kind).MESSAGES.get(cause, {})
    except registry.NoSuchRule:
        messages = {}
    variant = registry_variant(kind, cause, evidence)
    if variant:
        messages = variant
    template = messages.get(style.language) or messages.get("en")
    if template is None:
        return style.text("unknown_finding", kind=kind, cause=cause, subject=style.escape(subject))
    try:
        return template.format_map(values)
    except (ValueError, TypeError):
        return style.text("unknown_finding", kind=kind, cause=cause, subject=style.escape(subject))


def registry_variant(kind: str, cause: str, evidence: Mapping[str, Any]) -> dict[str, str]:
    """``cause.status`` messages let one finding read differently as it escalates."""
    status = evidence.get("status")
    if not isinstance(status, str):
        return {}
    try:
        return registry.get(kind).MESSAGES.get(f"{cause}.{status}", {})
    except registry.NoSuchRule:
        return {}


def alert_body(
    *, kind: str, cause: str, rule_id: str, subject: str, severity: Severity,
    evidence: Mapping[str, Any], marker: Marker, notify: Sequence[str], acked: bool,
    style: Style,
) -> str:
    template = _env.get_template(f"alert.{_suffix(style)}.j2")
    return template.render(
        marker=marker.tag(style.markup),
        icon=_ICON.get(severity, ""),
        headline=headline(kind, cause, subject, evidence, style),
        mentions=" ".join(style.mention(person) for person in notify),
        cc=style.text("cc"),
        checkbox=ack_checkbox(style.text("ack"), ticked=acked),
        ack_jira=style.text("ack_jira", label=style.ack_label),
        footer=style.text("footer", rule=style.escape(rule_id),
                          severity=style.text(f"severity.{severity.label}")),
    ).strip() + "\n"


def resolved_body(
    *, kind: str, cause: str, rule_id: str, subject: str, evidence: Mapping[str, Any],
    marker: Marker, resolution: str, style: Style, shown: str | None = None,
) -> str:
    """``shown``: the headline the open alert showed (``headline_in``), for a finding whose
    record is lost; else it is rendered from the evidence (or named by rule and subject)."""
    template = _env.get_template(f"resolved.{_suffix(style)}.j2")
    if shown is None and not kind:
        shown = style.text("earlier_alert", rule=style.escape(rule_id),
                           subject=style.escape(subject))
    return template.render(
        # Beside the marker, on the first line: the tracker alone tells a resolved alert.
        marker=marker.tag(style.markup) + RESOLVED_TAGS[style.markup],
        resolved=style.text("resolved"),
        resolution=resolution,
        headline=shown if shown is not None else headline(kind, cause, subject, evidence, style),
        footer=style.text("footer", rule=style.escape(rule_id), severity=style.text("resolved")),
    ).strip() + "\n"


#: The headline line of an open alert of ours (alert.md.j2, alert.jira.j2), already escaped.
_HEADLINE = {"markdown": re.compile(r"^(?:\S+ )?\*\*(.+)\*\*$", re.MULTILINE),
             "jira": re.compile(r"^\*(.+)\*$", re.MULTILINE)}


def headline_in(body: str, markup: Markup) -> str | None:
    """The headline an alert of forewarn's shows (from its first 500 characters), or None."""
    match = _HEADLINE[markup].search(body)
    return match.group(1) if match else None


@functools.cache
def render_version() -> str:
    """Changes whenever anything that shapes an alert body changes: templates, UI text,
    any rule's messages. Part of every ``alert_key``, so an upgrade re-renders."""
    parts = [json.dumps(UI, sort_keys=True)]
    loader = _env.loader
    assert loader is not None
    for name in sorted(loader.list_templates()):
        if name.startswith(("alert.", "resolved.")):
            parts.append(loader.get_source(_env, name)[0])
    for kind in sorted(registry.RULES):
        parts.append(json.dumps(registry.RULES[kind].MESSAGES, sort_keys=True))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def alert_key(
    *, kind: str, cause: str, rule_id: str, subject: str, severity: Severity,
    evidence: Mapping[str, Any], marker: Marker, notify: Sequence[str], acked: bool,
    style: Style,
) -> str:
    """A hash of everything ``alert_body`` reads: the same key means the same body,
    so reconcile need not render an alert whose inputs did not change."""
    payload = json.dumps(
        [render_version(), _style_key(style), kind, cause, rule_id, subject, int(severity),
         str(marker), list(notify), acked, evidence],
        sort_keys=True, default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@functools.lru_cache(maxsize=64)
def _style_key(style: Style) -> tuple[Any, ...]:
    return tuple(getattr(style, name.name) for name in dataclasses.fields(style))


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def _suffix(style: Style) -> str:
    return "jira" if style.markup == "jira" else "md"
