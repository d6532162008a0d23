"""Leases: one process at a time works on a project, so two never double a comment.

A lease is a row of the ``leases`` table (migration 0002): the project, its
holder, an expiry and a *fence*, a number that grows by one with every grant.
Taking a lease is one transaction that works the same on SQLite and
PostgreSQL: read the row (``SELECT … FOR UPDATE`` on PostgreSQL), and

* no row: insert one (a process that inserts first wins; the other gets an
  IntegrityError and is refused);
* a row held by someone else that has not expired: refused;
* otherwise (ours, or expired): update it, on the condition that its fence and
  expiry are still the ones read (compare-and-set, which SQLite needs: it has
  no row locks, and a renewal in between must make the take-over fail).

Every process that writes holds the project's lease: each daemon task and
each ``run --once`` (``Holding``). The holder renews it while its cycle runs
(every third of the time to live), and releases it when the cycle ends by
moving the expiry to now; the row stays, so the next grant can tell whether
another process held the project in between (``Lease.continued``): then the
connector's in-memory memo is stale and the daemon reloads it from the state
store.

**Fencing.** A process can be paused for longer than its lease (SIGSTOP, a
VM migration, a long garbage collection) while another takes the project
over. So the lease is checked at each write, not only between cycles: the
publisher confirms it (and extends it) right before each tracker write
(``Holding.confirm``), and the state store checks, in the very transaction
that records a write, that the fence is still ours (``StateStore`` methods'
``fence``). A paused process that resumes after a take-over writes nothing.

A holder is unique per process start: the replica's readable name
(``--replica-id``, default ``HOSTNAME:PID``) and a random token, so two
containers with one host name and PID 1 never share a lease. A process that
dies holding a lease blocks the project until the lease expires
(``--lease-ttl``, 60 s by default). Expiry compares the processes' own
clocks: keep them in NTP sync, well within the time to live.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from sync.store.errors import describe_failure
from sync.store.state import StateStore, leases

log = logging.getLogger(__name__)
DEFAULT_TTL = timedelta(seconds=60)
#: How long taking a lease waits for a row another transaction holds (PostgreSQL; SQLite
#: waits its busy timeout, as long).
LOCK_WAIT_MS = 5000
LOCK_NOT_AVAILABLE = "55P03"
#: Why a holder must stop writing once another process took its project over.
TAKEN_OVER = "another process took this project over (its lease ran out)"
#: The longest readable part of a holder (the column holds 200 characters).
MAX_NAME = 150


def default_holder() -> str:
    """``HOSTNAME:PID``: the readable part of a holder (the same for two containers on
    host networking, PID 1 each: ``holder_id`` adds what tells them apart)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_id(name: str | None = None) -> str:
    """This process start's holder: ``NAME/token`` (``build-7:4121/9f3c21ab``), the name
    ``--replica-id`` or ``default_holder()``, the token random: unique even when two
    processes are given, or default to, one name."""
    return f"{(name or default_holder())[:MAX_NAME]}/{secrets.token_hex(4)}"


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
            return "being taken by another process at this very moment"
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
                # As SQLite's busy timeout: a holder stopped in the middle of a transaction
                # on this row must not block us for good (we are refused, and try later).
                connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'"))
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
                .where(leases.c.project == project, leases.c.fence == row.fence,
                       leases.c.expires_at == row.expires_at)
                .values(holder=holder, fence=row.fence + 1, acquired_at=now, expires_at=expires)
            )
            if done.rowcount != 1:
                return Refusal(None, None)
    except IntegrityError:  # two replicas inserted the first row at once; the other won
        return Refusal(None, None)
    except OperationalError as error:  # another writer held the database or the row too long
        busy = getattr(getattr(error, "orig", None), "sqlstate", None) == LOCK_NOT_AVAILABLE
        if store.engine.dialect.name != "sqlite" and not busy:
            raise
        log.debug("%s: lease not taken: %s", project, describe_failure(error))
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


