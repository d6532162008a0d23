"""Adopting forewarn without a flood, and alerts that never reach a client's issue.

The real cycle on ``tests/fakes/world.py``'s standard scenario (served by
``MemoryConnector``): on its first look forewarn finds a breach on #2, a warning
on #3, an addition to milestone 1 on #4 (and the milestone's growth), and a
breach on #7 (a client comment). ``#1`` is the status issue, the team's.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from benchmarks.backfill import adopt
from connectors.base import DictMemo, RemoteComment
from connectors.errors import FatalError
from connectors.markers import Marker, find_marker
from connectors.model import Visibility
from sync.actions import AddLabel, CreateComment, EditComment, EnsureLabel
from sync.cycle import CycleReport, ProjectRuntime, run_cycle
from sync.routing import Routing
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.fakes.memory import MemoryConnector
from tests.fakes.world import CLIENT, TEAM, World, heal, standard_world
from tests.hardening.harness import runtime

STATUS = "mem#1"
BACKFILL = Routing(backfill="digest", team_issue=STATUS)


@pytest.fixture
def world(clock: Clock) -> World:
    return standard_world(clock)


@pytest.fixture
def connector(world: World) -> MemoryConnector:
    return MemoryConnector(world)


def project(connector: MemoryConnector, routing: Routing) -> ProjectRuntime:
    rt = runtime(connector, name="mem", status_issue=STATUS, memo=DictMemo())
    rt.routing = routing
    rt.notify = ("pm-ann",)
    return rt


def cycle(rt: ProjectRuntime, store: StateStore, clock: Clock, *,
          dry_run: bool = False) -> CycleReport:
    report = run_cycle(rt, store, clock=clock, dry_run=dry_run)
    assert report.ok, report.errors
    return report


def ours(world: World) -> dict[int, list[str]]:
    """forewarn's comments by issue number."""
    found: dict[int, list[str]] = {}
    for comment in world.ours():
        found.setdefault(comment.number, []).append(comment.body)
    return found


def listed(digest: str) -> list[int]:
    """The issues a digest links to, in its order."""
    return [int(n) for n in re.findall(r"\(https://tracker\.example/mem/issues/(\d+)\)", digest)]


def kinds(report: CycleReport) -> list[str]:
    out = []
    for action in report.plan.writes:
        if isinstance(action, CreateComment | EditComment):
            out.append(f"{type(action).__name__} {action.kind} {action.target}")
        elif isinstance(action, AddLabel):
            out.append(f"label {action.target}")
        elif not isinstance(action, EnsureLabel):
            out.append(action.describe())
    return out


def test_a_first_cycle_writes_one_digest_and_the_labels(
    world: World, connector: MemoryConnector, store: StateStore, clock: Clock
) -> None:
    rt = project(connector, BACKFILL)
    first = cycle(rt, store, clock)
    assert sorted(kinds(first)) == ["CreateComment digest mem#1", "label mem#2", "label mem#3",
                                    "label mem#4", "label mem#7"]
    (digest,) = ours(world)[1]
    assert list(ours(world)) == [1]  # no comment on a client's issue
    assert find_marker(digest) == "backfill.mem:info"
    assert listed(digest) == [2, 7, 3, 4]  # breaches first, then warnings; milestone: no link
    assert "- ⚠️ mem/milestones/1: Milestone “v1\\.0 launch” grew by 100% (threshold 10%)" \
        in digest  # fmt: skip
    assert digest.count("@pm-ann") == 1
    first_looked = "These were already open when forewarn first looked (Nov 25, 2026, 08:00 (UTC))"
    assert first_looked in digest
    # Nothing changed: nothing written.
    clock.advance(minutes=15)
    assert cycle(rt, store, clock).plan.writes == ()


