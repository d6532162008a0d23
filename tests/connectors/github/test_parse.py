"""The GitHub connector's pure helpers, one line per case."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, NoReturn

import pytest

from connectors.errors import (
    CredentialsRefused,
    FatalError,
    NotFound,
    RateLimited,
    RecordSkipped,
    RetriableError,
)
from connectors.github.bodies import COMMENT_LIMIT, TRUNCATION_NOTE, fit_comment
from connectors.github.http import Transport, describe_request, next_link
from connectors.github.parse import (
    TitleHistory,
    describe,
    is_pull_request,
    is_pull_request_comment,
    pacific_date,
    parse_issue,
    parse_milestone,
)
from connectors.model import Milestone
from connectors.retry import RetryPolicy

NOW = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    ("due_on", "expected"),
    [
        ("2015-01-06T08:00:00Z", date(2015, 1, 6)),  # winter: PST, UTC-8
        ("2012-03-13T07:00:00Z", date(2012, 3, 13)),  # summer: PDT, UTC-7
        ("2012-06-15T07:00:00Z", date(2012, 6, 15)),  # POSTed as 00:00Z, stored Pacific
        ("2024-11-03T07:00:00Z", date(2024, 11, 3)),  # the night DST ends
        ("2024-03-10T08:00:00Z", date(2024, 3, 10)),  # the night DST starts
    ],
)
def test_pacific_date(due_on: str, expected: date) -> None:
    assert pacific_date(at(due_on)) == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"number": 1}, False),
        ({"number": 1, "pull_request": None}, False),
        (
            {"number": 1, "pull_request": {"html_url": None, "diff_url": None, "patch_url": None}},
            False,
        ),
        ({"number": 1, "pull_request": {"url": "https://api.github.com/repos/o/r/pulls/1"}}, True),
        ("not an object", False),
    ],
)
def test_is_pull_request(item: Any, expected: bool) -> None:
    assert is_pull_request(item) is expected


@pytest.mark.parametrize(
    ("html_url", "expected"),
    [
        ("https://github.com/PyGithub/PyGithub/pull/31#issuecomment-8387331", True),
        ("https://github.com/PyGithub/PyGithub/issues/28#issuecomment-20227753", False),
        (None, False),
    ],
)
def test_is_pull_request_comment(html_url: str | None, expected: bool) -> None:
    assert is_pull_request_comment({"html_url": html_url}) is expected


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("issue", {"number": 7}, "issue o/r#7"),
        ("issue", {"number": "7", "id": 99}, "issue 99"),
        ("milestone", {"number": 3}, "milestone 3"),
        ("event", {"id": 5}, "event 5"),
        ("comment", None, "comment (unidentified)"),
    ],
)
def test_describe(kind: str, raw: Any, expected: str) -> None:
    assert describe(kind, raw, "o/r") == expected


GOOD_ISSUE: dict[str, Any] = {
    "number": 3,
    "title": "t",
    "html_url": "https://github.com/o/r/issues/3",
    "state": "open",
    "created_at": "2024-01-01T00:00:00Z",
    "user": {"login": "renovate[bot]", "type": "User"},
    "labels": ["plain", {"name": "object"}],
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"title": None}, "field 'title' is null"),
        ({"state": "merged"}, "field 'state' is 'merged', expected open or closed"),
        ({"created_at": "last week"}, "field 'created_at' is not an ISO timestamp: 'last week'"),
        ({"labels": "bug"}, "field 'labels' is str, expected a list"),
        ({"labels": [{"color": "fff"}]}, "missing field 'name'"),
        ({"milestone": {"title": "no number"}}, "missing field 'number'"),
        ({"user": {"id": 1}}, "missing field 'login'"),
        ({"number": True}, "field 'number' is bool, expected int"),
    ],
)
def test_parse_issue_names_the_field_at_fault(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(RecordSkipped) as raised:
        parse_issue({**GOOD_ISSUE, **change}, "o/r")
    assert str(raised.value) == reason


def test_parse_issue_reads_bots_and_bare_labels() -> None:
    parsed = parse_issue(GOOD_ISSUE, "o/r")
    assert parsed.issue.labels == ("plain", "object")
    assert parsed.people[0].kind == "bot"


def test_parse_milestone_without_dates() -> None:
    raw = {"number": 2, "title": "v2", "state": "open", "due_on": None, "created_at": None}
    assert parse_milestone(raw, "o/r") == Milestone(key="o/r/milestones/2", title="v2")


def milestone(number: int, title: str, created: str) -> Milestone:
    return Milestone(key=f"o/r/milestones/{number}", title=title, created_at=at(created))


def test_title_history_keeps_every_title_in_order() -> None:
    history = TitleHistory()
    history.observe([milestone(1, "v1", "2024-01-01T00:00:00Z")])
    history.observe([milestone(1, "v1.0", "2024-01-01T00:00:00Z")])
    history.observe([milestone(1, "v1.0", "2024-01-01T00:00:00Z")])
    assert TitleHistory.loads(history.dumps()).titles == {1: ["v1", "v1.0"]}


@pytest.mark.parametrize(
    ("title", "when", "expected"),
    [
        ("v1", "2024-02-01T00:00:00Z", 1),  # before #2 existed, "v1" was #1
        ("v1", "2024-04-01T00:00:00Z", 2),  # #1 was renamed, #2 took the name
        ("v1-old", "2024-04-01T00:00:00Z", 1),
        ("never", "2024-04-01T00:00:00Z", None),
    ],
)
def test_a_reused_title_resolves_to_the_milestone_that_held_it(
    title: str, when: str, expected: int | None
) -> None:
    history = TitleHistory({"1": ["v1", "v1-old"], "2": ["v1"]})
    history.observe(
        [milestone(1, "v1-old", "2024-01-01T00:00:00Z"), milestone(2, "v1", "2024-03-01T00:00:00Z")]
    )
    assert history.resolve(title, at(when)) == expected


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", '{"1": 5}'])
def test_a_damaged_title_history_starts_afresh(text: str) -> None:
    assert TitleHistory.loads(text).titles == {}


TAG = "<!-- forewarn:x.0123456789abcdef:warning -->"


@pytest.mark.parametrize(
    ("body", "length"),
    [
        ("short " + TAG, len("short " + TAG)),
        ("a" * (COMMENT_LIMIT - len(TAG)) + TAG, COMMENT_LIMIT),
        ("a" * COMMENT_LIMIT + TAG, COMMENT_LIMIT),
        ("😀" * COMMENT_LIMIT + TAG, None),  # two UTF-16 units each: cut by units, not characters
    ],
)
def test_fit_comment(body: str, length: int | None) -> None:
    fitted = fit_comment(body, TAG)
    assert fitted.endswith(TAG)
    assert len(fitted.encode("utf-16-le")) // 2 <= COMMENT_LIMIT
    if length is not None:
        assert len(fitted) == length
    if fitted != body:
        assert TRUNCATION_NOTE in fitted


@pytest.mark.parametrize(
    ("method", "url", "params", "expected"),
    [
        (
            "GET",
            "/repos/o/r/issues",
            {"state": "all", "since": "2024-01-01T00:00:00Z"},
            "GET /repos/o/r/issues?since=2024-01-01T00:00:00Z&state=all",
        ),
        (
            "GET",
            "https://api.github.com/repositories/1/issues?page=2",
            None,
            "GET /repositories/1/issues?page=2",
        ),
        (
            "DELETE",
            "/repos/o/r/issues/1/labels/in%20progress",
            None,
            "DELETE /repos/o/r/issues/1/labels/in%20progress",
        ),
    ],
)
def test_describe_request_never_names_the_host(
    method: str, url: str, params: dict[str, str] | None, expected: str
) -> None:
    assert describe_request(method, url, params) == expected


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (
            '<https://x/repositories/1/issues?page=2>; rel="next", <https://x/r?p=5>; rel="last"',
            "https://x/repositories/1/issues?page=2",
        ),
        ('<https://x/r?page=4>; rel="prev", <https://x/r?page=1>; rel="first"', None),
        ("", None),
    ],
)
def test_next_link(link: str, expected: str | None) -> None:
    assert next_link({"link": link}) == expected


def no_connection() -> NoReturn:
    raise AssertionError("classifying an answer sends nothing")


def transport() -> Transport:
    return Transport(
        connect=no_connection,
        repo="o/r",
        policy=RetryPolicy(scale=0),
        clock=lambda: NOW,
        sleep=lambda _: None,
        monotonic=lambda: 0.0,
        min_write_interval=0,
    )


RESET_IN_300 = str(int(NOW.timestamp()) + 300)
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


GENERIC = "generic"
ACCESS = ("; the token may not do this (a fine-grained token needs Issues: read and write on "
          "this repository)")


@pytest.mark.parametrize(
    ("status", "headers", "message", "kind", "wait"),
    [
        (429, {"retry-after": "7"}, "", RateLimited, 7.0),
        (429, {}, "", RateLimited, 60.0),
        (
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": RESET_IN_300},
            "API rate limit exceeded",
            RateLimited,
            300.0,
        ),
        (403, {}, SECONDARY, RateLimited, 60.0),
        (
            403,
            {"retry-after": "60"},
            "You have triggered an abuse detection mechanism.",
            RateLimited,
            60.0,
        ),
        (
            403,
            {"x-ratelimit-remaining": "4000"},
            "Resource not accessible by integration",
            FatalError,
            None,
        ),
        (500, {}, "", RetriableError, None),
        (503, {"retry-after": "12"}, "", RetriableError, 12.0),
        (422, {}, "Validation Failed", FatalError, None),
    ],
)
def test_error_classes(
    status: int, headers: dict[str, str], message: str, kind: type[Exception], wait: float | None
) -> None:
    error = transport().error_for(status, headers, {"message": message}, "GET /x")
    assert type(error) is kind
    assert getattr(error, "wait_seconds", None) == wait
    assert str(error) == f"GitHub o/r: GET /x failed: HTTP {status}" + (
        f" {message}" if message else ""
    ) + (ACCESS if kind is FatalError and status == 403 else "")


@pytest.mark.parametrize(
    ("status", "what", "kind", "text"),
    [
        (401, "GET /repos/o/r/issues?state=all", CredentialsRefused,
         "401: the token was refused; check the token"),
        (404, "GET /repos/o/r/milestones?state=all", NotFound,
         "404: repository o/r not found, or the token cannot see it (check repo and the "
         "token's access)"),
        (404, "GET /repositories/515435940/issues?page=2", NotFound,
         "404: repository o/r not found, or the token cannot see it (check repo and the "
         "token's access)"),
        (404, "POST /repos/o/r/issues/12/comments", NotFound,
         "404: issue o/r#12 not found, or the token cannot see it "
         "(POST /repos/o/r/issues/12/comments)"),
        (404, "PATCH /repos/o/r/issues/comments/77", NotFound,
         "404: comment 77 not found (deleted?) (PATCH /repos/o/r/issues/comments/77)"),
        (404, "GET /app", NotFound, "404: GET /app: not found"),
    ],
)
def test_refusals_say_what_to_check(
    status: int, what: str, kind: type[Exception], text: str
) -> None:
    error = transport().error_for(status, {}, {"message": "whatever"}, what)
    assert type(error) is kind
    assert str(error) == f"GitHub o/r: {text}"


# -- issue dependencies (GitHub counts open blockers; which ones costs a request each) ------

WILDCARD = "pygithub-replaydata/Repository.testGetIssuesWithTypeWildcard"


@pytest.mark.parametrize(
    ("page", "number", "open_blockers"),
    [
        (0, 3379, 0),   # never blocked
        (1, 28, 0),     # blocked by an issue since closed: total_blocked_by 1, blocked_by 0
        (1, 3337, 0),
    ],
)
def test_open_blockers_come_from_the_dependencies_summary(
        page: int, number: int, open_blockers: int) -> None:
    from tests.connectors.github.support import github_exchange

    raw = next(item for item in github_exchange(WILDCARD, page)["response"]["body"]
               if item["number"] == number)
    assert parse_issue(raw, "PyGithub/PyGithub").issue.open_blockers == open_blockers


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        # The recorded shape with its open count raised (no public recording has one
        # still blocked); the key missing (older payloads, Enterprise Server) is no count.
        ({"blocked_by": 2, "total_blocked_by": 3, "blocking": 0, "total_blocking": 0}, 2),
        (None, None),
        ({}, None),
    ],
)
def test_open_blockers_count_or_none(summary: Any, expected: int | None) -> None:
    from tests.connectors.github.support import github_exchange

    raw = github_exchange(WILDCARD, 0)["response"]["body"][0]
    if summary is None:
        del raw["issue_dependencies_summary"]
    else:
        raw["issue_dependencies_summary"] = summary
    assert parse_issue(raw, "PyGithub/PyGithub").issue.open_blockers == expected


def test_a_broken_dependencies_summary_skips_the_issue() -> None:
    from tests.connectors.github.support import github_exchange

    raw = github_exchange(WILDCARD, 0)["response"]["body"][0]
    raw["issue_dependencies_summary"] = {"blocked_by": "two"}
    with pytest.raises(RecordSkipped, match=r"issue_dependencies_summary\.blocked_by"):
        parse_issue(raw, "PyGithub/PyGithub")
