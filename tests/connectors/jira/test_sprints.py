"""A board's sprints: listed whole once, then only the open ones; a sprint that closes
between two cycles is read once more (connectors/jira/sprints.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import responses

from connectors.base import DictMemo
from connectors.jira.connector import JiraConnector
from tests.conftest import Clock
from tests.fakes.jira import FakeJira
from tests.fakes.world import World

T0 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
BOARD = 8


def site(clock: Clock, *, closed: int) -> FakeJira:
    """A board with ``closed`` closed sprints (ids 1..closed), one active (900), one future
    to be (901, open without dates in the fake: it lists as active)."""
    world = World(clock=clock)
    world.person("alice", name="Alice Martin", email="alice@acme.example")
    world.person("forewarn", name="forewarn", email="forewarn@acme.example")
    for n in range(1, closed + 1):
        start = T0 - timedelta(days=14 * (closed - n + 2))
        world.milestone(n, f"Sprint {n}", kind="sprint", state="closed", created=start,
                        start=start, due=(start + timedelta(days=14)).date(),
                        closed=start + timedelta(days=14))
    world.milestone(900, "Sprint now", kind="sprint", created=T0, start=T0,
                    due=date(2026, 7, 15))
    world.milestone(901, "Sprint next", kind="sprint", created=T0, start=T0,
                    due=date(2026, 7, 29))
    world.issue(1, "Status", "alice", created=T0, milestone=900)
    return FakeJira({"BILL": world}, boards={"BILL": BOARD})


def sprint_calls(fake: FakeJira) -> Counter[str]:
    calls = Counter()
    for call in fake.calls:
        if call.path == "/rest/agile/1.0/board/8/sprint":
            calls[f"board sprints state={call.query.get('state', 'all')}"] += 1
        elif call.path.startswith("/rest/agile/1.0/sprint/"):
            calls[call.path] += 1
    return calls


@pytest.fixture
def served(clock: Clock) -> FakeJira:
    fake = site(clock, closed=120)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.serve(rsps)
        yield fake


def connector(fake: FakeJira, memo: DictMemo) -> JiraConnector:
    return fake.connector(memo=memo, milestones="sprint", boards=(BOARD,))


def states(result_milestones: tuple) -> dict[str, str]:  # type: ignore[type-arg]
    return {m.key: m.state for m in result_milestones}


def test_the_closed_sprints_are_listed_once_then_kept(served: FakeJira, clock: Clock) -> None:
    memo = DictMemo()
    first = connector(served, memo).fetch(None)
    assert sprint_calls(served) == {"board sprints state=all": 3}  # 122 sprints, 50 a page
    assert len(first.snapshot.milestones) == 122
    served.calls.clear()
    clock.advance(minutes=15)
    again = connector(served, memo).fetch(first.cursor)  # a new process: the memo restored
    assert sprint_calls(served) == {"board sprints state=active,future": 1}
    assert states(again.snapshot.milestones) == states(first.snapshot.milestones)
    assert again.requests == 2  # the search and one page of open sprints


def test_a_sprint_closed_between_two_cycles_is_read_once_more(
    served: FakeJira, clock: Clock
) -> None:
    memo = DictMemo()
    cursor = connector(served, memo).fetch(None).cursor
    world = served.projects["BILL"]
    clock.advance(days=14)
    world.milestones[900].state, world.milestones[900].closed = "closed", clock()
    served.calls.clear()
    result = connector(served, memo).fetch(cursor)
    assert sprint_calls(served) == {"board sprints state=active,future": 1,
                                    "/rest/agile/1.0/sprint/900": 1}
    closed = next(m for m in result.snapshot.milestones if m.key == "sprint:900")
    assert (closed.state, closed.closed_at) == ("closed", clock())
    assert len(result.snapshot.milestones) == 122
    served.calls.clear()
    connector(served, memo).fetch(result.cursor)
    assert sprint_calls(served) == {"board sprints state=active,future": 1}


def test_a_deleted_sprint_is_dropped(served: FakeJira, clock: Clock) -> None:
    memo = DictMemo()
    cursor = connector(served, memo).fetch(None).cursor
    del served.projects["BILL"].milestones[901]
    result = connector(served, memo).fetch(cursor)
    assert "sprint:901" not in states(result.snapshot.milestones)
    assert len(result.snapshot.milestones) == 121


def test_an_unreadable_memo_lists_the_board_whole(served: FakeJira) -> None:
    memo = DictMemo()
    cursor = connector(served, memo).fetch(None).cursor
    memo["sprints:8"] = "{not json"
    served.calls.clear()
    result = connector(served, memo).fetch(cursor)
    assert sprint_calls(served) == {"board sprints state=all": 3}
    assert len(result.snapshot.milestones) == 122
