"""GitHubConnector writes: comments found by marker and author, posted once, labels, pacing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from responses import matchers

from connectors.base import RateLimit
from connectors.errors import CannotPostComment, CommentGone, FatalError
from connectors.github.bodies import COMMENT_LIMIT, TRUNCATION_NOTE
from connectors.github.connector import GitHubConnector
from connectors.markers import Marker
from connectors.model import Membership, Visibility
from tests.connectors.github.support import GitHubReplay

API = "https://api.github.com"
Build = Callable[..., GitHubConnector]
REPO = "PyGithub/PyGithub"
MARKER = Marker("feedback.0123456789abcdef", "warning")
TAG = "<!-- forewarn:feedback.0123456789abcdef:warning -->"
OURS = "pygithub-replaydata/IssueComment.setUp"  # comment 20227753 on #28, by stuglaser
PAGES = "pygithub-replaydata/PaginatedList.testCustomPerPageIteration"


def comments_url(number: int, repo: str = REPO) -> str:
    return f"{API}/repos/{repo}/issues/{number}/comments?per_page=100"


def as_forewarn(replay: GitHubReplay) -> None:
    """forewarn writes as stuglaser: GET /user answers with that user's recorded record."""
    replay.add_json("GET", f"{API}/user", replay.body(OURS, 2)["user"])


def our_comment(replay: GitHubReplay, body: str) -> dict[str, Any]:
    comment: dict[str, Any] = replay.body(OURS, 2)
    comment["body"] = body
    return comment


def spoofed(replay: GitHubReplay, body: str) -> dict[str, Any]:
    comment: dict[str, Any] = replay.body(PAGES, 2)[1]  # engn33r
    comment["body"] = body
    return comment


# -- finding forewarn's comments -----------------------------------------------------------


