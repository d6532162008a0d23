"""Jira failures as one line that says what to check: a refused token, an unknown project,
a host that does not resolve (fatal at once) or refuses connections (retried)."""

from __future__ import annotations

import pytest
import responses

from connectors.errors import CredentialsRefused, NotFound, RetriableError, Unreachable
from connectors.retry import RetryPolicy
from tests.connectors.jira.support import CLOUD, SERVER, make
from tests.connectors.network import dns_failure, refused_connection

SEARCH = f"{CLOUD}/rest/api/2/search/jql"
#: Jira's answer to a search for a project key it does not know (or the account cannot
#: browse), as users report it: tenable/integration-jira-cloud#25 (Cloud, 400).
UNKNOWN_PROJECT = {"errorMessages": ["The value 'BILL' does not exist for the field 'project'."],
                   "warningMessages": []}
DENIED = {"errorMessages": ["Client must be authenticated to access this resource."]}


@pytest.mark.parametrize(
    ("email", "credentials", "message"),
    [
        ("pm@acme.example", "trackers.acme.email and FOREWARN_JIRA_API_TOKEN",
         "401: the e-mail and API token were refused; check trackers.acme.email and "
         "FOREWARN_JIRA_API_TOKEN"),
        (None, "trackers.dc.token",
         "401: the personal access token was refused; check trackers.dc.token"),
    ],
)
def test_a_refused_token_says_where_it_came_from(
    email: str | None, credentials: str, message: str
) -> None:
    site = CLOUD if email else SERVER
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", f"{site}/rest/api/2/search" + ("/jql" if email else ""), status=401,
                 json=DENIED)
        connector = make(url=site, email=email, credentials=credentials,
                         **({} if email else {"deployment": "server"}))
        with pytest.raises(CredentialsRefused) as raised:
            connector.fetch(None)
        assert len(rsps.calls) == 1
    assert str(raised.value) == f"Jira {site}: {message}"


def test_an_unknown_project_says_to_check_jira_project() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", SEARCH, status=400, json=UNKNOWN_PROJECT)
        with pytest.raises(NotFound) as raised:
            make().fetch(None)
    assert str(raised.value) == (
        f"Jira {CLOUD}: project BILL not found, or the account cannot browse it (check "
        "jira_project and the Browse projects permission)")


def test_a_host_that_does_not_resolve_fails_at_once() -> None:
    waits: list[float] = []
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add("GET", SEARCH, body=dns_failure("acme.atlassian.net"))
        with pytest.raises(Unreachable) as raised:
            make(retry=RetryPolicy(attempts=3, sleep=waits.append)).fetch(None)
        assert len(rsps.calls) == 1
    assert waits == []
    assert str(raised.value) == (
        f"Jira {CLOUD}: cannot reach acme.atlassian.net: the host name does not resolve (DNS); "
        "check url")


def test_a_refused_connection_is_retried_and_named() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        for _ in range(3):
            rsps.add("GET", SEARCH, body=refused_connection("acme.atlassian.net"))
        with pytest.raises(RetriableError) as raised:
            make().fetch(None)
    assert str(raised.value) == (
        f"Jira {CLOUD}: cannot reach acme.atlassian.net: connection refused; check url")
