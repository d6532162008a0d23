"""Broken API payloads: the record is skipped with a warning naming it, the fetch goes on.

hypothesis spoils one field of one recorded-shape item (tests/fakes/github.py
and jira.py render them from the recordings): removes it, nulls it, gives it a wrong type
or an enum value nobody knows. The GitHub and Jira connectors then fetch the
whole project: they must not raise, must return every other record, and an
item they could not read must be in ``FetchResult.skipped`` and in a warning,
both naming it. The parse functions alone must raise nothing but their
documented errors.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import RecordSkipped
from connectors.github import parse as gp
from connectors.jira import fields as jf
from connectors.jira import parse as jp
from connectors.jira.changelog import StatusBook, changes_from
from tests.conftest import Clock
from tests.fakes.github import FakeGitHub
from tests.fakes.jira import FakeJira
from tests.fakes.world import NOW, World, standard_world
from tests.hardening.harness import examples

#: Whole fetches are slow-ish (responses, PyGithub): few examples; parsing alone: more.
FETCHES = settings(max_examples=examples(12), deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])
PARSES = settings(FETCHES, max_examples=examples(150))
_ABSENT = object()
WRONG: list[Any] = [_ABSENT, None, -1, 1.5, True, "", "frozen", [], [None], {}, {"x": 1},
                    "2026-13-45T99:00:00Z"]
Path = tuple[Any, ...]


def paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every place in a JSON value (keys and list positions), outermost first."""
    found: list[Path] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found.append((*prefix, key))
            found.extend(paths(inner, (*prefix, key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value[:2]):
            found.append((*prefix, index))
            found.extend(paths(inner, (*prefix, index)))
    return found


def spoiled(item: Any, path: Path, value: Any) -> Any:
    item = copy.deepcopy(item)
    parent = item
    for part in path[:-1]:
        parent = parent[part]
    if value is _ABSENT:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return item


class Spoil:
    """Set ``path`` to ``value`` (``_ABSENT`` deletes it); shown as such when a test fails."""

    def __init__(self, path: Path, value: Any) -> None:
        self.path, self.value = path, value

    def __call__(self, item: Any) -> Any:
        return spoiled(item, self.path, self.value)

    def __repr__(self) -> str:
        shown = "<absent>" if self.value is _ABSENT else repr(self.value)
        return f"Spoil({'.'.join(map(str, self.path))} = {shown})"


def spoils(template: Any) -> st.SearchStrategy[Spoil]:
    return st.builds(Spoil, st.sampled_from(paths(template)), st.sampled_from(WRONG))


# -- GitHub ---------------------------------------------------------------------------------


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, World]]:
    world = standard_world(Clock(NOW))
    server = FakeGitHub(world)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        server.serve(rsps)
        yield server, world


def _fetch_github(server: FakeGitHub, caplog: pytest.LogCaptureFixture) -> Any:
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        return server.connector().fetch(None)


KINDS = ["issue", "comment", "milestone", "event"]
#: The untouched fetch, once per server (hypothesis runs many examples on one fixture).
_CLEAN: dict[int, Any] = {}


def _github_item(server: FakeGitHub, world: World, kind: str) -> tuple[int, Any, str]:
    """(ident, rendered item, how a skip names it) of the first item of that kind."""
    if kind == "issue":
        return 2, server.issue(2), f"#{2}"
    if kind == "comment":
        ident = min(world.comments)
        return ident, server.comment(ident), str(ident)
    if kind == "milestone":
        return 1, server.milestone(1), "milestone 1"
    event = world.events[0]
    return event.id, server.event(0), str(event.id)


