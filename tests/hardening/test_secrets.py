"""No token, password or private key in any log line, error message or repr.

Every log record (all loggers at DEBUG, PyGithub's too), every exception text
with its causes and formatted traceback, and the connectors' reprs are
collected across failing requests (401, 403, 429, 500 bursts with retries,
dropped connections, read timeouts) for GitHub (token and App) and Jira (Cloud
basic auth and Data Center bearer), and across bad configs whose secrets come
from the environment. None may hold a secret, whole or as the Basic-auth
encoding that travels in the Authorization header.
"""

from __future__ import annotations

import base64
import logging
import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from config import ConfigError, load_config, load_settings
from connectors.base import DictMemo
from connectors.github.connector import GitHubConnector
from connectors.jira.connector import JiraConnector
from connectors.retry import RetryPolicy
from sync.app.cli import main
from tests.connectors.github.support import GITHUB_TOKEN, github_url
from tests.connectors.jira.support import CLOUD, EMAIL, SERVER, TOKEN

API = "https://api.github.com"
REPO = "acme/portal"
NO_SLEEP = RetryPolicy(attempts=3, scale=0, sleep=lambda _s: None)
INSTALLATION_TOKEN = "ghs_InstallationT0kenThatMustNotLeak01"


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


PEM = _pem()
#: The lines of the key's body: any one of them in a log would be a leak.
PEM_LINES = [line for line in PEM.splitlines() if line and "PRIVATE KEY" not in line]
FAILURES: list[dict[str, Any]] = [
    {"status": 401, "json": {"message": "Bad credentials"}},
    {"status": 403, "json": {"message": "Resource not accessible by integration"}},
    {"status": 403, "json": {"message": "You have exceeded a secondary rate limit."},
     "headers": {"Retry-After": "1"}},
    {"status": 429, "json": {"message": "Too many"}, "headers": {"Retry-After": "1"}},
    {"status": 500, "json": {"message": "Server Error"}},
    {"status": 502, "body": "<html>Bad gateway</html>"},
    {"body": requests.exceptions.ConnectionError("connection reset by peer")},
    {"body": requests.exceptions.ReadTimeout("read timed out")},
]


