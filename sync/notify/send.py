"""Carrying out a Notify: claim it in the ledger, send it, record how it ended.

Called by the one publisher (sync/publish.py), after the tracker's writes of the
cycle, so a channel never delays or blocks them. Notifications have their own
budget per cycle (``notify_budget``), not the tracker's write budget: they cost
no tracker request. A channel that failed once in a cycle (after its retries)
is skipped for the rest of it, with a warning; the next cycle tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sync.actions import EnrolChannel, Notify
from sync.notify.channels import Channels
from sync.store.notifications import NotificationLedger

log = logging.getLogger(__name__)

#: How a notification action ended, as ``/metrics`` counts it (``outcome`` label):
#: ``claimed`` means another replica (or an earlier run) had it already.
Result = Literal["sent", "failed", "unknown", "deferred", "claimed", "enrolled"]
#: Results after which the action is done (the others wait for a later cycle).
DONE: frozenset[str] = frozenset({"sent", "unknown", "claimed", "enrolled"})


@dataclass
class Notifier:
    """Sends one project's notifications within a cycle."""

    sender: Channels
    ledger: NotificationLedger
    project: str
    budget: int
    clock: Callable[[], datetime]
    sent: int = 0
    #: Channels that failed this cycle, and why: skipped for the rest of it.
    failing: dict[str, str] = field(default_factory=dict)

    def carry_out(self, action: Notify | EnrolChannel, *, stop: str | None) -> Result:
        now = self.clock()
        if isinstance(action, EnrolChannel):
            self.ledger.enrol(self.project, action.channel, action.keys, now=now)
            return "enrolled"
        if stop:
            return "deferred"
        if action.channel in self.failing:
            log.warning("%s: channel %s skipped for this cycle (%s): %s", self.project,
                        action.channel, self.failing[action.channel], action.describe())
            return "deferred"
        if self.sent >= self.budget:
            log.warning("%s: notification budget of %d reached; %s waits for the next cycle",
                        self.project, self.budget, action.describe())
            return "deferred"
        if not self.ledger.claim(self.project, action.channel, action.keys, kind=action.kind,
                                 now=now):
            log.info("%s: %s was claimed already (another replica, or before a restart); "
                     "not sending it again", self.project, action.describe())
            return "claimed"
        self.sent += 1
        delivery = self.sender.send(action.channel, subject=action.subject, body=action.body)
        self.ledger.settle(self.project, action.channel, action.keys, status=delivery.outcome,
                           now=self.clock(), error=delivery.detail or None,
                           payload=action.payload if delivery.outcome != "failed" else None)
        if delivery.outcome == "failed":
            self.failing[action.channel] = delivery.detail
            log.warning("%s: %s failed; tried again next cycle: %s", self.project,
                        action.describe(), delivery.detail)
        return delivery.outcome
