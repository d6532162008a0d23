"""Fixtures for the hardening suite: a World served as GitHub and as Jira."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import responses

from connectors.base import Connector, DictMemo
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.fakes.github import FakeGitHub
from tests.fakes.http import Faults
from tests.fakes.jira import FakeJira
from tests.fakes.world import NOW, World, standard_world


@dataclass
class Tracker:
    """One tracker kind serving a World: how to build a connector and name its issues."""

    kind: str
    world: World
    fake: FakeGitHub | FakeJira

    @property
    def faults(self) -> Faults:
        return self.fake.faults

    @property
    def key(self) -> Callable[[int], str]:
        return self.fake.key

    @property
    def log(self) -> list[tuple[str, str, int]]:
        return [(call.method, call.path, call.status) for call in self.fake.calls]

    def connector(self, **options: Any) -> tuple[Connector, DictMemo]:
        memo = DictMemo()
        return self.fake.connector(memo=memo, **options), memo


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
    fake = FakeGitHub(world) if request.param == "github" else FakeJira({"BILL": world})
    # A stateful server answers every route through callbacks: not every test asks each one.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.serve(rsps)
        yield Tracker(request.param, world, fake)