@FETCHES
@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_github_skips_what_it_cannot_read_and_goes_on(
    github: tuple[FakeGitHub, World], caplog: pytest.LogCaptureFixture, kind: str,
    data: st.DataObject,
) -> None:
    server, world = github
    server.tamper = {}
    clean = _CLEAN.get(id(server)) or _CLEAN.setdefault(id(server),
                                                        _fetch_github(server, caplog))
    ident, item, name = _github_item(server, world, kind)
    server.tamper = {(kind, ident): data.draw(spoils(item))}
    result = _fetch_github(server, caplog)
    others = {
        "issue": ({i.key for i in clean.snapshot.issues} - {f"{server.repo}#2"},
                  {i.key for i in result.snapshot.issues}),
        "comment": ({c.id for c in clean.snapshot.comments} - {str(ident)},
                    {c.id for c in result.snapshot.comments}),
        "milestone": (set(), set()),
        "event": ({c for c in clean.snapshot.changes if c.issue_key != f"{server.repo}#"
                   f"{world.events[0].number}"}, set(result.snapshot.changes)),
    }[kind]
    assert others[0] <= others[1], "a good record was lost"
    for reason in result.skipped:
        assert kind in reason
        assert any(reason in message for message in caplog.messages), (reason, caplog.messages)
    if kind == "issue":
        # Each issue is either read (under the number the payload claims) or skipped.
        assert len(result.snapshot.issues) + len(result.skipped) == len(clean.snapshot.issues)
        for reason in result.skipped:
            assert any(label in reason for label in (name, "3000002", "unidentified")), reason


@PARSES
@given(data=st.data())
def test_github_parse_functions_raise_only_record_skipped(
    github: tuple[FakeGitHub, World], data: st.DataObject
) -> None:
    server, world = github
    kind = data.draw(st.sampled_from(KINDS))
    _, item, _ = _github_item(server, world, kind)
    broken = data.draw(spoils(item))(item)
    try:
        if kind == "issue":
            gp.parse_issue(broken, server.repo)
        elif kind == "comment":
            gp.parse_comment(broken, server.repo, me=lambda: world.me)
        elif kind == "milestone":
            gp.parse_milestone(broken, server.repo)
        else:
            gp.parse_event(broken, server.repo, milestone_for=lambda title, at: "m/1")
    except RecordSkipped as error:
        reason = str(error)
        assert reason, "a skip must say why"


# -- Jira -----------------------------------------------------------------------------------


@pytest.fixture
def jira() -> Iterator[tuple[FakeJira, World]]:
    world = standard_world(Clock(NOW))
    world.say(3, "alice", "a reply")
    world.add_label(3, "triage", "alice")
    server = FakeJira({"BILL": world})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        server.serve(rsps)
        yield server, world


@FETCHES
@given(data=st.data())
def test_jira_skips_what_it_cannot_read_and_goes_on(
    jira: tuple[FakeJira, World], caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    server, world = jira
    template = server.issue(3)
    spoil = data.draw(spoils(template))
    server.tamper = {("issue", server.key(3)): spoil}
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        result = server.connector().fetch(None)
    keys = {i.key for i in result.snapshot.issues}
    assert {server.key(n) for n in world.issues if n != 3} <= keys, "a good issue was lost"
    # Read (under whatever key it claims) or skipped, and then named as it names itself.
    assert len(result.snapshot.issues) + len(result.skipped) == len(world.issues)
    for reason in result.skipped:
        name = jp.raw_name(spoil(template))
        assert reason.startswith(f"{name}: "), reason
        assert any(f"skipping issue {name}: " in message for message in caplog.messages)


@PARSES
@given(data=st.data())
def test_jira_parse_functions_raise_only_what_the_connector_catches(
    jira: tuple[FakeJira, World], data: st.DataObject
) -> None:
    server, _ = jira
    template = server.issue(3)
    broken = data.draw(spoils(template))(template)
    ids = jf.FieldIds()
    try:
        issue, _ = jp.issue_from(broken, site="https://x", ids=ids, mode="version")
        histories, _ = jp.embedded_histories(broken)
        changes_from(issue.key, histories, ids=ids, mode="version", statuses=StatusBook(),
                     since=NOW - timedelta(days=1))
        for comment in jp.embedded_comments(broken)[0]:
            jp.comment_from(comment, issue.key, me="712020:forewarn-bot")
    except (KeyError, TypeError, ValueError):
        pass