def test_what_begins_later_or_gets_worse_gets_its_own_alert(
    world: World, connector: MemoryConnector, store: StateStore, clock: Clock
) -> None:
    rt = project(connector, BACKFILL)
    cycle(rt, store, clock)
    clock.advance(minutes=1)
    world.issue(8, "New question after forewarn looked", CLIENT, created=clock())
    clock.advance(hours=16, minutes=1)  # #8 breaches; #3's warning becomes a breach
    later = cycle(rt, store, clock)
    assert sorted(kinds(later)) == ["CreateComment alert mem#3", "CreateComment alert mem#8",
                                    "EditComment digest mem#1", "label mem#8"]
    (digest,) = ours(world)[1]
    assert listed(digest) == [2, 7, 4]  # #3 left the digest for its own alert
    assert len(ours(world)[3]) == 1 and len(ours(world)[8]) == 1


def test_what_resolves_leaves_the_digest_and_its_labels_go(
    world: World, connector: MemoryConnector, store: StateStore, clock: Clock
) -> None:
    rt = project(connector, BACKFILL)
    cycle(rt, store, clock)
    heal(world)
    clock.advance(minutes=15)
    healed = cycle(rt, store, clock)
    assert sorted(kinds(healed)) == ["EditComment digest mem#1", "remove label 'awaiting-reply' "
                                     "from mem#2", "remove label 'awaiting-reply' from mem#3",
                                     "remove label 'awaiting-reply' from mem#7",
                                     "remove label 'scope-creep' from mem#4"]
    (digest,) = ours(world)[1]
    assert "Everything forewarn found already there when it first looked is resolved." in digest
    assert "@pm-ann" not in digest  # nothing to tell anyone any more
    clock.advance(minutes=15)
    assert cycle(rt, store, clock).plan.writes == ()


def test_a_lost_database_adopts_the_digest_and_posts_nothing_twice(
    world: World, connector: MemoryConnector, store: StateStore, clock: Clock
) -> None:
    cycle(project(connector, BACKFILL), store, clock)
    clock.advance(minutes=15)
    fresh = StateStore("sqlite://")  # the state database is gone
    again = cycle(project(connector, BACKFILL), fresh, clock)
    # Found by its marker: edited (its "since" is now), never posted again; labels are there.
    assert kinds(again) == ["EditComment digest mem#1"]
    assert len(ours(world)[1]) == 1 and list(ours(world)) == [1]
    fresh.close()


def test_a_dry_run_plans_the_digest_and_writes_nothing(
    world: World, connector: MemoryConnector, store: StateStore, clock: Clock
) -> None:
    report = cycle(project(connector, BACKFILL), store, clock, dry_run=True)
    assert "CreateComment digest mem#1" in kinds(report)
    (create,) = [a for a in report.plan.actions if isinstance(a, CreateComment)]
    assert create.describe() == "team digest on mem#1 (backfill.mem:info)"
    assert ours(world) == {}


def test_backfill_comment_is_todays_behaviour(
    world: World, connector: MemoryConnector, store: StateStore, clock: Clock
) -> None:
    first = cycle(project(connector, dataclasses.replace(BACKFILL, backfill="comment")), store,
                  clock)
    assert sorted(k for k in kinds(first) if k.startswith("Create")) == [
        "CreateComment alert mem#1", "CreateComment alert mem#2", "CreateComment alert mem#4",
        "CreateComment alert mem#7"]


def test_without_a_team_issue_the_backfill_is_labelled_and_the_run_says_so(
    world: World, connector: MemoryConnector, store: StateStore, clock: Clock
) -> None:
    rt = project(connector, Routing(backfill="digest"))
    first = cycle(rt, store, clock)
    assert ours(world) == {}
    assert first.warnings == [
        "mem: 5 findings were already there; with no team issue (alerts.issue or status_issue) "
        "to list them in, they are only labelled"]
    clock.advance(minutes=15)
    assert cycle(rt, store, clock).warnings == []  # said once


