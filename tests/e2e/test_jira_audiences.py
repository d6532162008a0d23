"""``forewarn run --once`` on a Jira Cloud site a client shares: who reads what.

The site (``tests/fakes/jira.py``) serves Atlassian's documented shapes for what
restricts a comment: ``visibility`` (a project role or group) and, for a Jira
Service Management internal note, ``jsdPublic: false``. Seen on Wednesday
2026-07-29 at 15:00 UTC, in the default calendar (Mon-Fri 09:00-18:00), with a
16-hour reply SLA:

* the team is project role **Developers**: Alice, and group ``acme-devs`` (Bruno);
  Bruno, and both clients, hide their e-mail addresses, as Jira Cloud lets them;
* BILL-2: client Ana asked on Monday 09:00; Bruno answered in a comment visible
  to role Developers only. BILL-3: client Caio asked on Monday 09:30; Bruno
  answered with a service desk internal note. Neither client saw an answer:
  both still wait, past the SLA. BILL-4: Alice answered publicly: answered.
  BILL-5: Caio asked on Tuesday 14:00: 10 business hours, a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses

from connectors.model import Visibility
from tests.conftest import Clock
from tests.e2e.support import run_once
from tests.fakes.jira import FakeJira
from tests.fakes.world import ME, World

SITE = "https://acme.atlassian.net"
EMAIL = "forewarn@acme.example"
TOKEN = "e2e-jira-audiences-token-DO-NOT-LOG"
T1 = datetime(2026, 7, 29, 15, 0, tzinfo=UTC)  # a Wednesday
PM = "712020:pm-alice"
ALICE, BRUNO, ANA, CAIO = "pm-alice", "dev-bruno", "client-ana", "client-caio"
DEVELOPERS = Visibility("role", "Developers")
INTERNAL = Visibility("internal")

HEADER = """\
version: 1
state: sqlite:///{state}
trackers:
  acme: {{kind: jira, url: https://acme.atlassian.net, email: forewarn@acme.example,
          token: ${{JIRA_API_TOKEN}}}}
rules:
  - {{id: feedback, kind: unanswered_feedback, sla: 16h, label: awaiting-reply}}
projects:
"""
INTERNAL_ALERTS = HEADER + """\
  - name: billing
    tracker: acme
    jira_project: BILL
    team: {{role: Developers}}
    status_issue: BILL-1
    notify: ["{pm}"]
    alerts: {{to: internal, visible_to: {{role: Developers}}}}
    backfill: comment
  - name: desk
    tracker: acme
    jira_project: DESK
    team: {{group: acme-devs}}
    clients: customers
    alerts: {{to: internal}}
    backfill: comment
"""
DIGEST = HEADER + """\
  - name: billing
    tracker: acme
    jira_project: BILL
    team: {{role: Developers}}
    notify: ["{pm}"]
    alerts: {{to: digest, issue: TEAM-1}}