class Collected:
    """Every text a person could read: log lines, error messages, tracebacks, reprs."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.texts: list[str] = []

    def attempt(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except Exception as error:  # what any caller would see or log
            self.texts.append(str(error))
            self.texts.append(repr(error))
            self.texts.append("".join(traceback.format_exception(error)))

    def assert_clean(self, *secrets: str) -> None:
        records = self.caplog.records
        texts = [*self.texts, *(r.getMessage() for r in records),
                 *(self.caplog.handler.format(r) for r in records)]
        assert records or self.texts, "nothing to read: the check would prove nothing"
        for text in texts:
            for secret in secrets:
                assert secret not in text, f"secret in: {text[:300]}"


@pytest.fixture
def collected(caplog: pytest.LogCaptureFixture) -> Collected:
    caplog.set_level(logging.DEBUG)
    for name in ("github", "urllib3", "requests", "jira", "connectors", "sync"):
        caplog.set_level(logging.DEBUG, logger=name)
    return Collected(caplog)


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


# -- GitHub ---------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", FAILURES, ids=lambda f: str(f.get("status") or "no response"))
def test_github_token_never_shows(collected: Collected, failure: dict[str, Any]) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in ("GET", "POST", "PATCH", "DELETE"):
            rsps.add(method, github_url(f"{API}/user"), json={"login": "forewarn-bot"})
            for _ in range(4):
                rsps.add(method, re.compile(r"https://api\.github\.com:443/repos/.*"),
                         **failure)
        connector = GitHubConnector(REPO, token=GITHUB_TOKEN, memo=DictMemo(), project="p",
                                    retry=NO_SLEEP, min_write_interval=0, sleep=lambda _s: None)
        collected.attempt(lambda: connector.fetch(None))
        collected.attempt(lambda: connector.create_comment(
            f"{REPO}#1", "hi <!-- forewarn:scope.0123456789abcdef:warning -->",
            marker="scope.0123456789abcdef:warning"))
        collected.attempt(lambda: connector.add_labels(f"{REPO}#1", ["scope-creep"]))
        collected.attempt(lambda: connector.edit_comment(f"{REPO}#1", "5", "x"))
        collected.texts.append(repr(connector))
    collected.assert_clean(GITHUB_TOKEN, GITHUB_TOKEN[4:])


def test_github_app_key_and_tokens_never_show(collected: Collected) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add("GET", github_url(f"{API}/repos/{REPO}/installation"),
                 json={"id": 42, "app_id": 1234, "account": {"login": "acme"}})
        rsps.add("POST", github_url(f"{API}/app/installations/42/access_tokens"), status=201,
                 json={"token": INSTALLATION_TOKEN, "expires_at": "2099-01-01T00:00:00Z"})
        rsps.add("GET", github_url(f"{API}/app"), json={"slug": "forewarn", "id": 1234})
        for _ in range(4):
            rsps.add("GET", github_url(f"{API}/repos/{REPO}/milestones?state=all&per_page=100"),
                     status=401, json={"message": "Bad credentials"})
        connector = GitHubConnector(REPO, app_id=1234, private_key=PEM, memo=DictMemo(),
                                    project="p", retry=NO_SLEEP, min_write_interval=0,
                                    sleep=lambda _s: None)
        collected.attempt(lambda: connector.fetch(None))
        collected.texts.append(repr(connector))
        sent = [c.request.headers.get("Authorization", "") for c in rsps.calls]
    jwt = next(h.split()[1] for h in sent if h.startswith("Bearer ") and h.count(".") == 2)
    assert any(INSTALLATION_TOKEN in h for h in sent), "the installation token was never used"
    collected.assert_clean(INSTALLATION_TOKEN, jwt, *PEM_LINES)


def test_github_app_with_a_bad_key_names_no_key(collected: Collected) -> None:
    broken = PEM.replace(PEM_LINES[3], PEM_LINES[3][::-1])
    logging.getLogger("forewarn").debug("building a connector with a broken key")
    collected.attempt(lambda: GitHubConnector(REPO, app_id=1234, private_key=broken,
                                              memo=DictMemo(), project="p"))
    assert any("cannot sign a token" in text for text in collected.texts)
    collected.assert_clean(*PEM_LINES, *broken.splitlines()[1:-2])


# -- Jira -----------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", FAILURES, ids=lambda f: str(f.get("status") or "no response"))
@pytest.mark.parametrize("site", [CLOUD, SERVER], ids=["cloud", "data-center"])
def test_jira_credentials_never_show(collected: Collected, failure: dict[str, Any],
                                     site: str) -> None:
    email = EMAIL if site == CLOUD else None
    memo = DictMemo()
    memo.set("jira.deployment", "cloud" if site == CLOUD else "server")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in ("GET", "POST", "PUT"):
            for _ in range(4):
                rsps.add(method, re.compile(re.escape(site) + ".*"),
                         **failure)
        connector = JiraConnector("BILL", url=site, email=email, token=TOKEN, memo=memo,
                                  project="billing", retry=NO_SLEEP)
        collected.attempt(lambda: connector.fetch(None))
        collected.attempt(lambda: connector.create_comment("BILL-1", "hi", marker="s.0:warning"))
        collected.attempt(lambda: connector.add_labels("BILL-1", ["scope-creep"]))
        collected.texts.append(repr(connector))
        sent = [c.request.headers.get("Authorization", "") for c in rsps.calls]
    assert sent and all(TOKEN in h or _basic(EMAIL, TOKEN) in h for h in sent)
    collected.assert_clean(TOKEN, _basic(EMAIL, TOKEN))


# -- configuration and the command line -----------------------------------------------------

SECRET_ENV = {"GITHUB_TOKEN": "ghp_EnvT0kenThatMustNotLeak99", "JIRA_API_TOKEN": "atl-pass-w0rd"}
BAD_CONFIGS = {
    "secret in a field that wants a URL": """
version: 1
trackers:
  acme: {kind: jira, url: "${JIRA_API_TOKEN}", email: pm@acme.com, token: ${JIRA_API_TOKEN}}
projects: [{name: billing, tracker: acme, jira_project: BILL}]
""",
    "secret where a number belongs": """
