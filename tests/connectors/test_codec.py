"""connectors/codec.py: the JSON of the local tracker file and of the cached snapshot."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from connectors import codec
from connectors.model import Change, Comment, Issue, Milestone, Person, Snapshot, Visibility

PARIS_WINTER = timezone(timedelta(hours=1))
T = datetime(2026, 3, 2, 10, 30, tzinfo=PARIS_WINTER)  # 09:30 UTC

ISSUE = Issue(
    key="acme/portal#12", title="Export “all” <invoices> & more", url="https://x/12",
    state="closed", created_at=T, author="carol", closed_at=T + timedelta(days=3),
    updated_at=T + timedelta(days=3, minutes=5), assignees=("bob",), labels=("bug", "P1"),
    milestone_keys=("acme/portal/milestones/1",), due_on=date(2026, 3, 20), estimate=2.5,
    priority="P1", blocked_by=("acme/portal#9",), open_blockers=1, flagged=True,
    status_category="done",
)
SPRINT = Milestone(key="sprint:41", title="Sprint 14", kind="sprint", state="closed",
                   created_at=T, start_on=T, due_on=date(2026, 3, 16),
                   closed_at=T + timedelta(days=14))
OURS = Comment(id="901", issue_key="acme/portal#12", author="forewarn-bot", created_at=T,
               body_excerpt="<!-- forewarn:scope.0123456789abcdef:warning -->", is_ours=True,
               marker="scope.0123456789abcdef:warning", acked=True, updated_at=T)
JOINED = Change("acme/portal#12", "milestone", T, before=None, after="acme/portal/milestones/1",
                actor="alice")
CLIENT = Person("712020:ana", "Ana", "client", "ana@client.example", None)
CODECS: dict[type, tuple[Callable[[Any], dict[str, Any]], Callable[[Mapping[str, Any]], Any]]] = {
    Person: (codec.person_to, codec.person_from),
    Issue: (codec.issue_to, codec.issue_from),
    Milestone: (codec.milestone_to, codec.milestone_from),
    Comment: (codec.comment_to, codec.comment_from),
    Change: (codec.change_to, codec.change_from),
}


@pytest.mark.parametrize(
    "record",
    [
        CLIENT,
        Person("bob", "Bob", "team", None, "MEMBER"),
        Person("qm:5a82:72e6", "Example Customer", account_type="customer"),
        ISSUE,
        Issue(key="BILL-7", title="", url="", state="open", created_at=T, author="ana"),
        SPRINT,
        Milestone(key="acme/portal/milestones/1", title="v1"),
        OURS,
        Comment(id="902", issue_key="BILL-7", author="bruno", created_at=T,
                visibility=Visibility("role", "Developers")),
        Comment(id="903", issue_key="BILL-7", author="bruno", created_at=T,
                visibility=Visibility("internal")),
        JOINED,
        Change("BILL-7", "due_on", T, before="2026-03-20", after=None),
    ],
    ids=lambda record: type(record).__name__,
)
def test_every_record_survives_a_round_trip_through_json(record: Any) -> None:
    to, parse = CODECS[type(record)]
    again = parse(json.loads(json.dumps(to(record))))
    assert again == record
    for name in ("created_at", "closed_at", "updated_at", "start_on", "at"):
        value = getattr(again, name, None)
        assert value is None or value.tzinfo is UTC, (name, value)


def test_an_issue_is_written_in_utc_with_plain_dates() -> None:
    assert codec.issue_to(ISSUE) == {
        "key": "acme/portal#12", "title": "Export “all” <invoices> & more", "url": "https://x/12",
        "state": "closed", "created_at": "2026-03-02T09:30:00Z",
        "closed_at": "2026-03-05T09:30:00Z", "updated_at": "2026-03-05T09:35:00Z",
        "author": "carol", "assignees": ["bob"], "labels": ["bug", "P1"],
        "milestone_keys": ["acme/portal/milestones/1"], "due_on": "2026-03-20",
        "estimate": 2.5, "priority": "P1", "blocked_by": ["acme/portal#9"], "open_blockers": 1,
        "flagged": True, "status_category": "done",
    }


def test_a_snapshot_survives_a_round_trip() -> None:
    snapshot = Snapshot(
        project="portal", fetched_at=T, issues=(ISSUE,), milestones=(SPRINT,), comments=(OURS,),
        changes=(JOINED,),
        people={"bob": Person("bob", "Bob", "team")},
    )
    skipped: list[str] = []
    assert codec.snapshot_from(json.loads(json.dumps(codec.snapshot_to(snapshot))),
                               skipped) == snapshot
    assert skipped == []


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("2026-03-02T09:30:00Z", datetime(2026, 3, 2, 9, 30, tzinfo=UTC)),
        ("2026-03-02T10:30:00+01:00", datetime(2026, 3, 2, 9, 30, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_timestamps_are_read_as_utc(value: str | None, parsed: datetime | None) -> None:
    found = codec.dt(value)
    assert found == parsed
    assert found is None or found.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("2026-03-20", date(2026, 3, 20)),
        # A date is the day as the tracker wrote it, never shifted by a time zone.
        ("2026-03-20T23:30:00-05:00", date(2026, 3, 20)),
        ("", None),
        (None, None),
    ],
)
def test_dates_are_read_as_written(value: str | None, parsed: date | None) -> None:
    assert codec.day(value) == parsed


GOOD: dict[str, dict[str, Any]] = {
    "people": codec.person_to(CLIENT),
    "issues": codec.issue_to(ISSUE),
    "milestones": codec.milestone_to(SPRINT),
    "comments": codec.comment_to(OURS),
    "changes": codec.change_to(JOINED),
}
STAMP = "2026-03-02T09:00:00Z"


@pytest.mark.parametrize(
    ("section", "broken", "reason"),
    [
        ("issues", {"key": "p#2", "created_at": STAMP}, "issue p#2: missing field 'author'"),
        ("issues", {"key": "p#3", "author": "carol", "created_at": STAMP, "state": "reopened"},
         "issue p#3: unknown issue state 'reopened'"),
        ("issues", {"key": "p#4", "author": "carol"}, "issue p#4: missing timestamp"),
        ("issues", {"key": "p#5", "author": "carol", "created_at": "2026-03-02T09:00:00"},
         "issue p#5: naive datetime 2026-03-02T09:00:00 (every timestamp must carry a zone)"),
        ("issues", {"key": "p#6", "author": "carol", "created_at": 1772442000},
         "issue p#6: expected an ISO timestamp, got int"),
        ("issues", {"key": "p#7", "author": "carol", "created_at": STAMP, "labels": "bug"},
         "issue p#7: expected a list of strings"),
        ("issues", {"key": "p#8", "author": "carol", "created_at": STAMP, "due_on": 20260320},
         "issue p#8: expected an ISO date, got int"),
        ("comments", "not an object", "comment #1: expected an object, got str"),
        ("milestones", {"key": "m/1", "kind": "saga"},
         "milestone m/1: unknown milestone kind or state 'saga'/'open'"),
        ("changes", {"issue_key": "p#1", "field": "priority", "at": STAMP},
         "change #1: unknown change field 'priority'"),
        ("people", {"id": "x", "kind": "boss"}, "person x: unknown person kind 'boss'"),
    ],
)
def test_a_broken_record_is_skipped_with_its_name_and_reason(
    section: str, broken: Any, reason: str
) -> None:
    data = {"project": "p", "fetched_at": STAMP, **{name: [good] for name, good in GOOD.items()}}
    data[section] = [GOOD[section], broken]
    skipped: list[str] = []
    snapshot = codec.snapshot_from(data, skipped)
    assert skipped == [reason]
    # Every good record was read all the same.
    assert (len(snapshot.people), len(snapshot.issues), len(snapshot.milestones),
            len(snapshot.comments), len(snapshot.changes)) == (1, 1, 1, 1, 1)


def test_a_snapshot_without_its_time_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^missing timestamp$"):
        codec.snapshot_from({"project": "p", "issues": []})


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("open_blockers", -1, "expected a count, got -1"),
        ("open_blockers", "2", "expected a count, got '2'"),
        ("status_category", "doing", "unknown status category 'doing'"),
        ("blocked_by", "acme/portal#9", "expected a list of strings"),
    ],
)
def test_a_broken_risk_field_skips_the_issue(field: str, value: object, reason: str) -> None:
    skipped: list[str] = []
    data = {**codec.issue_to(ISSUE), field: value}
    assert codec.parse_each([data], codec.issue_from, "issue", skipped) == []
    assert skipped == [f"issue acme/portal#12: {reason}"]


def test_an_issue_without_risk_fields_reads_as_unblocked() -> None:
    data = {key: value for key, value in codec.issue_to(ISSUE).items()
            if key not in ("blocked_by", "open_blockers", "flagged", "status_category")}
    issue = codec.issue_from(data)
    assert (issue.blocked_by, issue.open_blockers, issue.flagged, issue.status_category) == (
        (), None, False, None)
