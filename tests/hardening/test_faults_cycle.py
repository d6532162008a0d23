"""Faults inside forewarn: killed between a tracker write and its record, state database lost.

The demo project in the local tracker (every rule fires on it) and the GitHub
and Jira fakes. "Killed" is a state-store method that raises once, right after
the tracker accepted the write it records; the next cycle runs with the same
store, as a restarted process would. "Lost" is a state database deleted
between cycles (a container recreated without its volume). Either way, once
cycles run again: one comment per finding, the right labels, nothing a person
wrote changed, and when the findings go away no label of forewarn's is left.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from config import load_config, load_settings
from connectors.markers import is_resolved
from sync.app.runtime import build_runtime
from sync.cycle import ProjectRuntime, run_cycle
from sync.render import headline_in
from sync.store import snapshot as snapshot_store
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.fakes.world import heal
from tests.hardening.conftest import Tracker
from tests.hardening.harness import (
    View,
    check,
    check_resolved,
    live,
    local_view,
    person_labels,
    run_until_quiet,
    runtime,
    world_view,
)


class Killed(Exception):
    """The process died here (raised by a state-store method, once)."""


@pytest.fixture
def kill_once(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``kill_once("record_label", at=2)``: the 2nd call of that method dies, once."""

    def arm(method: str, *, at: int = 1) -> dict[str, int]:
        original = getattr(StateStore, method)
        seen = {"calls": 0, "killed": 0}

        def dying(self: StateStore, *args: Any, **kwargs: Any) -> Any:
            seen["calls"] += 1
            if seen["calls"] == at:
                seen["killed"] += 1
                raise Killed(f"killed before {method} was recorded")
            return original(self, *args, **kwargs)

        monkeypatch.setattr(StateStore, method, dying)
        return seen

    return arm


# -- the demo in the local tracker -----------------------------------------------------------


def demo_runtime(config_path: Path, clock: Clock) -> ProjectRuntime:
    config = load_config(config_path)
    return build_runtime(config, config.project("demo"), settings=load_settings(), clock=clock)


def demo_labels(path: Path) -> set[tuple[str, str]]:
    return {(key, label) for key, labels in local_view(path).labels.items() for label in labels}


def heal_demo(path: Path, clock: Clock) -> set[tuple[str, str]]:
    """The client's questions answered and both late additions approved, by people."""
    data = json.loads(path.read_text(encoding="utf-8"))
    stamp = clock().isoformat().replace("+00:00", "Z")
    for number, key in enumerate(("demo#20", "demo#21"), start=900):
        data["comments"].append({"id": str(number), "issue_key": key, "author": "bob",
                                 "created_at": stamp, "updated_at": stamp, "body": "Done."})
    approved = set()
    for issue in data["issues"]:
        if issue["key"] in ("demo#20", "demo#21"):
            issue["updated_at"] = stamp
        if issue["key"] in ("demo#12", "demo#14"):
            issue["labels"].append("change-approved")
            issue["updated_at"] = stamp
            data["changes"].append({"issue_key": issue["key"], "field": "label", "at": stamp,
                                    "before": None, "after": "change-approved",
                                    "actor": "alice"})
            approved.add((issue["key"], "change-approved"))
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return approved


