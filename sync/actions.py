"""The writes forewarn plans, and the Plan that holds them.

Every write to a tracker (an alert, its resolution, a label, a summary, a
retrospective) is one of these records, planned by ``sync/reconcile.py`` or
``sync/summary/plan.py`` and carried out by ``sync/publish.py`` alone: so a
dry run prints all of them, and the write budget, the rate-limit floor and a
stop request hold for all of them. Some actions only record what the tracker
already shows (``AdoptComment``, ``ForgetLabel``, ``RecordSummary``): they
cost no request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from connectors.markers import Marker
from connectors.model import PUBLIC, Visibility
from rules.base import Finding
from sync.store.state import FindingRecord

#: What a comment of forewarn's is: one per finding level, one per summary period,
#: one per closed milestone, one team digest per project (``alerts.to: digest``, or the
#: first cycle's backfill).
CommentKind = Literal["alert", "summary", "retro", "digest"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SummaryRecord:
    """A summary's content, recorded with its comment: the base of "what changed since"."""

    period: str
    payload: Mapping[str, Any] = field(hash=False, compare=False)


def _what(kind: CommentKind, marker: Marker, comment_id: str | None = None) -> str:
    """``comment 5``, ``summary 2026-W48 (comment 21)``: what a plan line is about."""
    if kind == "alert":
        return f"comment {comment_id}" if comment_id else "comment"
    name = "milestone retrospective"
    if kind == "summary":
        name = f"summary {marker.subject.removeprefix('summary.')}"
    elif kind == "digest":
        name = "team digest"
    return f"{name} (comment {comment_id})" if comment_id else name


@dataclass(frozen=True, slots=True, kw_only=True)
class _OnComment:
    """What every action on one of forewarn's comments names."""

    target: str
    marker: Marker
    kind: CommentKind
    #: What the body was rendered from (``sync.render.alert_key``); alerts only.
    input_hash: str = ""
    #: A summary's content, recorded once its comment is written.
    summary: SummaryRecord | None = None
    #: Who may read the comment: a restricted one is created and edited restricted.
    visibility: Visibility = PUBLIC

    @property
    def restricted(self) -> str:
        """`` (visible to role Developers)`` in a plan line, "" for a public comment."""
        return "" if self.visibility.is_public else f" (visible to {self.visibility})"


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateComment(_OnComment):
    body: str

    def describe(self) -> str:
        return f"{_what(self.kind, self.marker)} on {self.target} ({self.marker}){self.restricted}"


@dataclass(frozen=True, slots=True, kw_only=True)
class EditComment(_OnComment):
    comment_id: str
    body: str
    resolved: bool = False
    #: A summary whose comment someone deleted is posted again; an alert is not.
    repost_if_gone: bool = False

    def describe(self) -> str:
        verb = "resolve" if self.resolved else "edit"
        what = _what(self.kind, self.marker, self.comment_id)
        return f"{verb} {what} on {self.target} ({self.marker}){self.restricted}"


@dataclass(frozen=True, slots=True, kw_only=True)
class AdoptComment(_OnComment):
    """State-only: a comment of ours found by its marker is recorded, not posted again."""

    comment_id: str
    #: The body's hash when the tracker shows exactly what would be written, else "".
    body_hash: str = ""

    def describe(self) -> str:
        what = _what(self.kind, self.marker, self.comment_id)
        return f"adopt {what} on {self.target} ({self.marker})"


@dataclass(frozen=True, slots=True, kw_only=True)
class EnsureLabel:
    label: str
    color: str
    description: str

    def describe(self) -> str:
        return f"ensure label {self.label!r} exists"


@dataclass(frozen=True, slots=True, kw_only=True)
class _OnLabel:
    target: str
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AddLabel(_OnLabel):
    def describe(self) -> str:
        return f"add label {self.label!r} to {self.target}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveLabel(_OnLabel):
    def describe(self) -> str:
        return f"remove label {self.label!r} from {self.target}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ForgetLabel(_OnLabel):
    """State-only: a label forewarn added is already gone from the issue."""

    def describe(self) -> str:
        return f"forget label {self.label!r} on {self.target}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordSummary:
    """State-only: a summary posted nowhere (``summary.to: none``) is still recorded."""

    summary: SummaryRecord

    def describe(self) -> str:
        return f"record summary {self.summary.period}"


#: What a notification is: a finding's alert, a reminder before a deadline, the channel
#: digest, the period's expectation summary (sync/notify/).
NotifyKind = Literal["alert", "reminder", "digest", "summary"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Notify:
    """One message to a notification channel (an Apprise URL), sent at most once.

    ``key`` names it in the notification ledger; ``covers`` are further keys the
    same message stands for (earlier reminder points it replaces, alerts folded
    into one message), settled with it. ``payload`` is kept with the key (what a
    digest listed). Never counted against the tracker's write budget: channels
    have their own (``notify_budget``).
    """

    channel: str
    key: str
    kind: NotifyKind
    subject: str
    body: str
    covers: tuple[str, ...] = ()
    payload: Mapping[str, Any] | None = field(default=None, hash=False, compare=False)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *self.covers)

    def describe(self) -> str:
        return f"notify {self.channel}: {self.kind} {self.key} ({self.subject})"


@dataclass(frozen=True, slots=True, kw_only=True)
class EnrolChannel:
    """State-only: a channel's first cycle for a project records what is already open (it
    goes in the digest) instead of sending one message per finding."""

    channel: str
    keys: tuple[str, ...]

    def describe(self) -> str:
        return (f"enrol channel {self.channel} ({len(self.keys)} open alerts and reminders "
                "recorded, not sent: only what starts later is)")


Action = (
    CreateComment | EditComment | AdoptComment | EnsureLabel | AddLabel | RemoveLabel
    | ForgetLabel | RecordSummary | Notify | EnrolChannel
)
#: The actions that send a request to the tracker (the others only touch the state store).
WRITES = (CreateComment, EditComment, EnsureLabel, AddLabel, RemoveLabel)
COMMENTS = (CreateComment, EditComment, AdoptComment)
#: The actions that send a message to a notification channel (not the tracker).
SENDS = (Notify,)


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do, in order, and the findings to remember once it is done."""

    actions: tuple[Action, ...] = ()
    records: tuple[FindingRecord, ...] = ()
    #: Findings whose alert has nowhere to go (a milestone alert without a status issue
    #: in the tracker): never dropped silently, the run reports them and fails.
    undelivered: tuple[Finding, ...] = ()

    @property
    def writes(self) -> tuple[Action, ...]:
        return tuple(action for action in self.actions if isinstance(action, WRITES))

    @property
    def summary(self) -> tuple[Action, ...]:
        """The actions that put the period's summary and retrospectives in place."""
        return tuple(
            action for action in self.actions
            if isinstance(action, RecordSummary)
            or (isinstance(action, COMMENTS) and action.kind in ("summary", "retro"))
        )

    def __add__(self, other: Plan) -> Plan:
        return Plan(self.actions + other.actions, self.records + other.records,
                    self.undelivered + other.undelivered)
