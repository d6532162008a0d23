"""Who is client or team in a cycle: roles read through the connector, hidden e-mails counted,
and said once, on the project's first cycle (sync/who_is_who.py)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from connectors.base import Check, DictMemo
from connectors.model import Membership
from sync.app.connect import _bots
from sync.cycle import run_cycle
from sync.store.state import StateStore
from sync.suspects import SHOWN
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


def automated(clock: Clock, *, answering: int, quiet: int) -> World:
    """``jira_like_world`` with accounts named "CI …" in role Developers: ``answering`` of
    them (``ci-a01``, …) each answer a client's question on an issue of its own, ``quiet``
    ones (``ci-q01``, …) comment on a team issue only."""
    world = jira_like_world(clock)
    world.issue(3, "Release checklist", "dev-ann", created=clock() - timedelta(days=5))
    for n in range(1, answering + 1):
        pid = f"ci-a{n:02}"
        world.person(pid, name=f"CI Answer {n}")
        world.roles["Developers"].append(pid)
        world.issue(10 + n, f"Question {n}", "client-cy", created=clock() - timedelta(days=2))
        world.say(10 + n, pid, "Received, thank you.", at=clock() - timedelta(days=1))
    for n in range(1, quiet + 1):
        pid = f"ci-q{n:02}"
        world.person(pid, name=f"CI Quiet {n}")
        world.roles["Developers"].append(pid)
        world.say(3, pid, "Build passed.", at=clock() - timedelta(days=1))
    return world


def _first_cycle(clock: Clock, store: StateStore, world: World) -> list[str]:
    rt = runtime(MemoryConnector(world), name="mem", status_issue="mem#1", memo=DictMemo())
    rt.team, rt.clients = (DEVS,), None
    first = run_cycle(rt, store, clock=clock)
    assert first.snapshot is not None
    assert all(first.snapshot.people[pid].kind == "team" for pid in world.roles["Developers"])
    [warning] = first.warnings
    return warning.splitlines()


def test_the_first_cycle_names_at_most_ten_suspects_the_ones_that_answer_clients_first(
    clock: Clock, store: StateStore
) -> None:
    # 12 accounts look automated: the 3 that answer waiting clients come first, then 7 of
    # the 9 that answer nobody; one line counts the other 2, and the bots: line lists the 10.
    lines = _first_cycle(clock, store, automated(clock, answering=3, quiet=9))
    assert SHOWN == 10
    assert lines[0] == ("mem: 12 accounts look automated but count as people; forewarn "
                        "changed nothing:")
    named = [line.split()[0] for line in lines[1:SHOWN + 1]]
    assert named == ["ci-a01", "ci-a02", "ci-a03", *(f"ci-q{n:02}" for n in range(1, 8))]
    assert lines[1] == ("  ci-a01 (“CI Answer 1”) looks automated (its name); it answers 1 "
                        "waiting client as if it were the team")
    assert lines[SHOWN + 1:] == [
        "  … and 2 more accounts look automated; `forewarn --log-level DEBUG check-config "
        "--connect` logs them all",
        "  together all 12 answer 3 waiting clients",
        "If the 10 above are bots, write in project mem: bots: [ci-a01, ci-a02, ci-a03, "
        "ci-q01, ci-q02, ci-q03, ci-q04, ci-q05, ci-q06, ci-q07]; if one is a person, name it "
        "in team or clients."]


def test_the_first_cycle_names_every_suspect_up_to_ten(clock: Clock, store: StateStore) -> None:
    lines = _first_cycle(clock, store, automated(clock, answering=2, quiet=SHOWN - 2))
    assert len(lines) == 1 + SHOWN + 2
    assert "more account" not in "\n".join(lines)
    assert lines[-2:] == [
        "  together they answer 2 waiting clients",
        "If they are bots, write in project mem: bots: [ci-a01, ci-a02, ci-q01, ci-q02, ci-q03, "
        "ci-q04, ci-q05, ci-q06, ci-q07, ci-q08]; if one is a person, name it in team or "
        "clients."]


def _connect(clock: Clock, world: World) -> list[Check]:
    """``check-config --connect``'s bots lines on a project that never ran."""
    rt = runtime(MemoryConnector(world), name="mem", status_issue="mem#1", memo=DictMemo())
    rt.team, rt.clients = (DEVS,), None
    return _bots(rt, None, clock=clock)


WHERE = "(on the issues updated in the last 30 days)"


def test_connect_names_at_most_ten_suspects_and_fails_on_one_left_out(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    # 11 accounts answer waiting clients: 10 ✗ lines, and the count line is ✗ too, since
    # the one left out hides a waiting client. The log at DEBUG lists all 12.
    with caplog.at_level(logging.DEBUG, logger="sync.suspects"):
        found = _connect(clock, automated(clock, answering=SHOWN + 1, quiet=1))
    assert len(found) == SHOWN + 1
    assert [check.ok for check in found[:SHOWN]] == [False] * SHOWN
    assert found[-1] == Check(
        "bots", False, f"… and 2 more accounts look automated (1 of them answers waiting "
        f"clients) {WHERE}; `forewarn --log-level DEBUG check-config --connect` logs them all",
        "write the bots in the project's bots, name the people in team")
    [every] = [record.getMessage() for record in caplog.records if "every" in record.msg]
    assert every.count(" looks automated (its name)") == SHOWN + 2
    assert every.splitlines()[-1].startswith(
        "If they are bots, write in project mem: bots: [ci-a01, ci-a02, ci-a03, ci-a04, "
        "ci-a05, ci-a06, ci-a07, ci-a08, ci-a09, ci-a10, ci-a11, ci-q01]")


def test_connect_shows_every_account_that_answers_clients_before_the_others(
    clock: Clock
) -> None:
    found = _connect(clock, automated(clock, answering=3, quiet=SHOWN))
    assert [check.ok for check in found] == [False] * 3 + [True] * (SHOWN - 3) + [True]
    assert found[-1].detail == (
        f"… and 3 more accounts look automated {WHERE}; `forewarn --log-level DEBUG "
        "check-config --connect` logs them all")
    assert found[3].detail == (
        f"ci-q01 (“CI Quiet 1”) looks automated (its name); it answers no waiting client now "
        f"{WHERE}; if it is a bot: bots: [ci-q01]")


def test_connect_names_every_suspect_up_to_ten(clock: Clock) -> None:
    found = _connect(clock, automated(clock, answering=1, quiet=SHOWN - 1))
    assert len(found) == SHOWN
    assert not any("more account" in check.detail for check in found)
