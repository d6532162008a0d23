"""Automation accounts on a Jira Data Center project: known ones are bots, the rest are named.

The site is ``tests/fakes/jira.py`` in its Data Center mode: a personal access
token, the classic search, users with ``name`` and ``key`` and no
``accountType``, so nothing in a payload says an account is not a person. The
project's clients are told by e-mail (``*@client.example``); everyone else is
the team. Seen on Wednesday 2026-07-29 at 15:00 UTC, default calendar, 16-hour
SLA:

* BILL-2 to BILL-5: a client asked on Monday; five seconds later "Automation for
  Jira" (user ``automation``, the default rule actor) commented "This issue has
  been labelled for triage automatically." Nobody else answered.
* BILL-6 to BILL-8: a client asked on Monday; "CI Runner" (user ``ci-runner``, a
  CI job posting through an ordinary account) commented "CI passed on all
  platforms". Nobody else answered. It says the same on seven team issues
  (BILL-10 to BILL-16).
* BILL-9: a client asked and Alice answered.

Seven clients wait for a reply. "Automation for Jira" is a bot by default, so
its four are found without any ``bots:`` line; ``ci-runner`` is not known, so
its three are hidden until the admin lists it, and forewarn says so: in
``check-config --connect`` (before any cycle: from the issues of the last 30
days; after one: from the cached snapshot, with no search) and in the first
cycle's output, with the count and the line to add. With that line, or with
``bots: {group: ci-accounts}``, all seven are found.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.app.cli import main
from tests.conftest import Clock
from tests.e2e.support import run_once
from tests.fakes.jira import FakeJira
from tests.fakes.world import ME, World

SITE = "https://jira.acme.example"
TOKEN = "e2e-jira-dc-bots-token-DO-NOT-LOG"
T1 = datetime(2026, 7, 29, 15, 0, tzinfo=UTC)  # a Wednesday
ALICE, AUTOMATION, CI = "pm-alice", "automation", "ci-runner"
CLIENTS = ["ana", "caio", "dora", "eli", "fay", "gus", "hal"]
CONFIG = """\
version: 1
state: sqlite:///{state}
trackers:
  acme: {{kind: jira, url: https://jira.acme.example, token: ${{JIRA_API_TOKEN}}}}
projects:
  - {{name: billing, tracker: acme, jira_project: BILL, clients: ["*@client.example"],
     status_issue: BILL-1{bots}}}
rules:
  - {{id: feedback, kind: unanswered_feedback, sla: 16h, label: awaiting-reply}}
"""
WAITING = [f"BILL-{n}" for n in range(2, 9)]
CI_LINE = ("  ✗ bots: ci-runner (“CI Runner”) looks automated (its name, the same text in 10 of "
           "10 comments); it answers 3 waiting clients as if it were the team ({where}); if it "
           "is a bot, write in the project: bots: [ci-runner]; if a person, name it in team")
WARNING = """\
billing: 1 account looks automated but counts as a person; forewarn changed nothing:
  ci-runner (“CI Runner”) looks automated (its name, the same text in 10 of 10 comments); \
it answers 3 waiting clients as if it were the team
If it is a bot, write in project billing: bots: [ci-runner]; if it is a person, name it in \
team or clients."""


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 7, day, hour, minute, second, tzinfo=UTC)


def build_site(clock: Clock) -> FakeJira:
    bill = World(clock=clock)
    bill.person(ALICE, name="Alice Martin", email="alice@acme.example")
    bill.person(AUTOMATION, name="Automation for Jira", email="automation@acme.example")
    bill.person(CI, name="CI Runner", email="ci@acme.example")
    bill.person(ME, name="forewarn", email="forewarn@acme.example")
    for client in CLIENTS:
        bill.person(client, email=f"{client}@client.example")
    bill.groups = {"ci-accounts": [CI]}
    bill.issue(1, "Billing status", ALICE, created=at(1, 9))
    for number, client in enumerate(CLIENTS, start=2):
        asked = at(27, 9, number)
        bill.issue(number, f"Question {number} from {client}", client, created=asked)
        if number <= 5:
            bill.say(number, AUTOMATION, "This issue has been labelled for triage automatically.",
                     at=asked + timedelta(seconds=5))
        else:
            bill.say(number, CI, "CI passed on all platforms", at=asked + timedelta(minutes=40))
    bill.issue(9, "Answered question", "ana", created=at(27, 11))
    bill.say(9, ALICE, "Done: please try again.", at=at(27, 12))
    for number in range(10, 17):
        bill.issue(number, f"Team task {number}", ALICE, created=at(20, 9))
        bill.say(number, CI, "CI passed on all platforms", at=at(22, 10, number))
    return FakeJira({"BILL": bill}, site=SITE, token=TOKEN, deployment="server")


Site = Callable[[str], tuple[Path, FakeJira]]


@pytest.fixture
def site(served_tracker: Callable[..., tuple[Path, FakeJira]]) -> Site:
    """``site(bots)``: the config (``bots`` appended to the project) and the served site."""
    return lambda bots: served_tracker(CONFIG, token=("JIRA_API_TOKEN", TOKEN),
                                       build=lambda: build_site(Clock(T1)), bots=bots)


def check_connect(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["check-config", "--connect", "-c", str(config), "--now", T1.isoformat()])
    out, err = capsys.readouterr()
    assert err == "" and TOKEN not in out
    return code, out.splitlines()


def labelled(site: FakeJira) -> list[str]:
    return [f"BILL-{n}" for n in range(2, 17)
            if "awaiting-reply" in site.label_names(f"BILL-{n}")]


pytestmark = pytest.mark.usefixtures("clean_env", "quiet_connectors")


def test_without_bots_the_automation_user_is_a_bot_and_ci_runner_is_named(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    config, served = site("")
    code, lines = check_connect(config, capsys)
    assert code == 2
    assert [line for line in lines if "bots:" in line] == [
        CI_LINE.format(where="on the issues updated in the last 30 days")]
    assert served.writes() == []
    assert not (config.parent / "state.db").exists()  # a check creates no state database
    # Data Center's classic search, with the personal access token; people by user name.
    assert "/rest/api/2/search" in [call.path for call in served.calls]

    out = run_once(config, T1, capsys, TOKEN)
    assert WARNING in out
    assert labelled(served) == WAITING[:4]  # Automation for Jira's four; ci-runner hides three

    # After a cycle, the check reads the cached snapshot: no search, the same count.
    mark = len(served.calls)
    code, lines = check_connect(config, capsys)
    assert [line for line in lines if "bots:" in line] == [
        CI_LINE.format(where="in the last cycle's snapshot")]
    assert not [call for call in served.calls[mark:] if call.path.startswith("/rest/api/2/search")]

    # Said once: the second cycle is not the project's first.
    assert "looks automated" not in run_once(config, T1 + timedelta(minutes=15), capsys, TOKEN)


@pytest.mark.parametrize("bots", [", bots: [ci-runner]", ", bots: {group: ci-accounts}"])
def test_with_the_suggested_line_every_waiting_client_is_found(
    site: Site, capsys: pytest.CaptureFixture[str], bots: str
) -> None:
    config, served = site(bots)
    code, lines = check_connect(config, capsys)
    assert code == 0
    assert lines[-1] == ("  ✓ bots: no account that comments looks automated (16 issues, 15 "
                         "comments on the issues updated in the last 30 days)")
    out = run_once(config, T1, capsys, TOKEN)
    assert "looks automated" not in out
    assert labelled(served) == WAITING
