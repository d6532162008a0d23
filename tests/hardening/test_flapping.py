"""A finding that ends and comes back: one comment per occurrence, never an orphan.

The client's question on #2 waits past its SLA (an alert comment); a PM puts
``waiting-on-client`` on the issue (the finding ends: the comment is resolved),
then takes it off (the finding is back), three times, on GitHub and on Jira
(the fakes of tests/fakes/). The policy (``sync/occurrences.py``): back within
a day, the resolved comment is reopened in place (an edit: no new
notification); back later, a new comment under a marker of its own; and a
new comment whose response is lost is found again by that marker.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.markers import Marker, find_marker, is_resolved
from sync.occurrences import REOPEN_WITHIN
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.fakes.http import Fault
from tests.fakes.world import TEAM
from tests.hardening.conftest import Tracker
from tests.hardening.harness import run_until_quiet, runtime

PAUSE = "waiting-on-client"
COMMENT_POST = r"/issues?/[^/]+/comments?$"


def alerts_on(tracker: Tracker, number: int) -> list[tuple[Marker, bool]]:
    """forewarn's comments on an issue, oldest first: (marker, resolved)."""
    found = []
    for comment in tracker.world.comments_on(number):
        if comment.author == tracker.world.me:
            text = find_marker(comment.body)
            assert text is not None
            found.append((Marker.parse(text), is_resolved(comment.body)))
    return found


def posts_on(tracker: Tracker, number: int) -> int:
    """Comment creations sent for the issue (each one a notification)."""
    issue = tracker.key(number).replace("acme/portal#", "")
    return sum(1 for method, path, _ in tracker.log
               if method == "POST" and path.endswith((f"/{issue}/comments", f"/{issue}/comment")))


def lost_write(tracker: Tracker, apart: timedelta) -> Fault:
    """The write that brings the alert back, done by the tracker but its answer lost."""
    if apart > REOPEN_WITHIN:
        return Fault("POST", COMMENT_POST, "lost", 1)
    if tracker.kind == "github":
        return Fault("PATCH", r"/issues/comments/\d+$", "lost", 1)
    return Fault("PUT", r"/comment/\d+$", "lost", 1)


def toggle(tracker: Tracker, store: StateStore, clock: Clock, *, times: int,
           apart: timedelta, lose_the_write: bool = False) -> None:
    """Pause and resume the feedback clock of #2 ``times`` times, ``apart`` each step."""
    connector, memo = tracker.connector()
    rt = runtime(connector, name="portal", status_issue=tracker.key(1), memo=memo)
    run_until_quiet(rt, store, clock)
    for _ in range(times):
        clock.advance(seconds=apart.total_seconds())
        tracker.world.add_label(2, PAUSE, TEAM)
        run_until_quiet(rt, store, clock)
        assert [resolved for _, resolved in alerts_on(tracker, 2)] == [True] * len(
            alerts_on(tracker, 2)), "the alert is resolved while the client is waited for"
        clock.advance(seconds=apart.total_seconds())
        tracker.world.remove_label(2, PAUSE, TEAM)
        if lose_the_write:
            tracker.faults.append(lost_write(tracker, apart))
        run_until_quiet(rt, store, clock)
        assert tracker.faults.cleared


def test_a_finding_back_within_a_day_reopens_its_comment_in_place(
    tracker: Tracker, world_clock: Clock, sqlite_store: StateStore,
) -> None:
    toggle(tracker, sqlite_store, world_clock, times=3, apart=timedelta(hours=1))
    (only,) = alerts_on(tracker, 2)
    assert only[0].occurrence == 1 and only[1] is False  # open again, the same comment
    assert posts_on(tracker, 2) == 1  # one notification, the first


def test_a_finding_back_after_a_day_is_a_new_comment_with_its_own_marker(
    tracker: Tracker, world_clock: Clock, sqlite_store: StateStore,
) -> None:
    toggle(tracker, sqlite_store, world_clock, times=3, apart=REOPEN_WITHIN)
    alerts = alerts_on(tracker, 2)
    assert [(marker.occurrence, resolved) for marker, resolved in alerts] == [
        (1, True), (2, True), (3, True), (4, False)]
    assert len({marker.subject for marker, _ in alerts}) == 1
    assert posts_on(tracker, 2) == 4  # one notification per occurrence


@pytest.mark.parametrize("apart", [timedelta(hours=1), REOPEN_WITHIN + timedelta(hours=1)],
                         ids=["reopened", "posted again"])
def test_a_lost_response_never_leaves_an_orphaned_alert(
    tracker: Tracker, world_clock: Clock, sqlite_store: StateStore, apart: timedelta,
) -> None:
    toggle(tracker, sqlite_store, world_clock, times=2, apart=apart, lose_the_write=True)
    alerts = alerts_on(tracker, 2)
    assert [resolved for _, resolved in alerts] == [True] * (len(alerts) - 1) + [False]
    assert len({str(marker) for marker, _ in alerts}) == len(alerts)
    # The client is answered: every comment of forewarn's on #2 says so, none still waits.
    tracker.world.say(2, TEAM, "Answered now.")
    connector, memo = tracker.connector()
    rt = runtime(connector, name="portal", status_issue=tracker.key(1), memo=memo)
    run_until_quiet(rt, sqlite_store, world_clock)
    assert all(resolved for _, resolved in alerts_on(tracker, 2)), alerts_on(tracker, 2)