def demo_scenario(demo_config: Path, demo_tracker: Path, clock: Clock, stores: Iterator[
        StateStore], *, resolved: bool = True, people: set[tuple[str, str]] | None = None,
        before: View | None = None, before_heal: Callable[[View], None] | None = None) -> None:
    """Alert, check, heal, check; ``stores`` hands out the store for each phase.

    ``people`` and ``before`` are the labels and text people wrote (default: the
    tracker as it is now)."""
    people = demo_labels(demo_tracker) if people is None else people
    before = local_view(demo_tracker) if before is None else before
    rt = demo_runtime(demo_config, clock)
    reports = run_until_quiet(rt, next(stores), clock)
    check(local_view(demo_tracker), reports[-1].findings, before=before,
          person_labels=people, status_issue="demo#1")
    assert len(local_view(demo_tracker).ours) == 9
    if before_heal is not None:
        before_heal(local_view(demo_tracker))

    people |= heal_demo(demo_tracker, clock)
    before = local_view(demo_tracker)
    rt = demo_runtime(demo_config, clock)
    reports = run_until_quiet(rt, next(stores), clock)
    view = local_view(demo_tracker)
    check(view, reports[-1].findings, before=before, person_labels=people,
          status_issue="demo#1")
    for key in ("demo#12", "demo#14", "demo#20", "demo#21"):
        assert view.labels[key] <= {"change-approved"}, (key, view.labels[key])
    assert len(view.ours) == 9
    if resolved:
        check_resolved(view, lambda key: key in ("demo#12", "demo#14", "demo#20"))


@pytest.mark.parametrize(("method", "at"), [
    ("record_comment", 1), ("record_comment", 5), ("record_label", 2), ("update_comment", 1),
    ("forget_label", 1),
])
def test_demo_killed_between_a_write_and_its_record(
    demo_config: Path, demo_tracker: Path, clock: Clock, kill_once: Any, method: str, at: int,
    sqlite_store: StateStore,
) -> None:
    seen = kill_once(method, at=at)
    demo_scenario(demo_config, demo_tracker, clock, iter([sqlite_store, sqlite_store]))
    assert seen["killed"] == 1


