"""The hidden marker that lets forewarn find its own comments again.

A comment is forewarn's only when its author is forewarn's own account AND it
carries a marker: anyone can paste a marker, nobody can fake the author.
The marker names the finding's fingerprint and the alert level, so that an
escalation (a new comment) never collides with the first alert.
"""

from __future__ import annotations

import re

MARKER_PREFIX = "forewarn:"
_MARKER_RE = re.compile(r"<!--\s*forewarn:([A-Za-z0-9_.:@-]{1,200})\s*-->")
# Jira wiki markup has no HTML comments: the marker there is a hidden anchor macro.
_JIRA_MARKER_RE = re.compile(r"\{anchor:forewarn-([A-Za-z0-9_.@-]{1,200})\}")
# The acknowledgement checkbox carries its own hidden tag so that its visible
# text can be translated. (GitHub task lists; Jira has none: ack by label there.)
ACK_TAG = "<!-- forewarn-ack -->"
_ACK_RE = re.compile(r"^[ \t]*[-*][ \t]*\[[xX]\][^\n]*" + re.escape(ACK_TAG), re.MULTILINE)


def html_marker(marker: str) -> str:
    return f"<!-- {MARKER_PREFIX}{marker} -->"


def jira_marker(marker: str) -> str:
    # Colons are not allowed in anchor names: the level separator becomes '@'.
    return "{anchor:forewarn-" + marker.replace(":", "@") + "}"


def find_marker(body: str) -> str | None:
    """The marker in a comment body, in either markup, or None."""
    match = _MARKER_RE.search(body)
    if match:
        return match.group(1)
    match = _JIRA_MARKER_RE.search(body)
    if match:
        return match.group(1).replace("@", ":")
    return None


def is_acked(body: str) -> bool:
    """True when someone ticked the acknowledgement checkbox of an alert."""
    return bool(_ACK_RE.search(body))


def ack_checkbox(text: str) -> str:
    """The unticked checkbox line an alert carries on trackers with task lists."""
    return f"- [ ] {text} {ACK_TAG}"
