"""Leases: one holder per project at a time, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync.store.lease import Lease, Refusal, acquire, release, renew
from sync.store.state import StateStore

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


def test_a_restarted_replica_with_the_same_id_takes_its_lease_back_at_once(
    store: StateStore,
) -> None:
    assert isinstance(take(store, "pod-0:1"), Lease)
    again = take(store, "pod-0:1", at=NOW + timedelta(seconds=1))
    assert isinstance(again, Lease) and again.continued is False  # it remembers no fence
