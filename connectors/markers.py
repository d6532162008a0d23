"""The hidden marker that lets forewarn find its own comments again.

A comment is forewarn's only when its author is forewarn's own account AND it
carries a marker: anyone can paste a marker, nobody can fake the author.

A marker names what the comment is about (a finding's fingerprint, or the
summary of a period) and its level, so that an escalation (a new comment)
never collides with the first alert. It is built, parsed and written into a
body here and nowhere else: ``Marker(subject, level)``, ``str(marker)`` is the
key the state store keeps (``scope.1a2b3c4d5e6f7a8b:critical``),
``marker.tag(markup)`` the hidden text in a body, ``Marker.find(body)`` reads
it back from either markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Markup = Literal["markdown", "jira"]
Level = Literal["info", "warning", "critical"]
LEVELS: tuple[Level, ...] = ("info", "warning", "critical")

_PREFIX = "forewarn:"
_TEXT = r"[A-Za-z0-9_.:@-]{1,200}"
_HTML_RE = re.compile(r"<!--\s*forewarn:(" + _TEXT + r")\s*-->")
# Jira wiki markup has no HTML comments: the marker there is a hidden anchor macro,
# whose name allows no colon (the level separator becomes '@').
_JIRA_RE = re.compile(r"\{anchor:forewarn-([A-Za-z0-9_.@-]{1,200})\}")
_SUBJECT_RE = re.compile(r"^[A-Za-z0-9_.-]{1,180}$")
# The acknowledgement checkbox carries its own hidden tag so that its visible
# text can be translated. (GitHub task lists; Jira has none: ack by label there.)
ACK_TAG = "<!-- forewarn-ack -->"
_ACK_RE = re.compile(r"^[ \t]*[-*][ \t]*\[[xX]\][^\n]*" + re.escape(ACK_TAG), re.MULTILINE)


@dataclass(frozen=True, slots=True, order=True)
class Marker:
    """What one comment of forewarn's is about (``subject``) and at which ``level``."""

    subject: str
    level: Level = "info"

    def __post_init__(self) -> None:
        if not _SUBJECT_RE.match(self.subject) or self.level not in LEVELS:
            msg = f"not a marker: {self.subject!r} at level {self.level!r}"
            raise ValueError(msg)

    @classmethod
    def summary(cls, period: str) -> Marker:
        """The expectation summary of one period (``2026-W48``, ``2026-11-25``)."""
        return cls(f"summary.{period}")

    @classmethod
    def retrospective(cls, key: str) -> Marker:
        return cls(f"retro.{key}")

    @classmethod
    def parse(cls, text: str) -> Marker:
        """The inverse of ``str(marker)``; ValueError for anything else."""
        subject, sep, level = text.rpartition(":")
        if not sep or level not in LEVELS:
            msg = f"not a marker: {text!r}"
            raise ValueError(msg)
        return cls(subject, level)

    @classmethod
    def find(cls, body: str) -> Marker | None:
        """The marker hidden in a comment body, in either markup, or None."""
        match = _HTML_RE.search(body)
        text = match.group(1) if match else None
        if text is None:
            match = _JIRA_RE.search(body)
            text = match.group(1).replace("@", ":") if match else None
        if text is None:
            return None
        try:
            return cls.parse(text)
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.subject}:{self.level}"

    def tag(self, markup: Markup) -> str:
        """The hidden text that carries the marker in a body of this markup."""
        if markup == "jira":
            return "{anchor:forewarn-" + f"{self.subject}@{self.level}" + "}"
        return f"<!-- {_PREFIX}{self} -->"

    def stamp(self, body: str, markup: Markup) -> str:
        """The body carrying this marker: as it is when it does, else with the tag on its
        own last line (in front it would break a leading Jira ``h3.`` heading)."""
        tag = self.tag(markup)
        return body if tag in body else f"{body.rstrip()}\n{tag}"


def find_marker(body: str) -> str | None:
    """The marker of a body as the key records keep (``str(Marker)``), or None."""
    marker = Marker.find(body)
    return str(marker) if marker is not None else None


def is_acked(body: str) -> bool:
    """True when someone ticked the acknowledgement checkbox of an alert."""
    return bool(_ACK_RE.search(body))


def ack_checkbox(text: str, *, ticked: bool = False) -> str:
    """The checkbox line an alert carries on trackers with task lists."""
    return f"- [{'x' if ticked else ' '}] {text} {ACK_TAG}"
