"""The state store keeps what forewarn wrote and saw, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from connectors.markers import Marker
from connectors.model import Issue, Snapshot
from sync.store.state import CommentRecord, FindingRecord, StateStore
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
    assert store.load_snapshot("p") == snapshot
    assert store.memo("p") == {"etag": "W/2", "me": "bot"}
    assert store.memo("other") == {}


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
