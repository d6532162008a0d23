"""Jira epics as milestones, promised by a custom date field and sized in story points.

BILL (``milestones: epic``, ``due_field: "Target end"``, ``estimate_field: "Story
Points"``) on the stateful fake Jira Cloud site (``tests/fakes/jira.py``), in the
default calendar (UTC), seen on Wednesday 2026-07-29 at 15:00:

* BILL-2 "Invoicing" is an epic created on 2026-07-01 that starts (its "Start
  date") on Monday 2026-07-20: its scope baseline is Tuesday 00:00 (start + 1 day
  of grace). Its Target end is 2026-08-14; its own Due date (2026-08-07) is not
  the promise.
* BILL-10..13 (5 points each, 20 in all) were its children from their creation
  on 2026-07-15.
* BILL-14 (13 points, or 1) was created on 2026-07-15 outside the epic and put
  in it (its parent set) on Thursday 2026-07-23: scope creep.

Run 1 labels BILL-14 and, with 13 points, reports the epic's growth on the status
issue: 13 points on 20 is 65% (1 issue in 4 would have been 25%); with 1 point,
5% is under the 10% threshold and only the issue's own alert is written. A
cycle with nothing new costs one search (the epics come from the memo). Then
the PM moves the Target end to 2026-08-28: run 3 reports a moved due date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import responses

from sync.app.cli import main
from tests.conftest import Clock
from tests.e2e.support import run_once
from tests.fakes.jira import FakeJira
from tests.fakes.jira_plans import START_DATE, STORY_POINTS, TARGET_END
from tests.fakes.world import World

SITE = "https://acme.atlassian.net"
EMAIL = "forewarn@acme.example"
TOKEN = "e2e-jira-epic-token-DO-NOT-LOG"
NOW = datetime(2026, 7, 29, 15, 0, tzinfo=UTC)
LATER = datetime(2026, 7, 30, 15, 0, tzinfo=UTC)
ALICE = "pm-alice"

CONFIG = """\
version: 1
state: sqlite:///{state}
trackers:
  acme: {{kind: jira, url: https://acme.atlassian.net, email: forewarn@acme.example,
          token: ${{JIRA_API_TOKEN}}}}
projects:
  - name: billing
    tracker: acme
    jira_project: BILL
    milestones: epic
    due_field: "Target end"
    estimate_field: "Story Points"
    status_issue: 1
    backfill: comment
rules:
  - {{id: scope, kind: scope_creep, threshold: 10%, label: scope-creep}}
  - {{id: slip, kind: schedule_slip, per_issue: false}}
