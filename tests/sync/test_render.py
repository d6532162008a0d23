"""sync/render.py: findings -> the comment bodies forewarn writes, and the key that says
when a body must be rendered again.

The bodies here come from a probe rule (registered for the test) whose messages
are written for these tests: what is checked is how render shows evidence, not
what the real rules say (tests/rules/ covers their messages).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from connectors.markers import Marker
from rules import registry
from rules.base import Severity
from sync import render
from sync.render import Style, alert_body, alert_key, headline, parse_evidence, resolved_body

MARKER = Marker("probe.0123456789abcdef", "critical")
#: The team's voice: mentions, the checkbox and the rule (tests/sync/test_voices.py: both).
MARKDOWN = Style(markup="markdown", timezone="Asia/Shanghai", audience="team")
WIKI = Style(markup="jira", timezone="Asia/Shanghai", audience="team")
ZH_TEAM = Style(markup="markdown", language="zh-CN", timezone="Asia/Shanghai", audience="team")
SERVER_TEAM = Style(markup="jira", jira_cloud=False, ack_label="seen", audience="team")
ASKED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
PROBE = SimpleNamespace(MESSAGES={
    "asked": {"en": "{client} asked about “{title}” on {asked_at}",
              "zh-CN": "{client} 于 {asked_at} 询问了“{title}”"},
    "late": {"en": "late by {days:day}", "zh-CN": "晚了 {days:day}"},
    "late.overdue": {"en": "overdue by {days:day}", "zh-CN": "逾期 {days:day}"},
    "voiced": {"client": {"en": "for the client", "zh-CN": "给客户"},
               "team": {"en": "for the team"}},
    "team_only": {"team": {"en": "for the team"}},
    "parts": {"en": ("First {a}.", "Then {b}.", "Maybe {c:?}.", "Last {d:issue?}."),
              "zh-CN": ("先{a}。", "再{b}。", "也许{c:?}。", "最后{d:issue?}。")},
    "value": {"en": "[{v}]"},
    "percent": {"en": "[{v:.0%}]"},
    "missing": {"en": "[{nope}]"},
})
#: Tracker text: a name that would mention, a title with markup and HTML.
EVIDENCE = {"client": "@carol", "title": "Export **all** <CSV>", "asked_at": ASKED}


@pytest.fixture(autouse=True)
def probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.RULES, "probe", PROBE)  # type: ignore[arg-type]


def body(style: Style, **overrides: Any) -> str:
    values: dict[str, Any] = {
        "kind": "probe", "cause": "asked", "rule_id": "feedback", "subject": "acme/portal#7",
        "severity": Severity.CRITICAL, "evidence": EVIDENCE, "marker": MARKER,
        "notify": ["alice"], "acked": False, "style": style, **overrides,
    }
    return alert_body(**values)


@pytest.mark.parametrize(
    ("style", "overrides", "expected"),
    [
        (MARKDOWN, {}, (
            "<!-- forewarn:probe.0123456789abcdef:critical -->\n"
            "🚨 @\u200bcarol asked about “Export \\*\\*all\\*\\* &lt;CSV&gt;” on "
            "Nov 20, 2026, 10:00 (UTC+8)\n"
            "\n"
            "cc @alice\n"
            "\n"
            "- [ ] Acknowledge this alert (no more notifications) <!-- forewarn-ack -->\n"
            "\n"
            "<sub>forewarn · rule feedback · critical</sub>\n"
        )),
        # Acknowledged, nobody to notify, a warning, a rule id with markup in it.
        (MARKDOWN, {"acked": True, "notify": [], "severity": Severity.WARNING,
                    "rule_id": "my_rule"}, (
            "<!-- forewarn:probe.0123456789abcdef:critical -->\n"
            "⚠️ @\u200bcarol asked about “Export \\*\\*all\\*\\* &lt;CSV&gt;” on "
            "Nov 20, 2026, 10:00 (UTC+8)\n"
            "\n"
            "- [x] Acknowledge this alert (no more notifications) <!-- forewarn-ack -->\n"
            "\n"
            "<sub>forewarn · rule my\\_rule · warning</sub>\n"
        )),
        (ZH_TEAM, {}, (
            "<!-- forewarn:probe.0123456789abcdef:critical -->\n"
            "🚨 @\u200bcarol 于 2026年11月20日 10:00 UTC+8 询问了“Export \\*\\*all\\*\\* "
            "&lt;CSV&gt;”\n"
            "\n"
            "抄送 @alice\n"
            "\n"
            "- [ ] 确认此提醒（不再通知） <!-- forewarn-ack -->\n"
            "\n"
            "<sub>forewarn · 规则 feedback · 严重</sub>\n"
        )),
        # Jira: wiki markup, an anchor for the marker, mentions by account id, ack by label.
        (WIKI, {"notify": ["712020:alice"]}, (
            "{anchor:forewarn-probe.0123456789abcdef@critical}\n"
            "@\u200bcarol asked about “Export \\*\\*all\\*\\* <CSV>” on "
            "Nov 20, 2026, 10:00 (UTC+8)\n"
            "\n"
            "cc [~accountid:712020:alice]\n"
            "\n"
            "_Add the label forewarn-ack to acknowledge this alert (no more notifications)._\n"
            "\n"
            "{color:#707070}forewarn · rule feedback · critical{color}\n"
        )),
        (SERVER_TEAM, {"notify": ["alice"],
                                                                    "evidence": {}}, (
            "{anchor:forewarn-probe.0123456789abcdef@critical}\n"
            "? asked about “?” on ?\n"
            "\n"
            "cc [~alice]\n"
            "\n"
            "_Add the label seen to acknowledge this alert (no more notifications)._\n"
            "\n"
            "{color:#707070}forewarn · rule feedback · critical{color}\n"
        )),
    ],
    ids=["markdown", "markdown-acked", "markdown-zh-CN", "jira-cloud", "jira-server"],
)
def test_an_alert_body(style: Style, overrides: dict[str, Any], expected: str) -> None:
    assert body(style, **overrides) == expected


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        (MARKDOWN, (
            "<!-- forewarn:probe.0123456789abcdef:critical --><!-- forewarn-resolved -->\n"
            "✅ **Resolved:** No longer detected.\n"
            "\n"
            "~~@\u200bcarol asked about “Export \\*\\*all\\*\\* &lt;CSV&gt;” on "
            "Nov 20, 2026, 10:00 (UTC+8)~~\n"
            "\n"
            "<sub>forewarn · rule feedback · Resolved</sub>\n"
        )),
        (WIKI, (
            "{anchor:forewarn-probe.0123456789abcdef@critical}{anchor:forewarn_resolved}\n"
            "(/) *Resolved:* No longer detected.\n"
            "\n"
            "-@\u200bcarol asked about “Export \\*\\*all\\*\\* <CSV>” on "
            "Nov 20, 2026, 10:00 (UTC+8)-\n"
            "\n"
            "{color:#707070}forewarn · rule feedback · Resolved{color}\n"
        )),
    ],
    ids=["markdown", "jira"],
)
def test_a_resolved_body(style: Style, expected: str) -> None:
    done = resolved_body(kind="probe", cause="asked", rule_id="feedback", subject="acme/portal#7",
                         evidence=EVIDENCE, marker=MARKER, resolution="No longer detected.",
                         style=style)
    assert done == expected


# How one evidence value is shown (message "[{v}]", Markdown, Shanghai time); None: nothing
# to say, so the sentence is left out and the finding is named instead.
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, None),
        (True, "true"),
        (3, "3"),
        (12345, "12,345"),
        (2.5, "2.5"),
        (date(2026, 12, 1), "Dec 1, 2026"),
        (ASKED, "Nov 20, 2026, 10:00 (UTC+8)"),  # in the project's time zone, with its offset
        (math.inf, "∞"),
        (-math.inf, "-∞"),
        ("**x** @team", "\\*\\*x\\*\\* @\u200bteam"),
        ("x" * 300, "x" * 199 + "…"),  # tracker text is cut
        (["acme/portal#1", "acme/portal#2"], "acme/portal\\#\u200b1 and acme/portal\\#\u200b2"),
        ([f"k{n}" for n in range(25)], ", ".join(f"k{n}" for n in range(20)) + ", and 5 more"),
        ([], None),
    ],
)
def test_evidence_values(value: Any, shown: str | None) -> None:
    expected = "probe: value on s" if shown is None else f"[{shown}]"
    assert headline("probe", "value", "s", {"v": value}, MARKDOWN) == expected


@pytest.mark.parametrize(
    ("kind", "cause", "evidence", "style", "expected"),
    [
        ("probe", "percent", {"v": 0.5}, MARKDOWN, "[50%]"),
        ("probe", "missing", {}, MARKDOWN, "[?]"),
        # ``cause.status`` reads differently as a finding escalates.
        ("probe", "late", {"days": 2}, MARKDOWN, "late by 2 days"),
        ("probe", "late", {"days": 1}, MARKDOWN, "late by 1 day"),  # plural rules per language
        ("probe", "late", {"days": 2, "status": "overdue"}, MARKDOWN, "overdue by 2 days"),
        ("probe", "late", {"days": 2, "status": "at_risk"}, MARKDOWN, "late by 2 days"),
        ("probe", "late", {"days": 2, "status": "overdue"}, Style(language="zh-CN"), "逾期 2 天"),
        ("probe", "late", {"days": 2}, Style(language="fr"), "late by 2 days"),  # English
        # A cause with a text per audience; the team may read the client's, never the reverse.
        ("probe", "voiced", {}, Style(), "for the client"),
        ("probe", "voiced", {}, Style(audience="team"), "for the team"),
        ("probe", "voiced", {}, Style(audience="team", language="zh-CN"), "for the team"),
        ("probe", "voiced", {}, Style(language="zh-CN"), "给客户"),
        ("probe", "team_only", {}, Style(audience="team"), "for the team"),
        ("probe", "team_only", {}, Style(), "probe: team_only on acme/portal\\#\u200b4"),
        # Sentences whose values have nothing to say are left out; ``?`` marks a silent zero.
        ("probe", "parts", {"a": 1, "b": "x", "c": 0, "d": 2}, MARKDOWN,
         "First 1. Then x. Last 2 issues."),
        ("probe", "parts", {"a": 1, "b": None, "c": [], "d": 0}, MARKDOWN, "First 1."),
        ("probe", "parts", {"a": 1, "b": "x", "c": 1, "d": 0}, Style(language="zh-CN"),
         "先1。再x。也许1。"),
        # What render cannot word still names the finding (its subject escaped).
        ("gone", "late", {}, MARKDOWN, "gone: late on acme/portal\\#\u200b4"),
        ("probe", "nope", {}, WIKI, "probe: nope on acme/portal\\#4"),  # wiki: "#" escaped
        ("probe", "percent", {"v": "x"}, MARKDOWN, "probe: percent on acme/portal\\#\u200b4"),
    ],
)
def test_headline(kind: str, cause: str, evidence: dict[str, Any], style: Style,
                  expected: str) -> None:
    assert headline(kind, cause, "acme/portal#4", evidence, style) == expected


@pytest.mark.parametrize("style", [MARKDOWN, WIKI, ZH_TEAM, SERVER_TEAM, Style(),
                                   Style(markup="jira"), Style(language="zh-CN")],
                         ids=["md team", "jira team", "zh team", "server team", "md client",
                              "jira client", "zh client"])
def test_the_headline_an_alert_showed_is_read_back_from_its_body(style: Style) -> None:
    """What a lost database leaves: the resolution of an alert only the tracker remembers
    repeats the headline the alert showed (escaped as it was)."""
    shown = render.headline_in(body(style)[:500], style.markup)
    assert shown == headline("probe", "asked", "acme/portal#7", EVIDENCE, style)
    assert render.headline_in("Someone's comment\nwith two lines", style.markup) is None


@pytest.mark.parametrize(
    ("stored", "restored"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("2026-11-20 02:00:00+00:00", ASKED),  # json.dumps(default=str) of a datetime
        ("2026-11-20T02:00:00+00:00", ASKED),
        ("2026-13-45", "2026-13-45"),
        ("2026-12-01 release", "2026-12-01 release"),  # a title that starts with a date
        ("acme/portal#4", "acme/portal#4"),
        (3, 3),
    ],
)
def test_parse_evidence(stored: Any, restored: Any) -> None:
    assert parse_evidence({"v": stored}) == {"v": restored}


def test_a_body_rendered_from_stored_evidence_is_the_same() -> None:
    """Resolved bodies are rendered from the evidence the state store kept."""
    stored = json.loads(json.dumps(EVIDENCE, sort_keys=True, default=str))
    assert body(MARKDOWN, evidence=parse_evidence(stored)) == body(MARKDOWN)


KEY: dict[str, Any] = {
    "kind": "scope_creep", "cause": "added", "rule_id": "scope", "subject": "acme/portal#4",
    "severity": Severity.WARNING, "evidence": {"title": "Export", "joined_at": ASKED, "count": 2},
    "marker": Marker("scope.0123456789abcdef", "warning"), "notify": ["alice"], "acked": False,
    "style": Style(),
}


@pytest.mark.parametrize(
    ("change", "same"),
    [
        ({}, True),
        ({"evidence": {"count": 2, "joined_at": ASKED, "title": "Export"}}, True),  # other order
        ({"style": Style(markup="markdown", timezone="UTC")}, True),  # an equal style
        ({"evidence": {"title": "Export", "joined_at": ASKED, "count": 3}}, False),
        ({"evidence": {"title": "Export all", "joined_at": ASKED, "count": 2}}, False),
        ({"evidence": {"title": "Export", "joined_at": ASKED}}, False),
        ({"severity": Severity.CRITICAL}, False),
        ({"acked": True}, False),
        ({"notify": ["alice", "bob"]}, False),
        ({"marker": Marker("scope.0123456789abcdef", "critical")}, False),
        ({"style": Style(timezone="Asia/Shanghai")}, False),
        ({"style": Style(markup="jira")}, False),
        ({"rule_id": "scope2"}, False),
        ({"subject": "acme/portal#5"}, False),
    ],
)
def test_alert_key_changes_with_what_the_body_reads(change: dict[str, Any], same: bool) -> None:
    assert (alert_key(**{**KEY, **change}) == alert_key(**KEY)) is same


def test_alert_key_changes_with_the_render_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """An upgrade that changes templates or messages renders every alert again."""
    before = alert_key(**KEY)
    monkeypatch.setattr(render, "render_version", lambda: "an-upgrade")
    assert alert_key(**KEY) != before
