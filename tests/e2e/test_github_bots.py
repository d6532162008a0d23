"""A bot that posts with a personal token on GitHub: a plain ``User`` login without ``[bot]``.

GitHub marks apps (``type: Bot``, logins ending in ``[bot]``), but a deployment
script that comments with a collaborator's personal token is a ``User`` with
``author_association: COLLABORATOR``: with ``clients: external`` it is the team,
and its comments answer clients. Seen on Wednesday 2026-07-29 at 15:00 UTC in
the default calendar, with a 16-hour SLA:

* #2 to #4: a client asked on Monday; three seconds later ``acme-deployer``
  commented "Deployed to staging: build 45NN". Nobody else answered.
* #5: a client asked, Alice answered.
* #6 to #12: Alice's issues, on each of which ``acme-deployer`` said the same
  three seconds after she opened it.

Its login says nothing, but its comments are one text, each seconds after
someone else's event: ``check-config --connect`` and the first cycle name it,
with the three clients it answers; with ``bots: [acme-deployer]`` all three wait.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.app.cli import main
from tests.conftest import Clock
from tests.e2e.support import run_once
from tests.fakes.github import FakeGitHub
from tests.fakes.world import World

TOKEN = "ghp_E2eB0tsT0ken0123456789abcdefXYZ"
T1 = datetime(2026, 7, 29, 15, 0, tzinfo=UTC)  # a Wednesday
DEPLOYER = "acme-deployer"
CONFIG = """\
version: 1
state: sqlite:///{state}
trackers:
  gh: {{kind: github}}
projects:
  - {{name: portal, tracker: gh, repo: acme/portal, clients: external, status_issue: 1{bots}}}
rules:
  - {{id: feedback, kind: unanswered_feedback, sla: 16h, label: awaiting-reply}}
"""
REASONS = ("the same text in 10 of 10 comments, 10 of 10 comments within 10 s of another "
           "person's event on the issue")


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 7, day, hour, minute, second, tzinfo=UTC)


def build_repository(clock: Clock) -> FakeGitHub:
    world = World(clock=clock)
    world.person("alice", association="OWNER")
    world.person(DEPLOYER, association="COLLABORATOR")  # a personal token: type User
    for client in ("cathy", "dan", "erin", "fred"):
        world.person(client, association="NONE")
    world.issue(1, "Portal status", "alice", created=at(1, 9))
    for number, client in zip(range(2, 5), ("cathy", "dan", "erin"), strict=True):
        asked = at(27, 9, number)
        world.issue(number, f"Question from {client}", client, created=asked)
        world.say(number, DEPLOYER, f"Deployed to staging: build {4500 + number}",
                  at=asked + timedelta(seconds=3))
    world.issue(5, "Answered question", "fred", created=at(27, 10))
    world.say(5, "alice", "Fixed: please try again.", at=at(27, 11))
    for number in range(6, 13):
        opened = at(22, 10, number)
        world.issue(number, f"Task {number}", "alice", created=opened)
        world.say(number, DEPLOYER, f"Deployed to staging: build {4500 + number}",
                  at=opened + timedelta(seconds=3))
    repository = FakeGitHub(world)
    repository.token = TOKEN
    return repository


Served = Callable[[str], tuple[Path, FakeGitHub]]


@pytest.fixture
def served(served_tracker: Callable[..., tuple[Path, FakeGitHub]]) -> Served:
    """``served(bots)``: the config (``bots`` appended to the project) and the repository."""
    return lambda bots: served_tracker(CONFIG, token=("FOREWARN_GITHUB_TOKEN", TOKEN),
                                       build=lambda: build_repository(Clock(T1)), bots=bots)


def labelled(repository: FakeGitHub) -> list[int]:
    return [n for n, issue in repository.world.issues.items() if "awaiting-reply" in issue.labels]


pytestmark = pytest.mark.usefixtures("clean_env", "quiet_connectors")


def test_a_token_bot_is_named_with_the_clients_it_answers(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    config, repository = served("")
    code = main(["check-config", "--connect", "-c", str(config), "--now", T1.isoformat()])
    out, _ = capsys.readouterr()
    assert code == 2
    assert out.splitlines()[-1] == (
        f"  ✗ bots: acme-deployer looks automated ({REASONS}); it answers 3 waiting clients as "
        "if it were the team (on the issues updated in the last 30 days); if it is a bot, write "
        "in the project: bots: [acme-deployer]; if a person, name it in team")
    assert repository.writes() == []

    out = run_once(config, T1, capsys, TOKEN)
    assert (
        "portal: 1 account looks automated but counts as a person; forewarn changed nothing:\n"
        f"  acme-deployer looks automated ({REASONS}); it answers 3 waiting clients as if it "
        "were the team\n"
        "If it is a bot, write in project portal: bots: [acme-deployer]; if it is a person, name "
        "it in team or clients.") in out
    assert labelled(repository) == []


@pytest.mark.parametrize(
    ("bots", "waiting"),
    [
        (", bots: [acme-deployer]", [2, 3, 4]),
        # Named by login in team: the admin says it is a person; forewarn stops asking.
        (", team: [alice, acme-deployer]", []),
    ],
)
def test_the_admin_decides(served: Served, capsys: pytest.CaptureFixture[str], bots: str,
                           waiting: list[int]) -> None:
    config, repository = served(bots)
    code = main(["check-config", "--connect", "-c", str(config), "--now", T1.isoformat()])
    out, _ = capsys.readouterr()
    assert code == 0
    assert out.splitlines()[-1].startswith("  ✓ bots: no account that comments looks automated")
    assert "looks automated" not in run_once(config, T1, capsys, TOKEN)
    assert labelled(repository) == waiting