"""


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 7, day, hour, tzinfo=UTC)


def build_site(clock: Clock, *, added_points: int) -> FakeJira:
    bill = World(clock=clock)
    bill.person(ALICE, name="Alice Martin", email="alice@acme.example")
    bill.issue(1, "Billing status", ALICE, created=at(1))
    bill.issue(2, "Invoicing", ALICE, created=at(1), due=date(2026, 8, 7))
    for number in range(10, 14):
        bill.issue(number, f"Planned {number}", ALICE, created=at(15))
    bill.issue(14, "Export invoices to PDF", ALICE, created=at(15))
    site = FakeJira({"BILL": bill}, site=SITE, email=EMAIL, token=TOKEN)
    site.make_epic(2, **{START_DATE: date(2026, 7, 20), TARGET_END: date(2026, 8, 14)})
    for number in range(10, 14):
        site.set_parent(number, 2, actor=ALICE)  # in the epic since its creation
        site.set_field(number, STORY_POINTS, 5, actor=ALICE)
    site.set_field(14, STORY_POINTS, added_points, actor=ALICE)
    site.set_parent(14, 2, actor=ALICE, at=at(23, 14))  # after the epic started
    return site


def status_comments(site: FakeJira) -> list[str]:
    return [str(comment["body"]) for comment in site.ours("BILL-1")]


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
@pytest.mark.parametrize(
    ("points", "growth"),
    [
        (13, "“Invoicing” has grown by 65% since its scope was agreed on Jul 21, 2026, 00:00 "
             "(UTC): 13 points of work (1 issue) added to the 20 points agreed."),
        (1, None),  # 1 point on 20: 5%, under the threshold
    ],
)
def test_an_issue_added_to_an_epic_after_it_started_is_scope_creep_weighed_in_points(
    configure: Callable[..., Path], capsys: pytest.CaptureFixture[str], points: int,
    growth: str | None,
) -> None:
    config = configure(CONFIG, token=("JIRA_API_TOKEN", TOKEN))
    clock = Clock(NOW)
    site = build_site(clock, added_points=points)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        site.serve(rsps)
        run_once(config, NOW, capsys, TOKEN)
        crept = [n for n in sorted(site.home.issues)
                 if "scope-creep" in site.label_names(f"BILL-{n}")]
        assert crept == [14]
        alert = " ".join(str(c["body"]) for c in site.ours("BILL-14"))
        assert f"It adds {points} point{'s' if points > 1 else ''} of work." in alert
        said = " ".join(status_comments(site))
        assert (growth in said) if growth else ("has grown" not in said)
        # The forecast counts the epic's open points too: 20 planned + the addition.
        assert f"That is {20 + points} points of work." in said
        # Nothing new: one search; the epics come from the memo, no listing at all.
        before = len(site.calls)
        run_once(config, NOW, capsys, TOKEN)
        assert [call.path for call in site.calls[before:]] == ["/rest/api/2/search/jql"]


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
def test_moving_the_target_end_later_is_a_moved_due_date(
    configure: Callable[..., Path], capsys: pytest.CaptureFixture[str],
) -> None:
    config = configure(CONFIG, token=("JIRA_API_TOKEN", TOKEN))
    clock = Clock(NOW)
    site = build_site(clock, added_points=13)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        site.serve(rsps)
        run_once(config, NOW, capsys, TOKEN)
        assert not any("moved from" in body for body in status_comments(site))
        clock.now = LATER
        site.set_field(2, TARGET_END, date(2026, 8, 28), actor=ALICE, at=at(30, 10))
        run_once(config, LATER, capsys, TOKEN)
        moved = [body for body in status_comments(site) if "moved from" in body]
        assert len(moved) == 1
        assert ("The due date of milestone “Invoicing” moved from Aug 14, 2026 to Aug 28, "
                "2026: 14 days later") in moved[0]


CONNECT = """\
version: 1
state: sqlite:///{state}
trackers:
  acme: {{kind: jira, url: https://acme.atlassian.net, email: forewarn@acme.example,
          token: ${{JIRA_API_TOKEN}}}}
projects:
  - {{name: billing, tracker: acme, jira_project: BILL, milestones: epic, status_issue: 1,
     due_field: "{due}", estimate_field: "{estimate}"}}
"""


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
@pytest.mark.parametrize(
    ("due", "estimate", "code", "lines"),
    [
        ("Target end", "story points", 0, [
            "  ✓ due_field: “Target end” is customfield_10042 (a date)",
            "  ✓ estimate_field: “story points” is customfield_10016 (a number)"]),
        ("Target End Date", "Summary", 2, [
            '  ✗ due_field: no field named "Target End Date" on this site; name a date field '
            "as Jira lists it (Settings › Issues › Custom fields), or its id",
            '  ✗ estimate_field: "Summary" (summary) holds a string, not a number; name a '
            "number field as Jira lists it (Settings › Issues › Custom fields), or its id"]),
    ],
)
def test_check_config_connect_checks_the_named_fields(
    configure: Callable[..., Path], capsys: pytest.CaptureFixture[str], due: str,
    estimate: str, code: int, lines: list[str],
) -> None:
    config = configure(CONNECT, token=("JIRA_API_TOKEN", TOKEN), due=due, estimate=estimate)
    site = build_site(Clock(NOW), added_points=1)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        site.serve(rsps)
        assert main(["check-config", "--connect", "-c", str(config)]) == code
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out
            if line[4:].startswith(("due_field:", "estimate_field:"))] == lines
    assert site.writes() == []
