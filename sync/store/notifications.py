"""The notification ledger: one row per (project, channel, key), so a message goes out once.

A comment can be found again by its marker after a crash; a chat message or an
e-mail cannot. So a notification is *claimed* before it is sent (a row with
status ``intent``, inserted in one transaction with every key the message
stands for) and *settled* after (``sent``, ``failed`` or ``unknown``). A second
replica, or the same one after a restart, finds the claim and sends nothing:

* ``intent`` left behind (the process died between the claim and the result)
  and ``unknown`` (the channel did not answer in time: the message may have
  arrived) are never sent again: delivery is **at most once** where the outcome
  is not known;
* ``failed`` (the channel refused it, every retry included) may be claimed
  again by a later cycle, while the message still matters;
* ``baseline`` marks what was already open when a channel was first used for a
  project (it is listed in the digest, not sent one by one).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from sync.store.state import StateStore, _aware
from sync.store.tables import notifications

Status = Literal["intent", "sent", "failed", "unknown", "baseline"]
#: Statuses after which a key is never sent again.
SETTLED: frozenset[str] = frozenset({"intent", "sent", "unknown", "baseline"})
#: The key that says a channel was enrolled for a project (its first cycle with it).
ENROLLED = "enrolled"
#: An error kept with a row is cut to this many characters.
ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class SentRecord:
    channel: str
    key: str
    kind: str
    status: str
    attempts: int
    updated_at: datetime
    payload: Mapping[str, Any] | None = None

    @property
    def settled(self) -> bool:
        return self.status in SETTLED


class NotificationLedger:
    """The ``notifications`` table of one state store; each method is one transaction."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def records(self, project: str) -> dict[tuple[str, str], SentRecord]:
        """(channel, key) -> its row, for the planner."""
        with self.store.engine.connect() as connection:
            rows = connection.execute(
                select(notifications).where(notifications.c.project == project))
            return {(row.channel, row.key): _record(row) for row in rows}

    def claim(
        self, project: str, channel: str, keys: Sequence[str], *, kind: str, now: datetime,
    ) -> bool:
        """Mark ``keys`` as being sent, all or none; False when any is claimed or settled
        already (by another replica, or before a restart)."""
        table = notifications
        try:
            with self.store.transaction() as connection:
                for key in keys:
                    where = and_(table.c.project == project, table.c.channel == channel,
                                 table.c.key == key)
                    retried = connection.execute(
                        update(table).where(where, table.c.status == "failed").values(
                            status="intent", attempts=table.c.attempts + 1, updated_at=now,
                            error=None))
                    if retried.rowcount == 0:
                        connection.execute(insert(table).values(
                            project=project, channel=channel, key=key, kind=kind,
                            status="intent", attempts=1, created_at=now, updated_at=now))
        except IntegrityError:
            return False
        return True

    def settle(
        self, project: str, channel: str, keys: Sequence[str], *, status: Status,
        now: datetime, error: str | None = None, payload: Mapping[str, Any] | None = None,
    ) -> None:
        """Record how a claimed message ended; ``payload`` goes with its first key."""
        table = notifications
        with self.store.transaction() as connection:
            for position, key in enumerate(keys):
                values: dict[str, Any] = {"status": status, "updated_at": now,
                                          "error": (error or "")[:ERROR_CHARS] or None}
                if position == 0 and payload is not None:
                    values["payload"] = json.dumps(payload, sort_keys=True, default=str)
                connection.execute(update(table).where(
                    table.c.project == project, table.c.channel == channel, table.c.key == key,
                ).values(**values))

    def enrol(self, project: str, channel: str, keys: Iterable[str], *, now: datetime) -> None:
        """Record what is open when a channel starts for a project: listed, never sent."""
        table = notifications
        wanted = list(dict.fromkeys([ENROLLED, *keys]))
        with self.store.transaction() as connection:
            present = set(connection.execute(select(table.c.key).where(
                table.c.project == project, table.c.channel == channel,
                table.c.key.in_(wanted))).scalars())
            rows = [{"project": project, "channel": channel, "key": key, "kind": "baseline",
                     "status": "baseline", "attempts": 0, "created_at": now,
                     "updated_at": now} for key in wanted if key not in present]
            if rows:
                connection.execute(insert(table), rows)


def _record(row: Any) -> SentRecord:
    updated = _aware(row.updated_at)
    assert updated is not None
    return SentRecord(channel=row.channel, key=row.key, kind=row.kind, status=row.status,
                      attempts=row.attempts, updated_at=updated,
                      payload=json.loads(row.payload) if row.payload else None)
