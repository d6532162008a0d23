"""A fetch tells its progress page by page (``Connector.fetch(progress=…)``), with the
number of pages when the tracker says; it never prints."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses

from tests.conftest import Clock
from tests.fakes.github import FakeGitHub
from tests.fakes.jira import FakeJira
from tests.fakes.world import NOW, TEAM, World


def world_of(issues: int) -> World:
    world = World(clock=Clock(NOW))
    world.person(TEAM, association="MEMBER")
    for number in range(1, issues + 1):
        world.issue(number, f"Issue {number}", TEAM, created=NOW - timedelta(days=number))
    return world


@pytest.mark.parametrize(("kind", "expected"), [
    ("github", [("milestones", 1, 1), ("issues", 1, 2), ("issues", 2, 2), ("comments", 1, 1),
                ("events", 1, 1)]),
    # Jira says no page count ahead; what is learnt once reads as "site".
    ("jira", [("site", 1, None), ("site", 2, None), ("site", 3, None), ("issues", 1, None),
              ("issues", 2, None), ("versions", 1, None)]),
])
def test_each_page_is_told(kind: str, expected: list[tuple[str, int, int | None]]) -> None:
    world = world_of(150)
    fake = FakeGitHub(world) if kind == "github" else FakeJira({"BILL": world})
    heard: list[tuple[str, int, int | None]] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.serve(rsps)
        connector = fake.connector()
        result = connector.fetch(None, progress=lambda *page: heard.append(page))
        assert len(result.snapshot.issues) == 150
        connector.fetch(result.cursor)  # without progress, nothing is told
    assert heard == expected