class NoTeamIssue(MemoryConnector):
    """The team issue lives where forewarn's account cannot read (a 404 on Jira)."""

    def find_comment(self, issue_key: str, marker: Marker) -> RemoteComment | None:
        if issue_key == "ops#1":
            msg = "GET /rest/api/2/issue/OPS-1/comment -> HTTP 404"
            raise FatalError(msg)
        return super().find_comment(issue_key, marker)


def test_a_team_issue_that_cannot_be_read_is_an_error_and_nothing_is_posted(
    world: World, store: StateStore, clock: Clock
) -> None:
    rt = project(NoTeamIssue(world), Routing(to="digest", team_issue="ops#1"))
    report = run_cycle(rt, store, clock=clock)
    assert report.errors == ["the team issue ops#1 cannot be read: GET "
                             "/rest/api/2/issue/OPS-1/comment -> HTTP 404"]
    assert ours(world) == {}


def test_the_digest_mode_never_comments_on_an_issue(
    world: World, connector: MemoryConnector, store: StateStore, clock: Clock
) -> None:
    rt = project(connector, Routing(to="digest", team_issue=STATUS, backfill="digest"))
    first = cycle(rt, store, clock)
    assert [k for k in kinds(first) if "Comment" in k] == ["CreateComment digest mem#1"]
    (digest,) = ours(world)[1]
    assert listed(digest) == [2, 7, 3, 4]
    assert find_marker(digest) == "digest.mem:info"
    assert "forewarn: open findings in mem" in digest
    clock.advance(minutes=1)
    world.issue(8, "New question", CLIENT, created=clock())
    clock.advance(hours=9)  # a warning: label only, listed in the digest
    later = cycle(rt, store, clock)
    assert sorted(kinds(later)) == ["EditComment digest mem#1", "label mem#8"]
    assert list(ours(world)) == [1] and len(ours(world)[1]) == 1
    assert listed(ours(world)[1][0]) == [2, 3, 7, 4, 8]  # each finding once


@pytest.mark.parametrize(
    "visibility", [Visibility("role", "Developers"), Visibility("internal")])
def test_internal_alerts_are_all_restricted(
    world: World, connector: MemoryConnector, store: StateStore, clock: Clock,
    visibility: Visibility,
) -> None:
    rt = project(connector, Routing(to="internal", visibility=visibility, team_issue=STATUS))
    cycle(rt, store, clock)
    heal(world)
    clock.advance(minutes=15)
    cycle(rt, store, clock)  # resolutions are edits: still restricted
    assert {c.visibility for c in world.ours()} == {visibility}
    assert len(world.ours()) == 4


def test_no_labels_on_a_client_visible_tracker(
    world: World, connector: MemoryConnector, store: StateStore, clock: Clock
) -> None:
    first = cycle(project(connector, dataclasses.replace(BACKFILL, labels=False)), store, clock)
    assert [k for k in kinds(first) if k.startswith("label")] == []
    assert {n: i.labels for n, i in world.issues.items() if i.labels} == {
        6: ["awaiting-reply"], 7: ["bug", "p1"]}  # people's own labels only
    assert TEAM in world.people


def test_adopting_a_3000_issue_project_writes_one_comment_and_the_labels(
    tmp_path: Path,
) -> None:
    # benchmarks/backfill.py's generated project and cycles, with a budget large enough
    # for the first cycle to write everything it plans (docs/benchmarks.md has the rest).
    result = adopt("backfill: digest", tmp_path, budget=10_000)
    assert result["cycles"] == 1
    labels = result["first"]["labels added"]
    assert result["first"] == {"digest comments": 1, "labels added": labels}
    assert labels > 400 and result["commented_issues"] == 1 and result["on_team_issue"]
    assert result["quiet"] == 0  # the next cycle: nothing changed, nothing written
    # Three days on: the new question, and the warnings that became breaches, get alerts of
    # their own; the digest is edited, never posted again.
    assert result["later"]["digest edits"] == 1 and "digest comments" not in result["later"]
    assert result["later"]["alert comments"] >= 1
