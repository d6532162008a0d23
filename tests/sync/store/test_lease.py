"""Leases: one holder per project at a time, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Connection

from sync.store.errors import LeaseLost
from sync.store.lease import (
    MAX_NAME,
    Holding,
    Lease,
    Refusal,
    acquire,
    default_holder,
    holder_id,
    release,
    renew,
)
from sync.store.lease import take as lease_take
from sync.store.state import StateStore
from tests.conftest import Clock

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)


def take(store: StateStore, holder: str, *, at: datetime = NOW,
         last_fence: int | None = None) -> Lease | Refusal:
    return acquire(store, "portal", holder, ttl=TTL, now=at, last_fence=last_fence)


def test_one_holder_at_a_time(store: StateStore) -> None:
    first = take(store, "a")
    assert first == Lease("portal", "a", 1, NOW + TTL, continued=False)
    refused = take(store, "b", at=NOW + timedelta(seconds=30))
    assert refused == Refusal("a", NOW + TTL)
    assert str(refused) == "held by a until 2026-11-25 08:01:00 UTC"
    # Other projects are free.
    assert isinstance(acquire(store, "billing", "b", ttl=TTL, now=NOW), Lease)


def test_release_lets_another_replica_in_and_the_fence_tells_who_held_it(
    store: StateStore,
) -> None:
    first = take(store, "a")
    assert isinstance(first, Lease)
    release(store, first, now=NOW + timedelta(seconds=5))
    again = take(store, "a", at=NOW + timedelta(seconds=6), last_fence=first.fence)
    assert isinstance(again, Lease) and (again.fence, again.continued) == (2, True)
    release(store, again, now=NOW + timedelta(seconds=7))
    other = take(store, "b", at=NOW + timedelta(seconds=8))
    assert isinstance(other, Lease) and (other.fence, other.continued) == (3, False)
    release(store, other, now=NOW + timedelta(seconds=9))
    back = take(store, "a", at=NOW + timedelta(seconds=10), last_fence=again.fence)
    assert isinstance(back, Lease) and (back.fence, back.continued) == (4, False)


def test_an_expired_lease_is_taken_over_and_its_old_holder_cannot_renew_it(
    store: StateStore,
) -> None:
    first = take(store, "a")
    assert isinstance(first, Lease)
    later = NOW + TTL + timedelta(seconds=1)
    taken = take(store, "b", at=later)
    assert isinstance(taken, Lease) and taken.holder == "b"
    assert renew(store, first, ttl=TTL, now=later) is None
    release(store, first, now=later)  # a late release by the old holder changes nothing
    assert take(store, "c", at=later) == Refusal("b", later + TTL)


def test_renewal_extends_the_lease(store: StateStore) -> None:
    first = take(store, "a")
    assert isinstance(first, Lease)
    renewed = renew(store, first, ttl=TTL, now=NOW + timedelta(seconds=50))
    assert renewed is not None and renewed.expires_at == NOW + timedelta(seconds=110)
    assert take(store, "b", at=NOW + timedelta(seconds=100)) == Refusal(
        "a", NOW + timedelta(seconds=110))


def test_a_holder_takes_its_own_lease_back_at_once(store: StateStore) -> None:
    assert isinstance(take(store, "pod-0:1/0a1b2c3d"), Lease)
    again = take(store, "pod-0:1/0a1b2c3d", at=NOW + timedelta(seconds=1))
    assert isinstance(again, Lease) and again.continued is False  # it remembers no fence


@pytest.mark.parametrize("name", ["pod-0:1", None, "x" * 300])
def test_each_process_start_is_its_own_holder_and_keeps_its_readable_name(
    name: str | None,
) -> None:
    first, second = holder_id(name), holder_id(name)
    readable = (name or default_holder())[:MAX_NAME]
    assert first != second
    for holder in (first, second):
        assert re.fullmatch(re.escape(readable) + r"/[0-9a-f]{8}", holder)


def test_two_containers_with_one_host_name_and_pid_1_do_not_share_the_lease(
    store: StateStore,
) -> None:
    """Issue 17: both defaulted to HOSTNAME:PID, the same string, and both held it."""
    first = take(store, holder_id("web:1"))
    assert isinstance(first, Lease)
    refused = take(store, holder_id("web:1"), at=NOW + timedelta(seconds=1))
    assert refused == Refusal(first.holder, NOW + TTL)


def test_a_renewal_between_reading_and_taking_an_expired_lease_defeats_the_take_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """b reads a's lease as expired; a renews it before b writes: b must not get it.

    SQLite only: it has no row locks, so only the compare-and-set can see the renewal.
    (On PostgreSQL b's ``SELECT … FOR UPDATE`` makes a's renewal wait for b.)"""
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    first = take(store, "a")
    assert isinstance(first, Lease)
    later = NOW + TTL + timedelta(seconds=1)
    real = Connection.execute

    def execute(self: Connection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if statement.is_update and not getattr(execute, "renewed", False):
            execute.renewed = True  # type: ignore[attr-defined]
            monkeypatch.setattr(Connection, "execute", real)
            assert renew(store, first, ttl=TTL, now=later) is not None  # a, in between
        return real(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "execute", execute)
    assert take(store, "b", at=later) == Refusal(None, None)
    assert take(store, "c", at=later) == Refusal("a", later + TTL)
    store.close()


def test_a_holding_confirms_before_each_write_and_stays_lost_once_taken_over(
    store: StateStore,
) -> None:
    clock = Clock(NOW)
    held = lease_take(store, "portal", "a", ttl=TTL, clock=clock)
    assert isinstance(held, Holding)
    clock.advance(seconds=50)
    assert held.confirm() is None and held.lease.expires_at == NOW + timedelta(seconds=110)
    assert isinstance(take(store, "b", at=clock()), Refusal)  # the confirmation extended it
    clock.advance(seconds=61)
    assert isinstance(take(store, "b", at=clock()), Lease)
    why = "another process took this project over (its lease ran out)"
    assert held.confirm() == why and held.lost == why
    held.renew_if_due()
    assert held.confirm() == why


def test_a_record_under_a_lease_taken_over_records_nothing(store: StateStore) -> None:
    first = take(store, "a")
    assert isinstance(first, Lease)
    store.record_label("portal", "p#1", "scope-creep", NOW, fence=first)
    assert take(store, "b", at=NOW + TTL + timedelta(seconds=1)) is not None
    with pytest.raises(LeaseLost, match="another process took this project over"):
        store.record_label("portal", "p#2", "scope-creep", NOW, fence=first)
    assert store.labels("portal") == {("p#1", "scope-creep")}


def test_take_waits_for_a_lease_to_be_released(store: StateStore) -> None:
    first = take(store, "a")
    assert isinstance(first, Lease)
    pauses: list[float] = []

    def pause(seconds: float) -> None:  # the other process lets go while we wait
        pauses.append(seconds)
        if len(pauses) == 2:
            release(store, first, now=NOW + timedelta(seconds=2))

    held = lease_take(store, "portal", "b", ttl=TTL, clock=lambda: NOW + timedelta(seconds=3),
                      wait=timedelta(seconds=30), pause=pause)
    assert isinstance(held, Holding) and held.lease.holder == "b" and len(pauses) == 2
    refused = lease_take(store, "portal", "c", ttl=TTL, clock=lambda: NOW, pause=pause)
    assert refused == Refusal("b", NOW + timedelta(seconds=63))
