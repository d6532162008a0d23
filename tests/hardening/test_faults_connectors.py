"""Faults between forewarn and GitHub or Jira: after they clear, the tracker is exactly right.

Each test runs the real cycle (fetch, rules, reconcile, publish, state) over a
tracker served by ``responses`` callbacks (tests/fakes/), breaks
some requests on purpose, runs cycles until nothing is left to write, and
checks what a person sees: one comment per finding, the labels of the live
findings and nothing else of forewarn's, every word a person wrote untouched.
Then the findings go away (the team answers, a change is approved) and the
same is checked again, with every alert resolved and every forewarn label gone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from sync.store.state import StateStore
from tests.conftest import Clock
from tests.fakes.http import Fault
from tests.fakes.world import heal
from tests.hardening.conftest import Tracker
from tests.hardening.harness import (
    check,
    check_resolved,
    live,
    person_labels,
    run_until_quiet,
    runtime,
    world_view,
)

COMMENT_POST = r"/issues?/[^/]+/comments?$"
SECONDARY = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                        "before you try again.",
             "documentation_url": "https://docs.github.com/rest/overview/rate-limits"}


def _search(kind: str) -> str:
    return r"/repos/[^/]+/[^/]+/issues$" if kind == "github" else r"/search/jql$"


def _labels(kind: str) -> tuple[str, str]:
    """(method, path) of adding a label."""
    return ("POST", r"/issues/\d+/labels$") if kind == "github" else ("PUT", r"/issue/BILL-\d+$")


def _remove(kind: str) -> tuple[str, str]:
    return ("DELETE", r"/labels/.+$") if kind == "github" else ("PUT", r"/issue/BILL-\d+$")


def _edit(kind: str) -> tuple[str, str]:
    return ("PATCH", r"/issues/comments/\d+$") if kind == "github" else (
        "PUT", r"/comment/\d+$")


FaultsFor = Callable[[str], list[Fault]]
#: Faults that hit the first cycle (reads and creations).
FIRST: dict[str, FaultsFor] = {
    "comment created, response lost": lambda k: [Fault("POST", COMMENT_POST, "lost", 2)],
    "comment created, truncated JSON": lambda k: [Fault("POST", COMMENT_POST, "truncated", 2)],
    "comment created, 502 then read timeout": lambda k: [
        Fault("POST", COMMENT_POST, "status", 1, status=502),
        Fault("POST", COMMENT_POST, "timeout", 1)],
    "502 burst on every read": lambda k: [Fault("GET", ".", "status", 3, status=502)],
    "503 burst longer than the retries": lambda k: [
        Fault("GET", _search(k), "status", 9, status=503, body="<html>unavailable</html>")],
    "429 with Retry-After": lambda k: [
        Fault("GET", _search(k), "status", 2, status=429, headers={"Retry-After": "7"}),
        Fault("POST", COMMENT_POST, "status", 1, status=429, headers={"Retry-After": "7"})],
    "read timeouts": lambda k: [Fault("GET", _search(k), "timeout", 2),
                                Fault("GET", r"(comments|versions)$", "timeout", 1)],
    "truncated JSON on a read": lambda k: [Fault("GET", _search(k), "truncated", 1)],
    "dropped connections on label writes": lambda k: [Fault(*_labels(k), "lost", 2)],
    "connection refused on label writes": lambda k: [Fault(*_labels(k), "connect", 5)],
}
GITHUB_ONLY: dict[str, FaultsFor] = {
    "secondary-limit 403 with Retry-After": lambda k: [
        Fault("POST", COMMENT_POST, "status", 2, status=403, headers={"Retry-After": "60"},
              body=SECONDARY)],
    "secondary-limit 403 without Retry-After": lambda k: [
        Fault("POST", r"/labels$", "status", 1, status=403, body=SECONDARY),
        Fault("GET", r"/issues/comments$", "status", 1, status=403, body=SECONDARY)],
    "primary limit spent": lambda k: [
        Fault("GET", r"/milestones$", "status", 1, status=403,
              headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1795608030"},
              body={"message": "API rate limit exceeded for user ID 1."})],
}
#: Faults that hit the cycle after the findings went away (edits, removals).
HEALING: dict[str, FaultsFor] = {
    "resolving edit, response lost": lambda k: [Fault(*_edit(k), "lost", 2)],
    "resolving edit, 502 burst": lambda k: [Fault(*_edit(k), "status", 6, status=502)],
    "label removal, read timeout then 503": lambda k: [
        Fault(*_remove(k), "timeout", 1), Fault(*_remove(k), "status", 1, status=503)],
}


def scenario(tracker: Tracker, store: StateStore, clock: Clock, *, first: Sequence[Fault] = (),
             healing: Sequence[Fault] = (), then_heal: bool = True) -> None:
    """Alert under ``first`` faults, check; then heal under ``healing`` faults, check."""
    world, key = tracker.world, tracker.key
    connector, memo = tracker.connector()
    rt = runtime(connector, name="portal", status_issue=key(1), memo=memo)
    before = world_view(world, key)
    tracker.faults.extend(first)
    reports = run_until_quiet(rt, store, clock)
    assert tracker.faults.cleared, tracker.faults
    findings = reports[-1].findings
    assert {(f.cause, f.subject_key, f.severity.label) for f in findings if f.comment} >= {
        ("awaiting_reply", key(2), "critical"), ("added", key(4), "warning")}
    check(world_view(world, key), findings, before=before,
          person_labels=person_labels(world, key), status_issue=key(1))
    assert len(world.ours()) == 4  # #2 and #7 breach, #4 added, the growth on #1
    if not then_heal:
        return
    heal(world)
    before = world_view(world, key)
    tracker.faults.extend(healing)
    reports = run_until_quiet(rt, store, clock)
    assert tracker.faults.cleared, tracker.faults
    assert not live(reports[-1].findings)
    view = world_view(world, key)
    check(view, reports[-1].findings, before=before, person_labels=person_labels(world, key),
          status_issue=key(1))
    check_resolved(view)
    assert len(world.ours()) == 4


def test_without_faults(tracker: Tracker, sqlite_store: StateStore, world_clock: Clock) -> None:
    scenario(tracker, sqlite_store, world_clock)


@pytest.mark.parametrize("name", list(FIRST))
def test_faults_while_alerting(tracker: Tracker, sqlite_store: StateStore, world_clock: Clock,
                               name: str) -> None:
    scenario(tracker, sqlite_store, world_clock, first=FIRST[name](tracker.kind),
             then_heal=False)


@pytest.mark.parametrize("name", list(GITHUB_ONLY))
def test_github_rate_limits(tracker: Tracker, sqlite_store: StateStore, world_clock: Clock,
                            name: str) -> None:
    if tracker.kind != "github":
        pytest.skip("403 rate limits are GitHub-only: not applicable to the Jira connector")
    scenario(tracker, sqlite_store, world_clock, first=GITHUB_ONLY[name](tracker.kind),
             then_heal=False)


@pytest.mark.parametrize("name", list(HEALING))
def test_faults_while_resolving(tracker: Tracker, sqlite_store: StateStore, world_clock: Clock,
                                name: str) -> None:
    scenario(tracker, sqlite_store, world_clock, healing=HEALING[name](tracker.kind))


def test_a_lost_comment_is_looked_for_not_posted_twice(
    tracker: Tracker, sqlite_store: StateStore, world_clock: Clock
) -> None:
    """The request log shows the marker check between the lost POST and anything else."""
    tracker.faults.append(Fault("POST", COMMENT_POST, "lost", 1))
    scenario(tracker, sqlite_store, world_clock, then_heal=False)
    posts = [i for i, (method, path, _) in enumerate(tracker.log)
             if method == "POST" and "comment" in path]
    first = posts[0]
    assert tracker.log[first][2] == 0  # the lost one
    assert tracker.log[first + 1][0] == "GET" and "comment" in tracker.log[first + 1][1]
    assert len([p for p in posts if tracker.log[p][2] in (200, 201)]) == 3  # 4 comments, 1 lost


def test_retry_after_is_honoured(tracker: Tracker, sqlite_store: StateStore,
                                 world_clock: Clock) -> None:
    waits: list[float] = []
    from connectors.retry import RetryPolicy

    policy = RetryPolicy(attempts=4, sleep=waits.append)
    connector, memo = tracker.connector(retry=policy)
    rt = runtime(connector, name="portal", status_issue=tracker.key(1), memo=memo)
    tracker.faults.append(Fault("GET", _search(tracker.kind), "status", 2, status=429,
                                headers={"Retry-After": "7"}))
    run_until_quiet(rt, sqlite_store, world_clock)
    assert len(waits) == 2 and all(wait >= 7 for wait in waits)
