"""The marker: built, written into a body, read back, in both markups; the ack checkbox."""

from __future__ import annotations

import pytest

from connectors.markers import Marker, ack_checkbox, find_marker, is_acked, is_resolved

ALERT = Marker("feedback.0123456789abcdef", "critical")


@pytest.mark.parametrize(("marker", "text", "markdown", "jira"), [
    (ALERT, "feedback.0123456789abcdef:critical",
     "<!-- forewarn:feedback.0123456789abcdef:critical -->",
     "{anchor:forewarn-feedback.0123456789abcdef@critical}"),
    (Marker.summary("2026-W48"), "summary.2026-W48:info",
     "<!-- forewarn:summary.2026-W48:info -->", "{anchor:forewarn-summary.2026-W48@info}"),
    (Marker.retrospective("e80162f61d32cbec"), "retro.e80162f61d32cbec:info",
     "<!-- forewarn:retro.e80162f61d32cbec:info -->",
     "{anchor:forewarn-retro.e80162f61d32cbec@info}"),
    (ALERT.next(), "feedback.0123456789abcdef:critical:2",
     "<!-- forewarn:feedback.0123456789abcdef:critical:2 -->",
     "{anchor:forewarn-feedback.0123456789abcdef@critical@2}"),
    (Marker("feedback.0123456789abcdef", "warning", 17), "feedback.0123456789abcdef:warning:17",
     "<!-- forewarn:feedback.0123456789abcdef:warning:17 -->",
     "{anchor:forewarn-feedback.0123456789abcdef@warning@17}"),
])
def test_a_marker_is_written_and_read_back_in_both_markups(
    marker: Marker, text: str, markdown: str, jira: str
) -> None:
    assert str(marker) == text and Marker.parse(text) == marker
    assert (marker.tag("markdown"), marker.tag("jira")) == (markdown, jira)
    for tag in (markdown, jira):
        assert Marker.find(f"Scope grew.\n{tag}\n- [ ] ack") == marker
        assert find_marker(f"intro {tag}") == text


@pytest.mark.parametrize("text", [
    "feedback.0123456789abcdef",            # no level
    "feedback.0123456789abcdef:urgent",     # not a level
    "a:b:warning",                          # a colon in the subject
    ":warning",                             # no subject
    "x" * 181 + ":info",                    # too long
    "scope.1:warning:0",                    # occurrences count from 1
    "scope.1:warning:x",
    "scope.1:warning:2:3",
])
def test_parse_refuses_what_is_not_a_marker(text: str) -> None:
    with pytest.raises(ValueError, match="not a marker"):
        Marker.parse(text)


@pytest.mark.parametrize("body", [
    "no marker here",
    "<!-- forewarn: -->",
    "<!-- forewarn:scope.1:urgent -->",      # an unknown level is not ours
    "{anchor:forewarn-scope.1}",              # the Jira form needs its level too
    "<!-- forewarn-ack -->",
    "<!-- forewarn-resolved -->",
    "{anchor:forewarn_resolved}",
])
def test_find_ignores_text_that_only_looks_like_a_marker(body: str) -> None:
    assert Marker.find(body) is None


@pytest.mark.parametrize(("body", "markup", "stamped"), [
    ("Scope grew.\n", "markdown",
     "Scope grew.\n<!-- forewarn:feedback.0123456789abcdef:critical -->"),
    ("h3. Scope grew", "jira",
     "h3. Scope grew\n{anchor:forewarn-feedback.0123456789abcdef@critical}"),
])
def test_stamp_puts_a_missing_marker_on_the_last_line_and_leaves_a_present_one(
    body: str, markup: str, stamped: str
) -> None:
    assert ALERT.stamp(body, markup) == stamped  # type: ignore[arg-type]
    assert ALERT.stamp(stamped, markup) == stamped  # type: ignore[arg-type]


@pytest.mark.parametrize(("line", "acked"), [
    (ack_checkbox("Acknowledge this alert"), False),
    (ack_checkbox("Acknowledge this alert", ticked=True), True),
    (ack_checkbox("确认此提醒").replace("- [ ]", "* [X]"), True),
    ("- [x] Acknowledge this alert", False),  # the hidden tag makes it ours, not the words
])
def test_the_ticked_checkbox_is_the_acknowledgement(line: str, acked: bool) -> None:
    assert is_acked(f"alert\n{line}\n") is acked


@pytest.mark.parametrize(("body", "resolved"), [
    ("<!-- forewarn:scope.1:warning --><!-- forewarn-resolved -->\n✅ **Resolved:** …", True),
    ("{anchor:forewarn-scope.1@warning}{anchor:forewarn_resolved}\n(/) *Resolved:* …", True),
    ("<!-- forewarn:scope.1:warning -->\n⚠️ **Scope grew**", False),
    ("{anchor:forewarn-scope.1@warning}\n*Scope grew*", False),
])
def test_a_resolved_alert_says_so_in_the_tracker(body: str, resolved: bool) -> None:
    assert is_resolved(body) is resolved
    assert find_marker(body) == "scope.1:warning"
