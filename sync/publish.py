"""Carries out a Plan: the one place where forewarn writes to a tracker.

Every write, alerts and summaries alike, passes here. Dry-run writes nothing
and saves nothing (the caller prints the plan instead). Otherwise each write
is followed at once by its record in the state store; a write budget caps one
cycle, and a stop request (the daemon shutting down, a lost lease), a tracker
whose quota runs low or one that keeps failing stops the writing: what is
left is planned again next cycle, nothing is lost.

Under a lease (``lease``: the daemon's tasks and ``run --once`` hold one), the
lease is confirmed right before each tracker write and its fence checked in
the transaction that records it (``sync/store/lease.py``): a process paused
past its lease, whose project another took over meanwhile, writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime

from connectors.base import Connector
from connectors.errors import CommentGone, RetriableError, TrackerError
from connectors.model import EXCERPT_CHARS, Comment
from sync.actions import (
    SENDS,
    WRITES,
    Action,
    AddLabel,
    AdoptComment,
    CreateComment,
    EditComment,
    EnrolChannel,
    EnsureLabel,
    ForgetLabel,
    Notify,
    Plan,
    RecordSummary,
    RemoveLabel,
    SummaryRecord,
)
from sync.notify.send import DONE, Notifier
from sync.render import body_hash
from sync.store.errors import LeaseLost
from sync.store.lease import Holding, Lease
from sync.store.state import GONE, CommentRecord, StateStore

log = logging.getLogger(__name__)
#: Below this many requests left in the tracker's quota, forewarn stops writing (reads
#: go on, so the next cycle can still see what changed).
RATE_LIMIT_FLOOR = 100
#: Told ``(done, planned)`` tracker writes: (0, planned) before the first, then after each.
WriteProgress = Callable[[int, int], None]


@dataclass
class Outcome:
    """What ``Publisher.execute`` did with each action of a plan."""

    done: list[Action] = field(default_factory=list)
    deferred: list[Action] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)
    #: Edits of alert comments someone deleted: recorded as deleted, never tried again.
    gone: list[Action] = field(default_factory=list)
    stopped: str | None = None
    #: The writing stopped because another process took the project over: what this
    #: cycle saw must not be saved over what that process saved.
    lease_lost: bool = False
    added_labels: list[tuple[str, str]] = field(default_factory=list)
    removed_labels: list[tuple[str, str]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    #: (channel, result) of each notification action (sync/notify/send.py).
    notifications: list[tuple[str, str]] = field(default_factory=list)

    @property
    def writes(self) -> tuple[Action, ...]:
        """The tracker writes made (``Plan.writes`` are the ones planned)."""
        return tuple(action for action in self.done if isinstance(action, WRITES))

    @property
    def budgeted(self) -> int:
        """Writes that count against the budget: creating a missing label does not, or a
        small budget would spend itself on the same label every cycle."""
        return sum(isinstance(action, WRITES) and not isinstance(action, EnsureLabel)
                   for action in self.done)


@dataclass(eq=False)
class Publisher:
    """Executes plans for one project against its connector, recording as it goes."""

    connector: Connector
    store: StateStore
    project: str
    _: KW_ONLY
    budget: int
    clock: Callable[[], datetime]
    me: str
    #: Asked before each write; a reason (daemon shutting down, lease lost) stops the
    #: writing there: the write in flight has finished and been recorded, the rest waits.
    stop: Callable[[], str | None] | None = None
    floor: int = RATE_LIMIT_FLOOR
    progress: WriteProgress | None = None
    #: Sends the plan's notifications (None: the project names no channel).
    notifier: Notifier | None = None
    #: The project's lease: confirmed before each write, its fence checked by each record.
    lease: Holding | None = None

    @property
    def _fence(self) -> Lease | None:
        return self.lease.lease if self.lease is not None else None

    def execute(self, plan: Plan) -> Outcome:
        outcome = Outcome()
        planned = len(plan.writes)
        if self.progress is not None and planned:
            self.progress(0, planned)
        # State only, and about labels no other action of the plan touches: forgotten
        # together at the end, one transaction.
        forgets: list[ForgetLabel] = []
        for action in plan.actions:
            if isinstance(action, ForgetLabel) and not outcome.stopped:
                forgets.append(action)
                continue
            if isinstance(action, (*SENDS, EnrolChannel)):
                # Not held up by the tracker's budget or quota, only by a stop request.
                self._notify(action, outcome)
                continue
            if not outcome.stopped and isinstance(action, WRITES):
                outcome.stopped = self._why_stop(outcome)
                if outcome.stopped:
                    log.warning("%s: stopped writing: %s", self.project, outcome.stopped)
            if outcome.stopped:
                outcome.deferred.append(action)
                continue
            if self._attempt(action, outcome):
                outcome.done.append(action)
                if self.progress is not None and isinstance(action, WRITES):
                    self.progress(len(outcome.writes), planned)
        self._forget(forgets, outcome)
        return outcome

    def _forget(self, forgets: list[ForgetLabel], outcome: Outcome) -> None:
        """Labels no longer forewarn's (a person took them over, or they are gone), forgotten
        together; emptied."""
        if not forgets:
            return
        try:
            self.store.forget_labels(self.project, [(a.target, a.label) for a in forgets],
                                     fence=self._fence)
        except LeaseLost as error:
            self._lease_lost(error, forgets, outcome)
        else:
            outcome.done.extend(forgets)
        forgets.clear()

    def _lease_lost(self, error: LeaseLost, actions: Sequence[Action],
                    outcome: Outcome) -> None:
        """Another process took the project over: no more writes, these wait."""
        outcome.stopped, outcome.lease_lost = str(error), True
        outcome.deferred.extend(actions)
        log.warning("%s: stopped writing: %s", self.project, error)

    def _attempt(self, action: Action, outcome: Outcome) -> bool:
        """Carry out one action; False when it was not done (each way it can fail is put
        where it belongs in ``outcome``)."""
        try:
            self._apply(action, outcome)
        except LeaseLost as error:
            # The write (if any) was made but not recorded: whoever holds the project
            # now finds it by its marker.
            self._lease_lost(error, [action], outcome)
        except CommentGone as error:
            if isinstance(action, EditComment):  # only an edit meets a deleted comment
                self._gone(action, error)
                outcome.gone.append(action)
            else:
                outcome.failed.append((action, str(error)))
        except RetriableError as error:
            outcome.stopped = f"{error}"
            outcome.deferred.append(action)
            log.warning("%s: stopped writing: %s", self.project, error)
        except TrackerError as error:
            outcome.failed.append((action, str(error)))
            log.error("%s: %s failed: %s", self.project, action.describe(), error)
        else:
            return True
        return False

    def _notify(self, action: Notify | EnrolChannel, outcome: Outcome) -> None:
        if self.notifier is None:
            outcome.deferred.append(action)
            return
        result = self.notifier.carry_out(action, stop=self.stop() if self.stop else None)
        outcome.notifications.append((action.channel, result))
        (outcome.done if result in DONE else outcome.deferred).append(action)

    def _why_stop(self, outcome: Outcome) -> str | None:
        reason = self.stop() if self.stop is not None else None
        if reason:
            return reason
        if outcome.budgeted >= self.budget:
            return f"write budget of {self.budget} reached; the rest waits for the next cycle"
        quota = self.connector.rate_limit
        if quota is not None and quota.remaining < self.floor:
            when = f"; it resets at {quota.resets_at:%H:%M} UTC" if quota.resets_at else ""
            return f"tracker rate limit low ({quota.remaining} requests left{when})"
        if self.lease is not None:  # last: as close to the write as can be
            reason = self.lease.confirm()
            outcome.lease_lost = self.lease.lost is not None
            return reason
        return None

    def _apply(self, action: Action, outcome: Outcome) -> None:
        now = self.clock()
        if isinstance(action, CreateComment | EditComment | AdoptComment):
            self._comment(action, outcome, now)
        elif isinstance(action, EnsureLabel):
            self.connector.ensure_label(action.label, color=action.color,
                                        description=action.description)
        elif isinstance(action, AddLabel):
            self.connector.add_labels(action.target, [action.label])
            self.store.record_label(self.project, action.target, action.label, now,
                                    fence=self._fence)
            outcome.added_labels.append((action.target, action.label))
        elif isinstance(action, RemoveLabel):
            self.connector.remove_label(action.target, action.label)
            self.store.forget_label(self.project, action.target, action.label,
                                    fence=self._fence)
            outcome.removed_labels.append((action.target, action.label))
        elif isinstance(action, RecordSummary):
            self._record_summary(action.summary, now)

    def _comment(
        self, action: CreateComment | EditComment | AdoptComment, outcome: Outcome,
        now: datetime,
    ) -> None:
        if isinstance(action, AdoptComment):
            log.info("%s: found comment %s by its marker; not posting it again",
                     self.project, action.comment_id)
            comment_id, digest, resolved = action.comment_id, action.body_hash, False
        elif isinstance(action, CreateComment):
            comment_id = self.connector.create_comment(action.target, action.body,
                                                       marker=action.marker,
                                                       visibility=action.visibility)
            digest, resolved = body_hash(action.body), False
        else:
            comment_id = self._edit(action)
            digest, resolved = body_hash(action.body), action.resolved
        if isinstance(action, EditComment) and comment_id == action.comment_id:
            self.store.update_comment(self.project, marker=action.marker, body_hash=digest,
                                      resolved=resolved, now=now,
                                      input_hash=action.input_hash or None, fence=self._fence)
        else:
            self.store.record_comment(self.project, CommentRecord(
                marker=action.marker, kind=action.kind, target=action.target,
                comment_id=comment_id, body_hash=digest, resolved=resolved,
                input_hash=action.input_hash or None,
            ), now=now, fence=self._fence)
        if action.summary is not None:
            self._record_summary(action.summary, now)
        if not isinstance(action, AdoptComment):
            outcome.comments.append(Comment(
                id=comment_id, issue_key=action.target, author=self.me, created_at=now,
                updated_at=now, body_excerpt=action.body[:EXCERPT_CHARS], is_ours=True,
                marker=str(action.marker), visibility=action.visibility,
            ))

    def _edit(self, action: EditComment) -> str:
        """Edit in place; a summary whose comment someone deleted is posted again."""
        try:
            self.connector.edit_comment(action.target, action.comment_id, action.body,
                                        visibility=action.visibility)
        except RetriableError:
            raise
        except TrackerError:
            if not action.repost_if_gone:
                raise
            if self.connector.find_comment(action.target, action.marker) is not None:
                raise
            log.warning("%s: comment %s on %s is gone; posting it again", self.project,
                        action.comment_id, action.target)
            return self.connector.create_comment(action.target, action.body,
                                                 marker=action.marker,
                                                 visibility=action.visibility)
        return action.comment_id

    def _gone(self, action: EditComment, error: CommentGone) -> None:
        """An alert someone deleted: noted once, and never edited (or posted) again at its
        level; an escalation of its finding is a new comment (``sync/reconcile.py``)."""
        log.warning("%s: comment %s on %s was deleted in the tracker; it is left deleted (a "
                    "new comment comes only if its finding escalates)", self.project,
                    action.comment_id, action.target)
        log.debug("%s: %s", self.project, error)
        self.store.update_comment(self.project, marker=action.marker, body_hash=GONE,
                                  resolved=action.resolved, now=self.clock(), fence=self._fence)

    def _record_summary(self, summary: SummaryRecord, now: datetime) -> None:
        self.store.record_summary(self.project, summary.period, payload=summary.payload,
                                  now=now, fence=self._fence)
