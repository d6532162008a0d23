"""A Jira project with two Scrum boards: forewarn watches the sprints of both by default,
or the boards listed (``boards: [8]``; ``board: 8`` is the same).

BILL has board 8 (sprint 41) and board 9 (sprint 51), both started on Monday
2026-07-20 at 12:00; on Thursday an issue joined each sprint after its baseline.
Before, forewarn read one board ("using 8; set board_id to choose") and missed every
sprint of the other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import responses

from tests.conftest import Clock
from tests.e2e.support import run_once
from tests.fakes.jira import FakeJira
from tests.fakes.world import World

SITE = "https://acme.atlassian.net"
EMAIL = "forewarn@acme.example"
TOKEN = "e2e-jira-boards-token-DO-NOT-LOG"
NOW = datetime(2026, 7, 29, 15, 0, tzinfo=UTC)
ALICE = "pm-alice"

CONFIG = """\
version: 1
state: sqlite:///{state}
trackers:
  acme: {{kind: jira, url: https://acme.atlassian.net, email: forewarn@acme.example,
          token: ${{JIRA_API_TOKEN}}}}
projects:
  - {{name: billing, tracker: acme, jira_project: BILL, milestones: sprint, status_issue: 1{extra}}}
rules:
  - {{id: scope, kind: scope_creep, threshold: 10%, label: scope-creep}}
"""


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 7, day, hour, tzinfo=UTC)


def build_site(clock: Clock) -> FakeJira:
    bill = World(clock=clock)
    bill.person(ALICE, name="Alice Martin", email="alice@acme.example")
    bill.issue(1, "Billing status", ALICE, created=at(1, 9))
    for board, sprint, first in ((8, 41, 10), (9, 51, 20)):
        bill.milestone(sprint, f"Sprint {sprint}", kind="sprint", created=at(20, 12),
                       start=at(20, 12), due=date(2026, 8, 3), board=board)
        for number in range(first, first + 3):
            bill.issue(number, f"Planned {number}", ALICE, created=at(15, 9), milestone=sprint)
        bill.issue(first + 3, f"Added late {first + 3}", ALICE, created=at(15, 9))
        bill.join(first + 3, sprint, at=at(23, 14), actor=ALICE)
    return FakeJira({"BILL": bill}, site=SITE, email=EMAIL, token=TOKEN, boards={"BILL": (8, 9)})


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
@pytest.mark.parametrize(
    ("extra", "crept", "sprint_lists"),
    [
        ("", ["BILL-13", "BILL-23"], {8: 1, 9: 1}),
        (", boards: [8, 9]", ["BILL-13", "BILL-23"], {8: 1, 9: 1}),
        (", boards: [9]", ["BILL-23"], {9: 1}),
        (", board: 8", ["BILL-13"], {8: 1}),
    ],
)
def test_the_sprints_of_every_board_are_watched(
    configure: Callable[..., Path], capsys: pytest.CaptureFixture[str], extra: str,
    crept: list[str], sprint_lists: dict[int, int],
) -> None:
    config = configure(CONFIG, token=("JIRA_API_TOKEN", TOKEN), extra=extra)
    site = build_site(Clock(NOW))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        site.serve(rsps)
        run_once(config, NOW, capsys, TOKEN)
        labelled = [f"BILL-{n}" for n in sorted(site.home.issues)
                    if "scope-creep" in site.label_names(f"BILL-{n}")]
        assert labelled == crept
        reads = Counter(c.path for c in site.calls if not c.is_write)
        assert {board: reads[f"/rest/agile/1.0/board/{board}/sprint"]
                for board in (8, 9) if reads[f"/rest/agile/1.0/board/{board}/sprint"]
                } == sprint_lists
        assert reads["/rest/agile/1.0/board"] == (0 if "board" in extra else 1)
        # The next cycle: one search, one sprint list per board, the boards remembered.
        before = len(site.calls)
        run_once(config, NOW, capsys, TOKEN)
        assert len(site.calls) - before == 1 + len(sprint_lists)
