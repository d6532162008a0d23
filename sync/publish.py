"""Carries out a Plan: the one place where forewarn writes to a tracker.

Dry-run writes nothing and saves nothing. Otherwise each write is followed
at once by its record in the state store; a write budget caps one cycle, and
a tracker that says its rate limit is low (or keeps failing) stops the
writing: what is left is planned again next cycle, nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from connectors.base import Connector
from connectors.errors import RetriableError, TrackerError
from connectors.markers import find_marker
from connectors.model import EXCERPT_CHARS, Comment
from sync.reconcile import (
    WRITES,
    Action,
    AddLabel,
    AdoptComment,
    CreateComment,
    EditComment,
    EnsureLabel,
    ForgetLabel,
    Plan,
    RemoveLabel,
)
from sync.render import body_hash
from sync.store.state import StateStore

log = logging.getLogger(__name__)
#: Below this many requests left in the tracker's rate limit, forewarn stops writing.
RATE_LIMIT_FLOOR = 100


@dataclass
class Outcome:
    done: list[Action] = field(default_factory=list)
    deferred: list[Action] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)
    stopped: str | None = None
    added_labels: list[tuple[str, str]] = field(default_factory=list)
    removed_labels: list[tuple[str, str]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return sum(isinstance(action, WRITES) for action in self.done)

    @property
    def budgeted(self) -> int:
        """Writes that count against the budget: creating a missing label does not, or a
        small budget would spend itself on the same label every cycle."""
        return sum(isinstance(action, WRITES) and not isinstance(action, EnsureLabel)
                   for action in self.done)


class Publisher:
    def __init__(
        self, connector: Connector, store: StateStore, project: str, *, budget: int,
        clock: Callable[[], datetime], me: str, stop: Callable[[], str | None] | None = None,
    ) -> None:
        self.connector = connector
        self.store = store
        self.project = project
        self.budget = budget
        self.clock = clock
        self.me = me
        #: Asked before each write; a reason (daemon shutting down, lease lost) stops the
        #: writing there: the write in flight has finished and been recorded, the rest waits.
        self.stop = stop

    def execute(self, plan: Plan) -> Outcome:
        outcome = Outcome()
        for action in plan.actions:
            if outcome.stopped:
                outcome.deferred.append(action)
                continue
            if isinstance(action, WRITES):
                reason = self._why_stop(outcome)
                if reason:
                    outcome.stopped = reason
                    outcome.deferred.append(action)
                    log.warning("%s: stopped writing: %s", self.project, reason)
                    continue
            try:
                self._apply(action, outcome)
            except RetriableError as error:
                outcome.stopped = f"{error}"
                outcome.deferred.append(action)
                log.warning("%s: stopped writing: %s", self.project, error)
                continue
            except TrackerError as error:
                outcome.failed.append((action, str(error)))
                log.error("%s: %s failed: %s", self.project, action.describe(), error)
                continue
            outcome.done.append(action)
        return outcome

    def _why_stop(self, outcome: Outcome) -> str | None:
        reason = self.stop() if self.stop is not None else None
        if reason:
            return reason
        if outcome.budgeted >= self.budget:
            return f"write budget of {self.budget} reached; the rest waits for the next cycle"
        remaining = getattr(self.connector, "rate_limit_remaining", None)
        if isinstance(remaining, int) and remaining < RATE_LIMIT_FLOOR:
            return f"tracker rate limit low ({remaining} requests left)"
        return None

    def _apply(self, action: Action, outcome: Outcome) -> None:
        now = self.clock()
        if isinstance(action, EnsureLabel):
            self.connector.ensure_label(action.label, color=action.color,
                                        description=action.description)
        elif isinstance(action, CreateComment):
            comment_id = self.connector.create_comment(action.target, action.body,
                                                       marker=action.marker)
            self.store.record_comment(
                self.project, marker=action.marker, fingerprint=action.fingerprint,
                target=action.target, comment_id=comment_id, body_hash=body_hash(action.body),
                now=now, input_hash=action.input_hash,
            )
            outcome.comments.append(self._ours(comment_id, action.target, action.body, now))
        elif isinstance(action, EditComment):
            self.connector.edit_comment(action.target, action.comment_id, action.body)
            self.store.update_comment(self.project, marker=action.marker,
                                      body_hash=body_hash(action.body), resolved=action.resolved,
                                      now=now, input_hash=action.input_hash)
            outcome.comments.append(self._ours(action.comment_id, action.target, action.body, now))
        elif isinstance(action, AdoptComment):
            log.info("%s: found comment %s by its marker; not posting it again",
                     self.project, action.comment_id)
            self.store.record_comment(
                self.project, marker=action.marker, fingerprint=action.fingerprint,
                target=action.target, comment_id=action.comment_id, body_hash=action.body_hash,
                now=now, input_hash=action.input_hash,
            )
        elif isinstance(action, AddLabel):
            self.connector.add_labels(action.target, [action.label])
            self.store.record_label(self.project, action.target, action.label, now)
            outcome.added_labels.append((action.target, action.label))
        elif isinstance(action, RemoveLabel):
            self.connector.remove_label(action.target, action.label)
            self.store.forget_label(self.project, action.target, action.label)
            outcome.removed_labels.append((action.target, action.label))
        elif isinstance(action, ForgetLabel):
            self.store.forget_label(self.project, action.target, action.label)

    def _ours(self, comment_id: str, target: str, body: str, now: datetime) -> Comment:
        return Comment(
            id=comment_id, issue_key=target, author=self.me, created_at=now, updated_at=now,
            body_excerpt=body[:EXCERPT_CHARS], is_ours=True, marker=find_marker(body),
        )
