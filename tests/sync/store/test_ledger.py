"""What a process holds of a project's findings, comments and labels (sync/store/ledger.py).

The held copy must always say what reading the tables would say: after this
process's own writes, after another process's (a second replica, a ``run
--once`` beside the daemon), and after a write the store refused.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from connectors.markers import Marker
from sync.store.errors import LeaseLost
from sync.store.lease import Lease, acquire
from sync.store.state import CommentRecord, FindingRecord, StateStore

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def alert(n: int, *, resolved: bool = False, input_hash: str | None = "i") -> CommentRecord:
    marker = Marker.parse(f"scope.{n:016x}:warning")
    return CommentRecord(marker=marker, kind="alert", target=f"p#{n}", comment_id=str(100 + n),
                         body_hash="b", resolved=resolved, input_hash=input_hash)


def finding(n: int, *, issues: list[str], first_seen: datetime = NOW) -> FindingRecord:
    return FindingRecord(fingerprint=f"scope.{n:016x}", rule_id="scope", kind="scope_creep",
                         cause="added", subject_key=f"p#{n}", severity=20,
                         evidence={"issues": issues, "since": NOW}, first_seen=first_seen)


def as_read(url: str) -> tuple[object, ...]:
    """What a process that never held anything reads."""
    fresh = StateStore(url)
    try:
        return (fresh.comments("portal"), fresh.labels("portal"),
                {fp: (r.severity, dict(r.evidence), r.first_seen)
                 for fp, r in fresh.findings("portal").items()})
    finally:
        fresh.close()


def held(store: StateStore) -> tuple[object, ...]:
    found = store.findings("portal")
    return (store.comments("portal"), store.labels("portal"),
            {fp: (r.severity, _plain(r.evidence), r.first_seen) for fp, r in found.items()})


def _plain(evidence: object) -> dict[str, object]:
    """Evidence as the store gives it back (JSON, datetimes as text)."""
    return dict(json.loads(json.dumps(evidence, sort_keys=True, default=str)))


def test_this_process_sees_its_own_writes_exactly_as_a_fresh_reader(
        database_url: str) -> None:
    store = StateStore(database_url)
    store.record_label("portal", "p#9", "scope-creep", NOW)  # the project's first write
    held(store)  # the copy is held from here on, and takes each write below
    store.record_comment("portal", alert(1), now=NOW)
    store.record_comment("portal", alert(2, input_hash=""), now=NOW)
    store.record_comment("portal", alert(3, resolved=True), now=NOW)  # adopted, resolved
    store.update_comment("portal", marker=alert(1).marker, body_hash="b2", resolved=True,
                         now=LATER, input_hash=None)
    store.record_label("portal", "p#1", "scope-creep", NOW)
    store.record_label("portal", "p#2", "scope-creep", NOW)
    store.forget_label("portal", "p#1", "scope-creep")
    store.save_findings("portal", [finding(1, issues=["p#3"]), finding(2, issues=[])], NOW)
    store.save_findings("portal", [finding(1, issues=["p#3", "p#4"], first_seen=LATER)], LATER)
    assert held(store) == as_read(database_url)
    comments = store.comments("portal")
    assert comments[str(alert(1).marker)].resolved_at == LATER
    assert comments[str(alert(2).marker)].input_hash is None
    # A finding keeps the first time it was seen, whatever the record says.
    assert store.findings("portal")["scope.0000000000000001"].first_seen == NOW
    store.close()


def test_another_process_writes_and_this_one_reads_the_tables_again(database_url: str) -> None:
    daemon, other = StateStore(database_url), StateStore(database_url)
    daemon.record_comment("portal", alert(1), now=NOW)
    assert set(daemon.comments("portal")) == {str(alert(1).marker)}
    # A run --once (or a replica that took over and died before saving its progress)
    # records an alert: the daemon must see it, or it would post that alert again.
    other.record_comment("portal", alert(2), now=NOW)
    other.record_label("portal", "p#2", "scope-creep", NOW)
    assert set(daemon.comments("portal")) == {str(alert(1).marker), str(alert(2).marker)}
    assert daemon.labels("portal") == {("p#2", "scope-creep")}
    # ... and its own next write after that is not lost on either side.
    daemon.update_comment("portal", marker=alert(2).marker, body_hash="b2", resolved=True,
                          now=LATER)
    assert held(daemon) == held(other) == as_read(database_url)
    daemon.close()
    other.close()


def test_a_refused_write_leaves_the_copy_as_the_tables(database_url: str) -> None:
    store = StateStore(database_url)
    first = acquire(store, "portal", "a", ttl=timedelta(seconds=60), now=NOW)
    assert isinstance(first, Lease)
    store.record_comment("portal", alert(1), now=NOW, fence=first)
    # Another replica takes the project over once the lease has expired.
    acquire(store, "portal", "b", ttl=timedelta(seconds=60), now=NOW + timedelta(minutes=2))
    with pytest.raises(LeaseLost):
        store.record_comment("portal", alert(2), now=NOW, fence=first)
    assert set(store.comments("portal")) == {str(alert(1).marker)}
    assert held(store) == as_read(database_url)
    store.close()
