"""Leases: one replica at a time works on a project, so two daemons never double a comment.

A lease is a row of the ``leases`` table (migration 0002): the project, its
holder, an expiry and a *fence*, a number that grows by one with every grant.
Taking a lease is one transaction that works the same on SQLite and
PostgreSQL: read the row (``SELECT … FOR UPDATE`` on PostgreSQL), and

* no row: insert one (a replica that inserts first wins; the other gets an
  IntegrityError and simply waits for its next tick);
* a row held by someone else that has not expired: refused;
* otherwise (ours, or expired): update it, on the condition that its fence is
  still the one read (compare-and-set, which SQLite needs: it has no row locks).

The holder renews the lease while its cycle runs (the daemon does so from its
main loop, every third of the time to live) and releases it when the cycle
ends by moving the expiry to now; the row stays, so the next grant can tell
whether another replica held the project in between (``Lease.continued``):
then the connector's in-memory memo is stale and the daemon reloads it from
the state store.

A replica that dies holding a lease blocks the project until the lease
expires (``--lease-ttl``, 60 s by default); one restarted with the same
holder id (the default is ``HOSTNAME:PID``, and a container's PID is always 1)
takes it back at once. Expiry compares the replicas' own clocks: keep them in
NTP sync, well within the time to live.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from sync.store.state import StateStore, leases

log = logging.getLogger(__name__)
DEFAULT_TTL = timedelta(seconds=60)


def default_holder() -> str:
    """``HOSTNAME:PID``: distinct for two processes on one machine, stable in a container."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Lease:
    project: str
    holder: str
    fence: int
    expires_at: datetime
    #: False when another holder had the project since our previous lease (or we never had it).
    continued: bool


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a lease was not granted: who holds it, until when (None when a race was lost)."""

    holder: str | None
    expires_at: datetime | None

    def __str__(self) -> str:
        if self.holder is None:
            return "another replica took the lease at the same moment"
        return f"held by {self.holder} until {self.expires_at:%Y-%m-%d %H:%M:%S %Z}"


def acquire(
    store: StateStore, project: str, holder: str, *, ttl: timedelta, now: datetime,
    last_fence: int | None = None,
) -> Lease | Refusal:
    """Take the project's lease for ``ttl``; ``last_fence`` is the fence of our previous lease."""
    expires = now + ttl
    try:
        with store.transaction() as connection:
            query = select(leases).where(leases.c.project == project)
            if connection.dialect.name == "postgresql":
                query = query.with_for_update()
            row = connection.execute(query).first()
            if row is None:
                connection.execute(insert(leases).values(
                    project=project, holder=holder, fence=1, acquired_at=now, expires_at=expires))
                return Lease(project, holder, 1, expires, continued=False)
            until = _aware(row.expires_at)
            if row.holder != holder and until > now:
                return Refusal(row.holder, until)
            done = connection.execute(
                update(leases)
                .where(leases.c.project == project, leases.c.fence == row.fence)
                .values(holder=holder, fence=row.fence + 1, acquired_at=now, expires_at=expires)
            )
            if done.rowcount != 1:
                return Refusal(None, None)
    except IntegrityError:  # two replicas inserted the first row at once; the other won
        return Refusal(None, None)
    except OperationalError as error:  # SQLite: another writer held the database too long
        if store.engine.dialect.name != "sqlite":
            raise
        log.debug("%s: lease not taken: %s", project, error)
        return Refusal(None, None)
    continued = row.holder == holder and last_fence is not None and row.fence == last_fence
    return Lease(project, holder, row.fence + 1, expires, continued=continued)


def renew(store: StateStore, lease: Lease, *, ttl: timedelta, now: datetime) -> Lease | None:
    """Extend a lease we hold; None when it is no longer ours (it expired and was taken)."""
    expires = now + ttl
    with store.transaction() as connection:
        done = connection.execute(
            update(leases)
            .where(leases.c.project == lease.project, leases.c.holder == lease.holder,
                   leases.c.fence == lease.fence)
            .values(expires_at=expires)
        )
    if done.rowcount != 1:
        return None
    return Lease(lease.project, lease.holder, lease.fence, expires, lease.continued)


def release(store: StateStore, lease: Lease, *, now: datetime) -> None:
    """Let another replica take the project at once; the row (holder, fence) stays."""
    with store.transaction() as connection:
        connection.execute(
            update(leases)
            .where(leases.c.project == lease.project, leases.c.holder == lease.holder,
                   leases.c.fence == lease.fence)
            .values(expires_at=now)
        )


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
