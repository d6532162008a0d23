"""Who is client or team in a cycle: roles read through the connector, hidden e-mails counted,
and said once, on the project's first cycle (sync/who_is_who.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.base import DictMemo
from connectors.model import Membership
from sync.cycle import run_cycle
from sync.store.state import StateStore
from sync.who_is_who import who_is_who
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


def test_bots_groups_are_asked_with_the_roles(clock: Clock) -> None:
    world = jira_like_world(clock)
    world.person("ci-runner", email="ci@acme.example")
    world.groups = {"ci-accounts": ["ci-runner"]}
    rt = runtime(MemoryConnector(world), name="mem", status_issue="mem#1", memo=DictMemo())
    rt.team, rt.clients = (DEVS,), None
    rt.bots = ("jenkins", Membership("group", "ci-accounts"))
    found = who_is_who(rt, rt.connector.fetch(None).snapshot, world.me)
    assert {pid: found.snapshot.people[pid].kind for pid in ("ci-runner", "dev-ann",
                                                             "client-cy")} == {
        "ci-runner": "bot", "dev-ann": "team", "client-cy": "client"}


def test_the_first_cycle_notes_a_suspect_that_changes_no_wait(
    clock: Clock, store: StateStore
) -> None:
    # "Release Bot", in role Developers, comments on a team issue only: it answers nobody
    # now. The first cycle says so as a note (dim), not a warning, and reclassifies nothing.
    world = jira_like_world(clock)
    world.person("release-bot", name="Release Bot", email="release@acme.example")
    world.roles["Developers"].append("release-bot")
    world.say(1, "release-bot", "Released to staging.", at=clock() - timedelta(days=1))
    rt = runtime(MemoryConnector(world), name="mem", status_issue="mem#1", memo=DictMemo())
    rt.team, rt.clients = (DEVS,), None
    first = run_cycle(rt, store, clock=clock)
    assert first.ok and first.warnings == []
    assert first.notes == [
        "mem: 1 account looks automated but counts as a person; forewarn changed nothing:\n"
        "  release-bot (“Release Bot”) looks automated (its name); it answers no waiting client "
        "now\n"
        "If it is a bot, write in project mem: bots: [release-bot]; if it is a person, name it "
        "in team or clients."]
    assert first.snapshot is not None and first.snapshot.people["release-bot"].kind == "team"
