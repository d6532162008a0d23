"""GitHubConnector.fetch against recorded GitHub payloads (tests/fixtures/github/SOURCES.md)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from responses import matchers

from connectors.base import Connector, DictMemo
from connectors.github.connector import GitHubConnector
from connectors.markers import ACK_TAG
from connectors.model import Change, Milestone, Person
from tests.connectors.github.support import GitHubReplay

API = "https://api.github.com"
Build = Callable[..., GitHubConnector]

PAGINATE = "octokit-fixtures/paginate-issues.raw-fixture"
PAGINATE_REPO = "octokit-fixture-org/tmp-scenario-paginate-issues-20220719043836917-izyoe"
STATE_ALL = "github3py-cassettes/Repository_issues_state_all"
MILESTONES = "github3py-cassettes/Repository_milestones"
REPO_EVENTS = "github3py-cassettes/Repository_issue_events"
DEVLAKE_EVENTS = "devlake/repo_issue_events"
ISSUE_EVENTS = "pygithub-replaydata/IssueEvent.setUp"
COMMENT_PAGES = "pygithub-replaydata/PaginatedList.testCustomPerPageIteration"
WHOAMI = "pygithub-replaydata/Exceptions.testUnknownObject"  # GET /user -> jacquev6


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def lists(repo: str, *, since: str | None = None) -> dict[str, str]:
    """The list URLs a fetch asks for, with the query the connector sends."""
    tail = f"&since={since}" if since else ""
    return {
        "milestones": f"{API}/repos/{repo}/milestones?state=all&per_page=100",
        "issues": f"{API}/repos/{repo}/issues?state=all&per_page=100{tail}",
        "comments": f"{API}/repos/{repo}/issues/comments?per_page=100{tail}",
        "events": f"{API}/repos/{repo}/issues/events?per_page=100",
    }


def serve_empty(replay: GitHubReplay, repo: str, *names: str, since: str | None = None) -> None:
    """Empty answers for the lists a test is not about."""
    urls = lists(repo, since=since)
    for name in names:
        replay.add_json("GET", urls[name], [])


def test_the_connector_satisfies_the_protocol(github_connector: Build) -> None:
    connector = github_connector("acme/portal")
    assert isinstance(connector, Connector)
    assert connector.markup == "markdown"


# -- pagination and pull requests ------------------------------------------------------


def test_pagination_follows_link_headers_to_repositories_urls(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    urls = lists(PAGINATE_REPO)
    serve_empty(github_replay, PAGINATE_REPO, "milestones")
    # Page 1 at the URL the connector builds; pages 2-5 exactly where the Link headers point.
    github_replay.add(github_replay.exchange(PAGINATE, 14), url=urls["issues"])
    for index in range(15, 19):
        github_replay.add(github_replay.exchange(PAGINATE, index))
    serve_empty(github_replay, PAGINATE_REPO, "comments", "events")

    connector = github_connector(PAGINATE_REPO)
    result = connector.fetch(None)

    keys = [issue.key for issue in result.snapshot.issues]
    assert keys == [f"{PAGINATE_REPO}#{n}" for n in range(13, 0, -1)]
    paths = [call.request.path_url for call in github_replay.calls[2:6]]
    assert paths == [f"/repositories/515435940/issues?page={n}&per_page=3" for n in range(2, 6)]
    assert result.requests == 8 == len(github_replay.calls) == connector.requests_made
    assert result.complete is True
    assert result.cursor == "2022-07-19T04:39:16Z"
    assert connector.rate_limit is not None and connector.rate_limit.remaining == 4918
    assert result.snapshot.people["octokit-fixture-user-a"] == Person(
        id="octokit-fixture-user-a", name="octokit-fixture-user-a", association="MEMBER"
    )


@pytest.mark.parametrize(("include", "count"), [(False, 83), (True, 150)])
def test_pull_requests_are_dropped_by_their_key(
    github_replay: GitHubReplay, github_connector: Build, include: bool, count: int
) -> None:
    serve_empty(github_replay, "betamaxpy/betamax", "milestones")
    github_replay.add(github_replay.exchange(STATE_ALL, 2))
    github_replay.add(github_replay.exchange(STATE_ALL, 3))
    serve_empty(github_replay, "betamaxpy/betamax", "comments", "events")
    pulls = {
        item["number"]
        for index in (2, 3)
        for item in github_replay.body(STATE_ALL, index)
        if "pull_request" in item
    }

    result = github_connector("betamaxpy/betamax", include_pull_requests=include).fetch(None)

    numbers = {int(issue.key.rsplit("#", 1)[1]) for issue in result.snapshot.issues}
    assert len(pulls) == 67
    assert len(result.snapshot.issues) == count
    assert bool(numbers & pulls) is include
    # Two pages of issues, never one request per issue (no lazy completion of issue.pull_request).
    assert result.requests == 5


def test_an_issue_record_is_read_whole(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    serve_empty(github_replay, "betamaxpy/betamax", "milestones")
    github_replay.add(github_replay.exchange(STATE_ALL, 2))
    github_replay.add(github_replay.exchange(STATE_ALL, 3))
    serve_empty(github_replay, "betamaxpy/betamax", "comments", "events")

    issues = {i.key: i for i in github_connector("betamaxpy/betamax").fetch(None).snapshot.issues}

    raw = next(
        i for i in github_replay.body(STATE_ALL, 2) if i["milestone"] and not i.get("pull_request")
    )
    issue = issues[f"betamaxpy/betamax#{raw['number']}"]
    assert issue.title == raw["title"]
    assert issue.url == raw["html_url"]
    assert issue.state == raw["state"]
    assert issue.author == raw["user"]["login"]
    assert issue.created_at == utc(raw["created_at"])
    assert issue.updated_at == utc(raw["updated_at"])
    assert issue.labels == tuple(label["name"] for label in raw["labels"])
    assert issue.milestone_keys == (f"betamaxpy/betamax/milestones/{raw['milestone']['number']}",)
    assert issue.due_on is None


# -- milestones ---------------------------------------------------------------------------


def test_milestones_take_their_due_date_in_us_pacific(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    repo = "sigmavirus24/github3.py"
    github_replay.add(github_replay.exchange(MILESTONES, 1), url=lists(repo)["milestones"])
    serve_empty(github_replay, repo, "issues", "comments", "events")

    result = github_connector(repo).fetch(None)

    by_number = {m.key.rsplit("/", 1)[1]: m for m in result.snapshot.milestones}
    assert sorted(by_number, key=int) == ["6", "8", "11", "12", "13", "14"]
    # "2015-01-06T08:00:00Z" is midnight in Los Angeles (winter time): the 6th, not the 5th.
    assert by_number["11"] == Milestone(
        key="sigmavirus24/github3.py/milestones/11",
        title="1.0.0b1",
        kind="milestone",
        state="open",
        created_at=utc("2014-12-07T21:10:31Z"),
        start_on=None,
        due_on=date(2015, 1, 6),
        closed_at=None,
    )
    assert [m.due_on for k, m in sorted(by_number.items()) if k != "11"] == [None] * 5


@pytest.mark.parametrize(
    ("name", "index", "due_on", "state"),
    [
        ("pygithub-replaydata/Milestone.setUp", 1, date(2012, 3, 13), "closed"),  # T07:00:00Z
        ("pygithub-replaydata/Repository.testCreateMilestone", 0, date(2012, 6, 15), "open"),
    ],
)
def test_a_summer_due_date_is_seven_in_the_morning_utc(
    github_replay: GitHubReplay,
    github_connector: Build,
    name: str,
    index: int,
    due_on: date,
    state: str,
) -> None:
    # A single recorded milestone, served as the one-item list the connector asks for.
    github_replay.add_json(
        "GET", lists("PyGithub/PyGithub")["milestones"], [github_replay.body(name, index)]
    )
    serve_empty(github_replay, "PyGithub/PyGithub", "issues", "comments", "events")

    (milestone,) = github_connector("PyGithub/PyGithub").fetch(None).snapshot.milestones

    assert (milestone.due_on, milestone.state, milestone.start_on) == (due_on, state, None)


# -- incremental reads -----------------------------------------------------------------------


def test_a_cursor_asks_for_issues_updated_since_it(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    repo = "PyGithub/PyGithub"
    since = "2012-05-28T23%3A00%3A00Z"  # the cursor minus one second of overlap
    serve_empty(github_replay, repo, "milestones")
    github_replay.add(
        github_replay.exchange("pygithub-replaydata/Repository.testGetIssuesWithArguments", 8),
        url=lists(repo, since=since)["issues"],
    )
    serve_empty(github_replay, repo, "comments", since=since)
    serve_empty(github_replay, repo, "events")

    result = github_connector(repo).fetch("2012-05-28T23:00:01Z")

    assert result.complete is False
    # 2012 payloads give plain issues an all-null pull_request object: they are issues.
    assert [issue.key for issue in result.snapshot.issues] == [
        f"{repo}#{n}" for n in (37, 36, 35, 12, 9, 4)
    ]
    assert result.cursor == "2012-05-29T18:38:53Z"
    assert result.requests == 4


def betamax_first_sync(replay: GitHubReplay, connector: GitHubConnector) -> str:
    repo = "betamaxpy/betamax"
    replay.add(replay.exchange(MILESTONES, 1), url=lists(repo)["milestones"])
    replay.add(replay.exchange(STATE_ALL, 2))
    replay.add(replay.exchange(STATE_ALL, 3))
    serve_empty(replay, repo, "comments", "events")
    cursor = connector.fetch(None).cursor
    assert cursor == "2017-12-20T08:29:30Z"
    return cursor


def test_steady_state_costs_two_requests_and_a_304_for_milestones(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    repo = "betamaxpy/betamax"
    connector = github_connector(repo)
    cursor = betamax_first_sync(github_replay, connector)
    before = len(github_replay.calls)
    etag = github_replay.exchange(MILESTONES, 1)["response"]["headers"]["ETag"]
    github_replay.add(
        github_replay.exchange("pygithub-replaydata/ConditionalRequestUpdate.testDidNotUpdate", 0),
        url=lists(repo)["milestones"],
        match=[matchers.header_matcher({"If-None-Match": etag})],
    )
    # GitHub answers `since` with the issue updated at the cursor itself (the overlap).
    latest = [i for i in github_replay.body(STATE_ALL, 2) if i["updated_at"] == cursor]
    github_replay.add_json("GET", lists(repo, since="2017-12-20T08%3A29%3A29Z")["issues"], latest)

    result = connector.fetch(cursor)  # the same connector and memo, as in the daemon

    assert result.requests == 2 == len(github_replay.calls) - before
    assert github_replay.calls[before].response.status_code == 304
    assert result.cursor == cursor
    assert len(result.snapshot.milestones) == 6
    assert [issue.key for issue in result.snapshot.issues] == ["betamaxpy/betamax#150"]
    assert result.snapshot.comments == ()
    assert result.snapshot.changes == ()


def test_events_are_read_newest_first_down_to_the_newest_one_seen(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    repo = "sigmavirus24/github3.py"
    memo = DictMemo({"newest_event_id": "1404648171"})
    since = "2017-12-29T23%3A59%3A59Z"
    serve_empty(github_replay, repo, "milestones")
    # The issues changed since the cursor: the recorded issues embedded in the new events.
    page = github_replay.body(REPO_EVENTS, 1)
    changed = list(
        {e["issue"]["number"]: e["issue"] for e in page if e["id"] > 1404648171}.values()
    )
    github_replay.add_json("GET", lists(repo, since=since)["issues"], changed)
    serve_empty(github_replay, repo, "comments", since=since)
    # The recorded page links to page 2: never asked for, the seen event is on page 1.
    github_replay.add(github_replay.exchange(REPO_EVENTS, 1), url=lists(repo)["events"])

    result = github_connector(repo, memo=memo).fetch("2017-12-30T00:00:00Z")

    assert result.snapshot.changes == (
        Change(
            f"{repo}#752", "label", utc("2018-01-04T18:13:54Z"), None, "Enhancement", "sigmavirus24"
        ),
        Change(
            f"{repo}#762", "state", utc("2018-01-04T16:07:42Z"), "open", "closed", "sigmavirus24"
        ),
        Change(
            f"{repo}#761", "state", utc("2018-01-04T16:07:42Z"), "open", "closed", "sigmavirus24"
        ),
        Change(f"{repo}#683", "label", utc("2018-01-01T12:24:21Z"), None, "Easy", "sigmavirus24"),
    )
    assert memo["newest_event_id"] == "1410454786"
    assert result.requests == 4


def test_all_events_of_a_first_sync_become_changes(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    repo = "panjf2000/ants"
    serve_empty(github_replay, repo, "milestones", "issues", "comments")
    github_replay.add(github_replay.exchange(DEVLAKE_EVENTS, 0), url=lists(repo)["events"])
    memo = DictMemo()

    changes = github_connector(repo, memo=memo).fetch(None).snapshot.changes

    # 50 recorded rows: one duplicated, 10 on pull requests, 11 of kinds that are not changes.
    assert [c.field for c in changes].count("label") == 18
    assert [c.field for c in changes].count("state") == 10
    assert len(changes) == 28
    assert changes[:2] == (
        Change(f"{repo}#228", "state", utc("2022-06-09T01:42:11Z"), "open", "closed", "ZhMaio"),
        Change(f"{repo}#230", "label", utc("2022-06-08T02:35:14Z"), None, "question", "iGen1us"),
    )
    assert memo["newest_event_id"] == "6774117135"


def milestone_named(replay: GitHubReplay, title: str) -> dict[str, Any]:
    body: dict[str, Any] = replay.body("pygithub-replaydata/Milestone.setUp", 1)
    body["title"] = title
    return body


def test_a_renamed_milestone_still_matches_through_its_title_history(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    repo = "PyGithub/PyGithub"
    urls = lists(repo)
    memo = DictMemo()
    # Cycle 1 sees milestone 1 as "Version 1.25.0" (Milestone.setUp's record, title adapted).
    github_replay.add_json(
        "GET", urls["milestones"], [milestone_named(github_replay, "Version 1.25.0")]
    )
    serve_empty(github_replay, repo, "issues", "comments", "events")
    github_connector(repo, memo=memo, include_pull_requests=True).fetch(None)
    # Then it is renamed; the events recorded before still say "Version 1.25.0".
    github_replay.add_json(
        "GET", urls["milestones"], [milestone_named(github_replay, "Version 1.25")]
    )
    serve_empty(github_replay, repo, "issues", "comments")
    events = [github_replay.body(ISSUE_EVENTS, i) for i in (16, 17)]
    github_replay.add_json("GET", urls["events"], events)

    result = github_connector(repo, memo=memo, include_pull_requests=True).fetch(None)

    key = f"{repo}/milestones/1"
    assert result.snapshot.changes == (
        Change(f"{repo}#857", "milestone", utc("2018-08-11T00:46:19Z"), None, key, "sfdye"),
        Change(f"{repo}#857", "milestone", utc("2018-08-11T00:46:22Z"), key, None, "sfdye"),
    )
    assert json.loads(memo["milestone_titles"]) == {"1": ["Version 1.25.0", "Version 1.25"]}
    assert result.skipped == ()


def test_an_unknown_milestone_title_is_skipped_with_a_warning(
    github_replay: GitHubReplay, github_connector: Build, caplog: pytest.LogCaptureFixture
) -> None:
    repo = "PyGithub/PyGithub"
    github_replay.add_json(
        "GET", lists(repo)["milestones"], [milestone_named(github_replay, "Version 0.4")]
    )
    serve_empty(github_replay, repo, "issues", "comments")
    events = [github_replay.body(ISSUE_EVENTS, i) for i in (5, 16)]  # labeled #30, milestoned #857
    github_replay.add_json("GET", lists(repo)["events"], events)

    with caplog.at_level(logging.WARNING):
        result = github_connector(repo, include_pull_requests=True).fetch(None)

    reason = (
        "event 1783596418: no milestone titled 'Version 1.25.0' "
        "(deleted, or renamed before forewarn saw it)"
    )
    assert result.skipped == (reason,)
    assert [r.getMessage() for r in caplog.records] == [f"skipped {reason}"]
    assert result.snapshot.changes == (
        Change(f"{repo}#30", "label", utc("2014-03-02T18:55:10Z"), None, "v1", "jacquev6"),
    )


def test_events_on_pull_requests_are_ignored_unless_asked_for(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    repo = "PyGithub/PyGithub"
    serve_empty(github_replay, repo, "milestones", "issues", "comments")
    events = [github_replay.body(ISSUE_EVENTS, i) for i in range(1, 28)]
    github_replay.add_json("GET", lists(repo)["events"], events)

    result = github_connector(repo).fetch(None)

    # Of 27 event kinds only closed and labeled happened on an issue (#30); the rest are on PRs.
    assert [(c.issue_key, c.field, c.after) for c in result.snapshot.changes] == [
        (f"{repo}#30", "state", "closed"),
        (f"{repo}#30", "label", "v1"),
    ]
    assert result.skipped == ()


# -- comments ----------------------------------------------------------------------------------


def test_repo_wide_comments_follow_pages_and_mark_bots(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    repo = "PyGithub/PyGithub"
    memo = DictMemo()
    serve_empty(github_replay, repo, "milestones", "issues")
    github_replay.add(github_replay.exchange(COMMENT_PAGES, 2), url=lists(repo)["comments"])
    github_replay.add(github_replay.exchange(COMMENT_PAGES, 3))
    github_replay.add(github_replay.exchange(COMMENT_PAGES, 4))
    github_replay.add(github_replay.exchange(WHOAMI, 0))  # asked once, for the first comment
    serve_empty(github_replay, repo, "events")

    result = github_connector(repo, memo=memo).fetch(None)

    comments = result.snapshot.comments
    assert [c.id for c in comments] == [
        "520169504",
        "1879739410",
        "1879763065",
        "2009839192",
        "2011931389",
        "2012384661",
        "2016818677",
    ]
    assert {c.issue_key for c in comments} == {f"{repo}#1136"}
    assert not any(c.is_ours for c in comments)
    assert all(len(c.body_excerpt) <= 500 for c in comments)
    assert comments[2].created_at == utc("2024-01-06T17:34:11Z")
    assert comments[2].updated_at == utc("2024-01-06T17:36:10Z")
    people = result.snapshot.people
    assert people["stale[bot]"].kind == "bot"
    assert people["EnricoMi"] == Person(id="EnricoMi", name="EnricoMi", association="COLLABORATOR")
    assert json.loads(memo["whoami"])["login"] == "jacquev6"
    assert result.requests == 7


ACK = f"- [x] Acknowledge this alert {ACK_TAG}"


@pytest.mark.parametrize(
    ("suffix", "marker", "acked"),
    [
        ("", None, False),
        (
            "\n<!-- forewarn:feedback.0123456789abcdef:warning -->",
            "feedback.0123456789abcdef:warning",
            False,
        ),
        (
            f"\n{ACK}\n<!-- forewarn:slip.fedcba9876543210:critical -->",
            "slip.fedcba9876543210:critical",
            True,
        ),
    ],
)
def test_forewarns_own_comments_carry_their_marker_and_ack(
    github_replay: GitHubReplay,
    github_connector: Build,
    suffix: str,
    marker: str | None,
    acked: bool,
) -> None:
    repo = "PyGithub/PyGithub"
    ours = github_replay.body("pygithub-replaydata/IssueComment.setUp", 2)  # by stuglaser
    ours["body"] += suffix
    spoof = github_replay.body(COMMENT_PAGES, 2)[1]  # by engn33r, pasting the same text
    spoof["body"] += suffix
    serve_empty(github_replay, repo, "milestones", "issues", "events")
    github_replay.add_json("GET", lists(repo)["comments"], [ours, spoof])
    # forewarn writes as stuglaser here: GET /user answers with that user's recorded record.
    github_replay.add_json("GET", f"{API}/user", ours["user"])

    mine, theirs = github_connector(repo).fetch(None).snapshot.comments

    assert (mine.is_ours, mine.marker, mine.acked) == (True, marker, acked)
    assert (theirs.is_ours, theirs.marker, theirs.acked) == (False, None, False)
    assert mine.issue_key == f"{repo}#28"


def test_comments_on_pull_requests_are_dropped(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    repo = "PyGithub/PyGithub"
    timeline = github_replay.body("pygithub-replaydata/PullRequest.testGetIssueTimeline", 0)
    on_pull = next(item for item in timeline if item.get("event") == "commented")  # /pull/31#...
    on_issue = github_replay.body("pygithub-replaydata/IssueComment.setUp", 2)
    serve_empty(github_replay, repo, "milestones", "issues", "events")
    github_replay.add_json("GET", lists(repo)["comments"], [on_pull, on_issue])
    github_replay.add(github_replay.exchange(WHOAMI, 0))

    comments = github_connector(repo).fetch(None).snapshot.comments

    assert [c.id for c in comments] == ["20227753"]


# -- broken records ------------------------------------------------------------------------------


def test_a_malformed_record_is_skipped_and_the_fetch_goes_on(
    github_replay: GitHubReplay, github_connector: Build, caplog: pytest.LogCaptureFixture
) -> None:
    repo = "betamaxpy/betamax"
    page = github_replay.body(STATE_ALL, 2)
    plain = [item for item in page if "pull_request" not in item]
    del plain[0]["created_at"]
    plain[1]["user"] = None
    plain[2]["state"] = 3
    plain[3]["number"] = "12"
    comment = github_replay.body("pygithub-replaydata/IssueComment.setUp", 2)
    broken = dict(comment, id=1, created_at=1234)
    orphan = {k: v for k, v in github_replay.body(ISSUE_EVENTS, 5).items() if k != "issue"}
    event = github_replay.body(ISSUE_EVENTS, 4)
    serve_empty(github_replay, repo, "milestones")
    github_replay.add_json("GET", lists(repo)["issues"], page)
    github_replay.add_json("GET", lists(repo)["comments"], [broken, comment])
    github_replay.add(github_replay.exchange(WHOAMI, 0))
    github_replay.add_json("GET", lists(repo)["events"], [orphan, event])

    with caplog.at_level(logging.WARNING, logger="connectors.github.connector"):
        result = github_connector(repo).fetch(None)

    n = [item["number"] for item in plain[:3]]
    expected = (
        f"issue {repo}#{n[0]}: missing field 'created_at'",
        f"issue {repo}#{n[1]}: field 'user' is null",
        f"issue {repo}#{n[2]}: field 'state' is int, expected str",
        f"issue {plain[3]['id']}: field 'number' is str, expected int",
        "comment 1: field 'created_at' is int, expected str",
        "event 98136337: missing field 'issue'",
    )
    assert result.skipped == expected
    assert [r.getMessage() for r in caplog.records] == [f"skipped {reason}" for reason in expected]
    assert len(result.snapshot.issues) == 49 - 4
    assert [c.id for c in result.snapshot.comments] == ["20227753"]
    assert [(c.issue_key, c.after) for c in result.snapshot.changes] == [(f"{repo}#30", "closed")]


@pytest.mark.parametrize("cursor", ["yesterday", "2024-13-01T00:00:00Z"])
def test_an_unreadable_cursor_means_a_full_read(
    github_replay: GitHubReplay, github_connector: Build, cursor: str
) -> None:
    serve_empty(github_replay, "acme/portal", "milestones", "issues", "comments", "events")

    result = github_connector("acme/portal").fetch(cursor)

    assert result.complete is True
    assert result.cursor is None
