"""``forewarn run --once`` against a mocked Jira Cloud site, from the first sync to the reply.

The site (two Worlds served by ``tests/fakes/jira.py``) is stateful: what
forewarn writes is what the next cycle reads. Two Jira projects, one config, one command, in the
default calendar (UTC, Monday to Friday, 09:00-18:00), seen on Wednesday
2026-07-29 at 15:00:

* **BILL** (``milestones: sprint``): sprint 41 of board 8 started on Monday
  2026-07-20 12:00, so its scope baseline is Tuesday 12:00. BILL-2 joined it
  at 12:05 (changelog), BILL-3 was created in it at 12:10; BILL-4 joined on
  Thursday 2026-07-23 (changelog): creep, 1 added to a baseline of 2. On BILL-5
  a client (an e-mail matching ``*@client.example``) asked on Monday 10:00:
  23 business hours ago, past the 16 h SLA.
* **REL** (``milestones: version``): version 2.4.0 was due on 2026-07-24 and
  REL-2 is still open (overdue); REL-3 was due on 2026-07-27 (its own
  ``duedate``) and is still open.

Run 1 writes the alerts (wiki markup, ``{anchor:forewarn-…}`` markers) and
labels (``update`` verbs); run 2 writes nothing. Then the PM moves 2.4.0's
release date to 2026-07-27 (it slipped again) and a team member answers the
client: run 3 posts "moved", edits the overdue alert, marks the question
answered and takes its label off. Runs 4 and 5 write nothing. Then REL-2 and
REL-3 are done: run 6 resolves both overdue alerts and takes REL-3's label
off (the status categories come from the memo), and run 7 writes nothing.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import responses

from rules.base import make_fingerprint
from sync import escape
from tests.conftest import Clock
from tests.e2e.support import run_once
from tests.fakes.http import Call
from tests.fakes.jira import FakeJira
from tests.fakes.world import DONE, IN_PROGRESS, ME, World

SITE = "https://acme.atlassian.net"
EMAIL = "forewarn@acme.example"
TOKEN = "e2e-jira-api-token-DO-NOT-LOG"
T1 = datetime(2026, 7, 29, 15, 0, tzinfo=UTC)  # a Wednesday
PM = "712020:pm-alice"
#: The people, by the ids their worlds know them by (FakeJira.account gives ``712020:<id>``).
ALICE, BRUNO, ANA = "pm-alice", "dev-bruno", "client-ana"
CREEP_TITLE = "Add {color:red}PayPal{color} payments [~accountid:557058:evil] *now*"
MENTION = re.compile(r"\[~accountid:([^\]]+)\]")
#: Tracker text in an alert is escaped (sync/escape.py): expected values are written raw.
wiki = escape.wiki

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
    milestones: sprint
    clients: ["*@client.example"]
    status_issue: BILL-1
    backfill: comment
    notify: ["{pm}"]
  - name: releases
    tracker: acme
    jira_project: REL
    milestones: version
    clients: ["*@client.example"]
    status_issue: 1
    backfill: comment
    notify: ["{pm}"]
rules:
  - {{id: scope, kind: scope_creep, threshold: 10%, label: scope-creep, projects: [billing]}}
  - {{id: slip, kind: schedule_slip, label: schedule-risk, projects: [releases]}}
  - {{id: feedback, kind: unanswered_feedback, sla: 16h, label: awaiting-reply}}
"""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 7, day, hour, minute, tzinfo=UTC)


