"""``forewarn run --once`` against a mocked GitHub repository, from the first sync to the reply.

The repository (a World served by ``tests/fakes/github.py``) is stateful: what
forewarn writes is what the next cycle reads. Its story, in the default calendar
(UTC, Monday to Friday, 09:00-18:00), seen on Wednesday 2024-06-05 at 15:00:

* milestone "v2.0" (created Monday 2024-05-20 09:00, so its scope baseline is
  Tuesday 09:00) holds #2 and #3 from the start; #4 joined on 2024-05-28 (creep)
  and #5 on 2024-05-29 with ``change-approved`` (an approved change): 1 added
  to a baseline of 2, 50 % growth;
* milestone "Beta" was due on 2024-05-31 and #6 is still open (overdue);
* on #7 (by a member, assigned to bob) a client (``author_association`` NONE)
  asked on Monday 10:00: 23 business hours ago, past the 16 h SLA;
* 120 issues closed in 2023, with 120 ``closed`` events and 105 comments,
  make every repo-wide list longer than a page of 100.

Run 1 writes the alerts and labels; run 2 writes nothing; a member answers
the client; run 3 marks that alert answered and takes its label off; run 4
writes nothing. The PM then moves Beta's due date to 2024-06-07: run 5 posts
"moved" and edits the overdue alert (now "at risk"); runs 6 and 7 write
nothing, and run 7, with nothing changed since run 6, costs two requests.
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
from sync.app.cli import main
from tests.conftest import Clock
from tests.e2e.support import run_once
from tests.fakes.github import FakeGitHub
from tests.fakes.http import Call
from tests.fakes.world import DONE, World

REPO = "acme/portal"
TOKEN = "ghp_E2eF0rewarnT0ken0123456789abcdefXYZ"
T1 = datetime(2024, 6, 5, 15, 0, tzinfo=UTC)  # a Wednesday
CREEP_TITLE = "Export **all** invoices to <CSV> for @finance-team"
MENTION = re.compile(r"@([A-Za-z0-9][A-Za-z0-9-]*)")
#: Tracker text in an alert is escaped (sync/escape.py): expected values are written raw.
md = escape.markdown

CONFIG = """\
version: 1
state: sqlite:///{state}
trackers:
  gh: {{kind: github}}           # the token comes from FOREWARN_GITHUB_TOKEN
projects:
  - name: portal
    tracker: gh
    repo: acme/portal
    clients: external
    status_issue: 1
    backfill: comment
    notify: [alice]
rules:
  - {{id: scope, kind: scope_creep, threshold: 10%, label: scope-creep}}
  - {{id: slip, kind: schedule_slip, confidence: 0.85, label: schedule-risk}}
  - {{id: feedback, kind: unanswered_feedback, sla: 16h, label: awaiting-reply}}
