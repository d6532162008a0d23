"""Failures: what retries, how long it waits, what is fatal, and that no token leaks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from responses import matchers

from connectors.base import DictMemo
from connectors.errors import CredentialsRefused, FatalError, NotFound, RetriableError, Unreachable
from connectors.github.connector import GitHubConnector
from connectors.retry import RetryPolicy
from tests.connectors.github.support import GITHUB_NOW, GITHUB_TOKEN, GitHubReplay
from tests.connectors.network import dns_failure, refused_connection

API = "https://api.github.com"
Build = Callable[..., GitHubConnector]
REPO = "PyGithub/PyGithub"
MILESTONES_URL = f"{API}/repos/{REPO}/milestones?state=all&per_page=100"
MILESTONES_WHAT = f"GET /repos/{REPO}/milestones?per_page=100&state=all"
SECONDARY = "pygithub-replaydata/SpecificExceptions.testAuthenticatedRateLimitExceeded"
PRIMARY = "pygithub-replaydata/SpecificExceptions.testRateLimitExceeded"
RETRY = "pygithub-replaydata/Retry.testReturnsRepoAfter1Retry"


def milestones_then_the_rest(replay: GitHubReplay) -> None:
    """After the failure: the recorded milestone, then empty lists for the rest of a fetch."""
    replay.add_json("GET", MILESTONES_URL, [replay.body("pygithub-replaydata/Milestone.setUp", 1)])
    for path in ("issues?state=all&", "issues/comments?", "issues/events?"):
        replay.add_json("GET", f"{API}/repos/{REPO}/{path}per_page=100", [])


@pytest.fixture
def waits(github_connector: Build, github_sleeps: list[float]) -> Build:
    """A connector whose retry policy asks for real waits (recorded, never slept)."""

    def build(repo: str = REPO, **options: object) -> GitHubConnector:
        return github_connector(repo, retry=RetryPolicy(sleep=github_sleeps.append), **options)

    return build


# -- rate limits -------------------------------------------------------------------------------


def test_a_429_waits_what_retry_after_says(
    github_replay: GitHubReplay, waits: Build, github_sleeps: list[float]
) -> None:
    # GitHub documents 429 as well as 403 for secondary limits; the body is the recorded one.
    github_replay.add(
        github_replay.exchange(SECONDARY, 1),
        url=MILESTONES_URL,
        status=429,
        headers={"Retry-After": "30"},
    )
    milestones_then_the_rest(github_replay)

    result = waits().fetch(None)

    assert github_sleeps == [30.0]
    assert len(result.snapshot.milestones) == 1


@pytest.mark.parametrize(
    ("drop", "expected"),
    [((), 60.0), (("Retry-After",), 60.0)],
    ids=["recorded-retry-after", "no-retry-after-waits-a-minute"],
)
def test_a_secondary_limit_403_is_retried_after_its_wait(
    github_replay: GitHubReplay,
    waits: Build,
    github_sleeps: list[float],
    drop: tuple[str, ...],
    expected: float,
) -> None:
    github_replay.add(github_replay.exchange(SECONDARY, 1), url=MILESTONES_URL, drop_headers=drop)
    milestones_then_the_rest(github_replay)

    waits().fetch(None)

    assert github_sleeps == [expected]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, 60.0),  # recorded: remaining 0 and no reset time
        ({"x-ratelimit-reset": str(int((GITHUB_NOW + timedelta(seconds=120)).timestamp()))}, 120.0),
    ],
    ids=["recorded", "with-reset"],
)
def test_a_spent_primary_limit_waits_for_the_reset(
    github_replay: GitHubReplay,
    waits: Build,
    github_sleeps: list[float],
    headers: dict[str, str],
    expected: float,
) -> None:
    github_replay.add(github_replay.exchange(PRIMARY, 1), url=MILESTONES_URL, headers=headers)
    milestones_then_the_rest(github_replay)

    waits().fetch(None)

    assert github_sleeps == [expected]


# -- server errors and dropped connections --------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_then_success(
    github_replay: GitHubReplay, github_connector: Build, github_sleeps: list[float], status: int
) -> None:
    github_replay.add(github_replay.exchange(RETRY, 0), url=MILESTONES_URL, status=status)
    milestones_then_the_rest(github_replay)

    result = github_connector(REPO).fetch(None)

    assert len(github_sleeps) == 1
    assert result.requests == 5
    assert len(result.snapshot.milestones) == 1


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ConnectionError("connection reset by peer"),
        requests.exceptions.ReadTimeout("read timed out"),
    ],
)
def test_a_dropped_read_is_retried(
    github_replay: GitHubReplay, github_connector: Build, error: Exception
) -> None:
    github_replay.add_error("GET", MILESTONES_URL, error)
    milestones_then_the_rest(github_replay)

    assert len(github_connector(REPO).fetch(None).snapshot.milestones) == 1


def test_retries_are_bounded(github_replay: GitHubReplay, github_connector: Build) -> None:
    for _ in range(5):
        github_replay.add(github_replay.exchange(RETRY, 0), url=MILESTONES_URL)
    connector = github_connector(REPO)

    with pytest.raises(RetriableError) as raised:
        connector.fetch(None)

    assert str(raised.value) == f"GitHub {REPO}: {MILESTONES_WHAT} failed: HTTP 500"
    assert connector.requests_made == 5


@pytest.mark.parametrize(
    ("name", "index", "error", "message"),
    [
        (
            "pygithub-replaydata/SpecificExceptions.testBadCredentials",
            0,
            CredentialsRefused,
            f"GitHub {REPO}: 401: the token was refused; check FOREWARN_GITHUB_TOKEN",
        ),
        (
            "pygithub-replaydata/Exceptions.testUnknownObject",
            1,
            NotFound,
            f"GitHub {REPO}: 404: repository {REPO} not found, or the token cannot see it "
            "(check repo and the token's access)",
        ),
    ],
)
def test_client_errors_are_fatal_at_once_and_say_what_to_check(
    github_replay: GitHubReplay,
    github_connector: Build,
    name: str,
    index: int,
    error: type[FatalError],
    message: str,
) -> None:
    github_replay.add(github_replay.exchange(name, index), url=MILESTONES_URL)
    connector = github_connector(REPO, credentials="FOREWARN_GITHUB_TOKEN")

    with pytest.raises(error) as raised:
        connector.fetch(None)

    assert str(raised.value) == message
    assert connector.requests_made == 1


def test_a_host_that_does_not_resolve_is_not_retried(
    github_replay: GitHubReplay, waits: Build, github_sleeps: list[float]
) -> None:
    url = "https://github.acme.invalid/api/v3/repos/PyGithub/PyGithub/milestones?state=all&per_page=100"
    github_replay.add_error("GET", url, dns_failure("github.acme.invalid"))
    connector = waits(REPO, base_url="https://github.acme.invalid/api/v3")

    with pytest.raises(Unreachable) as raised:
        connector.fetch(None)

    assert str(raised.value) == (
        f"GitHub {REPO}: cannot reach github.acme.invalid: the host name does not resolve (DNS);"
        " check base_url")
    assert github_sleeps == []
    assert connector.requests_made == 1


def test_a_refused_connection_is_retried_then_named_with_its_cause(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    for _ in range(5):
        github_replay.add_error("GET", MILESTONES_URL, refused_connection("api.github.com"))
    connector = github_connector(REPO)

    with pytest.raises(RetriableError) as raised:
        connector.fetch(None)

    assert str(raised.value) == (
        f"GitHub {REPO}: cannot reach api.github.com: connection refused; check the network")
    assert connector.requests_made == 5


def test_whoami_with_bad_credentials_is_fatal(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    github_replay.add(
        github_replay.exchange("pygithub-replaydata/SpecificExceptions.testBadCredentials", 0)
    )

    with pytest.raises(CredentialsRefused) as raised:
        github_connector(REPO, credentials="trackers.gh.token").whoami()

    assert str(raised.value) == (
        "GitHub PyGithub/PyGithub: 401: the token was refused; check trackers.gh.token")


def test_whoami_is_asked_once_and_kept_in_the_memo(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    github_replay.add(github_replay.exchange("pygithub-replaydata/Exceptions.testUnknownObject", 0))
    memo = DictMemo()

    assert github_connector(REPO, memo=memo).whoami() == "jacquev6"
    assert github_connector(REPO, memo=memo).whoami() == "jacquev6"
    # Another token may be another account: it asks again.
    github_replay.add(github_replay.exchange("pygithub-replaydata/Exceptions.testUnknownObject", 0))
    assert github_connector(REPO, memo=memo, token="ghp_another").whoami() == "jacquev6"
    assert len(github_replay.calls) == 2
    assert GITHUB_TOKEN not in str(memo)


# -- secrets ---------------------------------------------------------------------------


def test_no_token_in_logs_or_errors(
    github_replay: GitHubReplay,
    github_connector: Build,
    github_no_secrets: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    github_replay.add(github_replay.exchange(SECONDARY, 1), url=MILESTONES_URL)
    github_replay.add_error("GET", MILESTONES_URL, requests.exceptions.ConnectionError("reset"))
    github_replay.add(
        github_replay.exchange("pygithub-replaydata/SpecificExceptions.testBadCredentials", 0),
        url=MILESTONES_URL,
        match=[matchers.header_matcher({"Authorization": f"token {GITHUB_TOKEN}"})],
    )
    connector = github_connector(REPO)

    with pytest.raises(FatalError) as raised:
        connector.fetch(None)

    texts = [str(raised.value), repr(raised.value), repr(connector)]
    texts += [str(e) for e in (raised.value.__cause__, raised.value.__context__) if e]
    assert all(GITHUB_TOKEN not in text for text in texts)
    # The failures were logged (tenacity's before-sleep lines, PyGithub's debug lines).
    assert any("attempt 1 of 5" in r.getMessage() for r in caplog.records)
    assert any(r.name == "github.Requester" for r in caplog.records)


def rsa_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_a_github_app_on_enterprise_server_writes_as_its_bot(
    github_replay: GitHubReplay, github_connector: Build, caplog: pytest.LogCaptureFixture
) -> None:
    """GHE base URL, App authentication: the installation token, then the app's bot login."""
    ghe = "https://ghe.example.com/api/v3"
    caplog.set_level(logging.DEBUG)
    # No recording of these two App endpoints exists; minimal bodies with the documented fields.
    github_replay.add_json(
        "POST",
        f"{ghe}/app/installations/42/access_tokens",
        {"token": "ghs_installationTokenValue0000", "expires_at": "2099-01-01T00:00:00Z"},
        status=201,
    )
    github_replay.add_json(
        "GET",
        f"{ghe}/repos/{REPO}/milestones?state=all&per_page=100",
        [github_replay.body("pygithub-replaydata/Milestone.setUp", 1)],
        match=[matchers.header_matcher({"Authorization": "token ghs_installationTokenValue0000"})],
    )
    for path in ("issues?state=all&", "issues/comments?", "issues/events?"):
        github_replay.add_json("GET", f"{ghe}/repos/{REPO}/{path}per_page=100", [])
    github_replay.add_json("GET", f"{ghe}/app", {"id": 7, "slug": "forewarn", "name": "forewarn"})
    key = rsa_key()
    connector = github_connector(
        REPO, token=None, app_id=7, private_key=key, installation_id=42, base_url=ghe
    )

    result = connector.fetch(None)

    assert result.snapshot.milestones[0].key == f"{REPO}/milestones/1"
    assert connector.whoami() == "forewarn[bot]"
    assert "ghs_installationTokenValue0000" not in caplog.text
    assert key not in caplog.text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "give a token, or a GitHub App's app_id and private_key"),
        (
            {"token": "t", "app_id": 1},
            "give a token or a GitHub App (app_id, private_key), not both",
        ),
        ({"app_id": 1}, "give a token, or a GitHub App's app_id and private_key"),
        ({"app_id": 1, "private_key": "not a PEM key"}, "the App private key cannot sign a token"),
    ],
)
def test_credentials_are_checked_when_built(options: dict[str, object], message: str) -> None:
    with pytest.raises(FatalError) as raised:
        GitHubConnector(REPO, memo=DictMemo(), project="p", **options)  # type: ignore[arg-type]
    assert message in str(raised.value)
    assert "not a PEM key" not in str(raised.value)


