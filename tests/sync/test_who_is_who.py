"""Who is client or team in a cycle: roles read through the connector, hidden e-mails counted,
and said once, on the project's first cycle (sync/cycle.py ``who_is_who``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.base import DictMemo
from connectors.model import Membership
from sync.cycle import run_cycle, who_is_who
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.fakes.memory import MemoryConnector
from tests.fakes.world import World
from tests.hardening.harness import runtime

DEVS = Membership("role", "Developers")


def jira_like_world(clock: Clock) -> World:
    world = World(clock=clock)
    world.person("dev-ann", email="ann@acme.example")
    world.person("dev-bo", hide_email=True)
    world.person("client-cy", hide_email=True)
    world.person("client-di", email="di@client.example")
    world.roles = {"Developers": ["dev-ann", "dev-bo"]}
    world.issue(1, "Status", "dev-ann", created=clock() - timedelta(days=9))
    world.issue(2, "Where is my invoice?", "client-cy", created=clock() - timedelta(days=3))
    return world


@pytest.mark.parametrize(
    ("team", "clients", "kinds", "blind", "message"),
    [
        ((DEVS,), None, {"dev-ann": "team", "dev-bo": "team", "client-cy": "client",
                         "client-di": "client"}, 0, None),
        (None, ("*@client.example",), {"dev-ann": "team", "dev-bo": "team",
                                        "client-cy": "team", "client-di": "client"}, 2,
         "mem: 2 people show no e-mail address, so the e-mail patterns in clients/team cannot "
         "tell whether they are clients; name them by account id, or write team: {role: …} "
         "or {group: …} (clients: customers on a service desk)"),
    ],
)
def test_roles_decide_where_emails_cannot(
    clock: Clock, store: StateStore, team: object, clients: object, kinds: dict[str, str],
    blind: int, message: str | None,
) -> None:
    world = jira_like_world(clock)
    rt = runtime(MemoryConnector(world), name="mem", status_issue="mem#1", memo=DictMemo())
    rt.team, rt.clients = team, clients  # type: ignore[assignment]
    found = who_is_who(rt, rt.connector.fetch(None).snapshot, world.me)
    assert {pid: found.snapshot.people[pid].kind for pid in kinds} == kinds
    assert found.hidden_emails == blind
    first = run_cycle(rt, store, clock=clock)
    assert first.hidden_emails == blind
    assert first.warnings == ([message] if message else [])
    clock.advance(minutes=15)
    assert run_cycle(rt, store, clock=clock).warnings == []  # said once, on the first cycle
