"""Fixtures for the hardening suite: a World and its GitHub and Jira servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import responses

from connectors.base import Connector, DictMemo
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.hardening.fake_github import FakeGitHub
from tests.hardening.fake_jira import FakeJira
from tests.hardening.world import NOW, Faults, World, standard_world


@dataclass
class Tracker:
    """One tracker kind wired to a World: how to build a connector and name its issues."""

    kind: str
    world: World
    faults: Faults
    build: Callable[..., Connector]
    key: Callable[[int], str]
    log: list[tuple[str, str, int]]

    def connector(self, **options: Any) -> tuple[Connector, DictMemo]:
        memo = DictMemo()
        return self.build(memo=memo, **options), memo


@pytest.fixture
def world_clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def sqlite_store(tmp_path: Any) -> Iterator[StateStore]:
    state = StateStore("sqlite://")
    yield state
    state.close()


@pytest.fixture(params=["github", "jira"])
def tracker(request: pytest.FixtureRequest, world_clock: Clock) -> Iterator[Tracker]:
    world = standard_world(world_clock)
    # A stateful server answers every route through callbacks: not every test asks each one.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        if request.param == "github":
            github = FakeGitHub(world, rsps)
            yield Tracker("github", world, github.faults, github.connector,
                          lambda n: f"{github.repo}#{n}", github.log)
        else:
            jira = FakeJira(world, rsps)
            yield Tracker("jira", world, jira.faults, jira.connector, jira.key, jira.log)
