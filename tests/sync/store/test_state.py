"""The state store keeps what forewarn wrote and saw, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from connectors.markers import Marker
from connectors.model import Change, Comment, Issue, Milestone, Person, Snapshot
from sync.store.state import CacheWrite, CommentRecord, FindingRecord, StateStore
from sync.store.tables import cached_comments, cached_issues, cached_projects, findings
from tests.conftest import run_log

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_progress_round_trips(store: StateStore) -> None:
    issue = Issue(key="a#1", title="T 标题", url="u", state="open", created_at=NOW, author="x",
                  labels=("bug",), due_on=date(2026, 12, 1))
    snapshot = Snapshot(project="p", fetched_at=NOW, issues=(issue,))
    assert store.load_snapshot("p") is None and store.cursor("p") is None
    store.save_progress("p", cursor="2026-11-25T08:00:00Z", snapshot=snapshot,
                        memo={"etag": "W/1"}, now=NOW)
    store.save_progress("p", cursor="2026-11-25T09:00:00Z", snapshot=snapshot,
                        memo={"etag": "W/2", "me": "bot"}, now=NOW)
    assert store.cursor("p") == "2026-11-25T09:00:00Z"
    assert in_order(store.load_snapshot("p")) == in_order(snapshot)
    assert store.memo("p") == {"etag": "W/2", "me": "bot"}
    assert store.memo("other") == {}


def a_snapshot() -> Snapshot:
    """One of every record, every optional field set somewhere (and unset elsewhere)."""
    later = NOW + timedelta(hours=3, microseconds=250)
    return Snapshot(
        project="p", fetched_at=NOW,
        people={"x": Person(id="x", name="X 先生", kind="client", email="x@example.com",
                            association="NONE"), "bot": Person(id="bot", name="bot", kind="bot")},
        milestones=(Milestone(key="p/milestones/1", title="v1", created_at=NOW,
                              due_on=date(2026, 12, 1)),
                    Milestone(key="sprint:7", title="S7", kind="sprint", state="closed",
                              start_on=NOW, closed_at=later)),
        issues=(Issue(key="a#1", title="T 标题", url="u", state="open", created_at=NOW,
                      author="x", labels=("bug", "p1"), assignees=("dev",),
                      milestone_keys=("p/milestones/1",), due_on=date(2026, 12, 1),
                      estimate=3.5, priority="P1", updated_at=later),
                Issue(key="a#2", title="", url="", state="closed", created_at=NOW,
                      author="dev", closed_at=later)),
        comments=(Comment(id="1", issue_key="a#1", author="x", created_at=NOW,
                          body_excerpt="Any news? ✓"),
                  Comment(id="2", issue_key="a#1", author="bot", created_at=later,
                          body_excerpt="<!-- forewarn:f.1:warning -->", is_ours=True,
                          marker="f.1:warning", acked=True, updated_at=later)),
        changes=(Change("a#1", "milestone", NOW, before=None, after="p/milestones/1",
                        actor="dev"),
                 Change("a#2", "state", later, before="open", after="closed")),
    )


def in_order(snapshot: Snapshot | None) -> Snapshot | None:
    """Records in key order: the store keeps records, not the order a tracker listed them
    in (rules never depend on it)."""
    if snapshot is None:
        return None
    return replace(
        snapshot, issues=tuple(sorted(snapshot.issues, key=lambda i: i.key)),
        milestones=tuple(sorted(snapshot.milestones, key=lambda m: m.key)),
        comments=tuple(sorted(snapshot.comments, key=lambda c: c.id)),
        changes=tuple(sorted(snapshot.changes, key=repr)),
        people=dict(sorted(snapshot.people.items())),
    )


def test_a_snapshot_round_trips_record_by_record(store: StateStore) -> None:
    stamp = store.save_progress("p", cursor="c", snapshot=a_snapshot(), memo={}, now=NOW)
    loaded = store.load_cache("p")
    assert loaded is not None and in_order(loaded.snapshot) == in_order(a_snapshot())
    assert loaded.stamp == stamp == store.cache_stamp("p")
    assert store.load_cache("other") is None and store.cache_stamp("other") is None


def test_a_delta_writes_only_its_records_and_keeps_the_rest(store: StateStore) -> None:
    base = a_snapshot()
    first = store.save_progress("p", cursor="c1", snapshot=base, memo={}, now=NOW)
    edited = replace(base.issues[0], labels=("bug",), updated_at=NOW + timedelta(days=1))
    new = Comment(id="3", issue_key="a#2", author="dev", created_at=NOW + timedelta(days=1))
    change = Change("a#1", "label", NOW + timedelta(days=1), before="p1", actor="dev")
    moved = replace(base.milestones[0], due_on=date(2026, 12, 8))
    second = store.save_progress("p", cursor="c2", memo={}, now=NOW, write=CacheWrite(
        fetched_at=NOW + timedelta(days=1), issues=[edited], comments=[new],
        changes=[change, base.changes[0]], milestones=[moved],
        people=[Person(id="dev", name="Dev")]))
    loaded = store.load_cache("p")
    assert loaded is not None and second != first
    assert in_order(loaded.snapshot) == in_order(Snapshot(
        project="p", fetched_at=NOW + timedelta(days=1),
        people={**base.people, "dev": Person(id="dev", name="Dev")},
        milestones=(moved,), issues=(edited, base.issues[1]),
        comments=(*base.comments, new), changes=(*base.changes, change),
    ))
    assert store.cursor("p") == "c2"


def test_an_unreadable_row_is_skipped_and_an_unreadable_cache_dropped(
    store: StateStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.save_progress("p", cursor="c", snapshot=a_snapshot(), memo={}, now=NOW)
    with store.transaction() as connection:
        connection.execute(update(cached_issues).where(cached_issues.c.key == "a#2")
                           .values(labels="{not json"))
        connection.execute(update(cached_comments).where(cached_comments.c.id == "1")
                           .values(created_at=2**62))
    loaded = store.load_cache("p")
    assert loaded is not None
    assert [i.key for i in loaded.snapshot.issues] == ["a#1"]
    assert [c.id for c in loaded.snapshot.comments] == ["2"]
    assert [reason.split(":")[0] for reason in loaded.skipped] == [
        "cached issue 'a#2'", "cached comment '1'"]
    assert "p: skipped cached issue 'a#2'" in caplog.text
    with store.transaction() as connection:
        connection.execute(update(cached_projects).values(fetched_at=2**62))
    assert store.load_cache("p") is None
    assert "the cached snapshot cannot be read" in caplog.text
    assert store.cursor("p") is None and store.cache_stamp("p") is None


def test_due_dates_are_recorded_only_when_they_change(store: StateStore) -> None:
    store.record_due_dates("p", {"m1": date(2026, 12, 1), "m2": None}, NOW)
    store.record_due_dates("p", {"m1": date(2026, 12, 1), "m2": None}, NOW + timedelta(hours=1))
    store.record_due_dates("p", {"m1": date(2026, 12, 8)}, NOW + timedelta(hours=2))
    history = store.due_date_history("p")
    assert [seen.due_on for seen in history["m1"]] == [date(2026, 12, 1), date(2026, 12, 8)]
    assert history["m1"][1].seen_at == NOW + timedelta(hours=2)
    assert [seen.due_on for seen in history["m2"]] == [None]


def test_comments_labels_and_findings(store: StateStore) -> None:
    marker = Marker("f.1", "warning")
    store.record_comment("p", CommentRecord(marker=marker, kind="alert", target="a#1",
                                            comment_id="77", body_hash="h1"), now=NOW)
    store.update_comment("p", marker=marker, body_hash="h2", resolved=True, now=NOW)
    assert store.comments("p") == {"f.1:warning": CommentRecord(
        marker=marker, kind="alert", target="a#1", comment_id="77", body_hash="h2",
        resolved=True, resolved_at=NOW)}
    store.record_label("p", "a#1", "scope-creep", NOW)
    store.record_label("p", "a#1", "scope-creep", NOW)
    assert store.labels("p") == {("a#1", "scope-creep")}
    store.forget_label("p", "a#1", "scope-creep")
    assert store.labels("p") == set()
    first = FindingRecord("f.1", "scope", "scope_creep", "added", "a#1", 20,
                          {"joined_at": "2026-11-01T00:00:00+00:00"}, NOW)
    store.save_findings("p", [first], NOW)
    later = NOW + timedelta(days=1)
    store.save_findings("p", [first], later)
    assert store.findings("p")["f.1"].first_seen == NOW
    store.save_findings("p", [], later)
    assert store.findings("p") == {}


def test_a_finding_read_back_and_kept_is_not_written_again(store: StateStore) -> None:
    evidence = {"joined_at": "2026-11-01T00:00:00+00:00", "added": 3, "keys": ["a#1", "a#2"]}
    store.save_findings("p", [FindingRecord("f.1", "scope", "scope_creep", "added", "a#1", 20,
                                            evidence, NOW)], NOW)
    (kept,) = store.findings("p").values()
    assert kept.evidence == evidence and dict(kept.evidence) == evidence
    later = NOW + timedelta(days=1)
    store.save_findings("p", [kept], later)
    with store.engine.connect() as connection:
        (last_seen,) = connection.execute(select(findings.c.last_seen)).scalars()
    seen_at = last_seen if last_seen.tzinfo else last_seen.replace(tzinfo=UTC)
    assert seen_at == NOW  # unchanged: its row was left alone
    changed = replace(kept, evidence={**evidence, "added": 4})
    store.save_findings("p", [changed], later)
    assert store.findings("p")["f.1"].evidence["added"] == 4


def test_run_log(store: StateStore) -> None:
    run = store.start_run("p", NOW)
    assert [row["status"] for row in run_log(store, "p")] == ["running"]
    assert store.last_finished("p") is None
    store.finish_run(run, status="ok", now=NOW, findings=3, writes=2)
    (last,) = run_log(store, "p")
    assert (last["status"], last["findings"], last["writes"]) == ("ok", 3, 2)
    assert store.last_finished("p") == NOW


def test_one_summary_per_period(store: StateStore) -> None:
    store.record_summary("p", "2026-W47", payload={"done": 3}, now=NOW)
    store.record_summary("p", "2026-W48", payload={"done": 4}, now=NOW)
    store.record_summary("p", "2026-W48", payload={"done": 5}, now=NOW + timedelta(hours=1))
    current = store.summary("p", "2026-W48")
    assert current is not None
    assert (current["payload"], current["created_at"], current["updated_at"]) == (
        {"done": 5}, NOW, NOW + timedelta(hours=1))
    previous = store.previous_summary("p", "2026-W48")
    assert previous is not None and previous["payload"] == {"done": 3}
    assert store.previous_summary("p", "2026-W47") is None
