"""Epics as milestones at the cost of the search alone: kept in the memo between cycles,
read whole once (connectors/jira/epics.py, connector.py); named fields looked up by name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import responses

from connectors.base import DictMemo
from connectors.errors import FatalError
from connectors.jira.epics import MEMO_EPICS
from connectors.model import Milestone
from tests.conftest import Clock
from tests.fakes.jira import FakeJira
from tests.fakes.jira_plans import START_DATE, STORY_POINTS, TARGET_END
from tests.fakes.world import World

T0 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 7, 29, 12, 0, tzinfo=UTC)
SINCE = "2026-07-28T00:00:00+00:00"


@pytest.fixture
def fake() -> Iterator[FakeJira]:
    world = World(clock=Clock(NOW))
    world.person("alice", name="Alice Martin", email="alice@acme.example")
    world.issue(1, "Status", "alice", created=T0)
    world.issue(2, "Invoicing", "alice", created=T0, due=date(2026, 8, 7))
    world.issue(3, "Export", "alice", created=T0)
    site = FakeJira({"BILL": world})
    site.make_epic(2, **{START_DATE: date(2026, 7, 20), TARGET_END: date(2026, 8, 14)})
    site.set_parent(3, 2, actor="alice")
    site.set_field(3, STORY_POINTS, 8, actor="alice")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        site.serve(rsps)
        yield site


def test_epics_come_from_the_search_and_then_from_the_memo(fake: FakeJira) -> None:
    memo = DictMemo()
    jira = fake.connector(memo=memo, milestones="epic", due_field="Target end")
    # A cursor, but no epic ever kept: the project is read whole once.
    first = jira.fetch(SINCE)
    assert first.complete
    expected = Milestone(key="epic:BILL-2", title="Invoicing", kind="epic",
                         created_at=T0, start_on=datetime(2026, 7, 20, tzinfo=UTC),
                         due_on=date(2026, 8, 14))
    assert first.snapshot.milestones == (expected,)
    export = next(i for i in first.snapshot.issues if i.key == "BILL-3")
    assert (export.milestone_keys, export.estimate) == (("epic:BILL-2",), 8.0)
    # Then a delta that returns no epic still has every epic, and asks nothing more.
    fake.projects["BILL"].say(1, "alice", "Any news?", at=NOW)
    before = len(fake.calls)
    second = jira.fetch(NOW.isoformat())
    assert not second.complete
    assert [issue.key for issue in second.snapshot.issues] == ["BILL-1"]
    assert second.snapshot.milestones == (expected,)
    assert [call.path for call in fake.calls[before:]] == ["/rest/api/2/search/jql"]
    assert MEMO_EPICS in memo


def test_new_field_names_read_the_project_whole_once(fake: FakeJira) -> None:
    memo = DictMemo()
    fake.connector(memo=memo, milestones="epic").fetch(None)
    renamed = fake.connector(memo=memo, milestones="epic", due_field="Target end")
    assert renamed.fetch(SINCE).complete  # the cached issues hold the old field's values
    assert not renamed.fetch(SINCE).complete


def test_a_named_field_the_site_lacks_stops_the_fetch(fake: FakeJira) -> None:
    jira = fake.connector(milestones="epic", estimate_field="Story Pointz")
    with pytest.raises(FatalError) as caught:
        jira.fetch(None)
    assert str(caught.value) == (
        'Jira https://acme.atlassian.net: estimate_field: no field named "Story Pointz" on '
        "this site (check the name in Jira's custom fields, or leave the option out)")