def build_site(clock: Clock) -> FakeJira:
    bill, rel = World(clock=clock), World(clock=clock)
    for world in (bill, rel):
        world.person(ALICE, name="Alice Martin", email="alice@acme.example")
        world.person(BRUNO, name="Bruno Costa", email="bruno@acme.example")
        world.person(ANA, name="Ana Client", email="ana@client.example")
        world.person(ME, name="forewarn", email=EMAIL)
    # BILL: sprints of board 8.
    bill.milestone(40, "BILL Sprint 13", kind="sprint", state="closed", created=at(6, 12),
                   start=at(6, 12), due=date(2026, 7, 20), closed=at(20, 11))
    bill.milestone(41, "BILL Sprint 14", kind="sprint", created=at(20, 12), start=at(20, 12),
                   due=date(2026, 8, 3))
    bill.issue(1, "Billing status", ALICE, created=at(1, 9))
    bill.issue(4, CREEP_TITLE, ALICE, created=at(10, 9))
    bill.issue(2, "Invoice PDF layout", ALICE, created=at(15, 9))
    bill.join(2, 41, at=at(20, 12, 5), actor=ALICE)
    bill.issue(3, "Tax rounding for EU", ALICE, created=at(20, 12, 10), milestone=41)
    bill.join(4, 41, at=at(23, 14), actor=ALICE)
    bill.issue(5, "Export fails for March", ALICE, created=at(24, 9), assignees=(BRUNO,),
               status=IN_PROGRESS)
    bill.say(5, ANA, "The March export is still empty, any news?", at=at(27, 10))
    # REL: fix versions.
    rel.milestone(10100, "2.4.0", kind="version", created=at(1, 9), due=date(2026, 7, 24))
    rel.milestone(10101, "2.5.0", kind="version", created=at(1, 9), due=date(2026, 9, 30))
    rel.issue(1, "Release status", ALICE, created=at(1, 9))
    rel.issue(2, "Release notes for 2.4.0", ALICE, created=at(2, 9), status=IN_PROGRESS,
              milestone=10100)
    rel.issue(4, "Changelog for 2.4.0", ALICE, created=at(2, 10), status=DONE,
              closed=at(22, 12), milestone=10100)
    rel.issue(3, "Migrate the billing database", ALICE, created=at(5, 9), assignees=(BRUNO,),
              due=date(2026, 7, 27))
    return FakeJira({"BILL": bill, "REL": rel}, site=SITE, email=EMAIL, token=TOKEN,
                    boards={"BILL": 8})


def anchor(rule: str, cause: str, subject: str, extra: str = "", level: str = "warning") -> str:
    return "{anchor:forewarn-" + make_fingerprint(rule, cause, subject, extra) + f"@{level}}}"


def bodies(site: FakeJira, key: str) -> list[str]:
    return [str(c["body"]) for c in site.ours(key)]


def shape(calls: list[Call]) -> Counter[tuple[str, str]]:
    return Counter((call.method, call.path) for call in calls)


def label_update(verb: str, name: str) -> dict[str, object]:
    return {"update": {"labels": [{verb: name}]}}


