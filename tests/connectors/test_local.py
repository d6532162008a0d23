"""The local JSON tracker behaves like a real one where forewarn depends on it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from connectors.base import Connector
from connectors.errors import CommentGone, FatalError
from connectors.local import LocalConnector
from connectors.markers import Marker, ack_checkbox
from connectors.model import Membership, Visibility
from tests.conftest import Clock
from tests.markers import markdown_tag


def connector(path: Path, clock: Clock) -> LocalConnector:
    return LocalConnector(path, clock=clock)


def test_satisfies_the_connector_protocol(demo_tracker: Path, clock: Clock) -> None:
    assert isinstance(connector(demo_tracker, clock), Connector)


def test_full_fetch_reads_the_whole_demo(demo_tracker: Path, clock: Clock) -> None:
    result = connector(demo_tracker, clock).fetch(None)
    assert result.complete
    assert len(result.snapshot.issues) == 29
    assert len(result.snapshot.milestones) == 4
    assert result.snapshot.people["dependabot[bot]"].kind == "bot"
    assert result.cursor is not None
    assert all(issue.created_at.tzinfo is not None for issue in result.snapshot.issues)


def test_incremental_fetch_returns_only_what_changed(demo_tracker: Path, clock: Clock) -> None:
    tracker = connector(demo_tracker, clock)
    cursor = tracker.fetch(None).cursor
    clock.advance(minutes=5)
    tracker.add_labels("demo#20", ["triage"])
    delta = tracker.fetch(cursor)
    assert not delta.complete
    assert [issue.key for issue in delta.snapshot.issues] == ["demo#20"]
    assert delta.snapshot.comments == ()
    assert len(delta.snapshot.milestones) == 4  # milestones always come whole
    assert tracker.fetch(delta.cursor).snapshot.issues == ()


def test_comment_is_ours_only_with_our_author(demo_tracker: Path, clock: Clock) -> None:
    tracker = connector(demo_tracker, clock)
    data = json.loads(demo_tracker.read_text())
    spoof = f"{markdown_tag('scope.0123456789abcdef:warning')} fake"
    data["comments"].append({"id": "99", "issue_key": "demo#20", "author": "carol",
                             "created_at": "2026-11-24T01:00:00Z", "body": spoof})
    demo_tracker.write_text(json.dumps(data))
    comment_id = tracker.create_comment("demo#20", f"{markdown_tag('x.1:warning')}\nhello\n"
                                        + ack_checkbox("ack"), marker=Marker.parse("x.1:warning"))
    comments = {c.id: c for c in tracker.fetch(None).snapshot.comments}
    assert comments["99"].is_ours is False and comments["99"].marker is None
    assert comments[comment_id].is_ours and comments[comment_id].marker == "x.1:warning"
    assert comments[comment_id].acked is False
    assert tracker.find_comment("demo#20", Marker.parse("scope.0123456789abcdef:warning")) is None


def test_a_created_comment_carries_its_marker_and_is_found_by_it(
    demo_tracker: Path, clock: Clock
) -> None:
    tracker = connector(demo_tracker, clock)
    marker = Marker.parse("x.1:critical")
    comment_id = tracker.create_comment("demo#20", "alert", marker=marker)
    found = tracker.find_comment("demo#20", marker)
    assert found is not None and found.id == comment_id
    assert found.body == f"alert\n{markdown_tag('x.1:critical')}"
    assert tracker.find_comment("demo#21", marker) is None


def test_ticked_checkbox_is_an_acknowledgement(demo_tracker: Path, clock: Clock) -> None:
    tracker = connector(demo_tracker, clock)
    body = f"{markdown_tag('x.1:critical')}\nalert\n{ack_checkbox('Acknowledge')}"
    comment_id = tracker.create_comment("demo#20", body, marker=Marker.parse("x.1:critical"))
    tracker.edit_comment("demo#20", comment_id, body.replace("- [ ]", "- [x]"))
    (ours,) = [c for c in tracker.fetch(None).snapshot.comments if c.is_ours]
    assert ours.acked


def test_labels_compare_case_insensitively(demo_tracker: Path, clock: Clock) -> None:
    tracker = connector(demo_tracker, clock)
    tracker.add_labels("demo#13", ["Change-Approved", "scope-creep"])
    issue = next(i for i in tracker.fetch(None).snapshot.issues if i.key == "demo#13")
    assert issue.labels == ("change-approved", "scope-creep")
    tracker.remove_label("demo#13", "SCOPE-CREEP")
    issue = next(i for i in tracker.fetch(None).snapshot.issues if i.key == "demo#13")
    assert issue.labels == ("change-approved",)


def test_ensure_label_adds_it_once(demo_tracker: Path, clock: Clock) -> None:
    tracker = connector(demo_tracker, clock)
    tracker.ensure_label("scope-creep", color="fbca04", description="d")
    tracker.ensure_label("Scope-Creep", color="fbca04", description="d")
    names = [label["name"] for label in json.loads(demo_tracker.read_text())["labels"]]
    assert names == ["change-approved", "scope-creep"]


def test_broken_record_is_skipped_with_a_warning(
    demo_tracker: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    data = json.loads(demo_tracker.read_text())
    data["issues"][3]["created_at"] = "yesterday"
    del data["issues"][4]["author"]
    demo_tracker.write_text(json.dumps(data))
    with caplog.at_level(logging.WARNING):
        result = connector(demo_tracker, clock).fetch(None)
    assert len(result.snapshot.issues) == 27
    assert result.skipped == (
        "issue demo#4: Invalid isoformat string: 'yesterday'",
        "issue demo#5: missing field 'author'",
    )
    assert "skipped issue demo#4" in caplog.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "local tracker file not found"),
        ("{not json", "cannot read local tracker"),
        ("[]", "the top level must be an object"),
    ],
)
def test_unreadable_file_is_a_fatal_error(tmp_path: Path, clock: Clock, content: str | None,
                                          message: str) -> None:
    path = tmp_path / "tracker.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(FatalError, match=message):
        connector(path, clock).fetch(None)


def test_writing_to_a_missing_issue_fails_clearly(demo_tracker: Path, clock: Clock) -> None:
    with pytest.raises(FatalError, match="no issue demo#999"):
        connector(demo_tracker, clock).add_labels("demo#999", ["x"])


def test_roles_groups_and_restricted_comments_live_in_the_file(
    demo_tracker: Path, clock: Clock
) -> None:
    data = json.loads(demo_tracker.read_text(encoding="utf-8"))
    data["roles"] = {"Developers": ["alice", "bob"]}
    data["groups"] = {"acme-team": ["alice"]}
    demo_tracker.write_text(json.dumps(data), encoding="utf-8")
    local = connector(demo_tracker, clock)
    developers, team, nobody = (Membership("role", "Developers"),
                                Membership("group", "acme-team"), Membership("role", "QA"))
    assert local.members([developers, team, nobody]) == {
        developers: frozenset({"alice", "bob"}), team: frozenset({"alice"}),
        nobody: frozenset()}
    marker = Marker("feedback.0123456789abcdef", "critical")
    ident = local.create_comment("demo#20", "Waiting.", marker=marker,
                                 visibility=Visibility("role", "Developers"))
    (written,) = [c for c in local.fetch(None).snapshot.comments if c.id == ident]
    assert written.visibility == Visibility("role", "Developers")
    local.edit_comment("demo#20", ident, "Answered.", visibility=None)
    (edited,) = [c for c in local.fetch(None).snapshot.comments if c.id == ident]
    assert edited.is_public
def test_editing_a_comment_someone_deleted_is_comment_gone(demo_tracker: Path,
                                                           clock: Clock) -> None:
    tracker = connector(demo_tracker, clock)
    with pytest.raises(CommentGone, match="no comment 9999 on demo#20"):
        tracker.edit_comment("demo#20", "9999", "text")
