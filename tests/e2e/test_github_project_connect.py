"""``forewarn check-config --connect`` on GitHub plans: the Project and each field it names,
the plan's repositories; one ✓/✗ line each with what to do, no write, exit 2 on any ✗.

The fake (tests/fakes/github_project.py) serves acme/web and acme/api and acme's
Project 5, whose fields are Status, Release, Estimate, Target date and Sprint.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import responses

from sync.app.cli import main
from tests.conftest import Clock
from tests.fakes.github import FakeGitHub
from tests.fakes.github_project import FakeGitHubHost, FakeIteration, FakeProject
from tests.fakes.world import World

NOW = datetime(2026, 7, 29, 15, 0, tzinfo=UTC)
TOKEN = "ghp_connectPr0jectT0ken0123456789abcdef"
CONFIG = """\
version: 1
state: sqlite:///{state}
trackers:
  gh: {{kind: github}}
projects:
  - name: portal
    tracker: gh
    github_project: {project}
    status_issue: acme/web#1
  - {{name: suite, tracker: gh, repos: [acme/web, acme/api], status_issue: 1}}
"""


def host(clock: Clock) -> FakeGitHubHost:
    repos = []
    for index, name in enumerate(("acme/web", "acme/api")):
        world = World(clock=clock)
        world.person("pm-alice", association="OWNER")
        world.issue(1, f"Status of {name}", "pm-alice", created=datetime(2026, 7, 1, tzinfo=UTC))
        repos.append(FakeGitHub(world, name, repo_id=5_000_000 + index))
    project = FakeProject("acme", 5, created=NOW, iterations=[
        FakeIteration("it1", "Sprint 1", date(2026, 7, 27))], releases=[("r1", "2.0")])
    return FakeGitHubHost(*repos, projects=[project])


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
@pytest.mark.parametrize(("project", "code", "lines"), [
    ('{owner: acme, number: 5, iteration: Sprint, due: "Target date", estimate: Estimate}', 0, [
        "  ✓ project: Project acme/5 found (an organisation's), 5 fields",
        "  ✓ field iteration: Sprint (iteration): 1 iteration",
        "  ✓ field due: Target date (date)",
        "  ✓ field estimate: Estimate (number)",
    ]),
    ("{owner: acme, number: 5, group: Sprint, estimate: Points}", 2, [
        "  ✓ project: Project acme/5 found (an organisation's), 5 fields",
        "  ✗ field group: 'Sprint' is an iteration field: group names a single_select field; "
        "write github_project.group: Status or Release",
        "  ✗ field estimate: 'Points' not found: estimate names a number field; write "
        "github_project.estimate: Estimate",
    ]),
    ("{owner: acme, number: 9, iteration: Sprint}", 2, [
        "  ✗ project: Project acme/9 not found: no organisation or user acme has a Project "
        "number 9 this account can see; check github_project's owner and number, and that the "
        "token may read Projects (classic: read:project; fine-grained: Projects: read)",
    ]),
])
def test_the_project_and_its_fields(
    configure: Callable[..., Path], capsys: pytest.CaptureFixture[str], project: str,
    code: int, lines: list[str],
) -> None:
    config = configure(CONFIG, token=("FOREWARN_GITHUB_TOKEN", TOKEN), project=project)
    fake = host(Clock(NOW))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.serve(rsps)
        assert main(["check-config", "--connect", "-c", str(config)]) == code
    out = capsys.readouterr().out.splitlines()
    assert fake.writes() == []
    number = project.split("number: ")[1].split(",")[0]
    portal = out[out.index(f"portal: GitHub Project acme/{number}") + 1:
                 out.index("suite: GitHub acme/web, acme/api")]
    at = next(n for n, line in enumerate(portal) if line.startswith("  ✓ status issue"))
    assert portal[1:at] == lines  # after the credentials; before the status issue
    assert portal[at].startswith("  ✓ status issue: acme/web#1 found (open)")
    suite = out[out.index("suite: GitHub acme/web, acme/api") + 1:]
    assert [line.split(":")[0] for line in suite] == [
        "  ✓ credentials", "  ✓ repository", "  ✓ repository", "  ✓ status issue",
        "  ✓ labels", "  ✓ rate limit", "  ✓ bots"]
    assert suite[1:3] == ["  ✓ repository: acme/web found (public); the account has Write "
                          "access", "  ✓ repository: acme/api found (public); the account has "
                          "Write access"]
