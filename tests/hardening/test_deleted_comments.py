"""An alert comment someone deleted: noticed once, never edited again, re-posted only when
its finding escalates (GitHub and Jira fakes, the real cycle)."""

from __future__ import annotations

import logging

import pytest

from connectors.markers import find_marker
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.fakes.world import TEAM
from tests.hardening.conftest import Tracker
from tests.hardening.harness import run_until_quiet, runtime


def edits_of(tracker: Tracker, comment_id: int) -> int:
    ends = (f"/comment/{comment_id}", f"/comments/{comment_id}")
    return sum(1 for method, path, _ in tracker.log
               if method in ("PATCH", "PUT") and path.endswith(ends))


def test_a_deleted_alert_is_noticed_once_and_left_deleted(
    tracker: Tracker, world_clock: Clock, sqlite_store: StateStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = tracker.world
    connector, memo = tracker.connector()
    rt = runtime(connector, name="portal", status_issue=tracker.key(1), memo=memo)
    run_until_quiet(rt, sqlite_store, world_clock)
    (alert,) = [c for c in world.comments_on(2) if c.author == world.me]
    del world.comments[alert.id]  # a person deletes forewarn's comment
    # Still waiting: nothing is written for it (it is not posted again, not edited).
    run_until_quiet(rt, sqlite_store, world_clock)
    assert [c for c in world.comments_on(2) if c.author == world.me] == []
    # Answered: the resolution meets the deleted comment once, then never again.
    world.say(2, TEAM, "Answered.")
    with caplog.at_level(logging.WARNING):
        reports = run_until_quiet(rt, sqlite_store, world_clock)
        reports += [run_until_quiet(rt, sqlite_store, world_clock)[-1] for _ in range(3)]
    assert all(report.ok for report in reports), [r.errors for r in reports]
    assert edits_of(tracker, alert.id) == 1
    assert [c for c in world.comments_on(2) if c.author == world.me] == []
    gone = [r.getMessage() for r in caplog.records if "was deleted" in r.getMessage()]
    assert gone == [f"portal: comment {alert.id} on {tracker.key(2)} was deleted in the "
                    "tracker; it is left deleted (a new comment comes only if its finding "
                    "escalates)"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # Its label went as the finding ended, as always.
    assert "awaiting-reply" not in {label.casefold() for label in world.issues[2].labels}
    # Every other alert of forewarn's is where it was.
    assert all(find_marker(c.body) for c in world.ours())
