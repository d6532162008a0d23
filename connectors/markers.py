"""The hidden marker that lets forewarn find its own comments again.

A comment is forewarn's only when its author is forewarn's own account AND it
carries a marker: anyone can paste a marker, nobody can fake the author.

A marker names what the comment is about (a finding's fingerprint, or the
summary of a period), its level, so that an escalation (a new comment) never
collides with the first alert, and its occurrence: a finding that ended and
comes back long after is a new comment with a marker of its own
(``…:critical:2``), so that a lost response is never answered by the old
comment. It is built, parsed and written into a body here and nowhere else:
``Marker(subject, level, occurrence)``, ``str(marker)`` is the key the state
store keeps (``scope.1a2b3c4d5e6f7a8b:critical``; ``…:critical:2`` from the
second occurrence), ``marker.tag(markup)`` the hidden text in a body,
``Marker.find(body)`` reads it back from either markup. A resolved alert also
carries ``RESOLVED_TAGS``, so that the tracker alone tells it from an open one.
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
_PARSE_RE = re.compile(r"^([A-Za-z0-9_.-]{1,180}):(info|warning|critical)(?::([1-9][0-9]{0,5}))?$")
MAX_OCCURRENCE = 999_999
# The acknowledgement checkbox carries its own hidden tag so that its visible
# text can be translated. (GitHub task lists; Jira has none: ack by label there.)
ACK_TAG = "<!-- forewarn-ack -->"
#: What a resolved alert carries beside its marker (no marker pattern matches them).
RESOLVED_TAGS: dict[Markup, str] = {"markdown": "<!-- forewarn-resolved -->",
                                    "jira": "{anchor:forewarn_resolved}"}
_ACK_RE = re.compile(r"^[ \t]*[-*][ \t]*\[[xX]\][^\n]*" + re.escape(ACK_TAG), re.MULTILINE)


@dataclass(frozen=True, slots=True, order=True)
class Marker:
    """What one comment of forewarn's is about (``subject``) and at which ``level``."""

    subject: str
    level: Level = "info"
    #: 1 for a finding's first comment at this level, 2 for the next, once it came back.
    occurrence: int = 1

    def __post_init__(self) -> None:
        if (not _SUBJECT_RE.match(self.subject) or self.level not in LEVELS
                or not 1 <= self.occurrence <= MAX_OCCURRENCE):
            msg = f"not a marker: {self.subject!r} at level {self.level!r}"
            raise ValueError(msg)

    def next(self) -> Marker:
        """The marker of the finding's next occurrence at this level."""
        return Marker(self.subject, self.level, self.occurrence + 1)

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
        match = _PARSE_RE.match(text)
        if match is None:
            msg = f"not a marker: {text!r}"
            raise ValueError(msg)
        subject, level, occurrence = match.groups()
        return cls(subject, level, int(occurrence) if occurrence else 1)  # type: ignore[arg-type]

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
        if self.occurrence == 1:  # as every marker was before occurrences
            return f"{self.subject}:{self.level}"
        return f"{self.subject}:{self.level}:{self.occurrence}"

    def tag(self, markup: Markup) -> str:
        """The hidden text that carries the marker in a body of this markup."""
        if markup == "jira":
            return "{anchor:forewarn-" + str(self).replace(":", "@") + "}"
        return f"<!-- {_PREFIX}{self} -->"

    def stamp(self, body: str, markup: Markup) -> str:
        """The body carrying this marker: as it is when it does, else with the tag on its
        own last line (in front it would break a leading Jira ``h3.`` heading)."""
        tag = self.tag(markup)
        return body if tag in body else f"{body.rstrip()}\n{tag}"


def is_subject(text: str) -> bool:
    """Whether a marker can be about ``text``: a check without building the marker, for
    code that needs one only for some of the subjects it sees."""
    return _SUBJECT_RE.match(text) is not None


def find_marker(body: str) -> str | None:
    """The marker of a body as the key records keep (``str(Marker)``), or None."""
    marker = Marker.find(body)
    return str(marker) if marker is not None else None


def is_resolved(body: str) -> bool:
    """True when a comment of forewarn's is a resolved alert (the tag is on its first line,
    so an excerpt of the body tells it too)."""
    return any(tag in body for tag in RESOLVED_TAGS.values())


def is_acked(body: str) -> bool:
    """True when someone ticked the acknowledgement checkbox of an alert."""
    return bool(_ACK_RE.search(body))


def ack_checkbox(text: str, *, ticked: bool = False) -> str:
    """The checkbox line an alert carries on trackers with task lists."""
    return f"- [{'x' if ticked else ' '}] {text} {ACK_TAG}"
