"""Properties of rules and reconciliation, over generated projects (hypothesis).

* Rules are functions of the snapshot: evaluating twice gives the same
  findings, and the order the tracker listed things in does not matter.
* The sync layer converges: after a cycle has written its plan, the next
  plan is empty; a finding that goes away takes its label with it; a label a
  person put on an issue is never removed, even when it is the label a rule
  uses, even when a person put it back after forewarn had added it.

The cycles run the real cycle (rules, reconcile, publish, a SQLite state
store) over ``MemoryConnector``, a tracker kept in memory. Example counts are
kept small so that the suite stays fast; every example is deterministic.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import load_config
from connectors.base import DictMemo
from connectors.model import Change, Comment, Issue, Milestone, Person, Snapshot
from rules import registry
from rules.base import DueDateSeen, Finding, History, RuleContext
from rules.calendar import BusinessCalendar
from rules.people import classify
from sync.cycle import run_cycle
from sync.store.state import StateStore
from tests.conftest import EXAMPLES, Clock
from tests.fakes.memory import MemoryConnector
from tests.fakes.world import ME, NOW, World
from tests.hardening.harness import (
    check,
    examples,
    live,
    person_labels,
    runtime,
    world_view,
)

SETTINGS = settings(max_examples=examples(15), deadline=None, derandomize=True,
                    database=None, suppress_health_check=[HealthCheck.too_slow])
T0 = NOW - timedelta(days=40)
PEOPLE = {"alice": "team", "bob": "team", "carol": "client", "dave": "client",
          "ci-bot": "bot", ME: "bot", "zed": "unknown"}
LABELS = ["scope-creep", "awaiting-reply", "schedule-risk", "change-approved",
          "waiting-on-client", "forewarn-ack", "bug", "P1"]
SHANGHAI = BusinessCalendar(timezone="Asia/Shanghai", start=time(9), end=time(18),
                            holidays="CN")


def _rules() -> list[tuple[Any, Any]]:
    """The three rules as examples/forewarn.yaml configures them (with the fewest Monte
    Carlo trials: the forecast's cost is not what is tested here)."""
    config = load_config(EXAMPLES / "forewarn.yaml")
    rules = []
    for options in config.rules:
        if "trials" in type(options).model_fields:
            options = options.model_copy(update={"trials": 100})
        rules.append((registry.get(options.kind), options))
    return rules


RULES = _rules()

# -- generated snapshots ---------------------------------------------------------------------

moments = st.integers(min_value=0, max_value=40 * 24 * 4).map(
    lambda quarter: T0 + timedelta(minutes=15 * quarter))
days = st.integers(min_value=-30, max_value=30).map(lambda d: NOW.date() + timedelta(days=d))
people = st.sampled_from(sorted(PEOPLE))


@st.composite
def milestones(draw: st.DrawFn, number: int) -> Milestone:
    return Milestone(
        key=f"p/milestones/{number}", title=draw(st.text(max_size=12)),
        kind=draw(st.sampled_from(["milestone", "sprint", "version"])),
        state=draw(st.sampled_from(["open", "open", "closed"])),
        created_at=draw(st.none() | moments), start_on=draw(st.none() | moments),
        due_on=draw(st.none() | days),
    )


@st.composite
def issues(draw: st.DrawFn, number: int, milestone_keys: list[str]) -> Issue:
    closed = draw(st.booleans())
    created = draw(moments)
    return Issue(
        key=f"p#{number}", title=draw(st.text(max_size=20)), url="",
        state="closed" if closed else "open", created_at=created, author=draw(people),
        closed_at=draw(moments.filter(lambda m: m >= created)) if closed else None,
        labels=tuple(draw(st.lists(st.sampled_from(LABELS), max_size=3, unique=True))),
        milestone_keys=tuple(draw(st.lists(st.sampled_from(milestone_keys), max_size=2,
                                           unique=True))) if milestone_keys else (),
        due_on=draw(st.none() | days),
        assignees=tuple(draw(st.lists(people, max_size=2, unique=True))),
        priority=draw(st.none() | st.sampled_from(["P1", "Low"])),
    )


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    ms = [draw(milestones(n)) for n in range(1, draw(st.integers(0, 3)) + 1)]
    keys = [m.key for m in ms]
    its = [draw(issues(n, keys)) for n in range(1, draw(st.integers(1, 8)) + 1)]
    issue_keys = [i.key for i in its]
    comments = [
        Comment(id=str(n), issue_key=draw(st.sampled_from(issue_keys)), author=draw(people),
                created_at=draw(moments))
        for n in range(draw(st.integers(0, 10)))
    ]
    changes: list[Change] = []
    for _ in range(draw(st.integers(0, 8))):
        issue_key = draw(st.sampled_from(issue_keys))
        kind = draw(st.sampled_from(["milestone", "label", "due_on"]))
        if kind == "milestone" and keys:
            before, after = draw(st.none() | st.sampled_from(keys)), draw(
                st.none() | st.sampled_from(keys))
        elif kind == "label":
            label = draw(st.sampled_from(LABELS))
            before, after = (None, label) if draw(st.booleans()) else (label, None)
        else:
            kind = "due_on"
            before, after = (draw(st.none() | days.map(date.isoformat)) for _ in range(2))
        changes.append(Change(issue_key, kind, draw(moments), before=before, after=after,
                              actor=draw(people)))  # type: ignore[arg-type]
    snapshot = Snapshot(
        project="p", fetched_at=NOW, issues=tuple(its), milestones=tuple(ms),
        comments=tuple(comments), changes=tuple(changes),
        people={pid: Person(id=pid, name=pid.title(), kind=kind)  # type: ignore[arg-type]
                for pid, kind in PEOPLE.items()},
    )
    return classify(snapshot, clients=["carol", "dave"], team=None, bots=["ci-bot"],
                    self_ids=[ME])


@st.composite
def contexts(draw: st.DrawFn, snapshot: Snapshot) -> RuleContext:
    due_dates = {
        m.key: tuple(DueDateSeen(draw(moments), draw(st.none() | days))
                     for _ in range(draw(st.integers(0, 2))))
        for m in snapshot.milestones
    }
    return RuleContext(now=NOW, calendar=SHANGHAI, history=History(due_dates=due_dates),
                       seed=draw(st.integers(0, 2**16)))


def evaluate(snapshot: Snapshot, ctx: RuleContext) -> list[Finding]:
    found: list[Finding] = []
    for rule, options in RULES:
        found.extend(rule.evaluate(snapshot, ctx, options))
    return sorted(found, key=lambda f: (f.fingerprint, f.cause))


@SETTINGS
@given(st.data())
def test_evaluating_twice_gives_the_same_findings(data: st.DataObject) -> None:
    snapshot = data.draw(snapshots())
    ctx = data.draw(contexts(snapshot))
    assert evaluate(snapshot, ctx) == evaluate(snapshot, ctx)


@SETTINGS
@given(st.data())
def test_the_order_of_the_input_does_not_change_findings(data: st.DataObject) -> None:
    snapshot = data.draw(snapshots())
    ctx = data.draw(contexts(snapshot))
    shuffled = Snapshot(
        project=snapshot.project, fetched_at=snapshot.fetched_at,
        issues=tuple(data.draw(st.permutations(snapshot.issues))),
        milestones=tuple(data.draw(st.permutations(snapshot.milestones))),
        comments=tuple(data.draw(st.permutations(snapshot.comments))),
        changes=tuple(data.draw(st.permutations(snapshot.changes))),
        people=dict(data.draw(st.permutations(list(snapshot.people.items())))),
    )
    assert evaluate(shuffled, ctx) == evaluate(snapshot, ctx)


# -- generated trackers through whole cycles --------------------------------------------------

_projects = itertools.count()


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """A tracker where people asked, answered and labelled; forewarn has not run yet."""
    world = World(clock=Clock(NOW))
    world.person("alice", association="MEMBER")
    for pid in ("carol", "dave", ME):
        world.person(pid)
    start = NOW - timedelta(days=20)
    world.milestone(1, "v1", created=start)
    world.issue(1, "status", "alice", created=start)
    for number in range(2, draw(st.integers(2, 9)) + 1):
        world.issue(number, draw(st.text(max_size=30)),
                    draw(st.sampled_from(["alice", "carol", "dave"])),
                    created=start + timedelta(hours=draw(st.integers(0, 480))),
                    labels=draw(st.lists(st.sampled_from(LABELS), max_size=2, unique=True)),
                    milestone=draw(st.sampled_from([None, 1])))
    for _ in range(draw(st.integers(0, 8))):
        number = draw(st.sampled_from(sorted(world.issues)))
        world.say(number, draw(st.sampled_from(["alice", "carol", "dave"])),
                  draw(st.text(max_size=40)),
                  at=max(world.issues[number].created, start) + timedelta(
                      hours=draw(st.integers(0, 480))))
    return world


Move = Callable[[World], None]


def answer_everyone(world: World) -> None:
    for number in world.issues:
        world.say(number, "alice", "answered")


def approve_everything(world: World) -> None:
    for number in world.issues:
        world.add_label(number, "change-approved", "alice")


def relabel_by_hand(world: World) -> None:
    """A person takes forewarn's labels off and puts them back: now they are the person's."""
    for number, issue in world.issues.items():
        for label in list(issue.labels):
            if label in ("scope-creep", "awaiting-reply"):
                world.remove_label(number, label, "alice")
                world.add_label(number, label, "alice")


def pause_clients(world: World) -> None:
    for number in world.issues:
        world.add_label(number, "waiting-on-client", "bob")


MOVES: dict[str, Move] = {"answer": answer_everyone, "approve": approve_everything,
                          "relabel": relabel_by_hand, "pause": pause_clients}


@pytest.fixture(scope="module")
def shared_store() -> Any:
    store = StateStore("sqlite://")
    yield store
    store.close()


def converge(world: World, store: StateStore, project: str) -> list[Finding]:
    """One cycle writes its plan; a second one at the same instant (the world's) plans
    nothing; the tracker then shows what ``check`` promises. Returns the findings."""
    clock = world.clock
    connector = MemoryConnector(world, project=project)
    rt = runtime(connector, name=project, status_issue=connector.key(1), memo=DictMemo())
    before = world_view(world, connector.key)
    first = run_cycle(rt, store, clock=clock)
    assert first.ok, first.errors
    second = run_cycle(rt, store, clock=clock)
    assert second.ok, second.errors
    assert [a.describe() for a in second.plan.actions] == []
    check(world_view(world, connector.key), second.findings, before=before,
          person_labels=person_labels(world, connector.key), status_issue=connector.key(1))
    return second.findings


@SETTINGS
@given(st.data())
def test_a_written_plan_leaves_nothing_to_plan(shared_store: StateStore,
                                               data: st.DataObject) -> None:
    converge(data.draw(worlds()), shared_store, f"p{next(_projects)}")


@SETTINGS
@given(st.data())
def test_findings_that_go_away_take_only_forewarns_labels(shared_store: StateStore,
                                                          data: st.DataObject) -> None:
    world = data.draw(worlds())
    project = f"p{next(_projects)}"
    findings = converge(world, shared_store, project)
    for name in data.draw(st.lists(st.sampled_from(sorted(MOVES)), min_size=1, max_size=3)):
        MOVES[name](world)
        world.clock.advance(hours=data.draw(st.sampled_from([0, 1, 30])))
        findings = converge(world, shared_store, project)
    # ``check`` saw to the labels; the moves did make findings go away, too.
    assert all(f.subject_key for f in live(findings))


def test_a_label_a_person_put_back_is_not_removed(shared_store: StateStore) -> None:
    """Explicit example: forewarn labels #2, a person removes and re-adds it, the
    finding ends: the label stays (it is the person's now)."""
    world = World(clock=Clock(NOW))
    world.person("alice", association="MEMBER")
    world.person("carol")
    world.issue(1, "status", "alice", created=NOW - timedelta(days=9))
    world.issue(2, "help", "carol", created=NOW - timedelta(days=3))
    converge(world, shared_store, "putback")
    assert world.issues[2].labels == ["awaiting-reply"]
    relabel_by_hand(world)
    answer_everyone(world)
    converge(world, shared_store, "putback")
    assert world.issues[2].labels == ["awaiting-reply"]