@pytest.fixture
def kill_saving(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``kill_saving("_put", at=3)``: the 3rd call of that function of the record-saving
    code (sync/store/snapshot.py) dies, once, inside the transaction that saves the cycle."""

    def arm(function: str, *, at: int) -> dict[str, int]:
        original = getattr(snapshot_store, function)
        seen = {"calls": 0, "killed": 0}

        def dying(*args: Any, **kwargs: Any) -> Any:
            seen["calls"] += 1
            if seen["calls"] == at:
                seen["killed"] += 1
                raise Killed(f"killed in {function} while saving the cached records")
            return original(*args, **kwargs)

        monkeypatch.setattr(snapshot_store, function, dying)
        return seen

    return arm


@pytest.mark.parametrize(("function", "at"), [
    # The first cycle's save: people, then issues, comments, changes (the whole snapshot).
    ("_put", 1), ("_put", 3), ("_put", 4), ("_milestones", 1),
    # The next cycles' saves: only what changed.
    ("_put", 6), ("_put", 9), ("_milestones", 2), ("_milestones", 4), ("_drop", 2),
])
def test_demo_killed_while_saving_the_cached_records(
    demo_config: Path, demo_tracker: Path, clock: Clock, kill_saving: Any, function: str,
    at: int, sqlite_store: StateStore,
) -> None:
    """Nothing of a half-saved cycle is kept: its writes are found again by their markers."""
    seen = kill_saving(function, at=at)
    demo_scenario(demo_config, demo_tracker, clock, iter([sqlite_store, sqlite_store]))
    assert seen["killed"] == 1


def _lose_database(tmp_path: Path) -> None:
    for leftover in tmp_path.glob("state.db*"):
        leftover.unlink()


def test_demo_state_database_deleted_between_cycles(
    demo_config: Path, demo_tracker: Path, clock: Clock, tmp_path: Path
) -> None:
    """Lost after a cycle that wrote everything: the alerts are adopted by their markers."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    people, before = demo_labels(demo_tracker), local_view(demo_tracker)
    first = StateStore(url)
    run_cycle(demo_runtime(demo_config, clock), first, clock=clock)
    first.close()
    _lose_database(tmp_path)
    again = StateStore(url)
    demo_scenario(demo_config, demo_tracker, clock, iter([again, again]), people=people,
                  before=before)


def _lost_while_findings_went_away(
    demo_config: Path, demo_tracker: Path, clock: Clock, tmp_path: Path, *, resolved: bool,
    before_heal: Callable[[View], None] | None = None,
) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"

    def stores() -> Iterator[StateStore]:
        first = StateStore(url)
        yield first
        first.close()
        _lose_database(tmp_path)
        yield StateStore(url)

    demo_scenario(demo_config, demo_tracker, clock, stores(), resolved=resolved,
                  before_heal=before_heal)


def test_demo_state_database_deleted_while_findings_went_away(
    demo_config: Path, demo_tracker: Path, clock: Clock, tmp_path: Path
) -> None:
    """No duplicate, nothing of a person's touched, and forewarn's labels still go
    (the tracker's label history says who added them)."""
    _lost_while_findings_went_away(demo_config, demo_tracker, clock, tmp_path, resolved=False)


def test_demo_alerts_are_resolved_although_the_database_was_lost_meanwhile(
    demo_config: Path, demo_tracker: Path, clock: Clock, tmp_path: Path
) -> None:
    """The tracker alone says which alerts of forewarn's are open and what they said: those
    older than the new database whose finding ended are resolved, headline kept."""
    headlines: dict[str, str | None] = {}

    def remember(view: View) -> None:
        for key, body in view.ours:
            headlines.setdefault(key, headline_in(body, "markdown"))

    _lost_while_findings_went_away(demo_config, demo_tracker, clock, tmp_path, resolved=True,
                                   before_heal=remember)
    for key, body in local_view(demo_tracker).ours:
        if key in ("demo#12", "demo#14", "demo#20"):
            assert is_resolved(body) and f"~~{headlines[key]}~~" in body, body


# -- the same through GitHub and Jira -------------------------------------------------------


def world_scenario(tracker: Tracker, clock: Clock, stores: list[StateStore]) -> None:
    """Alert (store 0), run again as a new process (store 1), heal (store 2)."""
    world, key = tracker.world, tracker.key
    for phase, store in enumerate(stores):
        if phase == 2:
            heal(world)
        connector, memo = tracker.connector()  # a new process: a new connector and memo
        rt = runtime(connector, name="portal", status_issue=key(1), memo=memo)
        before: View = world_view(world, key)
        reports = run_until_quiet(rt, store, clock)
        view = world_view(world, key)
        check(view, reports[-1].findings, before=before,
              person_labels=person_labels(world, key), status_issue=key(1))
        assert len(world.ours()) == 4
    assert not live(reports[-1].findings)
    check_resolved(view)


@pytest.mark.parametrize("method", ["record_comment", "record_label"])
def test_killed_between_a_write_and_its_record(
    tracker: Tracker, world_clock: Clock, sqlite_store: StateStore, kill_once: Any, method: str
) -> None:
    seen = kill_once(method, at=2)
    world_scenario(tracker, world_clock, [sqlite_store] * 3)
    assert seen["killed"] == 1


def test_state_database_deleted_between_cycles(tracker: Tracker, world_clock: Clock) -> None:
    fresh = StateStore("sqlite://")
    world_scenario(tracker, world_clock, [StateStore("sqlite://"), fresh, fresh])


def test_state_database_lost_while_the_findings_went_away(
    tracker: Tracker, world_clock: Clock
) -> None:
    """Alerts written, then the database lost and every finding gone before forewarn looks
    again: the alerts the tracker shows are resolved from their markers alone."""
    world, key = tracker.world, tracker.key
    connector, memo = tracker.connector()
    rt = runtime(connector, name="portal", status_issue=key(1), memo=memo)
    run_until_quiet(rt, StateStore("sqlite://"), world_clock)
    assert len(world.ours()) == 4
    heal(world)
    before = world_view(world, key)
    connector, memo = tracker.connector()
    rt = runtime(connector, name="portal", status_issue=key(1), memo=memo)
    reports = run_until_quiet(rt, StateStore("sqlite://"), world_clock)
    view = world_view(world, key)
    assert not live(reports[-1].findings)
    check(view, reports[-1].findings, before=before, person_labels=person_labels(world, key),
          status_issue=key(1))
    assert len(world.ours()) == 4
    check_resolved(view)