class Holding:
    """A lease this process holds while it works on a project.

    Renewed every third of its time to live (``renew_if_due``: the daemon's main
    loop, or ``keep`` for ``run --once``), confirmed right before each write
    (``confirm``: the publisher) and its fence checked by the state store in the
    transaction that records the write (pass ``lease``). Once lost, it stays lost:
    ``lost`` says why, and the writes stop.
    """

    def __init__(self, store: StateStore, lease: Lease, *, ttl: timedelta,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.lease = lease
        self.ttl = ttl
        self.clock = clock
        self.renewed = time.monotonic()
        self.lost: str | None = None
        self._lock = threading.Lock()

    @property
    def project(self) -> str:
        return self.lease.project

    def confirm(self) -> str | None:
        """Before a write: extend the lease, or say why this process must not write now."""
        with self._lock:
            if self.lost:
                return self.lost
            try:
                renewed = renew(self.store, self.lease, ttl=self.ttl, now=self.clock())
            except Exception as error:  # the database is away: no write it cannot record
                return f"cannot confirm the lease on this project: {describe_failure(error)}"
            if renewed is None:
                return self._lose(TAKEN_OVER)
            self.lease, self.renewed = renewed, time.monotonic()
            return None

    def renew_if_due(self) -> None:
        """A third of the time to live after the last renewal, renew. A renewal that fails
        keeps the lease while it has not expired (the next turn tries again); one that is
        refused, or fails too late, loses it."""
        with self._lock:
            if self.lost or time.monotonic() - self.renewed < self.ttl.total_seconds() / 3:
                return
            now = self.clock()
            try:
                renewed = renew(self.store, self.lease, ttl=self.ttl, now=now)
            except Exception as error:
                log.warning("%s: could not renew its lease: %s", self.project,
                            describe_failure(error))
                if now < self.lease.expires_at:
                    return
                self._lose("its lease ran out: it could not be renewed in time")
                return
            if renewed is None:
                self._lose(TAKEN_OVER)
            else:
                self.lease, self.renewed = renewed, time.monotonic()

    def _lose(self, why: str) -> str:
        if self.lost is None:
            self.lost = why
            log.error("%s: %s; stopping its writes", self.project, why,
                      extra={"project": self.project})
        return why

    def release(self) -> None:
        """Let another process take the project at once (it expires by itself otherwise)."""
        try:
            release(self.store, self.lease, now=self.clock())
        except Exception as error:
            log.warning("%s: could not release its lease: %s", self.project,
                        describe_failure(error))


def take(
    store: StateStore, project: str, holder: str, *, ttl: timedelta,
    clock: Callable[[], datetime], wait: timedelta = timedelta(0),
    pause: Callable[[float], None] = time.sleep,
) -> Holding | Refusal:
    """The project's lease for this process, asked for again each second for up to
    ``wait`` while another process holds it."""
    deadline = time.monotonic() + wait.total_seconds()
    while True:
        granted = acquire(store, project, holder, ttl=ttl, now=clock())
        if isinstance(granted, Lease):
            return Holding(store, granted, ttl=ttl, clock=clock)
        if time.monotonic() >= deadline:
            return granted
        pause(min(1.0, max(0.0, deadline - time.monotonic())))


@contextmanager
def keep(holding: Holding) -> Iterator[Holding]:
    """Renew ``holding`` on a thread of its own while the block runs (``run --once`` has no
    main loop to do it), then release it."""
    done = threading.Event()

    def renew_until_done() -> None:
        period = holding.ttl.total_seconds() / 3
        while not done.wait(period):
            holding.renew_if_due()

    thread = threading.Thread(target=renew_until_done, name=f"lease-{holding.project}",
                              daemon=True)
    thread.start()
    try:
        yield holding
    finally:
        done.set()
        thread.join(timeout=5)
        holding.release()
