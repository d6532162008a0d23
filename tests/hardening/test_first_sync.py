"""A first sync larger than the request quota completes over several cycles.

The GitHub fake enforces a primary rate limit (``FakeGitHub.enforce_quota``:
so many requests an hour, then 403 until the reset), scaled down with the
repository: 110 requests an hour, of which the connector leaves 100 unspent
(``connectors.github.resume.RESERVE``), against a repository whose first
sync needs about 30 list pages. The real cycle runs every 15 minutes.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import responses

from connectors.base import DictMemo
from sync.cycle import run_cycle
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.fakes.github import FakeGitHub
from tests.fakes.world import CLIENT, TEAM, World, standard_world
from tests.hardening.harness import runtime

ISSUES, COMMENTS_EACH = 400, 4


def big_world(clock: Clock) -> World:
    """The standard scenario, and 400 more issues with 4 comments and a label event each."""
    world = standard_world(clock)
    start = clock() - timedelta(days=30)
    for number in range(100, 100 + ISSUES):
        at = start + timedelta(minutes=number)
        world.issue(number, f"Issue {number}", CLIENT, created=at)
        for reply in range(COMMENTS_EACH):
            world.say(number, (TEAM, CLIENT)[reply % 2], f"Reply {reply}",
                      at=at + timedelta(minutes=reply + 1))
        world.add_label(number, "bug", TEAM, at=at + timedelta(minutes=9))
    return world


@pytest.fixture
def github(world_clock: Clock) -> FakeGitHub:
    fake = FakeGitHub(big_world(world_clock))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.serve(rsps)
        yield fake


def test_a_first_sync_beyond_the_quota_completes_over_several_cycles(
    github: FakeGitHub, world_clock: Clock, sqlite_store: StateStore
) -> None:
    reference = github.connector().fetch(None).snapshot  # the whole repository, no quota
    github.calls.clear()
    github.enforce_quota(110)
    rt = runtime(github.connector(memo=DictMemo()), name="portal", status_issue="acme/portal#1",
                 memo=DictMemo())
    reports = []
    for _ in range(40):
        report = run_cycle(rt, sqlite_store, clock=world_clock)
        reports.append(report)
        world_clock.advance(minutes=15)
        if report.first_sync is None:
            break
    partial = [r for r in reports if r.first_sync is not None]
    assert len(partial) >= 4 and reports[-1].first_sync is None
    assert all(r.ok for r in reports), [r.errors for r in reports]
    # Nothing evaluated, nothing written while half read; then the whole project.
    assert all(not r.findings and not r.plan.actions for r in partial)
    whole = reports[-1].snapshot
    assert whole is not None and reports[-1].findings
    assert {i.key for i in whole.issues} == {i.key for i in reference.issues}
    assert {c.id for c in whole.comments} == {c.id for c in reference.comments}
    assert set(whole.changes) == set(reference.changes)
    # Each page was read once: the pause kept its place; no request met a spent quota
    # more than once an hour.
    pages = Counter((c.path, c.query.get("page", "1")) for c in github.calls
                    if c.method == "GET" and c.status == 200 and "milestones" not in c.path
                    and c.path != "/user")
    assert max(pages.values()) == 1
    assert sum(c.status == 403 for c in github.calls) <= len(reports) // 4 + 1
    assert "stopped in the" in (partial[0].first_sync or "")