"""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 7, day, hour, minute, tzinfo=UTC)


def people(world: World) -> None:
    world.person(ALICE, name="Alice Martin", email="alice@acme.example")
    world.person(BRUNO, name="Bruno Costa", hide_email=True)
    world.person(ANA, name="Ana Client", hide_email=True, account_type="customer")
    world.person(CAIO, name="Caio Client", hide_email=True)
    world.person(ME, name="forewarn", email=EMAIL)
    world.roles = {"Developers": [ALICE, "group:acme-devs"], "Administrators": []}
    world.groups = {"acme-devs": [BRUNO]}


def build_site(clock: Clock) -> FakeJira:
    bill, desk, team = World(clock=clock), World(clock=clock), World(clock=clock)
    for world in (bill, desk, team):
        people(world)
    bill.issue(1, "Billing status", ALICE, created=at(1, 9))
    bill.issue(2, "VPN drops every hour", ANA, created=at(27, 9), assignees=(BRUNO,))
    bill.say(2, BRUNO, "Let's not answer before Friday.", at=at(27, 10),
             visibility=DEVELOPERS)
    bill.issue(3, "Invoices in the wrong currency", CAIO, created=at(27, 9, 30))
    bill.say(3, BRUNO, "Known bug, fix planned.", at=at(27, 11), visibility=INTERNAL)
    bill.issue(4, "Password reset", ANA, created=at(27, 9))
    bill.say(4, ALICE, "Done, please try again.", at=at(27, 12))
    bill.issue(5, "Export is slow", CAIO, created=at(28, 14))
    desk.issue(2, "Laptop replacement", ANA, created=at(27, 9))
    desk.say(2, BRUNO, "Ordered, do not tell her yet.", at=at(27, 10), visibility=INTERNAL)
    team.issue(1, "Team digest", ALICE, created=at(1, 9))
    return FakeJira({"BILL": bill, "DESK": desk, "TEAM": team}, site=SITE, email=EMAIL,
                    token=TOKEN)


Served = Callable[[str], AbstractContextManager[tuple[Path, Clock, FakeJira]]]


@pytest.fixture
def served(configure: Callable[..., Path]) -> Served:
    """``with served(CONFIG) as (config, clock, site)``: the config, the clock and the site,
    served for the length of the block."""

    @contextmanager
    def serve(template: str) -> Iterator[tuple[Path, Clock, FakeJira]]:
        clock = Clock(T1)
        config = configure(template, token=("JIRA_API_TOKEN", TOKEN), pm=PM)
        site = build_site(clock)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            site.serve(rsps)
            yield config, clock, site

    return serve


def reads(site: FakeJira, mark: int) -> list[str]:
    return [call.path for call in site.calls[mark:] if not call.is_write]


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
def test_internal_notes_never_answer_and_every_alert_is_restricted(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    with served(INTERNAL_ALERTS) as (config, clock, site):
        # -- run 1: both clients still wait; every alert is restricted ----------------------
        out = run_once(config, T1, capsys, TOKEN)
        assert all(call.status < 400 for call in site.calls), [str(c) for c in site.calls]
        # Who holds role Developers: read once, then kept in the memo.
        assert "/rest/api/2/project/BILL/role" in reads(site, 0)
        assert "/rest/api/2/group/member" in reads(site, 0)
        posts = {c.path: c.body for c in site.writes() if c.method == "POST"}
        assert sorted(posts) == ["/rest/api/2/issue/BILL-2/comment",
                                 "/rest/api/2/issue/BILL-3/comment",
                                 "/rest/servicedeskapi/request/DESK-2/comment"]
        for key in ("BILL-2", "BILL-3"):
            assert posts[f"/rest/api/2/issue/{key}/comment"]["visibility"] == {
                "type": "role", "value": "Developers"}
            assert site.restricted(key) == [DEVELOPERS]
            assert site.label_names(key) == ["awaiting-reply"]
        # A service desk project: the alert is an internal note, created as Atlassian
        # documents it, through Service Management.
        assert posts["/rest/servicedeskapi/request/DESK-2/comment"]["public"] is False
        assert site.restricted("DESK-2") == [INTERNAL]
        assert site.ours("BILL-4") == [] and site.label_names("BILL-4") == []
        (waiting,) = site.ours("BILL-2")
        assert "Ana Client asked on Jul 27, 2026, 09:00 (UTC) about “VPN drops every hour”" \
            in waiting["body"]  # fmt: skip
        # Hidden e-mails do not matter here (a role decides), and the run says how many.
        assert "billing: 3 people show no e-mail address; clients/team tell who they are by " \
               "account id, role, group or service desk customer" in out  # fmt: skip

        # -- run 2: nothing new, nothing written, no role read again -----------------------
        clock.now = T1 + timedelta(minutes=5)
        mark = len(site.calls)
        run_once(config, clock.now, capsys, TOKEN)
        assert site.writes(mark) == []
        assert reads(site, mark) == ["/rest/api/2/search/jql", "/rest/api/2/project/BILL/versions",
                                     "/rest/api/2/search/jql", "/rest/api/2/project/DESK/versions"]

        # -- another internal note on BILL-3; public replies on BILL-2 and DESK-2 ---------
        clock.now = T1 + timedelta(minutes=10)
        site.projects["BILL"].say(3, ALICE, "Escalated to finance.", visibility=DEVELOPERS)
        site.projects["BILL"].say(2, BRUNO, "Fixed: the VPN keeps its lease now.")
        site.projects["DESK"].say(2, BRUNO, "Your new laptop ships today.")
        clock.now = T1 + timedelta(minutes=15)
        mark = len(site.calls)
        run_once(config, clock.now, capsys, TOKEN)
        edits = {c.path.split("/")[5]: c.body for c in site.writes(mark) if "/comment/" in c.path}
        assert sorted(edits) == ["BILL-2", "DESK-2"]  # BILL-3 still waits: left as it is
        # Resolved, and still restricted: the edit sends the restriction again.
        assert edits["BILL-2"]["visibility"] == {"type": "role", "value": "Developers"}
        assert "Answered by Bruno Costa on Jul 29, 2026, 15:10 (UTC)." in edits["BILL-2"]["body"]
        assert edits["DESK-2"]["properties"] == [
            {"key": "sd.public.comment", "value": {"internal": True}}]
        labels = sorted(c.path for c in site.writes(mark) if "/comment" not in c.path)
        assert labels == ["/rest/api/2/issue/BILL-2", "/rest/api/2/issue/DESK-2"]
        assert site.label_names("BILL-3") == ["awaiting-reply"]
        assert site.restricted("BILL-2") == [DEVELOPERS]
        assert site.restricted("DESK-2") == [INTERNAL]


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
def test_the_digest_lists_every_finding_once_and_nothing_goes_on_client_issues(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    with served(DIGEST) as (config, clock, site):
        run_once(config, T1, capsys, TOKEN)
        comments = [c for c in site.writes() if "/comment" in c.path]
        assert [(c.method, c.path) for c in comments] == [
            ("POST", "/rest/api/2/issue/TEAM-1/comment")]
        for key in ("BILL-1", "BILL-2", "BILL-3", "BILL-4", "BILL-5"):
            assert site.ours(key) == [], key
        (digest,) = site.ours("TEAM-1")
        body = str(digest["body"])
        links = re.findall(r"\[BILL\\-\d+\|https://acme\.atlassian\.net/browse/(BILL-\d+)\]",
                           body)
        assert links == ["BILL-2", "BILL-3", "BILL-5"]  # each once, most severe first
        assert body.count("[~accountid:712020:pm-alice]") == 1  # mentions only here
        assert body.startswith("{anchor:forewarn-digest.billing@info}\n"
                               "h3. forewarn: open findings in billing")
        # Labels stay on the client's issues, as on any alert.
        assert site.label_names("BILL-2") == ["awaiting-reply"]
        assert site.label_names("BILL-5") == ["awaiting-reply"]

        # -- BILL-2 answered publicly: the digest is edited in place --------------------------
        clock.now = T1 + timedelta(minutes=10)
        site.projects["BILL"].say(2, BRUNO, "Fixed: the VPN keeps its lease now.")
        clock.now = T1 + timedelta(minutes=15)
        mark = len(site.calls)
        run_once(config, clock.now, capsys, TOKEN)
        edits = [(c.method, c.path) for c in site.writes(mark) if "/comment" in c.path]
        assert edits == [("PUT", f"/rest/api/2/issue/TEAM-1/comment/{digest['id']}")]
        (digest,) = site.ours("TEAM-1")
        assert re.findall(r"/browse/(BILL-\d+)\]", str(digest["body"])) == ["BILL-3", "BILL-5"]
        assert site.label_names("BILL-2") == []

        # -- nothing new: nothing written -------------------------------------------------
        clock.now = T1 + timedelta(minutes=20)
        mark = len(site.calls)
        run_once(config, clock.now, capsys, TOKEN)
        assert site.writes(mark) == []
