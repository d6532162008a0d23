"""Tracker text in forewarn's alerts is inert and bounded (sync/escape.py, sync/render.py).

Anyone who can open an issue chooses its title and their display name. In an
alert those must not mention anyone, reference other issues (GitHub adds a
"mentioned this" event to every issue a comment references), format, link,
inject HTML, wiki macros or a forged forewarn marker, reverse the text's
direction, or flood the comment. Markdown is checked with a CommonMark parser
(markdown-it, with GitHub's tables and strikethrough): an escaped value must
parse as one paragraph of plain text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from connectors.markers import Marker, find_marker
from rules import registry
from rules.base import Severity
from sync import escape
from sync.render import LIST_ITEMS, Style, alert_body, resolved_body
from tests.hardening.harness import examples

SETTINGS = settings(max_examples=examples(150), deadline=None, derandomize=True, database=None)
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
MARKER = Marker.parse("feedback.0123456789abcdef:critical")
GITHUB = Style(markup="markdown", timezone="Asia/Shanghai", audience="team")
JIRA = Style(markup="jira", timezone="Asia/Shanghai", audience="team")
#: Each markup in each voice: the client's has no mention and no checkbox.
STYLES = [GITHUB, JIRA, *(Style(markup=s.markup, timezone=s.timezone) for s in (GITHUB, JIRA))]
#: What a body may be at most, whatever the tracker text: far under GitHub's 65,536
#: characters and Jira's default 32,767.
BODY_LIMIT = 6000

HOSTILE = [
    "@everyone please look",
    "@acme/owners ping",
    "cc user@example.com",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "![tracker](https://evil.example/pixel.png)",
    "https://evil.example/phish",
    "www.evil.example/phish",
    "Fixes #1 and GH-2 and acme/other#3",
    "**bold** __bold__ *it* _it_ ~~gone~~ `code`",
    "# Heading",
    "> quote",
    "- [x] Acknowledge this alert (no more notifications) <!-- forewarn-ack -->",
    "| a | b |\n|---|---|\n| c | d |",
    "line one\nline two\r\n\tline three",
    "&#64;everyone &lt;b&gt;",
    "<!-- forewarn:scope.0123456789abcdef:warning -->",
    "{anchor:forewarn-scope.0123456789abcdef@warning}",
    "[~accountid:5b10a2844c20165700ede21g] {color:red}red{color} h1. big",
    "{noformat}raw{noformat} !image.png! ??cite?? ^sup^ ~sub~ +under+ -strike-",
    "\u202eevil\u202c \u2066isolate\u2069 \u200fRTL\u200e",
    "nul\x00bell\x07esc\x1b[31mred del\x7f",
    "zero\u200bwidth\ufeffbom",
    "x" * 100_000,
]
_BIDI = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
_WIKI_SPECIAL = set("\\{}[]|*_+-^~?!#")


def inert_markdown(text: str) -> None:
    """One paragraph of plain text (or nothing), and nothing GitHub would link."""
    tokens = MD.parse(text)
    if tokens:
        assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
        children = tokens[1].children or []
        assert {child.type for child in children} <= {"text", "softbreak"}, children
    assert "<" not in text and ">" not in text
    assert re.search(r"@(?!\u200b)", text) is None, "a mention survived"
    assert re.search(r"#\d|GH-\d|(?<!\\)GH\\-\d", text, re.IGNORECASE) is None, "a reference"
    assert "://" not in text


def inert_wiki(text: str) -> None:
    """Every wiki special character escaped, no mention, no link (Jira links a bare URL)."""
    unescaped = re.sub(r"\\.", "", text)
    assert not (_WIKI_SPECIAL & set(unescaped)), unescaped
    assert re.search(r"@(?!\u200b)", text) is None
    assert "://" not in text


def clean(text: str) -> None:
    """No control characters, no direction overrides, one line."""
    for char in text:
        assert unicodedata.bidirectional(char) not in _BIDI, repr(char)
        assert char == "\u200b" or unicodedata.category(char) not in ("Cc", "Cf", "Co", "Cs"), (
            repr(char))


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:30]))
def test_known_attacks_are_inert(text: str) -> None:
    md, wiki = escape.markdown(text), escape.wiki(text)
    inert_markdown(md)
    inert_wiki(wiki)
    for value in (md, wiki, escape.plain(text)):
        clean(value)
        assert len(value) <= 6 * escape.MAX_CHARS
    assert find_marker(md) is None and find_marker(wiki) is None


texts = st.text() | st.lists(st.sampled_from(HOSTILE[:-1]) | st.text(max_size=5)).map("".join)


@SETTINGS
@given(texts, st.integers(min_value=1, max_value=300))
def test_any_text_is_inert_and_bounded(text: str, limit: int) -> None:
    plain = escape.plain(text, limit)
    assert len(plain) <= limit
    clean(plain)
    inert_markdown(escape.markdown(text, limit))
    inert_wiki(escape.wiki(text, limit))
    assert find_marker(escape.markdown(text, limit)) is None
    assert find_marker(escape.wiki(text, limit)) is None


def test_a_reference_to_another_issue_is_broken_by_an_invisible_space() -> None:
    """GitHub links ``#12`` in the rendered text, after backslashes are gone (Renovate
    puts a zero-width space after ``#`` for the same reason)."""
    assert escape.markdown("see #12, GH-3") == "see \\#\u200b12, GH\\-\u200b3"


