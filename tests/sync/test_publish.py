"""The one publisher: order, budget, stop, rate-limit floor, failures, and a record per write.

The connector here is a recording double of the Connector protocol (no tracker
payloads: the publisher never sees any); what it records is what a tracker
would have been asked to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from connectors.base import Markup, RateLimit, RemoteComment
from connectors.errors import CommentGone, FatalError, RetriableError
from connectors.markers import Marker
from connectors.model import Visibility
from sync import actions as act
from sync.publish import Outcome, Publisher
from sync.render import body_hash
from sync.store.lease import Holding, Lease, acquire, take
from sync.store.state import GONE, CommentRecord, StateStore, leases

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
RESET = datetime(2026, 11, 25, 9, 5, tzinfo=UTC)


@dataclass
class Recording:
    """Satisfies ``connectors.base.Connector`` for writes; ``fail`` injects errors by call."""

    markup: Markup = "markdown"
    requests_made: int = 0
    rate_limit: RateLimit | None = None
    calls: list[str] = field(default_factory=list)
    fail: dict[str, Exception] = field(default_factory=dict)
    found: dict[str, str] = field(default_factory=dict)

    def _call(self, name: str) -> None:
        self.calls.append(name)
        self.requests_made += 1
        if name in self.fail:
            raise self.fail.pop(name)

    def whoami(self) -> str:
        return "forewarn"

    def find_comment(self, issue_key: str, marker: Marker) -> RemoteComment | None:
        self._call(f"find {issue_key} {marker}")
        ident = self.found.get(str(marker))
        return RemoteComment(ident, issue_key, "") if ident else None

    def create_comment(self, issue_key: str, body: str, *, marker: Marker,
                       visibility: Visibility | None = None) -> str:
        self._call(f"create {issue_key} {marker}{_restricted(visibility)}")
        return f"c{len(self.calls)}"

    def edit_comment(self, issue_key: str, comment_id: str, body: str, *,
                     visibility: Visibility | None = None) -> None:
        self._call(f"edit {issue_key} {comment_id}{_restricted(visibility)}")

    def add_labels(self, issue_key: str, labels: list[str]) -> None:
        self._call(f"add {issue_key} {','.join(labels)}")

    def remove_label(self, issue_key: str, label: str) -> None:
        self._call(f"remove {issue_key} {label}")

    def ensure_label(self, name: str, *, color: str, description: str) -> None:
        self._call(f"ensure {name}")


def _restricted(visibility: Visibility | None) -> str:
    return f" ({visibility})" if visibility is not None and not visibility.is_public else ""


def alert(number: int, level: str = "warning") -> Marker:
    return Marker(f"scope.{number:016x}", level)  # type: ignore[arg-type]


def create(target: str, number: int) -> act.CreateComment:
    return act.CreateComment(target=target, marker=alert(number), kind="alert",
                             body=f"alert {number}")


ENSURE = act.EnsureLabel(label="scope-creep", color="fbca04", description="forewarn: …")
PLAN = act.Plan((
    ENSURE,
    act.AddLabel(target="p#1", label="scope-creep"),
    act.AddLabel(target="p#2", label="scope-creep"),
    create("p#1", 1),
    create("p#2", 2),
    act.RemoveLabel(target="p#3", label="scope-creep"),
))


@pytest.fixture
def state(tmp_path: Path) -> StateStore:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    yield store  # type: ignore[misc]
    store.close()


def publish(plan: act.Plan, store: StateStore, connector: Recording, *, budget: int = 50,
            stop: Callable[[], str | None] | None = None) -> Outcome:
    publisher = Publisher(connector, store, "p", budget=budget, clock=lambda: NOW,
                          me="forewarn", stop=stop)
    return publisher.execute(plan)


def names(actions: list[act.Action]) -> list[str]:
    return [action.describe() for action in actions]


@pytest.mark.parametrize(("budget", "done", "stopped"), [
    (50, 6, None),
    # Creating a missing label is not counted: a small budget would spend itself on it.
    (2, 3, "write budget of 2 reached; the rest waits for the next cycle"),
    (4, 5, "write budget of 4 reached; the rest waits for the next cycle"),
    (0, 0, "write budget of 0 reached; the rest waits for the next cycle"),
])
def test_the_budget_defers_the_rest_in_plan_order(
    state: StateStore, budget: int, done: int, stopped: str | None
) -> None:
    connector = Recording()
    outcome = publish(PLAN, state, connector, budget=budget)
    assert outcome.done == list(PLAN.actions[:done])
    assert outcome.deferred == list(PLAN.actions[done:])
    assert outcome.stopped == stopped
    assert len(connector.calls) == done


@pytest.mark.parametrize(("quota", "done", "stopped"), [
    (None, 6, None),
    (RateLimit(remaining=100), 6, None),
    (RateLimit(remaining=99, resets_at=RESET), 0,
     "tracker rate limit low (99 requests left; it resets at 09:05 UTC)"),
    (RateLimit(remaining=0), 0, "tracker rate limit low (0 requests left)"),
])
def test_a_low_quota_stops_the_writing(
    state: StateStore, quota: RateLimit | None, done: int, stopped: str | None
) -> None:
    outcome = publish(PLAN, state, Recording(rate_limit=quota))
    assert (len(outcome.done), outcome.stopped) == (done, stopped)


def test_a_stop_request_is_asked_before_each_write(state: StateStore) -> None:
    asked: list[int] = []

    def stop() -> str | None:
        asked.append(1)
        return "the daemon is shutting down" if len(asked) == 4 else None

    connector = Recording()
    outcome = publish(PLAN, state, connector, stop=stop)
    assert names(outcome.done) == names(list(PLAN.actions[:3]))
    assert outcome.stopped == "the daemon is shutting down"
    assert len(asked) == 4 and len(connector.calls) == 3


def test_a_retriable_failure_stops_and_a_fatal_one_skips(state: StateStore) -> None:
    fatal = Recording(fail={"add p#1 scope-creep": FatalError("403 locked issue")})
    outcome = publish(PLAN, state, fatal)
    assert [(a.describe(), why) for a, why in outcome.failed] == [
        ("add label 'scope-creep' to p#1", "403 locked issue")]
    assert len(outcome.done) == 5 and outcome.stopped is None
    assert state.labels("p") == {("p#2", "scope-creep")}

    retriable = Recording(fail={"create p#1 scope.0000000000000001:warning":
                                RetriableError("502 Bad Gateway")})
    outcome = publish(PLAN, state, retriable)
    assert outcome.stopped == "502 Bad Gateway"
    assert names(outcome.deferred) == names(list(PLAN.actions[3:]))


def test_every_write_is_recorded_as_soon_as_it_is_done(state: StateStore) -> None:
    outcome = publish(PLAN, state, Recording())
    comments = state.comments("p")
    assert sorted(comments) == ["scope.0000000000000001:warning", "scope.0000000000000002:warning"]
    assert comments["scope.0000000000000001:warning"] == CommentRecord(
        marker=alert(1), kind="alert", target="p#1", comment_id="c4",
        body_hash=body_hash("alert 1"))
    assert state.labels("p") == {("p#1", "scope-creep"), ("p#2", "scope-creep")}
    assert outcome.added_labels == [("p#1", "scope-creep"), ("p#2", "scope-creep")]
    assert outcome.removed_labels == [("p#3", "scope-creep")]
    assert [(c.id, c.issue_key, c.marker, c.is_ours) for c in outcome.comments] == [
        ("c4", "p#1", "scope.0000000000000001:warning", True),
        ("c5", "p#2", "scope.0000000000000002:warning", True)]


def test_state_only_actions_cost_no_request(state: StateStore) -> None:
    summary = act.SummaryRecord(period="2026-W48", payload={"done": 3})
    plan = act.Plan((
        act.AdoptComment(target="p#1", marker=alert(1), kind="alert", comment_id="77"),
        act.ForgetLabel(target="p#2", label="scope-creep"),
        act.RecordSummary(summary=summary),
    ))
    connector = Recording()
    outcome = publish(plan, state, connector, budget=0)
    # Forgotten labels are forgotten together, after the rest of the plan.
    assert outcome.done == [plan.actions[0], plan.actions[2], plan.actions[1]]
    assert connector.calls == []
    assert state.comments("p")["scope.0000000000000001:warning"].comment_id == "77"
    row = state.summary("p", "2026-W48")
    assert row is not None and row["payload"] == {"done": 3}


@pytest.mark.parametrize(("kind", "error", "calls", "recorded", "result"), [
    # A summary someone deleted is posted again.
    ("summary", CommentGone("404 Not Found"), ["edit", "find", "create"],
     ("c3", body_hash("new text")), "done"),
    # An alert someone deleted is left deleted: recorded so, never edited again.
    ("alert", CommentGone("404 Not Found"), ["edit"], ("41", GONE), "gone"),
    # Any other refusal is a failure, tried again next cycle.
    ("alert", FatalError("403 locked issue"), ["edit"], ("41", "old"), "failed"),
])
def test_a_deleted_comment_is_posted_again_only_when_the_plan_says_so(
    state: StateStore, kind: str, error: Exception, calls: list[str],
    recorded: tuple[str, str], result: str,
) -> None:
    marker = Marker.summary("2026-W48") if kind == "summary" else alert(1)
    state.record_comment("p", CommentRecord(marker=marker, kind=kind, target="p#1",
                                            comment_id="41", body_hash="old"), now=NOW)
    edit = act.EditComment(target="p#1", marker=marker, kind=kind,  # type: ignore[arg-type]
                       comment_id="41", body="new text", repost_if_gone=kind == "summary")
    connector = Recording(fail={"edit p#1 41": error})
    outcome = publish(act.Plan((edit,)), state, connector)
    assert {"done": outcome.done, "gone": outcome.gone,
            "failed": [action for action, _ in outcome.failed]}[result] == [edit]
    assert [call.split()[0] for call in connector.calls] == calls
    record = state.comments("p")[str(marker)]
    assert (record.comment_id, record.body_hash) == recorded
    assert record.gone is (result == "gone")


def test_a_lease_taken_over_stops_the_writing_before_the_next_write(state: StateStore) -> None:
    """The process paused past its lease (issue 17): once another took the project over,
    not one more write, and what it had written stays recorded."""
    clock = {"now": NOW}
    held = take(state, "p", "a/00000001", ttl=timedelta(seconds=60), clock=lambda: clock["now"])
    assert isinstance(held, Holding)
    connector = Recording()
    writes = 0

    def stop() -> str | None:  # between write 2 and 3: paused, and b took over
        nonlocal writes
        writes += 1
        if writes == 3:
            clock["now"] = NOW + timedelta(seconds=61)
            assert isinstance(acquire(state, "p", "b/00000002", ttl=timedelta(seconds=60),
                                      now=clock["now"]), Lease)
        return None

    publisher = Publisher(connector, state, "p", budget=50, clock=lambda: NOW, me="forewarn",
                          stop=stop, lease=held)
    outcome = publisher.execute(PLAN)
    assert connector.calls == ["ensure scope-creep", "add p#1 scope-creep"]
    assert outcome.stopped == "another process took this project over (its lease ran out)"
    assert outcome.lease_lost and names(outcome.deferred) == names(list(PLAN.actions[2:]))
    assert state.labels("p") == {("p#1", "scope-creep")}


def test_a_record_refused_by_the_fence_stops_the_writing(state: StateStore) -> None:
    """Taken over between the confirmation and the record: the write is made (it is found
    by its marker by the new holder), its record refused, and nothing more is written."""
    held = take(state, "p", "a/00000001", ttl=timedelta(seconds=60), clock=lambda: NOW)
    assert isinstance(held, Holding)

    class TakenOverMidWrite(Recording):
        def add_labels(self, issue_key: str, labels: list[str]) -> None:
            super().add_labels(issue_key, labels)
            with state.transaction() as connection:
                connection.execute(update(leases).values(holder="b/00000002", fence=2))

    connector = TakenOverMidWrite()
    outcome = Publisher(connector, state, "p", budget=50, clock=lambda: NOW, me="forewarn",
                        lease=held).execute(PLAN)
    assert connector.calls == ["ensure scope-creep", "add p#1 scope-creep"]
    assert outcome.lease_lost and outcome.stopped == (
        "p: another process took this project over (its lease ran out)")
    assert state.labels("p") == set()


def test_a_restricted_comment_is_created_and_edited_restricted(state: StateStore) -> None:
    internal = Visibility("role", "Developers")
    connector = Recording()
    marker = alert(7)
    created = publish(act.Plan((act.CreateComment(target="p#7", marker=marker, kind="alert",
                                                  body="alert 7", visibility=internal),)),
                      state, connector)
    assert created.comments[0].visibility == internal  # the cached snapshot knows it too
    publish(act.Plan((act.EditComment(target="p#7", marker=marker, kind="alert",
                                      comment_id="c1", body="alert 7 again",
                                      visibility=internal),)), state, connector)
    assert connector.calls == [f"create p#7 {marker} (role Developers)",
                               "edit p#7 c1 (role Developers)"]


def test_progress_hears_each_write_of_those_planned(state: StateStore) -> None:
    heard: list[tuple[int, int]] = []
    connector = Recording(fail={"add p#2 scope-creep": FatalError("400 refused")})
    publisher = Publisher(connector, state, "p", budget=50, clock=lambda: NOW, me="forewarn",
                          progress=lambda done, planned: heard.append((done, planned)))
    publisher.execute(PLAN)
    # The failed label is not a write done; the five that were are told as they happen.
    assert heard == [(0, 6), (1, 6), (2, 6), (3, 6), (4, 6), (5, 6)]


def test_labels_no_longer_ours_are_forgotten_in_one_transaction(
        state: StateStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # Forgetting asks nothing of the tracker: a cycle's forgets are one write to the store
    # (18 transactions were a fifth of a 50-issue cycle's SQLite log at 100,000 issues).
    for n in (1, 2, 3):
        state.record_label("p", f"p#{n}", "scope-creep", NOW)
    transactions = 0
    opened = state.transaction

    def counted() -> Any:
        nonlocal transactions
        transactions += 1
        return opened()

    monkeypatch.setattr(state, "transaction", counted)
    forgets = tuple(act.ForgetLabel(target=f"p#{n}", label="scope-creep") for n in (1, 2, 3))
    connector = Recording()
    outcome = publish(act.Plan(forgets), state, connector)
    assert outcome.done == list(forgets) and connector.calls == []
    assert state.labels("p") == set() and transactions == 1