version: 1
trackers: {gh: {kind: github, token: ${GITHUB_TOKEN}, app_id: "${GITHUB_TOKEN}"}}
projects: [{name: portal, tracker: gh, repo: acme/portal}]
""",
    "a literal token of the wrong type": """
version: 1
trackers: {gh: {kind: github, token: [ghp_LiteralT0kenThatMustNotLeak]}}
projects: [{name: portal, tracker: gh, repo: acme/portal}]
""",
    "a misspelt key holding a token": """
version: 1
trackers: {gh: {kind: github, tokn: ghp_LiteralT0kenThatMustNotLeak}}
projects: [{name: portal, tracker: gh, repo: "${GITHUB_TOKEN}"}]
""",
    "a password in the state URL": """
version: 1
state: "postgresql+psycopg://forewarn:pa55w0rd-DoNotLog@db:5432/forewarn?x=${JIRA_API_TOKEN}"
trackers: {gh: {kind: gthub, token: ${GITHUB_TOKEN}}}
projects: [{name: portal, tracker: gh, repo: acme/portal}]
""",
}
CONFIG_SECRETS = [*SECRET_ENV.values(), "ghp_LiteralT0kenThatMustNotLeak", "pa55w0rd-DoNotLog"]


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
def test_config_errors_name_no_secret(tmp_path: Path, collected: Collected,
                                      capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    for key, value in SECRET_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FOREWARN_SECRETS_DIR", str(tmp_path / "secrets"))
    path = tmp_path / "forewarn.yaml"
    path.write_text(BAD_CONFIGS[name], encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    collected.texts += [str(raised.value), repr(raised.value)]
    logging.getLogger("forewarn").debug("checked %s", path)
    assert main(["--log-level", "DEBUG", "check-config", "-c", str(path)]) == 2
    out, err = capsys.readouterr()
    collected.texts += [out, err]
    collected.assert_clean(*CONFIG_SECRETS)


def test_settings_and_config_reprs_hide_tokens(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOREWARN_GITHUB_TOKEN", SECRET_ENV["GITHUB_TOKEN"])
    monkeypatch.setenv("FOREWARN_STATE_URL", "postgresql+psycopg://u:pa55w0rd-DoNotLog@db/f")
    monkeypatch.setenv("JIRA_API_TOKEN", SECRET_ENV["JIRA_API_TOKEN"])
    path = tmp_path / "forewarn.yaml"
    path.write_text("""
version: 1
trackers: {acme: {kind: jira, url: "https://acme.atlassian.net", email: a@b.c,
                  token: "${JIRA_API_TOKEN}"}}
projects: [{name: billing, tracker: acme, jira_project: BILL}]
""", encoding="utf-8")
    texts = [repr(load_settings()), str(load_settings()), repr(load_config(path)),
             str(load_config(path)), str(load_config(path).model_dump())]
    for text in texts:
        for secret in (*SECRET_ENV.values(), "pa55w0rd-DoNotLog"):
            assert secret not in text, text


def test_a_run_against_a_refusing_tracker_names_no_token(
    tmp_path: Path, collected: Collected, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``forewarn run --once`` end to end, every request refused with 401."""
    monkeypatch.setenv("GITHUB_TOKEN", SECRET_ENV["GITHUB_TOKEN"])
    monkeypatch.setenv("FOREWARN_SECRETS_DIR", str(tmp_path / "secrets"))
    path = tmp_path / "forewarn.yaml"
    path.write_text(f"""
version: 1
state: sqlite:///{tmp_path / 'state.db'}
trackers: {{gh: {{kind: github, token: "${{GITHUB_TOKEN}}"}}}}
projects: [{{name: portal, tracker: gh, repo: acme/portal}}]
""", encoding="utf-8")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add("GET", re.compile(r"https://api\.github\.com.*"), status=401,
                 json={"message": "Bad credentials"})
        code = main(["--log-level", "DEBUG", "run", "--once", "-c", str(path)])
        assert rsps.calls
    out, err = capsys.readouterr()
    assert code == 1
    collected.texts += [out, err]
    collected.assert_clean(SECRET_ENV["GITHUB_TOKEN"])