@pytest.fixture
def acme(configure: Callable[..., Path]) -> tuple[Path, Clock, FakeJira]:
    """forewarn's config (the token in the environment), the clock and the site."""
    clock = Clock(T1)
    config = configure(CONFIG, token=("JIRA_API_TOKEN", TOKEN), pm=PM)
    return config, clock, build_site(clock)


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
def test_run_once_writes_alerts_then_nothing_then_follows_changes(
    acme: tuple[Path, Clock, FakeJira],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    config, clock, site = acme
    caplog.set_level(logging.DEBUG)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        site.serve(rsps)

        # -- run 1 ---------------------------------------------------------------------------
        out = run_once(config, T1, capsys, TOKEN)
        assert all(call.status < 400 for call in site.calls), [str(c) for c in site.calls]
        reads = shape([c for c in site.calls if not c.is_write])
        # Learnt once per project (deployment, fields, account, board), then one search
        # and one milestone listing each.
        assert reads == Counter({
            ("GET", "/rest/api/2/serverInfo"): 2,
            ("GET", "/rest/api/2/field"): 2,
            ("GET", "/rest/api/2/myself"): 2,
            ("GET", "/rest/api/2/search/jql"): 2,
            ("GET", "/rest/agile/1.0/board"): 1,
            ("GET", "/rest/agile/1.0/board/8/sprint"): 1,
            ("GET", "/rest/api/2/project/REL/versions"): 1,
        })  # fmt: skip
        search = next(c for c in site.calls if c.path.endswith("/search/jql"))
        assert search.query["jql"] == 'project = "BILL" ORDER BY updated ASC'
        assert search.query["expand"] == "changelog"
        assert "customfield_10020" in search.query["fields"].split(",")
        writes = [(c.method, c.path, c.body) for c in site.writes() if c.method == "PUT"]
        assert sorted(writes, key=str) == sorted([
            ("PUT", "/rest/api/2/issue/BILL-4", label_update("add", "scope-creep")),
            ("PUT", "/rest/api/2/issue/BILL-5", label_update("add", "awaiting-reply")),
            ("PUT", "/rest/api/2/issue/REL-3", label_update("add", "schedule-risk")),
        ], key=str)  # fmt: skip
        posts = Counter(c.path for c in site.writes() if c.method == "POST")
        assert posts == Counter({
            "/rest/api/2/issue/BILL-1/comment": 1,
            "/rest/api/2/issue/BILL-4/comment": 1,
            "/rest/api/2/issue/BILL-5/comment": 1,
            "/rest/api/2/issue/REL-1/comment": 1,
            "/rest/api/2/issue/REL-3/comment": 1,
        })  # fmt: skip
        assert out.count("0 writes planned") == 0
        assert site.label_names("BILL-4") == ["scope-creep"]
        assert site.label_names("BILL-5") == ["awaiting-reply"]
        assert site.label_names("REL-3") == ["schedule-risk"]
        for key in ("BILL-1", "BILL-2", "BILL-3", "REL-1", "REL-2", "REL-4"):
            assert site.label_names(key) == [], key

        # Comments: wiki markup, the anchor marker first, titles escaped, in the client's
        # voice (public comments): no mention, no instruction.
        (creep,) = bodies(site, "BILL-4")
        assert creep.startswith(anchor("scope", "added", "BILL-4", "sprint:41") + "\n“")
        assert wiki(CREEP_TITLE) in creep
        assert "{color:red}" not in creep and "*now*" not in creep
        assert "was added to milestone “BILL Sprint 14” on Jul 23, 2026, 14:00 (UTC), after the " \
               "milestone's scope was agreed on Jul 21, 2026, 12:00 (UTC)" in creep  # fmt: skip
        (growth,) = bodies(site, "BILL-1")
        assert growth.startswith(anchor("scope", "growth", "sprint:41"))
        assert "has grown by 50% since its scope was agreed on Jul 21, 2026, 12:00 (UTC): 1 " \
               "issue added to the 2 issues agreed.\n" in growth  # fmt: skip
        (waiting,) = bodies(site, "BILL-5")
        asked = site.comments_on("BILL-5")[0]["id"]
        assert waiting.startswith(
            anchor("feedback", "awaiting_reply", "BILL-5", asked, level="critical")
        )
        assert "The question asked on Jul 27, 2026, 10:00 (UTC) about “Export fails for March” " \
               "is still waiting for a reply from the team." in waiting  # fmt: skip
        assert "Bruno Costa" not in waiting and "Ana Client" not in waiting
        (version_overdue,) = bodies(site, "REL-1")
        assert version_overdue.startswith(
            anchor("slip", "schedule", "version:10100", level="critical")
        )
        assert "Milestone “2.4.0” is 5 days overdue: it was due on Jul 24, 2026, with 1 open " \
               "issue left." in version_overdue  # fmt: skip
        (issue_overdue,) = bodies(site, "REL-3")
        assert issue_overdue.startswith(
            anchor("slip", "issue_overdue", "REL-3", level="critical")
        )
        assert "“Migrate the billing database” was due on Jul 27, 2026 and is still open: 2 " \
               "days overdue." in issue_overdue  # fmt: skip
        for text in (creep, growth, waiting, version_overdue, issue_overdue):
            assert MENTION.findall(text) == [], text
            assert "<!--" not in text and "**" not in text  # wiki markup, not Markdown
            assert "The team has been alerted" in text and "_Add the label" not in text

        # -- run 2: nothing new outside, nothing written ------------------------------------
        clock.now = T1 + timedelta(minutes=5)
        mark = len(site.calls)
        run_once(config, clock.now, capsys, TOKEN)
        assert site.writes(mark) == []
        second = site.calls[mark:]
        # Per project: one search (forewarn's own writes moved some issues) and one listing.
        assert [c.path for c in second] == [
            "/rest/api/2/search/jql",
            "/rest/agile/1.0/board/8/sprint",
            "/rest/api/2/search/jql",
            "/rest/api/2/project/REL/versions",
        ]
        # The cursor (BILL-5's update, Monday 10:00 UTC) back one minute, in the account's
        # time zone (America/Sao_Paulo, UTC-3), as JQL reads it.
        assert second[0].query["jql"] == (
            'project = "BILL" AND updated >= "2026/07/27 06:59" ORDER BY updated ASC'
        )

        # -- the release slips again; a team member answers the client ---------------------
        clock.now = T1 + timedelta(minutes=10)
        site.projects["REL"].move_due(10100, date(2026, 7, 27))
        clock.now = T1 + timedelta(minutes=20)
        site.projects["BILL"].say(5, BRUNO, "Fixed in 2.4.1, please try again.", at=clock.now)

        # -- run 3 ---------------------------------------------------------------------------
        clock.now = T1 + timedelta(minutes=30)
        mark = len(site.calls)
        run_once(config, clock.now, capsys, TOKEN)
        waiting_id = site.ours("BILL-5")[0]["id"]
        overdue_id = site.ours("REL-1")[0]["id"]
        third = [(c.method, c.path) for c in site.writes(mark)]
        assert sorted(third) == sorted([
            ("PUT", f"/rest/api/2/issue/BILL-5/comment/{waiting_id}"),
            ("PUT", "/rest/api/2/issue/BILL-5"),
            ("POST", "/rest/api/2/issue/REL-1/comment"),
            ("PUT", f"/rest/api/2/issue/REL-1/comment/{overdue_id}"),
        ])  # fmt: skip
        removal = next(c for c in site.writes(mark) if c.path == "/rest/api/2/issue/BILL-5")
        assert removal.body == label_update("remove", "awaiting-reply")
        assert site.label_names("BILL-5") == []
        (resolved,) = bodies(site, "BILL-5")
        assert resolved.startswith(
            anchor("feedback", "awaiting_reply", "BILL-5", asked, level="critical")
        )
        assert "(/) *Resolved:* Answered on Jul 29, 2026, 15:20 (UTC)." in resolved
        assert "-The question asked on" in resolved
        assert MENTION.findall(resolved) == []
        overdue_now, moved = bodies(site, "REL-1")
        assert "is 2 days overdue: it was due on Jul 27, 2026, with 1 open issue left." \
            in overdue_now  # fmt: skip
        assert moved.startswith(anchor("slip", "moved", "version:10100"))
        assert "The due date of milestone “2.4.0” moved from Jul 24, 2026 to Jul 27, 2026: 3 " \
               "days later, after 1 change." in moved  # fmt: skip
        assert MENTION.findall(moved) == []

        # -- runs 4 and 5: nothing to write -----------------------------------------------------
        for minutes in (35, 40):
            clock.now = T1 + timedelta(minutes=minutes)
            mark = len(site.calls)
            run_once(config, clock.now, capsys, TOKEN)
            assert site.writes(mark) == []
            assert len(site.calls) - mark == 4  # a search and a listing per project

        # -- the team finishes REL-2 and REL-3 (In Progress -> Done, To Do -> Done) -----------
        clock.now = T1 + timedelta(minutes=45)
        for number in (2, 3):
            site.projects["REL"].set_status(number, DONE, actor=ALICE, at=clock.now)

        # -- run 6: both overdue alerts are resolved, REL-3's label comes off ----------------
        clock.now = T1 + timedelta(minutes=50)
        mark = len(site.calls)
        run_once(config, clock.now, capsys, TOKEN)
        # The status categories learnt in run 1 come from the memo: no GET /status.
        assert [c.path for c in site.calls[mark:] if not c.is_write] == [
            "/rest/api/2/search/jql",
            "/rest/agile/1.0/board/8/sprint",
            "/rest/api/2/search/jql",
            "/rest/api/2/project/REL/versions",
        ]
        assert sorted((c.method, c.path) for c in site.writes(mark)) == sorted([
            ("PUT", f"/rest/api/2/issue/REL-1/comment/{overdue_id}"),
            ("PUT", f"/rest/api/2/issue/REL-3/comment/{site.ours('REL-3')[0]['id']}"),
            ("PUT", "/rest/api/2/issue/REL-3"),
        ])  # fmt: skip
        assert site.label_names("REL-3") == []
        overdue_done, moved_kept = bodies(site, "REL-1")
        assert "(/) *Resolved:* No longer detected as of Jul 29, 2026, 15:50 (UTC)." in overdue_done
        assert moved_kept == moved  # the date did move: that alert stays as it was
        (issue_done,) = bodies(site, "REL-3")
        assert "(/) *Resolved:* No longer detected as of Jul 29, 2026, 15:50 (UTC)." in issue_done

        # -- run 7: nothing to write ----------------------------------------------------------
        clock.now = T1 + timedelta(minutes=55)
        mark = len(site.calls)
        run_once(config, clock.now, capsys, TOKEN)
        assert site.writes(mark) == []

    assert all(TOKEN not in record.getMessage() for record in caplog.records)


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
def test_a_lost_comment_response_leaves_one_comment(
    acme: tuple[Path, Clock, FakeJira], capsys: pytest.CaptureFixture[str]
) -> None:
    config, clock, site = acme
    site.lose("POST", "/rest/api/2/issue/BILL-5/comment")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        site.serve(rsps)
        run_once(config, T1, capsys, TOKEN)
        on_5 = [(c.method, c.path, c.status) for c in site.calls if "BILL-5/comment" in c.path]
        # Not posted again blindly: the issue's comments are searched for the marker first.
        assert on_5 == [
            ("POST", "/rest/api/2/issue/BILL-5/comment", 502),
            ("GET", "/rest/api/2/issue/BILL-5/comment", 200),
        ]
        assert len(site.ours("BILL-5")) == 1
        clock.now = T1 + timedelta(minutes=5)
        mark = len(site.calls)
        run_once(config, clock.now, capsys, TOKEN)
        assert site.writes(mark) == []
