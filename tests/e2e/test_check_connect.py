"""``forewarn check-config --connect`` on a two-project config (GitHub and Jira): one
✓/✗ line per check with a hint, no write sent, exit 2 on any ✗.

The trackers are the stateful fakes: GitHub ``acme/portal`` (issue #1 is the status
issue) and a Jira Cloud site with project BILL (two Scrum boards; BILL-1 is the
status issue; clients told by e-mail).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import responses

from sync.app.cli import main
from tests.conftest import Clock
from tests.fakes.github import FakeGitHub
from tests.fakes.jira import FakeJira
from tests.fakes.world import World

NOW = datetime(2026, 7, 29, 15, 0, tzinfo=UTC)
GITHUB_TOKEN = "ghp_connectCheckToken0123456789abcdef"
JIRA_TOKEN = "connect-check-jira-token"
EMAIL = "forewarn@acme.example"
CONFIG = """\
version: 1
state: sqlite:///{state}
trackers:
  gh: {{kind: github}}
  acme: {{kind: jira, url: https://acme.atlassian.net, email: forewarn@acme.example}}
{more_trackers}projects:
  - {{name: portal, tracker: gh, repo: {repo}, status_issue: {gh_status}, clients: external}}
  - {{name: billing, tracker: acme, jira_project: BILL, milestones: sprint, status_issue: BILL-1,
     clients: ["*@client.example"]}}
{more_projects}rules:
  - {{id: scope, kind: scope_creep, label: scope-creep}}
  - {{id: feedback, kind: unanswered_feedback, label: awaiting-reply}}
"""
GITHUB_OK = [
    "portal: GitHub acme/portal",
    "  ✓ credentials: token accepted: writes as forewarn-bot (a classic token, scopes: "
    "read:discussion, repo)",
    "  ✓ repository: acme/portal found (public); the account has Write access",
    "  ✓ status issue: acme/portal#1 found (open), “Portal status”; comments allowed",
    "  ✓ labels: may create and apply labels",
    "  ✓ rate limit: 4,997 requests left (resets at 16:00 UTC)",
    "  ✓ bots: no account that comments looks automated (1 issue, 0 comments on the issues "
    "updated in the last 30 days)",
]
JIRA_OK = [
    "billing: Jira BILL on https://acme.atlassian.net",
    "  ✓ credentials: accepted: writes as forewarn (712020:forewarn-bot)",
    "  ✓ site: Jira Cloud 1001.0.0-SNAPSHOT",
    "  ✓ project: BILL found (“BILL project”)",
    "  ✓ permissions: Browse projects, Add comments, Edit own comments, Edit issues",
    "  ✓ status issue: BILL-1 found (“Billing status”, To Do); comments allowed",
    "  ✓ labels: set by editing issues (Edit issues granted)",
    "  ✓ boards: sprints read from 8 (BILL board), 9 (BILL board 9)",
    "  ✓ e-mails: visible for all 3 people who can be assigned issues",
    "  ✓ bots: no account that comments looks automated (1 issue, 0 comments on the issues "
    "updated in the last 30 days)",
]


def world(clock: Clock, title: str) -> World:
    built = World(clock=clock)
    built.person("pm-alice", name="Alice Martin", email="alice@acme.example")
    built.person("client-ana", name="Ana Client", email="ana@client.example")
    built.person(built.me, name="forewarn", email="forewarn@acme.example")
    built.issue(1, title, "pm-alice", created=datetime(2026, 7, 1, 9, tzinfo=UTC))
    return built


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def trackers(mock: responses.RequestsMock) -> Iterator[tuple[FakeGitHub, FakeJira]]:
    clock = Clock(NOW)
    github = FakeGitHub(world(clock, "Portal status"))
    github.token = GITHUB_TOKEN
    jira = FakeJira({"BILL": world(clock, "Billing status")}, token=JIRA_TOKEN, email=EMAIL,
                    boards={"BILL": (8, 9)})
    github.serve(mock)
    jira.serve(mock)
    yield github, jira
    assert github.writes() == [] and jira.writes() == []  # it only ever asks


Check = Callable[..., tuple[int, list[str]]]


@pytest.fixture
def check(configure: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Check:
    def run(*, repo: str = "acme/portal", gh_status: int = 1, more_trackers: str = "",
            more_projects: str = "") -> tuple[int, list[str]]:
        config = configure(CONFIG, token=("FOREWARN_GITHUB_TOKEN", GITHUB_TOKEN), repo=repo,
                           gh_status=gh_status, more_trackers=more_trackers,
                           more_projects=more_projects)
        monkeypatch.setenv("FOREWARN_JIRA_API_TOKEN", JIRA_TOKEN)
        code = main(["check-config", "--connect", "-c", str(config), "--now", NOW.isoformat()])
        out, err = capsys.readouterr()
        assert err == ""
        assert GITHUB_TOKEN not in out and JIRA_TOKEN not in out
        return code, out.splitlines()[1:]

    return run


pytestmark = pytest.mark.usefixtures("clean_env", "quiet_connectors")


def test_every_check_holds(trackers: tuple[FakeGitHub, FakeJira], check: Check) -> None:
    assert check() == (0, GITHUB_OK + JIRA_OK)


def test_a_wrong_token(trackers: tuple[FakeGitHub, FakeJira], check: Check) -> None:
    trackers[0].token = "ghp_someOtherToken"
    code, lines = check()
    assert code == 2
    assert lines[:2] == [
        "portal: GitHub acme/portal",
        "  ✗ credentials: 401: the token was refused; check FOREWARN_GITHUB_TOKEN"]
    assert lines[2:] == JIRA_OK


def test_a_wrong_repository(trackers: tuple[FakeGitHub, FakeJira], check: Check) -> None:
    code, lines = check(repo="acme/portl")
    assert code == 2
    assert lines[:3] == [
        "portal: GitHub acme/portl",
        GITHUB_OK[1],
        "  ✗ repository: 404: repository acme/portl not found, or the token cannot see it "
        "(check repo and the token's access)"]
    assert lines[3:] == JIRA_OK


def test_a_missing_status_issue(trackers: tuple[FakeGitHub, FakeJira], check: Check) -> None:
    code, lines = check(gh_status=99)
    assert code == 2
    assert lines[3] == (
        "  ✗ status issue: 404: issue acme/portal#99 not found, or the token cannot see it "
        "(GET /repos/acme/portal/issues/99); create an issue for it, or fix status_issue")
    assert [line for line in lines if "✗" in line] == [lines[3]]


def test_two_projects_on_one_jira_project_under_two_host_names(
    trackers: tuple[FakeGitHub, FakeJira], check: Check, mock: responses.RequestsMock
) -> None:
    alias = FakeJira(trackers[1].projects, site="https://jira.acme.example", token=JIRA_TOKEN,
                     email=EMAIL,
                     boards={"BILL": (8, 9)})
    alias.base_url = trackers[1].site  # one site: it names itself the same
    alias.serve(mock)
    code, lines = check(
        more_trackers="  alias: {kind: jira, url: https://jira.acme.example, "
                      "email: forewarn@acme.example, deployment: cloud}\n",
        more_projects="  - {name: billing-versions, tracker: alias, jira_project: BILL, "
                      "status_issue: BILL-1}\n")
    assert code == 2
    assert [line for line in lines if "✗" in line] == lines[-2:-1] == [
        '  ✗ overlap: the same tracker project as project "billing"; make them one project: '
        "two remove each other's labels and rewrite each other's comments"]


def test_what_the_jira_account_may_not_do(
    trackers: tuple[FakeGitHub, FakeJira], check: Check
) -> None:
    _, jira = trackers
    jira.denied = {"EDIT_ISSUES"}
    jira.hidden_emails = {"client-ana"}
    code, lines = check()
    assert code == 2
    assert [line for line in lines if "✗" in line] == [
        "  ✗ permissions: not granted: Edit issues; grant them in the project's permission "
        "scheme (or a role that has them)",
        "  ✗ labels: labels are issue edits, and Edit issues is not granted; grant Edit issues "
        "to the account",
        "  ✗ e-mails: 1 of 3 people who can be assigned issues show no e-mail address: e-mail "
        "patterns cannot place them; list their account ids in clients or team",
    ]


def test_a_read_only_github_account(trackers: tuple[FakeGitHub, FakeJira], check: Check) -> None:
    github, _ = trackers
    github.role = "pull"
    github.scopes = None  # a fine-grained token
    code, lines = check()
    assert code == 2
    assert lines[1:5] == [
        "  ✓ credentials: token accepted: writes as forewarn-bot (a fine-grained token)",
        "  ✓ repository: acme/portal found (public); the account has Read access",
        GITHUB_OK[3],
        "  ✗ labels: Read access cannot label issues; grant Triage or Write"]


def test_a_cloud_site_under_its_own_domain_is_not_taken_for_server(
    trackers: tuple[FakeGitHub, FakeJira], check: Check, mock: responses.RequestsMock
) -> None:
    ops = FakeJira({"OPS": world(Clock(NOW), "Ops status")}, site="https://jira.acme.example",
                   token=JIRA_TOKEN, email=EMAIL)
    ops.serve(mock)
    code, lines = check(
        more_trackers="  ops: {kind: jira, url: https://jira.acme.example, "
                      "email: forewarn@acme.example}\n",
        more_projects="  - {name: ops, tracker: ops, jira_project: OPS, status_issue: OPS-1}\n")
    assert code == 2
    assert [line for line in lines if "✗" in line] == [
        "  ✗ deployment: the site is Jira Cloud, the config takes it for Server/Data Center; "
        "set deployment: cloud"]