def test_find_comment_matches_marker_and_author(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    mine = our_comment(github_replay, f"Awaiting a reply.\n{TAG}")
    fake = spoofed(github_replay, f"I can paste markers too {TAG}")
    github_replay.add_json("GET", comments_url(28), [fake, mine])
    as_forewarn(github_replay)

    found = github_connector(REPO).find_comment(f"{REPO}#28", MARKER)

    assert found is not None
    assert (found.id, found.issue_key, found.body) == ("20227753", f"{REPO}#28", mine["body"])


def test_a_marker_pasted_by_someone_else_is_not_ours(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    github_replay.add_json("GET", comments_url(28), [spoofed(github_replay, TAG)])
    as_forewarn(github_replay)

    assert github_connector(REPO).find_comment(f"{REPO}#28", MARKER) is None


def test_find_comment_reads_every_page(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    github_replay.add(github_replay.exchange(PAGES, 2), url=comments_url(1136))
    github_replay.add(github_replay.exchange(PAGES, 3))
    github_replay.add(github_replay.exchange(PAGES, 4))
    as_forewarn(github_replay)

    assert github_connector(REPO).find_comment(f"{REPO}#1136", MARKER) is None
    assert len(github_replay.calls) == 4


@pytest.mark.parametrize("key", ["PyGithub/Other#1", "PyGithub/PyGithub#x", "BILL-7"])
def test_a_key_of_another_repository_is_refused(github_connector: Build, key: str) -> None:
    with pytest.raises(FatalError, match="is not an issue of this repository"):
        github_connector(REPO).find_comment(key, MARKER)


def test_a_team_repository_takes_comments_but_never_labels(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    # The team digest may live in another (private) repository: the recorded POST of
    # PyGithub/PyGithub#28 stands for it, the project being another repository.
    name = "pygithub-replaydata/Issue.testCreateComment"
    post = next(e for e in github_replay.exchanges(name) if e["request"]["method"] == "POST")
    github_replay.add(post)
    connector = github_connector("acme/portal", team_repos=("PyGithub/PyGithub",))
    assert connector.create_comment("PyGithub/PyGithub#28", f"Digest\n{TAG}",
                                    marker=MARKER) == "5808311"
    with pytest.raises(FatalError, match="is not an issue of this repository"):
        connector.add_labels("PyGithub/PyGithub#28", ["scope-creep"])
    assert len(github_replay.calls) == 1


@pytest.mark.parametrize(
    "visibility", [Visibility("role", "Developers"), Visibility("group", "g"),
                   Visibility("internal")])
def test_github_refuses_a_restricted_comment_rather_than_post_it_publicly(
    github_connector: Build, visibility: Visibility
) -> None:
    connector = github_connector(REPO)
    with pytest.raises(FatalError) as refused:
        connector.create_comment(f"{REPO}#28", "internal", marker=MARKER, visibility=visibility)
    assert str(refused.value) == (
        f"GitHub {REPO} has no restricted comments: a comment visible to {visibility} only "
        "cannot be written there (use alerts.to: digest on a team issue)")
    with pytest.raises(FatalError):
        connector.edit_comment(f"{REPO}#28", "1", "internal", visibility=visibility)


def test_github_has_no_roles_or_groups(github_connector: Build) -> None:
    connector = github_connector(REPO)
    assert connector.members([]) == {}
    with pytest.raises(FatalError) as refused:
        connector.members([Membership("role", "Developers")])
    assert str(refused.value) == (
        f"GitHub {REPO}: project roles and groups are Jira's (role Developers); on GitHub "
        "write team: members or logins")


# -- creating and editing comments ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "repo", "number", "ident"),
    [
        ("pygithub-replaydata/Issue.testCreateComment", "PyGithub/PyGithub", 28, "5808311"),
        ("github3py-cassettes/Issue_create_comment", "sigmavirus24/github3.py", 509, "353194484"),
    ],
)
def test_create_comment_posts_once_and_returns_the_id(
    github_replay: GitHubReplay,
    github_connector: Build,
    name: str,
    repo: str,
    number: int,
    ident: str,
) -> None:
    body = f"Scope grew by 12% since the baseline.\n{TAG}"
    post = next(e for e in github_replay.exchanges(name) if e["request"]["method"] == "POST")
    github_replay.add(post, match=[matchers.json_params_matcher({"body": body})])

    assert github_connector(repo).create_comment(f"{repo}#{number}", body, marker=MARKER) == ident
    assert len(github_replay.calls) == 1


def test_a_body_without_its_marker_gets_it_on_its_last_line(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    github_replay.add(github_replay.exchange("pygithub-replaydata/Issue.testCreateComment", 0))

    github_connector(REPO).create_comment(f"{REPO}#28", "no marker here\n", marker=MARKER)

    assert json.loads(github_replay.calls[0].request.body) == {"body": f"no marker here\n{TAG}"}


def test_a_long_comment_is_cut_to_githubs_limit_keeping_the_marker(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    post = github_replay.exchange("pygithub-replaydata/Issue.testCreateComment", 0)
    github_replay.add(post)
    body = "| row |\n" * 10_000 + TAG  # 80,000 characters

    github_connector(REPO).create_comment(f"{REPO}#28", body, marker=MARKER)

    sent = json.loads(github_replay.calls[0].request.body)["body"]
    assert len(sent) == COMMENT_LIMIT
    assert sent.endswith(TRUNCATION_NOTE + TAG)
    assert sent.count(TAG) == 1


def test_a_lost_response_whose_comment_landed_is_not_posted_again(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    body = f"Awaiting a reply.\n{TAG}"
    post_url = f"{API}/repos/{REPO}/issues/28/comments"
    github_replay.add_error("POST", post_url, requests.exceptions.ReadTimeout("read timed out"))
    as_forewarn(github_replay)
    github_replay.add_json("GET", comments_url(28), [our_comment(github_replay, body)])

    ident = github_connector(REPO).create_comment(f"{REPO}#28", body, marker=MARKER)

    assert ident == "20227753"
    assert [c.request.method for c in github_replay.calls] == ["POST", "GET", "GET"]


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 502},
        {"status": 504},
        {"error": requests.exceptions.ConnectionError("connection reset by peer")},
    ],
)
def test_a_lost_response_is_looked_for_before_posting_again(
    github_replay: GitHubReplay, github_connector: Build, failure: dict[str, Any]
) -> None:
    """Exactly one comment ends up on the issue: the retry comes only after the marker check."""
    body = f"Awaiting a reply.\n{TAG}"
    post = github_replay.exchange("pygithub-replaydata/Issue.testCreateComment", 0)
    if "error" in failure:
        github_replay.add_error("POST", post["request"]["url"], failure["error"])
    else:
        github_replay.add(post, status=failure["status"], body={"message": "Server Error"})
    as_forewarn(github_replay)
    github_replay.add_json("GET", comments_url(28), [spoofed(github_replay, body)])
    github_replay.add(post, match=[matchers.json_params_matcher({"body": body})])

    assert github_connector(REPO).create_comment(f"{REPO}#28", body, marker=MARKER) == "5808311"
    assert [c.request.method for c in github_replay.calls] == ["POST", "GET", "GET", "POST"]


def test_a_refused_comment_is_cannot_post_comment(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    not_found = github_replay.exchange("pygithub-replaydata/Exceptions.testUnknownObject", 1)
    github_replay.add(not_found, method="POST", url=f"{API}/repos/{REPO}/issues/99999/comments")

    with pytest.raises(CannotPostComment) as raised:
        github_connector(REPO).create_comment(f"{REPO}#99999", TAG, marker=MARKER)

    assert str(raised.value) == (
        f"GitHub {REPO}: 404: issue {REPO}#99999 not found, or the token cannot see it "
        f"(POST /repos/{REPO}/issues/99999/comments)"
    )
    assert len(github_replay.calls) == 1


def test_edit_comment_patches_in_place(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    body = f"Answered on Monday.\n{TAG}"
    edit = github_replay.exchange("pygithub-replaydata/IssueComment.testEdit", 0)
    github_replay.add(edit, match=[matchers.json_params_matcher({"body": body})])

    github_connector(REPO).edit_comment(f"{REPO}#28", "20227753", body)

    assert len(github_replay.calls) == 1


def test_editing_a_comment_someone_deleted_is_comment_gone(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    """GitHub answers 404 for a deleted comment (the recording: an unknown object)."""
    not_found = github_replay.exchange("pygithub-replaydata/Exceptions.testUnknownObject", 1)
    url = f"{API}/repos/{REPO}/issues/comments/20227753"
    github_replay.add(not_found, method="PATCH", url=url)

    with pytest.raises(CommentGone) as raised:
        github_connector(REPO).edit_comment(f"{REPO}#28", "20227753", f"x\n{TAG}")

    assert str(raised.value) == (
        f"GitHub {REPO}: 404: comment 20227753 not found (deleted?) "
        f"(PATCH /repos/{REPO}/issues/comments/20227753)")
    assert len(github_replay.calls) == 1  # not retried


# -- labels ------------------------------------------------------------------------------------


def test_add_labels_posts_the_names(github_replay: GitHubReplay, github_connector: Build) -> None:
    recorded = github_replay.exchange("octokit-fixtures/add-labels-to-issue.raw-fixture", 2)
    github_replay.add(recorded, match=[matchers.json_params_matcher(recorded["request"]["body"])])
    repo = "octokit-fixture-org/tmp-scenario-add-labels-to-issue-20220719043651190-v2c1k"

    github_connector(repo).add_labels(f"{repo}#1", ["Foo", "bAr", "baZ"])

    assert len(github_replay.calls) == 1


def test_add_labels_with_the_github3_recording(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    # github3.py sent a bare array; forewarn sends {"labels": [...]}: both are documented.
    recorded = github_replay.exchange("github3py-cassettes/Issue_add_labels", 1)
    github_replay.add(recorded, match=[matchers.json_params_matcher({"labels": ["in progress"]})])

    github_connector("sigmavirus24/github3.py").add_labels(
        "sigmavirus24/github3.py#497", ["in progress"]
    )


def test_no_labels_is_no_request(github_connector: Build) -> None:
    github_connector(REPO).add_labels(f"{REPO}#1", [])


def test_remove_label_encodes_the_name(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    github_replay.add(github_replay.exchange("github3py-cassettes/Issue_remove_label", 1))

    github_connector("sigmavirus24/github3.py").remove_label(
        "sigmavirus24/github3.py#509", "in progress"
    )

    assert github_replay.calls[0].request.path_url.endswith("/issues/509/labels/in%20progress")


def test_removing_a_label_that_is_gone_is_success(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    not_found = github_replay.exchange("pygithub-replaydata/Exceptions.testUnknownObject", 1)
    github_replay.add(
        not_found, method="DELETE", url=f"{API}/repos/{REPO}/issues/28/labels/awaiting-reply"
    )

    github_connector(REPO).remove_label(f"{REPO}#28", "awaiting-reply")

    assert len(github_replay.calls) == 1


LABELS = "octokit-fixtures/labels.raw-fixture"
LABELS_REPO = "octokit-fixture-org/tmp-scenario-labels-20220719043808548-dbtiq"


def test_ensure_label_reads_the_catalogue_once_and_creates_what_is_missing(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    listing = f"{API}/repos/{LABELS_REPO}/labels?per_page=100"
    github_replay.add(github_replay.exchange(LABELS, 1), url=listing)
    created = {"name": "test-label", "color": "663399", "description": "Raised by forewarn"}
    github_replay.add(
        github_replay.exchange(LABELS, 2), match=[matchers.json_params_matcher(created)]
    )
    connector = github_connector(LABELS_REPO)

    connector.ensure_label("BUG", color="#d73a4a", description="exists already, by another case")
    connector.ensure_label("test-label", color="#663399", description="Raised by forewarn")
    connector.ensure_label("Test-Label", color="#663399", description="Raised by forewarn")

    assert [c.request.method for c in github_replay.calls] == ["GET", "POST"]


def test_a_label_created_meanwhile_is_success(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    github_replay.add(
        github_replay.exchange(LABELS, 1), url=f"{API}/repos/{LABELS_REPO}/labels?per_page=100"
    )
    # The recorded 422 says the colour was invalid; GitHub says "already_exists" for a name taken.
    taken = github_replay.exchange("octokit-fixtures/errors.raw-fixture", 1)
    taken["response"]["body"]["errors"] = [
        {"resource": "Label", "code": "already_exists", "field": "name"}
    ]
    github_replay.add(taken, url=f"{API}/repos/{LABELS_REPO}/labels")

    github_connector(LABELS_REPO).ensure_label("scope-creep", color="ededed", description="")


def test_an_invalid_label_is_fatal(github_replay: GitHubReplay, github_connector: Build) -> None:
    repo = "octokit-fixture-org/tmp-scenario-errors-20220719043735842-akvrn"
    github_replay.add_json("GET", f"{API}/repos/{repo}/labels?per_page=100", [])
    github_replay.add(github_replay.exchange("octokit-fixtures/errors.raw-fixture", 1))

    with pytest.raises(FatalError) as raised:
        github_connector(repo).ensure_label("foo", color="invalid", description="")

    assert (
        str(raised.value)
        == f"GitHub {repo}: POST /repos/{repo}/labels failed: HTTP 422 Validation Failed"
    )


# -- pacing and the rate-limit budget ---------------------------------------------------------


def test_writes_are_spaced_by_the_minimum_interval(
    github_replay: GitHubReplay, github_connector: Build, github_sleeps: list[float]
) -> None:
    recorded = github_replay.exchange("github3py-cassettes/Issue_remove_label", 1)
    github_replay.add(recorded)
    github_replay.add(recorded)
    now = [100.0]
    connector = github_connector(
        "sigmavirus24/github3.py", min_write_interval=1.0, monotonic=lambda: now[0]
    )

    connector.remove_label("sigmavirus24/github3.py#509", "in progress")
    now[0] += 0.25
    connector.remove_label("sigmavirus24/github3.py#509", "in progress")

    assert github_sleeps == [0.75]


def test_the_quota_left_is_read_from_every_response(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    """The publisher stops writing on it (tests/sync/test_publish.py)."""
    repo = "sigmavirus24/github3.py"
    # Recorded unauthenticated: 53 of 60 requests left, reset at 15:04:51 UTC.
    milestones = github_replay.exchange("github3py-cassettes/Repository_milestones", 1)
    github_replay.add(milestones, url=f"{API}/repos/{repo}/milestones?state=all&per_page=100")
    for path in ("issues?state=all&", "issues/comments?", "issues/events?"):
        github_replay.add_json("GET", f"{API}/repos/{repo}/{path}per_page=100", [])
    connector = github_connector(repo)
    assert connector.rate_limit is None

    connector.fetch(None)

    headers = milestones["response"]["headers"]
    reset = datetime.fromtimestamp(int(headers["X-RateLimit-Reset"]), tz=UTC)
    assert connector.rate_limit == RateLimit(remaining=53, resets_at=reset)
    assert f"{reset:%H:%M}" == "15:04"