"""


def build_repository(clock: Clock) -> FakeGitHub:
    world = World(clock=clock)
    for login in ("dave", "bob", "carol"):
        world.person(login, association="MEMBER")
    world.person("alice", association="OWNER")
    world.person("client-cathy", association="NONE")
    # History: 120 issues opened and closed in 2023, most with a comment.
    start = datetime(2023, 1, 2, 10, 0, tzinfo=UTC)
    for offset in range(120):
        number = 101 + offset
        opened = start + timedelta(days=2 * offset)
        world.issue(number, f"Old task {number}", "dave", created=opened)
        world.set_status(number, DONE, actor="dave", at=opened + timedelta(days=1))
        if offset < 105:
            world.say(number, "bob", "Done.", at=opened + timedelta(hours=20))
    world.milestone(2, "Beta", created=datetime(2024, 4, 1, 9, tzinfo=UTC), due=date(2024, 5, 31))
    world.issue(6, "Beta sign-off checklist", "dave", created=datetime(2024, 4, 1, 10, tzinfo=UTC))
    world.join(6, 2, at=datetime(2024, 4, 1, 10, tzinfo=UTC), actor="dave")
    world.issue(4, CREEP_TITLE, "dave", created=datetime(2024, 5, 15, 9, tzinfo=UTC))
    world.issue(5, "Dark mode for the invoice list", "dave",
                created=datetime(2024, 5, 16, 9, tzinfo=UTC))
    world.issue(1, "Project status", "alice", created=datetime(2024, 5, 20, 8, tzinfo=UTC))
    world.milestone(1, "v2.0", created=datetime(2024, 5, 20, 9, tzinfo=UTC))
    for number, at in ((2, datetime(2024, 5, 20, 10, tzinfo=UTC)),
                       (3, datetime(2024, 5, 20, 10, 30, tzinfo=UTC))):
        world.issue(number, f"Planned work {number}", "dave", created=at)
        world.join(number, 1, at=at, actor="alice")
    world.join(4, 1, at=datetime(2024, 5, 28, 11, tzinfo=UTC), actor="alice")
    world.join(5, 1, at=datetime(2024, 5, 29, 9, tzinfo=UTC), actor="alice")
    world.add_label(5, "change-approved", "alice", at=datetime(2024, 5, 29, 9, 5, tzinfo=UTC))
    world.issue(7, "Invoice export fails for March", "dave",
                created=datetime(2024, 5, 31, 12, tzinfo=UTC), assignees=("bob",))
    world.say(7, "client-cathy", "The March export is still empty. @dave can you look?",
              at=datetime(2024, 6, 3, 10, tzinfo=UTC))
    return FakeGitHub(world, REPO)


def marker(rule: str, cause: str, subject: str, anchor: str = "", level: str = "warning") -> str:
    return f"<!-- forewarn:{make_fingerprint(rule, cause, subject, anchor)}:{level} -->"


def ours(repo: FakeGitHub, number: int) -> list[str]:
    return [c["body"] for c in repo.comments_on(number) if c["user"]["login"] == repo.login]


def shape(calls: list[Call]) -> Counter[tuple[str, str]]:
    return Counter((call.method, re.sub(r"/\d+(?=/|$)", "/N", call.path)) for call in calls)


@pytest.fixture
def portal(configure: Callable[..., Path]) -> tuple[Path, Clock, FakeGitHub]:
    """forewarn's config (the token in the environment), the clock and the repository."""
    clock = Clock(T1)
    config = configure(CONFIG, token=("FOREWARN_GITHUB_TOKEN", TOKEN))
    return config, clock, build_repository(clock)


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
def test_run_once_writes_alerts_then_nothing_then_resolves(
    portal: tuple[Path, Clock, FakeGitHub],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    paced: list[float],
) -> None:
    config, clock, repo = portal
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")  # PyGithub pins its logger at INFO
    labels_before = {label["name"] for label in repo.labels}

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        repo.serve(rsps)

        # -- run 1: the first sync writes every alert --------------------------------------
        out = run_once(config, T1, capsys, TOKEN)
        first = list(repo.calls)
        assert all(call.status < 400 for call in first), [str(c) for c in first]
        reads = shape([c for c in first if not c.is_write])
        # Pages of the repo-wide lists (127 issues, 106 comments, 127 events: 2 pages
        # each, followed through Link headers), the milestones, the login, the labels once.
        assert reads == Counter({
            ("GET", "/user"): 1,
            ("GET", "/repos/acme/portal/milestones"): 1,
            ("GET", "/repos/acme/portal/issues"): 1,
            ("GET", "/repositories/N/issues"): 1,
            ("GET", "/repos/acme/portal/issues/comments"): 1,
            ("GET", "/repositories/N/issues/comments"): 1,
            ("GET", "/repos/acme/portal/issues/events"): 1,
            ("GET", "/repositories/N/issues/events"): 1,
            ("GET", "/repos/acme/portal/labels"): 1,
        })  # fmt: skip
        assert shape(repo.writes()) == Counter({
            ("POST", "/repos/acme/portal/labels"): 2,
            ("POST", "/repos/acme/portal/issues/N/labels"): 2,
            ("POST", "/repos/acme/portal/issues/N/comments"): 4,
        })  # fmt: skip
        assert "8 writes planned, 8 done" in out
        assert paced, "writes are paced (the waits were asked for, not slept)"

        # Labels: created once each with forewarn's colour and description, then applied.
        catalogue = f"/repos/{REPO}/labels"
        created = {c.body["name"]: c.body for c in repo.writes() if c.path == catalogue}
        assert created == {
            "scope-creep": {"name": "scope-creep", "color": "fbca04", "description":
                            "forewarn: added to a milestone after its scope was baselined"},
            "awaiting-reply": {"name": "awaiting-reply", "color": "5319e7", "description":
                               "forewarn: client feedback awaiting a reply"},
        }  # fmt: skip
        assert {label["name"] for label in repo.labels} == labels_before | set(created)
        assert repo.label_names(4) == ["scope-creep"]
        assert repo.label_names(5) == ["change-approved"]  # approved: not creep
        assert repo.label_names(7) == ["awaiting-reply"]
        assert [repo.label_names(n) for n in (1, 2, 3, 6)] == [[], [], [], []]

        # Comments: one per finding, each with its marker, the escaped title, @alice only.
        added = ours(repo, 4)
        assert len(added) == 1
        assert added[0].startswith(marker("scope", "added", f"{REPO}#4", f"{REPO}/milestones/1"))
        assert md(CREEP_TITLE) in added[0]
        assert "**all**" not in added[0] and "<CSV>" not in added[0]
        assert f"was added to milestone “{md('v2.0')}” on May 28, 2024, 11:00 (UTC), after the " \
               "milestone's scope was agreed on May 21, 2024, 09:00 (UTC)" in added[0]  # fmt: skip
        status = ours(repo, 1)
        assert len(status) == 2
        growth, overdue = sorted(status, key=lambda body: "overdue" in body)
        assert growth.startswith(marker("scope", "growth", f"{REPO}/milestones/1"))
        assert "has grown by 50% since its scope was agreed on May 21, 2024, 09:00 (UTC): 1 " \
               "issue added to the 2 issues agreed. 1 approved change also joined it." \
               in growth  # fmt: skip
        assert overdue.startswith(
            marker("slip", "schedule", f"{REPO}/milestones/2", level="critical")
        )
        assert "Milestone “Beta” is 5 days overdue: it was due on May 31, 2024, with 1 open " \
               "issue left." in overdue  # fmt: skip
        (waiting,) = ours(repo, 7)
        anchor = str(repo.comments_on(7)[0]["id"])
        assert waiting.startswith(
            marker("feedback", "awaiting_reply", f"{REPO}#7", anchor, level="critical")
        )
        assert "The question asked on Jun 3, 2024, 10:00 (UTC) about “" \
               f"{md('Invoice export fails for March')}” is still waiting for a reply from the " \
               "team." in waiting  # fmt: skip
        # Public comments speak to the client: no mention, no checkbox, no assignee.
        assert "bob" not in waiting and "cathy" not in waiting
        for body in [*added, *status, waiting]:
            assert MENTION.findall(body) == [], body
            assert "- [ ] " not in body and "The team has been alerted" in body
        assert not ours(repo, 2) and not ours(repo, 3) and not ours(repo, 5)
        assert not ours(repo, 6)  # milestone alerts go to the status issue

        # -- run 2: nothing new outside, so nothing is written -----------------------------
        clock.now = T1 + timedelta(minutes=5)
        mark = len(repo.calls)
        out = run_once(config, clock.now, capsys, TOKEN)
        second = repo.calls[mark:]
        assert repo.writes(mark) == []
        assert "0 done" in out or "nothing to write" in out
        # The steady-state run costs 4 requests: forewarn's own writes moved 3 issues, so it
        # reads them, the comments and the events since (one page each), and the milestones'
        # 304. Run 7 below, with nothing changed since the last run, costs 2.
        assert [str(c) for c in second] == [
            "GET /repos/acme/portal/milestones?per_page=100&state=all -> 304",
            "GET /repos/acme/portal/issues?per_page=100&since=2024-06-03T09:59:59Z&state=all"
            " -> 200",
            "GET /repos/acme/portal/issues/comments?per_page=100&since=2024-06-03T09:59:59Z"
            " -> 200",
            "GET /repos/acme/portal/issues/events?per_page=100 -> 200",
        ]

        # -- a member answers the client ---------------------------------------------------
        clock.now = T1 + timedelta(minutes=20)
        repo.world.say(7, "carol", "Fixed in 2.0.1, please try again.", at=clock.now)

        # -- run 3: the alert is marked answered, the label comes off ----------------------
        clock.now = T1 + timedelta(minutes=30)
        mark = len(repo.calls)
        out = run_once(config, clock.now, capsys, TOKEN)
        assert [(c.method, c.path) for c in repo.writes(mark)] == [
            ("PATCH", f"/repos/acme/portal/issues/comments/{repo.comments_on(7)[1]['id']}"),
            ("DELETE", "/repos/acme/portal/issues/7/labels/awaiting-reply"),
        ]
        (resolved,) = ours(repo, 7)
        assert resolved.startswith(
            marker("feedback", "awaiting_reply", f"{REPO}#7", anchor, level="critical")
        )
        assert "**Resolved:** Answered on Jun 5, 2024, 15:20 (UTC)." in resolved
        assert "~~The question asked on" in resolved
        assert MENTION.findall(resolved) == []  # an edit notifies nobody: no mentions
        assert repo.label_names(7) == []
        assert repo.label_names(4) == ["scope-creep"]
        assert len(ours(repo, 1)) == 2 and len(ours(repo, 4)) == 1

        # -- run 4: nothing to do ----------------------------------------------------------
        clock.now = T1 + timedelta(minutes=35)
        mark = len(repo.calls)
        run_once(config, clock.now, capsys, TOKEN)
        assert repo.writes(mark) == []

        # -- the PM moves Beta's due date to next Friday: no issue changes -----------------
        clock.now = T1 + timedelta(minutes=40)
        repo.world.move_due(2, date(2024, 6, 7))
        overdue_id = next(c["id"] for c in repo.comments_on(1) if "overdue" in c["body"])

        # -- run 5: "moved" is a new alert; the overdue alert is edited (now at risk) --------
        clock.now = T1 + timedelta(minutes=45)
        mark = len(repo.calls)
        run_once(config, clock.now, capsys, TOKEN)
        # The milestone list changed (a 200, no 304), no issue did: two requests to read.
        assert [(c.path, c.status) for c in repo.calls[mark:] if not c.is_write] == [
            ("/repos/acme/portal/milestones", 200),
            ("/repos/acme/portal/issues", 200),
        ]
        assert [(c.method, c.path) for c in repo.writes(mark)] == [
            ("POST", "/repos/acme/portal/issues/1/comments"),
            ("PATCH", f"/repos/acme/portal/issues/comments/{overdue_id}"),
        ]
        moved, = (body for body in ours(repo, 1) if "moved" in body)
        assert moved.startswith(marker("slip", "moved", f"{REPO}/milestones/2"))
        assert "The due date of milestone “Beta” moved from May 31, 2024 to Jun 7, 2024: 7 " \
               "days later, after 1 change." in moved  # fmt: skip
        assert MENTION.findall(moved) == []
        edited = next(c["body"] for c in repo.comments_on(1) if c["id"] == overdue_id)
        # Same alert, one level down: the comment keeps its marker, nobody is notified.
        assert edited.startswith(
            marker("slip", "schedule", f"{REPO}/milestones/2", level="critical")
        )
        assert "Milestone “Beta” may not be finished by its due date Jun 7, 2024: 1 open " \
               "issue left." in edited  # fmt: skip

        # -- run 6 reads back its own comment and writes nothing; run 7 finds nothing changed
        # anywhere: the milestones' 304 and one issues page ---------------------------------
        for minutes in (50, 55):
            clock.now = T1 + timedelta(minutes=minutes)
            mark = len(repo.calls)
            run_once(config, clock.now, capsys, TOKEN)
            assert repo.writes(mark) == []
        assert [(c.path, c.status) for c in repo.calls[mark:]] == [
            ("/repos/acme/portal/milestones", 304),
            ("/repos/acme/portal/issues", 200),
        ]

    assert all(TOKEN not in record.getMessage() for record in caplog.records)


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
def test_lost_responses_leave_one_comment_and_later_runs_write_nothing(
    portal: tuple[Path, Clock, FakeGitHub], capsys: pytest.CaptureFixture[str]
) -> None:
    """A comment and a label applied by GitHub whose answers were lost (502 from the proxy)."""
    config, clock, repo = portal
    repo.lose("POST", f"/repos/{REPO}/issues/7/comments")
    repo.lose("POST", f"/repos/{REPO}/issues/4/labels")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        repo.serve(rsps)
        out = run_once(config, T1, capsys, TOKEN)
        assert "8 writes planned, 8 done" in out
        on_7 = [(c.method, c.path, c.status) for c in repo.calls if "/issues/7/comments" in c.path]
        # The creation is not sent again blindly: the marker is looked for first, and found.
        assert on_7 == [
            ("POST", f"/repos/{REPO}/issues/7/comments", 502),
            ("GET", f"/repos/{REPO}/issues/7/comments", 200),
        ]
        assert len(ours(repo, 7)) == 1
        assert repo.label_names(4) == ["scope-creep"]  # adding a label is idempotent: resent
        for minutes in (5, 10):
            clock.now = T1 + timedelta(minutes=minutes)
            mark = len(repo.calls)
            run_once(config, clock.now, capsys, TOKEN)
            assert repo.writes(mark) == []
        assert len(ours(repo, 7)) == 1


@pytest.mark.usefixtures("clean_env", "quiet_connectors")
def test_dry_run_reads_but_writes_and_records_nothing(
    portal: tuple[Path, Clock, FakeGitHub], capsys: pytest.CaptureFixture[str]
) -> None:
    config, _, repo = portal
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        repo.serve(rsps)
        code = main(["run", "--once", "--dry-run", "-c", str(config), "--now", T1.isoformat()])
        out = capsys.readouterr().out
        assert code == 0
        assert "8 writes planned, 0 done" in out and "would do" in out
        assert repo.writes() == []
        # Nothing was recorded either: the real run that follows is a first sync.
        mark = len(repo.calls)
        out = run_once(config, T1, capsys, TOKEN)
        assert "8 writes planned, 8 done" in out
        assert ("GET", f"/repos/{REPO}/issues", {"per_page": "100", "state": "all"}) in [
            (c.method, c.path, c.query) for c in repo.calls[mark:]
        ]
