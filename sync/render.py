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
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import babel
import jinja2

from connectors.base import Markup
from connectors.markers import RESOLVED_TAGS, Marker, ack_checkbox
from rules import registry
from rules.base import Severity
from sync import escape, words

Audience = Literal["client", "team"]

UI: dict[str, dict[str, str]] = {
    "en": {
        "ack": "Acknowledge this alert (no more notifications)",
        "ack_jira": "Add the label {label} to acknowledge this alert (no more notifications).",
        "resolved": "Resolved",
        "footer": "forewarn · rule {rule} · {severity}",
        "footer.client": "An automatic note from forewarn.",
        "alerted": "The team has been alerted (an automatic note from forewarn).",
        "cc": "cc",
        "severity.info": "info",
        "severity.warning": "warning",
        "severity.critical": "critical",
        "no_longer": "No longer detected as of {when}.",
        "answered": "Answered by {who} on {when}.",
        "answered.client": "Answered on {when}.",
        "unknown_finding": "{kind}: {cause} on {subject}",
        "earlier_alert": "An earlier alert of rule {rule} on {subject}",
    },
    "zh-CN": {
        "ack": "确认此提醒（不再通知）",
        "ack_jira": "添加标签 {label} 以确认此提醒（不再通知）。",
        "resolved": "已解决",
        "footer": "forewarn · 规则 {rule} · {severity}",
        "footer.client": "forewarn 自动提示。",
        "alerted": "已通知团队（forewarn 自动提示）。",
        "cc": "抄送",
        "severity.info": "提示",
        "severity.warning": "警告",
        "severity.critical": "严重",
        "no_longer": "截至 {when} 已不再检测到。",
        "answered": "{who} 已于 {when} 答复。",
        "answered.client": "已于 {when} 答复。",
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
        """UI text; ``key.client``/``key.team`` when the audience has its own wording."""
        table = UI.get(self.language, UI["en"])
        template = table.get(f"{key}.{self.audience}") or table.get(key) or UI["en"][key]
        return template.format(**values)

    def escape(self, value: str, limit: int = escape.MAX_CHARS) -> str:
        return escape.wiki(value, limit) if self.markup == "jira" else escape.markdown(value, limit)

    def when(self, value: datetime) -> str:
        """An instant on the project's clock with its UTC offset (never "CST": it is ambiguous)."""
        return words.moment(value, self.zone, self.language)

    def mention(self, person_id: str) -> str:
        """Only ids from the config get here: they are validated there, not escaped."""
        if self.markup == "jira":
            return f"[~accountid:{person_id}]" if self.jira_cloud else f"[~{person_id}]"
        return f"@{person_id}"


#: A message: one text, or sentences each left out when a value it names is empty.
Text = str | tuple[str, ...]
_FORMATTER = string.Formatter()


class _Value:
    """Formats a raw evidence value on demand, then escapes it for the target markup.

    The format spec names how (see docs/rules.md, "Message texts"): a counted noun of
    ``sync.words.NOUNS`` (``{open_count:open_issue}``), ``percent``, ``working_hours``
    (with the evidence's ``day_hours``), or a Python spec for numbers; without one, a
    value is shown by its type (dates and instants in the style's language and zone).
    A trailing ``?`` marks a value whose zero says nothing: its sentence is left out.
    """

    def __init__(self, raw: Any, style: Style, evidence: Mapping[str, Any] | None = None) -> None:
        self.raw = raw
        self.style = style
        self.evidence = evidence or {}

    def __format__(self, spec: str) -> str:
        raw, language = self.raw, self.style.language
        spec = spec.removesuffix("?")
        if raw is None:
            return "—"
        if spec in words.NOUNS and isinstance(raw, int | float):
            return words.count(raw, spec, language)
        if spec == "percent" and isinstance(raw, int | float):
            return "∞" if math.isinf(raw) else words.percent(raw, language)
        if spec == "working_hours" and isinstance(raw, int | float):
            return words.working_time(raw, self.evidence.get("day_hours"), language)
        if isinstance(raw, bool):
            return str(raw).lower()
        if isinstance(raw, datetime):
            return self.style.when(raw)
        if isinstance(raw, date):
            return words.day(raw, language)
        if isinstance(raw, float) and not math.isfinite(raw):
            return "∞" if raw > 0 else "-∞"
        if isinstance(raw, int | float):
            return format(raw, spec) if spec else words.number(raw, language)
        if isinstance(raw, list | tuple):
            # A list (issue keys, assignees) may be as long as the project: show the
            # first ones and how many more, so a comment stays far under every limit.
            shown = [self.style.escape(str(item), 80) for item in raw]
            return words.join(shown, language, limit=LIST_ITEMS) or "—"
        return self.style.escape(format(str(raw), spec))

    def empty(self, spec: str) -> bool:
        """Nothing to say: no value, an empty list, or a zero marked ``?``."""
        raw = self.raw
        if raw is None or raw == "" or (isinstance(raw, list | tuple) and not raw):
            return True
        return spec.endswith("?") and isinstance(raw, int | float) and raw == 0


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
    """The rule's message for this cause, in the style's language and audience, with
    escaped values; sentences whose values are empty are left out."""
    values = _Evidence({key: _Value(raw, style, evidence) for key, raw in evidence.items()})
    values.setdefault("subject", _Value(subject, style))
    text = message(kind, cause, evidence, style)
    try:
        if text is not None:
            parts = (text,) if isinstance(text, str) else text
            said = words.sentences(
                [part.format_map(values) for part in parts if _said(part, values)],
                style.language)
            if said:
                return said
    except (ValueError, TypeError):
        pass
    return style.text("unknown_finding", kind=kind, cause=cause, subject=style.escape(subject))


def fill(template: str, values: Mapping[str, Any], style: Style) -> str:
    """``template`` with ``values`` formatted and escaped as in a rule's message (dates in the
    style's zone, tracker text made inert): for texts that are not a rule's, like a
    notification's (sync/notify/render.py)."""
    return template.format_map(_Evidence({key: _Value(raw, style) for key, raw in values.items()}))


def message(kind: str, cause: str, evidence: Mapping[str, Any], style: Style) -> Text | None:
    """The rule's text for this cause, status, audience and language (English if missing).

    ``MESSAGES[cause]`` maps languages to texts, or audiences (``client``, ``team``)
    to such maps; ``cause.<status>`` lets one finding read differently as it escalates.
    The team may read the client's text; the client never reads the team's.
    """
    try:
        messages = registry.get(kind).MESSAGES
    except registry.NoSuchRule:
        return None
    status = evidence.get("status")
    entry = (messages.get(f"{cause}.{status}") if isinstance(status, str) else None) \
        or messages.get(cause) or {}
    if "client" in entry or "team" in entry:
        voiced = entry.get(style.audience) or (entry.get("client") if style.audience == "team"
                                               else None)
        entry = voiced if isinstance(voiced, Mapping) else {}
    text = entry.get(style.language) or entry.get("en")
    return text if isinstance(text, str | tuple) else None


@functools.lru_cache(maxsize=512)
def _fields(part: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, spec or "") for _, name, spec, _ in _FORMATTER.parse(part)
                 if name is not None)


def _said(part: str, values: _Evidence) -> bool:
    """False when a value the sentence names has nothing to say."""
    return not any(name in values and values[name].empty(spec)
                   for name, spec in _fields(part))


def alert_body(
    *, kind: str, cause: str, rule_id: str, subject: str, severity: Severity,
    evidence: Mapping[str, Any], marker: Marker, notify: Sequence[str], acked: bool,
    style: Style,
) -> str:
    """An alert comment. The team reads who is asked to act (mentions), how to
    acknowledge it and which rule spoke; the client reads the fact and that the team
    has been alerted (``style.audience``)."""
    template = _env.get_template(f"alert.{_suffix(style)}.j2")
    team = style.audience == "team"
    return template.render(
        marker=marker.tag(style.markup),
        team=team,
        icon=_ICON.get(severity, "") if team else _ICON[Severity.INFO],
        headline=headline(kind, cause, subject, evidence, style),
        mentions=" ".join(style.mention(person) for person in notify) if team else "",
        cc=style.text("cc"),
        checkbox=ack_checkbox(style.text("ack"), ticked=acked),
        ack_jira=style.text("ack_jira", label=style.ack_label),
        alerted=style.text("alerted"),
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


#: The headline of an open alert of ours (alert.md.j2, alert.jira.j2), already escaped: the
#: line after the marker's, behind its icon in Markdown.
_HEADLINE = {"markdown": re.compile(r"\A<!-- forewarn:[^\n]*-->\n(?:\S+)? (.+)$", re.MULTILINE),
             "jira": re.compile(r"\A\{anchor:forewarn-[^\n]*\}\n(.+)$", re.MULTILINE)}


def headline_in(body: str, markup: Markup) -> str | None:
    """The headline an alert of forewarn's shows (from its first 500 characters), or None."""
    match = _HEADLINE[markup].search(body)
    return match.group(1).strip() if match else None


@functools.cache
def render_version() -> str:
    """Changes whenever anything that shapes an alert body changes: templates, UI text,
    any rule's messages. Part of every ``alert_key``, so an upgrade re-renders."""
    parts = [json.dumps([UI, words.NOUNS, words.SENTENCE_GAP], sort_keys=True),
             babel.__version__]
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
    payload = _KEY_JSON.encode(
        [render_version(), _style_key(style), kind, cause, rule_id, subject, int(severity),
         str(marker), list(notify), acked, evidence])
    return hashlib.sha256(payload.encode()).hexdigest()


#: ``json.dumps(..., sort_keys=True, default=str)`` without building an encoder per alert.
_KEY_JSON = json.JSONEncoder(sort_keys=True, default=str)


@functools.lru_cache(maxsize=64)
def _style_key(style: Style) -> tuple[Any, ...]:
    return tuple(getattr(style, name.name) for name in dataclasses.fields(style))


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def _suffix(style: Style) -> str:
    return "jira" if style.markup == "jira" else "md"


def template(name: str, style: Style) -> jinja2.Template:
    """A packaged template (``sync/templates/<name>.md.j2`` or ``.jira.j2``) for the style's
    markup: the digest (``sync/digest.py``) renders with the same environment."""
    return _env.get_template(f"{name}.{_suffix(style)}.j2")