def test_a_repository_name_is_owner_slash_name() -> None:
    with pytest.raises(FatalError, match="must be 'owner/name'"):
        GitHubConnector("https://github.com/acme/portal", token="t", memo=DictMemo(), project="p")


def test_an_app_without_installation_id_looks_it_up_once(
    github_replay: GitHubReplay, github_connector: Build
) -> None:
    labels = github_replay.exchange("octokit-fixtures/labels.raw-fixture", 1)  # has "bug"
    # No recording of these App endpoints exists; minimal bodies with the documented fields.
    github_replay.add_json("GET", f"{API}/repos/{REPO}/installation", {"id": 42, "app_id": 7})
    for _ in range(2):
        github_replay.add_json(
            "POST",
            f"{API}/app/installations/42/access_tokens",
            {"token": "ghs_installationTokenValue0000", "expires_at": "2099-01-01T00:00:00Z"},
            status=201,
        )
        github_replay.add(labels, url=f"{API}/repos/{REPO}/labels?per_page=100")
    memo = DictMemo()
    key = rsa_key()

    for _ in range(2):  # the second connector (a one-shot run) reads the id from the memo
        connector = github_connector(REPO, token=None, app_id=7, private_key=key, memo=memo)
        connector.ensure_label("bug", color="d73a4a", description="")

    assert [f"{c.request.method} {c.request.path_url}" for c in github_replay.calls] == [
        f"GET /repos/{REPO}/installation",
        "POST /app/installations/42/access_tokens",
        f"GET /repos/{REPO}/labels?per_page=100",
        "POST /app/installations/42/access_tokens",
        f"GET /repos/{REPO}/labels?per_page=100",
    ]
