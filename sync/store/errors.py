"""What the state store raises, and how its failures read in one line.

``LeaseLost`` is raised by the fence check (``check_fence``) that every record of
a write runs in its own transaction when the write was made under a lease
(``sync/store/lease.py``): a process paused past its lease, whose project
another process took over, records nothing.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Table, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from config.model import redact_url

__all__ = ["Fence", "LeaseLost", "StateStoreUnavailable", "check_fence", "describe_failure"]


class StateStoreUnavailable(Exception):
    """The state database cannot be opened or migrated; the message holds no password."""


def describe_failure(error: BaseException) -> str:
    """One line for an error: the database's own first line for SQLAlchemy's (never the
    statement and the parameters it appends), the message itself for any other."""
    if isinstance(error, SQLAlchemyError):
        reason = getattr(error, "orig", None) or error
        first = (str(reason).strip().splitlines() or [""])[0]
        return f"state store: {type(reason).__name__}: {redact_url(first)}"
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


class Fence(Protocol):
    """The lease a write is made under (``sync.store.lease.Lease``): who holds which grant."""

    @property
    def project(self) -> str: ...

    @property
    def holder(self) -> str: ...

    @property
    def fence(self) -> int: ...


class LeaseLost(Exception):
    """A write's record found the project's lease taken over: nothing was recorded."""


def check_fence(connection: Connection, lease: Fence | None, leases: Table) -> None:
    """Within the transaction that records a write: the lease (a row of ``leases``) must
    still be ours.

    An UPDATE, not a SELECT: it takes the row's lock (PostgreSQL) or the database's
    write lock (SQLite) for the rest of the transaction, so no take-over slips in
    between the check and the record.
    """
    if lease is None:
        return
    done = connection.execute(
        update(leases)
        .where(leases.c.project == lease.project, leases.c.holder == lease.holder,
               leases.c.fence == lease.fence)
        .values(fence=leases.c.fence)
    )
    if done.rowcount != 1:
        msg = f"{lease.project}: another process took this project over (its lease ran out)"
        raise LeaseLost(msg)
