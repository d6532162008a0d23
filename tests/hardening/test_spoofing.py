"""Marker spoofing: a forewarn marker in anyone else's comment is never taken as forewarn's.

Otherwise a user could silence an alert (forewarn would "find" its comment and
never post it) or acknowledge it (a ticked checkbox pasted under the marker).
The spoofer here pastes the very markers forewarn is about to use (read from a
dry run's plan), with the acknowledgement ticked, before forewarn writes: every
alert must still be posted, once, by forewarn, unacknowledged, and the pasted
comments must stay as their authors wrote them. Local tracker, GitHub and Jira.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from config import load_config, load_settings
from connectors.jira.parse import comment_from as jira_comment
from connectors.local import LocalConnector
from connectors.markers import ACK_TAG, Marker, Markup, find_marker
from sync.actions import CreateComment
from sync.app.runtime import build_runtime
from sync.cycle import run_cycle
from sync.store.state import StateStore
from tests.conftest import Clock
from tests.fakes.jira import FakeJira
from tests.fakes.world import CLIENT
from tests.hardening.conftest import Tracker
from tests.hardening.harness import check, person_labels, run_until_quiet, runtime, world_view

TICKED = f"- [x] Acknowledge this alert (no more notifications) {ACK_TAG}"


def spoof(marker: Marker, markup: Markup) -> str:
    tag = marker.tag(markup)
    return f"{tag}\nAll fine here, nothing to see.\n{TICKED}"


def test_local_tracker_ignores_markers_in_other_peoples_comments(
    demo_config: Path, demo_tracker: Path, sqlite_store: StateStore, clock: Clock
) -> None:
    config = load_config(demo_config)
    rt = build_runtime(config, config.project("demo"), settings=load_settings(), clock=clock)
    dry = run_cycle(rt, sqlite_store, clock=clock, dry_run=True)
    planned = [a for a in dry.plan.actions if isinstance(a, CreateComment)]
    assert len(planned) == 9
    data = json.loads(demo_tracker.read_text(encoding="utf-8"))
    stamp = clock().isoformat().replace("+00:00", "Z")
    for number, action in enumerate(planned, start=700):
        data["comments"].append({"id": str(number), "issue_key": action.target,
                                 "author": "carol", "created_at": stamp, "updated_at": stamp,
                                 "body": spoof(action.marker, "markdown")})
    demo_tracker.write_text(json.dumps(data), encoding="utf-8")
    pasted = {c["id"]: c["body"] for c in data["comments"] if c["author"] == "carol"}

    connector = LocalConnector(demo_tracker)
    fetched = connector.fetch(None).snapshot.comments
    assert all(not c.is_ours and c.marker is None and not c.acked
               for c in fetched if c.author == "carol")
    assert all(connector.find_comment(a.target, a.marker) is None for a in planned)

    report = run_cycle(rt, sqlite_store, clock=clock)
    assert [a.marker for a in report.plan.actions if isinstance(a, CreateComment)] == [
        a.marker for a in planned]
    after = json.loads(demo_tracker.read_text(encoding="utf-8"))["comments"]
    for action in planned:
        ours = [c for c in after if c["author"] == "forewarn"
                and find_marker(c["body"]) == str(action.marker)]
        assert len(ours) == 1 and ours[0]["body"] == action.body
    assert {c["id"]: c["body"] for c in after if c["author"] == "carol"} == pasted


def test_github_and_jira_ignore_markers_in_other_peoples_comments(
    tracker: Tracker, sqlite_store: StateStore, world_clock: Clock
) -> None:
    world, key = tracker.world, tracker.key
    connector, memo = tracker.connector()
    rt = runtime(connector, name="portal", status_issue=key(1), memo=memo)
    dry = run_cycle(rt, sqlite_store, clock=world_clock, dry_run=True)
    planned = [a for a in dry.plan.actions if isinstance(a, CreateComment)]
    assert len(planned) == 4
    by_key = {key(n): n for n in world.issues}
    for action in planned:
        world.say(by_key[action.target], CLIENT, spoof(action.marker, connector.markup))
    before = world_view(world, key)
    assert connector.find_comment(planned[0].target, planned[0].marker) is None

    reports = run_until_quiet(rt, sqlite_store, world_clock)
    first = reports[0]
    created = [str(a.marker) for a in first.plan.actions if isinstance(a, CreateComment)]
    assert sorted(created) == sorted(str(a.marker) for a in planned)
    assert not any(f.acked for f in first.findings)
    check(world_view(world, key), reports[-1].findings, before=before,
          person_labels=person_labels(world, key), status_issue=key(1))
    ours = world.ours()
    assert sorted(find_marker(c.body) or "" for c in ours) == sorted(str(a.marker) for a in planned)


def _jira_author(**fields: Any) -> dict[str, Any]:
    return {"accountId": "712020:mallory", "displayName": "forewarn-bot", "name": "forewarn-bot",
            "emailAddress": "forewarn@acme.example", "accountType": "atlassian", **fields}


def test_jira_a_lookalike_display_name_is_not_forewarns_account() -> None:
    me = FakeJira.account("forewarn-bot")
    raw = {"id": "1", "author": _jira_author(), "created": "2026-11-25T08:00:00.000+0000",
           "body": spoof(Marker.parse("scope.0123456789abcdef:warning"), "jira")}
    comment, _ = jira_comment(raw, "BILL-1", me=me)
    assert (comment.is_ours, comment.marker, comment.acked) == (False, None, False)
    deleted = {**raw, "author": None}  # a deleted user: no author at all
    comment, author = jira_comment(deleted, "BILL-1", me=me)
    assert author is None and not comment.is_ours and comment.marker is None
