"""A GitHub Project read by the connector: owner kinds, fields by name, groups, what changed.

Against the stateful fake (tests/fakes/github_project.py): one repository, acme/web,
and a Project of acme's (or of a user's) whose items are its issues.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import responses

from connectors.base import DictMemo
from connectors.errors import FatalError
from connectors.github.connector import GitHubConnector
from connectors.github.project_read import Board
from connectors.model import Change
from connectors.retry import RetryPolicy
from tests.conftest import Clock
from tests.connectors.github.support import GITHUB_TOKEN
from tests.fakes.github import FakeGitHub
from tests.fakes.github_project import FakeGitHubHost, FakeIteration, FakeProject
from tests.fakes.world import World

T0 = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)


def world(clock: Clock) -> FakeGitHub:
    found = World(clock=clock)
    found.person("alice", association="OWNER")
    for number in (1, 2, 3):
        found.issue(number, f"Task {number}", "alice", created=T0 - timedelta(days=10))
    # The newest issue, outside any plan: the cursor stands at its updated_at.
    found.issue(4, "Unplanned", "alice", created=T0 - timedelta(days=1))
    return FakeGitHub(found, "acme/web", repo_id=4_000_001)


def connector(clock: Clock, board: Board, memo: DictMemo | None = None) -> GitHubConnector:
    return GitHubConnector(None, board=board, token=GITHUB_TOKEN,
                           memo=DictMemo() if memo is None else memo,
                           project="portal", retry=RetryPolicy(attempts=2, scale=0),
                           min_write_interval=0, clock=clock, sleep=lambda _s: None)


def serve(host: FakeGitHubHost) -> responses.RequestsMock:
    rsps = responses.RequestsMock(assert_all_requests_are_fired=False)
    host.serve(rsps)
    return rsps


def test_a_users_project_is_found_once_and_remembered() -> None:
    clock = Clock(T0 + timedelta(days=1))
    repo = world(clock)
    project = FakeProject("octocat", 2, kind="users", created=T0,
                          iterations=[FakeIteration("it1", "Sprint 1", date(2024, 6, 3))])
    project.add(repo, 2, at=T0, sprint="it1")
    host = FakeGitHubHost(repo, projects=[project])
    memo = DictMemo()
    board = Board(owner="octocat", number=2, iteration="Sprint")
    with serve(host):
        first = connector(clock, board, memo).fetch(None)
        mark = len(host.calls)
        connector(clock, board, memo).fetch(first.cursor)
    asked = [c.path for c in host.calls if "projectsV2" in c.path]
    assert asked[:2] == ["/orgs/octocat/projectsV2/2/fields", "/users/octocat/projectsV2/2/fields"]
    assert all(p.startswith("/users/") for p in asked[1:])
    assert [c.path for c in host.calls[mark:] if "projectsV2" in c.path] == [
        "/users/octocat/projectsV2/2/fields", "/users/octocat/projectsV2/2/items"]
    (issue,) = [i for i in first.snapshot.issues if i.key == "acme/web#2"]
    assert issue.milestone_keys == ("octocat/projects/2/iterations/it1",)


@pytest.mark.parametrize(("board", "message"), [
    (Board(owner="acme", number=5, iteration="Sprints"),
     "GitHub: Project acme/5 has no field 'Sprints' of type iteration (its fields: Status "
     "(single_select), Release (single_select), Estimate (number), Target date (date), "
     "Sprint (iteration))"),
    (Board(owner="acme", number=5, group="Estimate"),
     "GitHub: Project acme/5 has 'Estimate' as a number field, not single_select"),
    (Board(owner="acme", number=9, iteration="Sprint"),
     "GitHub: Project acme/9 not found: no organisation or user acme has a Project number 9"),
])
def test_a_field_or_project_that_is_not_there(board: Board, message: str) -> None:
    clock = Clock(T0)
    host = FakeGitHubHost(world(clock), projects=[FakeProject("acme", 5, created=T0)])
    with serve(host), pytest.raises(FatalError) as caught:
        connector(clock, board).fetch(None)
    assert str(caught.value).startswith(message)


def test_single_select_groups_due_by_their_latest_item() -> None:
    clock = Clock(T0)
    repo = world(clock)
    project = FakeProject("acme", 5, created=T0, releases=[("r1", "Release 1"),
                                                           ("r2", "Release 2")])
    project.add(repo, 1, at=T0, release="r1", target=date(2024, 6, 20))
    project.add(repo, 2, at=T0, release="r1", target=date(2024, 6, 28), estimate=8)
    host = FakeGitHubHost(repo, projects=[project])
    board = Board(owner="acme", number=5, group="Release", due="Target date",
                  estimate="Estimate")
    with serve(host):
        fetched = connector(clock, board).fetch(None)
    plan = {m.key: (m.title, m.due_on, m.created_at) for m in fetched.snapshot.milestones}
    assert plan == {"acme/projects/5/options/r1": ("Release 1", date(2024, 6, 28), T0),
                    "acme/projects/5/options/r2": ("Release 2", None, T0)}
    issues = {i.key: (i.milestone_keys, i.due_on, i.estimate) for i in fetched.snapshot.issues}
    assert issues["acme/web#2"] == (("acme/projects/5/options/r1",), date(2024, 6, 28), 8.0)
    # A repository the config does not name gives its plan's issues only.
    assert "acme/web#3" not in issues


def test_what_the_timeline_does_not_say_comes_from_the_memo() -> None:
    clock = Clock(T0)
    repo = world(clock)
    project = FakeProject("acme", 5, created=T0,
                          iterations=[FakeIteration("it1", "Sprint 1", date(2024, 6, 3))])
    kept = project.add(repo, 1, at=T0, sprint="it1")
    project.add(repo, 2, at=T0, sprint="it1")
    host = FakeGitHubHost(repo, projects=[project])
    board = Board(owner="acme", number=5, iteration="Sprint")
    memo = DictMemo()
    sprint = "acme/projects/5/iterations/it1"
    with serve(host):
        first = connector(clock, board, memo).fetch(None)
        assert {c for c in first.snapshot.changes if c.field == "milestone"} == {
            Change("acme/web#1", "milestone", T0, None, sprint),
            Change("acme/web#2", "milestone", T0, None, sprint),
        }
        clock.now = T0 + timedelta(hours=5)
        project.items[kept].archived = clock.now
        project.add(repo, 3, at=clock.now, sprint="it1")
        project.move_iteration("it1", days=21, at=clock.now)
        clock.now += timedelta(minutes=10)
        mark = len(host.calls)
        second = connector(clock, board, memo).fetch(first.cursor)
    assert set(second.snapshot.changes) == {
        Change("acme/web#1", "milestone", clock.now, sprint, None),
        Change("acme/web#3", "milestone", T0 + timedelta(hours=5), None, sprint),
        Change(sprint, "due_on", T0 + timedelta(hours=5), "2024-06-16", "2024-06-23"),
    }
    # The issues did not change: the two whose place did are read again, one by one.
    reread: dict[str, Any] = {i.key: i.milestone_keys for i in second.snapshot.issues}
    assert reread == {"acme/web#1": (), "acme/web#3": (sprint,)}
    assert [c.path for c in host.calls[mark:] if c.path.startswith("/repos/acme/web/issues/")
            ] == ["/repos/acme/web/issues/1", "/repos/acme/web/issues/3"]


def test_a_broken_item_is_skipped_and_named() -> None:
    clock = Clock(T0)
    repo = world(clock)
    project = FakeProject("acme", 5, created=T0,
                          iterations=[FakeIteration("it1", "Sprint 1", date(2024, 6, 3))])
    broken = project.add(repo, 1, at=T0, sprint="it1")
    project.add(repo, 2, at=T0, sprint="it1")
    host = FakeGitHubHost(repo, projects=[project])
    host.tamper[("item", broken)] = lambda item: {**item, "content": {"title": "no url"}}
    with serve(host):
        fetched = connector(clock, Board(owner="acme", number=5, iteration="Sprint")).fetch(None)
    assert fetched.skipped == (
        f"Project acme/5 item {broken}: content has no issue url (url or html_url)",)
    assert [i.key for i in fetched.snapshot.issues] == ["acme/web#2"]