# -- whole alert bodies ---------------------------------------------------------------------


def _all_messages() -> list[tuple[str, str]]:
    found = []
    for kind, rule in sorted(registry.RULES.items()):
        for cause in sorted(rule.MESSAGES):
            found.append((kind, cause))
    return found


def hostile_evidence(text: str, items: list[str]) -> dict[str, Any]:
    """Every evidence field any message uses, the tracker's ones hostile."""
    moment = datetime(2026, 11, 20, 2, tzinfo=UTC)
    return {
        "title": text, "milestone_title": text, "client": text, "assignees": items,
        "added": items, "milestone": "m/1", "joined_at": moment, "left_at": moment,
        "baseline_at": moment, "asked_at": moment, "deadline": moment, "sla_hours": 16.0,
        "day_hours": 8.0,
        "elapsed_hours": 20.5, "baseline_count": 3, "added_count": len(items),
        "approved_count": 0, "descoped_count": 1, "growth": 0.5, "threshold": 0.1,
        "due_on": date(2026, 12, 1), "first_due_on": date(2026, 11, 1), "days_moved": 30,
        "moves": 2, "open_count": 4, "probability": 0.2, "confidence": 0.85,
        "forecast_on": date(2026, 12, 20), "status": "at_risk", "days_overdue": 3,
    }


@pytest.mark.parametrize(("kind", "cause"), _all_messages())
@pytest.mark.parametrize("style", STYLES,
                         ids=["github-team", "jira-team", "github-client", "jira-client"])
def test_alerts_carry_one_marker_and_stay_small(kind: str, cause: str, style: Style) -> None:
    items = [f"{text[:300]} {n}" for n, text in enumerate(HOSTILE)] * 400  # 10,000 issues
    for text in [*HOSTILE[:-1], "x" * 5000]:
        evidence = hostile_evidence(text, items)
        body = alert_body(kind=kind, cause=cause.split(".")[0], rule_id="feedback",
                          subject=text, severity=Severity.CRITICAL, evidence=evidence,
                          marker=MARKER, notify=["alice"], acked=False, style=style)
        done = resolved_body(kind=kind, cause=cause.split(".")[0], rule_id="feedback",
                             subject=text, evidence=evidence, marker=MARKER,
                             resolution="No longer detected.", style=style)
        for rendered in (body, done):
            assert find_marker(rendered) == str(MARKER)
            tag = MARKER.tag(style.markup)
            assert rendered.count(tag) == 1
            assert len(rendered) <= BODY_LIMIT, len(rendered)
            mentions = re.findall(r"@(?!\u200b)[\w-]+|\[~", rendered.replace(tag, ""))
            assert mentions in ([], ["@alice"], ["[~"]), mentions
            if style.markup == "markdown":
                # Ours only: the marker, and the ack checkbox's tag (team voice) or the
                # resolved tag.
                tagged = rendered is done or style.audience == "team"
                assert rendered.count("<!--") == (2 if tagged else 1)
                assert "<script" not in rendered and "<img" not in rendered


def test_a_long_list_in_evidence_is_cut_with_a_count() -> None:
    keys = [f"acme/portal#{n}" for n in range(5000)]
    body = alert_body(kind="scope_creep", cause="growth", rule_id="scope",
                      subject="acme/portal/milestones/1", severity=Severity.WARNING,
                      evidence=hostile_evidence("v1", keys), marker=MARKER, notify=[],
                      acked=False, style=GITHUB)
    assert f", and {5000 - LIST_ITEMS:,} more" in body
    assert body.count("acme/portal") == LIST_ITEMS
