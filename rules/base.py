"""Finding, Severity and the context every rule is evaluated in."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Literal

from connectors.immutable import immutable

if TYPE_CHECKING:
    from rules.calendar import BusinessCalendar

SubjectKind = Literal["issue", "milestone"]
#: A message: one text, or sentences each left out when a value it names is empty.
Text = str | tuple[str, ...]
#: A rule's ``MESSAGES``: cause (or ``cause.status``) -> language -> text, or, where the
#: client and the team read it differently, cause -> audience (``client``, ``team``) ->
#: language -> text. sync/render.py picks one; docs/rules.md says how texts are written.
Messages = Mapping[str, Mapping[str, "Text | Mapping[str, Text]"]]


class Severity(IntEnum):
    """Ordered so that an escalation is simply a higher value."""

    INFO = 10
    WARNING = 20
    CRITICAL = 30

    @property
    def label(self) -> str:
        return self.name.lower()


def make_fingerprint(rule_id: str, cause: str, subject: str, anchor: str = "") -> str:
    """Stable identity of a finding: rule id + subject + cause, never the message text.

    Hashed so that it fits in a marker whatever characters a subject key holds.
    """
    digest = hashlib.sha256(f"{rule_id}\x1f{cause}\x1f{subject}\x1f{anchor}".encode()).hexdigest()
    return f"{rule_id}.{digest[:16]}"


@immutable
class Finding:
    """One problem a rule sees now.

    ``cause`` names the message in the rule's ``MESSAGES`` catalogue and
    ``evidence`` fills it; ``comment`` says whether this level deserves an
    alert comment (a warning may be label-only); ``label`` is applied to the
    subject issue while the finding lasts. A ``team_only`` finding is written for
    the team alone: where the client reads the alerts (a public comment) it gets
    its label and no comment.
    """

    rule_id: str
    kind: str
    cause: str
    subject_kind: SubjectKind
    subject_key: str
    severity: Severity
    fingerprint: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None
    comment: bool = True
    acked: bool = False
    notify: tuple[str, ...] = ()
    team_only: bool = False


@dataclass(frozen=True, slots=True)
class DueDateSeen:
    """A milestone due date as forewarn observed it (no tracker keeps this history)."""

    seen_at: datetime
    due_on: date | None


@dataclass(frozen=True, slots=True)
class History:
    """What the state store remembers that the tracker does not."""

    due_dates: Mapping[str, tuple[DueDateSeen, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a rule may know besides the snapshot: the clock is passed in, never read."""

    now: datetime
    calendar: BusinessCalendar
    history: History = field(default_factory=History)
    seed: int = 0
    #: The issue the project's summaries and milestone alerts go to (``cadence`` watches it).
    status_issue: str | None = None
    #: Client organisation -> the patterns of its people (the project's ``clients`` mapping).
    organisations: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: Client organisation -> the calendar its waits are counted in (``client_calendars``).
    client_calendars: Mapping[str, BusinessCalendar] = field(default_factory=dict)
    #: What rules derive from the snapshot under evaluation and share (rules/threads.py):
    #: read once per context, not part of its identity.
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def calendar_of(self, organisation: str | None) -> BusinessCalendar:
        """The calendar of a client organisation, else the project's."""
        if organisation is None:
            return self.calendar
        return self.client_calendars.get(organisation, self.calendar)
